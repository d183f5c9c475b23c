/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "remedies.h"
#include "vfio-setup/atomic.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/rom.h"

int cli_rom(struct sysroot *sr, const struct cli_options *opt)
{
        const char *gpu = opt->selection.gpu, *log = getenv("VFIO_SETUP_SYSFS_LOG");
        struct rom_io io = { .write_log = log && *log ? log : NULL };
        struct rom_info info = { 0 };
        unsigned char *data = NULL;
        const struct pci_device *d;
        char *problem = NULL, *named = NULL;
        const char *out = opt->output;
        struct machine *m;
        size_t idx, len = 0;
        int r, code = EXIT_NOT_READY;

        if (!gpu) {
                fprintf(stderr, "vfio-setup: rom: name the GPU: vfio-setup rom --gpu ADDRESS [-o FILE.rom]\n");
                return EXIT_USAGE;
        }
        if (strcmp(opt->root, "/") == 0 && geteuid() != 0) {
                fprintf(stderr, "vfio-setup: rom: reading a card's ROM needs root privileges\n"
                                "hint: sudo vfio-setup rom --gpu %s%s%s\n", gpu, out ? " -o " : "", out ? out : "");
                return EXIT_USAGE;
        }
        r = detect_machine(sr, &m);
        if (r < 0) {
                cli_error("rom", r, NULL);
                return EXIT_USAGE;
        }
        if (machine_find_device(m, gpu, &idx) < 0) {
                fprintf(stderr, "vfio-setup: rom: %s: no such PCI device here\n", gpu);
                machine_free(m);
                return EXIT_USAGE;
        }
        d = &m->devices[idx];
        /* Without -o, a name of its own in the working directory. */
        if (!out && asprintf(&named, "gpu-%s.rom", d->address) < 0) {
                machine_free(m);
                return EXIT_USAGE;
        }
        out = out ? out : named;
        if (!pci_class_is_gpu(d->class_id)) {
                fprintf(stderr, "vfio-setup: rom: %s is not a GPU (class %04x)\n", d->address, d->class_id);
                machine_free(m);
                free(named);
                return EXIT_USAGE;
        }
        r = rom_fetch(sr, d, &io, &data, &len, &info, &problem);
        if (remedy_render_in_place(&problem, cli_remedies) < 0)
                r = -ENOMEM;
        if (r == -VS_E_SELECTION)
                fprintf(stderr, "vfio-setup: rom: %s\n", problem);
        else if (r == -ENOENT)
                fprintf(stderr, "vfio-setup: rom: %s has no ROM the kernel can read (no rom attribute)\n", d->address);
        else if (r < 0)
                fprintf(stderr, "vfio-setup: rom: reading the ROM of %s: %s; the ROM was disabled again\n", d->address,
                        vs_strerror(r));
        else if ((r = output_save(out, data, len, opt->force)) == -EEXIST) {
                fprintf(stderr, "vfio-setup: rom: %s exists; nothing was written\nhint: name another file (-o FILE.rom), "
                                "or add --force to replace it\n", out);
                code = EXIT_USAGE;
        } else if (r < 0) {
                cli_error(out, r, NULL);
                code = EXIT_USAGE;
        } else {
                printf("Saved the ROM of %s (%04x:%04x, %zu bytes) to %s:\n", d->address, d->vendor_id, d->device_id,
                       len, out);
                for (size_t i = 0; i < info.n_images; i++) {
                        char size[32];

                        rom_size_text(info.images[i].length, size, sizeof(size));
                        printf("  image %zu: %s, %s at byte %zu\n", i + 1, rom_code_type_name(info.images[i].code_type),
                               size, info.images[i].offset);
                }
                printf("To give it to the guest, copy it where libvirt may read it and name it in the GPU's "
                       "<hostdev>:\n  sudo install -m 0644 %s /usr/share/vgabios/\n"
                       "  <rom file='/usr/share/vgabios/%s'/>\n",
                       out, strrchr(out, '/') ? strrchr(out, '/') + 1 : out);
                code = EXIT_OK;
        }
        if (r == -ENOMEM)
                code = EXIT_USAGE;
        rom_info_free(&info);
        free(named);
        free(problem);
        free(data);
        machine_free(m);
        return code;
}
