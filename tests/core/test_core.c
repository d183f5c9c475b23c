/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/envfile.h"
#include "vfio-setup/json.h"
#include "vfio-setup/jsonw.h"
#include "vfio-setup/pciaddr.h"

START_TEST(strv_uniq_sorts_and_dedupes)
{
        struct strv l = { 0 };
        char *joined;

        ck_assert_int_eq(strv_push(&l, "b"), 0);
        ck_assert_int_eq(strv_push(&l, "a"), 0);
        ck_assert_int_eq(strv_pushf(&l, "%c", 'b'), 0);
        strv_uniq(&l);
        joined = strv_join(&l, ",");
        ck_assert_str_eq(joined, "a,b");
        ck_assert(strv_contains(&l, "a"));
        ck_assert(!strv_contains(&l, "c"));
        free(joined);
        strv_free(&l);
        joined = strv_join(&l, ",");
        ck_assert_str_eq(joined, "");
        free(joined);
}
END_TEST

START_TEST(kcmdline_splits_like_the_kernel)
{
        struct strv t = { 0 };

        ck_assert_int_eq(kcmdline_split("  ro quiet  dyndbg=\"file x.c +p\" \"a b=c\" vfio-pci.ids=10de:1c03\n", &t), 0);
        ck_assert_uint_eq(t.n, 5);
        ck_assert_str_eq(t.v[0], "ro");
        ck_assert_str_eq(t.v[2], "dyndbg=\"file x.c +p\"");
        ck_assert_str_eq(t.v[3], "\"a b=c\"");
        strv_free(&t);

        /* An unterminated quote runs to the end. */
        ck_assert_int_eq(kcmdline_split("a=\"b c", &t), 0);
        ck_assert_uint_eq(t.n, 1);
        ck_assert_str_eq(t.v[0], "a=\"b c");
        strv_free(&t);

        ck_assert_int_eq(kcmdline_split("", &t), 0);
        ck_assert_uint_eq(t.n, 0);
        strv_free(&t);
}
END_TEST

START_TEST(kcmdline_tokens_parse)
{
        char *k, *v;

        ck_assert_int_eq(kcmdline_parse_token("dyndbg=\"file x.c +p\"", &k, &v), 0);
        ck_assert_str_eq(k, "dyndbg");
        ck_assert_str_eq(v, "file x.c +p");
        free(k);
        free(v);
        ck_assert_int_eq(kcmdline_parse_token("quiet", &k, &v), 0);
        ck_assert_str_eq(k, "quiet");
        ck_assert_ptr_null(v);
        free(k);
        ck_assert_int_eq(kcmdline_parse_token("a=b=c", &k, &v), 0);
        ck_assert_str_eq(v, "b=c");
        free(k);
        free(v);
        ck_assert(kcmdline_key_equal("vfio-pci.ids", "vfio_pci.ids"));
        ck_assert(!kcmdline_key_equal("vfio-pci.ids", "vfio_pci.id"));
}
END_TEST

START_TEST(pci_addresses)
{
        unsigned d, b, s, f;
        char buf[16];
        struct pci_device x = { .domain = 0, .bus = 0x0b }, y = { .domain = 0x10000, .bus = 0 };

        ck_assert_int_eq(pci_address_parse("0000:0b:00.1", &d, &b, &s, &f), 0);
        ck_assert_uint_eq(b, 0x0b);
        ck_assert_uint_eq(f, 1);
        ck_assert_int_eq(pci_address_parse("0B:1F.7", &d, &b, &s, &f), 0);
        ck_assert_uint_eq(s, 0x1f);
        ck_assert_int_eq(pci_address_parse("10000:00:02.0", &d, &b, &s, &f), 0);
        ck_assert_uint_eq(d, 0x10000);
        ck_assert_int_eq(pci_address_parse("0000:0b:20.0", &d, &b, &s, &f), -EINVAL);
        ck_assert_int_eq(pci_address_parse("0000:0b:00.8", &d, &b, &s, &f), -EINVAL);
        ck_assert_int_eq(pci_address_parse("junk", &d, &b, &s, &f), -EINVAL);
        ck_assert_int_eq(pci_address_parse("0000:0b:00.0x", &d, &b, &s, &f), -EINVAL);
        pci_address_format(0, 0x0b, 0, 1, buf);
        ck_assert_str_eq(buf, "0000:0b:00.1");
        /* Numeric, not textual, order: a 5-digit domain sorts after domain 0. */
        ck_assert_int_lt(pci_address_cmp(&x, &y), 0);
}
END_TEST

