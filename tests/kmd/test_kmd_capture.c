/*
 * test_kmd_capture: the MM1 of every real exchange in
 * shared/vectors/ikev1/ (strongSwan 5.9.8 and libreswan 4.10 initiators,
 * read with tests/unit/isakmp_vectors.c) replayed into kmd on the implicit
 * dynamic-peer proposal.  kmd's MM2 must choose the transform the real
 * responder chose (same attributes), echo the peer's proposal and
 * transform numbers (libreswan's 0), and carry exactly the RFC 3947 NAT-T
 * and RFC 3706 DPD vendor IDs the peer offered, nothing else (no XAUTH,
 * fragmentation or draft NAT-T IDs).
 */
#include "kmdtest.h"
#include "../unit/isakmp_vectors.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct msg M1, M2, MR;

static const struct msg_transform *the_transform(const struct msg *m,
                                                 const struct msg_proposal **pp)
{
    const struct msg_payload *sa = msg_find(m, ISAKMP_PL_SA, 0);

    assert_non_null(sa);
    assert_int_equal(sa->u.sa.nprops, 1);
    *pp = msg_sa_prop(m, &sa->u.sa, 0);
    assert_int_equal((*pp)->nxforms, 1);
    return msg_prop_xform(m, *pp, 0);
}

static void same_attrs(const struct msg *a, const struct msg_transform *ta, const struct msg *b,
                       const struct msg_transform *tb)
{
    assert_int_equal(ta->nattrs, tb->nattrs);
    for (unsigned i = 0; i < ta->nattrs; i++) {
        const struct msg_attr *x = msg_xform_attr_at(a, ta, i), *y = msg_xform_attr_at(b, tb, i);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->value, y->value);
    }
}

static void replay(const char *name)
{
    struct vector v;
    char err[256], gw[32], *conf;
    struct kt *t;
    struct fwd_dgram d;
    struct kt_out *o;
    struct msg_err e;
    const struct msg_proposal *p1, *p2, *pr;
    const struct msg_transform *t1, *t2, *tr;
    const struct ike_pkt *mm1, *mmr;

    if (vec_load(name, &v, err, sizeof(err)) != 0)
        fail_msg("vector %s: %s", name, err);
    mm1 = &v.pkt[0];
    mmr = &v.pkt[1];
    assert_int_equal(mm1->dport, 500);
    inet_ntop(AF_INET, mm1->dst, gw, sizeof(gw));
    conf = kt_subst(KT_IMPLICIT, "203.0.113.1", gw);
    t = kt_new(conf, "irrelevant-here");
    memset(&d, 0, sizeof(d));
    d.src.af = d.dst.af = AF_INET;
    memcpy(d.src.a, mm1->src, 4);
    memcpy(d.dst.a, mm1->dst, 4);
    d.sport = mm1->sport;
    d.dport = mm1->dport;
    d.len = (uint32_t)mm1->len;
    kmd_input(t->k, &d, mm1->data, mm1->len);
    o = kt_recv(t);
    if (o == NULL)
        fail_msg("%s: kmd did not answer MM1", name);
    assert_int_equal(o->d.dport, mm1->sport);
    assert_memory_equal(o->d.dst.a, mm1->src, 4);
    assert_int_equal(msg_parse(&M1, mm1->data, mm1->len, &e), MSG_OK);
    assert_int_equal(msg_parse(&M2, o->p, o->len, &e), MSG_OK);
    assert_int_equal(msg_parse(&MR, mmr->data, mmr->len, &e), MSG_OK);
    t1 = the_transform(&M1, &p1);
    t2 = the_transform(&M2, &p2);
    tr = the_transform(&MR, &pr);
    /* kmd echoes the offer; the real responder chose the same transform */
    assert_int_equal(p2->num, p1->num);
    assert_int_equal(t2->num, t1->num);
    same_attrs(&M1, t1, &M2, t2);
    assert_int_equal(t2->id, tr->id);
    for (uint16_t type = 1; type <= ISAKMP_A1_KEY_LENGTH; type++) {
        const struct msg_attr *x = msg_xform_attr(&M2, t2, type),
                              *y = msg_xform_attr(&MR, tr, type);
        if (type == ISAKMP_A1_LIFE_DURATION || type == ISAKMP_A1_LIFE_TYPE)
            continue; /* strongSwan answers with its own lifetime */
        assert_true((x == NULL) == (y == NULL));
        if (x)
            assert_int_equal(x->value, y->value);
    }
    assert_memory_equal(M2.hdr.icookie, M1.hdr.icookie, 8);
    assert_int_equal(msg_has_vid(&M2, ISAKMP_VID_NATT_RFC3947),
                     msg_has_vid(&M1, ISAKMP_VID_NATT_RFC3947));
    assert_int_equal(msg_has_vid(&M2, ISAKMP_VID_DPD), msg_has_vid(&M1, ISAKMP_VID_DPD));
    assert_true(msg_has_vid(&M2, ISAKMP_VID_NATT_RFC3947));
    assert_true(msg_has_vid(&M2, ISAKMP_VID_DPD));
    assert_int_equal(msg_count(&M2, ISAKMP_PL_VID), 2);
    assert_int_equal(M2.vids & ~((1u << ISAKMP_VID_NATT_RFC3947) | (1u << ISAKMP_VID_DPD)), 0);
    assert_int_equal(kmd_ike_count(t->k), 1);
    kt_free(t);
    free(conf);
    vec_free(&v);
}

static void test_replay_every_capture(void **state)
{
    const char *root = vec_root();
    DIR *dir;
    struct dirent *e;
    unsigned n = 0;

    (void)state;
    assert_non_null(root);
    dir = opendir(root);
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        replay(e->d_name);
        n++;
    }
    closedir(dir);
    assert_true(n >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_every_capture),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
