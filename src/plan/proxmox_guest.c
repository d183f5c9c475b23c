/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/cpulist.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/handover.h"
#include "vfio-setup/strbuf.h"

/*
 * A Proxmox VE guest for the plan's devices, in qemu-server's terms: what `qm set` changes in
 * its configuration, run with the apply, and the `qm set` that puts back what it held, run
 * by undo.  The values follow qemu-server's schema: hostpciN (PCI.pm: a slot "0000:03:00"
 * passes all its functions, pcie=1 needs q35, x-vga=1 makes the GPU the display and turns
 * the emulated one off), hugepages only with numa=1 (Memory.pm), ivshmem's file
 * /dev/shm/pve-shm-NAME (QemuServer.pm), a new EFI or TPM volume as "STORAGE:1,...".
 */
#define VM_CONF "etc/pve/qemu-server/%u.conf"
#define MAX_HOSTPCI 16
#define LG_NAME "looking-glass"

struct change {
        char key[16];
        const char *now;        /* in the configuration, or NULL */
        char *want;
};

struct guest {
        struct textfile conf;
        struct change changes[32];
        size_t n;
};

/* The value of key in the configuration's current section (snapshots follow in [sections]). */
static const char *value(const struct guest *g, const char *key)
{
        size_t n = strlen(key);

        for (size_t i = 0; i < g->conf.n; i++) {
                const char *line = g->conf.lines[i].text;

                if (line[0] == '[')
                        break;
                if (strncmp(line, key, n) == 0 && line[n] == ':')
                        return line + n + 1 + strspn(line + n + 1, " ");
        }
        return NULL;
}

/* want (taken) for key, unless the configuration holds it already or same() says it is as good. */
static int want(struct guest *g, const char *key, char *wanted, bool (*same)(const char *now, const char *want))
{
        const char *now = value(g, key);

        if (!wanted)
                return -ENOMEM;
        if (now && (same ? same(now, wanted) : strcmp(now, wanted) == 0)) {
                free(wanted);
                return 0;
        }
        if (g->n == sizeof(g->changes) / sizeof(g->changes[0])) {
                free(wanted);
                return -E2BIG;
        }
        snprintf(g->changes[g->n].key, sizeof(g->changes[g->n].key), "%s", key);
        g->changes[g->n].now = now;
        g->changes[g->n++].want = wanted;
        return 0;
}

static bool prefix_same(const char *now, const char *w)
{
        /* "q35" and "pc-q35-8.1" are both q35; "host,flags=..." is host; any Windows ostype stays. */
        return (strcmp(w, "q35") == 0 && (strncmp(now, "q35", 3) == 0 || strncmp(now, "pc-q35", 6) == 0)) ||
               (strcmp(w, "host") == 0 && strncmp(now, "host", 4) == 0 && (now[4] == '\0' || now[4] == ',')) ||
               (strcmp(w, "win11") == 0 && strncmp(now, "win", 3) == 0);
}

/* The host part of a hostpci value, the same devices whatever the options after it. */
static bool same_host(const char *now, const char *w)
{
        size_t n = strcspn(w, ",");

        return strncmp(now, w, n) == 0 && (now[n] == ',' || now[n] == '\0');
}

static bool whole_slot(const struct machine *m, const struct strv *devices, const struct pci_device *d)
{
        for (size_t i = 0; i < m->n_devices; i++) {
                const struct pci_device *o = &m->devices[i];

                if (o->domain == d->domain && o->bus == d->bus && o->dev == d->dev && !strv_contains(devices, o->address))
                        return false;
        }
        return true;
}

/*
 * One hostpci value per slot of the plan's devices, in their order: the slot itself when all
 * its functions go, else its functions; the GPU's with x-vga, and its ROM when one was saved
 * as /usr/share/kvm/gpu-ADDRESS.rom.
 */
