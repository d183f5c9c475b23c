/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vfio-setup/snapshot.h"

/* "machine.tar.gz" unpacks into "machine/". */
static char *top_dir(const char *output)
{
        const char *base = strrchr(output, '/');
        static const char *const suffixes[] = { ".tar.gz", ".tgz", ".tar" };
        char *top;

        base = base ? base + 1 : output;
        top = strdup(*base ? base : "snapshot");
        if (!top)
                return NULL;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                size_t len = strlen(top), sl = strlen(suffixes[i]);

                if (len > sl && strcmp(top + len - sl, suffixes[i]) == 0) {
                        top[len - sl] = '\0';
                        break;
                }
        }
        return top;
}

int cli_snapshot(struct sysroot *sr, const struct cli_options *opt)
{
        struct snapshot_stats st;
        char *top;
        int r;

        if (!opt->output) {
                cli_error("snapshot", -EINVAL, "name the archive: vfio-setup snapshot -o machine.tar.gz");
                return EXIT_USAGE;
        }
        top = top_dir(opt->output);
        if (!top) {
                cli_error("snapshot", -ENOMEM, NULL);
                return EXIT_USAGE;
        }
        r = snapshot_write(sr, opt->output, top, &st);
        if (r < 0) {
                free(top);
                cli_error(opt->output, r, NULL);
                return EXIT_USAGE;
        }
        /* Made with sudo, the archive belongs to the user who asked for it, who will send it on. */
        if (getuid() == 0 && getenv("SUDO_UID") && getenv("SUDO_GID") &&
            chown(opt->output, (uid_t)strtoul(getenv("SUDO_UID"), NULL, 10), (gid_t)strtoul(getenv("SUDO_GID"), NULL, 10)) < 0)
                fprintf(stderr, "vfio-setup: %s: could not hand it to the sudo user: %s\n", opt->output, strerror(errno));
        if (opt->list)
                for (size_t i = 0; i < st.paths.n; i++)
                        printf("/%s\n", st.paths.v[i]);
        printf("wrote %s: %zu files (%zu bytes), %zu empty placeholders, %zu links, %zu directories\n",
               opt->output, st.files, st.bytes, st.placeholders, st.links, st.dirs);
        printf("it holds what detection reads: PCI sysfs attributes, IOMMU groups, DMI, cpuinfo, the kernel\n"
               "command line, os-release, boot and initramfs configuration, modprobe.d and modules.builtin;\n"
               "no home directories, no credentials%s (--list shows every path)\n",
               st.refused ? ", and some private paths were refused" : "");
        printf("unpacked (tar xzf %s), %s/ is a root for: vfio-setup --root %s detect\n", opt->output, top, top);
        snapshot_stats_free(&st);
        free(top);
        return EXIT_OK;
}
