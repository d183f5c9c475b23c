/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "vfio-setup/machine.h"

/*
 * Which host CPUs a guest's vCPUs run on.  A core's SMT siblings stay
 * together (vCPUs side by side, as the guest's topology expects), L3 groups
 * (AMD CCXs/CCDs) are filled one after another, and core 0's L3 group stays
 * with the host, which also keeps a hybrid CPU's efficiency cores.
 */
struct pinning {
        unsigned *guest;        /* the host CPU of vCPU 0, 1, ... */
        size_t n_guest;
        unsigned *host;         /* what the host keeps, sorted: for it and QEMU's emulator threads */
        size_t n_host;
        unsigned threads;       /* per guest core: n_guest = cores * threads */
        size_t n_l3;            /* L3 groups the guest spans */
};

/*
 * vcpus 0: every CPU the host can spare.  Refused (-VS_E_SELECTION, with
 * *ret_reason) when the topology is unknown, too small, or vcpus cannot be
 * made of whole cores.
 */
int pinning_suggest(const struct cpu_topology *t, unsigned vcpus, struct pinning *ret, char **ret_reason);
void pinning_free(struct pinning *p);
