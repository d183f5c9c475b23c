/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wizard without a terminal: machines from the fixture cards, scripted
 * keys, and the screen at fixed sizes compared with golden text in
 * tests/wizard/golden (UPDATE_GOLDEN=1 rewrites them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "vfio-setup/card.h"
#include "vfio-setup/journal.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/wizard.h"

static char *root, *stubs;
static bool tree_commands;      /* the tree's own commands, chrooted, rather than the stand-ins */
static char sysfs_log[1024];    /* where reading a ROM writes, instead of the fake sysfs */
static struct sysroot *sr;
static struct wizard *w;

/* files: relative path, content, ..., NULL; written over the card's root before detection. */
static void load_with(const char *card_name, bool can_apply, const char *const *files)
{
        char path[1024];
        struct card c;
        struct machine *m;
        struct wizard_options o = {
                .can_apply = can_apply,
                .why_not = "Applying changes the system and needs root: run sudo vfio-setup to apply.",
                .apply = { .regenerate = true, .run = { .root = "/", .command_dir = tree_commands ? NULL : stubs,
                                                        .timeout = 10 } },
                .sysfs_log = sysfs_log,
        };

        root = tl_root_new();
        if (card_name[0] == '/')
                snprintf(path, sizeof(path), "%s", card_name);
        else
                snprintf(path, sizeof(path), "%s/fixtures/%s.card", TESTS_DIR, card_name);
        ck_assert_int_eq(card_load(path, &c), 0);
        ck_assert_int_eq(card_build_root(&c, root), 0);
        card_free(&c);
        for (size_t i = 0; files && files[i]; i += 2)
                tl_write(root, files[i], files[i + 1]);
        sr = tl_sysroot(root);
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(wizard_new(sr, m, &o, &w), 0);
}

static void load(const char *card_name, bool can_apply)
{
        load_with(card_name, can_apply, NULL);
}

static void setup(void)
{
        stubs = tl_root_new();
        snprintf(sysfs_log, sizeof(sysfs_log), "%s/sysfs-writes", stubs);
        /* Stand-ins that print what they were asked and succeed. */
        static const char *const names[] = { "mkinitcpio", "update-grub", "update-initramfs", "grub-mkconfig", "dracut",
                                             "bootctl", "grub-editenv" };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char rel[64], path[1024];

                snprintf(rel, sizeof(rel), "%s", names[i]);
                tl_write(stubs, rel, "#!/bin/sh\necho \"regenerating with $*\"\n");
                snprintf(path, sizeof(path), "%s/%s", stubs, names[i]);
                chmod(path, 0755);
        }
}

static void teardown(void)
{
        wizard_free(w);
        w = NULL;
        sysroot_free(sr);
        tl_root_free(root);
        tl_root_free(stubs);
}

static void keys(const int *k)
{
        for (; *k; k++)
                wizard_key(w, *k);
}

/* The screen at w x h against tests/wizard/golden/NAME.txt. */
static void screen(const char *name, int width, int height)
{
        struct canvas c;
        char path[1024], *text, *want = NULL;
        size_t len = 0;
        FILE *f;

        ck_assert_int_eq(canvas_init(&c, width, height), 0);
        wizard_draw(w, &c);
        /* Every golden screen also holds to the canvas's rule: nothing written outside its box. */
        ck_assert_msg(c.overruns == 0, "screen %s writes outside its box %u times, first at row %d, column %d", name,
                      c.overruns, c.overrun_y, c.overrun_x);
        text = canvas_dump(&c);
        canvas_free(&c);
        /* The machine's root is a temporary directory, named on screen where paths are below it: its name is fixed. */
        for (char *at = text; (at = strstr(at, root)); at += strlen(root))
                memcpy(at + strlen(root) - 6, "XXXXXX", 6);
        snprintf(path, sizeof(path), "%s/wizard/golden/%s.txt", TESTS_DIR, name);
        if (getenv("UPDATE_GOLDEN")) {
                f = fopen(path, "w");
                ck_assert_ptr_nonnull(f);
                fputs(text, f);
                fclose(f);
        }
        f = fopen(path, "r");
        ck_assert_msg(f != NULL, "no golden screen %s", path);
        ck_assert_int_ge(getdelim(&want, &len, '\0', f), 0);
        fclose(f);
        ck_assert_msg(strcmp(text, want) == 0, "screen %s differs; now:\n%s", name, text);
        free(text);
        free(want);
}

/* A one-image legacy x86 ROM of 512 bytes for vendor:device, laid out as the PCI Firmware Specification has it. */
static void write_rom(const char *rel, unsigned vendor, unsigned device)
{
        unsigned char rom[512] = { 0x55, 0xaa, 1 };
        char path[1024];
        FILE *f;

        rom[0x18] = 0x40;
        memcpy(rom + 0x40, "PCIR", 4);
        rom[0x44] = vendor & 0xff, rom[0x45] = vendor >> 8;
        rom[0x46] = device & 0xff, rom[0x47] = device >> 8;
        rom[0x4a] = 0x18;
        rom[0x4f] = 0x03;
        rom[0x50] = 1;
        rom[0x55] = 0x80;
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(rom, 1, sizeof(rom), f), sizeof(rom));
        fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
        char *data = NULL;
        FILE *f = fopen(path, "rb");

        *len = 0;
        if (f) {
                data = malloc(1 << 16);
                *len = data ? fread(data, 1, 1 << 16, f) : 0;
                fclose(f);
        }
        return data;
}

static bool same_file(const char *rel_a, const char *rel_b)
{
        char a[1024], b[1024], *da, *db;
        size_t la, lb;
        bool same;

        snprintf(a, sizeof(a), "%s/%s", root, rel_a);
        snprintf(b, sizeof(b), "%s/%s", root, rel_b);
        da = slurp(a, &la);
        db = slurp(b, &lb);
        same = da && db && la == lb && memcmp(da, db, la) == 0;
        free(da);
        free(db);
        return same;
}

