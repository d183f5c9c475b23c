/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/cpulist.h"
#include "vfio-setup/errors.h"

/*
 * The gaming goal.  Guest memory backed by hugepages needs them reserved
 * before memory fragments: 1 GiB pages only at boot, through the kernel
 * command line (kernel-parameters.txt: hugepagesz=, hugepages=,
 * default_hugepagesz=; admin-guide/mm/hugetlbpage.rst), 2 MiB pages early
 * enough through vm.nr_hugepages in a sysctl drop-in (sysctl.d(5)), which
 * spares the boot loader.  The memory is the guest's alone from then on, so it
 * is only reserved when the user gives the guest's size.  CPU pinning is a
 * suggestion for the domain XML; nothing is written for it.
 */
#define SYSCTL "etc/sysctl.d/80-vfio-setup-hugepages.conf"
/* What the host keeps at least, besides the guest's pages. */
#define HOST_MIN_MIB 4096ul

static bool gaming(const struct plan_ctx *ctx)
{
        return !ctx->sel->release && (ctx->sel->goals & (1u << GOAL_GAMING));
}

static bool gib_pages(const struct plan_ctx *ctx)
{
        unsigned long kib, count;

        hugepages_for(ctx->sel->vm.memory_mib, ctx->m->cpu.pdpe1gb, &kib, &count);
        return kib == 1024 * 1024;
}

int want_gaming_params(struct plan_ctx *ctx)
{
        unsigned long mib = ctx->sel->vm.memory_mib, total = ctx->m->memory_mib;
        int r;

        if (!gaming(ctx) || mib == 0)
                return 0;
        if (total && mib + HOST_MIN_MIB > total)
                return ctx_refuse(ctx, -VS_E_SELECTION,
                                  "hugepages: %lu MiB for the guest leaves the host less than %lu MiB of the %lu MiB "
                                  "this machine has; give the guest less (" REMEDY(VM_MEMORY) ")",
                                  mib, HOST_MIN_MIB, total);
        if (!gib_pages(ctx))
                return 0;
        r = strv_push(&ctx->want.params, "default_hugepagesz=1G");
        if (r >= 0)
                r = strv_push(&ctx->want.params, "hugepagesz=1G");
        if (r >= 0)
                r = strv_pushf(&ctx->want.params, "hugepages=%lu", mib / 1024);
        return r;
}

static int pin(struct plan_ctx *ctx)
{
        struct pinning *p = &ctx->plan->pinning;
        char *reason = NULL, *guest, *host;
        int r;

        r = pinning_suggest(&ctx->m->topology, ctx->sel->vm.cpus, p, &reason);
        /* Asked for a number of vCPUs that cannot be had: refused; no topology to read: only said. */
        if (r == -VS_E_SELECTION && ctx->sel->vm.cpus == 0) {
                r = ctx_warn(ctx, "%s; no CPU pinning suggested", reason);
                free(reason);
                return r;
        }
        if (r == -VS_E_SELECTION) {
                r = ctx_refuse(ctx, r, "%s", reason);
                free(reason);
                return r;
        }
        if (r < 0)
                return r;
        /* A Proxmox VE guest gets the cores as its affinity, set with the rest of its options. */
        if (ctx->sel->proxmox.n)
                return 0;
        guest = cpulist_format(p->guest, p->n_guest);
        host = cpulist_format(p->host, p->n_host);
        r = guest && host ? ctx_manual(ctx, "CPU pinning: %zu vCPUs on host CPUs %s (%zu core%s, %zu L3 group%s), the host and "
                                            "QEMU's emulator threads on %s; " REMEDY(PIN_XML),
                                       p->n_guest, guest, p->n_guest / p->threads, p->n_guest / p->threads == 1 ? "" : "s",
                                       p->n_l3, p->n_l3 == 1 ? "" : "s", host)
                          : -ENOMEM;
        free(guest);
        free(host);
        return r;
}

int emit_gaming(struct plan_ctx *ctx)
{
        const struct vm_tuning *vm = &ctx->sel->vm;
        unsigned long kib = 0, count = 0;
        char *text = NULL;
        bool changed = false;
        int r;

        if (gaming(ctx) && vm->memory_mib)
                hugepages_for(vm->memory_mib, ctx->m->cpu.pdpe1gb, &kib, &count);
        if (kib == 2048 && asprintf(&text, "# Written by vfio-setup: 2 MiB hugepages for a %lu MiB guest; "
                                           "'vfio-setup plan --release' removes it.\nvm.nr_hugepages = %lu\n",
                                    vm->memory_mib, count) < 0)
                return -ENOMEM;
        r = ctx_own_file(ctx, SYSCTL, text, &changed);
        free(text);
        if (r < 0 || !gaming(ctx))
                return r;
        if (kib) {
                ctx->plan->vm_memory_mib = vm->memory_mib;
                ctx->plan->hugepage_kib = kib;
                r = ctx_warn(ctx, "hugepages: %lu MiB are reserved at boot as %lu pages of %s for the guest; the host "
                                  "cannot use them, even while the guest is off",
                             vm->memory_mib, count, kib == 2048 ? "2 MiB" : "1 GiB");
        }
        if (r >= 0)
                r = pin(ctx);
        if (r >= 0)
                r = strv_push(&ctx->next.goals, "gaming");
        if (r >= 0)
                r = strv_pushf(&ctx->next.vm, "%lu", vm->memory_mib);
        if (r >= 0)
                r = strv_pushf(&ctx->next.vm, "%u", vm->cpus);
        return r;
}