static int hostpci_values(struct plan_ctx *ctx, const struct strv *devices, struct strv *ret)
{
        struct strv done = { 0 };
        bool vga_given = false;
        int r = 0;

        for (size_t i = 0; i < devices->n && r >= 0; i++) {
                const struct pci_device *d = machine_device(ctx->m, devices->v[i]);
                struct strbuf b = { 0 };
                char slot[16], rom[64], *text;
                bool vga = false, whole;

                if (!d)
                        continue;
                snprintf(slot, sizeof(slot), "%04x:%02x:%02x", d->domain, d->bus, d->dev);
                if (strv_contains(&done, slot))
                        continue;
                r = strv_push(&done, slot);
                whole = whole_slot(ctx->m, devices, d);
                if (whole)
                        strbuf_printf(&b, "%s", slot);
                for (size_t k = 0; k < devices->n; k++) {
                        const struct pci_device *f = machine_device(ctx->m, devices->v[k]);

                        if (!f || f->domain != d->domain || f->bus != d->bus || f->dev != d->dev)
                                continue;
                        vga |= f->class_id == 0x0300;
                        if (!whole)
                                strbuf_printf(&b, "%s%s", b.len ? ";" : "", f->address);
                }
                strbuf_printf(&b, ",pcie=1");
                if (vga && !vga_given) {
                        strbuf_printf(&b, ",x-vga=1");
                        snprintf(rom, sizeof(rom), "usr/share/kvm/gpu-%s.0.rom", slot);
                        if (sysroot_exists(ctx->sr, rom))
                                strbuf_printf(&b, ",romfile=gpu-%s.0.rom", slot);
                        vga_given = true;
                }
                if (r >= 0 && (r = strbuf_finish(&b, &text)) >= 0)
                        r = strv_consume(ret, text);
        }
        strv_free(&done);
        return r;
}

/* The hostpci option each value goes to: where it is already, else the first one free. */
static int hostpcis(struct plan_ctx *ctx, struct guest *g, const struct strv *devices)
{
        struct strv values = { 0 };
        bool taken[MAX_HOSTPCI] = { 0 };
        int r = hostpci_values(ctx, devices, &values);

        for (size_t i = 0; i < MAX_HOSTPCI; i++) {
                char key[16];

                snprintf(key, sizeof(key), "hostpci%zu", i);
                taken[i] = value(g, key) != NULL;
        }
        for (size_t v = 0; v < values.n && r >= 0; v++) {
                char key[16];
                size_t slot = MAX_HOSTPCI;

                for (size_t i = 0; i < MAX_HOSTPCI && slot == MAX_HOSTPCI; i++) {
                        snprintf(key, sizeof(key), "hostpci%zu", i);
                        if (value(g, key) && same_host(value(g, key), values.v[v]))
                                slot = i;
                }
                for (size_t i = 0; i < MAX_HOSTPCI && slot == MAX_HOSTPCI; i++)
                        if (!taken[i])
                                slot = i;
                if (slot == MAX_HOSTPCI) {
                        r = ctx_refuse(ctx, -VS_E_CONFIG, "the guest has no free hostpci option left (%d at most)",
                                       MAX_HOSTPCI);
                        break;
                }
                taken[slot] = true;
                snprintf(key, sizeof(key), "hostpci%zu", slot);
                r = want(g, key, strdup(values.v[v]), NULL);
        }
        strv_free(&values);
        return r;
}

/* The storage of the guest's first disk, for a new EFI or TPM volume; NULL when it has none. */
static char *storage(const struct guest *g)
{
        static const char *const buses[] = { "scsi", "virtio", "sata", "ide" };

        for (size_t b = 0; b < sizeof(buses) / sizeof(buses[0]); b++)
                for (unsigned i = 0; i < 31; i++) {
                        char key[16];
                        const char *v;

                        snprintf(key, sizeof(key), "%s%u", buses[b], i);
                        v = value(g, key);
                        if (v && strchr(v, ':') && !strstr(v, "media=cdrom") && strcspn(v, ":") < strcspn(v, ","))
                                return strndup(v, strcspn(v, ":"));
                }
        return NULL;
}