static bool same_text(const char *path, const char *want)
{
        size_t len;
        char *data = slurp(path, &len);
        bool same = data && len == strlen(want) && memcmp(data, want, len) == 0;

        free(data);
        return same;
}

START_TEST(amd_dual_gpu_through_apply)
{
        struct selection sel = { .bootloader = -1, .initramfs = -1 };
        struct machine *m;
        struct plan *p;
        char *text;

        load("amd-x570-two-gpus", true);
        screen("amd-1-hardware", 80, 24);
        /* Nothing is written before Apply, not even the lock. */
        ck_assert(!sysroot_exists(sr, "var/lib/vfio-setup"));
        keys((int[]){ WK_ENTER, 0 });
        screen("amd-2-bios", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("amd-3-gpu", 80, 24);
        keys((int[]){ WK_UP, 0 });
        screen("amd-3-gpu-boot-vga", 80, 24);
        /* Nothing may go along: the NVMe controller's disks are not known (no sys/block), so it counts as the host's. */
        keys((int[]){ WK_TAB, 0 });
        keys((int[]){ WK_DOWN, WK_ENTER, 0 });
        screen("amd-4-boot", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        /* Space on the iommu=pt option toggles it and stays; again, and it is off. */
        keys((int[]){ WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, ' ', 0 });
        screen("amd-5-goal-pt", 80, 24);
        keys((int[]){ ' ', 0 });
        screen("amd-5-goal", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("amd-6-review", 80, 24);
        keys((int[]){ WK_PGDN, 0 });
        screen("amd-6-review-scrolled", 80, 24);

        /* The review is `vfio-setup plan` for the same choice, to the byte. */
        sel.gpu = strdup("0000:0b:00.0");
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(plan_build(sr, m, &sel, &p, NULL), 0);
        ck_assert_int_eq(plan_to_text(p, &text), 0);
        ck_assert_ptr_nonnull(wizard_plan_text(w));
        ck_assert_str_eq(wizard_plan_text(w), text);
        free(text);
        plan_free(p);
        machine_free(m);
        free(sel.gpu);

        keys((int[]){ WK_ENTER, 0 });
        screen("amd-7-apply-confirm", 80, 24);
        keys((int[]){ 'y', 0 });
        screen("amd-7-apply-done", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("amd-8-done", 80, 24);
        screen("amd-8-done-100x40", 100, 40);
        keys((int[]){ 'x', 0 });
        screen("amd-8-done-xml", 80, 24);
        keys((int[]){ 'x', 0 });
        ck_assert(!wizard_finished(w));
        /* r saves the GPU's video BIOS, checked, once; the ROM is enabled and disabled again. */
        write_rom("sys/bus/pci/devices/0000:0b:00.0/rom", 0x1002, 0x73bf);
        keys((int[]){ 'r', 0 });
        screen("amd-8-done-rom", 80, 30);
        ck_assert(same_file("sys/bus/pci/devices/0000:0b:00.0/rom", "var/lib/vfio-setup/gpu-0000:0b:00.0.rom"));
        ck_assert(same_text(sysfs_log, "sys/bus/pci/devices/0000:0b:00.0/rom 1\nsys/bus/pci/devices/0000:0b:00.0/rom 0\n"));
        keys((int[]){ WK_ENTER, 0 });
        ck_assert(wizard_finished(w));
}
END_TEST

START_TEST(intel_iommu_off)
{
        load("intel-no-kernel-iommu", true);
        keys((int[]){ WK_ENTER, 0 });
        screen("intel-off-2-bios", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("intel-off-3-gpu", 80, 24);
        keys((int[]){ '?', 0 });
        screen("intel-off-3-gpu-help", 80, 24);
        keys((int[]){ 'x', WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("intel-off-6-review", 80, 24);
        /* The firmware's console GPU: refused with the reasons, passed only when confirmed. */
        keys((int[]){ WK_BACKSPACE, WK_BACKSPACE, WK_BACKSPACE, WK_UP, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("intel-off-6-review-boot-vga", 80, 24);
        keys((int[]){ 'v', 0 });
        screen("intel-off-6-review-boot-vga-allowed", 80, 24);
}
END_TEST

START_TEST(single_gpu)
{
        char path[1024];
        struct stat st;

        load("single-gpu-amd", true);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("single-3-gpu", 80, 24);
        /* The mode is the last row of the goals; it is explained before it is on, and any key but y leaves it off. */
        keys((int[]){ WK_ENTER, WK_ENTER, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, ' ', 0 });
        screen("single-5-goal-asks", 80, 24);
        keys((int[]){ 'n', 0 });
        screen("single-5-goal-off", 80, 24);
        keys((int[]){ ' ', 'y', 0 });
        screen("single-5-goal-on", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("single-6-review", 80, 24);
        /* o opens the hook whole, tabs as spaces; End goes to the last row, Home back; o folds it again. */
        keys((int[]){ 'o', WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN,
                      WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN,
                      WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, 0 });
        screen("single-6-review-open", 80, 24);
        keys((int[]){ WK_END, 0 });
        screen("single-6-review-end", 80, 24);
        keys((int[]){ WK_HOME, 'o', 0 });
        screen("single-6-review", 80, 24);
        /* The confirmation speaks of the mode chosen: the display stays until the guest starts. */
        keys((int[]){ WK_ENTER, 0 });
        screen("single-7-apply-confirm", 80, 24);
        keys((int[]){ 'y', 0 });
        screen("single-7-apply-done", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("single-8-done", 80, 30);
        /* The boot display's ROM is the firmware's changed copy: refused, saying why, nothing touched. */
        keys((int[]){ 'r', 0 });
        screen("single-8-done-rom", 80, 34);
        snprintf(path, sizeof(path), "%s/var/lib/vfio-setup/gpu-0000:03:00.0.rom", root);
        ck_assert_int_ne(stat(path, &st), 0);
        snprintf(path, sizeof(path), "%s/etc/libvirt/hooks/qemu.d/vfio-setup-single-gpu", root);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0755);
}
END_TEST

START_TEST(ostree_boot_chain)
{
        /* The chain rpm-ostree owns, with its evidence and what the plan does there; Left goes to the one before. */
        load("bazzite-ostree", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("ostree-4-boot", 80, 24);
        keys((int[]){ WK_LEFT, 0 });
        screen("ostree-4-boot-left", 80, 24);
}
END_TEST

START_TEST(two_confirmations)
{
        /* Both refusals at once, each key lifting its own; what d accepts is said at once. */
        load("minipc-wifi-group", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("minipc-6-review-refused", 80, 30);
        keys((int[]){ 'd', 0 });
        screen("minipc-6-review-boot-vga", 80, 24);
        keys((int[]){ 'v', 0 });
        screen("minipc-6-review-allowed", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("minipc-7-apply-needs-root", 80, 24);
        /* Choices were made and not applied: q asks first. */
        keys((int[]){ 'q', 0 });
        screen("minipc-quit-asks", 80, 24);
        keys((int[]){ 'n', 0 });
        ck_assert(!wizard_finished(w));
        keys((int[]){ 'q', 'y', 0 });
        ck_assert(wizard_finished(w));
}
END_TEST

START_TEST(dirty_group)
{
        /* The group holds the chipset's LPC bridge: no key takes it, and the GPU screen says why. */
        load("chipset-slot-dirty", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_DOWN, 0 });
        screen("dirty-3-gpu", 80, 24);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("dirty-6-review-refused", 80, 24);
        keys((int[]){ 'd', 'v', WK_ENTER, 0 });
        screen("dirty-6-review-refused", 80, 24);
}
END_TEST

START_TEST(host_way_asks)
{
        /* The network controller of the default route and the ssh session: passed only after y, and the review says so. */
        load("amd-am5-apu", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_TAB, 0 });
        screen("apu-3-gpu-extras", 80, 24);
        keys((int[]){ ' ', 0 });
        screen("apu-3-asks", 80, 24);
        keys((int[]){ 'n', 0 });
        screen("apu-3-gpu-extras", 80, 24);
        keys((int[]){ ' ', 'y', 0 });
        screen("apu-3-ticked", 80, 24);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("apu-6-review", 100, 50);
}
END_TEST

/* Two GPUs in one group, each lighting a screen, the boot GPU dark: ticking the second takes the host's last one. */
START_TEST(last_screen_asks)
{
        static const char card[] =
                "# cpu: intel\n# boot-vga: 0000:00:02.0\n"
                "# cmdline: BOOT_IMAGE=/vmlinuz-linux root=/dev/sda2 rw intel_iommu=on\n"
                "# driver: 01:00.0 amdgpu\n# driver: 01:00.1 snd_hda_intel\n# driver: 02:00.0 nouveau\n"
                "# screen: 01:00.0 DP-1\n# screen: 02:00.0 HDMI-A-1\n"
                "IOMMU Group 0 00:00.0 Host bridge [0600]: Intel Corporation 8th Gen Core Host Bridge [8086:3e30]\n"
                "IOMMU Group 1 00:02.0 VGA compatible controller [0300]: Intel Corporation UHD Graphics 630 [8086:3e92]\n"
                "IOMMU Group 2 00:01.0 PCI bridge [0604]: Intel Corporation PCIe Controller (x16) [8086:1901]\n"
                "IOMMU Group 2 01:00.0 VGA compatible controller [0300]: AMD Navi 23 [1002:73ff]\n"
                "IOMMU Group 2 01:00.1 Audio device [0403]: AMD Navi 21/23 HDMI/DP Audio Controller [1002:ab28]\n"
                "IOMMU Group 2 02:00.0 VGA compatible controller [0300]: NVIDIA GK208B [GeForce GT 710] [10de:128b]\n";
        char *dir = tl_root_new(), path[1024];
        const char *text;

        tl_write(dir, "two-screens.card", card);
        snprintf(path, sizeof(path), "%s/two-screens.card", dir);
        load(path, false);
        tl_root_free(dir);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_TAB, ' ', 0 });
        screen("screens-3-asks", 80, 24);
        keys((int[]){ 'y', 0 });
        screen("screens-3-ticked", 80, 24);
        /* One confirmation is enough: the plan passes both, saying how to get back in. */
        keys((int[]){ WK_TAB, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "0000:02:00.0"));
        ck_assert_ptr_nonnull(strstr(text, "the plan takes every GPU lighting a screen the host shows now"));
}
END_TEST

START_TEST(rerun_change_gpu)
{
        load("verify-after", true);
        screen("rerun-1-summary", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("rerun-2-gpu-current", 80, 24);
        keys((int[]){ WK_BACKSPACE, WK_DOWN, WK_DOWN, WK_ENTER, 0 });
        screen("rerun-3-release-review", 80, 24);
}
END_TEST

START_TEST(rerun_single_gpu)
{
        static const char *const files[] = {
                "var/lib/vfio-setup/state",
                "# Written by vfio-setup: what it set up on this machine.\n"
                "# 'vfio-setup plan --release' removes exactly this; do not edit.\n"
                "devices=0000:03:00.0 0000:03:00.1\ndirs=etc/libvirt etc/libvirt/hooks etc/libvirt/hooks/qemu.d\n"
                "single_gpu=vfio-guest\n",
                NULL,
        };

        /* The summary names the mode; going through the steps again finds it still chosen. */
        load_with("single-gpu-amd", true, files);
        screen("rerun-single-1-summary", 80, 24);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("rerun-single-5-goal", 80, 24);
}
END_TEST

/* A pending trial: on its own boot the summary offers Commit first, elsewhere another try. */
START_TEST(rerun_trial)
{
        static const char *const state = "# Written by vfio-setup: what it set up on this machine.\n"
                                         "# 'vfio-setup plan --release' removes exactly this; do not edit.\n"
                                         "devices=0000:03:00.0 0000:03:00.1\nids=1002:73bf 1002:ab28\n"
                                         "modules=vfio_pci vfio vfio_iommu_type1\ndirs=etc/modprobe.d\n"
                                         "trial=vfio-pci.ids=1002:73bf,1002:ab28 vfio_setup.trial=1\n";
        const char *const booted[] = {
                "var/lib/vfio-setup/state", state,
                "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-26-amd64 ro quiet intel_iommu=on "
                                "vfio-pci.ids=1002:73bf,1002:ab28 vfio_setup.trial=1\n",
                NULL,
        };
        const char *const elsewhere[] = { "var/lib/vfio-setup/state", state, NULL };
        const char *text;

        load_with("verify-after", true, booted);
        screen("rerun-trial-1-summary-booted", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "Commit: the trial's setup becomes the default"));
        wizard_free(w);
        sysroot_free(sr);
        tl_root_free(root);
        w = NULL;
        load_with("verify-after", true, elsewhere);
        screen("rerun-trial-1-summary-not-up", 80, 24);
}
END_TEST

START_TEST(rerun_keeps_goals)
{
        static const char *const files[] = {
                "var/lib/vfio-setup/state",
                "# Written by vfio-setup: what it set up on this machine.\n"
                "# 'vfio-setup plan --release' removes exactly this; do not edit.\n"
                "devices=0000:03:00.0 0000:03:00.1\nids=1002:73bf 1002:ab28\nparams=intel_iommu=on\n"
                "dirs=etc/tmpfiles.d\ngoals=looking-glass\nlooking_glass=2560x1440 shm alice\n",
                "etc/tmpfiles.d/10-looking-glass.conf",
                "# Written by vfio-setup for Looking Glass; 'vfio-setup plan --release' removes it.\n"
                "f /dev/shm/looking-glass 0660 alice kvm -\n",
                NULL,
        };
        const char *text;

        load_with("verify-after", true, files);
        screen("rerun-goals-1-summary", 80, 24);
        /* Through the steps again: the goals come back preselected, so the Looking Glass setup stays. */
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("rerun-goals-5-goal", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("rerun-goals-6-review", 80, 24);
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_null(strstr(text, "10-looking-glass"));
        ck_assert_ptr_null(strstr(text, "systemd-tmpfiles"));
        /* Back to the goals: a larger guest screen, through kvmfr. */
        keys((int[]){ WK_BACKSPACE, WK_DOWN, WK_DOWN, WK_RIGHT, WK_RIGHT, WK_DOWN, WK_DOWN, ' ', 0 });
        screen("rerun-goals-5-goal-changed", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "options kvmfr static_size_mb=128"));
        ck_assert_ptr_nonnull(strstr(text, "Delete /etc/tmpfiles.d/10-looking-glass.conf"));
}
END_TEST

START_TEST(gaming_goal)
{
        const char *text;

        load("intel-12700k-hybrid", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        /* Gaming on: 16 GiB of hugepages, and two cores fewer than all the host can spare. */
        keys((int[]){ WK_DOWN, WK_DOWN, ' ', WK_DOWN, WK_RIGHT, WK_RIGHT, WK_RIGHT, WK_RIGHT, WK_DOWN, WK_LEFT, WK_LEFT, 0 });
        screen("gaming-5-goal", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "vm.nr_hugepages = 8192"));
        ck_assert_ptr_nonnull(strstr(text, "10 vCPUs on host CPUs 2-11"));
        /* More memory than the host can spare is not offered. */
        keys((int[]){ WK_BACKSPACE, WK_DOWN, WK_DOWN, WK_DOWN, 0 });
        for (int i = 0; i < 10; i++)
                keys((int[]){ WK_RIGHT, 0 });
        screen("gaming-5-goal-most", 80, 24);
}
END_TEST

/* The domain saved at the end is for the system the Goal screen names: Windows at first, Linux on request. */
START_TEST(guest_system)
{
        char path[1024], *domain;
        size_t len;

        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        /* Left from the first system wraps round to the last. */
        keys((int[]){ WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_LEFT, 0 });
        screen("guest-5-goal-linux", 80, 24);
        keys((int[]){ WK_RIGHT, 0 });
        screen("guest-5-goal-windows", 80, 24);
        keys((int[]){ WK_RIGHT, 0 });
        keys((int[]){ WK_ENTER, 0 });
        keys((int[]){ WK_ENTER, 0 });
        keys((int[]){ 'y', 0 });
        keys((int[]){ WK_ENTER, 0 });
        snprintf(path, sizeof(path), "%s/var/lib/vfio-setup/guest-domain.xml", root);
        domain = slurp(path, &len);
        ck_assert_ptr_nonnull(domain);
        domain[len < (1 << 16) ? len : len - 1] = '\0';
        ck_assert_ptr_nonnull(strstr(domain, "<clock offset='utc'>"));
        ck_assert_ptr_null(strstr(domain, "<hyperv"));
        /* The domain installs the system: the installer where Done says to put it, booted first. */
        ck_assert_ptr_nonnull(strstr(domain, "<source file='/var/lib/libvirt/images/vfio-guest-installer.iso'/>"));
        ck_assert_ptr_nonnull(strstr(domain, "<graphics type='spice'"));
        free(domain);
}
END_TEST

/* a adds another GPU: the review plans both, and the boot display among them is refused by its address. */
START_TEST(two_gpus)
{
        const char *text;

        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_UP, 'a', WK_DOWN, 0 });
        screen("two-3-gpu-added", 80, 24);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("two-6-review-refused", 80, 24);
        keys((int[]){ 'v', 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "0000:0b:00.0"));
        ck_assert_ptr_nonnull(strstr(text, "0000:0a:00.0"));
}
END_TEST

/* Two GPUs, a guest each: Done saves a domain per GPU, each with its GPU's functions. */
START_TEST(two_guests)
{
        char path[1024], *domain;
        size_t len;

        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_UP, 'a', WK_DOWN, WK_ENTER, WK_ENTER, 0 });
        keys((int[]){ WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, WK_RIGHT, 0 });
        screen("two-5-goal-per-gpu", 80, 24);
        keys((int[]){ WK_ENTER, 'v', WK_ENTER, 'y', WK_ENTER, 0 });
        screen("two-8-done-per-gpu", 100, 40);
        snprintf(path, sizeof(path), "%s/var/lib/vfio-setup/guest-domain-2.xml", root);
        domain = slurp(path, &len);
        ck_assert_ptr_nonnull(domain);
        domain[len < (1 << 16) ? len : len - 1] = '\0';
        ck_assert_ptr_nonnull(strstr(domain, "<name>vfio-guest-2</name>"));
        ck_assert_ptr_nonnull(strstr(domain, "bus='0x0a'"));
        ck_assert_ptr_null(strstr(domain, "bus='0x0b'"));
        free(domain);
}
END_TEST

/* On Proxmox VE, Done gives the guest's options as qm's, not a libvirt domain's. */
START_TEST(proxmox_done)
{
        static const char *const files[] = { "usr/sbin/qm", "#!/bin/sh\n", NULL };

        load_with("amd-x570-two-gpus", true, files);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 'y', WK_ENTER, 0 });
        screen("proxmox-8-done", 100, 40);
}
END_TEST

START_TEST(looking_glass_user)
{
        static const char *const files[] = {
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
                "bob:x:1001:1001::/home/bob:/usr/sbin/nologin\ncarol:x:1002:1002::/home/carol:/bin/zsh\n"
                "nobody:x:65534:65534::/nonexistent:/bin/sh\n",
                NULL,
        };
        const char *text;

        load_with("amd-x570-two-gpus", true, files);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        /* Looking Glass on, nobody behind sudo: the user row says so; Right picks among those who log in. */
        keys((int[]){ WK_DOWN, ' ', WK_DOWN, WK_DOWN, WK_DOWN, WK_DOWN, 0 });
        screen("lg-user-5-goal-none", 80, 24);
        keys((int[]){ WK_RIGHT, WK_RIGHT, WK_RIGHT, 0 });
        screen("lg-user-5-goal-carol", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "f /dev/shm/looking-glass 0660 carol kvm -"));
}
END_TEST

/* Nobody who logs in, nobody behind sudo: Looking Glass has no user, and the Goal screen says so where it is chosen. */
START_TEST(looking_glass_nobody)
{
        static const char *const files[] = {
                "etc/passwd", "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/nonexistent:/bin/sh\n", NULL,
        };

        load_with("amd-x570-two-gpus", true, files);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_DOWN, ' ', 0 });
        screen("lg-nobody-5-goal", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("lg-nobody-5-goal-enter", 80, 24);
}
END_TEST

/* A laptop whose one listed GPU has no outputs: the display story once, and no single-GPU mode. */
START_TEST(laptop_dgpu_only)
{
        load("laptop-dgpu-only", false);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("laptop-only-3-gpu", 80, 24);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("laptop-only-5-goal", 80, 24);
}
END_TEST

/* The pane about the GPU, longer than a 64x18 screen: PgDn scrolls it, saying which rows show. */
START_TEST(gpu_details_scroll)
{
        load("acs-override", false);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("acs-3-gpu-64x18", 64, 18);
        keys((int[]){ WK_PGDN, 0 });
        screen("acs-3-gpu-64x18-down", 64, 18);
}
END_TEST

START_TEST(storage_goal)
{
        const char *text;

        load("threadripper-3970x", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        /* Storage on: the free NVMe controller whole, and the USB stick alone. */
        keys((int[]){ WK_DOWN, WK_DOWN, WK_DOWN, ' ', WK_DOWN, WK_DOWN, ' ', WK_DOWN, WK_DOWN, WK_DOWN, ' ', 0 });
        screen("storage-5-goal", 80, 24);
        /* Down to the last row on a small terminal: the list follows the cursor. */
        keys((int[]){ WK_DOWN, WK_DOWN, 0 });
        screen("storage-5-goal-small", 64, 18);
        keys((int[]){ WK_UP, WK_UP, 0 });
        /* The controller of the root file system cannot be chosen. */
        keys((int[]){ WK_UP, WK_UP, WK_UP, WK_UP, WK_UP, ' ', 0 });
        keys((int[]){ WK_ENTER, 0 });
        /* GRUB with grubby's entries has no one-time boot: the Review says so, and t sets it up for good. */
        screen("storage-6-review-no-trial", 80, 24);
        keys((int[]){ 't', 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "0000:02:00.0"));
        ck_assert_ptr_null(strstr(text, "0000:01:00.0"));
        ck_assert_ptr_nonnull(strstr(text, "the guest gets nvme1n1"));
}
END_TEST

START_TEST(rerun_keeps_controllers)
{
        static const char *const files[] = {
                "var/lib/vfio-setup/state",
                "# Written by vfio-setup: what it set up on this machine.\n"
                "# 'vfio-setup plan --release' removes exactly this; do not edit.\n"
                "devices=0000:4a:00.0 0000:4a:00.1 0000:02:00.0\nids=10de:1aef 10de:2204 15b7:5006\n"
                "goals=storage\ndisks=usb-SanDisk_Cruzer_Blade_4C530001234567-0:0\n",
                NULL,
        };
        const char *text;

        load_with("threadripper-3970x", true, files);
        /* Through the steps again: the controller and the disk chosen before stay chosen. */
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("rerun-storage-5-goal", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        text = wizard_plan_text(w);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_nonnull(strstr(text, "0000:02:00.0"));
}
END_TEST

/* A stand-in regeneration command that prints a long log and fails at its end. */
static void failing_mkinitcpio(void)
{
        char path[1024];

        tl_write(stubs, "mkinitcpio",
                 "#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo \"building image $i\"; done\n"
                 "echo 'ERROR: module not found: vfio_pci_core' >&2\nexit 1\n");
        snprintf(path, sizeof(path), "%s/mkinitcpio", stubs);
        chmod(path, 0755);
}

START_TEST(too_small_ignores_keys)
{
        struct canvas c;

        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("small-1-confirm", 80, 24);
        screen("small-2-40x10", 40, 10);
        /* Typed blind at 40x10: nothing happens, not even the apply. */
        keys((int[]){ 'y', WK_ENTER, 'q', 0 });
        ck_assert(!wizard_finished(w));
        screen("small-3-still-confirm", 80, 24);
        ck_assert_int_eq(canvas_init(&c, 1, 1), 0);
        wizard_draw(w, &c);
        canvas_free(&c);
        keys((int[]){ 'y', 0 });
        screen("small-3-still-confirm", 80, 24);
}
END_TEST

START_TEST(failed_apply)
{
        const char *bye;

        failing_mkinitcpio();
        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 'y', 0 });
        /* The error, what was put back, the journal and its output; the log scrolls back to the start. */
        screen("failed-7-apply", 80, 24);
        for (int i = 0; i < 30; i++)
                keys((int[]){ WK_UP, 0 });
        screen("failed-7-apply-scrolled", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("failed-8-done", 80, 24);
        bye = wizard_farewell(w);
        ck_assert_ptr_nonnull(bye);
        ck_assert_ptr_nonnull(strstr(bye, "Apply failed"));
        ck_assert_ptr_nonnull(strstr(bye, "mkinitcpio -P: exit status 1"));
        ck_assert_ptr_nonnull(strstr(bye, "/var/lib/vfio-setup/journal/0001/output"));
        ck_assert_ptr_null(strstr(bye, "verify"));
        keys((int[]){ WK_ENTER, 0 });
        ck_assert(wizard_finished(w));
}
END_TEST

/* The first command is not there: nothing ran, every file went back; the words say only that. */
START_TEST(failed_apply_nothing_ran)
{
        char path[1024];
        const char *bye;

        snprintf(path, sizeof(path), "%s/mkinitcpio", stubs);
        ck_assert_int_eq(unlink(path), 0);
        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 'y', WK_ENTER, 0 });
        bye = wizard_farewell(w);
        ck_assert_ptr_nonnull(bye);
        ck_assert_msg(strstr(bye, "Apply failed") && !strstr(bye, "made before it failed") &&
                      !strstr(bye, "Do not reboot") && strstr(bye, "Every file is as it was before"),
                      "%s", bye);
        ck_assert(wizard_failed(w));
        /* Nothing chosen is lost by quitting now: q does not ask. */
        keys((int[]){ 'q', 0 });
        ck_assert(wizard_finished(w));
}
END_TEST

