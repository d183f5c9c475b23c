/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Errors are negative errno values, or one of the codes below for failures
 * errno has no word for.  The codes sit far above any errno so the two never
 * collide, and every code carries its message.
 */
#define VS_ERRORS(X)                                                        \
        X(VS_E_CARD_SYNTAX,  "machine card has a line that is not understood") \
        X(VS_E_CARD_EMPTY,   "machine card lists no PCI devices")           \
        X(VS_E_JSON,         "could not build the JSON document")           \
        X(VS_E_ARCHIVE,      "could not write the archive")                 \
        X(VS_E_CONFIG,       "a configuration file cannot be edited safely") \
        X(VS_E_SELECTION,    "the selection cannot be set up as asked")    \
        X(VS_E_DIRTY_GROUP,  "the IOMMU group holds devices the host keeps") \
        X(VS_E_BOOT_VGA,     "the GPU is the boot VGA device")             \
        X(VS_E_HOST_DEVICE,  "the host is reached through a device the plan would take") \
        X(VS_E_CONFIRM,      "the plan needs more than one confirmation")  \
        X(VS_E_NO_TRIAL,     "the boot chain cannot start a trial boot once") \
        X(VS_E_COMMAND,      "a regeneration command failed")               \
        X(VS_E_STALE,        "a file changed since the plan was made")      \
        X(VS_E_UNFINISHED,   "an earlier apply did not finish")             \
        X(VS_E_JOURNAL,      "the journal of an earlier apply is damaged") \
        X(VS_E_NOT_REGULAR,  "not a regular file (a FIFO, device or socket)") \
        X(VS_E_LOCKED,       "another vfio-setup is changing this system")  \
        X(VS_E_JOURNAL_NEWER, "the journal was written by a newer vfio-setup") \
        X(VS_E_UNTRUSTED,    "the tree's programs are not the root user's alone") \
        X(VS_E_UNTRUSTED_JOURNAL, "the journal is not the user's alone")     \
        X(VS_E_NOT_SYSFS,    "the tree's sys is a copy, not the kernel's sysfs") \
        X(VS_E_GUEST_RUNNING, "a guest holds the devices single-GPU mode handed over")

enum {
        VS_E_BASE = 4096,
#define VS_ERROR_ENUM(name, msg) name,
        VS_ERRORS(VS_ERROR_ENUM)
#undef VS_ERROR_ENUM
        VS_E_END
};

/* Message for a negative error code (errno or VS_E_*). Never NULL. */
const char *vs_strerror(int err);
