/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pciaddr.h"
#include "pci_names.h"

/* The attributes vfio-setup, libpci and lspci read, named for `snapshot`; config is read as its standard header. */
static const struct {
        const char *name;
        size_t limit;
} pci_attributes[] = {
        { "vendor", 0 }, { "device", 0 }, { "class", 0 }, { "revision", 0 },
        { "subsystem_vendor", 0 }, { "subsystem_device", 0 }, { "irq", 0 },
        { "resource", 0 }, { "config", 256 }, { "modalias", 0 }, { "uevent", 0 },
};

static int warn(struct machine *m, const char *address, const char *what)
{
        return strv_pushf(&m->warnings, "PCI device %s: %s", address, what);
}

/*
 * The identity of a device, read through the root (never by libpci, which would follow a
 * tree's absolute links out of it), in one read where it can be:
 * - uevent, which the kernel writes from what it holds (PCI_ID, PCI_CLASS), as it does the
 *   vendor, device and class attributes: no config cycle, and a runtime-suspended device (a
 *   laptop's sleeping GPU) is not woken;
 * - else the standard config header (a tree captured or built without uevent), except where
 *   it reads all ones for vendor and device: a virtual function's header does;
 * - else the attributes, one each.
 */
static bool hex_value(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
        unsigned v;

        if (len == 0 || !hex_n(s, len, &v) || v > max)
                return false;
        *ret = v;
        return true;
}

static bool from_uevent(const struct sysroot_dir *dir, unsigned long *ret_vendor, unsigned long *ret_device,
                        unsigned long *ret_class)
{
        unsigned long vendor = 0, device = 0, class = 0;
        bool have_id = false, have_class = false;
        char buf[1024];

        if (sysroot_dir_read(dir, "uevent", buf, sizeof(buf), NULL) < 0)
                return false;
        for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                const char *colon;
                size_t len;

                nl = strchr(line, '\n');
                len = nl ? (size_t)(nl - line) : strlen(line);
                if (startswith(line, "PCI_ID=") && (colon = memchr(line, ':', len)))
                        have_id = hex_value(line + 7, (size_t)(colon - line - 7), 0xffff, &vendor) &&
                                  hex_value(colon + 1, len - (size_t)(colon + 1 - line), 0xffff, &device);
                else if (startswith(line, "PCI_CLASS="))
                        have_class = hex_value(line + 10, len - 10, 0xffffff, &class);
        }
        if (!have_id || !have_class)
                return false;
        *ret_vendor = vendor;
        *ret_device = device;
        *ret_class = class;
        return true;
}

static bool from_config(const struct sysroot_dir *dir, unsigned long *ret_vendor, unsigned long *ret_device,
                        unsigned long *ret_class)
{
        unsigned char cfg[13];
        size_t len;

        if (sysroot_dir_read(dir, "config", (char *)cfg, sizeof(cfg), &len) < 0 || len < 12 ||
            (cfg[0] == 0xff && cfg[1] == 0xff))
                return false;
        *ret_vendor = cfg[0] | (unsigned)cfg[1] << 8;
        *ret_device = cfg[2] | (unsigned)cfg[3] << 8;
        *ret_class = cfg[9] | (unsigned)cfg[10] << 8 | (unsigned)cfg[11] << 16;
        return true;
}

static bool attr(const struct sysroot_dir *dir, const char *name, unsigned long max, unsigned long *ret)
{
        unsigned long v;

        if (sysroot_dir_read_uint(dir, name, &v) < 0 || v > max)
                return false;
        *ret = v;
        return true;
}

static int read_ids(const struct sysroot_dir *dir, struct pci_device *d, struct machine *m)
{
        unsigned long vendor = 0, device = 0, class = 0;
        bool have_ids, have_class;

        have_ids = have_class = from_uevent(dir, &vendor, &device, &class) || from_config(dir, &vendor, &device, &class);
        if (!have_ids) {
                have_ids = attr(dir, "vendor", 0xffff, &vendor) && attr(dir, "device", 0xffff, &device);
                have_class = attr(dir, "class", 0xffffff, &class);
        }
        /* A vendor id of all ones is what a read of an absent device gives; a device id may be anything. */
        d->ids_known = have_ids && vendor != 0xffff;
        d->class_known = have_class;
        if (d->ids_known) {
                d->vendor_id = (uint16_t)vendor;
                d->device_id = (uint16_t)device;
        }
        if (have_class) {
                d->class_id = (uint16_t)(class >> 8);
                d->prog_if = (uint8_t)class;
        }
        if (!d->ids_known && warn(m, d->address, "vendor or device id unreadable; shown as unknown") < 0)
                return -ENOMEM;
        if (!d->class_known)
                return warn(m, d->address, "class unreadable; shown as unknown");
        return 0;
}