/* A tree whose programs others could have changed: none is run, and the way out is said. */
START_TEST(untrusted_tree_apply)
{
        char path[1024];
        const char *bye;
        struct stat st;

        if (geteuid() != 0)
                return;
        tree_commands = true;
        load("amd-x570-two-gpus", true);
        tree_commands = false;
        tl_write(root, "usr/local/sbin/mkinitcpio", "#!/bin/sh\ntouch /ran\n");
        snprintf(path, sizeof(path), "%s/usr/local/sbin", root);
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, 'y', WK_ENTER, 0 });
        bye = wizard_farewell(w);
        ck_assert_ptr_nonnull(bye);
        ck_assert_ptr_nonnull(strstr(bye, "/usr/local/sbin is owned by uid 65534, not by root"));
        ck_assert_ptr_nonnull(strstr(bye, "nothing was changed"));
        ck_assert_ptr_nonnull(strstr(bye, "--no-regenerate: it then writes the files and lists the commands"));
        snprintf(path, sizeof(path), "%s/ran", root);
        ck_assert_int_ne(stat(path, &st), 0);
}
END_TEST

START_TEST(done_after_removal)
{
        const char *bye;

        load("verify-after", true);
        keys((int[]){ WK_DOWN, WK_DOWN, WK_ENTER, WK_ENTER, 0 });
        screen("removed-7-apply-confirm", 80, 24);
        keys((int[]){ 'y', WK_ENTER, 0 });
        screen("removed-8-done", 80, 24);
        bye = wizard_farewell(w);
        ck_assert_ptr_nonnull(bye);
        ck_assert_ptr_nonnull(strstr(bye, "Passthrough is removed"));
        ck_assert_ptr_null(strstr(bye, "verify"));
}
END_TEST

