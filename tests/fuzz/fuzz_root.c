/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole-root fuzz target: every file vfio-setup parses on the way from
 * detection to undo (GRUB and its drop-in, /etc/kernel/cmdline, loader
 * entries, limine.conf, rEFInd, kernelstub, mkinitcpio, dracut,
 * initramfs-tools, booster, modprobe.d, the state file, a journal) comes from
 * the input, on a fixed machine (tests/fixtures/hw-intel-amd.card).  Each input is
 * detected, planned for a boot chain the input chooses, applied, detected and
 * planned again, then undone.  Besides not crashing: a plan that was applied
 * leaves nothing to do the second time.
 *
 * The input is a selector byte, then the files' contents separated by '\f'
 * (an empty one is a file that is not there).
 * Built as a libFuzzer target with -DVS_LIBFUZZER (the root is made on the
 * first input); otherwise main() mutates the distribution fixtures' files
 * (tests/fixtures/distros) with a fixed random sequence: "N" inputs, "S seconds",
 * "N save DIR" writes N inputs to DIR as a corpus, and "DIR/" runs a corpus.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mutate.h"
#include "vfio-setup/apply.h"
#include "vfio-setup/card.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/selection.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const targets[] = {
        "etc/default/grub",
        "etc/default/grub.d/vfio-setup.cfg",
        "etc/kernel/cmdline",
        "boot/loader/entries/linux.conf",
        "boot/limine.conf",
        "boot/refind_linux.conf",
        "etc/kernelstub/configuration",
        "etc/mkinitcpio.conf",
        "etc/dracut.conf.d/vfio-setup.conf",
        "etc/initramfs-tools/modules",
        "etc/booster.yaml",
        "etc/modprobe.d/vfio-setup.conf",
        "var/lib/vfio-setup/state",
        "var/lib/vfio-setup/journal/0001/journal",
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

/* Where apply may write: emptied before each input, so that inputs do not see each other. */
static const char *const writable[] = { "etc", "boot", "var", "efi" };

static char *root;

static void die(const char *what)
{
        perror(what);
        abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path) < 0 ? -1 : 0;
}

static void write_file(const char *rel, const char *data, size_t len)
{
        char path[4096];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        for (char *slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        die(path);
                *slash = '/';
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0)
                die(path);
}

static char *top;

static void remove_root(void)
{
        nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_root(void)
{
        char tmpl[] = "/tmp/vfio-setup-fuzz-root.XXXXXX", card_path[4096];
        struct card card;

        if (!mkdtemp(tmpl))
                die("mkdtemp");
        top = strdup(tmpl);
        if (!top || asprintf(&root, "%s/m", tmpl) < 0)
                die("memory");
        atexit(remove_root);
        snprintf(card_path, sizeof(card_path), "%s/fixtures/hw-intel-amd.card", TESTS_DIR);
        if (card_load(card_path, &card) < 0)
                die(card_path);
        if (card_build_root(&card, root) < 0)
                die("card_build_root");
        card_free(&card);
}

static void reset_root(void)
{
        for (size_t i = 0; i < sizeof(writable) / sizeof(writable[0]); i++) {
                char path[4096];

                snprintf(path, sizeof(path), "%s/%s", root, writable[i]);
                nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        }
        write_file("etc/os-release", "ID=fuzz\nNAME=Fuzz\n", 18);
}

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-root: %s (root %s)\n", what, root);
                abort();
        }
}

/* Detects and plans; the plan, or NULL when refused. */
static struct plan *plan_once(const struct sysroot *sr, const struct selection *sel)
{
        struct machine *m = NULL;
        struct plan *p = NULL;
        char *reason = NULL, *text;

        if (detect_machine(sr, &m) == 0 && plan_build(sr, m, sel, &p, &reason) == 0) {
                if (plan_to_text(p, &text) == 0)
                        free(text);
                if (plan_to_json(p, &text) == 0)
                        free(text);
        }
        free(reason);
        machine_free(m);
        return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        struct selection sel = { .bootloader = -1, .initramfs = -1 };
        struct apply_result res;
        struct sysroot *sr;
        const char *p = (const char *)data + (size > 0), *end = (const char *)data + size;
        uint8_t choose = size ? data[0] : 0;
        struct plan *plan;
        unsigned seq;

