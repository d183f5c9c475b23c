/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lists declared once (options.h's OPTIONS, machine.h's BOOTLOADERS and
 * INITRAMFS_GENERATORS, selection.h's GOALS, remedy.h's REMEDY_LIST) against everything
 * written by hand from them: --help, both completions, the manual page, and each front
 * end's words for the remedies.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "testlib.h"
#include "vfio-setup/datadir.h"
#include "vfio-setup/machine.h"
#include "vfio-setup/remedy.h"
#include "vfio-setup/selection.h"

/* The front ends' tables (src/cli/remedies.c, src/tui/remedies.c). */
extern const char *const cli_remedies[_REMEDY_MAX];
extern const char *const wizard_remedies[_REMEDY_MAX];

static char *source(const char *rel)
{
        char *path, *text = NULL;
        size_t len = 0;
        FILE *f;

        ck_assert_int_ge(asprintf(&path, "%s/../%s", TESTS_DIR, rel), 0);
        f = fopen(path, "r");
        ck_assert_msg(f, "%s cannot be read", path);
        ck_assert_int_ge(getdelim(&text, &len, '\0', f), 0);
        fclose(f);
        free(path);
        return text;
}

/* s with a backslash before each c: the manual page escapes every '-', zsh's lists every ':'. */
static char *escaped_before(const char *s, char c)
{
        char *out = malloc(2 * strlen(s) + 1), *w = out;

        ck_assert_ptr_nonnull(out);
        for (; *s; s++) {
                if (*s == c)
                        *w++ = '\\';
                *w++ = *s;
        }
        *w = '\0';
        return out;
}

static char *usage_of(const struct command *c)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        ck_assert_ptr_nonnull(f);
        cli_usage(f, c);
        fclose(f);
        return text;
}

/* Letters of a name or option, and what joins them: a match inside a longer one is none. */
static bool word_char(char c, bool before)
{
        return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' || (before && c == '\\');
}

/* Whether the text holds word whole: not as part of a longer option or name. */
static bool has_word(const char *text, const char *word)
{
        size_t n = strlen(word);

        for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
                if ((p == text || !word_char(p[-1], true)) && !word_char(p[n], false))
                        return true;
        return false;
}

START_TEST(every_option_is_documented_and_completed)
{
        char *bash = source("data/completions/vfio-setup.bash"), *zsh = source("data/completions/_vfio-setup"),
             *man = source("data/vfio-setup.8.in"), *help = usage_of(NULL), *plan = usage_of(cli_find_command("plan"));

        for (const struct option *o = cli_long_options; o->name; o++) {
                bool short_o = strcmp(o->name, "output") == 0;
                char *dashed, *escaped;

                ck_assert_int_ge(asprintf(&dashed, "--%s", o->name), 0);
                escaped = escaped_before(short_o ? "-o" : dashed, '-');
                ck_assert_msg(has_word(bash, dashed), "the bash completion lacks %s", dashed);
                ck_assert_msg(has_word(zsh, short_o ? "-o" : dashed), "the zsh completion lacks %s", dashed);
                ck_assert_msg(has_word(man, escaped), "the manual page lacks %s", dashed);
                free(dashed);
                free(escaped);
        }
        /* Each command's options are in its usage line and in bash's list for it. */
        for (size_t i = 0; i < cli_n_commands; i++) {
                const struct command *c = &cli_commands[i];
                /* "apply (the options of plan) ...": plan's usage lists those. */
                char *usage = usage_of(c), *head, *line;

                ck_assert_msg(has_word(help, c->name), "--help lacks the command %s", c->name);
                ck_assert_int_ge(asprintf(&head, "        %s) options=\"", c->name), 0);
                line = strstr(bash, head);
                ck_assert_msg(line, "the bash completion has no options for %s", c->name);
                line = strndup(line, strcspn(line, "\n"));
                for (const int *opt = c->options; *opt; opt++)
                        for (const struct option *o = cli_long_options; o->name; o++) {
                                char *dashed;

                                if (o->val != *opt)
                                        continue;
                                ck_assert_int_ge(asprintf(&dashed, "%s%s", *opt == 'o' ? "-" : "--",
                                                          *opt == 'o' ? "o" : o->name), 0);
                                ck_assert_msg(has_word(usage, dashed) ||
                                              (strstr(usage, "the options of plan") && has_word(plan, dashed)),
                                              "%s --help lacks %s", c->name, dashed);
                                ck_assert_msg(has_word(line, dashed), "bash completes no %s for %s", dashed, c->name);
                                free(dashed);
                        }
                free(line);
                free(head);
                free(usage);
        }
        free(bash);
        free(zsh);
        free(man);
        free(help);
        free(plan);
}
END_TEST

