/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "vfio-setup/machine.h"
#include "vfio-setup/strv.h"
#include "vfio-setup/sysroot.h"

/*
 * Why a guest did not start, from its logs: each line that holds a known failure's core
 * phrase (the prefix before it differs between QEMU versions), named with its cause and its
 * fix in this machine's terms.  Lines that look like errors and match nothing are kept as
 * they are, not guessed at.
 */
#define DOCTOR_FAILURES(X)                                                                         \
        X(GROUP_NOT_VIABLE, "group-not-viable", "an IOMMU group with devices not on vfio-pci")    \
        X(BAR_RESERVE,      "bar-reserve",      "the GPU's memory is held by a framebuffer")       \
        X(RESET_BUG,        "reset-bug",        "the device stopped answering: it did not reset")  \
        X(GROUP_BUSY,       "group-busy",       "the IOMMU group is in use")                       \
        X(NOT_ON_VFIO,      "not-on-vfio",      "the device is not on vfio-pci")                   \
        X(NO_IOMMU,         "no-iommu",         "the kernel's IOMMU is off")                       \
        X(HUGEPAGES,        "hugepages",        "the guest's hugepages could not be had")          \
        X(KVM_DENIED,       "kvm-denied",       "QEMU may not open /dev/kvm")                      \
        X(SHM_DENIED,       "shm-denied",       "QEMU may not open Looking Glass's shared memory") \
        X(NVIDIA_HIDDEN,    "nvidia-code-43",   "an NVIDIA GPU in a guest that shows it runs on KVM")

enum doctor_failure {
#define DOCTOR_ENUM(id, name, text) DOCTOR_##id,
        DOCTOR_FAILURES(DOCTOR_ENUM)
#undef DOCTOR_ENUM
        _DOCTOR_MAX
};

struct doctor_finding {
        enum doctor_failure failure;
        char *source;           /* "/var/log/libvirt/qemu/win11.log:12", or the domain's file */
        char *line;             /* the log's line as it is (escape it for the output) */
        char *cause;
        char *fix;
};

struct doctor_result {
        struct doctor_finding *findings;
        size_t n;
        struct strv read;       /* the files read */
        struct strv unknown;    /* error lines no known failure matches, "source: line" */
};

/*
 * Reads DOMAIN's QEMU log (its last start), libvirt's own logs and the kernel's, or with
 * domain NULL the files of logs (absolute paths in the tree) alone.  -ENOENT with
 * *ret_reason when no log could be read.
 */
int doctor_run(const struct sysroot *sr, const struct machine *m, const char *domain, const struct strv *logs,
               struct doctor_result *ret, char **ret_reason);
const char *doctor_failure_name(enum doctor_failure f);
const char *doctor_failure_text(enum doctor_failure f);
void doctor_result_free(struct doctor_result *r);
