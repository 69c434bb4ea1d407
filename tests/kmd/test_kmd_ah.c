/*
 * test_kmd_ah: AH (RFC 4302) and AH+ESP bundles (Junos `protocol bundle`)
 * in kmd's quick mode, in-process against the test initiator
 * (tests/ikeinit) with mocked fwdd and clock.
 *
 * Accepted when the ipsec-policy has a proposal with `protocol ah` or
 * `protocol bundle`: QM2 echoes the peer's proposal (a bundle: AH and ESP
 * under the same proposal number, in the peer's order, each with kmd's
 * SPI), fwdd is asked for FWD_PROTO_AH / FWD_PROTO_BUNDLE SAs whose keys
 * are the initiator's KEYMAT per protocol and SPI (AH's integrity key under
 * the AH SPI, ESP's cipher key under the ESP SPI, carried as aux_spi), and
 * packets protected with one end's keys verify and open with the other's.
 * Show gives `sa-protocol` AH / BUNDLE and the ESP SPI as `sa-aux-spi`; a
 * clear releases the SAs with their protocol and sends D(AH) and D(ESP);
 * the peer's D(AH) ends an AH tunnel.  The key log has a bundle's ESP SAs
 * (NULL integrity) and no AH key.
 * Refused (NO-PROPOSAL-CHOSEN, the reason logged, nothing asked of fwdd):
 * AH under the implicit proposal, a bundle's ESP with an integrity
 * algorithm, AH_DES, an AH transform whose authentication attribute
 * disagrees, a bundle where only AH is configured, AH across a NAT.
 */
#include "kmdtest.h"

#include "buf.h"
#include "crypto/ah.h"
#include "crypto/esp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PSK "opensg-lab-psk"

/* KT_SG1 whose ipsec-policy also allows AH and bundles (PFS group14). */
static char *ah_conf(const char *extra_proposals, const char *names)
{
    char *a = kt_subst(KT_SG1, "            policy ipsec-dyn {\n", extra_proposals);
    char *b = kt_subst(a, "proposals esp-aes128-sha1;", names);

    free(a);
    return b;
}

static const char AH_PROPS[] = "            proposal ah-sha1 {\n"
                               "                protocol ah;\n"
                               "                authentication-algorithm hmac-sha1-96;\n"
                               "            }\n"
                               "            proposal bundle-aes-sha256 {\n"
                               "                protocol bundle;\n"
                               "                authentication-algorithm hmac-sha-256-128;\n"
                               "                encryption-algorithm aes-128-cbc;\n"
                               "                lifetime-seconds 3600;\n"
                               "            }\n"
                               "            proposal bundle-gcm {\n"
                               "                protocol bundle;\n"
                               "                encryption-algorithm aes-256-gcm;\n"
                               "            }\n"
                               "            policy ipsec-dyn {\n";
static const char AH_NAMES[] =
    "proposals [ esp-aes128-sha1 ah-sha1 bundle-aes-sha256 bundle-gcm ];";

static void ah(struct ikei_conf *c)
{
    c->p2_proto = ISAKMP_PROTO_IPSEC_AH;
    c->aalg = ISAKMP_AALG_HMAC_SHA;
}

static void bundle(struct ikei_conf *c)
{
    c->p2_proto = IKEI_BUNDLE;
    c->aalg = ISAKMP_AALG_HMAC_SHA2_256;
    c->esp_id = ISAKMP_ESP_AES;
    c->esp_keylen = 128;
}

static void bundle_esp_first(struct ikei_conf *c)
{
    bundle(c);
    c->esp_first = true;
}

static void bundle_gcm(struct ikei_conf *c)
{
    bundle(c);
    c->aalg = ISAKMP_AALG_HMAC_MD5;
    c->esp_id = ISAKMP_ESP_AES_GCM_16;
    c->esp_keylen = 256;
}

/* An IPv4 packet 198.51.100.1 -> 203.0.113.1 with an AH header and
 * payload bytes after it, sealed with tx and verified with rx. */
