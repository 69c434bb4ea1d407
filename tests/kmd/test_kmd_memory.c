/*
 * test_kmd_memory.c: what kmd keeps per IKE SA and tunnel once they are
 * up (docs/kmd.md, "Memory"), and the indexes that find them.
 *
 *   - kidx (index.h) against a model under random adds and deletes, with
 *     many values under one key; atoms and reference-counted identities;
 *   - main mode: the negotiation state goes with MM6, MM6 is answered
 *     again for a retransmitted MM5 until the peer's first authenticated
 *     quick mode, then the retransmission is out of state;
 *   - quick mode: its negotiation state goes with QM3, a retransmitted QM3
 *     is still recognised, the QM itself goes after KMD_QM_KEEP and a
 *     replayed QM1 is then dropped as a replay;
 *   - 40 peers: every IKE SA found by its cookies, every tunnel by index
 *     and SPIs, INITIAL-CONTACT from one identity removes only its own.
 */
#include "kmdtest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_kidx_model(void **state)
{
    enum { N = 3000 };
    static uint64_t keys[N];
    static bool in[N];
    struct kidx x;
    uint64_t s = 88172645463325252ull;

    (void)state;
    kidx_init(&x, 12345);
    for (unsigned round = 0; round < 20000; round++) {
        unsigned v = (unsigned)(rnd(&s) % N);
        if (!in[v]) {
            keys[v] = rnd(&s) % 64; /* few keys: long runs of equal keys */
            kidx_add(&x, keys[v], &in[v]);
            in[v] = true;
        } else {
            kidx_del(&x, keys[v], &in[v]);
            in[v] = false;
        }
        if (round % 997 == 0)
            for (uint64_t key = 0; key < 64; key++) {
                unsigned want = 0, got = 0;
                size_t it = 0;
                bool *p;
                for (unsigned i = 0; i < N; i++)
                    want += in[i] && keys[i] == key;
                while ((p = kidx_next(&x, key, &it)) != NULL) {
                    assert_true(*p);
                    assert_int_equal(keys[p - in], key);
                    got++;
                }
                assert_int_equal(got, want);
            }
    }
    kidx_del(&x, 999, &in[0]); /* absent: nothing happens */
    kidx_free(&x);
}

static void test_atoms_idents(void **state)
{
    struct kstrtab atoms = {0}, ids = {0};
    const char *a = katom(&atoms, "SG1");
    char name[32];
    kident *i1, *i2, *i3;

    (void)state;
    for (int n = 0; n < 100; n++) { /* the table grows */
        snprintf(name, sizeof(name), "ms-1/0/0.%d", n);
        assert_string_equal(katom(&atoms, name), name);
    }
    assert_ptr_equal(katom(&atoms, "SG1"), a);
    assert_int_equal(atoms.n, 101);
    i1 = kident_get(&ids, "198.51.100.7");
    i2 = kident_get(&ids, "198.51.100.7");
    i3 = kident_get(&ids, "peer.example.net");
    assert_ptr_equal(i1, i2);
    assert_ptr_not_equal(i1, i3);
    assert_int_equal(ids.n, 2);
    kident_put(&ids, i1);
    assert_int_equal(ids.n, 2);
    kident_put(&ids, i2);
    assert_int_equal(ids.n, 1);
    kident_put(&ids, i3);
    assert_int_equal(ids.n, 0);
    kident_put(&ids, NULL);
    kstrtab_free(&ids);
    kstrtab_free(&atoms);
}

static struct ikei *peer_with(const char *addr, const char *lnet, bool initial_contact)
{
    struct ikei_conf c;
    struct ikei *i;

    ikei_defaults(&c, addr, "203.0.113.1", PSK);
    c.pfs_group = ISAKMP_GROUP_MODP2048; /* KT_SG1 asks for it */
    if (lnet)
        c.lnet = lnet;
    c.initial_contact = initial_contact;
    i = ikei_new(&c);
    assert_non_null(i);
    return i;
}

static struct ikei *peer(const char *addr)
{
    return peer_with(addr, NULL, false);
}

/* Sends p and returns the one answer (copied into out), or 0 bytes. */
static size_t answer(struct kt *t, struct ikei *i, const uint8_t *p, size_t len, uint8_t *out)
{
    struct kt_out *o;

    t->rd = t->nout;
    kt_send(t, i, p, len);
    o = kt_recv(t);
    if (o == NULL)
        return 0;
    memcpy(out, o->p, o->len);
    return o->len;
}

