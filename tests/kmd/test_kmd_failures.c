/*
 * test_kmd_failures: `show services ipsec-vpn ike negotiation-failures`.
 * Every kind of refusal leaves one record with its exchange step, the
 * service set and access profile, the notify sent and the exact reason
 * (phase-1 proposals offered and accepted, wrong key, identity, proxy pair
 * proposed and allowed, phase-2 proposals and PFS, pool exhausted, fwdd
 * refusing the SA, quick-mode and main-mode timeouts, IKEv2, no service
 * set); the ring keeps 8 per peer and 64 in all, the newest; the reply
 * filters by peer, newest first, and never carries the key.
 */
#include "kmdtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

static const struct kmd_failure *newest(struct kt *t)
{
    const struct kmd_failure *f = NULL;

    for (unsigned i = 0; i < KMD_FAIL_MAX; i++)
        if (t->k->fail[i].seq && (f == NULL || t->k->fail[i].seq > f->seq))
            f = &t->k->fail[i];
    assert_non_null(f);
    return f;
}

static unsigned nfail(struct kt *t)
{
    unsigned n = 0;

    for (unsigned i = 0; i < KMD_FAIL_MAX; i++)
        n += t->k->fail[i].seq != 0;
    return n;
}

static void expect(struct kt *t, const char *exch, const char *ss, uint16_t notify,
                   const char *reason)
{
    const struct kmd_failure *f = newest(t);

    assert_string_equal(f->exch, exch);
    assert_string_equal(f->ss, ss);
    assert_string_equal(f->profile, ss[0] ? "dyn-peers" : "");
    assert_int_equal(f->notify, notify);
    if (strcmp(f->reason, reason) != 0)
        fail_msg("reason\n  %s\nexpected\n  %s", f->reason, reason);
}

static void group5(struct ikei_conf *c)
{
    c->group = ISAKMP_GROUP_MODP1536;
}

static void far_net(struct ikei_conf *c)
{
    c->lnet = "10.5.5.0/24";
}

static void no_pfs(struct ikei_conf *c)
{
    c->pfs_group = 0;
}

static void ah(struct ikei_conf *c)
{
    c->p2_proto = ISAKMP_PROTO_IPSEC_AH;
}

static void other_fqdn(struct ikei_conf *c)
{
    c->id_type = ISAKMP_ID_FQDN;
    c->id = "intruder.example.net";
}

static void elsewhere(struct ikei_conf *c)
{
    c->remote.a[3] = 9; /* 203.0.113.9: no service set */
}

static void test_phase1(void **state)
{
    char *conf = kt_subst(KT_SG1, "any-remote-id;", "fqdn sg2.example.net;");
    struct kt *t = kt_new(conf, PSK);
    struct ikei *a = kt_peer("198.51.100.80", PSK, group5),
                *b = kt_peer("198.51.100.81", "not-the-right-key", NULL),
                *c = kt_peer("198.51.100.82", PSK, other_fqdn),
                *d = kt_peer("198.51.100.83", PSK, elsewhere);
    const struct kmd_failure *f;

    (void)state;
    assert_int_equal(kt_mm(t, a), -1);
    expect(t, "MM1", "SG1", ISAKMP_N_NO_PROPOSAL_CHOSEN,
           "no acceptable proposal: offered aes-128-cbc/sha1/group5, accepted "
           "aes-128-cbc/sha1/group14 or group2 (ike-policy ike-dyn)");
    f = newest(t);
    assert_int_equal(f->pport, 500);
    assert_int_equal(f->lport, 500);

    assert_int_equal(kt_mm(t, b), -1);
    f = newest(t);
    assert_string_equal(f->exch, "MM5");
    assert_true(f->notify == ISAKMP_N_INVALID_HASH_INFORMATION ||
                f->notify == ISAKMP_N_PAYLOAD_MALFORMED);
    if (f->notify == ISAKMP_N_INVALID_HASH_INFORMATION)
        assert_string_equal(f->reason, "HASH_I mismatch: the peer's pre-shared key differs (key "
                                       "from access profile dyn-peers)");
    else
        assert_non_null(strstr(f->reason, "MM5 does not decrypt (the pre-shared keys differ?): "));
    assert_non_null(strstr(f->reason, "(key from access profile dyn-peers)"));

    assert_int_equal(kt_mm(t, c), -1);
    expect(t, "MM5", "SG1", ISAKMP_N_INVALID_ID_INFORMATION,
           "identity not allowed by the ike-policy remote-id: intruder.example.net");

    assert_int_equal(kt_mm(t, d), -1);
    expect(t, "MM1", "", 0, "no service set has this local-gateway in this routing instance");
    assert_int_equal(nfail(t), 4);
    assert_int_equal(kmd_counters(t->k)->failures, 4);
    free(conf);
    ikei_free(a);
    ikei_free(b);
    ikei_free(c);
    ikei_free(d);
    kt_free(t);
}