static int firmware(struct plan_ctx *ctx, struct guest *g)
{
        char *where = storage(g), *v;
        int r = want(g, "machine", strdup("q35"), prefix_same);

        if (r >= 0)
                r = want(g, "bios", strdup("ovmf"), NULL);
        if (r >= 0)
                r = want(g, "cpu", strdup("host"), prefix_same);
        if (r >= 0)
                r = want(g, "ostype", strdup(ctx->sel->guest_linux ? "l26" : "win11"), prefix_same);
        /* A new volume on the guest's own storage; one there already stays as it is. */
        if (r >= 0 && where && !value(g, "efidisk0"))
                r = asprintf(&v, "%s:1,efitype=4m,pre-enrolled-keys=1", where) < 0 ? -ENOMEM : want(g, "efidisk0", v, NULL);
        if (r >= 0 && where && !ctx->sel->guest_linux && !value(g, "tpmstate0"))
                r = asprintf(&v, "%s:1,version=v2.0", where) < 0 ? -ENOMEM : want(g, "tpmstate0", v, NULL);
        if (r >= 0 && !where && (!value(g, "efidisk0") || (!ctx->sel->guest_linux && !value(g, "tpmstate0"))))
                r = ctx_warn(ctx, "the guest has no disk to put its EFI disk%s on: add %s in the web interface "
                                  "(Hardware, Add)", ctx->sel->guest_linux ? "" : " and TPM state",
                             ctx->sel->guest_linux ? "an EFI Disk" : "an EFI Disk and a TPM State");
        free(where);
        return r;
}

/* The gaming goal: the memory on hugepages (which need numa), the vCPUs' host cores. */
static int gaming(struct plan_ctx *ctx, struct guest *g)
{
        const struct plan *p = ctx->plan;
        char *v;
        int r = 0;

        if (p->vm_memory_mib) {
                r = asprintf(&v, "%lu", p->vm_memory_mib) < 0 ? -ENOMEM : want(g, "memory", v, NULL);
                if (r >= 0)
                        r = want(g, "hugepages", strdup(p->hugepage_kib >= 1024 * 1024 ? "1024" : "2"), NULL);
                if (r >= 0)
                        r = want(g, "numa", strdup("1"), NULL);
        }
        if (r >= 0 && p->pinning.n_guest) {
                unsigned *cpus = malloc(p->pinning.n_guest * sizeof(*cpus));

                if (!cpus)
                        return -ENOMEM;
                memcpy(cpus, p->pinning.guest, p->pinning.n_guest * sizeof(*cpus));
                cpulist_sort(cpus, p->pinning.n_guest);
                v = cpulist_format(cpus, p->pinning.n_guest);
                free(cpus);
                r = want(g, "affinity", v, NULL);
        }
        if (r >= 0 && p->pinning.n_guest)
                r = ctx_warn(ctx, "affinity keeps the guest's processes on its cores (Proxmox VE 7.3 and later); it "
                                  "does not pin each vCPU to one core as a libvirt domain does");
        return r;
}

static int looking_glass(struct plan_ctx *ctx, struct guest *g)
{
        const struct plan *p = ctx->plan;
        char *v;
        int r;

        if (!p->lg_size_mb)
                return 0;
        if (p->lg_kvmfr)
                return ctx_warn(ctx, "Looking Glass through kvmfr needs QEMU arguments of its own (the args option); "
                                     "vfio-setup sets the shared memory file Proxmox VE makes instead");
        r = asprintf(&v, "size=%u,name=" LG_NAME, p->lg_size_mb) < 0 ? -ENOMEM : want(g, "ivshmem", v, NULL);
        if (r >= 0)
                r = ctx_warn(ctx, "Looking Glass: QEMU makes /dev/shm/pve-shm-" LG_NAME " when the guest starts, "
                                  "root's and 0644, and removes it when it stops: after each start give it to the "
                                  "client's user (chown %s /dev/shm/pve-shm-" LG_NAME ") and start the client with "
                                  "-f /dev/shm/pve-shm-" LG_NAME,
                             ctx->sel->lg.user ? ctx->sel->lg.user : "USER");
        return r;
}

