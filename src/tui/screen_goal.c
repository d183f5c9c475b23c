/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/pinning.h"
#include "vfio-setup/host_needs.h"
#include "wizard_private.h"

/*
 * The rows of the screen: one per goal, Looking Glass's settings while it is chosen, the
 * guest's system, then iommu=pt, and single-GPU mode on a machine with one GPU.
 */
enum row_kind {
        ROW_GOAL, ROW_LG_RESOLUTION, ROW_LG_HDR, ROW_LG_KVMFR, ROW_LG_USER, ROW_VM_MEMORY, ROW_VM_CPUS, ROW_CONTROLLER, ROW_DISK,
        ROW_GUEST_OS, ROW_GUESTS, ROW_IOMMU_PT, ROW_SINGLE_GPU, ROW_HANDOVER
};

struct row {
        enum row_kind kind;
        enum goal goal;
        size_t index;           /* the controller's device or the disk */
};

struct goal_view {
        int cursor;
        const char *note;       /* said once, after a key that did nothing */
        bool asking_single;     /* single-GPU mode is explained; y turns it on */
};

static const char *const goal_texts[_GOAL_MAX] = {
#define GOAL_TEXT(id, name, text) [GOAL_##id] = text,
        GOALS(GOAL_TEXT)
#undef GOAL_TEXT
};

/* The guest resolutions Left/Right steps through. */
static const struct {
        unsigned width, height;
} resolutions[] = {
        { 1920, 1080 }, { 2560, 1080 }, { 2560, 1440 }, { 3440, 1440 }, { 3840, 2160 }, { 5120, 1440 },
};

/* What the guest's system changes in the domain the last screen saves. */
static const struct {
        const char *name, *text;
} guest_systems[_GUEST_OS_MAX] = {
        [GUEST_WINDOWS] = { "Windows", "Hyper-V enlightenments, local-time clock" },
        [GUEST_LINUX] = { "Linux", "KVM's own clock, in UTC" },
};

/* The guest memory sizes Left/Right steps through, in GiB; 0 reserves none. */
static const unsigned memory_steps[] = { 0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512 };

/* Goals, their settings, the guest's system, iommu=pt, single-GPU mode, and under storage a row per controller and
 * disk (as many as fit). */
#define N_ROWS (_GOAL_MAX + 9 + 48)

/* The storage goal's rows: each controller with disks, then its disks the host does not use. */
static int storage_rows(const struct machine *m, struct row *out, int room)
{
        int n = 0;

        for (size_t i = 0; i < m->n_devices && n < room; i++) {
                if (!m->devices[i].class_known || !pci_class_is_storage(m->devices[i].class_id) || !controller_has_disks(m, i))
                        continue;
                out[n++] = (struct row){ ROW_CONTROLLER, GOAL_STORAGE, i };
                for (size_t k = 0; k < m->n_disks && n < room; k++)
                        if (m->disks[k].controller == i && m->disks[k].mounts.n == 0)
                                out[n++] = (struct row){ ROW_DISK, GOAL_STORAGE, k };
        }
        return n;
}

static bool handover_offered(const struct wizard *w)
{
        size_t idx;

        if (w->sel.handover)
                return true;
        if (!w->sel.gpu || w->sel.more_gpus.n || w->m->distro.proxmox_ve || machine_find_device(w->m, w->sel.gpu, &idx) < 0)
                return false;
        for (size_t i = 0; i < w->m->n_gpus; i++)
                if (w->m->gpus[i].device == idx)
                        return !(w->m->gpus[i].reasons & ((1u << GPU_REASON_BOOT_VGA) | (1u << GPU_REASON_ONLY_GPU)));
        return false;
}