static void test_what_an_sa_keeps(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.31");
    const struct kmd_counters *c = kmd_counters(t->k);
    uint8_t p[4096], mm5[4096], mm6[4096], again[4096], q1[4096], q3[4096], r[4096];
    size_t len, m5l, m6l, q1l, q3l, rl;
    struct ike_sa *sa;
    struct qm *q;
    uint64_t oos;

    (void)state;
    assert_int_equal(ikei_mm1(i, p, sizeof(p), &len), 0);
    rl = answer(t, i, p, len, r);
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 1); /* MM3 */
    rl = answer(t, i, p, len, r);
    assert_int_equal(ikei_input(i, r, rl, mm5, sizeof(mm5), &m5l), 1);
    sa = ike_find_mm1(t->k, i->icky, &(struct fwd_dgram){.src = i->c.local});
    assert_non_null(sa);
    assert_non_null(sa->neg); /* main mode in progress */
    m6l = answer(t, i, mm5, m5l, mm6);
    assert_true(m6l > 0);
    assert_int_equal(sa->state, IKE_UP);
    assert_null(sa->neg);
    assert_non_null(sa->skey);
    assert_int_equal(sa->last_out.len, m6l);
    /* MM6 lost: the retransmitted MM5 gets the same MM6 (RFC 2409) */
    assert_int_equal(answer(t, i, mm5, m5l, again), m6l);
    assert_memory_equal(again, mm6, m6l);
    assert_int_equal(ikei_input(i, mm6, m6l, p, sizeof(p), &len), 0);
    /* the first quick mode shows the peer has MM6: its copy goes */
    assert_int_equal(ikei_qm1(i, q1, sizeof(q1), &q1l), 0);
    rl = answer(t, i, q1, q1l, r);
    assert_true(rl > 0);
    assert_null(sa->last_out.p);
    q = sa->qms;
    assert_non_null(q);
    assert_non_null(q->neg);
    assert_int_equal(ikei_input(i, r, rl, q3, sizeof(q3), &q3l), 1);
    assert_int_equal(answer(t, i, q3, q3l, r), 0);
    assert_int_equal(kmd_counters(t->k)->tunnels_up, 1);
    assert_ptr_equal(sa->qms, q);
    assert_int_equal(q->state, QM_DONE);
    assert_null(q->neg);
    oos = c->out_of_state;
    assert_int_equal(answer(t, i, mm5, m5l, r), 0); /* MM5 now: out of state */
    assert_int_equal(c->out_of_state, oos + 1);
    assert_int_equal(answer(t, i, q3, q3l, r), 0); /* QM3 again: a retransmission */
    assert_int_equal(c->retransmits, 2);
    /* the tunnel shares the SA's identity; its keys are the initiator's */
    assert_non_null(t->k->tunnels);
    assert_ptr_equal(t->k->tunnels->peer_id, sa->id);
    assert_string_equal(ike_id(sa), "198.51.100.31");
    assert_memory_equal(tunnel_ekey(t->k->tunnels, true), i->qm.ekey_ir, i->qm.ekey_len);
    assert_memory_equal(tunnel_akey(t->k->tunnels, false), i->qm.akey_ri, i->qm.akey_len);
    /* after KMD_QM_KEEP the QM goes; its QM1 again is a replay */
    kt_advance(t, KMD_QM_KEEP);
    assert_null(sa->qms);
    assert_int_equal(answer(t, i, q1, q1l, r), 0);
    assert_int_equal(c->replayed, 1);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    ikei_free(i);
    kt_free(t);
}

static void test_many_peers(void **state)
{
    enum { NP = 40 };
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *p[NP];
    static char addr[NP][32], lnet[NP][32]; /* the configurations point at them */

    (void)state;
    for (int n = 0; n < NP; n++) {
        snprintf(addr[n], sizeof(addr[n]), "198.51.100.%d", 100 + n);
        snprintf(lnet[n], sizeof(lnet[n]), "10.2.2.%d/32", n); /* remote proxies of their own */
        p[n] = peer_with(addr[n], lnet[n], false);
        assert_int_equal(kt_mm(t, p[n]), 0);
        assert_int_equal(kt_qm(t, p[n]), 0);
    }
    assert_int_equal(kmd_tunnel_count(t->k), NP);
    for (int n = 0; n < NP; n++)
        assert_non_null(ike_find(t->k, p[n]->icky, p[n]->rcky));
    for (struct tunnel *tn = t->k->tunnels; tn; tn = tn->next) {
        assert_ptr_equal(tunnel_find(t->k, tn->index), tn);
        assert_ptr_equal(tunnel_by_spi_in(t->k, tn->spi_in), tn);
        assert_ptr_equal(tunnel_by_spi_out(t->k, tn->spi_out), tn);
    }
    /* peer 7 comes back with INITIAL-CONTACT: its own SA and tunnel go */
    {
        uint8_t old[ISAKMP_COOKIE_LEN], oldr[ISAKMP_COOKIE_LEN];
        memcpy(old, p[7]->icky, sizeof(old));
        memcpy(oldr, p[7]->rcky, sizeof(oldr));
        ikei_free(p[7]);
        p[7] = peer_with(addr[7], lnet[7], true);
        assert_int_equal(kt_mm(t, p[7]), 0);
        assert_null(ike_find(t->k, old, oldr));
    }
    assert_int_equal(kmd_ike_count(t->k), NP);
    assert_int_equal(kmd_tunnel_count(t->k), NP - 1);
    for (int n = 0; n < NP; n++)
        if (n != 7)
            assert_non_null(ike_find(t->k, p[n]->icky, p[n]->rcky));
    for (int n = 0; n < NP; n++)
        ikei_free(p[n]);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kidx_model),
        cmocka_unit_test(test_atoms_idents),
        cmocka_unit_test(test_what_an_sa_keeps),
        cmocka_unit_test(test_many_peers),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
