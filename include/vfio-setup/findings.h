/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/machine.h"
#include "vfio-setup/remedy.h"

/*
 * The verdicts a user reads: what was found, whether it is fine, and what
 * to do about it.  The CLI prints them; the wizard shows them per step.
 */
enum severity { SEVERITY_INFO, SEVERITY_OK, SEVERITY_WARNING, SEVERITY_PROBLEM };

enum section {
        SECTION_HARDWARE,
        SECTION_FIRMWARE,
        SECTION_GPUS,
        SECTION_STORAGE,
        SECTION_HOST,
        SECTION_BOOT,
        SECTION_VFIO,
        SECTION_DETECTION,
        _SECTION_MAX
};

struct finding {
        enum section section;
        enum severity severity;
        char *text;
        char *advice;       /* what to do, or NULL */
        int gpu;            /* index into machine.gpus for a GPU's verdict, else -1 */
        int about_gpu;      /* index into machine.gpus for the verdict and the notes on a GPU, else -1 */
};

struct findings {
        struct finding *v;
        size_t n;
};

int findings_build(const struct machine *m, struct findings *ret);
/* The findings with their remedies in the front end's words (remedy.h). */
int findings_word(struct findings *f, const char *const words[_REMEDY_MAX]);
void findings_free(struct findings *f);

const char *section_title(enum section s);
const char *severity_label(enum severity s);

/*
 * Why a device is in no IOMMU group while the kernel's IOMMU is on, and what to do: detect's
 * advice, plan's refusal and the wizard's GPU step say it in these words.
 */
const char *findings_no_group_advice(const struct machine *m);

/* The GPU to pass through when the user has no preference: index into gpus, or -ENOENT. */
int machine_recommended_gpu(const struct machine *m, size_t *ret);
