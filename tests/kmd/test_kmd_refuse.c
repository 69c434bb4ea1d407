/*
 * test_kmd_refuse: every refusal says why (in the log and, where the RFCs
 * allow, in a notify to the peer) and leaves no state (no IKE SA, no
 * tunnel, nothing asked of fwdd): wrong key, identity not allowed, proxy
 * pair not allowed, no acceptable phase-1 or phase-2 proposal (AH not
 * configured, GCM with an integrity algorithm),
 * PFS required but not offered, pool exhausted, fwdd refusing the SA,
 * IKEv2, truncated and garbage datagrams (counted, never a crash),
 * half-open expiry and cap.  Also: the static peer's own key, and the
 * pre-shared key never in a log line at debug level.
 */
#include "kmdtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

static void expect_log(const char *log, const char *what)
{
    if (log == NULL || strstr(log, what) == NULL)
        fail_msg("log lacks \"%s\":\n%s", what, log ? log : "(null)");
}

static void no_state(struct kt *t)
{
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_RULE_ADD), 0);
    assert_int_equal(kt_count(t, FWD_ROUTE_ADD), 0);
}

static void test_wrong_key(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.20", "not-the-right-key", NULL);
    char *log;

    (void)state;
    kt_log_start();
    assert_int_equal(kt_mm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->notifies, 1);
    assert_true(i->last_notify == ISAKMP_N_INVALID_HASH_INFORMATION ||
                i->last_notify == ISAKMP_N_PAYLOAD_MALFORMED);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kmd_counters(t->k)->auth_failed, 1);
    expect_log(log, "refused at MM5");
    expect_log(log, "key from access profile dyn-peers");
    assert_null(strstr(log, PSK));
    assert_null(strstr(log, "not-the-right-key"));
    free(log);
    no_state(t);
    ikei_free(i);
    kt_free(t);
}

static void fqdn(struct ikei_conf *c)
{
    c->id_type = ISAKMP_ID_FQDN;
    c->id = "sg2.example.net";
}

static void other_fqdn(struct ikei_conf *c)
{
    c->id_type = ISAKMP_ID_FQDN;
    c->id = "intruder.example.net";
}

static void test_remote_id(void **state)
{
    char *conf = kt_subst(KT_SG1, "any-remote-id;", "fqdn sg2.example.net;");
    struct kt *t = kt_new(conf, PSK);
    struct ikei *ok = kt_peer("198.51.100.21", PSK, fqdn),
                *bad = kt_peer("198.51.100.22", PSK, other_fqdn);
    char *log;

    (void)state;
    assert_int_equal(kt_mm(t, ok), 0);
    kt_log_start();
    assert_int_equal(kt_mm(t, bad), -1);
    log = kt_log_end();
    assert_int_equal(bad->last_notify, ISAKMP_N_INVALID_ID_INFORMATION);
    expect_log(log, "identity not allowed by the ike-policy remote-id: intruder.example.net");
    assert_int_equal(kmd_ike_count(t->k), 1);
    free(log);
    free(conf);
    ikei_free(ok);
    ikei_free(bad);
    kt_free(t);
}

static void user_fqdn(struct ikei_conf *c)
{
    c->id_type = ISAKMP_ID_USER_FQDN;
    c->id = "alice@example.net";
}

static void key_id(struct ikei_conf *c)
{
    c->id_type = ISAKMP_ID_KEY_ID;
    c->id = "key-7";
}

static void test_identity_types(void **state)
{
    char *conf = kt_subst(KT_SG1, "any-remote-id;", "key-id key-7;");
    struct kt *any = kt_new(KT_SG1, PSK), *listed = kt_new(conf, PSK);
    struct ikei *u = kt_peer("198.51.100.32", PSK, user_fqdn),
                *k1 = kt_peer("198.51.100.33", PSK, key_id),
                *k2 = kt_peer("198.51.100.34", PSK, key_id),
                *u2 = kt_peer("198.51.100.35", PSK, user_fqdn);

    (void)state;
    assert_int_equal(kt_mm(any, u), 0);
    assert_int_equal(kt_mm(any, k1), 0);
    assert_int_equal(kt_mm(listed, k2), 0);
    assert_int_equal(kt_mm(listed, u2), -1); /* user-fqdn cannot be listed: refused */
    assert_int_equal(u2->last_notify, ISAKMP_N_INVALID_ID_INFORMATION);
    free(conf);
    ikei_free(u);
    ikei_free(k1);
    ikei_free(k2);
    ikei_free(u2);
    kt_free(any);
    kt_free(listed);
}

static void far_net(struct ikei_conf *c)
{
    c->lnet = "10.5.5.0/24";
}

