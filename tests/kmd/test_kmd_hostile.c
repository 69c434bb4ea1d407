/*
 * test_kmd_hostile: hostile input driven by the test initiator
 * (tests/ikeinit).  Every payload length of a real MM1 bent, every
 * truncation of MM1, MM3, MM5, QM1 and an informational (with the header's
 * length field made to agree), wrong and missing cookies, replays of every
 * message, and exchanges out of order: each is dropped and counted
 * (malformed, unknown SA, out of state, replayed, retransmission) without
 * a crash or a leak (ASan/UBSan), the SA under attack keeps its state, and
 * the real exchange then completes.
 */
#include "kmdtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

struct pkt {
    uint8_t p[4096];
    size_t len;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* p cut to n bytes, the header's length field saying n. */
static void send_cut(struct kt *t, struct ikei *i, const struct pkt *s, size_t n)
{
    uint8_t p[4096];

    memcpy(p, s->p, n);
    if (n >= ISAKMP_HDR_LEN)
        put32(p + 24, (uint32_t)n);
    kt_send(t, i, p, n);
}

/* Whether s cut to n bytes (with the length field agreeing) parses. */
static bool cut_parses(const struct pkt *s, size_t n)
{
    static struct msg m;
    struct msg_err err;
    uint8_t p[4096];

    memcpy(p, s->p, n);
    if (n >= ISAKMP_HDR_LEN)
        put32(p + 24, (uint32_t)n);
    return msg_parse(&m, p, n, &err) == MSG_OK;
}

/* The next datagram kmd sent, given to i; 1 with i's answer in a. */
static int answer(struct kt *t, struct ikei *i, struct pkt *a)
{
    struct kt_out *o = kt_recv(t);

    assert_non_null(o);
    return ikei_input(i, o->p, o->len, a->p, sizeof(a->p), &a->len);
}

/* Main mode by hand, keeping the initiator's three messages. */
static void mm(struct kt *t, struct ikei *i, struct pkt *m1, struct pkt *m3, struct pkt *m5)
{
    struct pkt m6;

    t->rd = t->nout;
    assert_int_equal(ikei_mm1(i, m1->p, sizeof(m1->p), &m1->len), 0);
    kt_send(t, i, m1->p, m1->len);
    assert_int_equal(answer(t, i, m3), 1);
    kt_send(t, i, m3->p, m3->len);
    assert_int_equal(answer(t, i, m5), 1);
    kt_send(t, i, m5->p, m5->len);
    assert_int_equal(answer(t, i, &m6), 0);
    assert_int_equal(i->step, 6);
}

static void test_payload_lengths(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.110", PSK, NULL);
    struct pkt m1;
    uint64_t malformed0 = kmd_counters(t->k)->malformed, expected = 0;
    static const int deltas[] = {-1, 1};

    (void)state;
    assert_int_equal(ikei_mm1(i, m1.p, sizeof(m1.p), &m1.len), 0);
    /* every 16-bit field of the body (payload, proposal, transform and
     * attribute lengths among them) set to 0, 1, 3, 4, 0xffff, +-1 */
    for (size_t off = ISAKMP_HDR_LEN; off + 2 <= m1.len; off++) {
        unsigned orig = (unsigned)m1.p[off] << 8 | m1.p[off + 1];
        unsigned v[7] = {0,
                         1,
                         3,
                         4,
                         0xffff,
                         (orig + (unsigned)deltas[0]) & 0xffff,
                         (orig + (unsigned)deltas[1]) & 0xffff};
        for (int k = 0; k < 7; k++) {
            struct pkt p = m1;
            struct msg m;
            struct msg_err err;
            p.p[off] = (uint8_t)(v[k] >> 8);
            p.p[off + 1] = (uint8_t)v[k];
            p.p[0] = (uint8_t)off; /* a cookie of its own */
            p.p[1] = (uint8_t)k;
            if (msg_parse(&m, p.p, p.len, &err) != MSG_OK || msg_count(&m, ISAKMP_PL_SA) != 1)
                expected++;
            kt_send(t, i, p.p, p.len);
        }
    }
    assert_int_equal(kmd_counters(t->k)->malformed - malformed0, expected);
    assert_true(expected > 100);
    kt_advance(t, 31);
    assert_int_equal(kmd_ike_count(t->k), 0);
    t->rd = t->nout;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    ikei_free(i);
    kt_free(t);
}

static void test_truncated(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.111", PSK, NULL),
                *v = kt_peer("198.51.100.112", PSK, NULL);
    struct pkt m1, m3, m5, q1, q3, scratch, info;
    const struct kmd_counters *c = kmd_counters(t->k);
    const struct ike_sa *sa;
    uint64_t before;

    (void)state;
    /* MM1: every truncation, each under a cookie of its own */
    assert_int_equal(ikei_mm1(v, m1.p, sizeof(m1.p), &m1.len), 0);
    for (size_t n = 0; n < m1.len; n++) {
        m1.p[0] = (uint8_t)n;
        m1.p[1] = (uint8_t)(n >> 8);
        send_cut(t, v, &m1, n);
    }
    /* MM3: cuts that do not parse are dropped, the SA waits for the real one */
    t->rd = t->nout;
    assert_int_equal(ikei_mm1(i, m1.p, sizeof(m1.p), &m1.len), 0);
    kt_send(t, i, m1.p, m1.len);
    assert_int_equal(answer(t, i, &m3), 1);
    sa = ike_find_mm1(t->k, i->icky, &(struct fwd_dgram){.src = i->c.local});
    assert_non_null(sa);
    before = c->malformed;
    for (size_t n = 0; n < m3.len; n++)
        if (!cut_parses(&m3, n)) /* a shorter MM3 that parses is no attack */
            send_cut(t, i, &m3, n);
    assert_true(c->malformed > before);
    assert_int_equal(sa->state, IKE_MM2_SENT);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, i, m3.p, m3.len);
    assert_int_equal(answer(t, i, &m5), 1);
    /* MM5: cuts that are not whole cipher blocks are dropped, the SA stays */
    for (size_t n = ISAKMP_HDR_LEN; n < m5.len; n++)
        if ((n - ISAKMP_HDR_LEN) % 16 != 0)
            send_cut(t, i, &m5, n);
    assert_int_equal(sa->state, IKE_MM4_SENT);
    kt_send(t, i, m5.p, m5.len);
    assert_int_equal(answer(t, i, &scratch), 0);
    assert_int_equal(i->step, 6);
    /* QM1: every cut (garbage that does not decrypt, or whose HASH(1) fails) */
    assert_int_equal(ikei_qm1(i, q1.p, sizeof(q1.p), &q1.len), 0);
    before = c->malformed + c->hash_failed;
    for (size_t n = 0; n < q1.len; n++)
        send_cut(t, i, &q1, n);
    assert_true(c->malformed + c->hash_failed > before);
    assert_null(sa->qms);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, i, q1.p, q1.len);
    assert_int_equal(answer(t, i, &q3), 1);
    kt_send(t, i, q3.p, q3.len);
    assert_true(i->qm.done);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    /* an informational: every cut dropped, the real one answered */
    assert_int_equal(ikei_dpd(i, 9, info.p, sizeof(info.p), &info.len), 0);
    for (size_t n = 0; n < info.len; n++)
        send_cut(t, i, &info, n);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, i, info.p, info.len);
    assert_int_equal(kt_pending_out(t), 1);
    assert_int_equal(sa->dpd_rx, 1);
    ikei_free(i);
    ikei_free(v);
    kt_free(t);
}

