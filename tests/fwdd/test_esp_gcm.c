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

#include "crypto/cipher.h"
#include "crypto/esp.h"

#include <openssl/evp.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

static const char *conf_fmt =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet { address %s/24; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address %s/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "routing-options { static { route %s next-hop ms-1/0/0.1; } }\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; } ipsec-vpn-options { local-gateway %s; %s }\n"
    "  ipsec-vpn-rules R1; }\n"
    "  ipsec-vpn { rule R1 { term T1 { from { source-address %s; destination-address %s; }\n"
    "    then { remote-gateway %s; manual { direction bidirectional { protocol esp; spi 1000;\n"
    "    %s } } } } match-direction input; } } }\n";

#define A_LAN 0x0a0101feu  /* 10.1.1.254 */
#define A_HOST 0x0a010101u /* 10.1.1.1 */
#define B_LAN 0x0a0202feu
#define B_HOST 0x0a020201u
#define XFER (1u << 20)
#define MSS 1380

static struct box *A, *B;

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
    snprintf(buf, sizeof(buf), "%s encryption { algorithm %s; key hexadecimal %s; }",
             extra ? extra : "", r->alg, hex);
    return buf;
}

static char *conf(int b, const struct run *r, const char *extra)
{
    static char buf[2][4096];

    snprintf(buf[b], sizeof(buf[b]), conf_fmt, b ? "10.2.2.254" : "10.1.1.254",
             b ? "192.0.2.2" : "192.0.2.1", b ? "10.1.1.0/24" : "10.2.2.0/24",
             b ? "192.0.2.2" : "192.0.2.1", r->opts, b ? "10.2.2.0/24" : "10.1.1.0/24",
             b ? "10.1.1.0/24" : "10.2.2.0/24", b ? "192.0.2.1" : "192.0.2.2", keys_text(r, extra));
    return buf[b];
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

static void unpair(void)
{
    box_free(A);
    box_free(B);
}

static struct tunnel *tun(struct box *b)
{
    return svc_find(b->fw->cur, "SS1")->rt->tunnels;
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

static size_t lan_in(struct box *b, const uint8_t *ip, size_t n, uint8_t *f, size_t cap)
{
    uint8_t fr[2100];

    in_frame(b, 0, fr, eth(b, 0, fr, ETHTYPE_IPV4, ip, n));
    pump_tap(A, B, wire);
    return out_frame(b == A ? B : A, 0, f, cap);
}

static void ping_both_ways(void)
{
    uint8_t ip[200], f[300];
    size_t n = icmp4_echo_build(ip, sizeof(ip), A_HOST, B_HOST, 77, 1, 56, 64, 1, 1);

    assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 14 + n);
    assert_int_equal(f[14 + 9], IPPROTO_ICMP_);
    assert_int_equal(f[14 + 20], 8); /* the echo request, TTL 62 */
    assert_int_equal(f[14 + 8], 62);
    assert_memory_equal(f + 14 + 20 + 4, ip + 20 + 4, n - 24);
    /* B's host answers */
    memcpy(ip, f + 14, n);
    assert_int_equal(icmp4_echo_reply(ip, n, 2), (int)n);
    assert_int_equal(lan_in(B, ip, n, f, sizeof(f)), 14 + n);
    assert_int_equal(f[14 + 20], 0);
    assert_int_equal(get32(f + 14 + 12), B_HOST);
    assert_int_equal(get16(f + 14 + 24), 77);
}

static size_t tcp_seg(uint8_t *ip, uint32_t src, uint32_t dst, uint32_t seq, uint32_t ack,
                      const uint8_t *data, size_t len, uint16_t id)
{
    uint8_t *t = ip + 20;

    memset(t, 0, 20);
    put16(t, src == A_HOST ? 40000 : 5001);
    put16(t + 2, src == A_HOST ? 5001 : 40000);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = 0x18; /* ACK, PSH */
    put16(t + 14, 65535);
    if (len)
        memcpy(t + 20, data, len);
    ip4_hdr_build(ip, 40 + len, IPPROTO_TCP_, src, dst, 64, 1, id);
    ip4_l4_csum(ip, 40 + len);
    return 40 + len;
}

/* 1 MiB of TCP from A's host to B's, an ACK back every 8 segments; what
 * B's host receives is put together by sequence number and hashed. */
static void tcp_transfer(void)
{
    static uint8_t data[XFER], got[XFER];
    uint8_t ip[1600], f[1700], h1[32], h2[32];
    uint32_t isn = 0x10000000, acked = 0;
    size_t received = 0, n;
    unsigned segs = 0, acks = 0;

    for (size_t i = 0; i < XFER; i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t off = 0; off < XFER; off += MSS, segs++) {
        size_t len = XFER - off < MSS ? XFER - off : MSS;
        struct ip4_info h;
        n = tcp_seg(ip, A_HOST, B_HOST, isn + (uint32_t)off, 1, data + off, len, (uint16_t)segs);
        assert_int_equal(lan_in(A, ip, n, f, sizeof(f)), 14 + n);
        assert_int_equal(pkt_ipv4(f + 14, n, &h), PKT_OK);
        assert_int_equal(csum_fold(csum_add(csum_pseudo4(h.src, h.dst, IPPROTO_TCP_, n - 20),
                                            f + 14 + 20, n - 20)),
                         0); /* the TCP checksum still holds */
        assert_int_equal(get32(f + 14 + 24) - isn, off);
        memcpy(got + (get32(f + 14 + 24) - isn), f + 14 + 40, n - 40);
        received += n - 40;
        if (segs % 8 == 7 || off + len == XFER) {
            acked = isn + (uint32_t)(off + len);
            n = tcp_seg(ip, B_HOST, A_HOST, 1, acked, NULL, 0, (uint16_t)acks++);
            assert_int_equal(lan_in(B, ip, n, f, sizeof(f)), 14 + n);
            assert_int_equal(get32(f + 14 + 28), acked);
        }
    }
    assert_int_equal(received, XFER);
    assert_int_equal(EVP_Digest(data, XFER, h1, NULL, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_Digest(got, XFER, h2, NULL, EVP_sha256(), NULL), 1);
    assert_memory_equal(h1, h2, 32);
    assert_true(segs >= 760);
    assert_int_equal(tun(A)->st.enc_packets, segs + 1);
    assert_int_equal(tun(B)->st.dec_packets, segs + 1);
    assert_int_equal(tun(B)->st.enc_packets, acks + 1);
    assert_int_equal(tun(B)->st.auth_failures + tun(A)->st.auth_failures, 0);
}

/* The ICMP error A's LAN host got: its next-hop MTU, or -1. */
static int needfrag_mtu(void)
{
    uint8_t f[700];
    size_t n = out_frame(A, 0, f, sizeof(f));

    if (n < 14 + 20 + 8 || f[14 + 9] != IPPROTO_ICMP_ || f[34] != 3 || f[35] != 4)
        return -1;
    return get16(f + 34 + 6);
}

TEST(gcm_tunnels_carry_ping_and_a_megabyte_of_tcp)
{
    uint8_t ip[1600], f[1700];
    size_t n;

    for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
        cur = &runs[r];
        wire_packets = 0;
        memset(last_iv, 0, sizeof(last_iv));
        pair(cur);
        assert_true(esp_xform_is_gcm(tun(A)->sas->xf));
        assert_int_equal(tun(A)->sas->icv_len, 16);
        ping_both_ways();
        tcp_transfer();
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

static int setup(void **state)
{
    char err[512];

    (void)state;
    sch = schema_load(SCHEMA_DIR, err, sizeof(err));
    if (sch == NULL)
        fprintf(stderr, "schema: %s\n", err);
    return sch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    schema_free(sch);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gcm_tunnels_carry_ping_and_a_megabyte_of_tcp),
        cmocka_unit_test(gcm_sa_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
