/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pinning.h"

static int refuse(char **ret_reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(char **ret_reason, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(ret_reason, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : -VS_E_SELECTION;
}

/* The host's: core 0's L3 group (or core 0 alone when all share one L3), and efficiency cores. */
static bool for_host(const struct cpu_topology *t, const struct cpu_core *c)
{
        if (c->kind == CORE_KIND_EFFICIENCY)
                return true;
        return t->n_l3 > 1 ? c->l3 == t->cores[0].l3 : c == &t->cores[0];
}

int pinning_suggest(const struct cpu_topology *t, unsigned vcpus, struct pinning *ret, char **ret_reason)
{
        struct pinning p = { 0 };
        size_t spare = 0, total = 0, n_threads = 0;
        unsigned threads = 0;

        if (t->n_cores < 2)
                return refuse(ret_reason, "CPU pinning: the CPU topology (sys/devices/system/cpu) is unknown or has "
                                          "a single core");
        for (size_t i = 0; i < t->n_cores; i++) {
                if (for_host(t, &t->cores[i]))
                        continue;
                spare += t->cores[i].n_cpus;
                threads = threads == 0 || threads == t->cores[i].n_cpus ? (unsigned)t->cores[i].n_cpus : 1;
        }
        if (spare == 0)
                return refuse(ret_reason, "CPU pinning: every core shares core 0's L3 cache or is an efficiency core; "
                                          "nothing is left for the guest");
        if (vcpus > spare)
                return refuse(ret_reason, "CPU pinning: %u vCPUs asked for, but the host keeps core 0's group and "
                                          "%zu threads are left for the guest", vcpus, spare);
        if (vcpus % threads != 0)
                return refuse(ret_reason, "CPU pinning: %u vCPUs would split a core between guest and host; ask for a "
                                          "multiple of %u", vcpus, threads);
        if (vcpus == 0)
                vcpus = (unsigned)spare;

        for (size_t i = 0; i < t->n_cores; i++)
                total += t->cores[i].n_cpus;
        p.guest = calloc(vcpus, sizeof(*p.guest));
        p.host = calloc(total, sizeof(*p.host));
        if (!p.guest || !p.host) {
                pinning_free(&p);
                return -ENOMEM;
        }
        /* Group by group in the order the groups first appear, so that only the last one is partly used. */
        for (size_t i = 0; i < t->n_cores && p.n_guest < vcpus; i++) {
                unsigned l3 = t->cores[i].l3;
                bool seen = false, used = false;

                for (size_t k = 0; k < i && !seen; k++)
                        seen = t->cores[k].l3 == l3;
                for (size_t k = i; !seen && k < t->n_cores && p.n_guest < vcpus; k++) {
                        const struct cpu_core *c = &t->cores[k];

                        if (c->l3 != l3 || for_host(t, c) || p.n_guest + c->n_cpus > vcpus)
                                continue;
                        memcpy(p.guest + p.n_guest, c->cpus, c->n_cpus * sizeof(*c->cpus));
                        p.n_guest += c->n_cpus;
                        used = true;
                }
                p.n_l3 += used;
        }
        for (size_t i = 0; i < t->n_cores; i++)
                for (size_t k = 0; for_host(t, &t->cores[i]) && k < t->cores[i].n_cpus; k++)
                        p.host[n_threads++] = t->cores[i].cpus[k];
        cpulist_sort(p.host, n_threads);
        p.n_host = n_threads;
        p.threads = threads;
        /* Cores of unequal size (threads 1) can leave a remainder no whole core fills. */
        if (p.n_guest != vcpus) {
                pinning_free(&p);
                return refuse(ret_reason, "CPU pinning: %u vCPUs cannot be made of whole cores here", vcpus);
        }
        *ret = p;
        return 0;
}

void pinning_free(struct pinning *p)
{
        free(p->guest);
        free(p->host);
        *p = (struct pinning){ 0 };
}