static int command(struct plan_ctx *ctx, const struct guest *g, unsigned vmid)
{
        struct strv set = { 0 }, undo = { 0 }, gone = { 0 };
        char id[16];
        int r;

        snprintf(id, sizeof(id), "%u", vmid);
        r = strv_push(&set, "qm");
        for (size_t i = 0; i < 2 && r >= 0; i++)
                r = strv_push(&set, i ? id : "set");
        r = r < 0 ? r : strv_merge(&undo, &set);
        for (size_t i = 0; i < g->n && r >= 0; i++) {
                const struct change *c = &g->changes[i];

                r = strv_pushf(&set, "--%s", c->key);
                if (r >= 0)
                        r = strv_push(&set, c->want);
                if (r >= 0 && c->now) {
                        r = strv_pushf(&undo, "--%s", c->key);
                        if (r >= 0)
                                r = strv_push(&undo, c->now);
                } else if (r >= 0)
                        r = strv_push(&gone, c->key);
        }
        if (r >= 0 && gone.n) {
                char *list = strv_join(&gone, ",");

                r = list ? strv_push(&undo, "--delete") : -ENOMEM;
                if (r >= 0)
                        r = strv_consume(&undo, list);
                else
                        free(list);
        }
        strv_free(&gone);
        if (r < 0) {
                strv_free(&set);
                strv_free(&undo);
                return r;
        }
        r = ctx_command_undo(ctx, &set, &undo);
        /* A value of the guest's own that qm set could not be given back safely: said, not guessed at. */
        if (r == -EINVAL)
                r = ctx_refuse(ctx, -VS_E_CONFIG, "Proxmox VE guest %u: an option vfio-setup would change holds "
                               "characters it does not pass to qm (only letters, digits and _.,:=;/+-): set the "
                               "guest's options by hand", vmid);
        return r;
}

bool proxmox_vmid_ok(const char *text)
{
        char *end;
        unsigned long id;

        if (!text || *text < '1' || *text > '9')
                return false;
        id = strtoul(text, &end, 10);
        return !*end && id >= 100 && id <= 999999999;
}

/*
 * Handover's hookscript (handover.c writes it).  A guest has one hookscript: one of the user's
 * own is not replaced.
 */
static int hookscript(struct plan_ctx *ctx, struct guest *g, const char *id)
{
        const char *now = value(g, "hookscript");
        char *volume = NULL;
        int r;

        if (!ctx->sel->handover || strcmp(ctx->sel->handover, id) != 0)
                return 0;
        r = handover_proxmox_volume(id, &volume);
        if (r >= 0 && now && strcmp(now, volume) != 0)
                r = ctx_refuse(ctx, -VS_E_CONFIG, "Proxmox VE guest %s runs a hookscript of its own (%s) and a guest has "
                               "one: call /var/lib/vz/snippets/vfio-setup-handover-%s.sh from it with the same "
                               "arguments, or remove it first", id, now, id);
        if (r < 0) {
                free(volume);
                return r;
        }
        return want(g, "hookscript", volume, NULL);
}

/* One guest: its devices, and with shared the goals' options (the gaming goal's memory and cores, Looking Glass). */
static int one_guest(struct plan_ctx *ctx, const char *id, const struct strv *devices, bool shared)
{
        unsigned vmid = (unsigned)strtoul(id, NULL, 10);
        struct guest g = { 0 };
        char path[64];
        int r;

        snprintf(path, sizeof(path), VM_CONF, vmid);
        r = ctx_load(ctx, path, &g.conf);
        if (r >= 0 && !g.conf.exists)
                r = ctx_refuse(ctx, -VS_E_SELECTION, "Proxmox VE has no guest %u here (no /%s)", vmid, path);
        if (r >= 0)
                r = hostpcis(ctx, &g, devices);
        if (r >= 0)
                r = firmware(ctx, &g);
        if (r >= 0 && shared)
                r = gaming(ctx, &g);
        if (r >= 0 && shared)
                r = looking_glass(ctx, &g);
        if (r >= 0)
                r = hookscript(ctx, &g, id);
        if (r >= 0 && g.n)
                r = command(ctx, &g, vmid);
        for (size_t i = 0; i < g.n; i++)
                free(g.changes[i].want);
        textfile_free(&g.conf);
        return r;
}

