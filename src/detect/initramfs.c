/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define I(kind, path, weight) { INITRAMFS_##kind, path, false, weight }

static const struct probe initramfs_probes[] = {
        I(MKINITCPIO, "usr/bin/mkinitcpio", 5),
        I(MKINITCPIO, "etc/mkinitcpio.conf", 4),
        I(MKINITCPIO, "etc/mkinitcpio.d/*.preset", 2),
        I(DRACUT, "usr/bin/dracut", 5),
        I(DRACUT, "usr/sbin/dracut", 5),
        I(DRACUT, "etc/dracut.conf", 2),
        I(DRACUT, "etc/dracut.conf.d/*.conf", 2),
        I(INITRAMFS_TOOLS, "usr/sbin/update-initramfs", 5),
        I(INITRAMFS_TOOLS, "etc/initramfs-tools/initramfs.conf", 4),
        I(INITRAMFS_TOOLS, "boot/initrd.img-*", 2),
        I(BOOSTER, "usr/bin/booster", 5),
        I(BOOSTER, "etc/booster.yaml", 4),
        I(BOOSTER, "boot/booster-*.img", 2),
};

/*
 * What each distribution generates its initramfs with by default; it breaks
 * ties when several generators are installed.  The first row naming the
 * distribution's ID or one of its ID_LIKE wins, so derivatives that differ
 * from their parent come first.
 */
static const struct {
        const char *id;
        enum initramfs_kind kind;
} distro_defaults[] = {
        { "endeavouros", INITRAMFS_DRACUT },
        { "arch", INITRAMFS_MKINITCPIO },
        { "fedora", INITRAMFS_DRACUT },
        { "rhel", INITRAMFS_DRACUT },
        { "suse", INITRAMFS_DRACUT },
        { "opensuse", INITRAMFS_DRACUT },
        { "gentoo", INITRAMFS_DRACUT },
        { "void", INITRAMFS_DRACUT },
        { "debian", INITRAMFS_INITRAMFS_TOOLS },
        { "ubuntu", INITRAMFS_INITRAMFS_TOOLS },
};

static const char *kind_name(int kind)
{
        return initramfs_name((enum initramfs_kind)kind);
}

static int distro_default(const struct distro_info *d)
{
        for (size_t i = 0; i < sizeof(distro_defaults) / sizeof(distro_defaults[0]); i++)
                if (distro_is(d, distro_defaults[i].id))
                        return (int)distro_defaults[i].kind;
        return INITRAMFS_UNKNOWN;
}

int detect_initramfs(const struct sysroot *sr, struct machine *m)
{
        struct probe_bonus bonus = { 0 };
        char *why = NULL;
        int kind, r;

        kind = distro_default(&m->distro);
        if (kind != INITRAMFS_UNKNOWN) {
                if (asprintf(&why, "%s's default generator", m->distro.name ? m->distro.name : m->distro.id) < 0)
                        return -ENOMEM;
                bonus = (struct probe_bonus){ kind, 1, why, true };
        }
        r = probe_score(sr, m, initramfs_probes, sizeof(initramfs_probes) / sizeof(initramfs_probes[0]),
                        &bonus, why ? 1 : 0, _INITRAMFS_MAX, kind_name, &m->initramfs);
        free(why);
        /* An ostree deployment boots the initramfs of its image (or one rpm-ostree builds): dracut's files are inert. */
        if (r >= 0 && m->bootloader.kind == BOOTLOADER_RPM_OSTREE) {
                if (m->initramfs.kind != INITRAMFS_UNKNOWN)
                        r = strv_push(&m->initramfs.also_found, kind_name(m->initramfs.kind));
                strv_free(&m->initramfs.evidence);
                m->initramfs.kind = INITRAMFS_RPM_OSTREE;
                if (r >= 0)
                        r = strv_push(&m->initramfs.evidence, "the deployment's own, as rpm-ostree manages the boot chain");
        }
        return r;
}
