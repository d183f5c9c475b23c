/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target for the parsers and editors that read what users and
 * distributions write: kernel command lines, shell-style configuration,
 * modprobe-style state, machine cards, os-release.  Besides not crashing, two
 * properties are checked: inserting and removing a word gives the text back,
 * and adding then dropping parameters gives the command line back.
 *
 * Built as a libFuzzer target with clang -fsanitize=fuzzer,address
 * -DVS_LIBFUZZER; otherwise main() below mutates built-in seeds with a fixed
 * random sequence, so the suite runs it briefly under the sanitizers.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutate.h"
#include "vfio-setup/card.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/diff.h"
#include "vfio-setup/group_view.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/envfile.h"
#include "vfio-setup/rom.h"
#include "vfio-setup/shellvar.h"
#include "vfio-setup/state.h"
#include "vfio-setup/textfile.h"
#include "vfio-setup/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what, const char *input)
{
        if (!ok) {
                fprintf(stderr, "fuzz: %s fails for input \"%s\"\n", what, input);
                abort();
        }
}

/* Whether every quote is closed: an open one swallows what follows, and the words move. */
static bool balanced(const char *text)
{
        char quote = 0;

        for (const char *p = text; *p; p++)
                if (!quote && (*p == '"' || *p == '\''))
                        quote = *p;
                else if (quote && *p == quote)
                        quote = 0;
        return quote == 0;
}

static void words_property(const char *text)
{
        struct words w;

        if (!balanced(text) || words_parse(text, WORDS_SHELL, &w) < 0)
                return;
        for (size_t at = 0; at <= w.n; at++) {
                struct words v;

                if (words_parse(text, WORDS_SHELL, &v) < 0)
                        break;
                if (words_insert(&v, at, "NEW") == 0 && words_remove(&v, at) == 0)
                        check(strcmp(v.text, text) == 0, "insert then remove", text);
                words_free(&v);
        }
        words_free(&w);
}

static void cmdline_property(const char *line)
{
        const struct cmdline_op add[] = { { CMDLINE_SET, "intel_iommu", "on" }, { CMDLINE_SET, "vfio-pci.ids", "1:2" } };
        const struct cmdline_op drop[] = { { CMDLINE_DROP, "intel_iommu", "on" }, { CMDLINE_DROP, "vfio-pci.ids", "1:2" } };
        char *on = NULL, *off = NULL;

        if (kcmdline_has(line, "intel_iommu", NULL) || kcmdline_has(line, "vfio_pci.ids", NULL))
                return;
        /* Quotes left open swallow what follows them; the kernel reads such a line the same way. */
        if (strchr(line, '"') || strchr(line, '\''))
                return;
        if (cmdline_edit(line, add, 2, &on, NULL, NULL) == 0 && cmdline_edit(on, drop, 2, &off, NULL, NULL) == 0)
                check(strcmp(off, line) == 0, "add then drop", line);
        free(on);
        free(off);
}

static void config(const char *text, size_t len)
{
        static const char *const keys[] = { "GRUB_CMDLINE_LINUX_DEFAULT", "MODULES", "A" };
        struct textfile f;
        char *reason = NULL;

        if (textfile_parse(text, len, "fuzz", &f, &reason) < 0) {
                free(reason);
                return;
        }
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                struct shell_value v;
                bool found;
                char *value;

                if (shell_find(&f, keys[k], &v, &found, &reason) < 0)
                        free(reason);
                else if (found && (value = shell_value_text(&f, &v))) {
                        shell_value_set(&f, &v, value);
                        free(value);
                }
                reason = NULL;
                if (shell_find_list(&f, keys[k], &v, &found, &reason) < 0)
                        free(reason);
                reason = NULL;
        }
        char *content = textfile_content(&f, &len);
        check(content && len == f.original_len && memcmp(content, f.original, len) == 0, "unchanged file round trip", text);
        free(content);
        textfile_free(&f);
}

/* A ROM's images, the input read as one; each image found must lie inside it. */
static void rom_fuzz(const uint8_t *data, size_t size)
{
        struct rom_info info;
        char *problem = NULL;

        if (rom_parse(data, size, &info, &problem) == 0) {
                for (size_t i = 0; i < info.n_images; i++)
                        check(info.images[i].offset + info.images[i].length <= size, "rom_parse bounds", "(binary)");
                rom_info_free(&info);
        }
        free(problem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), *out, *key, *value;
        struct strv tokens = { 0 };
        struct tool_state state;
        struct card card;
        size_t half = size / 2;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        if (kcmdline_split(text, &tokens) == 0)
                for (size_t i = 0; i < tokens.n; i++)
                        if (kcmdline_parse_token(tokens.v[i], &key, &value) == 0) {
                                free(key);
                                free(value);
                        }
        strv_free(&tokens);
        words_property(text);
        cmdline_property(text);
        config((const char *)data, size);
        if (state_parse(text, &state, NULL) == 0) {
                free(state_format(&state));
                state_free(&state);
        }
        if (card_parse(text, NULL, &card) == 0)
                card_free(&card);
        if (env_file_get(text, "ID", &value) == 0)
                free(value);
        if (diff_unified(text, half, text + half, strlen(text + half), 3, &out) == 0)
                free(out);
        rom_fuzz(data, size);
        /* The extended capabilities start at 0x100: the input is placed there, after a blank header. */
        {
                unsigned char config[4096] = { 0 };
                size_t n = size < sizeof(config) - 0x100 ? size : sizeof(config) - 0x100;

                memcpy(config + 0x100, data, n);
                (void)acs_from_config(config, 0x100 + n);
        }
        free(text);
        return 0;
}

#ifndef VS_LIBFUZZER
static const char *const seeds[] = {
        "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet splash intel_iommu=on vfio-pci.ids=10de:2484,10de:228b -- single",
        "dyndbg=\"file x.c +p\" \"a b=c\" vfio_pci.ids=1:2",
        "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\nGRUB_CMDLINE_LINUX=''\r\nMODULES=(a\n b)\n",
        "MODULES=\"amdgpu\"\nHOOKS=(base udev modconf)\n# comment\nA=$B\n",
        "devices=0000:0b:00.0\nids=1002:73bf 1002:ab28\nparams=intel_iommu=on\n",
        "# cpu: amd\nIOMMU Group 1 0b:00.0 VGA compatible controller [0300]: AMD [1002:73bf] (rev c1)\n",
        "IOMMU Group 2:\n\t0000:01:00.1 Audio device [0403]: NVIDIA [10de:10f9] (prog-if 00)\n",
        "ID=\"fedora\"\nID_LIKE='rhel centos'\nNAME=Fedora\\ Linux\n",
        "",
        "   ",
};

int main(int argc, char **argv)
{
        unsigned long runs = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
        uint8_t buf[4096];

        for (unsigned long i = 0; i < runs; i++) {
                const char *seed = seeds[i % (sizeof(seeds) / sizeof(seeds[0]))];
                size_t len = strlen(seed);

                memcpy(buf, seed, len);
                len = fuzz_mutate(buf, len, sizeof(buf));
                LLVMFuzzerTestOneInput(buf, len);
        }
        printf("1..1\nok 1 - %lu mutated inputs through every parser\n", runs);
        return 0;
}
#endif