START_TEST(done_nothing_changed)
{
        static const char *const files[] = {
                "var/lib/vfio-setup/state",
                "# Written by vfio-setup: what it set up on this machine.\n"
                "# 'vfio-setup plan --release' removes exactly this; do not edit.\n"
                "devices=0000:03:00.0 0000:03:00.1\nids=1002:73bf 1002:ab28\nparams=intel_iommu=on\n",
                NULL,
        };

        load_with("verify-after", true, files);
        /* Change the goals, and change nothing: there is nothing to write, and Done says so. */
        keys((int[]){ WK_DOWN, WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("nothing-7-apply", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("nothing-8-done", 80, 24);
        ck_assert_ptr_null(strstr(wizard_farewell(w), "written"));
}
END_TEST

START_TEST(unfinished_apply_first)
{
        struct selection sel = { .bootloader = -1, .initramfs = -1, .goals = 1u << GOAL_BASE };
        struct machine *m;
        struct journal *j;
        struct plan *p;

        /* An apply killed right after its journal was in place: begun, never finished. */
        load("amd-x570-two-gpus", true);
        sel.gpu = strdup("0000:0b:00.0");
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        ck_assert_int_eq(plan_build(sr, m, &sel, &p, NULL), 0);
        ck_assert_int_eq(journal_begin(sr, p, &j), 0);
        journal_free(j);
        plan_free(p);
        machine_free(m);
        free(sel.gpu);
        wizard_free(w);
        ck_assert_int_eq(detect_machine(sr, &m), 0);
        {
                struct wizard_options o = {
                        .can_apply = true,
                        .apply = { .regenerate = true, .run = { .root = "/", .command_dir = stubs, .timeout = 10 } },
                };
                ck_assert_int_eq(wizard_new(sr, m, &o, &w), 0);
        }
        screen("unfinished-1-summary", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("unfinished-2-undo-confirm", 80, 24);
        keys((int[]){ 'y', 0 });
        screen("unfinished-3-undone", 80, 24);
        keys((int[]){ WK_ENTER, 0 });
        screen("unfinished-4-done", 80, 24);
}
END_TEST

START_TEST(help_fits)
{
        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, '?', 0 });
        screen("help-goal-80x24", 80, 24);
        screen("help-goal-64x18", 64, 18);
        /* At 64x18 the goal help is longer than the box: it scrolls, and says so. */
        for (int i = 0; i < 40; i++)
                keys((int[]){ WK_DOWN, 0 });
        screen("help-goal-64x18-end", 64, 18);
        keys((int[]){ 'x', 0 });
        screen("help-closed", 64, 18);
}
END_TEST

START_TEST(no_gpu_stops)
{
        load("headless-no-gpu", true);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("nogpu-3-gpu", 80, 24);
        /* Enter does not go on to the boot chain and the goals. */
        keys((int[]){ WK_ENTER, 'n', ' ', 0 });
        screen("nogpu-3-gpu", 80, 24);
        keys((int[]){ WK_BACKSPACE, 0 });
        screen("nogpu-2-bios", 80, 24);
}
END_TEST

START_TEST(host_disk_on_gpu_slot)
{
        load("gpu-usbc-host-disk", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_DOWN, 0 });
        screen("usbc-disk-3-gpu", 80, 24);
        keys((int[]){ 'g', 0 });
        screen("usbc-disk-3-groups", 80, 24);
        keys((int[]){ 'x', WK_ENTER, WK_ENTER, WK_ENTER, 0 });
        screen("usbc-disk-6-review-refused", 80, 24);
}
END_TEST

START_TEST(group_view)
{
        load("chipset-slot-dirty", false);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_DOWN, 'g', 0 });
        screen("groups-3-view", 80, 24);
        keys((int[]){ 'x', WK_TAB, 0 });
        screen("dirty-3-gpu-extras", 80, 24);
}
END_TEST

