/*
 * test_ah: AH (RFC 4302) and AH+ESP bundle manual SAs between two
 * in-process appliances joined by socketpairs (twobox.h, tunnel_traffic.h):
 * AH with hmac-sha1-96, a bundle of aes-128-cbc inside hmac-sha-256-128,
 * a bundle of aes-128-gcm inside hmac-md5-96.  Each carries a ping both
 * ways and 1 MiB of TCP (SHA-256 checked); every packet A sends is AH
 * (protocol 51) with the SA's SPI, sequence numbers 1, 2, 3, ..., next
 * header 4 (AH) or 50 with the bundle's ESP SPI, and an ICV that OpenSSL's
 * HMAC alone (the mutable fields masked here, not by lib/crypto/ah.c)
 * computes from the configured key; the counters land in the AH and ESP
 * statistics; the tunnel MTU has the AH (and ESP) overhead.  At B: a
 * packet whose TOS, flags and TTL changed in transit is accepted; a replay
 * and a tampered packet are counted; the ESP of a bundle without its AH
 * finds no SA.  What cannot be used (AH with encryption, a bundle without
 * auxiliary-spi, AH in UDP) leaves the term without SAs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "twobox.h"

#include "tunnel_traffic.h"

#include <openssl/hmac.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

struct run {
    const char *name, *dir; /* manual direction body, with %s for the keys' hex */
    const char *auth_hex;   /* the AH key as configured */
    const EVP_MD *(*md)(void);
    size_t icv;   /* AH ICV bytes */
    int bundle;   /* ESP SPI 1001 inside */
    unsigned mtu; /* the tunnel MTU for a 1500-byte port */
};

#define K20 "0102030405060708090a0b0c0d0e0f1011121314"
#define K32 "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
#define K16 "4142434445464748494a4b4c4d4e4f50"

static const struct run runs[] = {
    /* 1500 - 20 - 24 (AH with a 12-byte ICV) */
    {"ah",
     "protocol ah; spi 1000; authentication { algorithm hmac-sha1-96; key hexadecimal " K20 "; }",
     K20, EVP_sha1, 12, 0, 1456},
    /* 1500 - 20 - 28 (AH, 16-byte ICV) - 8 - 16 (IV), to 16 bytes, - 2 */
    {"bundle-cbc",
     "protocol bundle; spi 1000; auxiliary-spi 1001; authentication { algorithm "
     "hmac-sha-256-128; key hexadecimal " K32 "; } encryption { algorithm aes-128-cbc; key "
     "hexadecimal " K16 "; }",
     K32, EVP_sha256, 16, 1, 1422},
    /* 1500 - 20 - 24 - 8 - 8 (IV) - 16 (GCM tag), to 4 bytes, - 2 */
    {"bundle-gcm",
     "protocol bundle; spi 1000; auxiliary-spi 1001; authentication { algorithm hmac-md5-96; "
     "key hexadecimal " K16 "; } encryption { algorithm aes-128-gcm; key hexadecimal " K16
     "01020304; }",
     K16, EVP_md5, 12, 1, 1422},
};

static const struct run *cur;
static unsigned wire_packets;
static uint8_t last[2100];
static size_t last_len;

static void pair(const char *opts, const char *dir)
{
    A = box_new(tunnel_conf(0, opts, dir));
    B = box_new(tunnel_conf(1, opts, dir));
    lan_host(A, A_HOST, A_LAN);
    lan_host(B, B_HOST, B_LAN);
}

/* The ICV of an AH packet: OpenSSL's HMAC over the header with TOS,
 * flags, TTL and checksum zeroed (no options here), the AH header with a
 * zero ICV, the rest. */
static void ref_icv(const uint8_t *ip, size_t len, uint8_t *out)
{
    uint8_t buf[2100], key[32], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    size_t klen = strlen(cur->auth_hex) / 2;

    for (size_t i = 0; i < klen; i++)
        sscanf(cur->auth_hex + 2 * i, "%2hhx", &key[i]);
    memcpy(buf, ip, len);
    buf[1] = buf[6] = buf[7] = buf[8] = buf[10] = buf[11] = 0;
    memset(buf + 20 + 12, 0, cur->icv);
    assert_non_null(HMAC(cur->md(), key, (int)klen, buf, len, md, &mdlen));
    memcpy(out, md, cur->icv);
}

static void wire(const uint8_t *f, size_t n)
{
    const uint8_t *ip = f + 14, *ah = ip + 20;
    uint8_t icv[16];
    size_t len;

    if (n < 14 + 20 || get16(f + 12) != ETHTYPE_IPV4 || ip[0] != 0x45)
        return;
    len = get16(ip + 2);
    assert_int_equal(ip[9], 51); /* nothing but AH between the gateways */
    assert_int_equal(ah[1], (12 + cur->icv) / 4 - 2);
    assert_int_equal(get32(ah + 4), 1000);
    assert_int_equal(get32(ah + 8), wire_packets + 1);
    ref_icv(ip, len, icv);
    assert_memory_equal(ah + 12, icv, cur->icv);
    if (cur->bundle) {
        const uint8_t *esp = ah + 12 + cur->icv;
        assert_int_equal(ah[0], 50);
        assert_int_equal(get32(esp), 1001);
        assert_int_equal(get32(esp + 4), wire_packets + 1);
    } else {
        assert_int_equal(ah[0], 4); /* the inner packet, in clear */
        assert_int_equal(ah[12 + cur->icv], 0x45);
    }
    memcpy(last, f, n);
    last_len = n;
    wire_packets++;
}