/* A link's or an attribute's trouble, said with its path; a missing one is no trouble. */
static int warn_entry(struct machine *m, const struct sysroot_dir *dir, const char *name, int err)
{
        char path[160];

        if (err == -ENOENT)
                return 0;
        snprintf(path, sizeof(path), "%s/%s", dir->rel, name);
        return detect_warn_file(m, path, err);
}

static int read_links(const struct sysroot_dir *dir, struct pci_device *d, struct machine *m)
{
        char path[160], *group;
        unsigned long v;
        int r;

        r = sysroot_dir_readlink_base(dir, "driver", &d->driver);
        if (r < 0 && (r = warn_entry(m, dir, "driver", r)) < 0)
                return r;
        /* The module behind the driver ("bochs" for bochs-drm): none when the driver is built in. */
        snprintf(path, sizeof(path), "%s/driver/module", dir->rel);
        r = d->driver ? sysroot_readlink_base(dir->sr, path, &d->driver_module) : -ENOENT;
        if (r < 0 && (r = warn_entry(m, dir, "driver/module", r)) < 0)
                return r;
        /* It goes into modprobe.d, whose words cannot hold anything but a module's name. */
        if (d->driver_module && !module_name_ok(d->driver_module)) {
                r = strv_pushf(&m->warnings, "/%s: \"%s\" is no module name; left out", path, d->driver_module);
                free(d->driver_module);
                d->driver_module = NULL;
                if (r < 0)
                        return r;
        }

        r = sysroot_dir_readlink_base(dir, "iommu_group", &group);
        if (r == 0) {
                char *end;

                errno = 0;
                v = strtoul(group, &end, 10);
                if (*group && !*end && !errno && v <= 0x7fffffff)
                        d->iommu_group = (int)v;
                else if ((r = warn(m, d->address, "iommu_group link names no group number")) < 0) {
                        free(group);
                        return r;
                }
                free(group);
        } else if ((r = warn_entry(m, dir, "iommu_group", r)) < 0)
                return r;

        if ((d->class_id >> 8) == 0x03) {
                r = sysroot_dir_read_uint(dir, "boot_vga", &v);
                if (r == 0)
                        d->boot_vga = v != 0;
                else if ((r = warn_entry(m, dir, "boot_vga", r)) < 0)
                        return r;
        }
        return 0;
}

static void note_attributes(const struct sysroot *sr, const char *address)
{
        for (size_t i = 0; i < sizeof(pci_attributes) / sizeof(pci_attributes[0]); i++) {
                char path[128];

                snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/%s", address, pci_attributes[i].name);
                if (sysroot_exists(sr, path))
                        sysroot_note(sr, SYSROOT_USE_READ, path, pci_attributes[i].limit);
        }
}

static int cmp_device(const void *a, const void *b)
{
        return pci_address_cmp(a, b);
}

static int read_device(const struct sysroot *sr, const char *name, struct pci_device *d, struct machine *m)
{
        struct sysroot_dir dir;
        char path[160];
        int r;

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", name);
        if (sysroot_recording(sr))
                note_attributes(sr, name);
        r = sysroot_dir_open(sr, path, &dir);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return warn(m, d->address, "its sysfs entry is a dangling link; shown as unknown");
        r = read_ids(&dir, d, m);
        if (r >= 0)
                r = read_links(&dir, d, m);
        sysroot_dir_close(&dir);
        return r;
}

static int scan(const struct sysroot *sr, const struct strv *names, struct machine *m)
{
        int r;

        m->devices = calloc(names->n ? names->n : 1, sizeof(*m->devices));
        if (!m->devices)
                return -ENOMEM;
        for (size_t i = 0; i < names->n; i++) {
                struct pci_device *d = &m->devices[m->n_devices];
                *d = (struct pci_device){ .iommu_group = PCI_GROUP_NONE, .boot_vga = -1 };
                if (pci_address_parse(names->v[i], &d->domain, &d->bus, &d->dev, &d->func) < 0) {
                        r = strv_pushf(&m->warnings, "sys/bus/pci/devices/%s: not a PCI address, ignored", names->v[i]);
                        if (r < 0)
                                return r;
                        continue;
                }
                pci_address_format(d->domain, d->bus, d->dev, d->func, d->address);
                m->n_devices++;
                r = read_device(sr, names->v[i], d, m);
                if (r < 0)
                        return r;
        }
        qsort(m->devices, m->n_devices, sizeof(*m->devices), cmp_device);
        return 0;
}

int detect_pci(const struct sysroot *sr, struct machine *m)
{
        struct strv names = { 0 };
        char *database;
        int r;

        r = sysroot_list(sr, "sys/bus/pci/devices", &names);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return detect_warn_file(m, "sys/bus/pci/devices", r);
        r = scan(sr, &names, m);
        strv_free(&names);
        /* The host's ID database names devices of any root the same way, as lspci names them; udev's hwdb would not. */
        if (r >= 0 && (r = pci_names_database(&database)) >= 0) {
                r = pci_names_fill(database, m->devices, m->n_devices);
                free(database);
        }
        return r;
}
