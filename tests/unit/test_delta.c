/*
 * test_delta: the change marks and the delta of a commit (delta.h).  Random
 * edits through the configuration-mode operations (set, delete, insert,
 * rename, copy, activate, annotate, load merge/replace) on a copy of a base;
 * after each round the delta applied to the base gives the candidate, its
 * text form applied to the base read back from text gives the same, and the
 * candidate's marks never touch the base (no sharing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "delta.h"
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
    static uint64_t seed = 7;

    secret9_set_rand(secret9_seeded_rand, &seed);
    return schema_setup(state);
}

static char *text(const struct cnode *root)
{
    struct buf b;

    buf_init(&b);
    render_text(&b, root, 0, 0);
    return buf_steal(&b);
}

static struct conf *from_text(const char *t)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    assert_int_equal(load_text(c->root, t, &r), 0);
    load_result_free(&r);
    conf_marks_clear(c->root);
    return c;
}

static int run(struct conf *c, const char *line,
               int (*fn)(struct cnode *, char *const *, size_t, struct op_err *))
{
    struct words w;
    const char *err;
    size_t eo;
    struct op_err e;
    int rc;

    words_init(&w);
    assert_int_equal(words_split(&w, line, strlen(line), &err, &eo), 0);
    rc = fn(c->root, w.w, w.n, &e);
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

static uint64_t rnd_state = 12345;

static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rnd_state >> 33) % n);
}

/* One random edit; failures (statement absent, ...) are part of the game. */
static void random_edit(struct conf *c)
{
    char line[256], err[256];
    unsigned a = rnd(6), b = rnd(6), k = rnd(20);

    switch (rnd(16)) {
    case 0:
        snprintf(line, sizeof(line), "system host-name h%u", k);
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    case 1:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u unit %u description d%u", a, b, k);
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    case 2:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u unit %u", a, b);
        conf_delete_line(c->root, line, err, sizeof(err));
        break;
    case 3:
        snprintf(line, sizeof(line),
                 "services ipsec-vpn rule r term t%u then remote-gateway 192.0.2.%u", a, k + 1);
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    case 4:
        snprintf(line, sizeof(line), "services ipsec-vpn rule r term t%u", a);
        conf_delete_line(c->root, line, err, sizeof(err));
        break;
    case 5:
        snprintf(line, sizeof(line), "services ipsec-vpn rule r term t%u %s term t%u", a,
                 k % 2 ? "before" : "after", b);
        run(c, line, op_insert);
        break;
    case 6:
        snprintf(line, sizeof(line), "services ipsec-vpn ike policy pol proposals p%u", a);
        if (k % 2)
            conf_set_line(c->root, line, err, sizeof(err));
        else
            conf_delete_line(c->root, line, err, sizeof(err));
        break;
    case 7:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u unit %u to unit %u", a, b, k);
        run(c, line, rename_);
        break;
    case 8:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u to ge-0/0/%u", a, b);
        run(c, line, copy_);
        break;
    case 9:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u", a);
        run(c, line, k % 2 ? deactivate : activate);
        break;
    case 10:
        snprintf(line, sizeof(line), "interfaces ge-0/0/%u unit %u \"note %u\"", a, b, k);
        run(c, line, op_annotate);
        break;
    case 11:
        snprintf(line, sizeof(line), "services ipsec-vpn ike proposal p dh-group group%s",
                 k % 2 ? "1" : "14");
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    case 12:
        snprintf(line, sizeof(line), "interfaces ms-1/0/0 unit %u dial-options %s", a,
                 k % 2 ? "shared" : "dedicated");
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    case 13: {
        struct load_result r = {0};
        snprintf(line, sizeof(line),
                 "interfaces { replace: ge-0/0/%u { unit %u { description loaded; } } }\n", a, b);
        op_load(c, c->root, k % 2 ? LOAD_REPLACE : LOAD_MERGE, LOADF_TEXT, line, &r);
        load_result_free(&r);
        break;
    }
    case 14:
        snprintf(line, sizeof(line),
                 "interfaces ge-0/0/%u unit %u family inet address 10.%u.%u.1/24", a, b, a, k);
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    default:
        snprintf(line, sizeof(line), "access profile a%u client * ike interface-id pool%u", a, k);
        conf_set_line(c->root, line, err, sizeof(err));
        break;
    }
}