static void ah_agrees(enum esp_integ integ, const uint8_t *tx_key, const uint8_t *rx_key,
                      size_t klen, uint32_t spi)
{
    struct ah_xform *tx = ah_xform_new(integ, tx_key, klen),
                    *rx = ah_xform_new(integ, rx_key, klen);
    uint8_t ip[128] = {0x45, 0, 0,   128, 0x12, 0x34, 0,   0, 64,  51,
                       0,    0, 198, 51,  100,  1,    203, 0, 113, 1};

    assert_non_null(tx);
    assert_non_null(rx);
    memset(ip + 20 + ah_xform_hdr_len(tx), 0xa5, sizeof(ip) - 20 - ah_xform_hdr_len(tx));
    assert_int_equal(ah_seal(tx, spi, 1, 4, ip, sizeof(ip)), ESP_OK);
    assert_int_equal(ah_icv_verify(rx, ip, sizeof(ip)), ESP_OK);
    ip[100] ^= 1; /* and a changed byte does not */
    assert_int_equal(ah_icv_verify(rx, ip, sizeof(ip)), ESP_ERR_ICV);
    ah_xform_free(tx);
    ah_xform_free(rx);
}

/* ESP without integrity (a bundle's, AES-CBC) or AES-GCM: one end's
 * cipher key opens what the other sealed. */
static void esp_agrees(bool gcm, const uint8_t *tx_key, const uint8_t *rx_key, size_t klen,
                       uint32_t spi)
{
    struct esp_xform *tx =
        gcm ? esp_xform_new_gcm(ESP_OUTBOUND, tx_key, klen)
            : esp_xform_new_cipher_only(ESP_OUTBOUND, CRYPTO_CIPHER_AES128_CBC, tx_key, klen);
    struct esp_xform *rx =
        gcm ? esp_xform_new_gcm(ESP_INBOUND, rx_key, klen)
            : esp_xform_new_cipher_only(ESP_INBOUND, CRYPTO_CIPHER_AES128_CBC, rx_key, klen);
    uint8_t pkt[256], nh;
    size_t n, off, len;

    assert_non_null(tx);
    assert_non_null(rx);
    memcpy(pkt + esp_payload_offset(tx), "an inner packet", 15);
    assert_int_equal(esp_seal(tx, spi, 1, 4, NULL, pkt, 15, sizeof(pkt), &n), ESP_OK);
    assert_int_equal(esp_open(rx, pkt, n, &off, &len, &nh), ESP_OK);
    assert_int_equal(len, 15);
    assert_memory_equal(pkt + off, "an inner packet", 15);
    esp_xform_free(tx);
    esp_xform_free(rx);
}

static char *show(struct kt *t)
{
    struct buf b;

    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, "get-services-security-associations-information",
                             "<get-services-security-associations-information><detail/>"
                             "</get-services-security-associations-information>",
                             &b),
                     0);
    return b.s;
}

static void expect(const char *text, const char *what)
{
    if (text == NULL || strstr(text, what) == NULL)
        fail_msg("lacks \"%s\":\n%s", what, text ? text : "(null)");
}