static void test_proxy_not_allowed(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.23", PSK, far_net);
    char *log;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->last_notify, ISAKMP_N_INVALID_ID_INFORMATION);
    expect_log(log, "remote 10.5.5.0/24 local 10.1.1.0/24 is not within an allowed-proxy-pair");
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 0);
    no_state(t);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void group5(struct ikei_conf *c)
{
    c->group = ISAKMP_GROUP_MODP1536;
}

static void test_no_phase1_proposal(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.24", PSK, group5);
    char *log;

    (void)state;
    kt_log_start();
    assert_int_equal(kt_mm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->last_notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
    expect_log(log, "no acceptable proposal: peer offered aes-128-cbc/sha1/group5; ike-policy "
                    "ike-dyn allows none of them");
    assert_int_equal(kmd_ike_count(t->k), 0);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void ah(struct ikei_conf *c)
{
    c->p2_proto = ISAKMP_PROTO_IPSEC_AH;
}

static void gcm(struct ikei_conf *c)
{
    c->esp_id = ISAKMP_ESP_AES_GCM_16;
}

static void no_pfs(struct ikei_conf *c)
{
    c->pfs_group = 0;
}

static void refused_qm(void (*tweak)(struct ikei_conf *), const char *why, uint16_t notify)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.25", PSK, tweak);
    char *log;

    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->last_notify, notify);
    expect_log(log, why);
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 0);
    no_state(t);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void test_no_phase2_proposal(void **state)
{
    (void)state;
    /* AH where the ipsec-policy allows ESP only (AH accepted: test_kmd_ah.c) */
    refused_qm(ah, "ah hmac-sha1-96 not allowed by ipsec-policy ipsec-dyn",
               ISAKMP_N_NO_PROPOSAL_CHOSEN);
    /* GCM with an integrity attribute (more in test_kmd_gcm.c) */
    refused_qm(gcm, "ESP_AES-GCM_16 with integrity algorithm 2", ISAKMP_N_NO_PROPOSAL_CHOSEN);
}

static void test_pfs_required(void **state)
{
    (void)state;
    refused_qm(no_pfs, "PFS group14 required by ipsec-policy ipsec-dyn but not offered",
               ISAKMP_N_NO_PROPOSAL_CHOSEN);
}

static void test_pool_exhausted(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.26", PSK, NULL);
    char *log;

    (void)state;
    t->pool_status = FWD_ERR_EXHAUSTED;
    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->last_notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
    assert_false(i->qm.done);
    expect_log(log, "pool dyn-pool of service set SG1 is exhausted");
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 1);
    assert_int_equal(kt_count(t, FWD_SA_ADD), 0);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 0);
    no_state(t);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void test_fwdd_refuses_sa(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.27", PSK, NULL);
    char *log;

    (void)state;
    t->sa_status = FWD_ERR_UNSUPPORTED;
    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), -1);
    log = kt_log_end();
    expect_log(log, "fwdd refused the inbound SA: refused by the test");
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 1);
    no_state(t);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void test_ikev2(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.28", PSK, NULL);
    uint8_t p[28] = {1, 2, 3,  4,    5,  6,    7, 8, 0, 0, 0, 0, 0, 0,
                     0, 0, 33, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28};
    struct kt_out *o;
    struct msg m;
    struct msg_err err;
    char *log;

    (void)state;
    kt_log_start();
    kt_send(t, i, p, sizeof(p));
    log = kt_log_end();
    expect_log(log, "refused IKE version 2.0 (IKEv2) from 198.51.100.28:500");
    assert_int_equal(kmd_counters(t->k)->ikev2, 1);
    assert_non_null(o = kt_recv(t));
    assert_int_equal(msg_parse(&m, o->p, o->len, &err), MSG_OK);
    assert_int_equal(m.hdr.exch, ISAKMP_EXCH_INFO);
    assert_memory_equal(m.hdr.icookie, p, 8);
    assert_int_equal(msg_find(&m, ISAKMP_PL_N, 0)->u.n.type, ISAKMP_N_INVALID_MAJOR_VERSION);
    assert_int_equal(kmd_ike_count(t->k), 0);
    free(log);
    ikei_free(i);
    kt_free(t);
}

