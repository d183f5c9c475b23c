/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/kcmdline.h"

/*
 * Fedora Atomic and its derivatives (Silverblue, Kinoite, Bazzite, Aurora,
 * Bluefin) boot ostree deployments: /usr is the image's, /boot is ostree's,
 * and each deployment has its own kernel arguments.  "rpm-ostree kargs"
 * changes them by staging a new deployment, which the next boot uses; with
 * --append-if-missing=KEY=VALUE and --delete-if-present=KEY=VALUE it compares
 * whole words with the pending deployment's arguments, so running it twice
 * changes nothing (rpm-ostree's kargs transaction).  Nothing here is a file:
 * the command carries its own undo, the same two lists swapped.
 *
 * The initramfs is the image's, built without host configuration (dracut
 * --no-hostonly: no /etc/modprobe.d, and usually no vfio modules, but every
 * GPU driver).  So the ids go on the command line, which modprobe reads in the
 * initramfs and after it; rd.driver.pre loads vfio-pci in the initramfs where
 * the image carries it; and rd.driver.blacklist keeps the drivers that would
 * claim the devices out of the initramfs, so that in the real root
 * /etc/modprobe.d orders them after vfio-pci (dracut.cmdline(7)).
 */

/* ostree names the entry of deployment i of n "ostree-(n-i)-OSNAME.conf" (or "ostree-(n-i).conf"): the highest boots next. */
static long entry_index(const char *name)
{
        char *end;
        long n;

        if (strncmp(name, "ostree-", 7) != 0)
                return -1;
        n = strtol(name + 7, &end, 10);
        if (end == name + 7 || (*end != '-' && *end != '.'))
                return -1;
        return n;
}

/* The options of the deployment the next boot starts, as written in its boot entry; NULL when there is none. */
static int default_options(struct plan_ctx *ctx, char **ret)
{
        struct strv names = { 0 };
        const char *best = NULL;
        long best_index = -1;
        int r = 0;

        *ret = NULL;
        if (sysroot_list(ctx->sr, "boot/loader/entries", &names) < 0)
                return 0;
        for (size_t i = 0; i < names.n; i++) {
                long n = entry_index(names.v[i]);

                if (n > best_index) {
                        best_index = n;
                        best = names.v[i];
                }
        }
        if (best) {
                struct textfile f = { 0 };
                char path[512];

                snprintf(path, sizeof(path), "boot/loader/entries/%s", best);
                r = ctx_load(ctx, path, &f);
                for (size_t k = 0; r >= 0 && k < f.n && !*ret; k++)
                        if (startswith(f.lines[k].text, "options ") || startswith(f.lines[k].text, "options\t"))
                                *ret = strdup(f.lines[k].text + 8);
                textfile_free(&f);
        }
        strv_free(&names);
        return r;
}

/* The words of `from` that `to` lacks, each occurrence counted. */
static int missing(const struct strv *from, const struct strv *to, struct strv *ret)
{
        bool *used = calloc(to->n ? to->n : 1, sizeof(*used));
        int r = used ? 0 : -ENOMEM;

        for (size_t i = 0; i < from->n && r >= 0; i++) {
                bool found = false;

                for (size_t k = 0; k < to->n && !found; k++)
                        if (!used[k] && strcmp(from->v[i], to->v[k]) == 0)
                                used[k] = found = true;
                if (!found)
                        r = strv_push(ret, from->v[i]);
        }
        free(used);
        return r;
}

static int kargs(const struct strv *append, const struct strv *delete, struct strv *ret)
{
        int r = strv_push(ret, "rpm-ostree");

        if (r >= 0)
                r = strv_push(ret, "kargs");
        for (size_t i = 0; i < append->n && r >= 0; i++)
                r = strv_pushf(ret, "--append-if-missing=%s", append->v[i]);
        for (size_t i = 0; i < delete->n && r >= 0; i++)
                r = strv_pushf(ret, "--delete-if-present=%s", delete->v[i]);
        return r;
}

/*
 * A staged deployment has what vfio-setup gave it: its own parameters, each in place of
 * any other value of that name (a shared list keeps the others' items).
 */
