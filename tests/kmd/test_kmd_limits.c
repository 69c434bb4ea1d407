/*
 * test_kmd_limits: half-open IKE SAs (main mode not completed) are limited
 * per source address (32: the new MM1 is dropped, counted and recorded)
 * and in total (4096, below 10,000: the oldest goes, those still waiting
 * for MM3 before those waiting for MM5).  10,000 MM1s from spoofed sources
 * arrive before, during and after a real peer's main mode, and the real
 * peer still completes main and quick mode.
 */
#include "kmdtest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

struct pkt {
    uint8_t p[4096];
    size_t len;
};

/* MM1 bytes s from source 10.n (n's bytes) with a cookie of n's. */
static void spoof(struct kt *t, struct ikei *tmpl, const struct pkt *s, uint32_t n)
{
    struct fwd_dgram d;
    uint8_t p[4096];

    memcpy(p, s->p, s->len);
    memcpy(p, &n, 4);
    p[4] = 0x5f;
    ikei_dgram(tmpl, &d, s->len);
    d.src.a[0] = 10;
    d.src.a[1] = (uint8_t)(n >> 16);
    d.src.a[2] = (uint8_t)(n >> 8);
    d.src.a[3] = (uint8_t)n;
    kmd_input(t->k, &d, p, s->len);
    t->nout = t->rd = 0; /* the MM2s go nowhere */
}

static struct kt_out *next(struct kt *t)
{
    struct kt_out *o = kt_recv(t);

    assert_non_null(o);
    return o;
}

static void test_per_peer(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.120", PSK, NULL),
                *j = kt_peer("198.51.100.121", PSK, NULL);
    struct pkt m1;
    const struct kmd_failure *f = NULL;

    (void)state;
    assert_int_equal(kmd_limits(t->k)->halfopen_per_peer, 32);
    assert_int_equal(ikei_mm1(i, m1.p, sizeof(m1.p), &m1.len), 0);
    for (int n = 0; n < 40; n++) {
        m1.p[0] = (uint8_t)n; /* 40 negotiations from one address */
        kt_send(t, i, m1.p, m1.len);
    }
    assert_int_equal(kmd_ike_count(t->k), 32);
    assert_int_equal(kmd_counters(t->k)->halfopen_peer, 8);
    assert_int_equal(kmd_counters(t->k)->halfopen_full, 8);
    for (unsigned n = 0; n < KMD_FAIL_MAX; n++)
        if (t->k->fail[n].seq && (f == NULL || t->k->fail[n].seq > f->seq))
            f = &t->k->fail[n];
    assert_non_null(f);
    assert_string_equal(f->exch, "MM1");
    assert_string_equal(f->reason, "too many IKE negotiations in progress from this address (32)");
    /* another address is still served */
    t->rd = t->nout;
    assert_int_equal(kt_mm(t, j), 0);
    assert_int_equal(kmd_ike_count(t->k), 33);
    ikei_free(i);
    ikei_free(j);
    kt_free(t);
}

