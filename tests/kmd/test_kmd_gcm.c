/*
 * test_kmd_gcm: AES-GCM (RFC 4106, ESP_AES-GCM_16) in kmd's quick mode,
 * in-process against the test initiator (tests/ikeinit) with mocked fwdd
 * and clock.  Accepted when the access profile's ipsec-policy has a
 * proposal that allows it (aes-128-gcm, aes-256-gcm, no
 * authentication-algorithm): the initiator's exchange completes, fwdd is
 * asked for FWD_CIPHER_AES_GCM_16 SAs with no integrity algorithm, whose
 * keys are the initiator's KEYMAT of key + 4-byte salt, and packets sealed
 * with the initiator's keys open with kmd's; the tunnel shows and logs as
 * aes-*-gcm; the key log names tshark's "AES-GCM with 16 octet ICV
 * [RFC4106]" with NULL authentication.  Refused (NO-PROPOSAL-CHOSEN, with
 * the reason logged, nothing asked of fwdd): by the implicit proposal, by
 * a policy without GCM, GCM with an 8 or 12-octet ICV, with an integrity
 * attribute, without a key length.
 */
#include "kmdtest.h"

#include "buf.h"
#include "crypto/esp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PSK "opensg-lab-psk"

/* KT_SG1 whose ipsec-policy also allows AES-GCM (PFS group14 as before). */
static char *gcm_conf(void)
{
    char *a = kt_subst(KT_SG1, "            policy ipsec-dyn {\n",
                       "            proposal esp-gcm128 {\n"
                       "                protocol esp;\n"
                       "                encryption-algorithm aes-128-gcm;\n"
                       "            }\n"
                       "            proposal esp-gcm256 {\n"
                       "                protocol esp;\n"
                       "                encryption-algorithm aes-256-gcm;\n"
                       "                lifetime-seconds 3600;\n"
                       "            }\n"
                       "            policy ipsec-dyn {\n");
    char *b = kt_subst(a, "proposals esp-aes128-sha1;",
                       "proposals [ esp-aes128-sha1 esp-gcm128 esp-gcm256 ];");

    free(a);
    return b;
}

static void gcm128(struct ikei_conf *c)
{
    c->esp_id = ISAKMP_ESP_AES_GCM_16;
    c->esp_keylen = 128;
    c->aalg = 0;
}

static void gcm256(struct ikei_conf *c)
{
    gcm128(c);
    c->esp_keylen = 256;
}

static void check_gcm_sa(const struct fwd_sa *s, uint8_t dir, uint32_t spi, const uint8_t *ekey,
                         size_t klen)
{
    assert_int_equal(s->dir, dir);
    assert_int_equal(ntohl(s->spi), spi);
    assert_int_equal(s->proto, FWD_PROTO_ESP);
    assert_int_equal(s->cipher, FWD_CIPHER_AES_GCM_16);
    assert_int_equal(s->auth, FWD_AUTH_NONE);
    assert_int_equal(s->cipher_key_len, klen);
    assert_int_equal(s->auth_key_len, 0);
    assert_memory_equal(s->cipher_key, ekey, klen);
}

/* A packet sealed with one end's key opens with the other's. */
static void esp_agrees(const uint8_t *send_key, const uint8_t *recv_key, size_t klen, uint32_t spi)
{
    struct esp_xform *out = esp_xform_new_gcm(ESP_OUTBOUND, send_key, klen);
    struct esp_xform *in = esp_xform_new_gcm(ESP_INBOUND, recv_key, klen);
    uint8_t pkt[256], nh;
    size_t n, off, len;

    assert_non_null(out);
    assert_non_null(in);
    memcpy(pkt + esp_payload_offset(out), "an inner packet", 15);
    assert_int_equal(esp_seal(out, spi, 1, 4, NULL, pkt, 15, sizeof(pkt), &n), ESP_OK);
    assert_int_equal(esp_open(in, pkt, n, &off, &len, &nh), ESP_OK);
    assert_int_equal(len, 15);
    assert_memory_equal(pkt + off, "an inner packet", 15);
    esp_xform_free(out);
    esp_xform_free(in);
}

