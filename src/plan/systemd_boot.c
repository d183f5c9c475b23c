/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/words.h"

#define KERNEL_CMDLINE "etc/kernel/cmdline"

/*
 * /etc/kernel/cmdline feeds kernel-install and UKI builders ("The correct
 * place to configure your kernel cmdline is /etc/kernel/cmdline", systemd
 * maintainers): the entries they generate are overwritten, so when the file
 * exists it is the one to edit, and the entries are made again by the first
 * of these tools that is installed.
 */
static const struct regenerator regenerators[] = {
        { "usr/bin/reinstall-kernels", { "reinstall-kernels" } },
        { "usr/bin/sdbootutil", { "sdbootutil", "update-all-entries" } },
        { "usr/sbin/sdbootutil", { "sdbootutil", "update-all-entries" } },
};

/*
 * Debian's systemd-boot package hooks update-initramfs: each run makes the
 * kernel's entry again with kernel-install, from /etc/kernel/cmdline.  There
 * regenerating the initramfs is regenerating the entries.
 */
#define INITRAMFS_TOOLS_HOOK "etc/initramfs/post-update.d/systemd-boot"

/* Where kernels keep their modules, and so their versions; the image beside them or in /boot. */
static const char *const module_dirs[] = { "usr/lib/modules", "lib/modules" };

/*
 * kernel-install add for each installed kernel: "add-all" came with systemd
 * 255, "add VERSION IMAGE" works with every version.
 */
int emit_kernel_install(struct plan_ctx *ctx)
{
        struct strv seen = { 0 };
        int r = 0;

        for (size_t d = 0; d < sizeof(module_dirs) / sizeof(module_dirs[0]) && r >= 0; d++) {
                struct strv versions = { 0 };

                if (sysroot_list(ctx->sr, module_dirs[d], &versions) < 0)
                        continue;
                for (size_t i = 0; i < versions.n && r >= 0; i++) {
                        char in_modules[512], in_boot[512];
                        const char *image = NULL;

                        snprintf(in_modules, sizeof(in_modules), "%s/%s/vmlinuz", module_dirs[d], versions.v[i]);
                        snprintf(in_boot, sizeof(in_boot), "boot/vmlinuz-%s", versions.v[i]);
                        if (sysroot_exists(ctx->sr, in_modules))
                                image = in_modules;
                        else if (sysroot_exists(ctx->sr, in_boot))
                                image = in_boot;
                        if (!image || strv_contains(&seen, versions.v[i]))
                                continue;
                        r = strv_push(&seen, versions.v[i]);
                        if (r >= 0) {
                                char path[520];

                                snprintf(path, sizeof(path), "/%s", image);
                                r = ctx_command(ctx, "kernel-install", "add", versions.v[i], path, (char *)NULL);
                        }
                }
                strv_free(&versions);
        }
        if (r >= 0 && seen.n == 0)
                r = ctx_warn(ctx, "no installed kernel image was found for kernel-install: rebuild the boot entries by "
                                  "hand");
        strv_free(&seen);
        return r;
}

const char *const systemd_boot_esp_fallbacks[SYSTEMD_BOOT_ESP_FALLBACKS] = { "efi", "boot", "boot/efi" };

/* Edits the first line and drops from the others; the kernel gets them joined. */
static int edit_lines(struct plan_ctx *ctx, struct textfile *f, bool (*is_cmdline)(const char *), size_t prefix)
{
        bool first = true;
        int r = 0;

        for (size_t i = 0; i < f->n && r >= 0; i++) {
                char *edited;

                if (!is_cmdline(f->lines[i].text))
                        continue;
                r = ctx_edit_cmdline(ctx, f->lines[i].text + prefix, NULL, first, &edited);
                if (r < 0)
                        break;
                if (strcmp(edited, f->lines[i].text + prefix) != 0) {
                        char *line;

                        if (asprintf(&line, "%.*s%s", (int)prefix, f->lines[i].text, edited) < 0)
                                r = -ENOMEM;
                        else {
                                r = textfile_set(f, i, line);
                                free(line);
                        }
                }
                free(edited);
                first = false;
        }
        return r;
}

static bool any_line(const char *text)
{
        return text[0] != '#';
}