static void test_ah_accepted(void **state)
{
    char *conf = ah_conf(AH_PROPS, AH_NAMES), *log, *x, want[96];
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = kt_peer("198.51.100.50", PSK, ah);
    const struct fwd_sa *in, *out;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), 0);
    log = kt_log_end();
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(t->nreq, 5); /* pool, inbound SA, outbound SA, rule, route */
    in = &kt_nth(t, FWD_SA_ADD, 0)->u.sa;
    out = &kt_nth(t, FWD_SA_ADD, 1)->u.sa;
    for (int d = 0; d < 2; d++) {
        const struct fwd_sa *s = d ? out : in;
        assert_int_equal(s->proto, FWD_PROTO_AH);
        assert_int_equal(s->dir, d ? FWD_DIR_OUT : FWD_DIR_IN);
        assert_int_equal(s->cipher, FWD_CIPHER_NULL);
        assert_int_equal(s->cipher_key_len, 0);
        assert_int_equal(s->auth, FWD_AUTH_HMAC_SHA1_96);
        assert_int_equal(s->auth_key_len, 20);
        assert_int_equal(s->aux_spi, 0);
        assert_int_equal(s->encap, FWD_ENCAP_NONE);
    }
    assert_int_equal(ntohl(in->spi), i->qm.spi_r);
    assert_int_equal(ntohl(out->spi), i->qm.spi_i);
    assert_memory_equal(in->auth_key, i->qm.akey_ir, 20);
    assert_memory_equal(out->auth_key, i->qm.akey_ri, 20);
    assert_memory_not_equal(in->auth_key, out->auth_key, 20);
    ah_agrees(ESP_INTEG_HMAC_SHA1_96, i->qm.akey_ir, in->auth_key, 20, i->qm.spi_r);
    ah_agrees(ESP_INTEG_HMAC_SHA1_96, out->auth_key, i->qm.akey_ri, 20, i->qm.spi_i);
    expect(log, "established: ah none hmac-sha1-96 PFS");
    free(log);
    x = show(t);
    expect(x, "<sa-protocol>AH</sa-protocol>");
    expect(x, "<sa-authentication-algorithm>hmac-sha1-96</sa-authentication-algorithm>");
    expect(x, "<sa-encryption-algorithm>none</sa-encryption-algorithm>");
    expect(x, "<sa-aux-spi>0</sa-aux-spi>");
    snprintf(want, sizeof(want), "<sa-spi>%u</sa-spi>", i->qm.spi_r);
    expect(x, want);
    free(x);
    /* the peer's D(AH) of its inbound SPI: kmd releases both AH SAs */
    {
        uint8_t pkt[512];
        size_t n;
        assert_int_equal(ikei_delete_esp(i, pkt, sizeof(pkt), &n), 0);
        kt_send(t, i, pkt, n);
    }
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2);
    for (unsigned n = 0; n < 2; n++)
        assert_int_equal(kt_nth(t, FWD_SA_DEL, n)->u.ref.proto, FWD_PROTO_AH);
    ikei_free(i);
    kt_free(t);
    free(conf);
}