static void test_gcm128_accepted_with_pfs(void **state)
{
    char *conf = gcm_conf(), *log;
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = kt_peer("198.51.100.40", PSK, gcm128);
    const struct fwd_sa *in, *out;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), 0);
    log = kt_log_end();
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(i->qm.ekey_len, 20); /* KEYMAT: the AES key and the salt */
    assert_int_equal(i->qm.akey_len, 0);
    assert_int_equal(t->nreq, 5); /* pool, inbound SA, outbound SA, rule, route */
    in = &t->req[1].u.sa;
    out = &t->req[2].u.sa;
    assert_int_equal(t->req[1].type, FWD_SA_ADD);
    check_gcm_sa(in, FWD_DIR_IN, i->qm.spi_r, i->qm.ekey_ir, 20);
    check_gcm_sa(out, FWD_DIR_OUT, i->qm.spi_i, i->qm.ekey_ri, 20);
    assert_memory_not_equal(in->cipher_key, out->cipher_key, 20);
    esp_agrees(i->qm.ekey_ir, in->cipher_key, 20, i->qm.spi_r);  /* the initiator's traffic */
    esp_agrees(out->cipher_key, i->qm.ekey_ri, 20, i->qm.spi_i); /* and back */
    if (strstr(log, "established: esp aes-128-gcm none PFS") == NULL)
        fail_msg("log:\n%s", log);
    free(log);
    ikei_free(i);
    kt_free(t);
    free(conf);
}

static void test_gcm256_show_and_key_log(void **state)
{
    char *conf = gcm_conf(), path[] = "/tmp/kmd-gcm-keylog-XXXXXX", hex[80], *text;
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = kt_peer("198.51.100.41", PSK, gcm256);
    int fd = mkstemp(path);
    struct buf b;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(kmd_keylog_open(t->k, path), 0);
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    check_gcm_sa(&kt_nth(t, FWD_SA_ADD, 0)->u.sa, FWD_DIR_IN, i->qm.spi_r, i->qm.ekey_ir, 36);
    assert_int_equal(kt_nth(t, FWD_SA_ADD, 1)->u.sa.hard_seconds, 3600); /* esp-gcm256's */
    text = buf_read_file(path);
    assert_non_null(text);
    hex_str(i->qm.ekey_ir, 36, hex);
    assert_non_null(strstr(text, hex));
    assert_non_null(strstr(text, "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x"));
    assert_non_null(strstr(text, "\"NULL\",\"0x\""));
    free(text);
    unlink(path);
    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, "get-services-security-associations-information",
                             "<get-services-security-associations-information><detail/>"
                             "</get-services-security-associations-information>",
                             &b),
                     0);
    assert_non_null(strstr(b.s, "<sa-encryption-algorithm>aes-256-gcm</sa-encryption-algorithm>"));
    assert_non_null(strstr(b.s, "<sa-authentication-algorithm>none</sa-authentication-algorithm>"));
    buf_free(&b);
    ikei_free(i);
    kt_free(t);
    free(conf);
}

static void gcm8(struct ikei_conf *c)
{
    gcm128(c);
    c->esp_id = ISAKMP_ESP_AES_GCM_8;
}

static void gcm12(struct ikei_conf *c)
{
    gcm128(c);
    c->esp_id = ISAKMP_ESP_AES_GCM_12;
}

static void gcm_with_hmac(struct ikei_conf *c)
{
    gcm128(c);
    c->aalg = ISAKMP_AALG_HMAC_SHA;
}

static void gcm_no_keylen(struct ikei_conf *c)
{
    gcm128(c);
    c->esp_keylen = 0;
}

static void gcm_implicit(struct ikei_conf *c)
{
    gcm128(c);
    c->pfs_group = 0;
}

static void refused(const char *conf, const char *addr, void (*tweak)(struct ikei_conf *),
                    const char *why)
{
    kt_qm_refused(conf, PSK, addr, tweak, why);
}

static void test_gcm_refused(void **state)
{
    char *conf = gcm_conf();

    (void)state;
    /* only when configured: the implicit proposal and sg1's policy have no GCM */
    refused(KT_IMPLICIT, "198.51.100.42", gcm_implicit,
            "esp aes-128-gcm/none not allowed by the implicit proposal");
    refused(KT_SG1, "198.51.100.43", gcm128,
            "esp aes-128-gcm/none not allowed by ipsec-policy ipsec-dyn");
    /* what fwdd does not run, and malformed GCM transforms */
    refused(conf, "198.51.100.44", gcm8,
            "ESP_AES-GCM_8 is not supported by fwdd (AES-GCM with a 16-octet ICV is)");
    refused(conf, "198.51.100.45", gcm12, "ESP_AES-GCM_12 is not supported by fwdd");
    refused(conf, "198.51.100.46", gcm_with_hmac,
            "ESP_AES-GCM_16 with integrity algorithm 2 (GCM is its own)");
    refused(conf, "198.51.100.47", gcm_no_keylen, "ESP_AES-GCM_16 with key length 0");
    free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gcm128_accepted_with_pfs),
        cmocka_unit_test(test_gcm256_show_and_key_log),
        cmocka_unit_test(test_gcm_refused),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
