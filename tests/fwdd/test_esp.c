/*
 * test_esp: fwdd's ESP data path between two in-process appliances joined
 * by socketpairs (twobox.h), with static tunnels of manual SAs: packets
 * from A's LAN arrive on B's LAN decrypted (and back); a replayed, a
 * tampered, a truncated, a mis-encapsulated packet and an unknown SPI are
 * each dropped with their counter; the tunnel MTU (ICMP fragmentation
 * needed with this SA's overhead, tunnel-mtu, clear-dont-fragment-bit,
 * fragmentation before encapsulation); outer fragments reassembled by the
 * peer, and the reassembly limits (overlap, timeout, memory); UDP
 * encapsulation with NAT keepalives absorbed and IKE told apart; a commit
 * keeps unchanged manual SAs and rebuilds changed ones (CBC to AES-GCM
 * too: test_esp_gcm.c has GCM's own runs); IPv6 inside an
 * IPv4 tunnel (Packet Too Big with the tunnel MTU), no-anti-replay; the
 * anti-replay window at its edges; random ESP never crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "twobox.h"

#define TEST(name) static void name(void **state __attribute__((unused)))

#define KEYS                                                                                       \
    "authentication { algorithm hmac-sha1-96; key hexadecimal "                                    \
    "0x0102030405060708090a0b0c0d0e0f1011121314; } encryption { algorithm aes-128-cbc; key "       \
    "hexadecimal 00112233445566778899aabbccddeeff; }"

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
#define A_WAN 0xc0000201u /* 192.0.2.1 */
#define B_WAN 0xc0000202u

static char *conf(int b, const char *opts, const char *keys)
{
    static char buf[2][4096];

    snprintf(buf[b], sizeof(buf[b]), conf_fmt, b ? "10.2.2.254" : "10.1.1.254",
             b ? "192.0.2.2" : "192.0.2.1", b ? "10.1.1.0/24" : "10.2.2.0/24",
             b ? "192.0.2.2" : "192.0.2.1", opts ? opts : "", b ? "10.2.2.0/24" : "10.1.1.0/24",
             b ? "10.1.1.0/24" : "10.2.2.0/24", b ? "192.0.2.1" : "192.0.2.2", keys ? keys : KEYS);
    return buf[b];
}

static struct box *A, *B;

