/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-setup/card.h"
#include "vfio-setup/cpulist.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pciaddr.h"
#include "vfio-setup/strbuf.h"

/* Value of the last "# key:" line, or def. */
static const char *key(const struct card *c, const char *name, const char *def)
{
        const char *found = def;
        size_t len = strlen(name);

        for (size_t i = 0; i < c->keys.n; i++)
                if (strncmp(c->keys.v[i], name, len) == 0 && c->keys.v[i][len] == '\t')
                        found = c->keys.v[i] + len + 1;
        return found;
}

static bool yes(const struct card *c, const char *name, bool def)
{
        const char *v = key(c, name, def ? "yes" : "no");

        return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static int mkdir_p(const char *path)
{
        char *copy = strdup(path);
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *p = copy + 1; r == 0; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                *p = c;
                if (!c)
                        break;
        }
        free(copy);
        return r;
}

struct builder {
        const char *root;
        int err;
};

static char *__attribute__((format(printf, 2, 3))) rooted(struct builder *b, const char *fmt, ...)
{
        char *rel, *path = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&rel, fmt, ap) < 0)
                rel = NULL;
        va_end(ap);
        if (!rel || asprintf(&path, "%s/%s", b->root, rel[0] == '/' ? rel + 1 : rel) < 0)
                path = NULL;
        free(rel);
        if (!path && b->err == 0)
                b->err = -ENOMEM;
        return path;
}

static int parent_dirs(const char *path)
{
        char *copy = strdup(path);
        int r;

        if (!copy)
                return -ENOMEM;
        r = mkdir_p(dirname(copy));
        free(copy);
        return r;
}

static void write_path(struct builder *b, char *path, const void *data, size_t len, bool append)
{
        int fd, r;

        if (!path || b->err < 0) {
                free(path);
                return;
        }
        r = parent_dirs(path);
        fd = r < 0 ? -1 : open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len)
                b->err = r < 0 ? r : -errno;
        if (fd >= 0)
                close(fd);
        free(path);
}

static void write_text(struct builder *b, char *path, const char *text)
{
        write_path(b, path, text, strlen(text), false);
}

/* A sysfs attribute: the value and a newline. */
static void write_lines(struct builder *b, char *path, const char *value)
{
        char *line;

        if (asprintf(&line, "%s\n", value) < 0) {
                free(path);
                b->err = b->err ? b->err : -ENOMEM;
                return;
        }
        write_text(b, path, line);
        free(line);
}

static void make_dir(struct builder *b, char *path)
{
        if (path && b->err == 0)
                b->err = mkdir_p(path);
        free(path);
}

static void make_link(struct builder *b, char *path, const char *target)
{
        if (path && b->err == 0 && (b->err = parent_dirs(path)) == 0 && symlink(target, path) < 0 && errno != EEXIST)
                b->err = -errno;
        free(path);
}

static void copy_file(struct builder *b, const struct card *c, const char *src, char *dest)
{
        char *from = NULL, *data = NULL;
        size_t len = 0;
        FILE *f;

        if (asprintf(&from, "%s/%s", c->dir, src) < 0) {
                free(dest);
                b->err = -ENOMEM;
                return;
        }
        f = fopen(from, "re");
        free(from);
        if (!f) {
                free(dest);
                if (b->err == 0)
                        b->err = -errno;
                return;
        }
        /* Read whole, NUL bytes included: an EFI variable is binary. */
        for (size_t cap = 0, k;; len += k) {
                if (len == cap) {
                        char *nb = realloc(data, cap = cap ? cap * 2 : 4096);

                        if (!nb) {
                                b->err = -ENOMEM;
                                break;
                        }
                        data = nb;
                }
                k = fread(data + len, 1, cap - len, f);
                if (k == 0)
                        break;
        }
        fclose(f);
        write_path(b, dest, data ? data : "", len, false);
        free(data);
}

static bool listed(const struct card *c, unsigned dom, unsigned bus, unsigned dev, unsigned fn)
{
        for (size_t i = 0; i < c->n_devices; i++)
                if (c->devices[i].domain == dom && c->devices[i].bus == bus && c->devices[i].dev == dev &&
                    c->devices[i].func == fn)
                        return true;
        return false;
}

/*
 * "# secondary-bus: BRIDGE BUS": the bus behind a bridge of the card.  The kernel nests a
 * device's directory below the bridges it sits behind (devices/pci0000:00/0000:00:01.0/
 * 0000:01:00.0); without the key a bus hangs off the host bridge.  -VS_E_CARD_SYNTAX for a
 * bridge the card does not list or a chain of buses that does not end.
 */
struct secondary_bus {
        unsigned dom, bus, dev, fn;     /* the bridge */
        unsigned secondary;
};

/* Key i as a secondary-bus line: 1, 0 when it is another key, -VS_E_CARD_SYNTAX when malformed. */
static int secondary_bus_key(const struct card *c, size_t i, struct secondary_bus *ret)
{
        char bdf[32];

        if (!startswith(c->keys.v[i], "secondary-bus\t"))
                return 0;
        if (sscanf(c->keys.v[i] + strlen("secondary-bus\t"), "%31s %x", bdf, &ret->secondary) != 2 ||
            pci_address_parse(bdf, &ret->dom, &ret->bus, &ret->dev, &ret->fn) < 0 ||
            !listed(c, ret->dom, ret->bus, ret->dev, ret->fn))
                return -VS_E_CARD_SYNTAX;
        return 1;
}