/* The total: the oldest SA waiting for MM3 goes, not one waiting for MM5. */
static void test_eviction_order(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *a = kt_peer("198.51.100.122", PSK, NULL),
                *b = kt_peer("198.51.100.123", PSK, NULL),
                *c = kt_peer("198.51.100.124", PSK, NULL),
                *d = kt_peer("198.51.100.125", PSK, NULL);
    struct pkt p, a3, a5;
    struct kt_out *o;

    (void)state;
    kmd_limits(t->k)->halfopen_max = 3;
    assert_int_equal(ikei_mm1(a, p.p, sizeof(p.p), &p.len), 0);
    kt_send(t, a, p.p, p.len);
    o = next(t);
    assert_int_equal(ikei_input(a, o->p, o->len, a3.p, sizeof(a3.p), &a3.len), 1);
    kt_send(t, a, a3.p, a3.len); /* a waits for MM5 */
    o = next(t);
    assert_int_equal(ikei_input(a, o->p, o->len, a5.p, sizeof(a5.p), &a5.len), 1);
    t->now++;
    assert_int_equal(ikei_mm1(b, p.p, sizeof(p.p), &p.len), 0);
    kt_send(t, b, p.p, p.len);
    t->now++;
    assert_int_equal(ikei_mm1(c, p.p, sizeof(p.p), &p.len), 0);
    kt_send(t, c, p.p, p.len);
    t->now++;
    assert_int_equal(ikei_mm1(d, p.p, sizeof(p.p), &p.len), 0);
    kt_send(t, d, p.p, p.len); /* full: b, the oldest waiting for MM3, goes */
    assert_int_equal(kmd_ike_count(t->k), 3);
    assert_int_equal(kmd_counters(t->k)->halfopen_evicted, 1);
    assert_null(ike_find_mm1(t->k, b->icky, &(struct fwd_dgram){.src = b->c.local}));
    assert_non_null(ike_find_mm1(t->k, c->icky, &(struct fwd_dgram){.src = c->c.local}));
    t->rd = t->nout;
    kt_send(t, a, a5.p, a5.len); /* a, the oldest of all, completes */
    o = next(t);
    assert_int_equal(ikei_input(a, o->p, o->len, p.p, sizeof(p.p), &p.len), 0);
    assert_int_equal(a->step, 6);
    assert_int_equal(kt_qm(t, a), 0);
    ikei_free(a);
    ikei_free(b);
    ikei_free(c);
    ikei_free(d);
    kt_free(t);
}

static void test_flood(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *real = kt_peer("198.51.100.126", PSK, NULL),
                *tmpl = kt_peer("10.0.0.1", PSK, NULL);
    struct pkt s, m1, m3, m5;
    const struct kmd_counters *c = kmd_counters(t->k);
    struct kt_out *o;
    uint32_t n = 1;

    (void)state;
    assert_true(kmd_limits(t->k)->halfopen_max < 10000);
    assert_int_equal(ikei_mm1(tmpl, s.p, sizeof(s.p), &s.len), 0);
    for (; n <= 4000; n++)
        spoof(t, tmpl, &s, n);
    assert_int_equal(ike_halfopen(t->k), 4000);
    assert_int_equal(ikei_mm1(real, m1.p, sizeof(m1.p), &m1.len), 0);
    kt_send(t, real, m1.p, m1.len);
    o = next(t);
    assert_int_equal(ikei_input(real, o->p, o->len, m3.p, sizeof(m3.p), &m3.len), 1);
    for (; n <= 7000; n++) /* the table fills: the oldest spoofed SAs go */
        spoof(t, tmpl, &s, n);
    assert_int_equal(ike_halfopen(t->k), kmd_limits(t->k)->halfopen_max);
    kt_send(t, real, m3.p, m3.len);
    o = next(t);
    assert_int_equal(ikei_input(real, o->p, o->len, m5.p, sizeof(m5.p), &m5.len), 1);
    for (; n <= 10000; n++)
        spoof(t, tmpl, &s, n);
    assert_int_equal(ike_halfopen(t->k), kmd_limits(t->k)->halfopen_max);
    kt_send(t, real, m5.p, m5.len);
    o = next(t);
    assert_int_equal(ikei_input(real, o->p, o->len, m1.p, sizeof(m1.p), &m1.len), 0);
    assert_int_equal(real->step, 6);
    assert_int_equal(kt_qm(t, real), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(c->halfopen_evicted, 10000 + 1 - kmd_limits(t->k)->halfopen_max);
    assert_int_equal(c->halfopen_peer, 0);
    assert_int_equal(c->ike_established, 1);
    kt_advance(t, 31); /* the spoofed ones expire; the real SA stays */
    assert_int_equal(kmd_ike_count(t->k), 1);
    assert_int_equal(ike_halfopen(t->k), 0);
    ikei_free(real);
    ikei_free(tmpl);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_peer),
        cmocka_unit_test(test_eviction_order),
        cmocka_unit_test(test_flood),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