START_TEST(group_view_outside_the_iommu)
{
        /* intel_iommu=on,igfx_off: the iGPU is in no group, listed after the groups with the reason. */
        load("intel-igfx-off", false);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("igfx-off-3-gpu", 80, 24);
        keys((int[]){ 'g', 0 });
        screen("igfx-off-3-groups", 80, 40);
        /* On the iGPU: why it is in no group, and what to change. */
        keys((int[]){ 'x', WK_UP, 0 });
        screen("igfx-off-3-gpu-igpu", 80, 24);
}
END_TEST

START_TEST(usb_plugged_in)
{
        /* A USB controller that may go along says what is plugged into it: that goes too. */
        load("threadripper-3970x", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_TAB, WK_DOWN, 0 });
        screen("usb-3-gpu-extras", 80, 24);
        /* Space ticks it and stays; again, and it is off. */
        keys((int[]){ ' ', 0 });
        screen("usb-3-gpu-ticked", 80, 24);
}
END_TEST

START_TEST(goal_notes)
{
        load("threadripper-3970x", true);
        keys((int[]){ WK_ENTER, WK_ENTER, WK_ENTER, WK_ENTER, ' ', 0 });
        screen("goal-base-stays", 80, 24);
        /* Storage on, its free controller ticked: that controller's disks go with it, not on their own as well. */
        keys((int[]){ WK_DOWN, WK_DOWN, WK_DOWN, ' ', WK_DOWN, WK_DOWN, ' ', WK_DOWN, ' ', 0 });
        screen("goal-controller-takes-disks", 80, 24);
        /* Back and forth: the cursor stays where it was. */
        keys((int[]){ WK_BACKSPACE, WK_ENTER, 0 });
        screen("goal-controller-takes-disks", 80, 24);
}
END_TEST