static void test_cookies(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.113", PSK, NULL);
    struct pkt d, p;
    const struct kmd_counters *c = kmd_counters(t->k);

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    t->rd = t->nout;
    assert_int_equal(ikei_dpd(i, 1, d.p, sizeof(d.p), &d.len), 0);
    p = d;
    p.p[15] ^= 1; /* responder cookie */
    kt_send(t, i, p.p, p.len);
    p = d;
    p.p[0] ^= 1; /* initiator cookie */
    kt_send(t, i, p.p, p.len);
    p = d;
    memset(p.p + 8, 0, 8); /* no responder cookie */
    kt_send(t, i, p.p, p.len);
    assert_int_equal(c->unknown_sa, 3);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, i, d.p, d.len);
    assert_int_equal(kt_pending_out(t), 1);
    ikei_free(i);
    kt_free(t);
}

static void test_replays(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.114", PSK, NULL);
    struct pkt m1, m3, m5, q1, q3;
    const struct kmd_counters *c = kmd_counters(t->k);
    unsigned pools;

    (void)state;
    mm(t, i, &m1, &m3, &m5);
    kt_send(t, i, m1.p, m1.len); /* an MM1 under a live SA's cookie: out of state */
    kt_send(t, i, m3.p, m3.len); /* MM3 after MM6: out of state */
    assert_int_equal(c->out_of_state, 2);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, i, m5.p, m5.len); /* the last request: answered again from the cache */
    assert_int_equal(c->retransmits, 1);
    assert_int_equal(kt_pending_out(t), 1);
    t->rd = t->nout;

    assert_int_equal(ikei_qm1(i, q1.p, sizeof(q1.p), &q1.len), 0);
    kt_send(t, i, q1.p, q1.len);
    assert_int_equal(answer(t, i, &q3), 1);
    kt_send(t, i, q3.p, q3.len);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    kt_send(t, i, q1.p, q1.len); /* while kmd keeps the QM: out of state, */
    kt_send(t, i, q3.p, q3.len); /* a retransmitted QM3 only counted */
    assert_int_equal(c->out_of_state, 3);
    assert_int_equal(c->retransmits, 2);
    assert_int_equal(kt_pending_out(t), 0);
    kt_advance(t, KMD_QM_KEEP + 1); /* the QM is forgotten, its message ID is not */
    pools = kt_count(t, FWD_POOL_RESERVE);
    kt_send(t, i, q1.p, q1.len);
    kt_send(t, i, q3.p, q3.len);
    assert_int_equal(c->replayed, 2);
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), pools);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(kt_pending_out(t), 0);
    /* a new quick mode still works */
    assert_int_equal(kt_qm(t, i), 0);
    ikei_free(i);
    kt_free(t);
}

