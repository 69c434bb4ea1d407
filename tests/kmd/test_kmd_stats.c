/*
 * test_kmd_stats: `show services ipsec-vpn ike statistics` counts what the
 * exchanges carry (junos.md 4.3's ike-sa-payload-statistics: DELETE
 * payloads in and out, R-U-THERE in, R-U-THERE-ACK out and in, INVALID-SPI
 * notifies in; the traffic statistics: datagrams and bytes each way), and
 * kmd's global counters block (replays, out-of-state, ...) moves with them.
 */
#include "kmdtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

static void u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A protected informational from the initiator: HASH(1) + one notify. */
static size_t notify(struct ikei *i, uint16_t type, uint8_t *out, size_t cap)
{
    uint8_t body[1024], iv[CRYPTO_MAX_BLOCK], spi[16], data[4], *hp;
    struct msg_builder b;
    uint32_t msgid = 0;
    size_t hl = i->keys.len, len;

    while (msgid == 0)
        assert_int_equal(crypto_random(&msgid, 4), 0);
    assert_int_equal(ikev1_phase2_iv(i->hashalg, i->p1_last, i->keys.iv_len, msgid, iv), 0);
    memcpy(spi, i->icky, 8);
    memcpy(spi + 8, i->rcky, 8);
    u32be(data, 7);
    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, hl);
    if (type == ISAKMP_N_INVALID_SPI)
        mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_IPSEC_ESP, data, 4, type, NULL, 0);
    else
        mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, spi, 16, type, data, 4);
    assert_false(b.err);
    assert_int_equal(ikev1_qm_hash1(&i->keys, msgid, body + 4 + hl, b.len - 4 - hl, hp), 0);
    assert_int_equal(ikei_encrypt(i, iv, ISAKMP_EXCH_INFO, msgid, &b, out, cap, &len), 0);
    return len;
}

static const struct ike_sa *the_sa(struct kt *t)
{
    assert_int_equal(kmd_ike_count(t->k), 1);
    return t->k->sas;
}

static char *rpc(struct kt *t, const char *name, const char *args)
{
    struct buf b;

    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, name, args, &b), 0);
    return buf_steal(&b);
}

static void has(const char *text, const char *what)
{
    if (text == NULL || strstr(text, what) == NULL)
        fail_msg("reply lacks %s:\n%s", what, text ? text : "(null)");
}