START_TEST(env_file_values)
{
        const char *text = "# comment\nNAME=\"Fedora Linux\"\nID=fedora\nID_LIKE='rhel centos'\n"
                           "X=\"a \\\"q\\\" b\"\nID=fedora2 # trailing\nCRLF=yes\r\n";
        char *v;

        ck_assert_int_eq(env_file_get(text, "NAME", &v), 0);
        ck_assert_str_eq(v, "Fedora Linux");
        free(v);
        ck_assert_int_eq(env_file_get(text, "ID", &v), 0);
        ck_assert_str_eq(v, "fedora2");
        free(v);
        ck_assert_int_eq(env_file_get(text, "ID_LIKE", &v), 0);
        ck_assert_str_eq(v, "rhel centos");
        free(v);
        ck_assert_int_eq(env_file_get(text, "X", &v), 0);
        ck_assert_str_eq(v, "a \"q\" b");
        free(v);
        ck_assert_int_eq(env_file_get(text, "CRLF", &v), 0);
        ck_assert_str_eq(v, "yes");
        free(v);
        ck_assert_int_eq(env_file_get(text, "MISSING", &v), 0);
        ck_assert_ptr_null(v);
}
END_TEST

/* Names a hostile tree could hold: quotes, blanks, &<>, newlines, control bytes, a percent. */
static const char *const hostile[] = {
        "plain", "with blank", "it's", "say \"hi\"", "a&b<c>d", "line\nbreak", "tab\there", "bell\a", "100%", "$(reboot)",
        "`id`", "back\\slash", "--option", "",
};

static char *escaped(int (*escape)(struct strbuf *, const char *), const char *s, int *ret)
{
        struct strbuf b = { 0 };
        char *text = NULL;

        *ret = escape(&b, s);
        strbuf_printf(&b, "%s", "");
        ck_assert_int_eq(strbuf_finish(&b, &text), 0);
        return text;
}

static int shell(struct strbuf *b, const char *s)
{
        escape_shell(b, s);
        return 0;
}

/* sh itself reads each word back: printf %s WORD prints the name as it was. */
START_TEST(escape_shell_read_back_by_sh)
{
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                char *word, *cmd, out[256] = "";
                int r;
                FILE *f;

                word = escaped(shell, hostile[i], &r);
                ck_assert_int_ge(asprintf(&cmd, "printf %%s %s", word), 0);
                f = popen(cmd, "r");
                ck_assert_ptr_nonnull(f);
                out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
                ck_assert_int_eq(pclose(f), 0);
                ck_assert_msg(strcmp(out, hostile[i]) == 0, "%s -> %s -> %s", hostile[i], word, out);
                free(cmd);
                free(word);
        }
}
END_TEST

/* The kernel's splitting (kcmdline_split) reads a value back whole, or the value is refused. */
START_TEST(escape_kcmdline_read_back)
{
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                struct strv t = { 0 };
                char *value, *line, *key, *back;
                int r;

                value = escaped(escape_kcmdline_value, hostile[i], &r);
                if (r < 0) {
                        ck_assert(strpbrk(hostile[i], "\"\n\t\a") != NULL);
                        free(value);
                        continue;
                }
                ck_assert_int_ge(asprintf(&line, "ro x=%s quiet", value), 0);
                ck_assert_int_eq(kcmdline_split(line, &t), 0);
                ck_assert_uint_eq(t.n, 3);
                ck_assert_int_eq(kcmdline_parse_token(t.v[1], &key, &back), 0);
                ck_assert_str_eq(back ? back : "", hostile[i]);
                free(key);
                free(back);
                free(line);
                free(value);
                strv_free(&t);
        }
}
END_TEST