static void refused_qm(struct kt *t, const char *addr, void (*tweak)(struct ikei_conf *))
{
    struct ikei *i = kt_peer(addr, PSK, tweak);

    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), -1);
    assert_string_equal(newest(t)->id, addr);
    ikei_free(i);
}

static void test_phase2(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);

    (void)state;
    refused_qm(t, "198.51.100.84", far_net);
    expect(t, "QM1", "SG1", ISAKMP_N_INVALID_ID_INFORMATION,
           "proxy pair remote 10.5.5.0/24 local 10.1.1.0/24 is not within an allowed-proxy-pair "
           "of access profile dyn-peers; allowed: remote 10.2.2.0/24 local 10.1.1.0/24, remote "
           "10.3.3.0/24 local 10.1.1.0/24");
    refused_qm(t, "198.51.100.85", no_pfs);
    expect(t, "QM1", "SG1", ISAKMP_N_NO_PROPOSAL_CHOSEN,
           "no acceptable proposal: PFS group14 required by ipsec-policy ipsec-dyn but not "
           "offered; accepted esp aes-128-cbc/hmac-sha1-96 with PFS group14 (ipsec-policy "
           "ipsec-dyn)");
    refused_qm(t, "198.51.100.86", ah);
    expect(t, "QM1", "SG1", ISAKMP_N_NO_PROPOSAL_CHOSEN,
           "no acceptable proposal: ah hmac-sha1-96 not allowed by ipsec-policy ipsec-dyn; "
           "accepted esp aes-128-cbc/hmac-sha1-96 with PFS group14 (ipsec-policy ipsec-dyn)");
    t->pool_status = FWD_ERR_EXHAUSTED;
    refused_qm(t, "198.51.100.87", NULL);
    expect(t, "QM1", "SG1", ISAKMP_N_NO_PROPOSAL_CHOSEN,
           "pool dyn-pool of service set SG1 is exhausted");
    t->pool_status = FWD_OK;
    t->sa_status = FWD_ERR_UNSUPPORTED;
    refused_qm(t, "198.51.100.88", NULL);
    expect(t, "QM1", "SG1", ISAKMP_N_NO_PROPOSAL_CHOSEN,
           "fwdd refused the inbound SA: refused by the test");
    assert_int_equal(nfail(t), 5);
    kt_free(t);
}

