/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rule of DESIGN "GPUs and groups", on machines built by hand. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/pciaddr.h"

static struct machine *m;

static void setup(void)
{
        m = tl_machine();
        m->devices = calloc(32, sizeof(*m->devices));
        m->iommu.kernel_active = true;
}

static void teardown(void)
{
        machine_free(m);
}

/* Devices must be added in address order, as detect_pci leaves them. */
static void dev(const char *addr, unsigned cls, unsigned vid, unsigned did, int group)
{
        struct pci_device *d = &m->devices[m->n_devices++];

        ck_assert_int_eq(pci_address_parse(addr, &d->domain, &d->bus, &d->dev, &d->func), 0);
        pci_address_format(d->domain, d->bus, d->dev, d->func, d->address);
        d->class_id = (uint16_t)cls;
        d->vendor_id = (uint16_t)vid;
        d->device_id = (uint16_t)did;
        d->ids_known = d->class_known = true;
        d->iommu_group = group;
        d->boot_vga = (cls >> 8) == 3 ? 0 : -1;
}

static const struct gpu_info *gpu(const char *addr)
{
        for (size_t i = 0; i < m->n_gpus; i++)
                if (strcmp(m->devices[m->gpus[i].device].address, addr) == 0)
                        return &m->gpus[i];
        ck_abort_msg("no GPU %s", addr);
        return NULL;
}

static bool has(const struct gpu_info *g, enum gpu_reason r)
{
        return g->reasons & (1u << r);
}

START_TEST(clean_group_with_companion_elsewhere)
{
        const struct gpu_info *g;

        dev("00:01.0", 0x0600, 0x1022, 0x1482, 0);
        dev("00:01.1", 0x0604, 0x1022, 0x1483, 1);
        dev("0a:00.0", 0x0300, 0x10de, 0x1c03, 8);
        dev("0a:00.1", 0x0403, 0x10de, 0x10f1, 8);
        dev("0b:00.0", 0x0300, 0x1002, 0x73bf, 9);
        dev("0b:00.1", 0x0403, 0x1002, 0xab28, 10);
        m->devices[2].boot_vga = 1;
        ck_assert_int_eq(detect_groups(m), 0);
        ck_assert_uint_eq(m->n_groups, 5);
        ck_assert_uint_eq(m->n_gpus, 2);

        g = gpu("0000:0b:00.0");
        ck_assert_uint_eq(g->n_companions, 1);
        ck_assert_str_eq(m->devices[g->companions[0]].address, "0000:0b:00.1");
        ck_assert_int_eq(g->group_clean, TRI_YES);
        ck_assert_uint_eq(g->vfio_ids.n, 2);
        ck_assert_str_eq(g->vfio_ids.v[0], "1002:73bf");
        ck_assert_str_eq(g->vfio_ids.v[1], "1002:ab28");
        ck_assert(g->passthrough_ok);

        g = gpu("0000:0a:00.0");
        ck_assert(has(g, GPU_REASON_BOOT_VGA));
        ck_assert(!g->passthrough_ok);
        ck_assert_int_eq(g->group_clean, TRI_YES);
}
END_TEST

START_TEST(bridges_stay_others_block)
{
        const struct gpu_info *g;

        dev("00:01.0", 0x0604, 0x8086, 0x1901, 1);
        dev("00:1c.0", 0x0609, 0x8086, 0xa394, 3);
        dev("00:1c.4", 0x0600, 0x8086, 0xa394, 3);
        dev("00:1f.0", 0x0601, 0x8086, 0xa305, 3);
        dev("02:00.0", 0x0200, 0x8086, 0x15f3, 3);
        dev("03:00.0", 0x0106, 0x1b21, 0x0612, 3);
        dev("04:00.0", 0x0300, 0x10de, 0x128b, 3);
        dev("04:00.1", 0x0403, 0x10de, 0x0e0f, 3);
        dev("05:00.0", 0x0300, 0x1002, 0x73ff, 1);
        m->devices[4].class_known = false; /* unknown class blocks too */
        ck_assert_int_eq(detect_groups(m), 0);
        g = gpu("0000:04:00.0");
        ck_assert_int_eq(g->group_clean, TRI_NO);
        ck_assert_uint_eq(g->n_blockers, 3);
        ck_assert_str_eq(m->devices[g->blockers[0]].address, "0000:00:1f.0");
        ck_assert_str_eq(m->devices[g->blockers[1]].address, "0000:02:00.0");
        ck_assert_str_eq(m->devices[g->blockers[2]].address, "0000:03:00.0");
        ck_assert(has(g, GPU_REASON_DIRTY_GROUP));
        ck_assert(!g->passthrough_ok);
        ck_assert_ptr_nonnull(strstr(g->reason_texts.v[0], "0000:03:00.0"));

        /* Only the root port shares group 1: clean. */
        g = gpu("0000:05:00.0");
        ck_assert_int_eq(g->group_clean, TRI_YES);
        ck_assert(g->passthrough_ok);
}
END_TEST

