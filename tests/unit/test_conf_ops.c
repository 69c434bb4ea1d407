/*
 * test_conf_ops: the configuration-mode operations on a tree, resolved
 * against the real schema: set (abbreviations, values, choices, secrets),
 * delete, activate/deactivate, annotate, rename, copy, insert, wildcard
 * delete, load merge/override/replace/set, groups expansion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "groups.h"
#include "ops.h"
#include "path.h"
#include "render.h"
#include "secret9.h"
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    static uint64_t seed = 42;

    secret9_set_rand(secret9_seeded_rand, &seed);
    return schema_setup(state);
}

static void set(struct conf *c, const char *line)
{
    char err[512];

    if (conf_set_line(c->root, line, err, sizeof(err)) != 0)
        fail_msg("set %s: %s", line, err);
}

static char *text(struct conf *c)
{
    struct buf b;

    buf_init(&b);
    render_text(&b, c->root, 0, 0);
    return buf_steal(&b);
}

static void assert_text(struct conf *c, const char *expected)
{
    char *t = text(c);

    if (strcmp(t, expected) != 0)
        fail_msg("expected:\n%s\ngot:\n%s", expected, t);
    free(t);
}

/* Run an op on words split from line. */
typedef int (*opfn)(struct cnode *, char *const *, size_t, struct op_err *);

static int run(struct conf *c, const char *line,
               int (*fn)(struct cnode *, char *const *, size_t, struct op_err *), struct op_err *e)
{
    struct words w;
    const char *err;
    size_t eo;
    int rc;

    words_init(&w);
    assert_int_equal(words_split(&w, line, strlen(line), &err, &eo), 0);
    rc = fn(c->root, w.w, w.n, e);
    words_free(&w);
    return rc;
}

static int deactivate(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_activate(at, w, n, 0, e);
}

static int activate(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_activate(at, w, n, 1, e);
}

static int rename_(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_rename(at, w, n, 0, e);
}

static int copy_(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_rename(at, w, n, 1, e);
}

static int wdelete(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_wildcard_delete(at, w, n, NULL, e) > 0 ? 0 : -1;
}

