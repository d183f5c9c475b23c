/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "vfio-setup/commands.h"

/*
 * Each argument is a literal, or a literal prefix and one placeholder: {K} a kernel
 * parameter, {KS} parameters separated by blanks, {V} a kernel release, {P} an absolute
 * path, {N} a Proxmox VE guest's id, {Q} an option of qm set or its value; "a|b" is either.  A last "..." repeats the argument before it.
 */
#define MAX_ARGS 6
static const char *const shapes[][MAX_ARGS] = {
        { "update-grub" },
        { "grub-mkconfig", "-o", "/boot/grub/grub.cfg" },
        { "grub2-mkconfig", "-o", "/boot/grub2/grub.cfg" },
        { "update-initramfs", "-u", "-k", "all" },
        { "mkinitcpio", "-P" },
        { "dracut", "--regenerate-all", "-f" },
        { "reinstall-kernels" },
        { "dracut-rebuild" },
        { "/usr/lib/booster/regenerate_images" },
        { "grubby", "--update-kernel=ALL", "--args={KS}|--remove-args={KS}" },
        { "grubby", "--update-kernel=ALL", "--args={KS}", "--remove-args={KS}" },
        { "kernelstub", "-a|-d", "{KS}" },
        { "proxmox-boot-tool", "refresh" },
        { "rpm-ostree", "kargs", "--append-if-missing={K}|--delete-if-present={K}", "..." },
        { "sdbootutil", "mkinitrd|update-all-entries" },
        { "kernel-install", "add", "{V}", "{P}" },
        { "systemd-tmpfiles", "--create", "--prefix=/dev/shm/looking-glass" },
        /* A trial's one-time boot, and its end. */
        { "grub-editenv", "/boot/grub/grubenv", "set", "next_entry=vfio-setup-trial" },
        { "grub-editenv", "/boot/grub/grubenv", "unset", "next_entry" },
        { "grub2-editenv", "/boot/grub2/grubenv", "set", "next_entry=vfio-setup-trial" },
        { "grub2-editenv", "/boot/grub2/grubenv", "unset", "next_entry" },
        { "bootctl", "set-oneshot", "vfio-setup-trial.conf|" },
        /* A Proxmox VE guest's options, and those it had. */
        { "qm", "set", "{N}", "{Q}", "..." },
};

#define PARAM_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:=/+@%-"
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-"

static bool param(const char *s, size_t len)
{
        return len > 0 && len <= 1024 && strspn(s, PARAM_CHARS) >= len;
}

static bool params(const char *s)
{
        for (;;) {
                size_t n = strcspn(s, " ");

                if (!param(s, n))
                        return false;
                if (!s[n])
                        return true;
                s += n + 1;
        }
}

static bool path(const char *s)
{
        if (*s != '/')
                return false;
        for (const char *c = s + 1;;) {
                size_t n = strcspn(c, "/");

                if (n == 0 || strspn(c, NAME_CHARS) < n || (n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
                        return false;
                if (!c[n])
                        return true;
                c += n + 1;
        }
}

/* An option of qm set that vfio-setup sets (or deletes), or a value of one. */
static bool qm_word(const char *s)
{
        static const char *const options[] = { "--machine", "--bios", "--cpu", "--ostype", "--efidisk0", "--tpmstate0",
                                               "--memory", "--hugepages", "--numa", "--affinity", "--ivshmem", "--hookscript",
                                               "--delete" };

        if (strncmp(s, "--hostpci", 9) == 0)
                return s[9] >= '0' && s[9] <= '9' && (!s[10] || (s[10] >= '0' && s[10] <= '5' && s[9] == '1' && !s[11]));
        for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
                if (strcmp(s, options[i]) == 0)
                        return true;
        return *s && *s != '-' && strlen(s) <= 512 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.,:=;/+-") == strlen(s);
}

/* One alternative: a literal, or its prefix and a placeholder; len bytes of pattern. */
static bool matches_one(const char *pattern, size_t len, const char *arg)
{
        const char *open = memchr(pattern, '{', len);
        size_t prefix = open ? (size_t)(open - pattern) : len;
        const char *value = arg + prefix;

        if (strncmp(arg, pattern, prefix) != 0)
                return false;
        if (!open)
                return arg[prefix] == '\0';
        if (len - prefix == 3 && !strncmp(open, "{K}", 3))
                return param(value, strlen(value));
        if (len - prefix == 4 && !strncmp(open, "{KS}", 4))
                return params(value);
        if (len - prefix == 3 && !strncmp(open, "{V}", 3))
                return *value && strspn(value, NAME_CHARS) == strlen(value);
        if (len - prefix == 3 && !strncmp(open, "{P}", 3))
                return path(value);
        if (len - prefix == 3 && !strncmp(open, "{N}", 3))
                return *value && strlen(value) <= 9 && strspn(value, "0123456789") == strlen(value) && *value != '0';
        if (len - prefix == 3 && !strncmp(open, "{Q}", 3))
                return qm_word(value);
        return false;
}

static bool matches(const char *pattern, const char *arg)
{
        for (;;) {
                size_t n = strcspn(pattern, "|");

                if (matches_one(pattern, n, arg))
                        return true;
                if (!pattern[n])
                        return false;
                pattern += n + 1;
        }
}

static bool fits(const char *const *shape, const struct strv *argv)
{
        size_t k = 0;

        for (size_t i = 0; i < argv->n; i++) {
                if (k < MAX_ARGS && shape[k] && strcmp(shape[k], "...") == 0)
                        k--;
                if (k >= MAX_ARGS || !shape[k] || !matches(shape[k], argv->v[i]))
                        return false;
                k++;
        }
        return k == MAX_ARGS || !shape[k] || strcmp(shape[k], "...") == 0;
}

bool command_known(const struct strv *argv)
{
        for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
                if (argv->n > 0 && fits(shapes[i], argv))
                        return true;
        return false;
}