static void test_garbage(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.29", PSK, NULL);
    uint8_t mm1[4096], p[4096], junk[300];
    size_t len;
    uint64_t seed = 42;

    (void)state;
    assert_int_equal(ikei_mm1(i, mm1, sizeof(mm1), &len), 0);
    kt_send(t, i, mm1, 0);
    for (size_t n = 1; n < len; n++) /* every truncation of a real MM1 */
        kt_send(t, i, mm1, n);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_true(kmd_counters(t->k)->malformed >= len - 1);
    for (int r = 0; r < 2000; r++) { /* random bytes and mutated MM1s */
        for (size_t k = 0; k < sizeof(junk); k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            junk[k] = (uint8_t)(seed >> 33);
        }
        kt_send(t, i, junk, 1 + junk[0] % sizeof(junk));
        memcpy(p, mm1, len);
        p[junk[1] % len] ^= (uint8_t)(1 + junk[2] % 255);
        p[junk[3] % len] = junk[4];
        kt_send(t, i, p, len);
    }
    kt_advance(t, 31); /* whatever half-open SAs the mutants made expire */
    assert_int_equal(kmd_ike_count(t->k), 0);
    /* garbage under an established SA's cookies: counted, the SA survives */
    t->rd = t->nout; /* the refusals sent to the mutants */
    assert_int_equal(kt_mm(t, i), 0);
    for (int r = 0; r < 200; r++) {
        memcpy(p, mm1, 28);
        memcpy(p + 8, i->rcky, 8);
        p[18] = (uint8_t)(r % 3 == 0 ? ISAKMP_EXCH_QUICK : r % 3 == 1 ? ISAKMP_EXCH_INFO : 2);
        p[19] = ISAKMP_FLAG_ENC;
        memcpy(p + 20, &r, 4);
        memcpy(p + 28, junk, 64);
        p[24] = p[25] = p[26] = 0;
        p[27] = 28 + 64;
        kt_send(t, i, p, 92);
    }
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    ikei_free(i);
    kt_free(t);
}

static void test_halfopen(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    uint8_t p[4096];
    size_t len;
    char addr[32];

    (void)state;
    kmd_limits(t->k)->halfopen_max = 3;
    for (int n = 0; n < 4; n++) {
        struct ikei *i;
        snprintf(addr, sizeof(addr), "198.51.100.%d", 40 + n);
        i = kt_peer(addr, PSK, NULL);
        assert_int_equal(ikei_mm1(i, p, sizeof(p), &len), 0);
        kt_send(t, i, p, len);
        ikei_free(i);
    }
    assert_int_equal(kmd_ike_count(t->k), 3);
    assert_int_equal(kmd_counters(t->k)->halfopen_full, 1);
    kt_advance(t, 29);
    assert_int_equal(kmd_ike_count(t->k), 3);
    kt_advance(t, 2);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kmd_counters(t->k)->halfopen_expired, 3);
    kt_free(t);
}

static void static_peer(struct ikei_conf *c)
{
    c->pfs_group = 0;
    c->rnet = "0.0.0.0/0";
}

static void test_static_peer_key(void **state)
{
    struct kt *t = kt_new(KT_IMPLICIT, PSK);
    struct ikei *st = kt_peer("198.51.100.99", "static-peer-key", static_peer),
                *glob = kt_peer("198.51.100.99", PSK, static_peer),
                *dyn = kt_peer("198.51.100.98", PSK, static_peer);
    char *log;

    (void)state;
    assert_int_equal(kt_mm(t, st), 0);
    assert_int_equal(kt_mm(t, dyn), 0);
    kt_log_start();
    assert_int_equal(kt_mm(t, glob), -1);
    log = kt_log_end();
    expect_log(log, "key from ike-policy ike-static");
    assert_int_equal(kmd_ike_count(t->k), 2);
    free(log);
    ikei_free(st);
    ikei_free(glob);
    ikei_free(dyn);
    kt_free(t);
}

/* At debug level, a whole life (established, rekeyed, refused, deleted)
 * never puts the key into a log line. */
static void test_key_never_logged(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.30", PSK, NULL),
                *w = kt_peer("198.51.100.31", "wrong-wrong", NULL);
    uint8_t p[4096];
    size_t len;
    char *log, hex[64];

    (void)state;
    kt_log_start();
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kt_mm(t, w), -1);
    assert_int_equal(ikei_delete_esp(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    log = kt_log_end();
    hex_str((const uint8_t *)PSK, strlen(PSK), hex);
    assert_null(strstr(log, PSK));
    assert_null(strstr(log, hex));
    expect_log(log, "established");
    free(log);
    ikei_free(i);
    ikei_free(w);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_remote_id),
        cmocka_unit_test(test_identity_types),
        cmocka_unit_test(test_proxy_not_allowed),
        cmocka_unit_test(test_no_phase1_proposal),
        cmocka_unit_test(test_no_phase2_proposal),
        cmocka_unit_test(test_pfs_required),
        cmocka_unit_test(test_pool_exhausted),
        cmocka_unit_test(test_fwdd_refuses_sa),
        cmocka_unit_test(test_ikev2),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_halfopen),
        cmocka_unit_test(test_static_peer_key),
        cmocka_unit_test(test_key_never_logged),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