static void pair(const char *opts)
{
    A = box_new(conf(0, opts, NULL));
    B = box_new(conf(1, opts, NULL));
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

/* Send a packet from A's LAN host; what B's LAN sees is in f. */
static size_t a_to_b(size_t size, int df, uint8_t *f, size_t cap)
{
    uint8_t ip[2000], fr[2100];
    size_t n = udp_pkt(ip, A_HOST, B_HOST, size, df, 7);

    in_frame(A, 0, fr, eth(A, 0, fr, ETHTYPE_IPV4, ip, n));
    pump(A, B);
    return out_frame(B, 0, f, cap);
}

TEST(manual_tunnel_carries_packets_both_ways)
{
    uint8_t f[2100], ip[200], fr[300];
    size_t n;

    pair(NULL);
    n = a_to_b(100, 1, f, sizeof(f));
    assert_int_equal(n, 14 + 128);
    assert_int_equal(get32(f + 14 + 12), A_HOST);
    assert_int_equal(get32(f + 14 + 16), B_HOST);
    assert_int_equal(f[14 + 8], 62); /* two routers */
    assert_int_equal(tun(A)->st.enc_packets, 1);
    assert_int_equal(tun(A)->st.enc_bytes, 128);
    assert_int_equal(tun(B)->st.dec_packets, 1);
    assert_int_equal(tun(B)->st.dec_bytes, 128);
    /* and back */
    n = udp_pkt(ip, B_HOST, A_HOST, 50, 0, 8);
    in_frame(B, 0, fr, eth(B, 0, fr, ETHTYPE_IPV4, ip, n));
    pump(A, B);
    assert_int_equal(out_frame(A, 0, f, sizeof(f)), 14 + 78);
    assert_int_equal(tun(A)->st.dec_packets, 1);
    /* what matches no rule is dropped, never sent in clear */
    n = udp_pkt(ip, 0x0a010102, 0x0a020202, 10, 0, 9);
    ip[12] = 172; /* source outside the term */
    ip4_set_csum(ip);
    n = eth(A, 0, fr, ETHTYPE_IPV4, ip, n);
    in_frame(A, 0, fr, n);
    assert_int_equal(pump(A, B), 0);
    unpair();
}

static uint8_t esp_seen[2100];
static size_t esp_len;

static void keep(const uint8_t *f, size_t n)
{
    if (n > 34 && (f[14 + 9] == IPPROTO_ESP_ || f[14 + 9] == IPPROTO_UDP_)) {
        memcpy(esp_seen, f, n);
        esp_len = n;
    }
}

TEST(replayed_tampered_and_malformed_esp_is_counted)
{
    uint8_t f[2100], ip[200], fr[300];
    struct tunnel *t;
    size_t n;

    pair(NULL);
    a_to_b(10, 0, f, sizeof(f)); /* ARP resolved */
    n = udp_pkt(ip, A_HOST, B_HOST, 64, 0, 11);
    in_frame(A, 0, fr, eth(A, 0, fr, ETHTYPE_IPV4, ip, n));
    esp_len = 0;
    pump_tap(A, B, keep);
    assert_true(esp_len > 0);
    assert_true(out_frame(B, 0, f, sizeof(f)) > 0);
    t = tun(B);
    assert_int_equal(t->st.dec_packets, 2);
    in_frame(B, 1, esp_seen, esp_len); /* the same again */
    assert_int_equal(t->st.replay_errors, 1);
    assert_int_equal(B->fw->st.drop[DROP_ESP_REPLAY], 1);
    memcpy(f, esp_seen, esp_len);
    f[esp_len - 20] ^= 0x01; /* ciphertext flipped */
    put32(f + 14 + 24, 100); /* a fresh sequence number */
    in_frame(B, 1, f, esp_len);
    assert_int_equal(t->st.auth_failures, 1);
    in_frame(B, 1, f, 14 + 20 + 20); /* truncated */
    put16(f + 14 + 2, 40);
    ip4_set_csum(f + 14);
    in_frame(B, 1, f, 14 + 40);
    assert_int_equal(t->st.bad_headers, 1);
    memcpy(f, esp_seen, esp_len);
    put32(f + 14 + 20, 4242); /* unknown SPI */
    in_frame(B, 1, f, esp_len);
    assert_int_equal(B->fw->st.drop[DROP_ESP_NO_SA], 1);
    assert_int_equal(t->st.dec_packets, 2);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 0);
    unpair();
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

TEST(tunnel_mtu_needfrag_and_fragmentation)
{
    uint8_t f[2100];

    pair(NULL);
    a_to_b(10, 0, f, sizeof(f));
    /* 1500 - 20 (IP) - 8 (SPI, seq) - 16 (IV) - 12 (ICV), whole blocks, - 2 */
    assert_int_equal(a_to_b(1472, 1, f, sizeof(f)), 0);
    assert_int_equal(needfrag_mtu(), 1438);
    assert_int_equal(a_to_b(1410, 1, f, sizeof(f)), 14 + 1438);
    /* without DF: fragmented, then each fragment encapsulated */
    assert_int_equal(a_to_b(1472, 0, f, sizeof(f)), 14 + 1436); /* first fragment */
    assert_int_equal(get16(f + 14 + 6), 0x2000);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 14 + 20 + 1500 - 1436);
    assert_int_equal(tun(B)->st.dec_packets, 4);
    unpair();
    /* UDP encapsulation costs 8 more; tunnel-mtu replaces the computation */
    pair("udp-encapsulate;");
    a_to_b(10, 0, f, sizeof(f));
    assert_int_equal(a_to_b(1472, 1, f, sizeof(f)), 0);
    assert_int_equal(needfrag_mtu(), 1422);
    unpair();
    pair("tunnel-mtu 1000;");
    a_to_b(10, 0, f, sizeof(f));
    assert_int_equal(a_to_b(1200, 1, f, sizeof(f)), 0);
    assert_int_equal(needfrag_mtu(), 1000);
    unpair();
    /* clear-dont-fragment-bit: DF packets are fragmented too */
    pair("clear-dont-fragment-bit;");
    a_to_b(10, 0, f, sizeof(f));
    assert_int_equal(a_to_b(1472, 1, f, sizeof(f)), 14 + 1436);
    assert_int_equal(get16(f + 14 + 6), 0x2000);
    unpair();
}