static int pci_dir(const struct card *c, unsigned dom, unsigned bus, unsigned dev, unsigned fn, char *out, size_t size)
{
        char chain[16][16];
        int depth = 0, at;

        pci_address_format(dom, bus, dev, fn, chain[depth++]);
        for (bool found = true; found;) {
                found = false;
                for (size_t i = 0; i < c->keys.n && !found; i++) {
                        struct secondary_bus k;
                        int r = secondary_bus_key(c, i, &k);

                        if (r < 0)
                                return r;
                        if (r == 0 || k.dom != dom || k.secondary != bus)
                                continue;
                        if (depth == (int)(sizeof(chain) / sizeof(chain[0])))
                                return -VS_E_CARD_SYNTAX;
                        pci_address_format(k.dom, k.bus, k.dev, k.fn, chain[depth++]);
                        bus = k.bus;
                        found = true;
                }
        }
        at = snprintf(out, size, "devices/pci%04x:00", dom);
        while (depth > 0 && at > 0 && (size_t)at < size)
                at += snprintf(out + at, size - (size_t)at, "/%s", chain[--depth]);
        return at > 0 && (size_t)at < size ? 0 : -ENAMETOOLONG;
}

/* The way up from a directory below sys (as pci_dir gives it) to sys itself. */
static void up_to_sys(const char *rel, char *out, size_t size)
{
        size_t n = 0;

        out[0] = '\0';
        for (const char *p = rel; p && *p && n + 4 <= size; p = strchr(p, '/'), p = p ? p + 1 : NULL)
                n += (size_t)snprintf(out + n, size - n, "../");
}

static void device_files(struct builder *b, const struct card *c, const struct card_device *d, bool kernel_iommu,
                         unsigned boot[4], bool have_boot)
{
        char addr[16], rel[256], dir[260], up[64], buf[512];
        unsigned char config[256] = { 0 };
        bool multi = false;
        int r;

        pci_address_format(d->domain, d->bus, d->dev, d->func, addr);
        r = pci_dir(c, d->domain, d->bus, d->dev, d->func, rel, sizeof(rel));
        if (r < 0) {
                b->err = b->err ? b->err : r;
                return;
        }
        snprintf(dir, sizeof(dir), "sys/%s", rel);
        up_to_sys(rel, up, sizeof(up));
        snprintf(buf, sizeof(buf), "0x%04x\n", d->vendor_id);
        write_text(b, rooted(b, "%s/vendor", dir), buf);
        snprintf(buf, sizeof(buf), "0x%04x\n", d->device_id);
        write_text(b, rooted(b, "%s/device", dir), buf);
        snprintf(buf, sizeof(buf), "0x%04x%02x\n", d->class_id, d->prog_if);
        write_text(b, rooted(b, "%s/class", dir), buf);
        snprintf(buf, sizeof(buf), "0x%02x\n", d->revision);
        write_text(b, rooted(b, "%s/revision", dir), buf);
        write_text(b, rooted(b, "%s/subsystem_vendor", dir), "0x0000\n");
        write_text(b, rooted(b, "%s/subsystem_device", dir), "0x0000\n");
        write_text(b, rooted(b, "%s/irq", dir), "0\n");
        write_text(b, rooted(b, "%s/numa_node", dir), "-1\n");
        /* Six BARs, the ROM and the bridge windows: 13 empty resources, as sysfs lists them. */
        for (int i = 0; i < 13; i++) {
                static const char empty[] = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
                write_path(b, rooted(b, "%s/resource", dir), empty, sizeof(empty) - 1, i > 0);
        }
        snprintf(buf, sizeof(buf), "pci:v0000%04Xd0000%04Xsv00000000sd00000000bc%02Xsc%02Xi%02X\n", d->vendor_id,
                 d->device_id, d->class_id >> 8, d->class_id & 0xff, d->prog_if);
        write_text(b, rooted(b, "%s/modalias", dir), buf);
        /* As the kernel's pci_uevent words it (DRIVER= comes with a bound driver, which a card adds later). */
        snprintf(buf, sizeof(buf),
                 "PCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=0000:0000\nPCI_SLOT_NAME=%s\n"
                 "MODALIAS=pci:v0000%04Xd0000%04Xsv00000000sd00000000bc%02Xsc%02Xi%02X\n",
                 (unsigned)d->class_id << 8 | d->prog_if, d->vendor_id, d->device_id, addr, d->vendor_id, d->device_id,
                 d->class_id >> 8, d->class_id & 0xff, d->prog_if);
        write_text(b, rooted(b, "%s/uevent", dir), buf);

        for (size_t i = 0; i < c->n_devices; i++) {
                const struct card_device *o = &c->devices[i];

                multi |= o != d && o->domain == d->domain && o->bus == d->bus && o->dev == d->dev;
        }
        config[0] = (unsigned char)d->vendor_id;
        config[1] = (unsigned char)(d->vendor_id >> 8);
        config[2] = (unsigned char)d->device_id;
        config[3] = (unsigned char)(d->device_id >> 8);
        config[8] = d->revision;
        config[9] = d->prog_if;
        config[10] = (unsigned char)d->class_id;
        config[11] = (unsigned char)(d->class_id >> 8);
        config[14] = (unsigned char)((d->class_id == 0x0604 ? 0x01 : 0x00) | (multi && d->func == 0 ? 0x80 : 0));
        write_path(b, rooted(b, "%s/config", dir), config, sizeof(config), false);

        if ((d->class_id >> 8) == 0x03) {
                bool is_boot = have_boot && boot[0] == d->domain && boot[1] == d->bus && boot[2] == d->dev &&
                               boot[3] == d->func;
                write_text(b, rooted(b, "%s/boot_vga", dir), is_boot ? "1\n" : "0\n");
        }
        snprintf(buf, sizeof(buf), "../../../%s", rel);
        make_link(b, rooted(b, "sys/bus/pci/devices/%s", addr), buf);
        if (kernel_iommu && d->group >= 0) {
                snprintf(buf, sizeof(buf), "%skernel/iommu_groups/%d", up, d->group);
                make_link(b, rooted(b, "%s/iommu_group", dir), buf);
                snprintf(buf, sizeof(buf), "../../../../%s", rel);
                make_link(b, rooted(b, "sys/kernel/iommu_groups/%d/devices/%s", d->group, addr), buf);
        }
        for (size_t i = 0; i < c->keys.n; i++) {
                struct secondary_bus k;

                if (secondary_bus_key(c, i, &k) > 0 && k.dom == d->domain && k.bus == d->bus && k.dev == d->dev &&
                    k.fn == d->func) {
                        snprintf(buf, sizeof(buf), "%u\n", k.secondary);
                        write_text(b, rooted(b, "%s/secondary_bus_number", dir), buf);
                }
        }
}

