/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Verdicts and advice, and the JSON document. */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/findings.h"
#include "vfio-setup/machine_json.h"

static char *root;
static struct sysroot *sr;
static struct machine *m;
static struct findings f;

static void setup(void)
{
        root = tl_root_new();
        sr = tl_sysroot(root);
        m = NULL;
        f = (struct findings){ 0 };
}

static void teardown(void)
{
        findings_free(&f);
        machine_free(m);
        sysroot_free(sr);
        tl_root_free(root);
}

static void run(void)
{
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(findings_build(m, &f), 0);
}

/* Drops the last run's machine and findings, for a run on a changed tree. */
static void forget(void)
{
        findings_free(&f);
        f = (struct findings){ 0 };
        machine_free(m);
        m = NULL;
}

static const struct finding *find(const char *needle)
{
        for (size_t i = 0; i < f.n; i++)
                if (strstr(f.v[i].text, needle))
                        return &f.v[i];
        return NULL;
}

START_TEST(intel_without_kernel_parameter)
{
        const struct finding *x;

        tl_write(root, "proc/cpuinfo", "vendor_id : GenuineIntel\nflags : vmx\n");
        tl_write(root, "proc/cmdline", "ro quiet\n");
        tl_write(root, "sys/firmware/acpi/tables/DMAR", "");
        run();
        x = find("intel_iommu=on is missing");
        ck_assert_ptr_nonnull(x);
        ck_assert_int_eq(x->severity, SEVERITY_PROBLEM);
        ck_assert_int_eq(x->section, SECTION_FIRMWARE);
        ck_assert_ptr_nonnull(find("Firmware IOMMU table: DMAR present"));
        ck_assert_ptr_nonnull(find("No GPU found"));
}
END_TEST

START_TEST(firmware_switch_advice)
{
        const struct finding *x;

        tl_write(root, "proc/cpuinfo", "vendor_id : AuthenticAMD\nflags : fpu\n");
        tl_write(root, "proc/cmdline", "ro amd_iommu=on\n");
        run();
        x = find("Firmware IOMMU table missing");
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(strstr(x->advice, "not Auto"));
        ck_assert_ptr_nonnull(strstr(x->advice, "NBIO"));
        x = find("AMD-V (SVM) is off");
        ck_assert_ptr_nonnull(x);
        ck_assert_int_eq(x->severity, SEVERITY_PROBLEM);
        x = find("amd_iommu=on is not a valid value");
        ck_assert_ptr_nonnull(x);
        ck_assert_int_eq(x->severity, SEVERITY_WARNING);
}
END_TEST

START_TEST(gpu_verdicts_and_json)
{
        json_object *doc, *gpus, *g, *v;
        char *json;
        size_t best;

        tl_write(root, "proc/cpuinfo", "vendor_id : AuthenticAMD\nflags : svm\n");
        tl_mkdir(root, "sys/class/iommu/ivhd0");
        tl_write(root, "sys/firmware/acpi/tables/IVRS", "");
        tl_pci_device(root, "0000:0a:00.0", "0x10de\n", "0x1c03\n", "0x030000\n", 8, "nvidia");
        tl_write(root, "sys/devices/pci0000:00/0000:0a:00.0/boot_vga", "1\n");
        tl_pci_device(root, "0000:0b:00.0", "0x1002\n", "0x73bf\n", "0x030000\n", 9, "amdgpu");
        tl_pci_device(root, "0000:0b:00.1", "0x1002\n", "0xab28\n", "0x040300\n", 9, NULL);
        tl_pci_device(root, "0000:0c:00.0", "garbage\n", "0x0001\n", "0x010802\n", 10, NULL);
        run();
        ck_assert_int_eq(machine_recommended_gpu(m, &best), 0);
        ck_assert_uint_eq(best, 1);
        ck_assert_ptr_nonnull(find("Recommended for passthrough: 0000:0b:00.0"));
        ck_assert_int_eq(find("0000:0a:00.0")->gpu, 0);
        ck_assert_int_eq(find("0000:0a:00.0")->severity, SEVERITY_WARNING);

        ck_assert_int_eq(machine_to_json(m, &json), 0);
        doc = json_tokener_parse(json);
        ck_assert_ptr_nonnull(doc);
        ck_assert(json_object_object_get_ex(doc, "gpus", &gpus));
        ck_assert_uint_eq(json_object_array_length(gpus), 2);
        g = json_object_array_get_idx(gpus, 1);
        ck_assert(json_object_object_get_ex(g, "vfio_ids", &v));
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 1)), "1002:ab28");
        ck_assert(json_object_object_get_ex(g, "passthrough_ok", &v));
        ck_assert(json_object_get_boolean(v));
        ck_assert(json_object_object_get_ex(g, "group_clean", &v));
        ck_assert(json_object_get_boolean(v));
        ck_assert(json_object_object_get_ex(doc, "devices", &v));
        /* Unreadable ids are null, not zero. */
        ck_assert(json_object_object_get_ex(json_object_array_get_idx(v, 3), "vendor_id", &g));
        ck_assert_ptr_null(g);
        ck_assert(json_object_object_get_ex(doc, "recommended_gpu", &v));
        ck_assert_str_eq(json_object_get_string(v), "0000:0b:00.0");
        ck_assert(json_object_object_get_ex(doc, "warnings", &v));
        ck_assert_uint_eq(json_object_array_length(v), 1);
        json_object_put(doc);
        free(json);
}
END_TEST

