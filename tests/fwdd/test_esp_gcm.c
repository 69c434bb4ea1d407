/*
 * test_esp_gcm: AES-GCM manual SAs (RFC 4106) between two in-process
 * appliances joined by socketpairs (twobox.h), raw ESP with aes-128-gcm
 * and ESP in UDP with aes-256-gcm: a ping both ways, then 1 MiB of TCP
 * from A's LAN to B's (SHA-256 of what B's LAN receives checked, ACKs
 * back); every ESP packet on the wire has an 8-byte IV that never repeats
 * and decrypts with the configured key and salt through the AEAD primitive
 * alone; the tunnel MTU has GCM's overhead; a replayed and a tampered
 * packet are counted; a GCM SA with an authentication algorithm or a key
 * without its salt is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "twobox.h"

#include "tunnel_traffic.h"

#include "crypto/cipher.h"
#include "crypto/esp.h"

#define TEST(name) static void name(void **state __attribute__((unused)))

struct run {
    const char *alg, *opts;
    size_t key_len; /* AES key and salt */
    unsigned mtu;   /* the tunnel MTU for a 1500-byte port */
};

static const struct run runs[] = {
    /* 1500 - 20 - 8 (SPI, seq) - 8 (IV) - 16 (ICV), to 4 bytes, - 2 */
    {"aes-128-gcm", "", 20, 1446},
    {"aes-256-gcm", "udp-encapsulate;", 36, 1438}, /* UDP header: 8 more */
};

static uint8_t key[36];

static char *keys_text(const struct run *r, const char *extra)
{
    static char buf[512];
    char hex[80];

    for (size_t i = 0; i < r->key_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(buf, sizeof(buf),
             "protocol esp; spi 1000; %s encryption { algorithm %s; key hexadecimal %s; }",
             extra ? extra : "", r->alg, hex);
    return buf;
}

static char *conf(int b, const struct run *r, const char *extra)
{
    return tunnel_conf(b, r->opts, keys_text(r, extra));
}

static void pair(const struct run *r)
{
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(0xa0 + 3 * i);
    A = box_new(conf(0, r, NULL));
    B = box_new(conf(1, r, NULL));
    lan_host(A, A_HOST, A_LAN);
    lan_host(B, B_HOST, B_LAN);
}

/* The ESP packets A sent, checked as they go by. */
static const struct run *cur;
static unsigned wire_packets;
static uint8_t last_iv[8], last_esp[2100];
static size_t last_esp_len;

/* Decrypt an ESP packet of A's with the AEAD primitive and the key and
 * salt as configured, nothing of fwdd's: the inner packet must be valid. */
static void wire(const uint8_t *f, size_t n)
{
    const uint8_t *ip = f + 14, *esp;
    uint8_t nonce[12], pt[2100];
    size_t hl, esplen, clen;
    struct gcm *g;

    if (n < 14 + 20 || get16(f + 12) != ETHTYPE_IPV4 || (ip[9] != IPPROTO_ESP_ && ip[9] != 17))
        return;
    hl = ip[9] == IPPROTO_ESP_ ? 20 : 28;
    assert_int_equal(ip[9] == 17, cur->opts[0] != '\0');
    esp = ip + hl;
    esplen = get16(ip + 2) - hl;
    assert_int_equal(get32(esp), 1000);
    assert_true(esplen >= 8 + 8 + 4 + 16);
    clen = esplen - 8 - 8 - 16;
    assert_int_equal(clen % 4, 0);
    assert_memory_not_equal(esp + 8, last_iv, 8); /* IVs never repeat */
    memcpy(last_iv, esp + 8, 8);
    memcpy(nonce, key + cur->key_len - 4, 4);
    memcpy(nonce + 4, esp + 8, 8);
    memcpy(pt, esp + 16, clen);
    g = gcm_new(CBC_DECRYPT, key, cur->key_len - 4);
    assert_non_null(g);
    assert_int_equal(gcm_open(g, nonce, esp, 8, pt, clen, esp + 16 + clen), 0);
    gcm_free(g);
    assert_int_equal(pt[clen - 1], 4); /* IPv4 inside */
    assert_int_equal(get16(pt + 2), clen - 2 - pt[clen - 2]);
    assert_true(pt[clen - 2] <= 3);
    memcpy(last_esp, f, n);
    last_esp_len = n;
    wire_packets++;
}

TEST(gcm_tunnels_carry_ping_and_a_megabyte_of_tcp)
{
    uint8_t ip[1600], f[1700];
    unsigned segs, acks;
    size_t n;

    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        cur = &runs[r];
        wire_packets = 0;
        memset(last_iv, 0, sizeof(last_iv));
        pair(cur);
        assert_true(esp_xform_is_gcm(tun(A)->sas->xf));
        assert_int_equal(tun(A)->sas->icv_len, 16);
        wire_tap = wire;
        ping_both_ways();
        tcp_transfer(&segs, &acks);
        assert_int_equal(tun(A)->st.enc_packets, segs + 1);
        assert_int_equal(tun(B)->st.dec_packets, segs + 1);
        assert_int_equal(tun(B)->st.enc_packets, acks + 1);
        assert_int_equal(tun(B)->st.auth_failures + tun(A)->st.auth_failures, 0);
        assert_int_equal(wire_packets, tun(A)->st.enc_packets);
        /* the tunnel MTU: GCM's overhead */
        n = udp_pkt(ip, A_HOST, B_HOST, 1500 - 28, 1, 9);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 0);
        assert_int_equal(needfrag_mtu(), (int)cur->mtu);
        n = udp_pkt(ip, A_HOST, B_HOST, cur->mtu - 28, 1, 10);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 14 + cur->mtu);
        /* the last packet again: a replay; tampered with a fresh sequence
         * number: an authentication failure; nothing reaches B's LAN */
        memcpy(f, last_esp, last_esp_len);
        in_frame(B, 1, f, last_esp_len);
        assert_int_equal(tun(B)->st.replay_errors, 1);
        put32(f + 14 + (cur->opts[0] ? 28 : 20) + 4, 0x7fffffff);
        in_frame(B, 1, f, last_esp_len);
        assert_int_equal(tun(B)->st.auth_failures, 1);
        assert_int_equal(out_frame(B, 0, f, sizeof(f)), 0);
        unpair();
    }
}

TEST(gcm_sa_refusals)
{
    const struct run *r = &runs[0];
    uint8_t ip[200], f[300];
    size_t n;

    cur = r;
    pair(r);
    /* an authentication algorithm beside GCM: the SA is not installed */
    commit(A->fw, conf(0, r,
                       "authentication { algorithm hmac-sha1-96; key hexadecimal "
                       "0x0102030405060708090a0b0c0d0e0f1011121314; }"));
    n = icmp4_echo_build(ip, sizeof(ip), A_HOST, B_HOST, 1, 1, 8, 64, 0, 1);
    assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 0);
    assert_int_equal(A->fw->st.drop[DROP_SS_NO_SA], 1);
    unpair();
    /* a 16-byte key: the salt is missing */
    pair(r);
    commit(A->fw, conf(0, &(struct run){"aes-128-gcm", "", 16, 0}, NULL));
    assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 0);
    assert_int_equal(A->fw->st.drop[DROP_SS_NO_SA], 1);
    assert_int_equal(pump(A, B), 0); /* nothing left in clear either */
    unpair();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcm_tunnels_carry_ping_and_a_megabyte_of_tcp),
        cmocka_unit_test(gcm_sa_refusals),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
