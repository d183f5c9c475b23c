/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "vfio-setup/card.h"
#include "vfio-setup/cpulist.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/pinning.h"
#include "vfio-setup/selection.h"

START_TEST(cpu_lists)
{
        static const char *const bad[] = { "a", "1-", "3-1", "1,,2", "-1", "1 2", "70000", "0-3x" };
        unsigned *cpus;
        size_t n;
        char *text;

        ck_assert_int_eq(cpulist_parse("0-3,8,10-11\n", 16, &cpus, &n), 0);
        ck_assert_uint_eq(n, 7);
        ck_assert_uint_eq(cpus[4], 8);
        text = cpulist_format(cpus, n);
        ck_assert_str_eq(text, "0-3,8,10-11");
        free(text);
        free(cpus);
        /* Unsorted and overlapping input comes out sorted and once each. */
        ck_assert_int_eq(cpulist_parse("5,1-2,2,0", 16, &cpus, &n), 0);
        text = cpulist_format(cpus, n);
        ck_assert_str_eq(text, "0-2,5");
        free(text);
        free(cpus);
        /* Formatting takes a set in any order, as pinning gives the guest's CPUs core by core. */
        text = cpulist_format((const unsigned[]){ 5, 36, 4, 37 }, 4);
        ck_assert_str_eq(text, "4-5,36-37");
        free(text);
        ck_assert_int_eq(cpulist_parse("\n", 16, &cpus, &n), 0);
        ck_assert_uint_eq(n, 0);
        text = cpulist_format(cpus, n);
        ck_assert_str_eq(text, "");
        free(text);
        free(cpus);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_msg(cpulist_parse(bad[i], 65536, &cpus, &n) == -EINVAL, "accepted: %s", bad[i]);
        /* Only CPUs the machine has. */
        ck_assert_int_eq(cpulist_parse("0-16", 16, &cpus, &n), -EINVAL);
}
END_TEST