TEST(outer_fragments_are_reassembled)
{
    uint8_t f[2100], fr[2100];
    size_t n;

    /* a tunnel MTU above what the port carries: the ESP packet leaves in
     * two fragments and B puts it together before decapsulating */
    pair("tunnel-mtu 1480;");
    a_to_b(10, 0, f, sizeof(f));
    assert_int_equal(a_to_b(1442, 1, f, sizeof(f)), 14 + 1470);
    assert_int_equal(tun(B)->st.dec_packets, 2);
    assert_int_equal(reasm_held(B->fw), 0);
    /* hostile fragments to the gateway: overlap, never completed */
    {
        uint8_t ip[300];
        memset(ip, 0, sizeof(ip));
        ip4_hdr_build(ip, 20 + 64, IPPROTO_ESP_, A_WAN, B_WAN, 64, 0, 77);
        put16(ip + 6, 0x2000); /* MF, offset 0 */
        ip4_set_csum(ip);
        in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 84));
        assert_int_equal(reasm_held(B->fw), 64);
        put16(ip + 6, 0x2004); /* offset 32: overlaps */
        ip4_set_csum(ip);
        in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 84));
        assert_int_equal(B->fw->st.drop[DROP_REASM_BAD], 1);
        assert_int_equal(reasm_held(B->fw), 0);
        put16(ip + 6, 0x2000);
        ip4_set_csum(ip);
        in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 84));
        reasm_tick(B->fw); /* not yet */
        assert_int_equal(reasm_held(B->fw), 64);
        /* a fragment of another protocol is not reassembled */
        ip[9] = IPPROTO_TCP_;
        ip4_set_csum(ip);
        in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 84));
        assert_int_equal(B->fw->st.drop[DROP_FRAG_LOCAL], 1);
        /* flood: the memory cap holds */
        ip[9] = IPPROTO_ESP_;
        for (int i = 0; i < 300; i++) {
            ip4_hdr_build(ip, 20 + 256, IPPROTO_ESP_, A_WAN, B_WAN, 64, 0, (uint16_t)(1000 + i));
            put16(ip + 6, 0x2000);
            ip4_set_csum(ip);
            n = eth(B, 1, fr, ETHTYPE_IPV4, ip, 276);
            in_frame(B, 1, fr, n);
        }
        assert_true(reasm_held(B->fw) <= 256 * 256);
        assert_true(B->fw->st.drop[DROP_REASM_MEM] > 0);
    }
    unpair();
}

static int64_t fake_ms;
static int64_t fake_clock(void)
{
    return fake_ms;
}

TEST(reassembly_times_out)
{
    uint8_t ip[100], fr[200];

    ipsec_clock_set(fake_clock);
    fake_ms = 1000;
    pair(NULL);
    memset(ip, 0, sizeof(ip));
    ip4_hdr_build(ip, 20 + 16, IPPROTO_UDP_, A_WAN, B_WAN, 64, 0, 5);
    put16(ip + 6, 0x2000);
    ip4_set_csum(ip);
    in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 36));
    assert_int_equal(reasm_held(B->fw), 16);
    fake_ms += REASM_TIMEOUT_MS;
    reasm_tick(B->fw);
    assert_int_equal(reasm_held(B->fw), 0);
    assert_int_equal(B->fw->st.drop[DROP_REASM_TIMEOUT], 1);
    unpair();
    ipsec_clock_set(NULL);
}