START_TEST(escape_state_and_xml)
{
        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                struct strbuf b = { 0 };
                char *word, *back, *xml;
                int r;

                escape_state_word(&b, hostile[i]);
                strbuf_printf(&b, "%s", "");
                ck_assert_int_eq(strbuf_finish(&b, &word), 0);
                ck_assert(!strpbrk(word, " \t\n"));
                back = unescape_state_word(word);
                ck_assert_str_eq(back, hostile[i]);
                xml = escaped(escape_xml, hostile[i], &r);
                ck_assert_int_eq(r < 0, strpbrk(hostile[i], "\a") != NULL);
                ck_assert(r < 0 || !strpbrk(xml, "<>\"'"));
                free(word);
                free(back);
                free(xml);
        }
        ck_assert(module_name_ok("snd_hda_intel") && module_name_ok("vfio-pci"));
        ck_assert(!module_name_ok("nvidia\ninstall x /bin/sh") && !module_name_ok("") && !module_name_ok("a b"));
}
END_TEST

START_TEST(error_messages)
{
        ck_assert_str_eq(vs_strerror(-ENOENT), strerror(ENOENT));
        ck_assert_str_eq(vs_strerror(-VS_E_CARD_EMPTY), "machine card lists no PCI devices");
}
END_TEST

/*
 * The streamed writer against json-c and json_finish, on one document with each kind of
 * value, empty and nested containers, and every character either escapes: the two print
 * the one style, byte for byte.
 */
START_TEST(jsonw_writes_what_json_c_writes)
{
        static const char *const nasty[] = { "plain", "", "a/b \"q\" back\\slash", "\b\f\n\r\t\x01\x1f",
                                             "del\x7f c1\xc2\x85 nbsp\xc2\xa0 \xc3\xa9", "\xc2" };
        json_object *root = json_object_new_object(), *a = json_object_new_array(), *o = json_object_new_object();
        struct jsonw w = { 0 };
        char *theirs, *ours;

        json_object_object_add(root, "empty_object", json_object_new_object());
        json_object_object_add(root, "empty_array", json_object_new_array());
        for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++)
                json_object_array_add(a, json_object_new_string(nasty[i]));
        json_object_array_add(a, NULL);
        json_object_array_add(a, json_object_new_object());
        json_object_object_add(o, "t", json_object_new_boolean(1));
        json_object_object_add(o, "n", json_object_new_int64(-9007199254740993LL));
        json_object_object_add(o, "z", NULL);
        json_object_object_add(o, "key \"\x7f\"", json_object_new_array());
        json_object_array_add(a, o);
        json_object_object_add(root, "values", a);
        json_object_object_add(root, "f", json_object_new_boolean(0));
        ck_assert_int_eq(json_finish(root, &theirs), 0);

        jsonw_object(&w, NULL);
        jsonw_object(&w, "empty_object");
        jsonw_end_object(&w);
        jsonw_array(&w, "empty_array");
        jsonw_end_array(&w);
        jsonw_array(&w, "values");
        for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++)
                jsonw_string(&w, NULL, nasty[i]);
        jsonw_null(&w, NULL);
        jsonw_object(&w, NULL);
        jsonw_end_object(&w);
        jsonw_object(&w, NULL);
        jsonw_bool(&w, "t", true);
        jsonw_int(&w, "n", -9007199254740993LL);
        jsonw_string(&w, "z", NULL);
        jsonw_array(&w, "key \"\x7f\"");
        jsonw_end_array(&w);
        jsonw_end_object(&w);
        jsonw_end_array(&w);
        jsonw_bool(&w, "f", false);
        jsonw_end_object(&w);
        ck_assert_int_eq(jsonw_finish(&w, &ours), 0);
        ck_assert_str_eq(ours, theirs);
        free(ours);
        free(theirs);

        /* A container left open, or one closed too many, is no document. */
        jsonw_array(&w, NULL);
        ck_assert_int_eq(jsonw_finish(&w, &ours), -EINVAL);
        jsonw_end_array(&w);
        ck_assert_int_eq(jsonw_finish(&w, &ours), -EINVAL);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("core");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, strv_uniq_sorts_and_dedupes);
        tcase_add_test(tc, kcmdline_splits_like_the_kernel);
        tcase_add_test(tc, kcmdline_tokens_parse);
        tcase_add_test(tc, pci_addresses);
        tcase_add_test(tc, env_file_values);
        tcase_add_test(tc, error_messages);
        tcase_add_test(tc, escape_shell_read_back_by_sh);
        tcase_add_test(tc, escape_kcmdline_read_back);
        tcase_add_test(tc, escape_state_and_xml);
        tcase_add_test(tc, jsonw_writes_what_json_c_writes);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