        if (!root)
                make_root();
        reset_root();
        for (size_t i = 0; i < N_TARGETS && p <= end; i++) {
                const char *ff = memchr(p, '\f', (size_t)(end - p));
                size_t len = ff ? (size_t)(ff - p) : (size_t)(end - p);

                /* An empty part is a file that is not there. */
                if (len)
                        write_file(targets[i], p, len);
                p += len + 1;
        }
        /* The boot chain from the selector: each emitter, and the detected one. */
        sel.bootloader = choose % (_BOOTLOADER_MAX + 1) == _BOOTLOADER_MAX ? -1 : choose % (_BOOTLOADER_MAX + 1);
        sel.initramfs = (choose / 16) % (_INITRAMFS_MAX + 1) == _INITRAMFS_MAX ? -1 : (choose / 16) % (_INITRAMFS_MAX + 1);
        sel.release = (choose & 0x80) && (choose & 0x08);
        if (!sel.release)
                sel.gpu = "0000:03:00.0";
        if (sysroot_new(root, &sr) < 0)
                die(root);

        plan = plan_once(sr, &sel);
        if (plan && !plan_empty(plan) && apply_plan(sr, plan, &o, &res) == 0) {
                struct plan *again;

                apply_result_free(&res);
                again = plan_once(sr, &sel);
                check(again != NULL, "the applied plan's result is refused when planned again");
                if (again->n_files || again->remove_dirs.n) {
                        char *text;

                        if (plan_to_text(again, &text) == 0)
                                fprintf(stderr, "%s\n", text);
                        check(false, "planned again, the plan changes files");
                }
                plan_free(again);
        } else if (plan && !plan_empty(plan))
                apply_result_free(&res);
        plan_free(plan);
        /* The journal is the input's own, or the apply's: either is read, checked and maybe undone. */
        undo_last(sr, &o, &res, &seq);
        apply_result_free(&res);
        sysroot_free(sr);
        return 0;
}

#ifndef VS_LIBFUZZER
struct seed {
        char *files[N_TARGETS];
        size_t lens[N_TARGETS];
};

static void slurp(const char *path, char **ret, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0, cap = 0, n;

        *ret = NULL;
        *ret_len = 0;
        if (!f)
                return;
        do {
                if (len + 4096 > cap) {
                        char *grown = realloc(buf, cap = cap * 2 + 4096);

                        if (!grown)
                                die("realloc");
                        buf = grown;
                }
                n = fread(buf + len, 1, 4096, f);
                len += n;
        } while (n > 0);
        fclose(f);
        *ret = buf;
        *ret_len = len;
}

/* The fixtures' own files, where a distribution has one, with each target's path searched in each. */
static size_t load_seeds(struct seed *seeds, size_t max)
{
        static const char *const distros[] = { "arch-grub", "arch-systemd-boot", "debian12-grub", "endeavouros-systemd-boot",
                                               "fedora40-grub-bls", "limine-cachyos", "manjaro-grub", "opensuse-tw-grub",
                                               "popos-kernelstub", "refind-arch", "ubuntu2404-grub" };
        size_t n = 0;

        for (size_t d = 0; d < sizeof(distros) / sizeof(distros[0]) && n < max; d++, n++) {
                memset(&seeds[n], 0, sizeof(seeds[n]));
                for (size_t i = 0; i < N_TARGETS; i++) {
                        char path[4096];

                        snprintf(path, sizeof(path), "%s/fixtures/distros/%s/%s", TESTS_DIR, distros[d], targets[i]);
                        slurp(path, &seeds[n].files[i], &seeds[n].lens[i]);
                }
                /* Entries and grub.d live under other names there: a few well-formed ones. */
                if (!seeds[n].files[3]) {
                        seeds[n].files[3] = strdup("title Linux\nlinux /vmlinuz-linux\ninitrd /initramfs-linux.img\n"
                                                   "options root=UUID=1234 rw quiet\n");
                        seeds[n].lens[3] = strlen(seeds[n].files[3]);
                }
        }
        return n;
}

/*
 * vfio-setup's own files (its modprobe.d file and drop-ins, the state, a
 * journal) as an apply writes them, on a machine of the first seed, for
 * every seed that lacks them: the parsers of those files get well-formed
 * inputs to start from.
 */
static void own_seeds(struct seed *seeds, size_t n)
{
        struct apply_options o = { .regenerate = false, .run = { .root = "/" } };
        /* Set up for good: the files every boot reads, ids and all. */
        struct selection sel = { .bootloader = -1, .initramfs = -1, .gpu = (char *)"0000:03:00.0", .no_trial = true };
        struct apply_result res;
        struct sysroot *sr;
        struct plan *plan;

        if (!root)
                make_root();
        reset_root();
        for (size_t i = 0; i < N_TARGETS; i++)
                if (seeds[0].files[i] && seeds[0].lens[i])
                        write_file(targets[i], seeds[0].files[i], seeds[0].lens[i]);
        if (sysroot_new(root, &sr) < 0)
                die(root);
        plan = plan_once(sr, &sel);
        if (!plan || apply_plan(sr, plan, &o, &res) < 0)
                die("applying the first seed");
        apply_result_free(&res);
        plan_free(plan);
        sysroot_free(sr);
        for (size_t i = 0; i < N_TARGETS; i++) {
                char path[4096], *data;
                size_t len;

                snprintf(path, sizeof(path), "%s/%s", root, targets[i]);
                slurp(path, &data, &len);
                for (size_t k = 0; data && k < n; k++)
                        if (!seeds[k].files[i] && (seeds[k].files[i] = malloc(len ? len : 1))) {
                                memcpy(seeds[k].files[i], data, len);
                                seeds[k].lens[i] = len;
                        }
                free(data);
        }
}