TEST(udp_encapsulation_keepalives_and_ike)
{
    uint8_t f[2100], ip[100], fr[200];
    uint64_t drops = 0;

    pair("udp-encapsulate;");
    esp_len = 0;
    assert_int_equal(a_to_b(100, 0, f, sizeof(f)), 14 + 128);
    assert_int_equal(tun(B)->st.dec_packets, 1);
    /* a NAT keepalive to 4500 is absorbed without a trace */
    for (int i = 0; i < DROP_MAX; i++)
        drops += B->fw->st.drop[i];
    udp4_build(ip, sizeof(ip), A_WAN, B_WAN, 4500, 4500, 1, 64, 3);
    ip[28] = 0xff;
    ip4_l4_csum(ip, 29);
    in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 29));
    for (int i = 0; i < DROP_MAX; i++)
        drops -= B->fw->st.drop[i];
    assert_int_equal(drops, 0);
    /* the non-ESP marker: IKE, punted (dropped while kmd is away) */
    udp4_build(ip, sizeof(ip), A_WAN, B_WAN, 4500, 4500, 40, 64, 4);
    memset(ip + 28, 0, 40);
    ip4_l4_csum(ip, 68);
    in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, 68));
    assert_int_equal(B->fw->st.drop[DROP_IKE_NO_KMD], 1);
    unpair();
}

TEST(commit_keeps_unchanged_sas)
{
    uint8_t f[2100];
    struct tunnel *t;
    uint32_t index;

    pair(NULL);
    a_to_b(10, 0, f, sizeof(f));
    t = tun(A);
    index = t->index;
    commit(A->fw, conf(0, NULL, NULL));
    assert_ptr_equal(tun(A), t);
    assert_int_equal(tun(A)->sas->seq + tun(A)->sas->tnext->seq, 1);
    assert_int_equal(a_to_b(10, 0, f, sizeof(f)), 14 + 38); /* B's window still accepts */
    /* new keys: a new tunnel, fresh counters */
    commit(A->fw, conf(0, NULL,
                       "authentication { algorithm hmac-md5-96; key ascii-text "
                       "\"0123456789abcdef\"; } encryption { algorithm 3des-cbc; key ascii-text "
                       "\"0123456789abcdef01234567\"; }"));
    assert_int_not_equal(tun(A)->index, index);
    assert_int_equal(tun(A)->st.enc_packets, 0);
    assert_int_equal(a_to_b(10, 0, f, sizeof(f)), 0); /* B has the old keys... */
    assert_int_equal(tun(B)->st.replay_errors, 1);    /* ...and has seen sequence 1 */
    assert_int_equal(a_to_b(10, 0, f, sizeof(f)), 0);
    assert_int_equal(a_to_b(10, 0, f, sizeof(f)), 0);
    assert_int_equal(tun(B)->st.auth_failures, 1); /* sequence 3: checked, refused */
    /* a key of the wrong length leaves the term without SAs: dropped */
    commit(A->fw, conf(0, NULL,
                       "authentication { algorithm hmac-sha1-96; key ascii-text \"short\"; } "
                       "encryption { algorithm aes-128-cbc; key ascii-text \"0123456789abcdef\"; "
                       "}"));
    assert_int_equal(a_to_b(10, 0, f, sizeof(f)), 0);
    assert_int_equal(A->fw->st.drop[DROP_SS_NO_SA], 1);
    unpair();
}

#define GCM_KEY                                                                                    \
    "encryption { algorithm aes-256-gcm; key hexadecimal "                                         \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fcafebabe; }"

TEST(commit_from_cbc_to_gcm)
{
    uint8_t f[2100], ip[200], fr[300];
    uint32_t index;

    pair(NULL);
    assert_int_equal(a_to_b(100, 1, f, sizeof(f)), 14 + 128);
    index = tun(A)->index;
    /* both ends move to AES-GCM (no authentication): new tunnels, 8-byte IVs */
    commit(A->fw, conf(0, NULL, GCM_KEY));
    commit(B->fw, conf(1, NULL, GCM_KEY));
    assert_int_not_equal(tun(A)->index, index);
    assert_int_equal(tun(A)->sas->iv_len, 8);
    esp_len = 0;
    in_frame(A, 0, fr, eth(A, 0, fr, ETHTYPE_IPV4, ip, udp_pkt(ip, A_HOST, B_HOST, 100, 1, 3)));
    pump_tap(A, B, keep);
    /* 20 + SPI, seq 8 + IV 8 + (128 + 2, to 4 bytes) + ICV 16 */
    assert_int_equal(esp_len, 14 + 20 + 8 + 8 + 132 + 16);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 14 + 128);
    assert_int_equal(tun(B)->st.dec_packets, 1);
    assert_int_equal(tun(B)->st.auth_failures, 0);
    unpair();
}

