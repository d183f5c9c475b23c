/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pciaddr.h"

/*
 * libpci reports fatal errors (an unreadable ID database) through a callback
 * that must not return, and its default one exits the process.  Ours jumps
 * back to the guarded call, so the program goes on without names (and never
 * leaves a terminal in curses mode).
 */
static jmp_buf *pci_jump;

static void __attribute__((noreturn)) pci_error(char *msg, ...)
{
        (void)msg;
        longjmp(*pci_jump, 1);
}

/* Library code never prints; the facts libpci warns about are checked below. */
static void pci_quiet(char *msg, ...)
{
        (void)msg;
}

/* Attributes libpci and lspci read, named for `snapshot`; config is read as its standard header. */
static const struct {
        const char *name;
        size_t limit;
} pci_attributes[] = {
        { "vendor", 0 }, { "device", 0 }, { "class", 0 }, { "revision", 0 },
        { "subsystem_vendor", 0 }, { "subsystem_device", 0 }, { "irq", 0 },
        { "resource", 0 }, { "config", 256 }, { "modalias", 0 },
};

static int warn(struct machine *m, const char *address, const char *what)
{
        return strv_pushf(&m->warnings, "PCI device %s: %s", address, what);
}

/*
 * The identity of a device, read from its sysfs attributes through the root
 * (never by libpci, which would follow a tree's absolute links out of it);
 * what an attribute lacks, the standard config header gives.
 */
static bool attr(const struct sysroot *sr, const char *address, const char *name, unsigned long max, unsigned long *ret)
{
        char path[128];
        unsigned long v;

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/%s", address, name);
        if (sysroot_read_uint(sr, path, &v) < 0 || v > max)
                return false;
        *ret = v;
        return true;
}

static int read_ids(const struct sysroot *sr, struct pci_device *d, struct machine *m)
{
        unsigned long vendor = 0, device = 0, class = 0, revision = 0;
        unsigned char *cfg = NULL;
        size_t cfg_len = 0;
        char path[128];
        bool have_vendor, have_device, have_class, have_rev;

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s", d->address);
        if (!sysroot_is_dir(sr, path))
                return warn(m, d->address, "its sysfs entry is a dangling link; shown as unknown");
        have_vendor = attr(sr, d->address, "vendor", 0xffff, &vendor);
        have_device = attr(sr, d->address, "device", 0xffff, &device);
        have_class = attr(sr, d->address, "class", 0xffffff, &class);
        have_rev = attr(sr, d->address, "revision", 0xff, &revision);
        if (!(have_vendor && have_device && have_class && have_rev)) {
                snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/config", d->address);
                if (sysroot_read(sr, path, 64, (char **)&cfg, &cfg_len) < 0)
                        cfg_len = 0;
        }
        if (cfg_len >= 12) {
                vendor = have_vendor ? vendor : (cfg[0] | (unsigned)cfg[1] << 8);
                device = have_device ? device : (cfg[2] | (unsigned)cfg[3] << 8);
                revision = have_rev ? revision : cfg[8];
                class = have_class ? class : (cfg[9] | (unsigned)cfg[10] << 8 | (unsigned)cfg[11] << 16);
                have_vendor = have_device = have_class = have_rev = true;
        }
        free(cfg);
        /* A vendor id of all ones is what a read of an absent device gives; a device id may be anything. */
        d->ids_known = have_vendor && have_device && vendor != 0xffff;
        d->class_known = have_class;
        if (d->ids_known) {
                d->vendor_id = (uint16_t)vendor;
                d->device_id = (uint16_t)device;
        }
        if (have_class) {
                d->class_id = (uint16_t)(class >> 8);
                d->prog_if = (uint8_t)class;
        }
        if (have_rev)
                d->revision = (uint8_t)revision;
        if (!d->ids_known && warn(m, d->address, "vendor or device id unreadable; shown as unknown") < 0)
                return -ENOMEM;
        if (!d->class_known)
                return warn(m, d->address, "class unreadable; shown as unknown");
        return 0;
}