/* One input: the selector, then each file, mutated now and then, joined by '\f'. */
static size_t compose(const struct seed *s, char *out, size_t cap)
{
        size_t len = 1;

        out[0] = (char)(fuzz_next() & 0xff);
        for (size_t i = 0; i < N_TARGETS; i++) {
                char file[16384];
                size_t flen = s->files[i] ? s->lens[i] : 0;

                if (flen > sizeof(file) / 2)
                        flen = sizeof(file) / 2;
                if (flen)
                        memcpy(file, s->files[i], flen);
                if (fuzz_next() % 3 == 0)
                        flen = fuzz_mutate((uint8_t *)file, flen, sizeof(file));
                /* The separator is the input's, not the file's. */
                for (size_t k = 0; k < flen; k++)
                        if (file[k] == '\f')
                                file[k] = ' ';
                if (len + flen + 1 > cap)
                        break;
                memcpy(out + len, file, flen);
                len += flen;
                if (i + 1 < N_TARGETS)
                        out[len++] = '\f';
        }
        return len;
}

int main(int argc, char **argv)
{
        unsigned long limit = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
        bool seconds = argc > 2 && strcmp(argv[2], "seconds") == 0;
        struct seed seeds[16];
        size_t n_seeds;
        static char input[1 << 20];
        time_t start = time(NULL);
        unsigned long runs = 0;

        if (getenv("VFIO_SETUP_FUZZ_SEED"))
                fuzz_seed(strtoull(getenv("VFIO_SETUP_FUZZ_SEED"), NULL, 0));
        /* A corpus directory given: each input in it, as regression tests. */
        if (argc > 1 && strchr(argv[1], '/')) {
                struct dirent **names;
                int n = scandir(argv[1], &names, NULL, alphasort), ran = 0;

                if (n < 0)
                        die(argv[1]);
                for (int i = 0; i < n; i++) {
                        char path[4096], *data;
                        size_t len;

                        snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
                        if (names[i]->d_name[0] != '.') {
                                slurp(path, &data, &len);
                                LLVMFuzzerTestOneInput((const uint8_t *)data, len);
                                free(data);
                                ran++;
                        }
                        free(names[i]);
                }
                free(names);
                printf("1..1\n%s 1 - %d corpus inputs through the whole root\n", ran ? "ok" : "not ok", ran);
                return ran ? 0 : 1;
        }
        n_seeds = load_seeds(seeds, 16);
        own_seeds(seeds, n_seeds);
        /* "save DIR": N inputs made as below are written to DIR as a corpus. */
        if (argc > 3 && strcmp(argv[2], "save") == 0) {
                for (unsigned long i = 0; i < limit; i++) {
                        char path[4096];
                        size_t len = compose(&seeds[i % n_seeds], input, sizeof(input));
                        FILE *f;

                        snprintf(path, sizeof(path), "%s/%04lu", argv[3], i);
                        f = fopen(path, "we");
                        if (!f || fwrite(input, 1, len, f) != len || fclose(f) != 0)
                                die(path);
                }
                limit = 0;
        }
        while (seconds ? (unsigned long)(time(NULL) - start) < limit : runs < limit) {
                size_t len = compose(&seeds[runs % n_seeds], input, sizeof(input));
                const char *keep = getenv("VFIO_SETUP_FUZZ_LAST");

                if (keep) {
                        FILE *f = fopen(keep, "we");

                        if (f) {
                                fwrite(input, 1, len, f);
                                fclose(f);
                        }
                }
                LLVMFuzzerTestOneInput((const uint8_t *)input, len);
                runs++;
        }
        for (size_t i = 0; i < n_seeds; i++)
                for (size_t k = 0; k < N_TARGETS; k++)
                        free(seeds[i].files[k]);
        if (argc <= 3)
                printf("1..1\nok 1 - %lu inputs through the whole root, from detection to undo\n", runs);
        return 0;
}
#endif