static const char *conf6_fmt =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet6 { address 2001:db8:%d::fe/64; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address 192.0.2.%d/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet6; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "routing-options { static { route 2001:db8:%d::/64 next-hop ms-1/0/0.1; } }\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; }\n"
    "  ipsec-vpn-options { local-gateway 192.0.2.%d; no-anti-replay; } ipsec-vpn-rules R1; }\n"
    "  ipsec-vpn { rule R1 { term T1 { from { source-address 2001:db8:%d::/64;\n"
    "    destination-address 2001:db8:%d::/64; } then { remote-gateway 192.0.2.%d; manual {\n"
    "    direction bidirectional { protocol esp; spi 1000; " KEYS " } } } } } } }\n";

static void v6_box(struct box **b, int me, int peer)
{
    char text[4096];
    uint8_t ip[100], f[200], host[16] = {0x20, 0x01, 0x0d, 0xb8, 0, (uint8_t)me, [15] = 1};
    uint8_t gw[16] = {0x20, 0x01, 0x0d, 0xb8, 0, (uint8_t)me, [15] = 0xfe};
    size_t n;

    snprintf(text, sizeof(text), conf6_fmt, me, me, peer, me, me, peer, peer);
    *b = box_new(text);
    n = nd_ns_build(ip, sizeof(ip), host, gw, host_mac); /* the host makes itself known */
    in_frame(*b, 0, f, eth(*b, 0, f, ETHTYPE_IPV6, ip, n));
    while (out_frame(*b, 0, f, sizeof(f)))
        ;
}

static size_t udp6(uint8_t *ip, size_t size)
{
    const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};
    const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1};

    ip6_hdr_build(ip, 8 + size, IPPROTO_UDP_, src, dst, 64);
    put16(ip + 40, 40000);
    put16(ip + 42, 9);
    put16(ip + 44, (uint16_t)(8 + size));
    put16(ip + 46, 0);
    memset(ip + 48, 0x5a, size);
    ip6_l4_csum(ip, 48 + size);
    return 48 + size;
}

TEST(ipv6_inside_an_ipv4_tunnel)
{
    uint8_t ip[1600], fr[1700], f[1700];
    size_t n;

    v6_box(&A, 1, 2);
    v6_box(&B, 2, 1);
    n = udp6(ip, 100);
    in_frame(A, 0, fr, eth(A, 0, fr, ETHTYPE_IPV6, ip, n));
    esp_len = 0;
    pump_tap(A, B, keep);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 14 + 148);
    assert_int_equal(get16(f + 12), ETHTYPE_IPV6);
    assert_int_equal(f[14 + 7], 62);
    assert_memory_equal(f + 14 + 48, ip + 48, 100);
    /* no-anti-replay: the same packet again is accepted */
    assert_true(esp_len > 0);
    in_frame(B, 1, esp_seen, esp_len);
    assert_int_equal(out_frame(B, 0, f, sizeof(f)), 14 + 148);
    assert_int_equal(tun(B)->st.replay_errors, 0);
    /* too big for the tunnel: Packet Too Big with the tunnel MTU */
    n = udp6(ip, 1400);
    in_frame(A, 0, fr, eth(A, 0, fr, ETHTYPE_IPV6, ip, n));
    assert_int_equal(pump(A, B), 0);
    n = out_frame(A, 0, f, sizeof(f));
    assert_true(n > 14 + 48);
    assert_int_equal(f[14 + 40], ICMP6_PACKET_TOO_BIG_);
    assert_int_equal(get32(f + 14 + 44), 1438);
    unpair();
}