/* Card paths stay inside the root (and the card's directory): no "..", no way out. */
static bool contained(const char *rel)
{
        size_t len = strlen(rel);

        if (len == 0 || rel[0] == '/')
                return false;
        for (const char *p = rel; (p = strstr(p, "..")); p += 2)
                if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
                        return false;
        return true;
}

static void drivers(struct builder *b, const struct card *c)
{
        for (size_t i = 0; i < c->keys.n; i++) {
                char addr[16], name[64], bdf[32], rel[256], up[64], link[512];
                unsigned dom, bus, dev, fn;
                int r;

                if (!startswith(c->keys.v[i], "driver\t"))
                        continue;
                if (sscanf(c->keys.v[i] + 7, "%31s %63s", bdf, name) != 2 || pci_address_parse(bdf, &dom, &bus, &dev, &fn) < 0) {
                        b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                        return;
                }
                if (!listed(c, dom, bus, dev, fn) || !contained(name)) {
                        b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                        return;
                }
                pci_address_format(dom, bus, dev, fn, addr);
                r = pci_dir(c, dom, bus, dev, fn, rel, sizeof(rel));
                if (r < 0) {
                        b->err = b->err ? b->err : r;
                        return;
                }
                up_to_sys(rel, up, sizeof(up));
                make_dir(b, rooted(b, "sys/bus/pci/drivers/%s", name));
                snprintf(link, sizeof(link), "%sbus/pci/drivers/%s", up, name);
                make_link(b, rooted(b, "sys/%s/driver", rel), link);
                snprintf(link, sizeof(link), "../../../../%s", rel);
                make_link(b, rooted(b, "sys/bus/pci/drivers/%s/%s", name, addr), link);
        }
}

/*
 * The CPU's sysfs topology.  Performance cores (with smt threads each) come first, then
 * single-threaded efficiency cores, each l3 cores sharing one L3 cache.  "split" numbers
 * the first thread of every core before the second ones (AMD, most Intel), "adjacent"
 * keeps a core's threads together (Intel hybrid).
 */
struct card_topology {
        unsigned cores, smt, l3, e_cores;
        bool adjacent;
};

static int parse_topology(const char *v, struct card_topology *ret)
{
        struct card_topology t = { .smt = 1 };
        char *copy = strdup(v), *save = NULL;
        int r = 0;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ", &save); w && r == 0; w = strtok_r(NULL, " ", &save)) {
                if (sscanf(w, "cores=%u", &t.cores) == 1 || sscanf(w, "smt=%u", &t.smt) == 1 ||
                    sscanf(w, "l3=%u", &t.l3) == 1 || sscanf(w, "e-cores=%u", &t.e_cores) == 1)
                        continue;
                if (strcmp(w, "numbering=adjacent") == 0)
                        t.adjacent = true;
                else if (strcmp(w, "numbering=split") != 0)
                        r = -VS_E_CARD_SYNTAX;
        }
        free(copy);
        if (r == 0 && (t.cores == 0 || t.smt == 0 || t.smt > 8 || t.cores > 1024 || t.e_cores > 1024))
                r = -VS_E_CARD_SYNTAX;
        if (r == 0 && (t.l3 == 0 || t.l3 > t.cores + t.e_cores))
                t.l3 = t.cores + t.e_cores;
        if (r == 0)
                *ret = t;
        return r;
}

/* CPU number of thread th of core c (efficiency cores have thread 0 only). */
static unsigned topology_cpu(const struct card_topology *t, unsigned c, unsigned th)
{
        if (c >= t->cores)
                return t->cores * t->smt + (c - t->cores);
        return t->adjacent ? c * t->smt + th : c + th * t->cores;
}

static char *cores_list(const struct card_topology *t, unsigned first, unsigned n)
{
        unsigned *cpus = calloc((size_t)n * t->smt, sizeof(*cpus));
        size_t k = 0;
        char *list;

        if (!cpus)
                return NULL;
        for (unsigned c = first; c < first + n; c++)
                for (unsigned th = 0; th < (c < t->cores ? t->smt : 1); th++)
                        cpus[k++] = topology_cpu(t, c, th);
        list = cpulist_format(cpus, k);
        free(cpus);
        return list;
}