int running_cmdline(const struct plan_ctx *ctx, char **ret)
{
        struct words w;
        int r;

        if (!ctx->m->iommu.cmdline)
                return -ENOENT;
        r = words_parse(ctx->m->iommu.cmdline, WORDS_KERNEL, &w);
        if (r < 0)
                return r;
        for (size_t i = w.n; r >= 0 && i-- > 0;) {
                char *word = words_get(&w, i);

                if (!word)
                        r = -ENOMEM;
                else if (startswith(word, "BOOT_IMAGE=") || startswith(word, "initrd=") ||
                         strv_contains(&ctx->m->vfio.tool.trial, word))
                        r = words_remove(&w, i);
                free(word);
        }
        if (r < 0) {
                words_free(&w);
                return r;
        }
        /* /proc/cmdline ends with a newline; the file holds one line. */
        w.text[strcspn(w.text, "\n")] = '\0';
        *ret = w.text;
        w.text = NULL;
        words_free(&w);
        return 0;
}

/* Edits /etc/kernel/cmdline, created from seed when absent (seed NULL: left absent); *ret_changed. */
static int edit_kernel_cmdline_file(struct plan_ctx *ctx, const char *seed, bool *ret_changed)
{
        struct textfile f = { 0 };
        int r;

        *ret_changed = false;
        r = ctx_load(ctx, KERNEL_CMDLINE, &f);
        if (r >= 0 && !f.exists && seed)
                r = textfile_insert(&f, 0, seed);
        if (r >= 0 && f.n > 0)
                r = edit_lines(ctx, &f, any_line, 0);
        if (r >= 0)
                r = ctx_commit(ctx, &f, ret_changed);
        /*
         * Undo leaves the file with the line the entries were made from: without
         * it they would follow the running command line, vfio-setup's once booted.
         */
        if (r >= 0 && *ret_changed && !f.exists && seed)
                r = ctx_seed(ctx, KERNEL_CMDLINE, seed);
        textfile_free(&f);
        return r;
}

int running_seed(struct plan_ctx *ctx, char **ret)
{
        /*
         * On a trial's boot the running line is the trial's, which lacks what it removed: the
         * entry it copied has the line the other boots start with.
         */
        int r = ctx->m->vfio.tool.trial.n && ctx->m->boot_once.trial_booted ? systemd_boot_trial_base(ctx, ret)
                                                                           : -ENOENT;

        if (r != -ENOENT)
                return r;
        r = running_cmdline(ctx, ret);

        if (r == -ENOENT)
                return ctx_refuse(ctx, -VS_E_CONFIG, "the boot entries are made from /etc/kernel/cmdline or, without "
                                  "it, from the running command line, and /proc/cmdline cannot be read");
        return r;
}

int emit_cmdline_file_from(struct plan_ctx *ctx, int (*seed)(struct plan_ctx *ctx, char **ret), bool *ret_changed)
{
        char *from = NULL;
        bool changed = false;
        int r = 0;

        if (seed && !sysroot_exists(ctx->sr, KERNEL_CMDLINE) && ctx->want.params.n > 0)
                r = seed(ctx, &from);
        if (r >= 0)
                r = edit_kernel_cmdline_file(ctx, from, &changed);
        free(from);
        ctx->boot_changed |= changed;
        if (ret_changed)
                *ret_changed = changed;
        return r;
}

int emit_kernel_cmdline_file(struct plan_ctx *ctx, bool seed, bool *ret_found)
{
        bool changed, have_tool;
        int r;

        *ret_found = sysroot_exists(ctx->sr, KERNEL_CMDLINE) || (seed && ctx->want.params.n > 0);
        if (!*ret_found)
                return 0;
        r = emit_cmdline_file_from(ctx, seed ? running_seed : NULL, &changed);
        if (r < 0 || !changed)
                return r;
        /* mkinitcpio -P (already planned) builds the UKIs that carry this file; Debian's hook, the entries. */
        if (ctx->initramfs == INITRAMFS_MKINITCPIO ||
            (ctx->initramfs == INITRAMFS_INITRAMFS_TOOLS && sysroot_exists(ctx->sr, INITRAMFS_TOOLS_HOOK))) {
                ctx->initramfs_changed = true;
                return 0;
        }
        r = ctx_command_first(ctx, regenerators, sizeof(regenerators) / sizeof(regenerators[0]), &have_tool);
        if (r < 0 || have_tool)
                return r;
        /* The entries copy the initramfs: they are made after it (plan_build runs emit_kernel_install last). */
        if (sysroot_exists(ctx->sr, "usr/bin/kernel-install")) {
                ctx->kernel_install = true;
                return 0;
        }
        return ctx_warn(ctx, "no tool to rebuild the boot entries from /etc/kernel/cmdline was found: rebuild them by hand");
}

static bool options_line(const char *text)
{
        return startswith(text, "options ") || startswith(text, "options\t");
}