static int lookup_names(struct pci_access *acc, struct pci_device *d)
{
        char buf[256], *name;
        jmp_buf jump;

        if (!d->ids_known && !d->class_known)
                return 0;
        pci_jump = &jump;
        if (setjmp(jump)) {
                /* No ID database: numbers only. */
                pci_jump = NULL;
                return 0;
        }
        if (d->class_known) {
                name = pci_lookup_name(acc, buf, sizeof(buf), PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS, d->class_id);
                if (name && !(d->class_name = strdup(name))) {
                        pci_jump = NULL;
                        return -ENOMEM;
                }
        }
        if (!d->ids_known) {
                pci_jump = NULL;
                return 0;
        }
        name = pci_lookup_name(acc, buf, sizeof(buf), PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, d->vendor_id);
        if (name && !(d->vendor_name = strdup(name))) {
                pci_jump = NULL;
                return -ENOMEM;
        }
        name = pci_lookup_name(acc, buf, sizeof(buf), PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                               d->vendor_id, d->device_id);
        pci_jump = NULL;
        if (name && !(d->device_name = strdup(name)))
                return -ENOMEM;
        return 0;
}

static int read_links(const struct sysroot *sr, struct pci_device *d, struct machine *m)
{
        char path[128], *group;
        unsigned long v;
        int r;

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver", d->address);
        r = sysroot_readlink_base(sr, path, &d->driver);
        if (r < 0 && r != -ENOENT && (r = detect_warn_file(m, path, r)) < 0)
                return r;
        /* The module behind the driver ("bochs" for bochs-drm): none when the driver is built in. */
        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver/module", d->address);
        r = d->driver ? sysroot_readlink_base(sr, path, &d->driver_module) : -ENOENT;
        if (r < 0 && r != -ENOENT && (r = detect_warn_file(m, path, r)) < 0)
                return r;
        /* It goes into modprobe.d, whose words cannot hold anything but a module's name. */
        if (d->driver_module && !module_name_ok(d->driver_module)) {
                r = strv_pushf(&m->warnings, "/%s: \"%s\" is no module name; left out", path, d->driver_module);
                free(d->driver_module);
                d->driver_module = NULL;
                if (r < 0)
                        return r;
        }

        snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/iommu_group", d->address);
        r = sysroot_readlink_base(sr, path, &group);
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
        } else if (r != -ENOENT && (r = detect_warn_file(m, path, r)) < 0)
                return r;

        if ((d->class_id >> 8) == 0x03) {
                snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/boot_vga", d->address);
                r = sysroot_read_uint(sr, path, &v);
                if (r == 0)
                        d->boot_vga = v != 0;
                else if (r != -ENOENT && (r = detect_warn_file(m, path, r)) < 0)
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

static int scan(struct pci_access *acc, const struct sysroot *sr, const struct strv *names, struct machine *m)
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

                if (sysroot_recording(sr))
                        note_attributes(sr, names->v[i]);
                r = read_ids(sr, d, m);
                if (r >= 0)
                        r = lookup_names(acc, d);
                if (r >= 0)
                        r = read_links(sr, d, m);
                if (r < 0)
                        return r;
        }
        qsort(m->devices, m->n_devices, sizeof(*m->devices), cmp_device);
        return 0;
}

int detect_pci(const struct sysroot *sr, struct machine *m)
{
        struct pci_access *acc;
        struct strv names = { 0 };
        int r;

        r = sysroot_list(sr, "sys/bus/pci/devices", &names);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return detect_warn_file(m, "sys/bus/pci/devices", r);

        /* libpci only names devices, from the host's ID database: it opens nothing of the tree. */
        acc = pci_alloc();
        acc->error = pci_error;
        acc->warning = pci_quiet;
        acc->debug = pci_quiet;
        /* The host's ID database names devices of any root the same way; udev's hwdb would not. */
        acc->id_lookup_mode = PCI_LOOKUP_NO_HWDB;
        r = scan(acc, sr, &names, m);
        pci_cleanup(acc);
        strv_free(&names);
        return r;
}