/* Send ip from A's LAN, hold A's AH packet, change what RFC 4302 lets
 * change in transit (TOS, flags, TTL, checksum), deliver it to B: B's LAN
 * must get the inner packet. */
static void mutable_fields_in_transit(void)
{
    uint8_t ip[200], f[300];
    size_t n = icmp4_echo_build(ip, sizeof(ip), A_HOST, B_HOST, 78, 1, 56, 64, 1, 1), m;

    in_frame(A, 0, f, eth(A, 0, f, ETHTYPE_IPV4, ip, n));
    assert_true((m = out_frame(A, 1, f, sizeof(f))) > 0);
    wire(f, m);
    f[14 + 1] = 0x28;  /* TOS */
    f[14 + 6] ^= 0x40; /* DF */
    f[14 + 8] = 3;     /* TTL */
    ip4_set_csum(f + 14);
    in_frame(B, 1, f, m);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 14 + n);
    assert_int_equal(get16(f + 14 + 24), 78);
}

TEST(ah_and_bundles_carry_ping_and_a_megabyte_of_tcp)
{
    uint8_t ip[1600], f[1700];
    unsigned segs, acks;
    size_t n;

    wire_tap = wire;
    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        const struct sa_counters *a, *b;
        cur = &runs[r];
        wire_packets = 0;
        pair("", cur->dir);
        assert_int_equal(tun(A)->sas->proto, FWD_PROTO_AH);
        assert_int_equal(tun(A)->sas->esp != NULL, cur->bundle);
        ping_both_ways();
        tcp_transfer(&segs, &acks);
        a = &tun(A)->st;
        b = &tun(B)->st;
        assert_int_equal(a->ah_out_packets, segs + 1);
        assert_int_equal(b->ah_in_packets, segs + 1);
        assert_int_equal(b->ah_out_packets, acks + 1);
        assert_int_equal(a->enc_packets, cur->bundle ? segs + 1 : 0);
        assert_int_equal(b->dec_packets, cur->bundle ? segs + 1 : 0);
        assert_true(b->ah_in_bytes > XFER);
        assert_int_equal(wire_packets, a->ah_out_packets);
        assert_int_equal(a->ah_auth_failures + b->ah_auth_failures + a->auth_failures +
                             b->auth_failures + b->bad_headers + b->replay_errors,
                         0);
        mutable_fields_in_transit();
        /* the tunnel MTU: AH's (and ESP's) overhead */
        n = udp_pkt(ip, A_HOST, B_HOST, 1500 - 28, 1, 9);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 0);
        assert_int_equal(needfrag_mtu(), (int)cur->mtu);
        n = udp_pkt(ip, A_HOST, B_HOST, cur->mtu - 28, 1, 10);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 14 + cur->mtu);
        /* the last packet again: a replay; tampered with a fresh sequence
         * number: an AH authentication failure; nothing reaches B's LAN */
        memcpy(f, last, last_len);
        in_frame(B, 1, f, last_len);
        assert_int_equal(b->replay_errors, 1);
        put32(f + 14 + 20 + 8, 0x7fffffff);
        in_frame(B, 1, f, last_len);
        assert_int_equal(b->ah_auth_failures, 1);
        assert_int_equal(b->auth_failures, 0);
        assert_int_equal(B->fw->st.drop[DROP_AH_AUTH], 1);
        assert_int_equal(out_frame(B, 0, f, sizeof(f)), 0);
        if (cur->bundle) { /* the ESP alone, its AH stripped: no SA for it */
            size_t ah = 12 + cur->icv;
            memcpy(f, last, 14 + 20);
            memcpy(f + 14 + 20, last + 14 + 20 + ah, last_len - 14 - 20 - ah);
            f[14 + 9] = 50;
            put16(f + 14 + 2, (uint16_t)(get16(f + 14 + 2) - ah));
            ip4_set_csum(f + 14);
            in_frame(B, 1, f, last_len - ah);
            assert_int_equal(B->fw->st.drop[DROP_ESP_NO_SA], 1);
            assert_int_equal(out_frame(B, 0, f, sizeof(f)), 0);
        }
        unpair();
    }
    wire_tap = NULL;
}

TEST(ah_sa_refusals)
{
    static const char *const bad[][2] = {
        {"", "protocol ah; spi 1000; authentication { algorithm hmac-sha1-96; key hexadecimal " K20
             "; } encryption { algorithm aes-128-cbc; key hexadecimal " K16 "; }"},
        {"",
         "protocol bundle; spi 1000; authentication { algorithm hmac-sha1-96; key hexadecimal " K20
         "; } encryption { algorithm aes-128-cbc; key hexadecimal " K16 "; }"},
        {"", "protocol ah; spi 1000;"},
        {"udp-encapsulate;", "protocol ah; spi 1000; authentication { algorithm hmac-sha1-96; key "
                             "hexadecimal " K20 "; }"},
    };
    uint8_t ip[200], f[300];
    size_t n = icmp4_echo_build(ip, sizeof(ip), A_HOST, B_HOST, 1, 1, 8, 64, 0, 1);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pair(bad[i][0], bad[i][1]);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 0);
        assert_int_equal(A->fw->st.drop[DROP_SS_NO_SA], 1);
        assert_int_equal(pump(A, B), 0); /* nothing left in clear either */
        unpair();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ah_and_bundles_carry_ping_and_a_megabyte_of_tcp),
        cmocka_unit_test(ah_sa_refusals),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