static void test_payload_counters(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.70", PSK, NULL);
    const struct ike_sa *sa;
    uint8_t p[4096], dpd[4096];
    size_t len, dlen;
    uint64_t in_b, out_b;
    struct kt_out *o;
    char *x;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    sa = the_sa(t);
    /* MM1, MM3, MM5, QM1, QM3 in; MM2, MM4, MM6, QM2 out */
    assert_int_equal(sa->in_pkts, 5);
    assert_int_equal(sa->out_pkts, 4);
    assert_true(sa->in_bytes > 5 * 28 && sa->out_bytes > 4 * 28);
    in_b = sa->in_bytes;
    out_b = sa->out_bytes;

    /* two R-U-THEREs: two requests in, two responses out */
    t->rd = t->nout;
    for (uint32_t seq = 1; seq <= 2; seq++) {
        assert_int_equal(ikei_dpd(i, seq, dpd, sizeof(dpd), &dlen), 0);
        kt_send(t, i, dpd, dlen);
        in_b += dlen;
        assert_non_null(o = kt_recv(t));
        out_b += o->len;
    }
    assert_int_equal(sa->dpd_rx, 2);
    assert_int_equal(sa->dpd_tx, 2);
    assert_int_equal(sa->in_pkts, 7);
    assert_int_equal(sa->out_pkts, 6);
    assert_int_equal(sa->in_bytes, in_b);
    assert_int_equal(sa->out_bytes, out_b);

    /* the same R-U-THERE again: a replay, dropped and counted, no answer */
    kt_send(t, i, dpd, dlen);
    assert_int_equal(kt_pending_out(t), 0);
    assert_int_equal(sa->dpd_rx, 2);
    assert_int_equal(kmd_counters(t->k)->replayed, 1);

    /* an unsolicited R-U-THERE-ACK and an INVALID-SPI come in */
    len = notify(i, ISAKMP_N_R_U_THERE_ACK, p, sizeof(p));
    kt_send(t, i, p, len);
    len = notify(i, ISAKMP_N_INVALID_SPI, p, sizeof(p));
    kt_send(t, i, p, len);
    assert_int_equal(sa->dpd_ack_rx, 1);
    assert_int_equal(sa->invspi_rx, 1);

    /* the operator clears the tunnel: one DELETE out; the peer's DELETE in */
    free(rpc(t, "clear-services-ipsec-vpn-security-associations",
             "<clear-services-ipsec-vpn-security-associations/>"));
    assert_int_equal(sa->del_tx, 1);
    kt_deliver(t, i);
    assert_int_equal(ikei_delete_esp(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    assert_int_equal(sa->del_rx, 1);

    x = rpc(t, "get-ike-services-statistics-information",
            "<get-ike-services-statistics-information/>");
    has(x, "<ike-sa-delete-payloads-received>1</ike-sa-delete-payloads-received>");
    has(x, "<ike-sa-delete-payloads-sent>1</ike-sa-delete-payloads-sent>");
    has(x, "<ike-sa-dpd-request-payloads-received>2</ike-sa-dpd-request-payloads-received>");
    has(x, "<ike-sa-dpd-request-payloads-sent>0</ike-sa-dpd-request-payloads-sent>");
    has(x, "<ike-sa-dpd-response-payloads-received>1</ike-sa-dpd-response-payloads-received>");
    has(x, "<ike-sa-dpd-response-payloads-sent>2</ike-sa-dpd-response-payloads-sent>");
    has(x, "<ike-sa-dpd-response-payloads-missed>0</ike-sa-dpd-response-payloads-missed>");
    has(x, "<ike-sa-dpd-response-payloads-maximum-delay>0</"
           "ike-sa-dpd-response-payloads-maximum-delay>");
    has(x, "<ike-sa-invalid-spi-notifications-received>1</"
           "ike-sa-invalid-spi-notifications-received>");
    has(x, "<ike-sa-invalid-spi-notifications-sent>0</ike-sa-invalid-spi-notifications-sent>");
    has(x, "<ike-sa-input-packets>11</ike-sa-input-packets>");
    has(x, "<ike-sa-output-packets>7</ike-sa-output-packets>");
    has(x, "<ike-global-statistics>");
    has(x, "<ike-global-replayed>1</ike-global-replayed>");
    has(x, "<ike-global-ike-sas>1</ike-global-ike-sas>");
    has(x, "<ike-global-tunnels-established>1</ike-global-tunnels-established>");
    has(x, "<ike-global-tunnels-deleted>1</ike-global-tunnels-deleted>");
    has(x, "<ike-global-dpd-responses-sent>2</ike-global-dpd-responses-sent>");
    assert_null(strstr(x, PSK));
    free(x);
    /* the SA listing has no global block */
    x = rpc(t, "get-ike-services-security-associations-information",
            "<get-ike-services-security-associations-information><detail/>"
            "</get-ike-services-security-associations-information>");
    assert_null(strstr(x, "ike-global-statistics"));
    has(x, "<ike-sa-input-packets>11</ike-sa-input-packets>");
    free(x);
    ikei_free(i);
    kt_free(t);
}

/* Datagrams dropped before any SA: counted in the global block. */
static void test_global_counters(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.71", PSK, NULL);
    uint8_t p[4096];
    size_t len;
    char *x;

    (void)state;
    assert_int_equal(ikei_mm1(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, 10);   /* truncated: malformed */
    memset(p + 8, 0x5a, 8); /* an unknown responder cookie */
    kt_send(t, i, p, len);
    x = rpc(t, "get-ike-services-statistics-information",
            "<get-ike-services-statistics-information/>");
    has(x, "<ike-global-malformed>1</ike-global-malformed>");
    has(x, "<ike-global-unknown-sa>1</ike-global-unknown-sa>");
    has(x, "<ike-global-datagrams-received>2</ike-global-datagrams-received>");
    has(x, "<ike-global-ike-sas>0</ike-global-ike-sas>");
    free(x);
    ikei_free(i);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_counters),
        cmocka_unit_test(test_global_counters),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
