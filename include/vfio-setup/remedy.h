/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "vfio-setup/strv.h"

/*
 * The ways out the libraries point to (an option to give, a command to run, a choice to
 * make), as codes: the libraries never word them, since the CLI says "--allow-boot-vga"
 * where the wizard says "press v".  A library text holds a remedy as a mark, REMEDY(NAME)
 * (a string literal), or REMEDY_WITH(NAME) "%s" REMEDY_END for one that names a fact
 * (an address, a domain); each front end words the marks with its own table
 * (src/cli/remedies.c, src/tui/remedies.c) through remedy_render().
 */
/* X(NAME, FACT): FACT 1 for a remedy whose mark carries a fact its words may name. */
#define REMEDY_LIST(X) \
        X(NAME_GPU, 0)          /* choose the GPU to pass through */ \
        X(BOOT_VGA, 0)          /* pass the boot display anyway, as a sentence */ \
        X(BOOT_VGA_CHOICE, 0)   /* ... as a few words in brackets */ \
        X(SINGLE_GPU, 0)        /* keep the GPU with the host until the guest starts, as a sentence */ \
        X(SINGLE_GPU_CHOICE, 0) /* ... as a few words in brackets */ \
        X(NO_SINGLE_GPU, 0)     /* the devices bound at boot rather than by single-GPU mode */ \
        X(HANDOVER, 0)          /* the GPU handed to a guest while it runs, the host keeping its display */ \
        X(NO_HANDOVER, 0)       /* the devices bound at boot rather than handed over */ \
        X(DIRTY_GROUP, 0)       /* pass the group's other devices, or accept the group */ \
        X(DIRTY_ACCEPTED, 0)    /* the group was accepted as it is */ \
        X(LG_USER, 0)           /* name the user who runs the Looking Glass client */ \
        X(STORAGE, 0)           /* choose a controller or disk for the guest */ \
        X(STORAGE_CONTROLLER, 1)/* give the guest the controller FACT */ \
        X(STORAGE_DISKS, 0)     /* give the guest disks one by one */ \
        X(STORAGE_DISK, 1)      /* give the guest the disk FACT alone */ \
        X(DISK_NAMED, 1)        /* the disk FACT, as the user named it */ \
        X(DISK_LIMIT, 0)        /* where the number of disks was given */ \
        X(DISKS_XML, 0)         /* where the domain's disks come from */ \
        X(HOST_DISK, 0)         /* give the guest a disk the host does not use */ \
        X(HOST_WAY, 0)          /* pass a way into the host anyway, as a sentence */ \
        X(HOST_WAY_CHOICE, 0)   /* ... as a few words in brackets */ \
        X(VM_MEMORY, 0)         /* give the guest less memory */ \
        X(PIN_XML, 0)           /* where the domain's <cputune> comes from */ \
        X(LG_XML, 0)            /* where the domain's shared memory comes from */ \
        X(DOMAIN_XML, 1)        /* where a whole domain named FACT comes from */ \
        X(RELEASE_GPU, 1)       /* give back the devices handed over with GPU FACT */ \
        X(NAME_BOOTLOADER, 0)   /* name the boot loader */ \
        X(OSTREE_CHAIN, 0)      /* the rpm-ostree boot chain */ \
        X(INITRAMFS, 0)         /* choose the initramfs generator */ \
        X(RELEASE_OR_MOVE, 0)   /* remove passthrough, or move it to another GPU */ \
        X(NAME_GPU_VERIFY, 0)   /* name the GPU to verify */ \
        X(LIVE_ROOT, 0)         /* read from the running kernel */ \
        X(NO_TRIAL, 0)          /* set up for good without a trial boot */ \
        X(COMMIT, 0)            /* make the trial's setup the default */ \
        X(TRIAL_AGAIN, 0)       /* remove the trial, or start it once more at the next boot */

#define REMEDY_ENUM(name, fact) REMEDY_##name,
enum remedy { REMEDY_LIST(REMEDY_ENUM) _REMEDY_MAX };
#undef REMEDY_ENUM

#define REMEDY(name) "\x1e" #name "\x1f"
#define REMEDY_WITH(name) "\x1e" #name "\x1d"
#define REMEDY_END "\x1f"

/*
 * text with each mark replaced by words[code]; a "%s" in the words of a remedy that carries
 * a fact (REMEDY_WITH) takes the fact.  -EINVAL for a mark naming no remedy, or a mark
 * with a fact its remedy does not carry, or without one it does.
 */
int remedy_render(const char *text, const char *const words[_REMEDY_MAX], char **ret);
/* remedy_render on each string of l, in place. */
int remedy_render_strv(struct strv *l, const char *const words[_REMEDY_MAX]);
/* Renders *text in place; NULL stays NULL. */
int remedy_render_in_place(char **text, const char *const words[_REMEDY_MAX]);
/*
 * Whether every remedy has words, with no '%' but a single "%s" in those of a remedy that
 * carries a fact: -EINVAL and the first remedy's name that does not (for the front ends'
 * tests).
 */
int remedy_words_check(const char *const words[_REMEDY_MAX], const char **ret_name);