static void test_set_basics(void **state)
{
    struct conf *c = conf_new(sch);
    char err[512];

    (void)state;
    set(c, "sys host-name sg1"); /* unique prefix */
    assert_int_equal(conf_set_line(c->root, "s host-name x", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is ambiguous"));
    assert_int_equal(conf_set_line(c->root, "system bogus 1", err, sizeof(err)), -1);
    assert_string_equal(err, "syntax error.");
    assert_int_equal(conf_set_line(c->root, "system host-name", err, sizeof(err)), -1);
    assert_string_equal(err, "missing argument.");
    assert_int_equal(conf_set_line(c->root, "system host-name sg2 bogus", err, sizeof(err)), -1);
    assert_string_equal(err, "syntax error.");
    assert_int_equal(conf_set_line(c->root,
                                   "interfaces ge-0/0/0 unit 0 family inet address "
                                   "10.1.1.256/24",
                                   err, sizeof(err)),
                     -1);
    assert_string_equal(err, "invalid value '256' in ip address: '10.1.1.256/24' at "
                             "'10.1.1.256/24'");
    assert_int_equal(conf_set_line(c->root,
                                   "services service-set s ipsec-vpn-options "
                                   "tunnel-mtu 70000",
                                   err, sizeof(err)),
                     -1);
    assert_string_equal(err, "Value 70000 is not within range (256..9192)");
    assert_int_equal(conf_set_line(c->root, "interfaces gx-0/0/0", err, sizeof(err)), -1);
    /* choice: dedicated replaces shared */
    set(c, "interfaces ms-1/0/0 unit 1 dial-options shared");
    set(c, "interfaces ms-1/0/0 unit 1 dial-options dedicated");
    set(c, "services ipsec-vpn ike proposal p dh-group group1");
    set(c, "services ipsec-vpn ike proposal p dh-group group14"); /* leaf replaced */
    assert_text(c, "system {\n"
                   "    host-name sg1;\n"
                   "}\n"
                   "interfaces {\n"
                   "    ms-1/0/0 {\n"
                   "        unit 1 {\n"
                   "            dial-options {\n"
                   "                dedicated;\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n"
                   "services {\n"
                   "    ipsec-vpn {\n"
                   "        ike {\n"
                   "            proposal p {\n"
                   "                dh-group group14;\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

/* Several statements of one level in one set, as Junos takes them. */
static void test_set_several(void **state)
{
    struct conf *c = conf_new(sch);

    (void)state;
    set(c, "system login user u1 uid 2001 class super-user authentication "
           "encrypted-password \"$6$salt$hash\"");
    assert_text(c, "system {\n"
                   "    login {\n"
                   "        user u1 {\n"
                   "            uid 2001;\n"
                   "            class super-user;\n"
                   "            authentication {\n"
                   "                encrypted-password \"$6$salt$hash\"; ## SECRET-DATA\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

static void test_order_and_sort(void **state)
{
    struct conf *c = conf_new(sch);

    (void)state;
    /* interfaces sort by type, then numerically; statements in schema order */
    set(c, "interfaces ms-1/0/0 unit 10 family inet");
    set(c, "interfaces ge-0/0/10 description b");
    set(c, "interfaces ge-0/0/2 description a");
    set(c, "interfaces ms-1/0/0 unit 2 family inet");
    set(c, "system host-name h");
    assert_text(c, "system {\n"
                   "    host-name h;\n"
                   "}\n"
                   "interfaces {\n"
                   "    ge-0/0/2 {\n"
                   "        description a;\n"
                   "    }\n"
                   "    ge-0/0/10 {\n"
                   "        description b;\n"
                   "    }\n"
                   "    ms-1/0/0 {\n"
                   "        unit 2 {\n"
                   "            family inet;\n"
                   "        }\n"
                   "        unit 10 {\n"
                   "            family inet;\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

/* The pre-shared key leaf (ascii-text or hexadecimal) of profile p is
 * stored in $9$ form and decodes to plain. */
static void assert_psk_stored(struct conf *c, char *form, const char *plain)
{
    char *w[] = {"access", "profile", "p", "client", "*", "ike", "pre-shared-key", form}, *got;
    struct path p;
    struct cnode *k;

    assert_int_equal(path_parse(sch->root, 0, w, 8, PATH_FIND, &p), 0);
    k = path_find(c->root, &p);
    path_free(&p);
    assert_non_null(k);
    assert_true(secret9_is_encoded(k->value));
    assert_int_equal(secret9_decode(k->value, &got, NULL), 0);
    assert_string_equal(got, plain);
    free(got);
}

static void test_secrets(void **state)
{
    struct conf *c = conf_new(sch);
    char err[512];

    (void)state;
    set(c, "access profile p client * ike pre-shared-key ascii-text \"a secret\"");
    assert_psk_stored(c, "ascii-text", "a secret");
    /* an encoded value is kept as given; a broken one is refused */
    set(c, "access profile p client * ike pre-shared-key ascii-text $9$ewkMLNs2aikPdbkP5Q9CKM8");
    assert_int_equal(conf_set_line(c->root,
                                   "access profile p client * ike pre-shared-key ascii-text "
                                   "\"$9$ewkM\"",
                                   err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "invalid encrypted value"));
    assert_text(c, "access {\n"
                   "    profile p {\n"
                   "        client * {\n"
                   "            ike {\n"
                   "                pre-shared-key ascii-text \"$9$ewkMLNs2aikPdbkP5Q9CKM8\"; "
                   "## SECRET-DATA\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    /* hexadecimal keys are checked, then stored in $9$ form too (as Junos
     * shows them); an odd number of digits is refused */
    set(c, "access profile p client * ike pre-shared-key hexadecimal 0a0b0c");
    assert_psk_stored(c, "hexadecimal", "0a0b0c");
    {
        uint8_t *bytes;
        size_t n;
        assert_int_equal(secret_key_bytes("0X0A0b", 1, &bytes, &n), 0);
        assert_int_equal(n, 2);
        assert_memory_equal(bytes, "\x0a\x0b", 2);
        free(bytes);
        assert_int_equal(secret_key_bytes("0a0", 1, &bytes, &n), -1);
        assert_int_equal(secret_key_bytes("0x", 1, &bytes, &n), -1);
        assert_int_equal(secret_key_bytes("0g", 1, &bytes, &n), -1);
        assert_int_equal(secret_key_bytes("$9$ewkM", 1, &bytes, &n), -1);
        assert_int_equal(secret_key_bytes("$9$ewkMLNs2aikPdbkP5Q9CKM8", 0, &bytes, &n), 0);
        assert_int_equal(n, 7);
        assert_memory_equal(bytes, "juniper", 7);
        free(bytes);
        /* "juniper" is not hexadecimal */
        assert_int_equal(secret_key_bytes("$9$ewkMLNs2aikPdbkP5Q9CKM8", 1, &bytes, &n), -1);
        /* and so a hexadecimal key given in $9$ form must decode to digits */
        assert_int_equal(conf_set_line(c->root,
                                       "access profile p client * ike pre-shared-key hexadecimal "
                                       "\"$9$ewkMLNs2aikPdbkP5Q9CKM8\"",
                                       err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, "not a valid key once decoded"));
        assert_null(strstr(err, "juniper"));
    }
    assert_int_equal(conf_set_line(c->root,
                                   "access profile p client * ike pre-shared-key hexadecimal 0a0b0",
                                   err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "even number of hexadecimal digits"));
    {
        char *t = text(c);
        assert_null(strstr(t, "0a0b0c"));
        assert_non_null(strstr(t, "pre-shared-key hexadecimal \"$9$"));
        free(t);
    }
    conf_free(c);
}

static void test_delete(void **state)
{
    struct conf *c = conf_new(sch);
    char err[512];

    (void)state;
    set(c, "system host-name h");
    set(c, "services ipsec-vpn ike policy pol proposals [ a b c ]");
    assert_int_equal(conf_delete_line(c->root, "services ipsec-vpn ike policy pol proposals b", err,
                                      sizeof(err)),
                     0);
    assert_int_equal(conf_delete_line(c->root, "system host-name", err, sizeof(err)), 0);
    assert_int_equal(conf_delete_line(c->root, "system host-name", err, sizeof(err)), -1);
    assert_string_equal(err, "statement not found");
    assert_text(c, "services {\n"
                   "    ipsec-vpn {\n"
                   "        ike {\n"
                   "            policy pol {\n"
                   "                proposals [ a c ];\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

static void test_ops(void **state)
{
    struct conf *c = conf_new(sch);
    struct op_err e;
    struct buf m;

    (void)state;
    set(c, "interfaces ge-0/0/0 unit 0 description a");
    set(c, "interfaces ge-0/0/1 unit 0 description b");
    set(c, "interfaces ge-0/0/2 unit 0 description c");
    assert_int_equal(run(c, "interfaces ge-0/0/0 unit 0", deactivate, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/1 \"uplink\"", op_annotate, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/2 unit 0 to unit 5", rename_, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/1 to ge-0/0/3", copy_, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/9 to ge-0/0/3", copy_, &e), -1);
    assert_string_equal(e.msg, "statement not found");
    assert_int_equal(run(c, "interfaces ge-0/0/1 to ge-0/0/3", rename_, &e), -1);
    assert_text(c, "interfaces {\n"
                   "    ge-0/0/0 {\n"
                   "        inactive: unit 0 {\n"
                   "            description a;\n"
                   "        }\n"
                   "    }\n"
                   "    /* uplink */\n"
                   "    ge-0/0/1 {\n"
                   "        unit 0 {\n"
                   "            description b;\n"
                   "        }\n"
                   "    }\n"
                   "    ge-0/0/2 {\n"
                   "        unit 5 {\n"
                   "            description c;\n"
                   "        }\n"
                   "    }\n"
                   "    /* uplink */\n"
                   "    ge-0/0/3 {\n"
                   "        unit 0 {\n"
                   "            description b;\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    assert_int_equal(run(c, "interfaces ge-0/0/0 unit 0", activate, &e), 0);
    /* wildcard delete: list the matches, then delete */
    buf_init(&m);
    {
        char *w[] = {"interfaces", "ge-0/0/[23]"};
        assert_int_equal(op_wildcard_delete(c->root, w, 2, &m, &e), 2);
        assert_string_equal(m.s, "  matched: ge-0/0/2\n  matched: ge-0/0/3\n");
    }
    buf_free(&m);
    assert_int_equal(run(c, "interfaces ge-0/0/[23]", wdelete, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/[23]", wdelete, &e), -1);
    assert_text(c, "interfaces {\n"
                   "    ge-0/0/0 {\n"
                   "        unit 0 {\n"
                   "            description a;\n"
                   "        }\n"
                   "    }\n"
                   "    /* uplink */\n"
                   "    ge-0/0/1 {\n"
                   "        unit 0 {\n"
                   "            description b;\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

static void test_insert(void **state)
{
    struct conf *c = conf_new(sch);
    struct op_err e;

    (void)state;
    set(c, "services ipsec-vpn rule r term t1 then remote-gateway 192.0.2.1");
    set(c, "services ipsec-vpn rule r term t2 then remote-gateway 192.0.2.2");
    set(c, "services ipsec-vpn rule r term t3 then remote-gateway 192.0.2.3");
    assert_int_equal(run(c, "services ipsec-vpn rule r term t3 before term t1", op_insert, &e), 0);
    assert_int_equal(run(c, "services ipsec-vpn rule r term t1 after term t2", op_insert, &e), 0);
    assert_int_equal(run(c, "interfaces ge-0/0/0 before ge-0/0/1", op_insert, &e), -1);
    assert_text(c, "services {\n"
                   "    ipsec-vpn {\n"
                   "        rule r {\n"
                   "            term t3 {\n"
                   "                then {\n"
                   "                    remote-gateway 192.0.2.3;\n"
                   "                }\n"
                   "            }\n"
                   "            term t2 {\n"
                   "                then {\n"
                   "                    remote-gateway 192.0.2.2;\n"
                   "                }\n"
                   "            }\n"
                   "            term t1 {\n"
                   "                then {\n"
                   "                    remote-gateway 192.0.2.1;\n"
                   "                }\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

static void test_load_modes(void **state)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    (void)state;
    set(c, "system host-name old");
    set(c, "interfaces ge-0/0/0 description keep");
    /* merge */
    assert_int_equal(op_load(c, c->root, LOAD_MERGE, LOADF_TEXT,
                             "system { host-name new; }\ninterfaces { ge-0/0/1 { mtu 1500; } }\n",
                             &r),
                     0);
    assert_text(c, "system {\n"
                   "    host-name new;\n"
                   "}\n"
                   "interfaces {\n"
                   "    ge-0/0/0 {\n"
                   "        description keep;\n"
                   "    }\n"
                   "    ge-0/0/1 {\n"
                   "        mtu 1500;\n"
                   "    }\n"
                   "}\n");
    /* replace: the tagged statement replaces, the rest merges */
    assert_int_equal(op_load(c, c->root, LOAD_REPLACE, LOADF_TEXT,
                             "interfaces { replace: ge-0/0/0 { mtu 9000; } }\n", &r),
                     0);
    assert_text(c, "system {\n"
                   "    host-name new;\n"
                   "}\n"
                   "interfaces {\n"
                   "    ge-0/0/0 {\n"
                   "        mtu 9000;\n"
                   "    }\n"
                   "    ge-0/0/1 {\n"
                   "        mtu 1500;\n"
                   "    }\n"
                   "}\n");
    /* an input with an error changes nothing */
    assert_int_equal(
        op_load(c, c->root, LOAD_OVERRIDE, LOADF_TEXT, "system { host-name x; bogus; }\n", &r), 1);
    load_result_free(&r);
    {
        char *t = text(c);
        assert_non_null(strstr(t, "host-name new"));
        free(t);
    }
    /* override */
    assert_int_equal(op_load(c, c->root, LOAD_OVERRIDE, LOADF_TEXT, "system { host-name o; }", &r),
                     0);
    assert_text(c, "system {\n"
                   "    host-name o;\n"
                   "}\n");
    /* set */
    assert_int_equal(op_load(c, c->root, LOAD_SET, LOADF_SET,
                             "set system host-name s\ndelete system host-name\n"
                             "set interfaces lo0 unit 0 family inet address 127.0.0.1/32\n",
                             &r),
                     0);
    assert_text(c, "interfaces {\n"
                   "    lo0 {\n"
                   "        unit 0 {\n"
                   "            family inet {\n"
                   "                address 127.0.0.1/32;\n"
                   "            }\n"
                   "        }\n"
                   "    }\n"
                   "}\n");
    conf_free(c);
}

static void test_groups(void **state)
{
    struct conf *c = conf_new(sch), *e;
    char *t;
    struct buf b;

    (void)state;
    set(c, "groups g1 interfaces <ms-*> unit <*> family inet");
    set(c, "groups g1 system host-name from-group");
    set(c, "groups g2 system host-name later-group");
    set(c, "apply-groups [ g1 g2 ]");
    set(c, "interfaces ms-1/0/0 unit 1 service-domain inside");
    set(c, "interfaces ge-0/0/0 unit 0 description x");
    e = conf_expand(c, 0);
    t = text(e);
    assert_string_equal(t, "system {\n"
                           "    host-name from-group;\n"
                           "}\n"
                           "interfaces {\n"
                           "    ge-0/0/0 {\n"
                           "        unit 0 {\n"
                           "            description x;\n"
                           "        }\n"
                           "    }\n"
                           "    ms-1/0/0 {\n"
                           "        unit 1 {\n"
                           "            family inet;\n"
                           "            service-domain inside;\n"
                           "        }\n"
                           "    }\n"
                           "}\n");
    free(t);
    conf_free(e);
    e = conf_expand(c, EXPAND_MARK);
    buf_init(&b);
    render_text(&b, e->root, 0, RENDER_INHERITANCE);
    assert_non_null(strstr(b.s, "## 'from-group' was inherited from group 'g1'"));
    buf_free(&b);
    conf_free(e);
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_basics),     cmocka_unit_test(test_set_several),
        cmocka_unit_test(test_order_and_sort), cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_delete),         cmocka_unit_test(test_ops),
        cmocka_unit_test(test_insert),         cmocka_unit_test(test_load_modes),
        cmocka_unit_test(test_groups),
    };
    return cmocka_run_group_tests(tests, setup, schema_teardown);
}