static int rows(const struct wizard *w, struct row out[N_ROWS])
{
        int n = 0;

        for (int i = 0; i < _GOAL_MAX; i++) {
                out[n++] = (struct row){ ROW_GOAL, (enum goal)i };
                if (i == GOAL_LOOKING_GLASS && (w->sel.goals & (1u << GOAL_LOOKING_GLASS))) {
                        out[n++] = (struct row){ ROW_LG_RESOLUTION, GOAL_LOOKING_GLASS };
                        out[n++] = (struct row){ ROW_LG_HDR, GOAL_LOOKING_GLASS };
                        out[n++] = (struct row){ ROW_LG_KVMFR, GOAL_LOOKING_GLASS };
                        out[n++] = (struct row){ ROW_LG_USER, GOAL_LOOKING_GLASS };
                }
                if (i == GOAL_GAMING && (w->sel.goals & (1u << GOAL_GAMING))) {
                        out[n++] = (struct row){ ROW_VM_MEMORY, GOAL_GAMING };
                        out[n++] = (struct row){ ROW_VM_CPUS, GOAL_GAMING };
                }
                if (i == GOAL_STORAGE && (w->sel.goals & (1u << GOAL_STORAGE)))
                        n += storage_rows(w->m, out + n, N_ROWS - 1 - n);
        }
        out[n++] = (struct row){ ROW_GUEST_OS, GOAL_BASE };
        /* Several GPUs: one guest takes them all, or each its own. */
        if (w->sel.more_gpus.n)
                out[n++] = (struct row){ ROW_GUESTS, GOAL_BASE };
        out[n++] = (struct row){ ROW_IOMMU_PT, GOAL_BASE };
        /* With a second GPU the host keeps a display by binding at boot: the mode is offered where it cannot. */
        if (machine_display_on_only_gpu(w->m) || w->sel.single_gpu)
                out[n++] = (struct row){ ROW_SINGLE_GPU, GOAL_BASE };
        /* A second GPU the host may use until the guest starts: not the one the host shows on, one guest, libvirt. */
        else if (handover_offered(w))
                out[n++] = (struct row){ ROW_HANDOVER, GOAL_BASE };
        return n;
}

static char *memory_text(const struct wizard *w)
{
        unsigned long kib, count;
        char *line;

        if (!w->sel.vm.memory_mib)
                return strdup("      guest memory  < none >  no hugepages reserved");
        hugepages_for(w->sel.vm.memory_mib, w->m->cpu.pdpe1gb, &kib, &count);
        if (asprintf(&line, "      guest memory  < %lu GiB >  %lu hugepages of %s, reserved at boot",
                     w->sel.vm.memory_mib / 1024, count, kib == 2048 ? "2 MiB" : "1 GiB") < 0)
                return NULL;
        return line;
}

static char *cpus_text(const struct wizard *w, enum role_id *ret_role)
{
        struct pinning p;
        char *reason = NULL, *guest = NULL, *host = NULL, *line = NULL;
        int r;

        r = pinning_suggest(&w->m->topology, w->sel.vm.cpus, &p, &reason);
        if (r < 0) {
                *ret_role = CR_WARNING;
                if (reason && asprintf(&line, "      %s", reason) < 0)
                        line = NULL;
                free(reason);
                return line;
        }
        guest = cpulist_format(p.guest, p.n_guest);
        host = cpulist_format(p.host, p.n_host);
        if (guest && host && asprintf(&line, "      vCPUs  < %s%zu >  on CPUs %s; the host keeps %s",
                                      w->sel.vm.cpus ? "" : "all ", p.n_guest, guest, host) < 0)
                line = NULL;
        free(guest);
        free(host);
        pinning_free(&p);
        return line;
}

/* A controller: toggled when it can go; otherwise why not. */
static char *controller_text(const struct wizard *w, size_t dev, enum role_id *ret_role)
{
        const struct machine *m = w->m;
        const struct pci_device *d = &m->devices[dev];
        char *line = NULL, *uses = NULL;
        size_t disk;
        int r;

        if (controller_host_disk(m, dev, &disk) == 0) {
                *ret_role = CR_DIM;
                uses = disk_uses(&m->disks[disk]);
                r = uses ? asprintf(&line, "      -   %s the host's: %s holds %s", d->address, m->disks[disk].name, uses)
                         : -1;
        } else if ((uses = device_host_needs(m, dev))) {
                *ret_role = CR_DIM;
                r = asprintf(&line, "      -   %s the host's: %s", d->address, uses);
        } else if (!device_alone_in_group(m, dev)) {
                *ret_role = CR_DIM;
                r = asprintf(&line, "      -   %s shares its IOMMU group; its disks can go one by one", d->address);
        } else
                r = asprintf(&line, "      [%c] controller %s with its disks:",
                             strv_contains(&w->sel.extra, d->address) ? 'x' : ' ', d->address);
        free(uses);
        return r < 0 ? NULL : line;
}

static bool disk_chosen(const struct wizard *w, const struct block_disk *d)
{
        for (size_t i = 0; i < w->sel.disks.n; i++)
                if (strcmp(w->sel.disks.v[i], d->name) == 0 || (d->by_id && strcmp(w->sel.disks.v[i], d->by_id) == 0))
                        return true;
        return false;
}

