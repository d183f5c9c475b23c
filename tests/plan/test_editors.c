/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The editors under the plan: words, the kernel command line, text files, shell variables, diffs, state. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/params.h"
#include "testlib.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/diff.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/selection.h"
#include "vfio-setup/shellvar.h"
#include "vfio-setup/state.h"
#include "vfio-setup/textfile.h"
#include "vfio-setup/words.h"

static char *edit(const char *line, const struct cmdline_op *ops, size_t n)
{
        char *out;

        ck_assert_int_eq(cmdline_edit(line, ops, n, &out, NULL, NULL), 0);
        return out;
}

START_TEST(words_round_trip)
{
        static const char *const texts[] = { "", "   ", "a", " a  b\t", "x \"q w\" y", "a b " };

        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                for (size_t at = 0; at < 4; at++) {
                        struct words w;
                        size_t n;

                        ck_assert_int_eq(words_parse(texts[i], WORDS_SHELL, &w), 0);
                        n = w.n;
                        ck_assert_int_eq(words_insert(&w, at > n ? n : at, "NEW"), 0);
                        ck_assert_uint_eq(w.n, n + 1);
                        ck_assert_int_eq(words_remove(&w, at > n ? n : at), 0);
                        ck_assert_msg(strcmp(w.text, texts[i]) == 0, "'%s' came back as '%s'", texts[i], w.text);
                        words_free(&w);
                }
}
END_TEST

