/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/osrelease.h"
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

START_TEST(error_messages)
{
        ck_assert_str_eq(vs_strerror(-ENOENT), strerror(ENOENT));
        ck_assert_str_eq(vs_strerror(-VS_E_CARD_EMPTY), "machine card lists no PCI devices");
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
        suite_add_tcase(s, tc);
        return tl_run(s);
}