/* A disk of a controller that goes whole goes with it: it is not chosen on its own as well. */
static bool controller_chosen(const struct wizard *w, const struct block_disk *d)
{
        return strv_contains(&w->sel.extra, w->m->devices[d->controller].address);
}

static char *disk_text(const struct wizard *w, size_t disk)
{
        const struct block_disk *d = &w->m->disks[disk];
        char *summary = disk_summary(d), *line = NULL;

        if (summary && controller_chosen(w, d) && asprintf(&line, "         -  with it: %s", summary) < 0)
                line = NULL;
        else if (summary && !controller_chosen(w, d) &&
                 asprintf(&line, "        [%c] %s", disk_chosen(w, d) ? 'x' : ' ', summary) < 0)
                line = NULL;
        free(summary);
        return line;
}

static char *row_text(const struct wizard *w, const struct row *r, enum role_id *ret_role)
{
        unsigned width, height;
        char *line = NULL;

        *ret_role = CR_NORMAL;
        switch (r->kind) {
        case ROW_GOAL:
                if (asprintf(&line, "[%c] %-14s %s", w->sel.goals & (1u << r->goal) ? 'x' : ' ', goal_name(r->goal),
                             goal_texts[r->goal]) < 0)
                        line = NULL;
                break;
        case ROW_LG_RESOLUTION:
                looking_glass_resolution(&w->sel.lg, &width, &height);
                if (asprintf(&line, "      guest resolution  < %ux%u >  %u MiB of shared memory", width, height,
                             looking_glass_size_mb(width, height, w->sel.lg.hdr)) < 0)
                        line = NULL;
                break;
        case ROW_LG_HDR:
                if (asprintf(&line, "      [%c] HDR (10-bit colour: frames of 8 bytes a pixel)", w->sel.lg.hdr ? 'x' : ' ') < 0)
                        line = NULL;
                break;
        case ROW_LG_USER:
                *ret_role = w->sel.lg.user ? CR_NORMAL : CR_WARNING;
                if (asprintf(&line, "      client's user  < %s >  owns the memory", w->sel.lg.user ? w->sel.lg.user : "none") < 0)
                        line = NULL;
                break;
        case ROW_LG_KVMFR:
                if (asprintf(&line, "      [%c] kvmfr module (/dev/kvmfr0) instead of /dev/shm", w->sel.lg.kvmfr ? 'x' : ' ') < 0)
                        line = NULL;
                break;
        case ROW_VM_MEMORY:
                line = memory_text(w);
                break;
        case ROW_VM_CPUS:
                line = cpus_text(w, ret_role);
                break;
        case ROW_CONTROLLER:
                line = controller_text(w, r->index, ret_role);
                break;
        case ROW_DISK:
                line = disk_text(w, r->index);
                break;
        case ROW_GUEST_OS:
                if (asprintf(&line, "    guest system  < %s >  %s", guest_systems[w->guest_os].name,
                             guest_systems[w->guest_os].text) < 0)
                        line = NULL;
                break;
        case ROW_GUESTS:
                if (asprintf(&line, "    guests        < %s >  %s", w->guest_per_gpu ? "one per GPU" : "one for all",
                             w->guest_per_gpu ? "a domain for each GPU" : "every GPU in one domain") < 0)
                        line = NULL;
                break;
        case ROW_IOMMU_PT:
                if (asprintf(&line, "[%c] iommu=pt: host devices skip IOMMU translation (breaks AMD SEV-SNP)",
                             w->sel.iommu_pt ? 'x' : ' ') < 0)
                        line = NULL;
                break;
        case ROW_HANDOVER:
                if (asprintf(&line, "[%c] handover: the host keeps the GPU until %s starts",
                             w->sel.handover ? 'x' : ' ', w->sel.handover ? w->sel.handover : GUEST_DOMAIN_NAME) < 0)
                        line = NULL;
                break;
        case ROW_SINGLE_GPU:
                *ret_role = w->sel.single_gpu ? CR_WARNING : CR_NORMAL;
                if (asprintf(&line, "[%c] single-GPU mode: %s takes the GPU only while it runs", w->sel.single_gpu ? 'x' : ' ',
                             w->sel.single_gpu ? w->sel.single_gpu : GUEST_DOMAIN_NAME) < 0)
                        line = NULL;
                break;
        }
        return line;
}

static const char goal_keys[] = "Enter review  Space tick  Left/Right change  Up/Down move  b back";