static void bundle_case(void (*tweak)(struct ikei_conf *), const char *addr, bool gcm)
{
    char *conf = ah_conf(AH_PROPS, AH_NAMES), *log, *x, want[96];
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = kt_peer(addr, PSK, tweak);
    const struct fwd_sa *in, *out;
    size_t ek = gcm ? 36 : 16, ak = gcm ? 16 : 32;
    enum esp_integ integ = gcm ? ESP_INTEG_HMAC_MD5_96 : ESP_INTEG_HMAC_SHA256_128;

    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), 0); /* QM2's order and numbers checked by the initiator */
    log = kt_log_end();
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    in = &kt_nth(t, FWD_SA_ADD, 0)->u.sa;
    out = &kt_nth(t, FWD_SA_ADD, 1)->u.sa;
    for (int d = 0; d < 2; d++) {
        const struct fwd_sa *s = d ? out : in;
        assert_int_equal(s->proto, FWD_PROTO_BUNDLE);
        assert_int_equal(s->cipher, gcm ? FWD_CIPHER_AES_GCM_16 : FWD_CIPHER_AES_CBC);
        assert_int_equal(s->cipher_key_len, ek);
        assert_int_equal(s->auth, gcm ? FWD_AUTH_HMAC_MD5_96 : FWD_AUTH_HMAC_SHA256_128);
        assert_int_equal(s->auth_key_len, ak);
        assert_int_equal(s->hard_seconds, gcm ? 3960 : 3600); /* offered, or the proposal's */
    }
    /* spi is AH's, aux_spi ESP's; kmd's inbound ones are what QM2 gave */
    assert_int_equal(ntohl(in->spi), i->qm.spi_r);
    assert_int_equal(ntohl(in->aux_spi), i->qm.aux_r);
    assert_int_equal(ntohl(out->spi), i->qm.spi_i);
    assert_int_equal(ntohl(out->aux_spi), i->qm.aux_i);
    assert_int_not_equal(i->qm.spi_r, i->qm.aux_r);
    assert_memory_equal(in->auth_key, i->qm.akey_ir, ak);
    assert_memory_equal(in->cipher_key, i->qm.ekey_ir, ek);
    assert_memory_equal(out->auth_key, i->qm.akey_ri, ak);
    assert_memory_equal(out->cipher_key, i->qm.ekey_ri, ek);
    ah_agrees(integ, i->qm.akey_ir, in->auth_key, ak, i->qm.spi_r);
    ah_agrees(integ, out->auth_key, i->qm.akey_ri, ak, i->qm.spi_i);
    esp_agrees(gcm, i->qm.ekey_ir, in->cipher_key, ek, i->qm.aux_r);
    esp_agrees(gcm, out->cipher_key, i->qm.ekey_ri, ek, i->qm.aux_i);
    expect(log, gcm ? "established: bundle aes-256-gcm hmac-md5-96 PFS"
                    : "established: bundle aes-128-cbc hmac-sha-256-128 PFS");
    snprintf(want, sizeof(want), " (AH), ESP in %08x out %08x", i->qm.aux_r, i->qm.aux_i);
    expect(log, want);
    free(log);
    x = show(t);
    expect(x, "<sa-protocol>BUNDLE</sa-protocol>");
    snprintf(want, sizeof(want), "<sa-spi>%u</sa-spi>\n      <sa-aux-spi>%u</sa-aux-spi>",
             i->qm.spi_r, i->qm.aux_r);
    expect(x, want);
    free(x);
    /* kmd ends it (clear): D(AH) and D(ESP) to the peer, SAs released as bundles */
    {
        struct buf b;
        buf_init(&b);
        assert_int_equal(kmd_rpc(t->k, "clear-services-ipsec-vpn-security-associations",
                                 "<clear-services-ipsec-vpn-security-associations/>", &b),
                         0);
        buf_free(&b);
    }
    kt_flush(t);
    kt_deliver(t, i);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(i->deletes, 2); /* in the peer's order: the last is ESP's, or AH's */
    assert_int_equal(i->last_delete_proto,
                     i->c.esp_first ? ISAKMP_PROTO_IPSEC_AH : ISAKMP_PROTO_IPSEC_ESP);
    assert_int_equal(i->last_delete_spi, i->c.esp_first ? i->qm.spi_r : i->qm.aux_r);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2);
    for (unsigned n = 0; n < 2; n++)
        assert_int_equal(kt_nth(t, FWD_SA_DEL, n)->u.ref.proto, FWD_PROTO_BUNDLE);
    ikei_free(i);
    kt_free(t);
    free(conf);
}

static void test_bundle_ah_then_esp(void **state)
{
    (void)state;
    bundle_case(bundle, "198.51.100.51", false);
}

static void test_bundle_esp_then_ah(void **state)
{
    (void)state;
    bundle_case(bundle_esp_first, "198.51.100.52", false);
}

static void test_bundle_gcm(void **state)
{
    (void)state;
    bundle_case(bundle_gcm, "198.51.100.53", true);
}

static void test_ah_key_log(void **state)
{
    char *conf = ah_conf(AH_PROPS, AH_NAMES), path[] = "/tmp/kmd-ah-keylog-XXXXXX", *text;
    char want[160], hex[80];
    struct kt *t = kt_new(conf, PSK);
    struct ikei *a = kt_peer("198.51.100.54", PSK, ah), *b = kt_peer("198.51.100.55", PSK, bundle);
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(kmd_keylog_open(t->k, path), 0);
    assert_int_equal(kt_mm(t, a), 0);
    assert_int_equal(kt_qm(t, a), 0);
    assert_int_equal(kt_mm(t, b), 0);
    assert_int_equal(kt_qm(t, b), 0);
    text = buf_read_file(path);
    assert_non_null(text);
    expect(text, "peer 198.51.100.54 service set SG1 (AH: no keys needed)\n# ");
    expect(text, "peer 198.51.100.55 service set SG1 (AH+ESP bundle: the ESP SAs)\n");
    hex_str(b->qm.ekey_ir, 16, hex);
    snprintf(want, sizeof(want), "\"0x%08x\",\"AES-CBC [RFC3602]\",\"0x%s\",\"NULL\",\"0x\"",
             b->qm.aux_r, hex);
    expect(text, want);
    hex_str(a->qm.akey_ir, 20, hex); /* AH's key is in no line */
    assert_null(strstr(text, hex));
    free(text);
    unlink(path);
    ikei_free(a);
    ikei_free(b);
    kt_free(t);
    free(conf);
}