/*
 * The hookscript of the guest handover went to before, when that guest no longer gets it: left
 * set, the guest would not start without the script, which goes with the plan.
 */
static int drop_old_hookscript(struct plan_ctx *ctx)
{
        const struct strv *old = &ctx->m->vfio.tool.handover;
        const char *now_guest = ctx->sel->release ? NULL : ctx->sel->handover;
        struct guest g = { 0 };
        char path[64], *volume = NULL;
        const char *now;
        int r;

        if (!ctx->m->distro.proxmox_ve || !old->n || !proxmox_vmid_ok(old->v[0]) ||
            (now_guest && strcmp(now_guest, old->v[0]) == 0))
                return 0;
        snprintf(path, sizeof(path), VM_CONF, (unsigned)strtoul(old->v[0], NULL, 10));
        r = ctx_load(ctx, path, &g.conf);
        if (r >= 0)
                r = handover_proxmox_volume(old->v[0], &volume);
        now = r >= 0 ? value(&g, "hookscript") : NULL;
        if (now && strcmp(now, volume) == 0) {
                const char *const on[] = { "qm", "set", old->v[0], "--delete", "hookscript", NULL };
                const char *const off[] = { "qm", "set", old->v[0], "--hookscript", volume, NULL };

                r = ctx_command_undo_words(ctx, on, off);
        }
        free(volume);
        textfile_free(&g.conf);
        return r;
}

int emit_proxmox_guest(struct plan_ctx *ctx)
{
        const struct selection *sel = ctx->sel;
        size_t gpus = 1 + sel->more_gpus.n;
        int r = drop_old_hookscript(ctx);

        if (r < 0 || sel->release)
                return r;
        /* Handover on Proxmox VE names its guest: that guest gets the devices too. */
        if (!sel->proxmox.n && sel->handover && *sel->handover && ctx->m->distro.proxmox_ve)
                return one_guest(ctx, sel->handover, &ctx->plan->devices, true);
        if (!sel->proxmox.n)
                return 0;
        if (sel->handover && ctx->m->distro.proxmox_ve && !strv_contains(&sel->proxmox, sel->handover))
                return ctx_refuse(ctx, -VS_E_SELECTION, "handover to Proxmox VE guest %s, but the devices go to guest "
                                  "%s: name one guest", sel->handover, sel->proxmox.v[0]);
        if (sel->proxmox.n == 1)
                return one_guest(ctx, sel->proxmox.v[0], &ctx->plan->devices, true);
        if (sel->proxmox.n != gpus)
                return ctx_refuse(ctx, -VS_E_SELECTION, "%zu Proxmox VE guests for %zu GPUs: one guest takes every GPU, "
                                  "or one guest each, in the order given", sel->proxmox.n, gpus);
        /* One guest per GPU, in order; the first also gets the other devices and the goals' options. */
        for (size_t i = 0; i < gpus && r >= 0; i++) {
                struct strv devices = { 0 };

                r = plan_guest_devices(ctx->m, sel, ctx->plan, i, gpus, &devices);
                if (r >= 0)
                        r = one_guest(ctx, sel->proxmox.v[i], &devices, i == 0);
                strv_free(&devices);
        }
        if (r >= 0 && (sel->goals & ((1u << GOAL_GAMING) | (1u << GOAL_LOOKING_GLASS))))
                r = ctx_warn(ctx, "the gaming goal's memory and cores and Looking Glass's memory go to the first guest, "
                                  "%s, only", sel->proxmox.v[0]);
        return r;
}