/* What single-GPU mode means, said before it can be turned on: paragraphs, wrapped to the screen. */
static const char *const single_gpu_warning[] = {
        "Single-GPU mode",
        "Nothing is bound to vfio-pci at boot: the host keeps this GPU and its display. When the guest "
        GUEST_DOMAIN_NAME " starts, a libvirt hook takes the GPU from the host:",
        "- the display manager stops and every graphical session in it ends;\n"
        "- the host has NO display at all while the guest runs, not even a console;\n"
        "- the GPU comes back, with the display manager, when the guest stops.",
        "Keep a way in without a screen (ssh): if the guest hangs, there \"virsh destroy " GUEST_DOMAIN_NAME "\" gives "
        "the GPU back. The guest must be the libvirt domain " GUEST_DOMAIN_NAME ", which the last screen saves.",
        "Press y to turn single-GPU mode on; any other key leaves it off.",
};

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct goal_view *v = priv;
        struct row r[N_ROWS];
        int n = rows(w, r), y = top + 1, room, first;

        if (v->asking_single) {
                for (size_t k = 0; k < sizeof(single_gpu_warning) / sizeof(single_gpu_warning[0]); k++)
                        y = canvas_wrap(c, y, 2, c->w - 4, k == 0 || k == 2 ? CR_WARNING : CR_NORMAL,
                                        single_gpu_warning[k]) + 1;
                return;
        }

        y = canvas_wrap(c, y, 2, c->w - 4, CR_NORMAL, "What is the guest for? Space ticks a goal; Enter goes on to the "
                        "review.");
        if (v->note)
                canvas_text(c, y, 2, CR_WARNING, v->note);
        y++;
        /* The guest system's row has a blank row above it. */
        room = bottom - y - 1;
        /* Many disks make more rows than fit: the list follows the cursor. */
        first = v->cursor >= room ? v->cursor - room + 1 : 0;
        int i, list_top = y;

        for (i = first; i < n && y < bottom; i++) {
                enum role_id role;
                char *line = row_text(w, &r[i], &role);

                y += r[i].kind == ROW_GUEST_OS;
                if (line)
                        draw_item(c, y++, 2, c->w - 4, v->cursor == i, role, line);
                free(line);
        }
        canvas_more_marks(c, list_top, y - 1, first > 0, i < n);
}

static void step_resolution(struct wizard *w, int direction)
{
        unsigned width, height;
        int n = (int)(sizeof(resolutions) / sizeof(resolutions[0])), at = -1;

        looking_glass_resolution(&w->sel.lg, &width, &height);
        for (int i = 0; i < n; i++)
                if (resolutions[i].width == width && resolutions[i].height == height)
                        at = i;
        /* A resolution from the command line that is not in the list: the next one up or down. */
        if (at < 0) {
                at = direction > 0 ? -1 : n;
                for (int i = 0; i < n; i++)
                        if (resolutions[i].width * resolutions[i].height < width * height)
                                at = direction > 0 ? i : i + 1;
        }
        at += direction;
        if (at < 0 || at >= n)
                return;
        w->sel.lg.width = resolutions[at].width;
        w->sel.lg.height = resolutions[at].height;
        w->changed = true;
}

static void step_memory(struct wizard *w, int direction)
{
        int n = (int)(sizeof(memory_steps) / sizeof(memory_steps[0])), at = 0;
        unsigned long next;

        while (at + 1 < n && memory_steps[at + 1] * 1024ul <= w->sel.vm.memory_mib)
                at++;
        if (direction < 0 && memory_steps[at] * 1024ul < w->sel.vm.memory_mib)
                at++;
        at += direction;
        if (at < 0 || at >= n)
                return;
        next = memory_steps[at] * 1024ul;
        /* The plan refuses more than the host can spare; so does the screen. */
        if (next && w->m->memory_mib && next + 4096 > w->m->memory_mib)
                return;
        w->sel.vm.memory_mib = next;
        w->changed = true;
}

/* vCPUs step by whole cores, up to all the host can spare (0). */
static void step_cpus(struct wizard *w, int direction)
{
        struct pinning all;
        char *reason = NULL;
        size_t cores, at;

        if (pinning_suggest(&w->m->topology, 0, &all, &reason) < 0) {
                free(reason);
                return;
        }
        cores = all.n_guest / all.threads;
        at = w->sel.vm.cpus ? w->sel.vm.cpus / all.threads : cores;
        if ((direction < 0 && at > 1) || (direction > 0 && at < cores)) {
                at += direction;
                w->sel.vm.cpus = at == cores ? 0 : (unsigned)(at * all.threads);
                w->changed = true;
        }
        pinning_free(&all);
}