TEST(anti_replay_window)
{
    static struct ipsec_sa sa;
    static uint64_t win[REPLAY_MAX / 64]; /* sa_add allocates win_bits / 64 words */

    memset(&sa, 0, sizeof(sa));
    sa.win = win;
    sa.replay = 1;
    sa.win_bits = 64;
    assert_int_equal(sa_replay_check(&sa, 0), -1);
    for (uint32_t s = 1; s <= 10; s++) {
        assert_int_equal(sa_replay_check(&sa, s), 0);
        sa_replay_update(&sa, s);
    }
    assert_int_equal(sa_replay_check(&sa, 5), -1);
    sa_replay_update(&sa, 100);
    assert_int_equal(sa_replay_check(&sa, 40), 0);  /* 60 behind: in the window */
    assert_int_equal(sa_replay_check(&sa, 36), -1); /* 64 behind: too old */
    assert_int_equal(sa_replay_check(&sa, 10), -1);
    sa_replay_update(&sa, 40);
    assert_int_equal(sa_replay_check(&sa, 40), -1);
    assert_int_equal(sa_replay_check(&sa, 99), 0);
    sa_replay_update(&sa, 1000); /* a jump beyond the window clears it */
    assert_int_equal(sa_replay_check(&sa, 937), 0);
    assert_int_equal(sa_replay_check(&sa, 936), -1);
    assert_int_equal(sa_replay_check(&sa, 1000), -1);
    assert_int_equal(sa_replay_check(&sa, 1001), 0);
    memset(&sa, 0, sizeof(sa));
    memset(win, 0, sizeof(win));
    sa.win = win;
    sa.replay = 1;
    sa.win_bits = REPLAY_MAX;
    sa_replay_update(&sa, 5000);
    assert_int_equal(sa_replay_check(&sa, 5000 - 4095), 0);
    assert_int_equal(sa_replay_check(&sa, 5000 - 4096), -1);
    sa_replay_update(&sa, 4999);
    sa_replay_update(&sa, 5001);
    assert_int_equal(sa_replay_check(&sa, 4999), -1);
    assert_int_equal(sa_replay_check(&sa, 4998), 0);
    sa.replay = 0; /* no-anti-replay */
    assert_int_equal(sa_replay_check(&sa, 4999), 0);
}

static uint64_t rng = 99;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

TEST(random_esp_never_crashes)
{
    uint8_t ip[400], fr[500];

    pair("udp-encapsulate;");
    for (int i = 0; i < 20000; i++) {
        size_t n = 28 + rnd() % 300;
        int udp = rnd() % 2;
        for (size_t k = 0; k < n; k++)
            ip[k] = (uint8_t)rnd();
        if (udp)
            udp4_build(ip, sizeof(ip), A_WAN, B_WAN, 4500, 4500, n - 28, 64, (uint16_t)i);
        else
            ip4_hdr_build(ip, n, IPPROTO_ESP_, A_WAN, B_WAN, 64, 0, (uint16_t)i);
        if (rnd() % 2)
            put32(ip + (udp ? 28 : 20), 1000); /* the SA's SPI */
        if (rnd() % 8 == 0) {
            put16(ip + 6, (uint16_t)(rnd() % 2 ? 0x2000 : rnd() % 0x2000));
            ip4_set_csum(ip);
        }
        in_frame(B, 1, fr, eth(B, 1, fr, ETHTYPE_IPV4, ip, n));
    }
    assert_int_equal(tun(B)->st.dec_packets, 0);
    unpair();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manual_tunnel_carries_packets_both_ways),
        cmocka_unit_test(replayed_tampered_and_malformed_esp_is_counted),
        cmocka_unit_test(tunnel_mtu_needfrag_and_fragmentation),
        cmocka_unit_test(outer_fragments_are_reassembled),
        cmocka_unit_test(reassembly_times_out),
        cmocka_unit_test(udp_encapsulation_keepalives_and_ike),
        cmocka_unit_test(commit_keeps_unchanged_sas),
        cmocka_unit_test(commit_from_cbc_to_gcm),
        cmocka_unit_test(ipv6_inside_an_ipv4_tunnel),
        cmocka_unit_test(anti_replay_window),
        cmocka_unit_test(random_esp_never_crashes),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