START_TEST(words_by_syntax)
{
        /* A quote inside a string's value is a letter: the shell splits an expansion at white space only. */
        static const struct {
                enum words_syntax syntax;
                const char *text;
                size_t n;
        } cases[] = {
                { WORDS_FIELDS, "base h'ook modconf \"x y\"", 5 },
                { WORDS_SHELL, "base h'ook modconf' \"x y\"", 3 },
                { WORDS_KERNEL, "a='b c' d=\"e f\"", 3 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct words w;

                ck_assert_int_eq(words_parse(cases[i].text, cases[i].syntax, &w), 0);
                ck_assert_msg(w.n == cases[i].n, "'%s': %zu words, not %zu", cases[i].text, w.n, cases[i].n);
                words_free(&w);
        }
}
END_TEST

START_TEST(cmdline_set_keeps_the_rest)
{
        const struct cmdline_op ops[] = {
                { CMDLINE_SET, "intel_iommu", "on" },
                { CMDLINE_SET, "vfio-pci.ids", "10de:2484,10de:228b" },
        };
        struct strv added = { 0 }, removed = { 0 };
        char *out;

        ck_assert_int_eq(cmdline_edit("root=/dev/sda1  ro quiet vfio_pci.ids=1002:73bf  splash vfio-pci.ids=x -- single",
                                      ops, 2, &out, &added, &removed), 0);
        /* The user's spelling of the name stays; the duplicate goes; init's part is untouched. */
        ck_assert_str_eq(out, "root=/dev/sda1  ro quiet vfio_pci.ids=10de:2484,10de:228b  splash intel_iommu=on -- single");
        ck_assert_uint_eq(added.n, 2);
        ck_assert_uint_eq(removed.n, 2);
        free(out);
        strv_free(&added);
        strv_free(&removed);

        /* The same ids in another order are the same value: nothing changes. */
        out = edit("quiet vfio-pci.ids=10de:228b,10de:2484 intel_iommu=on", ops, 2);
        ck_assert_str_eq(out, "quiet vfio-pci.ids=10de:228b,10de:2484 intel_iommu=on");
        free(out);
        out = edit("quiet intel_iommu=off", ops, 1);
        ck_assert_str_eq(out, "quiet intel_iommu=on");
        free(out);
        out = edit("", ops, 1);
        ck_assert_str_eq(out, "intel_iommu=on");
        free(out);
}
END_TEST

START_TEST(cmdline_drop_and_replace)
{
        const struct cmdline_op drop[] = { { CMDLINE_DROP, "iommu", "pt" }, { CMDLINE_DROP, "vfio-pci.ids", NULL } };
        const struct cmdline_op replace[] = { { CMDLINE_REPLACE, "vfio-pci.ids", "a:b" } };
        char *out;

        out = edit("iommu=pt quiet iommu=soft vfio_pci.ids=1:2 splash", drop, 2);
        ck_assert_str_eq(out, "quiet iommu=soft splash");
        free(out);
        out = edit("quiet", replace, 1);
        ck_assert_str_eq(out, "quiet");
        free(out);
        out = edit("quiet vfio-pci.ids=c:d", replace, 1);
        ck_assert_str_eq(out, "quiet vfio-pci.ids=a:b");
        free(out);
        ck_assert(kcmdline_has("a vfio_pci.ids=2:2,1:1", "vfio-pci.ids", "1:1,2:2"));
        ck_assert(!kcmdline_has("a -- vfio_pci.ids=1:1", "vfio-pci.ids", NULL));
}
END_TEST

START_TEST(cmdline_merged_lists)
{
        const struct cmdline_op add[] = { { CMDLINE_SET, "initcall_blacklist", "sysfb_init" } };
        const struct cmdline_op del[] = { { CMDLINE_DROP, "initcall_blacklist", "sysfb_init" } };
        static const struct {
                const char *before, *on;
        } cases[] = {
                /* The user's list keeps its items and order; vfio-setup's item joins it and leaves it alone. */
                { "quiet initcall_blacklist=acpi_cpufreq_init splash", "quiet initcall_blacklist=acpi_cpufreq_init,sysfb_init splash" },
                { "quiet", "quiet initcall_blacklist=sysfb_init" },
                { "initcall_blacklist=a initcall_blacklist=b", "initcall_blacklist=a,sysfb_init initcall_blacklist=b" },
                /* Already there, in any occurrence: nothing to do. */
                { "initcall_blacklist=a initcall_blacklist=b,sysfb_init", "initcall_blacklist=a initcall_blacklist=b,sysfb_init" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *on = edit(cases[i].before, add, 1), *off = edit(on, del, 1);

                ck_assert_str_eq(on, cases[i].on);
                /* The fourth had the item before vfio-setup came: nothing was added, the plan records nothing to take. */
                if (i < 3)
                        ck_assert_msg(strcmp(off, cases[i].before) == 0, "'%s' -> '%s' -> '%s'", cases[i].before, on, off);
                free(on);
                free(off);
        }
        ck_assert(kcmdline_has("x initcall_blacklist=a,sysfb_init", "initcall_blacklist", "sysfb_init"));
        ck_assert(!kcmdline_has("x initcall_blacklist=a,sysfb_init_x", "initcall_blacklist", "sysfb_init"));
}
END_TEST

START_TEST(cmdline_apply_then_release_is_byte_exact)
{
        static const char *const lines[] = { "quiet splash", "quiet ", "  ", "", "ro  root=/dev/x\t-- init" };
        const struct cmdline_op add[] = { { CMDLINE_SET, "intel_iommu", "on" }, { CMDLINE_SET, "vfio-pci.ids", "1:2" } };
        const struct cmdline_op del[] = { { CMDLINE_DROP, "intel_iommu", "on" }, { CMDLINE_DROP, "vfio-pci.ids", "1:2" } };

        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                char *on = edit(lines[i], add, 2), *off = edit(on, del, 2);

                ck_assert_msg(strcmp(off, lines[i]) == 0, "'%s' -> '%s' -> '%s'", lines[i], on, off);
                free(on);
                free(off);
        }
}
END_TEST

START_TEST(textfile_keeps_bytes)
{
        char *root = tl_root_new(), *content, *reason = NULL;
        struct sysroot *sr;
        struct textfile f;
        size_t len;
        char big[1024];

        tl_write(root, "crlf", "A=1\r\nB=2\r\n");
        tl_write(root, "noeol", "A=1\nB=2");
        tl_write_bytes(root, "nul", "A=1\0B", 5);
        tl_symlink(root, "etc/link", "../real");
        tl_write(root, "real", "X=1\n");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        {
                FILE *fp;
                char path[512];
                snprintf(path, sizeof(path), "%s/huge", root);
                fp = fopen(path, "w");
                for (int i = 0; i < 1100; i++)
                        fputs(big, fp);
                fclose(fp);
        }
        sr = tl_sysroot(root);

        ck_assert_int_eq(textfile_load(sr, "crlf", &f, &reason), 0);
        ck_assert_int_eq(textfile_insert(&f, 1, "C=3"), 0);
        content = textfile_content(&f, &len);
        ck_assert_str_eq(content, "A=1\r\nC=3\r\nB=2\r\n");
        free(content);
        textfile_remove(&f, 1);
        content = textfile_content(&f, NULL);
        ck_assert_str_eq(content, "A=1\r\nB=2\r\n");
        free(content);
        textfile_free(&f);

        ck_assert_int_eq(textfile_load(sr, "noeol", &f, &reason), 0);
        ck_assert_int_eq(textfile_insert(&f, f.n, "C=3"), 0);
        content = textfile_content(&f, NULL);
        ck_assert_str_eq(content, "A=1\nB=2\nC=3");
        free(content);
        textfile_remove(&f, f.n - 1);
        content = textfile_content(&f, NULL);
        ck_assert_str_eq(content, "A=1\nB=2");
        free(content);
        textfile_free(&f);

        ck_assert_int_eq(textfile_load(sr, "etc/link", &f, &reason), 0);
        ck_assert_str_eq(f.path, "real");
        ck_assert_str_eq(f.asked, "etc/link");
        textfile_free(&f);

        ck_assert_int_eq(textfile_load(sr, "missing/file", &f, &reason), 0);
        ck_assert(!f.exists);
        ck_assert_uint_eq(f.n, 0);
        textfile_free(&f);

        ck_assert_int_eq(textfile_load(sr, "nul", &f, &reason), -VS_E_CONFIG);
        ck_assert_ptr_nonnull(strstr(reason, "/nul: holds binary data"));
        free(reason);
        ck_assert_int_eq(textfile_load(sr, "huge", &f, &reason), -VS_E_CONFIG);
        ck_assert_ptr_nonnull(strstr(reason, "larger than 1 MiB"));
        free(reason);
        sysroot_free(sr);
        tl_root_free(root);
}
END_TEST

/*
 * Lines appended after a last line without an ending, written and read back: appending them
 * again after removing them changes nothing, whatever carriage returns that line held or the
 * file's lines end with; and removing them gives back the bytes there were, but for a last line
 * that ends in a single CR: appended to, that CR reads back as part of a CRLF, which a line
 * without one also gets in a CRLF file, so removal cannot tell them apart and leaves it out.
 */
START_TEST(textfile_append_round_trip)
{
        static const struct {
                const char *text;
                bool exact;
        } cases[] = {
                { "abc", true }, { "\r\r\r\r", true }, { "x\r\nabc", true }, { "x\nabc\r\r", true },
                { "x\r\nab\r\r", true }, { "abc\r", false }, { "\r", false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct textfile f, g;
                char *written, *back, *again;
                size_t len;

                ck_assert_int_eq(textfile_parse(cases[i].text, strlen(cases[i].text), "t", &f, NULL), 0);
                ck_assert_int_eq(textfile_insert(&f, f.n, "# begin"), 0);
                ck_assert_int_eq(textfile_insert(&f, f.n, "# end"), 0);
                written = textfile_content(&f, &len);
                ck_assert_int_eq(textfile_parse(written, len, "t", &g, NULL), 0);
                textfile_remove(&g, g.n - 1);
                textfile_remove(&g, g.n - 1);
                back = textfile_content(&g, NULL);
                ck_assert_msg(!cases[i].exact || strcmp(back, cases[i].text) == 0, "case %zu did not come back", i);
                ck_assert_int_eq(textfile_insert(&g, g.n, "# begin"), 0);
                ck_assert_int_eq(textfile_insert(&g, g.n, "# end"), 0);
                again = textfile_content(&g, NULL);
                ck_assert_msg(strcmp(again, written) == 0, "case %zu: appended again, it differs", i);
                free(written);
                free(back);
                free(again);
                textfile_free(&f);
                textfile_free(&g);
        }
}
END_TEST

static struct textfile lines_of(const char *text)
{
        char *root = tl_root_new(), *reason = NULL;
        struct sysroot *sr;
        struct textfile f;

        tl_write(root, "etc/default/grub", text);
        sr = tl_sysroot(root);
        ck_assert_int_eq(textfile_load(sr, "etc/default/grub", &f, &reason), 0);
        sysroot_free(sr);
        tl_root_free(root);
        return f;
}

/* Lines added after the lines that carried the file's ending were removed keep that ending. */
START_TEST(textfile_keeps_its_line_ending)
{
        struct textfile f;
        char *reason = NULL, *content;

        ck_assert_int_eq(textfile_parse("x\r\n# begin\r\nm\r\n# end", 20, "t", &f, &reason), 0);
        for (int i = 0; i < 3; i++)
                textfile_remove(&f, 1);
        ck_assert_int_eq(textfile_insert(&f, 1, "# begin"), 0);
        ck_assert_int_eq(textfile_insert(&f, 2, "m"), 0);
        content = textfile_content(&f, NULL);
        ck_assert_str_eq(content, "x\r\n# begin\r\nm");
        free(content);
        textfile_free(&f);
        /* A last line that ends in a carriage return takes the added ending as CRLF, as it reads back. */
        ck_assert_int_eq(textfile_parse("\r", 1, "t", &f, &reason), 0);
        ck_assert_int_eq(textfile_insert(&f, 1, "a"), 0);
        ck_assert_int_eq(textfile_insert(&f, 2, "b"), 0);
        content = textfile_content(&f, NULL);
        ck_assert_str_eq(content, "\r\na\r\nb");
        free(content);
        textfile_free(&f);
}
END_TEST

START_TEST(shell_values)
{
        struct textfile f = lines_of("# GRUB_CMDLINE_LINUX_DEFAULT=\"commented\"\n"
                                     "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
                                     "export GRUB_CMDLINE_LINUX_DEFAULT='quiet splash'  # last wins\n"
                                     "GRUB_TIMEOUT=5\n");
        struct shell_value v;
        char *reason = NULL, *text;
        bool found;

        ck_assert_int_eq(shell_find(&f, "GRUB_CMDLINE_LINUX_DEFAULT", &v, &found, &reason), 0);
        ck_assert(found);
        ck_assert_uint_eq(v.line, 2);
        text = shell_value_text(&f, &v);
        ck_assert_str_eq(text, "quiet splash");
        free(text);
        ck_assert_int_eq(shell_value_set(&f, &v, "quiet splash iommu=pt"), 0);
        ck_assert_str_eq(f.lines[2].text, "export GRUB_CMDLINE_LINUX_DEFAULT='quiet splash iommu=pt'  # last wins");
        ck_assert_int_eq(shell_find(&f, "GRUB_TIMEOUT", &v, &found, &reason), 0);
        text = shell_value_text(&f, &v);
        ck_assert_str_eq(text, "5");
        free(text);
        ck_assert_int_eq(shell_find(&f, "GRUB_CMDLINE_LINUX", &v, &found, &reason), 0);
        ck_assert(!found);
        textfile_free(&f);
}
END_TEST

START_TEST(shell_refusals)
{
        static const struct {
                const char *text, *why;
        } bad[] = {
                { "A=1\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\n", ":2: the quote is not closed" },
                { "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT quiet\"\n", ":1: the value is built" },
                { "GRUB_CMDLINE_LINUX_DEFAULT=`cat /x`\n", ":1: the value is built" },
                { "GRUB_CMDLINE_LINUX_DEFAULT=\"a\"\"b\"\n", ":1: more follows" },
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct textfile f = lines_of(bad[i].text);
                struct shell_value v;
                char *reason = NULL;
                bool found;

                ck_assert_int_eq(shell_find(&f, "GRUB_CMDLINE_LINUX_DEFAULT", &v, &found, &reason), -VS_E_CONFIG);
                ck_assert_msg(strstr(reason, bad[i].why) && strstr(reason, "/etc/default/grub"), "%s", reason);
                free(reason);
                textfile_free(&f);
        }
}
END_TEST

START_TEST(shell_lists)
{
        struct textfile f = lines_of("MODULES=(amdgpu\n  btrfs)\nHOOKS=\"base udev modconf\"\nFILES=()\n");
        struct shell_value v;
        char *reason = NULL, *text;
        bool found;

        ck_assert_int_eq(shell_find_list(&f, "MODULES", &v, &found, &reason), 0);
        ck_assert(found);
        ck_assert_uint_eq(v.line, 0);
        ck_assert_uint_eq(v.last_line, 1);
        text = shell_value_text(&f, &v);
        ck_assert_str_eq(text, "amdgpu");
        free(text);
        ck_assert_int_eq(shell_find_list(&f, "HOOKS", &v, &found, &reason), 0);
        text = shell_value_text(&f, &v);
        ck_assert_str_eq(text, "base udev modconf");
        free(text);
        ck_assert_int_eq(shell_find_list(&f, "FILES", &v, &found, &reason), 0);
        ck_assert_uint_eq(v.start, v.end);
        textfile_free(&f);

        f = lines_of("MODULES=(amdgpu\n");
        ck_assert_int_eq(shell_find_list(&f, "MODULES", &v, &found, &reason), -VS_E_CONFIG);
        ck_assert_ptr_nonnull(strstr(reason, "')' is missing"));
        free(reason);
        textfile_free(&f);

        /* The shell would not read an array with a quote left open: neither does vfio-setup. */
        f = lines_of("HOOKS=(base ude'v autodetect modconf)\n");
        ck_assert_int_eq(shell_find_list(&f, "HOOKS", &v, &found, &reason), -VS_E_CONFIG);
        ck_assert_ptr_nonnull(strstr(reason, ":1: a quote in the array is not closed"));
        free(reason);
        textfile_free(&f);
        /* Quoted words may hold ')' and span lines. */
        f = lines_of("FILES=('/a)b' \"c\nd\")\n");
        ck_assert_int_eq(shell_find_list(&f, "FILES", &v, &found, &reason), 0);
        ck_assert_uint_eq(v.last_line, 1);
        textfile_free(&f);
}
END_TEST

START_TEST(unified_diff)
{
        const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        const char *b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n";
        char *d;

        ck_assert_int_eq(diff_unified(a, strlen(a), b, strlen(b), 1, &d), 0);
        ck_assert_str_eq(d, "@@ -4,3 +4,3 @@\n 4\n-5\n+five\n 6\n@@ -9,1 +9,2 @@\n 9\n+ten\n");
        free(d);
        ck_assert_int_eq(diff_unified(a, strlen(a), a, strlen(a), 3, &d), 0);
        ck_assert_str_eq(d, "");
        free(d);
        ck_assert_int_eq(diff_unified("", 0, "x\r\ny\r\n", 6, 3, &d), 0);
        ck_assert_str_eq(d, "@@ -0,0 +1,2 @@\n+x\n+y\n");
        free(d);
}
END_TEST

START_TEST(state_round_trip)
{
        struct tool_state s = { 0 }, t;
        char *text, *again;
        size_t line;

        ck_assert_int_eq(strv_push(&s.devices, "0000:0b:00.0"), 0);
        ck_assert_int_eq(strv_push(&s.params, "intel_iommu=on"), 0);
        ck_assert_int_eq(strv_push(&s.params, "vfio-pci.ids=1002:73bf,1002:ab28"), 0);
        text = state_format(&s);
        ck_assert_ptr_nonnull(strstr(text, "params=intel_iommu=on vfio-pci.ids=1002:73bf,1002:ab28\n"));
        ck_assert_ptr_null(strstr(text, "hooks="));
        ck_assert_int_eq(state_parse(text, &t, NULL), 0);
        ck_assert(t.present);
        again = state_format(&t);
        ck_assert_str_eq(text, again);
        state_free(&t);
        free(text);
        free(again);
        state_free(&s);

        /* A line it cannot read is named; a newer version's keys go back into the file unchanged. */
        line = 0;
        ck_assert_int_eq(state_parse("ids=1002:73bf\n# note\ngarbage\n", &t, &line), -EBADMSG);
        ck_assert_uint_eq(line, 3);
        ck_assert_int_eq(state_parse("Ids=x\n", &t, &line), -EBADMSG);
        ck_assert_int_eq(state_parse("ids=1002:73bf\nfuture_key=a b  c\n", &t, NULL), 0);
        text = state_format(&t);
        ck_assert_ptr_nonnull(strstr(text, "ids=1002:73bf\nfuture_key=a b  c\n"));
        free(text);
        state_free(&t);
}
END_TEST

START_TEST(parameter_table)
{
        struct strv l = { 0 };
        struct params_input in = { .vendor = CPU_VENDOR_INTEL, .ids = "1:2" };

        ck_assert_int_eq(kernel_version("6.1.0-26-amd64"), 6001);
        ck_assert_int_eq(kernel_version("6.12.1-arch1-1"), 6012);
        ck_assert_int_eq(kernel_version("junk"), -1);
        ck_assert_int_eq(wanted_params(&in, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.v[0], "intel_iommu=on");
        strv_free(&l);
        in = (struct params_input){ .vendor = CPU_VENDOR_AMD, .iommu_pt = true, .ids_on_cmdline = true, .ids = "1:2" };
        ck_assert_int_eq(wanted_params(&in, &l), 0);
        ck_assert_uint_eq(l.n, 2);
        ck_assert_str_eq(l.v[0], "iommu=pt");
        ck_assert_str_eq(l.v[1], "vfio-pci.ids=1:2");
        strv_free(&l);
        in = (struct params_input){ .vendor = CPU_VENDOR_AMD, .boot_vga = true, .ids = "1:2" };
        ck_assert_int_eq(wanted_params(&in, &l), 0);
        ck_assert_uint_eq(l.n, 1);
        ck_assert_str_eq(l.v[0], "initcall_blacklist=sysfb_init");
        strv_free(&l);
        ck_assert_int_eq(wanted_modules(6001, &l), 0);
        ck_assert(strv_contains(&l, "vfio_virqfd"));
        strv_free(&l);
        ck_assert_int_eq(wanted_modules(6002, &l), 0);
        ck_assert(!strv_contains(&l, "vfio_virqfd"));
        ck_assert_uint_eq(l.n, 3);
        ck_assert_str_eq(l.v[0], "vfio_pci");
        strv_free(&l);
}
END_TEST

START_TEST(looking_glass_size)
{
        ck_assert_uint_eq(looking_glass_size_mb(1920, 1080, false), 32);
        ck_assert_uint_eq(looking_glass_size_mb(2560, 1440, false), 64);
        ck_assert_uint_eq(looking_glass_size_mb(3840, 2160, false), 128);
        ck_assert_uint_eq(looking_glass_size_mb(1024, 768, false), 16);
        ck_assert_uint_eq(looking_glass_size_mb(7680, 4320, false), 512);
        /* HDR: 64-bit frames, twice the bytes. */
        ck_assert_uint_eq(looking_glass_size_mb(1920, 1080, true), 64);
        ck_assert_uint_eq(looking_glass_size_mb(2560, 1440, true), 128);
        ck_assert_uint_eq(looking_glass_size_mb(3840, 2160, true), 256);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("editors");
        TCase *tc = tcase_create("editors");

        tcase_add_test(tc, words_round_trip);
        tcase_add_test(tc, words_by_syntax);
        tcase_add_test(tc, textfile_append_round_trip);
        tcase_add_test(tc, cmdline_set_keeps_the_rest);
        tcase_add_test(tc, cmdline_drop_and_replace);
        tcase_add_test(tc, cmdline_merged_lists);
        tcase_add_test(tc, cmdline_apply_then_release_is_byte_exact);
        tcase_add_test(tc, textfile_keeps_bytes);
        tcase_add_test(tc, textfile_keeps_its_line_ending);
        tcase_add_test(tc, shell_values);
        tcase_add_test(tc, shell_refusals);
        tcase_add_test(tc, shell_lists);
        tcase_add_test(tc, unified_diff);
        tcase_add_test(tc, state_round_trip);
        tcase_add_test(tc, parameter_table);
        tcase_add_test(tc, looking_glass_size);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
