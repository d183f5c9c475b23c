/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "vfio-setup/plan.h"

/* A GPU and its companions, as the plan passes them. */
static int gpu_devices(const struct machine *m, const char *address, struct strv *ret)
{
        size_t idx;
        int r = 0;

        if (machine_find_device(m, address, &idx) < 0)
                return 0;
        for (size_t i = 0; i < m->n_gpus && r >= 0; i++) {
                if (m->gpus[i].device != idx)
                        continue;
                r = strv_push(ret, m->devices[idx].address);
                for (size_t k = 0; k < m->gpus[i].n_companions && r >= 0; k++)
                        r = strv_push(ret, m->devices[m->gpus[i].companions[k]].address);
        }
        return r;
}

int plan_guest_devices(const struct machine *m, const struct selection *sel, const struct plan *p, size_t guest,
                       size_t guests, struct strv *ret)
{
        struct strv mine = { 0 }, others = { 0 };
        int r = 0;

        if (guests <= 1)
                return strv_merge(ret, &p->devices);
        if (guests != 1 + sel->more_gpus.n || guest >= guests)
                return -EINVAL;
        r = gpu_devices(m, guest ? sel->more_gpus.v[guest - 1] : sel->gpu, &mine);
        /* The first guest also takes what no GPU brought: the extras. */
        for (size_t j = 1; guest == 0 && j < guests && r >= 0; j++)
                r = gpu_devices(m, sel->more_gpus.v[j - 1], &others);
        for (size_t k = 0; guest == 0 && k < p->devices.n && r >= 0; k++)
                if (!strv_contains(&others, p->devices.v[k]) && !strv_contains(&mine, p->devices.v[k]))
                        r = strv_push(&mine, p->devices.v[k]);
        if (r >= 0)
                r = strv_merge(ret, &mine);
        strv_free(&mine);
        strv_free(&others);
        return r;
}

void plan_guest_view(const struct plan *p, const struct strv *devices, bool first, struct plan *ret)
{
        *ret = *p;
        ret->devices = *devices;
        if (first)
                return;
        /* The goals' memory, cores, shared memory and disks are the first guest's. */
        ret->lg_size_mb = 0;
        ret->lg_kvmfr = false;
        ret->vm_memory_mib = 0;
        ret->pinning.n_guest = 0;
        ret->disks = (struct strv){ 0 };
}