static void toggle_controller(struct wizard *w, size_t dev)
{
        const char *address = w->m->devices[dev].address;
        size_t disk;

        char *why = device_host_needs(w->m, dev);

        free(why);
        if (why || controller_host_disk(w->m, dev, &disk) == 0 || !device_alone_in_group(w->m, dev))
                return;
        if (strv_remove(&w->sel.extra, address) == 0) {
                w->changed = true;
                return;
        }
        if (strv_push(&w->sel.extra, address) < 0)
                return;
        w->changed = true;
        /* Its disks go with it now. */
        for (size_t i = 0; i < w->m->n_disks; i++)
                if (w->m->disks[i].controller == dev) {
                        strv_remove(&w->sel.disks, w->m->disks[i].name);
                        if (w->m->disks[i].by_id)
                                strv_remove(&w->sel.disks, w->m->disks[i].by_id);
                }
}

static void toggle_disk(struct wizard *w, size_t disk)
{
        const struct block_disk *d = &w->m->disks[disk];

        if (controller_chosen(w, d))
                return;
        if (strv_remove(&w->sel.disks, d->name) == 0 || (d->by_id && strv_remove(&w->sel.disks, d->by_id) == 0) ||
            strv_push(&w->sel.disks, d->by_id ? d->by_id : d->name) >= 0)
                w->changed = true;
}

/* The users who log in here, in passwd's order; one named elsewhere (--lg-user, the state) stays in the cycle. */
static void step_user(struct wizard *w, int direction)
{
        const struct strv *u = &w->users;
        size_t at = u->n;
        char *next;

        for (size_t i = 0; w->sel.lg.user && i < u->n; i++)
                if (strcmp(u->v[i], w->sel.lg.user) == 0)
                        at = i;
        if (u->n == 0)
                return;
        if (at == u->n)
                at = direction > 0 ? 0 : u->n - 1;
        else if ((direction < 0 && at == 0) || (direction > 0 && at + 1 == u->n))
                return;
        else
                at = direction > 0 ? at + 1 : at - 1;
        next = strdup(u->v[at]);
        if (!next)
                return;
        free(w->sel.lg.user);
        w->sel.lg.user = next;
        w->changed = true;
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct goal_view *v = priv;
        struct row r[N_ROWS];
        int n = rows(w, r);
        const struct row *at = &r[v->cursor < n ? v->cursor : n - 1];

        v->note = NULL;
        if (v->asking_single) {
                v->asking_single = false;
                if (k == 'y' && (w->sel.single_gpu = strdup(GUEST_DOMAIN_NAME)))
                        w->changed = true;
                /* The answer is all the key does: not also next (n, Enter) or back. */
                return STEP_HOLD;
        }
        if (k == ' ' && at->kind == ROW_GOAL && at->goal == GOAL_BASE)
                v->note = "Plain passthrough is part of every goal: it stays.";
        else if (k == ' ' && at->kind == ROW_CONTROLLER && !device_alone_in_group(w->m, at->index))
                v->note = "That controller shares its IOMMU group: tick its disks one by one.";
        if (list_move(&v->cursor, n - 1, n, k))
                return STEP_STAY;
        if ((k == WK_LEFT || k == WK_RIGHT) && at->kind == ROW_LG_RESOLUTION)
                step_resolution(w, k == WK_RIGHT ? 1 : -1);
        else if ((k == WK_LEFT || k == WK_RIGHT) && at->kind == ROW_LG_USER)
                step_user(w, k == WK_RIGHT ? 1 : -1);
        else if ((k == WK_LEFT || k == WK_RIGHT) && at->kind == ROW_VM_MEMORY)
                step_memory(w, k == WK_RIGHT ? 1 : -1);
        else if ((k == WK_LEFT || k == WK_RIGHT) && at->kind == ROW_VM_CPUS)
                step_cpus(w, k == WK_RIGHT ? 1 : -1);
        else if ((k == WK_LEFT || k == WK_RIGHT) && at->kind == ROW_GUEST_OS)
                w->guest_os = (enum guest_os)((w->guest_os + _GUEST_OS_MAX + (k == WK_RIGHT ? 1 : -1)) % _GUEST_OS_MAX);
        else if ((k == WK_LEFT || k == WK_RIGHT || k == ' ') && at->kind == ROW_GUESTS)
                w->guest_per_gpu = !w->guest_per_gpu;
        else if (k == ' ' && at->kind == ROW_IOMMU_PT) {
                w->sel.iommu_pt = !w->sel.iommu_pt;
                w->changed = true;
        } else if (k == ' ' && at->kind == ROW_SINGLE_GPU && w->sel.single_gpu) {
                free(w->sel.single_gpu);
                w->sel.single_gpu = NULL;
                w->changed = true;
        } else if (k == ' ' && at->kind == ROW_SINGLE_GPU)
                v->asking_single = true;
        else if (k == ' ' && at->kind == ROW_HANDOVER) {
                if (w->sel.handover) {
                        free(w->sel.handover);
                        w->sel.handover = NULL;
                } else
                        w->sel.handover = strdup(GUEST_DOMAIN_NAME);
                w->changed = true;
        }
        else if (k == ' ' && at->kind == ROW_LG_HDR) {
                w->sel.lg.hdr = !w->sel.lg.hdr;
                w->changed = true;
        } else if (k == ' ' && at->kind == ROW_CONTROLLER)
                toggle_controller(w, at->index);
        else if (k == ' ' && at->kind == ROW_DISK)
                toggle_disk(w, at->index);
        else if (k == ' ' && at->kind == ROW_LG_KVMFR) {
                w->sel.lg.kvmfr = !w->sel.lg.kvmfr;
                w->changed = true;
        } else if (k == ' ' && at->kind == ROW_GOAL && at->goal != GOAL_BASE) {
                w->sel.goals ^= 1u << at->goal;
                w->changed = true;
        }
        /* Refused here, where it is chosen, rather than by the plan on the next screen. */
        if (k == WK_ENTER && (w->sel.goals & (1u << GOAL_LOOKING_GLASS)) && !w->sel.lg.user) {
                v->note = w->users.n ? "Looking Glass needs the user who runs its client: Left/Right on its user row."
                                     : "Nobody logs in here to run Looking Glass's client: untick Looking Glass.";
                return STEP_HOLD;
        }
        return k == WK_ENTER ? STEP_NEXT : STEP_STAY;
}