/* A name of a list in plan --help, both completions' lists for its option, and the manual page. */
static void check_name(const char *name, const char *option, const char *help, const char *bash, const char *zsh,
                       const char *man)
{
        char *bash_head, *bash_line, *zsh_head, *zsh_line, *zsh_name = escaped_before(name, ':'),
             *man_name = escaped_before(name, '-');

        ck_assert_msg(has_word(help, name), "plan --help lacks %s %s", option, name);
        ck_assert_int_ge(asprintf(&bash_head, "        --%s) ", option), 0);
        bash_line = strstr(bash, bash_head);
        ck_assert_msg(bash_line, "the bash completion does not complete --%s", option);
        bash_line = strndup(bash_line, strcspn(bash_line, "\n"));
        ck_assert_msg(has_word(bash_line, name), "the bash completion lacks --%s %s", option, name);
        ck_assert_int_ge(asprintf(&zsh_head, "--%s[", option), 0);
        zsh_line = strstr(zsh, zsh_head);
        ck_assert_msg(zsh_line, "the zsh completion does not complete --%s", option);
        zsh_line = strndup(zsh_line, strcspn(zsh_line, "\n"));
        ck_assert_msg(has_word(zsh_line, zsh_name), "the zsh completion lacks --%s %s", option, name);
        ck_assert_msg(has_word(man, man_name), "the manual page lacks %s %s", option, name);
        free(bash_line);
        free(bash_head);
        free(zsh_line);
        free(zsh_head);
        free(zsh_name);
        free(man_name);
}

START_TEST(every_name_is_offered)
{
        char *bash = source("data/completions/vfio-setup.bash"), *zsh = source("data/completions/_vfio-setup"),
             *man = source("data/vfio-setup.8.in"), *help = usage_of(cli_find_command("plan"));

        for (int k = BOOTLOADER_UNKNOWN + 1; k < _BOOTLOADER_MAX; k++)
                check_name(bootloader_name((enum bootloader_kind)k), "bootloader", help, bash, zsh, man);
        for (int k = INITRAMFS_UNKNOWN + 1; k < _INITRAMFS_MAX; k++)
                check_name(initramfs_name((enum initramfs_kind)k), "initramfs", help, bash, zsh, man);
        for (int g = 0; g < _GOAL_MAX; g++)
                check_name(goal_name((enum goal)g), "goal", help, bash, zsh, man);
        free(bash);
        free(zsh);
        free(man);
        free(help);
}
END_TEST

START_TEST(every_remedy_is_worded_by_both_front_ends)
{
        const char *name = NULL;

        ck_assert_msg(remedy_words_check(cli_remedies, &name) == 0, "the CLI has no fitting words for %s", name);
        ck_assert_msg(remedy_words_check(wizard_remedies, &name) == 0, "the wizard has no fitting words for %s", name);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("lists");
        TCase *tc = tcase_create("lists");

        tcase_add_test(tc, every_option_is_documented_and_completed);
        tcase_add_test(tc, every_name_is_offered);
        tcase_add_test(tc, every_remedy_is_worded_by_both_front_ends);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