START_TEST(resize)
{
        load("amd-x570-two-gpus", true);
        keys((int[]){ WK_ENTER, WK_ENTER, 0 });
        screen("resize-100x30", 100, 30);
        screen("resize-64x18", 64, 18);
        screen("resize-too-small", 50, 12);
        screen("resize-back-80x24", 80, 24);
}
END_TEST

/*
 * The sweep: every screen and overlay (help, the group view, the quit question) of every
 * fixture card and sample, from the first screen through an apply to Done, at each size.
 * Nothing may be drawn outside its box (the canvas counts such writes).
 */
static const int sweep_sizes[][2] = { { 64, 18 }, { 80, 24 }, { 100, 30 }, { 160, 50 } };

struct sweep {
        size_t renders;
        size_t failed;
        char *first;            /* the first failing screen, as drawn */
        FILE *report;
        char *report_text;
        size_t report_len;
};

/* The current state drawn at every size; returns its header's title ("GPU choice"), static. */
static const char *sweep_draw(struct sweep *s, const char *card, const char *what)
{
        static char title[64];

        for (size_t i = 0; i < sizeof(sweep_sizes) / sizeof(sweep_sizes[0]); i++) {
                struct canvas c;
                char *text;

                ck_assert_int_eq(canvas_init(&c, sweep_sizes[i][0], sweep_sizes[i][1]), 0);
                wizard_draw(w, &c);
                text = canvas_dump(&c);
                ck_assert_ptr_nonnull(text);
                /* " vfio-setup  3/8 GPU choice": the words after the step's number, or after the name. */
                {
                        const char *nl = strchr(text, '\n'), *at = strstr(text, "vfio-setup") + 10, *slash = strchr(at, '/');

                        if (slash && slash < nl && (at = strchr(slash, ' ')) == NULL)
                                at = nl;
                        at += strspn(at, " ");
                        snprintf(title, sizeof(title), "%.*s", (int)(nl - at), at);
                }
                s->renders++;
                if (c.overruns) {
                        if (s->failed++ < 400)
                                fprintf(s->report, "%s %dx%d %s %s: %u writes outside the box, the first at row %d, "
                                        "column %d\n", strrchr(card, '/') + 1, c.w, c.h, title, what, c.overruns,
                                        c.overrun_y, c.overrun_x);
                        if (!s->first && asprintf(&s->first, "%s %dx%d %s:\n%s", card, c.w, c.h, what, text) < 0)
                                s->first = NULL;
                }
                free(text);
                canvas_free(&c);
        }
        return title;
}