/* No QM3, no MM3: the timeouts are failures too. */
static void test_timeouts(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.89", PSK, NULL), *h = kt_peer("198.51.100.90", PSK, NULL);
    uint8_t p[4096], q[4096];
    size_t len, qlen;
    struct kt_out *o;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    t->rd = t->nout;
    assert_int_equal(ikei_qm1(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    assert_non_null(o = kt_recv(t));
    assert_int_equal(ikei_input(i, o->p, o->len, q, sizeof(q), &qlen), 1); /* QM3 never sent */
    assert_int_equal(ikei_mm1(h, p, sizeof(p), &len), 0);
    kt_send(t, h, p, len); /* MM3 never sent */
    kt_advance(t, 31);
    assert_int_equal(nfail(t), 2);
    for (unsigned n = 0; n < KMD_FAIL_MAX; n++) {
        const struct kmd_failure *f = &t->k->fail[n];
        if (f->seq == 0)
            continue;
        if (f->peer.a[3] == 89) {
            assert_string_equal(f->exch, "QM3");
            assert_string_equal(f->reason, "no QM3 within 30 s");
        } else {
            assert_string_equal(f->exch, "MM3");
            assert_string_equal(f->reason, "no MM3 within 30 s (main mode not completed)");
        }
    }
    ikei_free(i);
    ikei_free(h);
    kt_free(t);
}

static void test_ikev2(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.91", PSK, NULL);
    uint8_t p[28] = {1, 2, 3,  4,    5,  6,    7, 8, 0, 0, 0, 0, 0, 0,
                     0, 0, 33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28};

    (void)state;
    kt_send(t, i, p, sizeof(p));
    expect(t, "IKE_SA_INIT", "", ISAKMP_N_INVALID_MAJOR_VERSION,
           "IKEv2 refused: kmd speaks IKEv1 only");
    ikei_free(i);
    kt_free(t);
}

/* 8 per peer, 64 in all, the newest kept; the reply filters and sorts. */
static void test_ring(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    uint8_t p[28] = {1, 2, 3,  4,    5,  6,    7, 8, 0, 0, 0, 0, 0, 0,
                     0, 0, 33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28};
    struct ikei *one = kt_peer("198.51.100.92", PSK, NULL);
    struct buf b;
    char addr[32], *x, *first, *second;
    unsigned mine = 0;
    uint64_t min_seq = UINT64_MAX;

    (void)state;
    for (int n = 0; n < 12; n++) {
        t->now++;
        kt_send(t, one, p, sizeof(p));
    }
    for (unsigned n = 0; n < KMD_FAIL_MAX; n++)
        if (t->k->fail[n].seq) {
            mine++;
            if (t->k->fail[n].seq < min_seq)
                min_seq = t->k->fail[n].seq;
        }
    assert_int_equal(mine, KMD_FAIL_PER_PEER);
    assert_int_equal(min_seq, 12 - KMD_FAIL_PER_PEER + 1); /* the 4 oldest went */

    buf_init(&b);
    t->now += 5;
    assert_int_equal(kmd_rpc(t->k, "get-ike-negotiation-failures",
                             "<get-ike-negotiation-failures><peer-address>198.51.100.92"
                             "</peer-address></get-ike-negotiation-failures>",
                             &b),
                     0);
    assert_non_null(strstr(b.s, "<ike-failures-recorded>12</ike-failures-recorded>"));
    assert_non_null(strstr(b.s, "<ike-failures-shown>8</ike-failures-shown>"));
    first = strstr(b.s, "<ike-failure-age>5</ike-failure-age>"); /* the newest first */
    second = strstr(b.s, "<ike-failure-age>6</ike-failure-age>");
    assert_true(first && second && first < second);
    assert_non_null(strstr(b.s, "<ike-failure-exchange>IKE_SA_INIT</ike-failure-exchange>"));
    assert_non_null(strstr(b.s, "<ike-failure-notify>INVALID-MAJOR-VERSION</ike-failure-notify>"));
    assert_non_null(strstr(b.s, "<ike-failure-remote-port>500</ike-failure-remote-port>"));
    assert_non_null(strstr(b.s, "<ike-failure-time junos:seconds=\""));
    buf_free(&b);

    for (int n = 0; n < 70; n++) { /* 70 other peers: 64 records in all */
        struct ikei *i;
        snprintf(addr, sizeof(addr), "192.0.2.%d", n + 1);
        i = kt_peer(addr, PSK, NULL);
        kt_send(t, i, p, sizeof(p));
        ikei_free(i);
    }
    assert_int_equal(nfail(t), KMD_FAIL_MAX);
    x = NULL;
    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, "get-ike-negotiation-failures", "", &b), 0);
    assert_null(strstr(b.s, "198.51.100.92")); /* the oldest went first */
    assert_null(strstr(b.s, "<ike-failure-remote-address>192.0.2.6<"));
    assert_non_null(strstr(b.s, "<ike-failure-remote-address>192.0.2.7<"));
    assert_non_null(strstr(b.s, "<ike-failure-remote-address>192.0.2.70<"));
    assert_non_null(strstr(b.s, "<ike-failures-shown>64</ike-failures-shown>"));
    assert_null(strstr(b.s, PSK));
    buf_free(&b);
    free(x);
    ikei_free(one);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phase1),   cmocka_unit_test(test_phase2),
        cmocka_unit_test(test_timeouts), cmocka_unit_test(test_ikev2),
        cmocka_unit_test(test_ring),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