static void topology_files(struct builder *b, const struct card_topology *t)
{
        unsigned total = t->cores + t->e_cores;

        for (unsigned c = 0; c < total && b->err == 0; c++) {
                unsigned group = c / t->l3 * t->l3, n_group = group + t->l3 > total ? total - group : t->l3;
                char *siblings = cores_list(t, c, 1), *shared = cores_list(t, group, n_group);

                for (unsigned th = 0; siblings && shared && th < (c < t->cores ? t->smt : 1); th++) {
                        unsigned cpu = topology_cpu(t, c, th);
                        char line[32];

                        write_lines(b, rooted(b, "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu), siblings);
                        snprintf(line, sizeof(line), "%u\n", c);
                        write_text(b, rooted(b, "sys/devices/system/cpu/cpu%u/topology/core_id", cpu), line);
                        write_text(b, rooted(b, "sys/devices/system/cpu/cpu%u/cache/index3/level", cpu), "3\n");
                        write_lines(b, rooted(b, "sys/devices/system/cpu/cpu%u/cache/index3/shared_cpu_list", cpu), shared);
                }
                if (!siblings || !shared)
                        b->err = -ENOMEM;
                free(siblings);
                free(shared);
        }
        if (t->e_cores > 0 && b->err == 0) {
                char *p = cores_list(t, 0, t->cores), *e = cores_list(t, t->cores, t->e_cores);

                if (!p || !e)
                        b->err = -ENOMEM;
                write_lines(b, rooted(b, "sys/devices/cpu_core/cpus"), p ? p : "");
                write_lines(b, rooted(b, "sys/devices/cpu_atom/cpus"), e ? e : "");
                free(p);
                free(e);
        }
}

static void cpuinfo(struct builder *b, const struct card *c, unsigned threads)
{
        const char *vendor = key(c, "cpu", "amd");
        bool amd = strcmp(vendor, "amd") == 0;
        const char *model = key(c, "cpu-model", amd ? "AMD Ryzen 7 5800X 8-Core Processor"
                                                    : "Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz");
        const char *vid = amd ? "AuthenticAMD" : strcmp(vendor, "intel") == 0 ? "GenuineIntel" : vendor;
        const char *more = key(c, "cpu-flags", NULL);
        struct strbuf text = { 0 };
        char *all;
        int r;

        for (unsigned i = 0; i < threads; i++)
                strbuf_printf(&text, "processor\t: %u\nvendor_id\t: %s\nmodel name\t: %s\n"
                              "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "
                              "clflush mmx fxsr sse sse2 ht syscall nx lm%s%s%s%s\n\n",
                              i, vid, model, yes(c, "virt", true) ? (amd ? " svm" : " vmx") : "",
                              yes(c, "hypervisor", false) ? " hypervisor" : "", more ? " " : "", more ? more : "");
        r = strbuf_finish(&text, &all);
        if (r < 0 || b->err < 0) {
                if (r >= 0)
                        free(all);
                b->err = b->err < 0 ? b->err : r;
                return;
        }
        write_text(b, rooted(b, "proc/cpuinfo"), all);
        free(all);
}

/* The keys about the CPU and memory; without cpu-topology, four CPUs and no topology files. */
static void processor(struct builder *b, const struct card *c)
{
        const char *spec = key(c, "cpu-topology", NULL), *memory = key(c, "memory", NULL);
        struct card_topology t;
        unsigned threads = 4;

        if (spec) {
                if ((b->err = parse_topology(spec, &t)) < 0)
                        return;
                topology_files(b, &t);
                threads = t.cores * t.smt + t.e_cores;
        }
        cpuinfo(b, c, threads);
        if (memory) {
                char line[64];
                unsigned long mib;

                if (sscanf(memory, "%lu", &mib) != 1) {
                        b->err = -VS_E_CARD_SYNTAX;
                        return;
                }
                snprintf(line, sizeof(line), "MemTotal:       %lu kB\nMemFree:        %lu kB\n", mib * 1024, mib * 512);
                write_text(b, rooted(b, "proc/meminfo"), line);
        }
}

/* "DEST=VALUE" split at the first '='; -VS_E_CARD_SYNTAX when malformed or escaping. */
static int split_assignment(const char *v, char **ret_dest, const char **ret_value)
{
        const char *eq = strchr(v, '=');
        char *dest;

        if (!eq)
                return -VS_E_CARD_SYNTAX;
        dest = strndup(v, (size_t)(eq - v));
        if (!dest)
                return -ENOMEM;
        if (!contained(dest)) {
                free(dest);
                return -VS_E_CARD_SYNTAX;
        }
        *ret_dest = dest;
        *ret_value = eq + 1;
        return 0;
}

struct extras {
        const char *kver;
        char *mountinfo;
        unsigned mounts;
        struct strv devnums;        /* "NAME\tMAJOR:MINOR" of the card's block devices, for mounts */
        struct strv ids;            /* "DISK\tBY-ID" */
        unsigned minor, dm;         /* the next disk or partition minor (major 259), dm minor (254) */
        char *swaps;
        char *route, *route6, *tcp, *tcp6;
        unsigned sessions, inputs;
        struct strv gpus;           /* the GPUs with screens, in card order: card0, card1... */
};

/*
 * Block devices: "# disk: BDF NAME SIZE_GIB [BY-ID [MODEL...]]" hangs a disk below a
 * PCI function, "# partition: DISK N FSTYPE [LABEL]" adds its partition N (with what
 * udev's database would say; vfat ones are EFI System Partitions), "# dm: NAME
 * MAPPER-NAME SLAVE..." a device-mapper device (LVM, LUKS) built on others, "# swap:
 * DEVICE" a line of proc/swaps.  Disks and partitions are 259:100 and up, dm devices 254:N.
 */
#define ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

/* dir: the device's directory below the root. */
static void devnum(struct builder *b, struct extras *x, const char *name, const char *dir, unsigned major, unsigned minor)
{
        char line[32];

        snprintf(line, sizeof(line), "%u:%u\n", major, minor);
        write_text(b, rooted(b, "%s/dev", dir), line);
        if (b->err == 0 && strv_pushf(&x->devnums, "%s\t%u:%u", name, major, minor) < 0)
                b->err = -ENOMEM;
}

static void key_disk(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char bdf[32], name[32], id[160] = "", rel[256], dir[320], link[400], line[64];
        unsigned dom, bus, dev, fn, gib;
        int model = 0;

        if (sscanf(v, "%31s %31s %u %159s %n", bdf, name, &gib, id, &model) < 3 ||
            pci_address_parse(bdf, &dom, &bus, &dev, &fn) < 0 || !contained(name) || strchr(name, '/') ||
            pci_dir(c, dom, bus, dev, fn, rel, sizeof(rel)) < 0) {
                b->err = -VS_E_CARD_SYNTAX;
                return;
        }
        snprintf(dir, sizeof(dir), "%s/host0/%s", rel, name);
        snprintf(link, sizeof(link), "../%s", dir);
        make_link(b, rooted(b, "sys/block/%s", name), link);
        snprintf(link, sizeof(link), "sys/%s", dir);
        devnum(b, x, name, link, 259, x->minor++);
        snprintf(line, sizeof(line), "%llu\n", (unsigned long long)gib * 1024 * 1024 * 2);
        write_text(b, rooted(b, "sys/%s/size", dir), line);
        if (model > 0 && v[model])
                write_lines(b, rooted(b, "sys/%s/device/model", dir), v + model);
        if (*id) {
                snprintf(link, sizeof(link), "../../%s", name);
                make_link(b, rooted(b, "dev/disk/by-id/%s", id), link);
                if (b->err == 0 && strv_pushf(&x->ids, "%s\t%s", name, id) < 0)
                        b->err = -ENOMEM;
        }
}

/* Value of "NAME\t..." in a list of such lines, or NULL. */
static const char *lookup(const struct strv *l, const char *name)
{
        size_t len = strlen(name);

        for (size_t i = 0; i < l->n; i++)
                if (strncmp(l->v[i], name, len) == 0 && l->v[i][len] == '\t')
                        return l->v[i] + len + 1;
        return NULL;
}

static void key_partition(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char disk[32], fstype[32], label[64] = "", name[48], link[128], *data;
        const char *id;
        unsigned n;
        size_t len;

        (void)c;
        if (sscanf(v, "%31s %u %31s %63s", disk, &n, fstype, label) < 3 || !lookup(&x->devnums, disk)) {
                b->err = -VS_E_CARD_SYNTAX;
                return;
        }
        len = strlen(disk);
        snprintf(name, sizeof(name), "%s%s%u", disk, disk[len - 1] >= '0' && disk[len - 1] <= '9' ? "p" : "", n);
        write_text(b, rooted(b, "sys/block/%s/%s/partition", disk, name), "1\n");
        snprintf(link, sizeof(link), "sys/block/%s/%s", disk, name);
        devnum(b, x, name, link, 259, x->minor);
        if (asprintf(&data, "E:ID_FS_TYPE=%s\n%s%s%s%s", fstype, *label ? "E:ID_FS_LABEL=" : "", label, *label ? "\n" : "",
                     strcmp(fstype, "vfat") == 0 ? "E:ID_PART_ENTRY_TYPE=" ESP_TYPE "\n" : "") < 0) {
                b->err = -ENOMEM;
                return;
        }
        write_text(b, rooted(b, "run/udev/data/b259:%u", x->minor++), data);
        free(data);
        id = lookup(&x->ids, disk);
        snprintf(link, sizeof(link), "../../%s", name);
        if (id)
                make_link(b, rooted(b, "dev/disk/by-id/%s-part%u", id, n), link);
}

static void key_dm(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char name[32], mapper[64], slave[32], link[96];
        int used = 0, more;

        (void)c;
        if (sscanf(v, "%31s %63s %n", name, mapper, &used) < 2 || used == 0 || !contained(name) || strchr(name, '/')) {
                b->err = -VS_E_CARD_SYNTAX;
                return;
        }
        snprintf(link, sizeof(link), "../devices/virtual/block/%s", name);
        make_link(b, rooted(b, "sys/block/%s", name), link);
        snprintf(link, sizeof(link), "sys/devices/virtual/block/%s", name);
        devnum(b, x, name, link, 254, x->dm);
        if (b->err == 0 && strv_pushf(&x->devnums, "mapper/%s\t254:%u", mapper, x->dm) < 0)
                b->err = -ENOMEM;
        x->dm++;
        write_lines(b, rooted(b, "sys/devices/virtual/block/%s/dm/name", name), mapper);
        for (const char *p = v + used; sscanf(p, "%31s%n", slave, &more) == 1; p += more)
                make_link(b, rooted(b, "sys/devices/virtual/block/%s/slaves/%s", name, slave), "../../x");
}

static void key_swap(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char *next;

        (void)c;
        if (asprintf(&next, "%s%s partition 8388604 0 -2\n",
                     x->swaps ? x->swaps : "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", v) < 0) {
                b->err = -ENOMEM;
                return;
        }
        free(x->swaps);
        x->swaps = next;
}

static void key_builtin(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char line[256];

        (void)c;
        snprintf(line, sizeof(line), "kernel/drivers/misc/%s.ko\n", v);
        write_path(b, rooted(b, "lib/modules/%s/modules.builtin", x->kver), line, strlen(line), true);
}

static void key_touch(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        (void)c;
        (void)x;
        if (!contained(v))
                b->err = -VS_E_CARD_SYNTAX;
        else
                write_path(b, rooted(b, "%s", v), "", 0, true);
}

static void key_line(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        const char *text;
        char *dest, *line;

        (void)c;
        (void)x;
        if ((b->err = split_assignment(v, &dest, &text)) < 0)
                return;
        if (asprintf(&line, "%s\n", text) < 0)
                b->err = -ENOMEM;
        else {
                write_path(b, rooted(b, "%s", dest), line, strlen(line), true);
                free(line);
        }
        free(dest);
}

static void key_file(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        const char *src;
        char *dest;

        (void)x;
        if ((b->err = split_assignment(v, &dest, &src)) < 0)
                return;
        if (!contained(src))
                b->err = -VS_E_CARD_SYNTAX;
        else
                copy_file(b, c, src, rooted(b, "%s", dest));
        free(dest);
}

static void key_os_release(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        (void)x;
        if (!contained(v))
                b->err = -VS_E_CARD_SYNTAX;
        else
                copy_file(b, c, v, rooted(b, "etc/os-release"));
}

/* Each "mount: POINT FSTYPE SOURCE" becomes a line of proc/self/mountinfo. */
static void key_mount(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char point[256], fstype[64], source[256], num[32], *next;
        const char *known;

        (void)c;
        if (sscanf(v, "%255s %63s %255s", point, fstype, source) != 3) {
                b->err = -VS_E_CARD_SYNTAX;
                return;
        }
        x->mounts++;
        /* A block device of the card has its number; any other source gets one of its own. */
        known = startswith(source, "/dev/") ? lookup(&x->devnums, source + strlen("/dev/")) : NULL;
        snprintf(num, sizeof(num), "259:%u", x->mounts);
        if (asprintf(&next, "%s%u 1 %s / %s rw,relatime - %s %s rw\n", x->mountinfo ? x->mountinfo : "",
                     29 + x->mounts, known ? known : num, point, fstype, source) < 0) {
                b->err = -ENOMEM;
                return;
        }
        free(x->mountinfo);
        x->mountinfo = next;
}

/* "00:14.0 1-3 Logitech USB Receiver": a USB device at port 1-3 of the controller's bus 1. */
static void key_usb(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char bdf[32], port[32], rel[256];
        unsigned dom, bus, dev, fn, usb_bus;
        int at = 0;

        (void)x;
        if (sscanf(v, "%31s %31s %n", bdf, port, &at) != 2 || !at || !v[at] ||
            pci_address_parse(bdf, &dom, &bus, &dev, &fn) < 0 || !listed(c, dom, bus, dev, fn) ||
            sscanf(port, "%u-", &usb_bus) != 1 || strspn(port, "0123456789-.") != strlen(port) ||
            pci_dir(c, dom, bus, dev, fn, rel, sizeof(rel)) < 0) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        write_lines(b, rooted(b, "sys/%s/usb%u/%s/product", rel, usb_bus, port), v + at);
        write_text(b, rooted(b, "sys/%s/usb%u/%s/bDeviceClass", rel, usb_bus, port), "00\n");
        write_text(b, rooted(b, "sys/%s/usb%u/bDeviceClass", rel, usb_bus), "09\n");
}

/*
 * How the host is reached: "# net: BDF [USBPORT] IFACE" a network interface on a PCI function
 * (or a USB adapter below one), "# netdev: NAME LOWER..." a bridge or bond over others,
 * "# route: DEST/LEN IFACE" a route (IPv4 or IPv6; 0.0.0.0/0 and ::/0 are the defaults),
 * "# ssh: PEER" a session from PEER to sshd's port 22, "# input: BDF [USBPORT] KIND NAME" a
 * keyboard, mouse or gamepad, "# screen: BDF CONNECTOR" a monitor the GPU lights now.
 */
static int usb_child(const struct card *c, const char *bdf, const char *port, char *out, size_t size)
{
        unsigned dom, bus, dev, fn, usb_bus;
        char rel[256];

        if (pci_address_parse(bdf, &dom, &bus, &dev, &fn) < 0 || !listed(c, dom, bus, dev, fn) ||
            pci_dir(c, dom, bus, dev, fn, rel, sizeof(rel)) < 0)
                return -VS_E_CARD_SYNTAX;
        if (!port) {
                snprintf(out, size, "%s", rel);
                return 0;
        }
        if (sscanf(port, "%u-", &usb_bus) != 1 || strspn(port, "0123456789-.") != strlen(port))
                return -VS_E_CARD_SYNTAX;
        snprintf(out, size, "%s/usb%u/%s/%s:1.0", rel, usb_bus, port, port);
        return 0;
}

/* Splits "BDF [USBPORT] REST": *ret_port is NULL without a port (digits with a dash: "1-2", "3-1.4"). */
static int device_words(const char *v, char *bdf, char *port, const char **ret_port, const char **ret_rest)
{
        int at = 0, at2 = 0;

        if (sscanf(v, "%31s %n", bdf, &at) != 1 || !at || !v[at])
                return -VS_E_CARD_SYNTAX;
        *ret_port = NULL;
        *ret_rest = v + at;
        if (sscanf(v + at, "%31s %n", port, &at2) == 1 && at2 && v[at + at2] && strchr(port, '-') &&
            strspn(port, "0123456789-.") == strlen(port)) {
                *ret_port = port;
                *ret_rest = v + at + at2;
        }
        return 0;
}

static void usb_parents(struct builder *b, const char *dir)
{
        char *copy = strdup(dir), *iface;

        if (!copy) {
                b->err = b->err ? b->err : -ENOMEM;
                return;
        }
        /* .../usbN/PORT/PORT:1.0: the device is a plain one, the root hub a hub. */
        iface = strrchr(copy, '/');
        if (iface && strstr(copy, "/usb")) {
                *iface = '\0';
                write_text(b, rooted(b, "sys/%s/bDeviceClass", copy), "00\n");
                *strrchr(copy, '/') = '\0';
                write_text(b, rooted(b, "sys/%s/bDeviceClass", copy), "09\n");
        }
        free(copy);
}

static void key_net(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char bdf[32], port[32], dir[320];
        const char *usb, *iface;

        (void)x;
        if (device_words(v, bdf, port, &usb, &iface) < 0 || strchr(iface, '/') || strchr(iface, ' ') ||
            usb_child(c, bdf, usb, dir, sizeof(dir)) < 0) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        if (usb)
                usb_parents(b, dir);
        write_text(b, rooted(b, "sys/%s/net/%s/type", dir, iface), "1\n");
        {
                char target[400];

                snprintf(target, sizeof(target), "../../%s/net/%s", dir, iface);
                make_link(b, rooted(b, "sys/class/net/%s", iface), target);
        }
}

static void key_netdev(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char name[32], lower[32];
        int at = 0, n;

        (void)c;
        (void)x;
        if (sscanf(v, "%31s %n", name, &at) != 1 || strchr(name, '/') || !v[at]) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        make_dir(b, rooted(b, "sys/devices/virtual/net/%s", name));
        {
                char target[96];

                snprintf(target, sizeof(target), "../../devices/virtual/net/%s", name);
                make_link(b, rooted(b, "sys/class/net/%s", name), target);
        }
        for (const char *p = v + at; sscanf(p, "%31s%n", lower, &n) == 1; p += n) {
                char target[96];

                if (strchr(lower, '/')) {
                        b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                        return;
                }
                snprintf(target, sizeof(target), "../../../../class/net/%s", lower);
                make_link(b, rooted(b, "sys/devices/virtual/net/%s/lower_%s", name, lower), target);
        }
}

/* Little-endian hosts print an address's network bytes as one 32-bit word in host order. */
static unsigned long word4(const unsigned char *a)
{
        return (unsigned long)a[0] | (unsigned long)a[1] << 8 | (unsigned long)a[2] << 16 | (unsigned long)a[3] << 24;
}

static void append(struct builder *b, char **text, const char *head, const char *line)
{
        char *joined;

        if (asprintf(&joined, "%s%s", *text ? *text : head, line) < 0) {
                b->err = b->err ? b->err : -ENOMEM;
                return;
        }
        free(*text);
        *text = joined;
}

static void key_route(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char dest[64], iface[32], line[256];
        unsigned len, metric = 100;
        unsigned char a[16];

        (void)c;
        if (sscanf(v, "%63[^/]/%u %31s %u", dest, &len, iface, &metric) < 3) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        if (inet_pton(AF_INET, dest, a) == 1 && len <= 32) {
                unsigned long mask = len ? 0xffffffffu << (32 - len) : 0;
                unsigned char m[4] = { (unsigned char)(mask >> 24), (unsigned char)(mask >> 16),
                                       (unsigned char)(mask >> 8), (unsigned char)mask };

                snprintf(line, sizeof(line), "%s\t%08lX\t00000000\t%04X\t0\t0\t%u\t%08lX\t0\t0\t0\n", iface,
                         word4(a), len ? 0x0001 : 0x0003, metric, word4(m));
                append(b, &x->route, "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
                       line);
        } else if (inet_pton(AF_INET6, dest, a) == 1 && len <= 128) {
                int at = 0;

                for (int i = 0; i < 16; i++)
                        at += snprintf(line + at, sizeof(line) - (size_t)at, "%02x", a[i]);
                snprintf(line + at, sizeof(line) - (size_t)at,
                         " %02x 00000000000000000000000000000000 00 00000000000000000000000000000000 %08x 00000001 "
                         "00000000 %08x %8s\n", len, metric, len ? 0x0001 : 0x0003, iface);
                append(b, &x->route6, "", line);
        } else
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
}

static void key_ssh(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        unsigned char a[16];
        char line[256];

        (void)c;
        if (inet_pton(AF_INET, v, a) == 1) {
                snprintf(line, sizeof(line), "%4u: 0200000A:0016 %08lX:D431 01 00000000:00000000 00:00000000 00000000     0"
                                             "        0 %u 1 0000000000000000 20 4 31 10 -1\n",
                         x->sessions, word4(a), 4000 + x->sessions);
                append(b, &x->tcp, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
                                   "timeout inode\n", line);
        } else if (inet_pton(AF_INET6, v, a) == 1) {
                snprintf(line, sizeof(line), "%4u: 00000000000000000000000001000000:0016 %08lX%08lX%08lX%08lX:D431 01 "
                                             "00000000:00000000 00:00000000 00000000     0        0 %u 1 "
                                             "0000000000000000 20 4 31 10 -1\n",
                         x->sessions, word4(a), word4(a + 4), word4(a + 8), word4(a + 12), 4000 + x->sessions);
                append(b, &x->tcp6, "  sl  local_address                         remote_address                        st "
                                    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n", line);
        } else
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
        x->sessions++;
}

/* Capability bitmaps as sysfs prints them (hex words, most significant first): linux/input-event-codes.h. */
static const struct {
        const char *kind, *ev, *key, *rel, *abs;
} input_kinds[] = {
        { "keyboard", "120013", "fffffffffffffffe", "0", "0" },
        { "mouse", "17", "70000 0 0 0 0", "103", "0" },
        { "gamepad", "1b", "ffff000000000000 0 0 0 0", "0", "3003f" },
};

static void key_input(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char bdf[32], port[32], kind[16], dir[320], node[400], target[480];
        const char *usb, *rest;
        size_t k;
        int at = 0;

        if (device_words(v, bdf, port, &usb, &rest) < 0 || sscanf(rest, "%15s %n", kind, &at) != 1 || !rest[at] ||
            usb_child(c, bdf, usb, dir, sizeof(dir)) < 0) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        for (k = 0; k < sizeof(input_kinds) / sizeof(input_kinds[0]) && strcmp(input_kinds[k].kind, kind) != 0; k++)
                ;
        if (k == sizeof(input_kinds) / sizeof(input_kinds[0])) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        if (usb)
                usb_parents(b, dir);
        snprintf(node, sizeof(node), "%s/0003:0000:0000.%04X/input/input%u", dir, x->inputs + 1, x->inputs);
        write_lines(b, rooted(b, "sys/%s/name", node), rest + at);
        write_lines(b, rooted(b, "sys/%s/capabilities/ev", node), input_kinds[k].ev);
        write_lines(b, rooted(b, "sys/%s/capabilities/key", node), input_kinds[k].key);
        write_lines(b, rooted(b, "sys/%s/capabilities/rel", node), input_kinds[k].rel);
        write_lines(b, rooted(b, "sys/%s/capabilities/abs", node), input_kinds[k].abs);
        snprintf(target, sizeof(target), "../../%s", node);
        make_link(b, rooted(b, "sys/class/input/input%u", x->inputs), target);
        x->inputs++;
}

static void key_screen(struct builder *b, const struct card *c, const char *v, struct extras *x)
{
        char bdf[32], conn[32], dir[320], node[400], target[480];
        size_t card;

        if (sscanf(v, "%31s %31s", bdf, conn) != 2 || strchr(conn, '/') || usb_child(c, bdf, NULL, dir, sizeof(dir)) < 0) {
                b->err = b->err ? b->err : -VS_E_CARD_SYNTAX;
                return;
        }
        for (card = 0; card < x->gpus.n && strcmp(x->gpus.v[card], bdf) != 0; card++)
                ;
        if (card == x->gpus.n && strv_push(&x->gpus, bdf) < 0) {
                b->err = -ENOMEM;
                return;
        }
        snprintf(node, sizeof(node), "%s/drm/card%zu/card%zu-%s", dir, card, card, conn);
        write_text(b, rooted(b, "sys/%s/status", node), "connected\n");
        write_text(b, rooted(b, "sys/%s/enabled", node), "enabled\n");
        snprintf(target, sizeof(target), "../../%s", node);
        make_link(b, rooted(b, "sys/class/drm/card%zu-%s", card, conn), target);
}

/* Block devices first, whatever the card's order, so that mounts find their numbers. */
static const struct {
        const char *key;
        void (*apply)(struct builder *b, const struct card *c, const char *value, struct extras *x);
        int pass;
} extra_keys[] = {
        { "disk", key_disk, 0 },
        { "partition", key_partition, 0 },
        { "dm", key_dm, 0 },
        { "swap", key_swap, 0 },
        { "builtin", key_builtin, 1 },
        { "touch", key_touch, 1 },
        { "line", key_line, 1 },
        { "file", key_file, 1 },
        { "os-release", key_os_release, 1 },
        { "mount", key_mount, 1 },
        { "usb", key_usb, 1 },
        { "net", key_net, 1 },
        { "netdev", key_netdev, 1 },
        { "route", key_route, 1 },
        { "ssh", key_ssh, 1 },
        { "input", key_input, 1 },
        { "screen", key_screen, 1 },
};

static void dmi(struct builder *b, const struct card *c)
{
        static const struct {
                const char *key, *file;
        } fields[] = {
                { "board-vendor", "board_vendor" }, { "board-name", "board_name" },
                { "bios-version", "bios_version" }, { "sys-vendor", "sys_vendor" },
                { "chassis-type", "chassis_type" },
        };

        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                const char *v = key(c, fields[i].key, NULL);
                char *line;

                if (!v)
                        continue;
                if (asprintf(&line, "%s\n", v) < 0) {
                        b->err = -ENOMEM;
                        return;
                }
                write_text(b, rooted(b, "sys/class/dmi/id/%s", fields[i].file), line);
                free(line);
        }
}

/* The keys that add files, applied in card order. */
static void extras(struct builder *b, const struct card *c, const char *kver)
{
        struct extras x = { .kver = kver, .minor = 100 };

        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < c->keys.n && b->err == 0; i++) {
                        const char *k = c->keys.v[i], *tab = strchr(k, '\t');

                        for (size_t e = 0; e < sizeof(extra_keys) / sizeof(extra_keys[0]); e++)
                                if (extra_keys[e].pass == pass && strlen(extra_keys[e].key) == (size_t)(tab - k) &&
                                    strncmp(k, extra_keys[e].key, (size_t)(tab - k)) == 0)
                                        extra_keys[e].apply(b, c, tab + 1, &x);
                }
        if (x.mountinfo)
                write_text(b, rooted(b, "proc/self/mountinfo"), x.mountinfo);
        if (x.swaps)
                write_text(b, rooted(b, "proc/swaps"), x.swaps);
        if (x.route)
                write_text(b, rooted(b, "proc/net/route"), x.route);
        if (x.route6)
                write_text(b, rooted(b, "proc/net/ipv6_route"), x.route6);
        if (x.tcp)
                write_text(b, rooted(b, "proc/net/tcp"), x.tcp);
        if (x.tcp6)
                write_text(b, rooted(b, "proc/net/tcp6"), x.tcp6);
        free(x.mountinfo);
        free(x.swaps);
        free(x.route);
        free(x.route6);
        free(x.tcp);
        free(x.tcp6);
        strv_free(&x.gpus);
        strv_free(&x.devnums);
        strv_free(&x.ids);
}

int card_build_root(const struct card *c, const char *dir)
{
        struct builder b = { .root = dir };
        bool amd = strcmp(key(c, "cpu", "amd"), "amd") == 0;
        bool kernel_iommu = yes(c, "kernel-iommu", true), any_group = false;
        const char *kver = key(c, "kernel", "6.8.0-45-generic");
        const char *boot_vga = key(c, "boot-vga", NULL);
        unsigned boot[4] = { 0 };
        bool have_boot = boot_vga && pci_address_parse(boot_vga, &boot[0], &boot[1], &boot[2], &boot[3]) == 0;
        char line[1024];

        b.err = mkdir_p(dir);
        for (size_t i = 0; i < c->n_devices; i++)
                any_group |= c->devices[i].group >= 0;
        kernel_iommu &= any_group;
        make_dir(&b, rooted(&b, "sys/bus/pci/drivers"));
        make_dir(&b, rooted(&b, "sys/kernel/iommu_groups"));
        make_dir(&b, rooted(&b, "sys/class/iommu"));
        for (size_t i = 0; i < c->n_devices; i++)
                device_files(&b, c, &c->devices[i], kernel_iommu, boot, have_boot);
        drivers(&b, c);
        processor(&b, c);
        snprintf(line, sizeof(line), "%s\n",
                 key(c, "cmdline", "BOOT_IMAGE=/boot/vmlinuz root=UUID=0b7d3f6e-8a5c-4a51-9d0e-2f1e6a3c9b11 ro quiet splash"));
        write_text(&b, rooted(&b, "proc/cmdline"), line);
        snprintf(line, sizeof(line), "%s\n", kver);
        write_text(&b, rooted(&b, "proc/sys/kernel/osrelease"), line);
        make_dir(&b, rooted(&b, "lib/modules/%s", kver));
        if (yes(c, "firmware-iommu", true)) {
                static const char table[48];
                write_path(&b, rooted(&b, "sys/firmware/acpi/tables/%s", amd ? "IVRS" : "DMAR"), table, sizeof(table), false);
                if (kernel_iommu)
                        make_dir(&b, rooted(&b, "sys/class/iommu/%s", amd ? "ivhd0" : "dmar0"));
        }
        dmi(&b, c);
        extras(&b, c, kver);
        return b.err;
}