static void sweep_card(struct sweep *s, const char *card)
{
        bool chosen = false;

        load(card, true);
        for (int n = 0; n < 14 && !wizard_finished(w); n++) {
                const char *title = sweep_draw(s, card, "");
                bool gpu = strcmp(title, "GPU choice") == 0, apply = strcmp(title, "Apply") == 0;

                keys((int[]){ '?', 0 });
                sweep_draw(s, card, "help");
                keys((int[]){ WK_PGDN, WK_PGDN, WK_PGDN, 0 });
                sweep_draw(s, card, "help scrolled");
                keys((int[]){ 'x', 0 });
                /* Once a choice is made, q asks first (before, it quits). */
                if (chosen && !apply) {
                        keys((int[]){ 'q', 0 });
                        sweep_draw(s, card, "quit question");
                        keys((int[]){ 'n', 0 });
                }
                /* The Goal screen's last row: single-GPU mode's question, or handover or iommu=pt ticked. */
                if (strcmp(title, "Goal") == 0) {
                        keys((int[]){ WK_END, ' ', 0 });
                        sweep_draw(s, card, "last row");
                        /* Space again: the question left unanswered, or the row unticked. */
                        keys((int[]){ ' ', WK_HOME, 0 });
                }
                if (gpu) {
                        keys((int[]){ 'g', 0 });
                        sweep_draw(s, card, "group view");
                        keys((int[]){ 'x', WK_TAB, 0 });
                        sweep_draw(s, card, "devices");
                        keys((int[]){ WK_TAB, 0 });
                        chosen = true;
                }
                keys((int[]){ apply ? 'y' : WK_ENTER, 0 });
        }
        wizard_free(w);
        w = NULL;
        sysroot_free(sr);
        sr = NULL;
        tl_root_free(root);
        root = NULL;
}