/* intel_iommu=, amd_iommu= and iommu= take comma-separated options: "on,sm_on" is on. */
START_TEST(options_in_a_list)
{
        tl_write(root, "proc/cpuinfo", "vendor_id : GenuineIntel\nflags : vmx\n");
        tl_write(root, "proc/cmdline", "ro intel_iommu=on,sm_on iommu=pt,nopanic\n");
        tl_write(root, "sys/firmware/acpi/tables/DMAR", "");
        run();
        ck_assert_ptr_null(find("intel_iommu=on is missing"));
        ck_assert_ptr_nonnull(find("Kernel IOMMU off although the firmware table is present"));
        ck_assert_ptr_nonnull(find("iommu=pt: host devices bypass"));
        forget();
        tl_write(root, "proc/cmdline", "ro intel_iommu=sm_on,off\n");
        run();
        ck_assert_ptr_nonnull(find("the kernel command line turns it off"));
        forget();
        /* "onion" is not "on". */
        tl_write(root, "proc/cmdline", "ro intel_iommu=onion\n");
        run();
        ck_assert_ptr_nonnull(find("intel_iommu=on is missing"));
}
END_TEST

/* A GPU in no group while the kernel IOMMU is on: why, and what to do when the command line says. */
START_TEST(gpu_outside_the_iommu)
{
        const struct finding *x;

        tl_write(root, "proc/cpuinfo", "vendor_id : GenuineIntel\nflags : vmx\n");
        tl_write(root, "proc/cmdline", "ro intel_iommu=on,igfx_off\n");
        tl_write(root, "sys/firmware/acpi/tables/DMAR", "");
        tl_mkdir(root, "sys/class/iommu/dmar0");
        tl_pci_device(root, "0000:00:02.0", "0x8086\n", "0x4680\n", "0x030000\n", -1, "i915");
        tl_pci_device(root, "0000:01:00.0", "0x1002\n", "0x73ff\n", "0x030000\n", 1, "amdgpu");
        run();
        x = find("0000:00:02.0");
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(strstr(x->text, "the device has no IOMMU group"));
        ck_assert_ptr_nonnull(strstr(x->advice, "igfx_off"));
        ck_assert_int_eq(m->gpus[0].group_clean, TRI_YES);
        ck_assert(!m->gpus[0].passthrough_ok);
        forget();
        tl_write(root, "proc/cmdline", "ro intel_iommu=on\n");
        run();
        x = find("0000:00:02.0");
        ck_assert_ptr_nonnull(strstr(x->advice, "does not translate for it"));
}
END_TEST

int main(void)
{
        Suite *s = suite_create("findings");
        TCase *tc = tcase_create("findings");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, intel_without_kernel_parameter);
        tcase_add_test(tc, firmware_switch_advice);
        tcase_add_test(tc, gpu_verdicts_and_json);
        tcase_add_test(tc, options_in_a_list);
        tcase_add_test(tc, gpu_outside_the_iommu);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
