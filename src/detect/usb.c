/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"

/*
 * What is plugged into each USB controller: the devices below its root hubs
 * (sys/bus/pci/devices/ADDR/usbN/N-P[.P...]), hubs left out, each by the
 * names the device gives itself.  Passing the controller takes them all.
 */
#define USB_DEPTH 6             /* hubs on hubs: the USB tiers below a root hub */
#define USB_MAX_DEVICES 32

static bool is_port(const char *name)
{
        const char *dash = strchr(name, '-');

        return dash && dash > name && strspn(name, "0123456789") == (size_t)(dash - name) && dash[1] &&
               strspn(dash + 1, "0123456789.") == strlen(dash + 1);
}

static char *attribute(const struct sysroot *sr, const char *dir, const char *name)
{
        char path[512], *value = NULL;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return sysroot_read_line(sr, path, &value) == 0 ? value : NULL;
}

static int device(const struct sysroot *sr, const char *dir, struct strv *out)
{
        char *class = attribute(sr, dir, "bDeviceClass"), *maker = attribute(sr, dir, "manufacturer"),
             *product = attribute(sr, dir, "product"), *vid = NULL, *pid = NULL;
        int r = 0;

        /* Hubs pass their ports on: what hangs below them is listed instead. */
        if (class && strcmp(class, "09") == 0)
                goto out;
        if (product)
                r = strv_pushf(out, "%s%s%s", maker && !strstr(product, maker) ? maker : "",
                               maker && !strstr(product, maker) ? " " : "", product);
        else if ((vid = attribute(sr, dir, "idVendor")) && (pid = attribute(sr, dir, "idProduct")))
                r = strv_pushf(out, "USB device %s:%s", vid, pid);
out:
        free(class);
        free(maker);
        free(product);
        free(vid);
        free(pid);
        return r;
}

static int walk(const struct sysroot *sr, const char *dir, int depth, struct strv *out)
{
        struct strv names = { 0 };
        int r = sysroot_list(sr, dir, &names);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        strv_sort(&names);
        for (size_t i = 0; i < names.n && r >= 0 && out->n < USB_MAX_DEVICES; i++) {
                char *child;

                if (!is_port(names.v[i]))
                        continue;
                if (asprintf(&child, "%s/%s", dir, names.v[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = device(sr, child, out);
                if (r >= 0 && depth < USB_DEPTH)
                        r = walk(sr, child, depth + 1, out);
                free(child);
        }
        strv_free(&names);
        return r;
}

int detect_usb(const struct sysroot *sr, struct machine *m)
{
        int r = 0;

        for (size_t i = 0; i < m->n_devices && r >= 0; i++) {
                struct pci_device *d = &m->devices[i];
                struct strv names = { 0 };
                char dir[128];

                if (!d->class_known || d->class_id != 0x0c03)
                        continue;
                snprintf(dir, sizeof(dir), "sys/bus/pci/devices/%s", d->address);
                r = sysroot_list(sr, dir, &names);
                if (r < 0) {
                        r = r == -ENOMEM ? r : 0;
                        continue;
                }
                for (size_t k = 0; k < names.n && r >= 0; k++) {
                        char root_hub[192];

                        if (strncmp(names.v[k], "usb", 3) != 0 || !names.v[k][3] ||
                            strspn(names.v[k] + 3, "0123456789") != strlen(names.v[k] + 3))
                                continue;
                        snprintf(root_hub, sizeof(root_hub), "%s/%s", dir, names.v[k]);
                        r = walk(sr, root_hub, 1, &d->usb_devices);
                }
                strv_free(&names);
        }
        return r;
}