static int with_own(const struct strv *own, struct strv *words)
{
        int r = 0;

        for (size_t i = 0; i < own->n && r >= 0; i++) {
                char *key, *value;

                r = kcmdline_parse_token(own->v[i], &key, &value);
                if (r < 0)
                        break;
                for (size_t k = words->n; !kcmdline_key_merged(key) && k-- > 0 && r >= 0;) {
                        char *wkey, *wvalue;

                        r = kcmdline_parse_token(words->v[k], &wkey, &wvalue);
                        if (r >= 0 && kcmdline_key_equal(wkey, key) && strcmp(words->v[k], own->v[i]) != 0) {
                                free(words->v[k]);
                                memmove(&words->v[k], &words->v[k + 1], (words->n - k - 1) * sizeof(*words->v));
                                words->n--;
                        }
                        if (r >= 0) {
                                free(wkey);
                                free(wvalue);
                        }
                }
                if (r >= 0 && !strv_contains(words, own->v[i]))
                        r = strv_push(words, own->v[i]);
                free(key);
                free(value);
        }
        return r;
}

/*
 * What the pending deployment has: its entry's options.  A staged deployment
 * (rpm-ostree stages by default) has no entry until shutdown: what vfio-setup
 * gave it is known from its state.
 */
static int pending(struct plan_ctx *ctx, char **ret)
{
        struct strv words = { 0 };
        char *line = NULL;
        int r = default_options(ctx, &line);

        if (r >= 0 && !line) {
                r = running_cmdline(ctx, &line);
                if (r == -ENOENT)
                        r = ctx_refuse(ctx, -VS_E_CONFIG, "neither an ostree boot entry in /boot/loader/entries nor "
                                       "/proc/cmdline can be read: the deployment's kernel arguments are unknown");
        }
        if (r >= 0 && sysroot_exists(ctx->sr, "run/ostree/staged-deployment")) {
                r = kcmdline_split(line, &words);
                if (r >= 0)
                        r = with_own(&ctx->m->vfio.tool.params, &words);
                free(line);
                line = r >= 0 ? strv_join(&words, " ") : NULL;
                if (r >= 0 && !line)
                        r = -ENOMEM;
                strv_free(&words);
        }
        if (r < 0) {
                free(line);
                return r;
        }
        *ret = line;
        return 0;
}

static int emit_rpm_ostree(struct plan_ctx *ctx)
{
        struct strv before = { 0 }, after = { 0 }, add = { 0 }, del = { 0 }, argv = { 0 }, undo = { 0 };
        char *line = NULL, *edited = NULL;
        int r;

        if (!sysroot_exists(ctx->sr, "usr/bin/rpm-ostree"))
                return ctx_refuse(ctx, -VS_E_CONFIG, "this system boots ostree deployments, but rpm-ostree is not "
                                  "installed: its kernel arguments are changed with the tool that manages it (bootc, "
                                  "ostree admin kargs); vfio-setup does not edit /boot");
        r = pending(ctx, &line);
        if (r >= 0)
                r = ctx_edit_cmdline(ctx, line, NULL, true, &edited);
        if (r >= 0)
                r = kcmdline_split(line, &before);
        if (r >= 0)
                r = kcmdline_split(edited, &after);
        if (r >= 0)
                r = missing(&after, &before, &add);
        if (r >= 0)
                r = missing(&before, &after, &del);
        if (r >= 0 && (add.n || del.n)) {
                r = kargs(&add, &del, &argv);
                if (r >= 0)
                        r = kargs(&del, &add, &undo);
                if (r >= 0)
                        r = ctx_command_undo(ctx, &argv, &undo);
                if (r >= 0)
                        r = ctx_warn(ctx, "rpm-ostree stages a new deployment with these kernel arguments: they take "
                                          "effect when it boots, at the next reboot (the running system and /boot do "
                                          "not change now)");
        }
        strv_free(&argv);
        strv_free(&undo);
        strv_free(&before);
        strv_free(&after);
        strv_free(&add);
        strv_free(&del);
        free(line);
        free(edited);
        return r;
}

/* The image's initramfs takes no files: what it needs is on the command line (see above). */
static int emit_image_initramfs(struct plan_ctx *ctx)
{
        if (ctx->bootloader != BOOTLOADER_RPM_OSTREE)
                return ctx_refuse(ctx, -VS_E_SELECTION, "the rpm-ostree initramfs goes with the rpm-ostree boot chain "
                                  "(" REMEDY(OSTREE_CHAIN) ")");
        return 0;
}

const struct emitter rpm_ostree_emitter = {
        emit_rpm_ostree, .early_by_cmdline = true,
        .no_trial = "rpm-ostree makes the new deployment the default, and a power cycle does not bring the old one back "
                    "(greenboot adds a fallback after failed boots; the old deployment stays in the boot menu)",
};
const struct emitter rpm_ostree_initramfs_emitter = { emit_image_initramfs };