static const char *keys_now(const struct wizard *w, const void *priv)
{
        const struct goal_view *v = priv;

        (void)w;
        return v->asking_single ? "y single-GPU mode on  any other key leaves it off" : goal_keys;
}

const struct step_ops goal_step = {
        .title = "Goal",
        .help = "Plain passthrough binds the GPU to vfio-pci at boot; every other goal builds on it. With several "
                "GPUs, guests (Left/Right) puts every GPU in one guest's domain, or gives each GPU a domain of its "
                "own, the first also taking the other devices and the goals. Looking Glass "
                "shows the guest's screen in a window on the host through shared memory: choose the guest's "
                "resolution with Left/Right and whether it is HDR (they size the memory), /dev/shm or the kvmfr module, and "
                "the user who runs the client and owns the memory (Left/Right among the users who log in here; at "
                "first the one who ran sudo). Gaming reserves the guest's memory as "
                "hugepages at boot (Left/Right; none reserves nothing) and suggests CPU pinning that keeps cores "
                "and L3 caches whole and leaves core 0's to the host (Left/Right sets the vCPUs); the pinning is "
                "shown as libvirt XML on the last screen. Storage lists the disk controllers: one the host does not "
                "use can go to the guest whole (vfio-pci), and a disk the host does not use can go alone through "
                "libvirt by its /dev/disk/by-id name; controllers holding the host's file systems stay. The guest "
                "system (Left/Right) shapes the libvirt domain the last screen saves: Windows gets Hyper-V's "
                "enlightenments and a clock in local time, Linux KVM's own clock in UTC. On a "
                "machine with one GPU, single-GPU mode binds nothing at boot: a libvirt hook hands the GPU to the "
                "guest " GUEST_DOMAIN_NAME " when it starts (the host has no display while it runs) and gives it "
                "back when it stops; it is explained, and asked for with y, before it is on. With a second GPU that is not "
                "the one the host starts on, handover binds nothing at boot either: the host uses that GPU (a second "
                "screen, compute) until the guest " GUEST_DOMAIN_NAME " starts, and gets it back when the guest stops; "
                "the guest does not start while a program on the host holds the GPU (the hook names it). Space "
                "toggles an option.",
        .keys = goal_keys,
        .keys_now = keys_now,
        .keeps_view = true,
        .private_size = sizeof(struct goal_view),
        .draw = draw,
        .key = key,
};
