/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/cpulist.h"
#include "vfio-setup/detect.h"

#define CPU_DIR "sys/devices/system/cpu"

/* The indices are not tied to levels (index3 is usually, not always, L3): each one says its level. */
#define MAX_CACHE_INDEX 8

struct cpu_sets {
        unsigned *p, *e;            /* sys/devices/cpu_core/cpus and cpu_atom/cpus (hybrid only) */
        size_t n_p, n_e;
};

static int read_list(const struct sysroot *sr, const char *rel, unsigned limit, unsigned **ret, size_t *ret_n)
{
        char *line;
        int r;

        r = sysroot_read_line(sr, rel, &line);
        if (r < 0)
                return r;
        r = cpulist_parse(line, limit, ret, ret_n);
        free(line);
        return r;
}

static bool in_list(const unsigned *cpus, size_t n, unsigned cpu)
{
        for (size_t i = 0; i < n; i++)
                if (cpus[i] == cpu)
                        return true;
        return false;
}

/* The lowest CPU sharing cpu's L3 cache; without one (or unreadable), the core itself. */
static unsigned l3_of(const struct sysroot *sr, unsigned cpu, unsigned core_first, unsigned limit)
{
        for (int i = 0; i < MAX_CACHE_INDEX; i++) {
                char rel[96];
                unsigned long level;
                unsigned *shared;
                size_t n;
                unsigned first;

                snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cache/index%d/level", cpu, i);
                if (sysroot_read_uint(sr, rel, &level) < 0 || level != 3)
                        continue;
                snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cache/index%d/shared_cpu_list", cpu, i);
                if (read_list(sr, rel, limit, &shared, &n) < 0 || n == 0)
                        break;
                first = shared[0];
                free(shared);
                return first;
        }
        return core_first;
}

static int cmp_core(const void *a, const void *b)
{
        const struct cpu_core *x = a, *y = b;

        return x->cpus[0] < y->cpus[0] ? -1 : x->cpus[0] > y->cpus[0];
}

/* One core per set of SMT siblings, made when its lowest CPU comes by. */
static int add_core(const struct sysroot *sr, struct cpu_topology *t, unsigned cpu, const struct cpu_sets *sets,
                    unsigned limit)
{
        struct cpu_core *grown, *core;
        unsigned *siblings;
        size_t n;
        char rel[96];
        int r;

        snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/thread_siblings_list", cpu);
        r = read_list(sr, rel, limit, &siblings, &n);
        /* Offline or unreadable: a CPU the guest cannot be pinned to anyway. */
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        if (n == 0 || !in_list(siblings, n, cpu)) {
                free(siblings);
                return 0;
        }
        t->n_threads++;
        if (siblings[0] != cpu) {
                free(siblings);
                return 0;
        }
        grown = reallocarray(t->cores, t->n_cores + 1, sizeof(*t->cores));
        if (!grown) {
                free(siblings);
                return -ENOMEM;
        }
        t->cores = grown;
        core = &t->cores[t->n_cores++];
        *core = (struct cpu_core){ .cpus = siblings, .n_cpus = n, .l3 = l3_of(sr, cpu, cpu, limit) };
        if (in_list(sets->p, sets->n_p, cpu))
                core->kind = CORE_KIND_PERFORMANCE;
        else if (in_list(sets->e, sets->n_e, cpu))
                core->kind = CORE_KIND_EFFICIENCY;
        return 0;
}

static int read_topology(const struct sysroot *sr, struct cpu_topology *t)
{
        struct cpu_sets sets = { 0 };
        struct strv names = { 0 };
        unsigned limit = 0, cpu;
        char tail;
        int r;

        r = sysroot_list(sr, CPU_DIR, &names);
        if (r < 0)
                return r == -ENOMEM ? r : 0;
        /* CPU lists name only CPUs the machine has. */
        for (size_t i = 0; i < names.n; i++)
                if (sscanf(names.v[i], "cpu%u%c", &cpu, &tail) == 1 && cpu >= limit)
                        limit = cpu + 1;
        if (read_list(sr, "sys/devices/cpu_core/cpus", limit, &sets.p, &sets.n_p) == -ENOMEM ||
            read_list(sr, "sys/devices/cpu_atom/cpus", limit, &sets.e, &sets.n_e) == -ENOMEM)
                r = -ENOMEM;
        t->hybrid = sets.n_p > 0 && sets.n_e > 0;
        for (size_t i = 0; i < names.n && r >= 0; i++)
                if (sscanf(names.v[i], "cpu%u%c", &cpu, &tail) == 1)
                        r = add_core(sr, t, cpu, &sets, limit);
        if (r >= 0 && t->n_cores > 0) {
                unsigned *seen = calloc(t->n_cores, sizeof(*seen));

                qsort(t->cores, t->n_cores, sizeof(*t->cores), cmp_core);
                if (!seen)
                        r = -ENOMEM;
                for (size_t i = 0; seen && i < t->n_cores; i++) {
                        size_t k = 0;

                        while (k < t->n_l3 && seen[k] != t->cores[i].l3)
                                k++;
                        if (k == t->n_l3)
                                seen[t->n_l3++] = t->cores[i].l3;
                }
                free(seen);
        }
        free(sets.p);
        free(sets.e);
        strv_free(&names);
        return r;
}

static int read_memory(const struct sysroot *sr, struct machine *m)
{
        char *buf, *line;
        unsigned long kib;
        int r;

        r = sysroot_read(sr, "proc/meminfo", 0, &buf, NULL);
        if (r < 0)
                return detect_warn_file(m, "proc/meminfo", r);
        line = strstr(buf, "MemTotal:");
        if (line && sscanf(line, "MemTotal: %lu kB", &kib) == 1)
                m->memory_mib = kib / 1024;
        free(buf);
        return 0;
}

int detect_topology(const struct sysroot *sr, struct machine *m)
{
        int r;

        r = read_topology(sr, &m->topology);
        if (r >= 0)
                r = read_memory(sr, m);
        return r;
}