START_TEST(sweep)
{
        struct sweep s = { 0 };
        char dir[1024];
        glob_t g;

        s.report = open_memstream(&s.report_text, &s.report_len);
        ck_assert_ptr_nonnull(s.report);
        snprintf(dir, sizeof(dir), "%s/fixtures/*.card", TESTS_DIR);
        ck_assert_int_eq(glob(dir, 0, NULL, &g), 0);
        for (size_t i = 0; i < g.gl_pathc; i++)
                sweep_card(&s, g.gl_pathv[i]);
        globfree(&g);
        snprintf(dir, sizeof(dir), "%s/../data/samples/*.card", TESTS_DIR);
        ck_assert_int_eq(glob(dir, 0, NULL, &g), 0);
        for (size_t i = 0; i < g.gl_pathc; i++)
                sweep_card(&s, g.gl_pathv[i]);
        globfree(&g);
        fclose(s.report);
        printf("# sweep: %zu drawings\n", s.renders);
        if (s.failed)
                fprintf(stderr, "%s\n%s\n", s.report_text, s.first ? s.first : "");
        ck_assert_msg(s.failed == 0, "%zu of %zu drawings write outside their box (listed above)", s.failed, s.renders);
        free(s.report_text);
        free(s.first);
}
END_TEST

int main(void)
{
        /* Roots the same length in every run: the screens wrap the same. */
        setenv("TMPDIR", "/tmp", 1);
        Suite *s = suite_create("wizard");
        TCase *tc = tcase_create("wizard");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, amd_dual_gpu_through_apply);
        tcase_add_test(tc, intel_iommu_off);
        tcase_add_test(tc, single_gpu);
        tcase_add_test(tc, ostree_boot_chain);
        tcase_add_test(tc, two_confirmations);
        tcase_add_test(tc, dirty_group);
        tcase_add_test(tc, host_way_asks);
        tcase_add_test(tc, last_screen_asks);
        tcase_add_test(tc, rerun_change_gpu);
        tcase_add_test(tc, rerun_keeps_goals);
        tcase_add_test(tc, rerun_trial);
        tcase_add_test(tc, proxmox_done);
        tcase_add_test(tc, two_gpus);
        tcase_add_test(tc, two_guests);
        tcase_add_test(tc, rerun_single_gpu);
        tcase_add_test(tc, gaming_goal);
        tcase_add_test(tc, guest_system);
        tcase_add_test(tc, looking_glass_user);
        tcase_add_test(tc, looking_glass_nobody);
        tcase_add_test(tc, laptop_dgpu_only);
        tcase_add_test(tc, gpu_details_scroll);
        tcase_add_test(tc, storage_goal);
        tcase_add_test(tc, rerun_keeps_controllers);
        tcase_add_test(tc, resize);
        tcase_add_test(tc, too_small_ignores_keys);
        tcase_add_test(tc, failed_apply);
        tcase_add_test(tc, failed_apply_nothing_ran);
        tcase_add_test(tc, untrusted_tree_apply);
        tcase_add_test(tc, done_after_removal);
        tcase_add_test(tc, done_nothing_changed);
        tcase_add_test(tc, unfinished_apply_first);
        tcase_add_test(tc, help_fits);
        tcase_add_test(tc, no_gpu_stops);
        tcase_add_test(tc, group_view);
        tcase_add_test(tc, group_view_outside_the_iommu);
        tcase_add_test(tc, host_disk_on_gpu_slot);
        tcase_add_test(tc, goal_notes);
        tcase_add_test(tc, usb_plugged_in);
        suite_add_tcase(s, tc);
        tc = tcase_create("sweep");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, sweep);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