START_TEST(companion_group_counts)
{
        const struct gpu_info *g;

        dev("00:14.0", 0x0c03, 0x1022, 0x43d5, 10);
        dev("0b:00.0", 0x0300, 0x1002, 0x73bf, 9);
        dev("0b:00.1", 0x0403, 0x1002, 0xab28, 10);
        dev("0c:00.0", 0x0300, 0x10de, 0x1c03, 11);
        ck_assert_int_eq(detect_groups(m), 0);
        g = gpu("0000:0b:00.0");
        ck_assert_uint_eq(g->n_blockers, 1);
        ck_assert_str_eq(m->devices[g->blockers[0]].address, "0000:00:14.0");
}
END_TEST

START_TEST(four_functions_one_card)
{
        const struct gpu_info *g;

        dev("00:02.0", 0x0300, 0x8086, 0x3e98, 2);
        dev("01:00.0", 0x0300, 0x10de, 0x1f02, 1);
        dev("01:00.1", 0x0403, 0x10de, 0x10f9, 1);
        dev("01:00.2", 0x0c03, 0x10de, 0x1ada, 1);
        dev("01:00.3", 0x0c80, 0x10de, 0x1adb, 1);
        m->devices[0].boot_vga = 1;
        ck_assert_int_eq(detect_groups(m), 0);
        g = gpu("0000:01:00.0");
        ck_assert_uint_eq(g->n_companions, 3);
        ck_assert_uint_eq(g->n_blockers, 0);
        ck_assert_uint_eq(g->vfio_ids.n, 4);
        ck_assert(g->passthrough_ok);
}
END_TEST

START_TEST(iommu_off_leaves_groups_unknown)
{
        const struct gpu_info *g;

        m->iommu.kernel_active = false;
        dev("00:02.0", 0x0300, 0x8086, 0x3e98, PCI_GROUP_NONE);
        dev("01:00.0", 0x0302, 0x10de, 0x1f95, PCI_GROUP_NONE);
        ck_assert_int_eq(detect_groups(m), 0);
        ck_assert_uint_eq(m->n_groups, 0);
        g = gpu("0000:01:00.0");
        ck_assert_int_eq(g->group_clean, TRI_UNKNOWN);
        ck_assert(has(g, GPU_REASON_IOMMU_OFF));
        ck_assert(!g->passthrough_ok);
}
END_TEST

START_TEST(identical_and_single)
{
        const struct gpu_info *g;

        dev("0a:00.0", 0x0300, 0x1002, 0x67df, 1);
        dev("0b:00.0", 0x0300, 0x1002, 0x67df, 2);
        ck_assert_int_eq(detect_groups(m), 0);
        g = gpu("0000:0b:00.0");
        /* Said, but not blocking: the plan binds such a card by address. */
        ck_assert(has(g, GPU_REASON_IDENTICAL));
        ck_assert(g->passthrough_ok);
        ck_assert(!has(g, GPU_REASON_ONLY_GPU));
        machine_free(m);
        setup();
        dev("0a:00.0", 0x0380, 0x1002, 0x67df, 1);
        ck_assert_int_eq(detect_groups(m), 0);
        ck_assert(has(&m->gpus[0], GPU_REASON_ONLY_GPU));
        ck_assert(!m->gpus[0].passthrough_ok);
}
END_TEST

START_TEST(bound_to_vfio_is_not_blocking)
{
        dev("0a:00.0", 0x0300, 0x1002, 0x67df, 1);
        dev("0b:00.0", 0x0300, 0x10de, 0x2484, 2);
        m->devices[1].driver = strdup("vfio-pci");
        ck_assert_int_eq(detect_groups(m), 0);
        ck_assert(has(&m->gpus[1], GPU_REASON_BOUND_VFIO));
        ck_assert(m->gpus[1].passthrough_ok);
}
END_TEST

START_TEST(unreadable_ids)
{
        dev("0a:00.0", 0x0300, 0x1002, 0x67df, 1);
        dev("0b:00.0", 0x0300, 0, 0, 2);
        m->devices[1].ids_known = false;
        ck_assert_int_eq(detect_groups(m), 0);
        ck_assert(has(&m->gpus[1], GPU_REASON_UNKNOWN_IDS));
        ck_assert(!m->gpus[1].passthrough_ok);
        ck_assert_uint_eq(m->gpus[1].vfio_ids.n, 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("groups");
        TCase *tc = tcase_create("groups");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, clean_group_with_companion_elsewhere);
        tcase_add_test(tc, bridges_stay_others_block);
        tcase_add_test(tc, companion_group_counts);
        tcase_add_test(tc, four_functions_one_card);
        tcase_add_test(tc, iommu_off_leaves_groups_unknown);
        tcase_add_test(tc, identical_and_single);
        tcase_add_test(tc, bound_to_vfio_is_not_blocking);
        tcase_add_test(tc, unreadable_ids);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
