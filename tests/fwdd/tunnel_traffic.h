/*
 * tunnel_traffic.h: traffic through two in-process appliances A and B
 * (twobox.h) joined by a tunnel, for test_esp_gcm.c and test_ah.c: LAN
 * hosts A_HOST (10.1.1.1) and B_HOST (10.2.2.1); a ping both ways (TTL 62
 * at the far host: two routers); 1 MiB of TCP from A's host to B's in
 * 1380-byte segments with an ACK back every 8 segments, TCP checksums
 * checked on arrival and the SHA-256 of what B's host receives equal to
 * what was sent.  Every WAN frame A sends goes through wire_tap when set.
 * Header-only: each test includes it once, after twobox.h.
 */
#ifndef TESTS_FWDD_TUNNEL_TRAFFIC_H
#define TESTS_FWDD_TUNNEL_TRAFFIC_H

#include <openssl/evp.h>

#define A_LAN 0x0a0101feu  /* 10.1.1.254 */
#define A_HOST 0x0a010101u /* 10.1.1.1 */
#define B_LAN 0x0a0202feu
#define B_HOST 0x0a020201u
#define XFER (1u << 20)
#define MSS 1380

static struct box *A, *B;
static void (*wire_tap)(const uint8_t *, size_t);

/* Box b's configuration (b 0: A, 1: B): LANs 10.1.1.0/24 and 10.2.2.0/24,
 * WANs 192.0.2.1 and .2 (local gateways), service set SS1 on ms-1/0/0 with
 * opts among its ipsec-vpn-options, and one term whose manual direction
 * bidirectional holds dir (protocol, SPIs, keys). */
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
    "    then { remote-gateway %s; manual { direction bidirectional { %s } } } }\n"
    "    match-direction input; } } }\n";

static char *tunnel_conf(int b, const char *opts, const char *dir)
{
    static char buf[2][4096];

    snprintf(buf[b], sizeof(buf[b]), conf_fmt, b ? "10.2.2.254" : "10.1.1.254",
             b ? "192.0.2.2" : "192.0.2.1", b ? "10.1.1.0/24" : "10.2.2.0/24",
             b ? "192.0.2.2" : "192.0.2.1", opts, b ? "10.2.2.0/24" : "10.1.1.0/24",
             b ? "10.1.1.0/24" : "10.2.2.0/24", b ? "192.0.2.1" : "192.0.2.2", dir);
    return buf[b];
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

/* Carry ip from b's LAN host through the tunnel: the frame the other
 * box's LAN gets (its length, 0 if none). */
static size_t lan_in(struct box *b, const uint8_t *ip, size_t n, uint8_t *f, size_t cap)
{
    uint8_t fr[2100];

    in_frame(b, 0, fr, eth(b, 0, fr, ETHTYPE_IPV4, ip, n));
    pump_tap(A, B, wire_tap);
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
static void tcp_transfer(unsigned *segs_out, unsigned *acks_out)
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
    *segs_out = segs;
    *acks_out = acks;
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

#endif