/* Messages of a later step under an SA that is not there yet. */
static void test_out_of_order(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *x = kt_peer("198.51.100.115", PSK, NULL),
                *y = kt_peer("198.51.100.116", PSK, NULL);
    struct pkt y1, y3, y5, yq, yd, x1, x3, x5, s;
    const struct kmd_counters *c = kmd_counters(t->k);

    (void)state;
    mm(t, y, &y1, &y3, &y5);
    assert_int_equal(ikei_qm1(y, yq.p, sizeof(yq.p), &yq.len), 0);
    assert_int_equal(ikei_dpd(y, 3, yd.p, sizeof(yd.p), &yd.len), 0);

    t->rd = t->nout;
    assert_int_equal(ikei_mm1(x, x1.p, sizeof(x1.p), &x1.len), 0);
    kt_send(t, x, x1.p, x1.len);
    assert_int_equal(answer(t, x, &x3), 1);
    /* y's MM5, QM1 and informational under x's cookies (x waits for MM3) */
    memcpy(y5.p, x->icky, 8);
    memcpy(y5.p + 8, x->rcky, 8);
    memcpy(yq.p, x->icky, 8);
    memcpy(yq.p + 8, x->rcky, 8);
    memcpy(yd.p, x->icky, 8);
    memcpy(yd.p + 8, x->rcky, 8);
    kt_send(t, x, y5.p, y5.len);
    kt_send(t, x, yq.p, yq.len);
    kt_send(t, x, yd.p, yd.len);
    assert_int_equal(c->out_of_state, 3);
    kt_send(t, x, x3.p, x3.len);
    assert_int_equal(answer(t, x, &x5), 1);
    /* y's plaintext MM3 under x's cookies while x waits for MM5 */
    memcpy(y3.p, x->icky, 8);
    memcpy(y3.p + 8, x->rcky, 8);
    kt_send(t, x, y3.p, y3.len);
    assert_int_equal(c->out_of_state, 4);
    assert_int_equal(kt_pending_out(t), 0);
    kt_send(t, x, x5.p, x5.len);
    assert_int_equal(answer(t, x, &s), 0);
    assert_int_equal(x->step, 6);
    assert_int_equal(kt_qm(t, x), 0);
    ikei_free(x);
    ikei_free(y);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_lengths), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_cookies),         cmocka_unit_test(test_replays),
        cmocka_unit_test(test_out_of_order),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