static void refused(const char *conf, const char *addr, void (*tweak)(struct ikei_conf *),
                    const char *why)
{
    kt_qm_refused(conf, PSK, addr, tweak, why);
}

static void ah_implicit(struct ikei_conf *c)
{
    ah(c);
    c->pfs_group = 0;
}

static void bundle_esp_hmac(struct ikei_conf *c)
{
    bundle(c);
    c->bundle_esp_aalg = ISAKMP_AALG_HMAC_SHA;
}

static void ah_des(struct ikei_conf *c)
{
    ah(c);
    c->ah_id = ISAKMP_AH_DES;
}

static void ah_disagrees(struct ikei_conf *c)
{
    ah(c);
    c->ah_id = ISAKMP_AH_MD5; /* with HMAC-SHA as its attribute */
}

static void ah_nat(struct ikei_conf *c)
{
    ah(c);
    c->force_natt = true;
}

static void test_refused(void **state)
{
    char *conf = ah_conf(AH_PROPS, AH_NAMES);
    char *ah_only = ah_conf(AH_PROPS, "proposals ah-sha1;");

    (void)state;
    refused(KT_IMPLICIT, "198.51.100.60", ah_implicit,
            "ah hmac-sha1-96 not allowed by the implicit proposal");
    refused(conf, "198.51.100.61", bundle_esp_hmac,
            "ESP with integrity algorithm 2 in an AH+ESP bundle");
    refused(conf, "198.51.100.62", ah_des, "AH_DES (AH needs AH_MD5, AH_SHA or AH_SHA2-256)");
    refused(conf, "198.51.100.63", ah_disagrees, "AH transform 2 with authentication algorithm 2");
    refused(ah_only, "198.51.100.64", bundle,
            "bundle aes-128-cbc/hmac-sha-256-128 not allowed by ipsec-policy ipsec-dyn");
    refused(conf, "198.51.100.65", ah_nat, "AH with a NAT detected (AH cannot cross a NAT");
    free(conf);
    free(ah_only);
}

/* A bundle offered where only AH is configured: the failure record names
 * what is accepted in AH's words (no cipher). */
static void test_failure_reason(void **state)
{
    char *conf = ah_conf(AH_PROPS, "proposals ah-sha1;");
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = kt_peer("198.51.100.66", PSK, bundle);
    struct buf b;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), -1);
    buf_init(&b);
    assert_int_equal(
        kmd_rpc(t->k, "get-ike-negotiation-failures", "<get-ike-negotiation-failures/>", &b), 0);
    expect(b.s, "no acceptable proposal: bundle aes-128-cbc/hmac-sha-256-128 not allowed by "
                "ipsec-policy ipsec-dyn; accepted ah hmac-sha1-96 with PFS group14 (ipsec-policy "
                "ipsec-dyn)");
    buf_free(&b);
    ikei_free(i);
    kt_free(t);
    free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ah_accepted),        cmocka_unit_test(test_bundle_ah_then_esp),
        cmocka_unit_test(test_bundle_esp_then_ah), cmocka_unit_test(test_bundle_gcm),
        cmocka_unit_test(test_ah_key_log),         cmocka_unit_test(test_refused),
        cmocka_unit_test(test_failure_reason),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