/* A crafted list costs its length and the CPU count, not the product of its ranges. */
START_TEST(cpu_lists_are_cheap)
{
        char *text = malloc(4097);
        struct timespec a, b;
        unsigned *cpus;
        size_t n;

        for (size_t i = 0; i < 4096; i++)
                text[i] = "0-65535,"[i % 8];
        text[4095] = '\0';
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int k = 0; k < 64; k++) {
                ck_assert_int_eq(cpulist_parse(text, 16, &cpus, &n), -EINVAL);
                text[4094] = '5';
                ck_assert_int_eq(cpulist_parse("0-15,0-15,0-15,0-15", 16, &cpus, &n), 0);
                free(cpus);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert_int_lt((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 500);
        free(text);
}
END_TEST

START_TEST(sizes)
{
        static const struct {
                const char *text;
                unsigned long mib;
        } good[] = { { "16G", 16384 }, { "16GiB", 16384 }, { "12288M", 12288 }, { "12288", 12288 }, { "256M", 256 } };
        static const char *const bad[] = { "", "G", "16T", "-1G", "16 G", "255M", "99999999999999999999G" };
        unsigned long mib, kib, count;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                ck_assert_int_eq(memory_size_parse(good[i].text, &mib), 0);
                ck_assert_uint_eq(mib, good[i].mib);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_msg(memory_size_parse(bad[i], &mib) == -EINVAL, "accepted: %s", bad[i]);
        hugepages_for(16384, true, &kib, &count);
        ck_assert_uint_eq(kib, 1048576);
        ck_assert_uint_eq(count, 16);
        /* Not whole GiB, or no pdpe1gb: 2 MiB pages, rounded up. */
        hugepages_for(12289, true, &kib, &count);
        ck_assert_uint_eq(kib, 2048);
        ck_assert_uint_eq(count, 6145);
        hugepages_for(16384, false, &kib, &count);
        ck_assert_uint_eq(kib, 2048);
        ck_assert_uint_eq(count, 8192);
}
END_TEST

static void cpu(const char *siblings, int l3_index, const char *l3, unsigned n)
{
        char rel[128];

        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", n);
        tl_write(root, rel, siblings);
        /* L1 in index0, and the L3 at the index given: detection goes by the level, not the index. */
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cache/index0/level", n);
        tl_write(root, rel, "1\n");
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cache/index0/shared_cpu_list", n);
        tl_write(root, rel, siblings);
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cache/index%d/level", n, l3_index);
        tl_write(root, rel, "3\n");
        snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cache/index%d/shared_cpu_list", n, l3_index);
        tl_write(root, rel, l3);
}

START_TEST(topology_from_sysfs)
{
        /* Two CCXs of two cores with SMT; cpu8 is offline (no topology), cpufreq is no CPU. */
        static const char *const siblings[] = { "0,4", "1,5", "2,6", "3,7", "0,4", "1,5", "2,6", "3,7" };

        for (unsigned i = 0; i < 8; i++)
                cpu(siblings[i], i % 2 ? 3 : 2, i % 4 < 2 ? "0-1,4-5\n" : "2-3,6-7\n", i);
        tl_mkdir(root, "sys/devices/system/cpu/cpu8");
        tl_mkdir(root, "sys/devices/system/cpu/cpufreq");
        tl_write(root, "proc/meminfo", "MemTotal:       65777432 kB\nMemFree:        1 kB\n");
        ck_assert_int_eq(detect_topology(sr, m), 0);
        ck_assert_uint_eq(m->topology.n_cores, 4);
        ck_assert_uint_eq(m->topology.n_threads, 8);
        ck_assert_uint_eq(m->topology.n_l3, 2);
        ck_assert(!m->topology.hybrid);
        ck_assert_uint_eq(m->topology.cores[1].cpus[1], 5);
        ck_assert_uint_eq(m->topology.cores[1].l3, 0);
        ck_assert_uint_eq(m->topology.cores[3].l3, 2);
        ck_assert_uint_eq(m->memory_mib, 64235);
}
END_TEST

START_TEST(topology_unreadable)
{
        tl_write(root, "sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "garbage\n");
        ck_assert_int_eq(detect_topology(sr, m), 0);
        ck_assert_uint_eq(m->topology.n_cores, 0);
        ck_assert_uint_eq(m->memory_mib, 0);
}
END_TEST

/* The topology a fixture card describes, as detection reads it. */
static struct machine *card_machine(const char *name)
{
        struct card c;
        struct machine *cm;
        struct sysroot *csr;
        char *path, *dir;

        ck_assert_int_ge(asprintf(&path, "%s/fixtures/%s.card", TESTS_DIR, name), 0);
        ck_assert_int_ge(asprintf(&dir, "%s/%s", root, name), 0);
        ck_assert_int_eq(card_load(path, &c), 0);
        ck_assert_int_eq(card_build_root(&c, dir), 0);
        ck_assert_int_eq(sysroot_new(dir, &csr), 0);
        ck_assert_int_eq(detect_machine(csr, &cm), 0);
        sysroot_free(csr);
        card_free(&c);
        free(path);
        free(dir);
        return cm;
}

/* The CPUs as a list, for comparing sets. */
static char *list(const unsigned *cpus, size_t n)
{
        char *text = cpulist_format(cpus, n);

        ck_assert_ptr_nonnull(text);
        return text;
}

static void check_pinning(const struct machine *cm, unsigned vcpus, const char *guest, const char *host,
                          unsigned threads, size_t n_l3)
{
        struct pinning p;
        char *reason = NULL, *g, *h;

        ck_assert_int_eq(pinning_suggest(&cm->topology, vcpus, &p, &reason), 0);
        g = list(p.guest, p.n_guest);
        h = list(p.host, p.n_host);
        ck_assert_str_eq(g, guest);
        ck_assert_str_eq(h, host);
        ck_assert_uint_eq(p.threads, threads);
        ck_assert_uint_eq(p.n_l3, n_l3);
        /* A core's threads are consecutive vCPUs, so the guest's topology matches the host's. */
        for (size_t i = 0; threads == 2 && i + 1 < p.n_guest; i += 2)
                for (size_t k = 0; k < cm->topology.n_cores; k++)
                        if (cm->topology.cores[k].cpus[0] == p.guest[i])
                                ck_assert_uint_eq(cm->topology.cores[k].cpus[1], p.guest[i + 1]);
        free(g);
        free(h);
        pinning_free(&p);
}

static void check_refused(const struct machine *cm, unsigned vcpus, const char *words)
{
        struct pinning p;
        char *reason = NULL;

        ck_assert_int_eq(pinning_suggest(&cm->topology, vcpus, &p, &reason), -VS_E_SELECTION);
        ck_assert_msg(strstr(reason, words), "reason: %s", reason);
        free(reason);
}

START_TEST(pinning_threadripper)
{
        struct machine *cm = card_machine("threadripper-3970x");

        ck_assert_uint_eq(cm->topology.n_cores, 32);
        ck_assert_uint_eq(cm->topology.n_l3, 8);
        ck_assert(cm->cpu.pdpe1gb);
        ck_assert_uint_eq(cm->memory_mib, 131072);
        /* Core 0's CCX (0-3 and their siblings 32-35) stays with the host. */
        check_pinning(cm, 0, "4-31,36-63", "0-3,32-35", 2, 7);
        /* Eight vCPUs fill one CCX; twelve take the second CCX and half of the third. */
        check_pinning(cm, 8, "4-7,36-39", "0-3,32-35", 2, 1);
        check_pinning(cm, 12, "4-9,36-41", "0-3,32-35", 2, 2);
        check_refused(cm, 7, "multiple of 2");
        check_refused(cm, 58, "56 threads are left");
        machine_free(cm);
}
END_TEST

START_TEST(pinning_hybrid)
{
        struct machine *cm = card_machine("intel-12700k-hybrid");

        ck_assert(cm->topology.hybrid);
        ck_assert_uint_eq(cm->topology.n_cores, 12);
        ck_assert_uint_eq(cm->topology.n_l3, 1);
        ck_assert_int_eq(cm->topology.cores[8].kind, CORE_KIND_EFFICIENCY);
        /* One L3: the host keeps P-core 0 and every E-core. */
        check_pinning(cm, 0, "2-15", "0-1,16-19", 2, 1);
        check_pinning(cm, 4, "2-5", "0-1,16-19", 2, 1);
        check_refused(cm, 16, "14 threads are left");
        machine_free(cm);
}
END_TEST

START_TEST(pinning_ryzen_two_ccds)
{
        /* A Ryzen 9 5950X: two CCDs of eight cores, siblings numbered 16 up. */
        static const char card_text[] = "# cpu: amd\n# cpu-topology: cores=16 smt=2 l3=8\n"
                                        "IOMMU Group 1 0b:00.0 VGA compatible controller [0300]: X [1002:73bf]\n";
        struct card c;
        struct machine *cm;
        struct sysroot *csr;
        char *dir;

        ck_assert_int_ge(asprintf(&dir, "%s/5950x", root), 0);
        ck_assert_int_eq(card_parse(card_text, root, &c), 0);
        ck_assert_int_eq(card_build_root(&c, dir), 0);
        ck_assert_int_eq(sysroot_new(dir, &csr), 0);
        ck_assert_int_eq(detect_machine(csr, &cm), 0);
        ck_assert_uint_eq(cm->topology.n_l3, 2);
        /* The host keeps the first CCD; the guest gets the whole second one. */
        check_pinning(cm, 0, "8-15,24-31", "0-7,16-23", 2, 1);
        check_refused(cm, 18, "16 threads are left");
        machine_free(cm);
        sysroot_free(csr);
        card_free(&c);
        free(dir);
}
END_TEST

START_TEST(pinning_without_topology)
{
        struct machine *cm = card_machine("amd-x570-two-gpus");

        ck_assert_uint_eq(cm->topology.n_cores, 0);
        check_refused(cm, 0, "unknown");
        machine_free(cm);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("gaming");
        TCase *tc = tcase_create("gaming");

        tl_fixture(tc);
        tcase_add_test(tc, cpu_lists);
        tcase_add_test(tc, cpu_lists_are_cheap);
        tcase_add_test(tc, sizes);
        tcase_add_test(tc, topology_from_sysfs);
        tcase_add_test(tc, topology_unreadable);
        tcase_add_test(tc, pinning_threadripper);
        tcase_add_test(tc, pinning_hybrid);
        tcase_add_test(tc, pinning_ryzen_two_ccds);
        tcase_add_test(tc, pinning_without_topology);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