/* A Type #1 entry that boots Linux (not an EFI program such as Windows' loader). */
static bool linux_entry(const struct textfile *f, size_t *ret_linux_line)
{
        for (size_t i = 0; i < f->n; i++)
                if (startswith(f->lines[i].text, "linux ") || startswith(f->lines[i].text, "linux\t")) {
                        *ret_linux_line = i;
                        return true;
                }
        return false;
}

static int entry(struct plan_ctx *ctx, const char *path)
{
        struct textfile f = { 0 };
        size_t linux_line;
        bool has_options = false, changed;
        int r;

        r = ctx_load(ctx, path, &f);
        if (r < 0)
                return r;
        if (!linux_entry(&f, &linux_line)) {
                textfile_free(&f);
                return 0;
        }
        for (size_t i = 0; i < f.n; i++)
                has_options |= options_line(f.lines[i].text);
        /* An entry without options (root found by systemd's GPT auto-discovery) gets a line of its own. */
        if (!has_options && ctx->want.params.n > 0)
                r = textfile_insert(&f, linux_line + 1, "options ");
        if (r >= 0)
                r = edit_lines(ctx, &f, options_line, strlen("options "));
        /* An options line emptied by --release was vfio-setup's alone. */
        for (size_t i = 0; i < f.n && r >= 0; i++)
                if (strcmp(f.lines[i].text, "options ") == 0 || strcmp(f.lines[i].text, "options") == 0) {
                        textfile_remove(&f, i);
                        break;
                }
        if (r >= 0)
                r = ctx_commit(ctx, &f, &changed);
        textfile_free(&f);
        return r;
}

static bool is_entry_name(const char *name)
{
        size_t len = strlen(name);

        return len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

/* Something that makes the entries again from /etc/kernel/cmdline is installed. */
static bool have_entry_tool(const struct plan_ctx *ctx)
{
        if (ctx->initramfs == INITRAMFS_INITRAMFS_TOOLS && sysroot_exists(ctx->sr, INITRAMFS_TOOLS_HOOK))
                return true;
        for (size_t i = 0; i < sizeof(regenerators) / sizeof(regenerators[0]); i++)
                if (sysroot_exists(ctx->sr, regenerators[i].exists))
                        return true;
        return sysroot_exists(ctx->sr, "usr/bin/kernel-install");
}

/*
 * Entries kernel-install wrote carry a machine-id line.  They are written
 * again at the next kernel update, from /etc/kernel/cmdline or, without it,
 * from the command line running then: an edit of the entry would not last.
 */
static bool made_by_kernel_install(const struct plan_ctx *ctx, const char *dir, const struct strv *names)
{
        if (!have_entry_tool(ctx))
                return false;
        for (size_t i = 0; i < names->n; i++) {
                struct textfile f = { 0 };
                char path[512], *reason = NULL;
                bool found = false;

                if (!is_entry_name(names->v[i]))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, names->v[i]);
                if (textfile_load(ctx->sr, path, &f, &reason) >= 0)
                        for (size_t k = 0; k < f.n && !found; k++)
                                found = startswith(f.lines[k].text, "machine-id ");
                free(reason);
                textfile_free(&f);
                if (found)
                        return true;
        }
        return false;
}

static int emit_systemd_boot(struct plan_ctx *ctx)
{
        struct strv names = { 0 };
        char dir[256];
        bool found;
        int r;

        if (ctx->m->esp.path)
                snprintf(dir, sizeof(dir), "%s/loader/entries", ctx->m->esp.path + 1);
        for (size_t i = 0; !ctx->m->esp.path && i < SYSTEMD_BOOT_ESP_FALLBACKS; i++) {
                snprintf(dir, sizeof(dir), "%s/loader/entries", systemd_boot_esp_fallbacks[i]);
                if (sysroot_is_dir(ctx->sr, dir))
                        break;
        }
        if (sysroot_list(ctx->sr, dir, &names) < 0)
                names = (struct strv){ 0 };
        r = emit_kernel_cmdline_file(ctx, made_by_kernel_install(ctx, dir, &names), &found);
        if (r < 0 || found) {
                strv_free(&names);
                return r;
        }
        if (names.n == 0)
                return ctx_refuse(ctx, -VS_E_CONFIG, "systemd-boot: no /%s and no /etc/kernel/cmdline to edit", dir);
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                char path[512];

                /* The trial's entry is its own (systemd_boot_trial). */
                if (!is_entry_name(names.v[i]) || strcmp(names.v[i], TRIAL_ENTRY_ID ".conf") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
                r = entry(ctx, path);
        }
        strv_free(&names);
        return r;
}

const struct emitter systemd_boot_emitter = { emit_systemd_boot, .trial = systemd_boot_trial };