static size_t total_ops, total_puts_moved;

static void check_round(struct conf **base, struct conf *cand)
{
    struct delta d;
    struct buf t;
    char *before = text((*base)->root), *want = text(cand->root), *got, err[256];
    struct conf *reread = from_text(before);

    assert_int_equal(delta_build(&d, (*base)->root, cand->root, (size_t)-1), 0);
    total_ops += d.n;
    for (size_t i = 0; i < d.n; i++)
        total_puts_moved += d.ops[i].node && d.ops[i].node->sch->kind == SCH_LIST &&
                            strcmp(d.ops[i].node->sch->name, "rule") == 0;
    buf_init(&t);
    delta_render(&t, &d, (*base)->root);
    /* building touched nothing in the base */
    got = text((*base)->root);
    assert_string_equal(got, before);
    free(got);
    delta_apply(&d, (*base)->root);
    if (!cnode_equal((*base)->root, cand->root)) {
        got = text((*base)->root);
        fail_msg("delta applied:\n%s\nwanted:\n%s\ndelta:\n%s", got, want, t.s ? t.s : "");
    }
    if (delta_apply_text(reread->root, t.s ? t.s : "", err, sizeof(err)) < 0)
        fail_msg("text form: %s\n%s", err, t.s ? t.s : "");
    got = text(reread->root);
    if (strcmp(got, want) != 0)
        fail_msg("text form applied:\n%s\nwanted:\n%s\ndelta:\n%s", got, want, t.s ? t.s : "");
    free(got);
    conf_free(reread);
    buf_free(&t);
    free(before);
    free(want);
    conf_marks_clear(cand->root);
}

static void test_random_rounds(void **state)
{
    struct conf *base = from_text("system { host-name base; }\n"
                                  "interfaces { ge-0/0/1 { unit 0 { description one; } } }\n"
                                  "services { ipsec-vpn { rule r { term t1 { then { "
                                  "remote-gateway 192.0.2.1; } } term t2 { then { "
                                  "remote-gateway 192.0.2.2; } } } } }\n");
    struct conf *cand = conf_dup(base);

    (void)state;
    for (int round = 0; round < 300; round++) {
        int edits = 1 + (int)rnd(round % 10 == 0 ? 30 : 4);
        for (int i = 0; i < edits; i++)
            random_edit(cand);
        check_round(&base, cand);
        /* base and candidate never share a node */
        assert_ptr_not_equal(base->root->child, cand->root->child);
    }
    /* the edits did change things, and reorders put the list's holder */
    assert_true(total_ops > 300);
    assert_true(total_puts_moved > 5);
    conf_free(base);
    conf_free(cand);
}

static void test_no_change_is_empty(void **state)
{
    struct conf *base = from_text("system { host-name a; }\n");
    struct conf *cand = conf_dup(base);
    struct delta d;
    char err[256];

    (void)state;
    assert_int_equal(delta_build(&d, base->root, cand->root, 0), 0);
    assert_int_equal(d.n, 0);
    assert_int_equal(conf_set_line(cand->root, "system host-name b", err, sizeof(err)), 0);
    /* over the limit: the caller copies the candidate whole */
    assert_int_equal(delta_build(&d, base->root, cand->root, 0), -1);
    assert_int_equal(delta_build(&d, base->root, cand->root, 10), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.copied, 1);
    delta_free(&d);
    conf_free(base);
    conf_free(cand);
}

static void test_bad_text_refused(void **state)
{
    struct conf *c = from_text("system { host-name a; }\n");
    char err[256];

    (void)state;
    assert_int_equal(delta_apply_text(c->root, "put 1 5\nsys", err, sizeof(err)), -1);
    assert_int_equal(delta_apply_text(c->root, "frob 1 0\n", err, sizeof(err)), -1);
    assert_int_equal(delta_apply_text(c->root, "delete 2 36\ninterfaces {\n    ge-0/0/9;\n}\n", err,
                                      sizeof(err)),
                     -1);
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_rounds),
        cmocka_unit_test(test_no_change_is_empty),
        cmocka_unit_test(test_bad_text_refused),
    };
    return cmocka_run_group_tests(tests, setup, schema_teardown);
}
