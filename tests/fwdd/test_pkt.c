/*
 * test_pkt: fwdd's packet formats (fwdd/pkt.h) with valid and hostile
 * input: IPv4 header checks (truncated, bad version, bad IHL, bad
 * lengths, bad checksum), ICMP errors and their RFC 1812 restrictions,
 * echo replies, TTL decrement, partial checksum completion, IPv4
 * fragmentation and GSO segmentation checked by reassembly, and random
 * bytes through every parser and builder (never a crash: ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pkt.h"
#include "pktutil.h"

#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

#define A(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* A UDP packet of payload bytes, full checksums. */
static size_t udp_packet(uint8_t *p, size_t payload, int df)
{
    size_t n = udp4_build(p, 70000, A(10, 1, 1, 1), A(10, 2, 2, 1), 4000, 5000, payload, 64, 7);

    if (df) {
        put16(p + 6, 0x4000);
        ip4_set_csum(p);
    }
    for (size_t i = 0; i < payload; i++)
        p[28 + i] = (uint8_t)(i * 7);
    ip4_l4_csum(p, n);
    return n;
}

static int l4_ok(const uint8_t *ip, size_t len)
{
    unsigned hl = (ip[0] & 15u) * 4u;
    uint32_t sum =
        ip[9] == IPPROTO_ICMP_ ? 0 : csum_pseudo4(get32(ip + 12), get32(ip + 16), ip[9], len - hl);
    return csum_fold(csum_add(sum, ip + hl, len - hl)) == 0;
}

TEST(ipv4_header_checks)
{
    uint8_t p[128];
    struct ip4_info h;
    size_t n = udp_packet(p, 20, 0);

    assert_int_equal(pkt_ipv4(p, n, &h), PKT_OK);
    assert_int_equal(h.tot_len, n);
    assert_int_equal(h.proto, IPPROTO_UDP_);
    assert_int_equal(pkt_ipv4(p, n + 10, &h), PKT_OK); /* link padding */
    for (size_t k = 0; k < 20; k++)
        assert_int_equal(pkt_ipv4(p, k, &h), PKT_SHORT);
    assert_int_equal(pkt_ipv4(p, n - 1, &h), PKT_BAD_LEN); /* tot_len beyond data */
    p[0] = 0x65;
    assert_int_equal(pkt_ipv4(p, n, &h), PKT_BAD_VERSION);
    p[0] = 0x44; /* IHL 16 bytes */
    assert_int_equal(pkt_ipv4(p, n, &h), PKT_BAD_IHL);
    p[0] = 0x4f; /* 60 bytes of header in a 48-byte packet */
    assert_int_equal(pkt_ipv4(p, n, &h), PKT_BAD_IHL);
    n = udp_packet(p, 20, 0);
    put16(p + 2, 19); /* total length below the header */
    assert_int_equal(pkt_ipv4(p, n, &h), PKT_BAD_LEN);
    n = udp_packet(p, 20, 0);
    p[8] ^= 1;
    assert_int_equal(pkt_ipv4(p, n, &h), PKT_BAD_CSUM);
}

TEST(transport_header_checks)
{
    uint8_t p[128];
    struct l4_info t;
    size_t n = udp_packet(p, 20, 0);

    assert_int_equal(pkt_l4(p + 20, n - 20, IPPROTO_UDP_, &t), PKT_OK);
    assert_int_equal(t.dport, 5000);
    assert_int_equal(pkt_l4(p + 20, 7, IPPROTO_UDP_, &t), PKT_SHORT);
    put16(p + 24, 200); /* UDP length beyond the packet */
    assert_int_equal(pkt_l4(p + 20, n - 20, IPPROTO_UDP_, &t), PKT_BAD_LEN);
    memset(p + 20, 0, 20);
    p[32] = 0x30; /* TCP data offset 12 */
    assert_int_equal(pkt_l4(p + 20, 20, IPPROTO_TCP_, &t), PKT_BAD_LEN);
    assert_int_equal(pkt_l4(p + 20, 19, IPPROTO_TCP_, &t), PKT_SHORT);
    assert_int_equal(pkt_l4(p + 20, 7, IPPROTO_ICMP_, &t), PKT_SHORT);
}

TEST(icmp_error_quotes_and_restrictions)
{
    uint8_t p[2000], out[ICMP_ERR_MAX + 100];
    struct ip4_info h;
    size_t n = udp_packet(p, 1000, 0), e;

    e = icmp4_error(out, sizeof(out), p, n, ICMP_TIMXCEED_, 0, 0, A(10, 1, 1, 254), 9);
    assert_int_equal(e, ICMP_ERR_MAX); /* capped at 576 */
    assert_int_equal(pkt_ipv4(out, e, &h), PKT_OK);
    assert_int_equal(h.dst, A(10, 1, 1, 1));
    assert_int_equal(h.src, A(10, 1, 1, 254));
    assert_true(l4_ok(out, e));
    assert_int_equal(out[20], ICMP_TIMXCEED_);
    assert_memory_equal(out + 28, p, 100);
    e = icmp4_error(out, sizeof(out), p, n, ICMP_UNREACH_, ICMP_UNREACH_NEEDFRAG_, 1400, 1, 9);
    assert_int_equal(get16(out + 26), 1400);
    assert_int_equal(icmp4_error(out, 100, p, n, ICMP_UNREACH_, 0, 0, 1, 9), 0); /* no room */
    /* never about an ICMP error */
    e = icmp4_error(out, sizeof(out), p, n, ICMP_UNREACH_, 1, 0, A(10, 2, 2, 254), 9);
    memcpy(p, out, e);
    assert_int_equal(icmp4_error(out, sizeof(out), p, e, ICMP_TIMXCEED_, 0, 0, 1, 9), 0);
    /* nor about a non-initial fragment, a multicast or broadcast destination, a bad source */
    n = udp_packet(p, 100, 0);
    put16(p + 6, 185);
    ip4_set_csum(p);
    assert_int_equal(icmp4_error(out, sizeof(out), p, n, ICMP_TIMXCEED_, 0, 0, 1, 9), 0);
    n = udp_packet(p, 100, 0);
    put32(p + 16, A(224, 0, 0, 5));
    ip4_set_csum(p);
    assert_int_equal(icmp4_error(out, sizeof(out), p, n, ICMP_TIMXCEED_, 0, 0, 1, 9), 0);
    n = udp_packet(p, 100, 0);
    put32(p + 12, 0);
    ip4_set_csum(p);
    assert_int_equal(icmp4_error(out, sizeof(out), p, n, ICMP_TIMXCEED_, 0, 0, 1, 9), 0);
    /* a corrupt original gets nothing */
    n = udp_packet(p, 100, 0);
    p[0] = 0x4f;
    assert_int_equal(icmp4_error(out, sizeof(out), p, n, ICMP_TIMXCEED_, 0, 0, 1, 9), 0);
}

TEST(echo_reply_in_place)
{
    uint8_t p[200];
    struct ip4_info h;
    size_t n = icmp4_echo_build(p, sizeof(p), A(10, 1, 1, 1), A(10, 1, 1, 254), 77, 3, 56, 9, 0, 1);
    int r;

    assert_int_equal(n, 84);
    assert_true(l4_ok(p, n));
    r = icmp4_echo_reply(p, n, 2);
    assert_int_equal(r, 84);
    assert_int_equal(pkt_ipv4(p, (size_t)r, &h), PKT_OK);
    assert_int_equal(h.src, A(10, 1, 1, 254));
    assert_int_equal(h.dst, A(10, 1, 1, 1));
    assert_int_equal(h.ttl, 64);
    assert_int_equal(p[20], ICMP_ECHOREPLY_);
    assert_int_equal(get16(p + 24), 77);
    assert_true(l4_ok(p, (size_t)r));
    assert_int_equal(icmp4_echo_reply(p, (size_t)r, 3), -1); /* a reply is not a request */
    assert_int_equal(icmp4_echo_reply(p, 27, 3), -1);
}

TEST(ttl_decrement_keeps_checksum)
{
    uint8_t p[128];
    struct ip4_info h;

    for (int ttl = 255; ttl > 1; ttl -= 7) {
        size_t n = udp_packet(p, 10, 0);
        p[8] = (uint8_t)ttl;
        ip4_set_csum(p);
        ip4_dec_ttl(p);
        assert_int_equal(pkt_ipv4(p, n, &h), PKT_OK);
        assert_int_equal(h.ttl, ttl - 1);
    }
}

/* RFC 1071's sum, two bytes at a time in network order. */
static uint32_t csum_ref(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len % 2)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

/* csum_add sums 8 bytes at a time in the machine's order: the folded
 * result is the reference's for every length, alignment and start. */
TEST(checksum_matches_reference)
{
    uint8_t buf[300];
    uint32_t seed = 12345;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
    memset(buf + 100, 0xff, 64); /* long carries */
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 200; len++)
            for (uint32_t sum = 0; sum < 0x30000u; sum += 0xfffdu)
                assert_int_equal(csum_fold(csum_add(sum, buf + off + (len % 3) * 30, len)),
                                 csum_fold(csum_ref(sum, buf + off + (len % 3) * 30, len)));
    /* the header builder's checksum, from values, is the bytes' */
    ip4_hdr_build_tos(buf, 1500, 0xb8, IPPROTO_UDP_, 0xc0000201u, 0xc6120001u, 64, 1, 0xbeef);
    assert_int_equal(csum_fold(csum_add(0, buf, 20)), 0);
    ip4_hdr_build(buf, 65535, IPPROTO_ESP_, 0xffffffffu, 0xffffffffu, 255, 0, 0xffff);
    assert_int_equal(csum_fold(csum_add(0, buf, 20)), 0);
}

TEST(partial_checksum_completion)
{
    uint8_t p[2000], want[2000];
    size_t n = udp_packet(p, 1001, 0);
    uint16_t pseudo;

    memcpy(want, p, n);
    /* what a sender with checksum offload leaves: the pseudo-header sum */
    pseudo = (uint16_t)~csum_fold(csum_pseudo4(get32(p + 12), get32(p + 16), 17, n - 20));
    put16(p + 26, pseudo);
    assert_int_equal(csum_complete(p, n, 20, 6), 0);
    assert_memory_equal(p, want, n);
    assert_int_equal(csum_complete(p, n, n, 6), -1);
    assert_int_equal(csum_complete(p, n, n - 4, 6), -1);
}

struct collect {
    uint8_t buf[70000];
    size_t len, count;
    uint8_t pkts[64][2000];
    size_t plen[64];
};

static void collect_emit(void *arg, uint8_t *ip, size_t len)
{
    struct collect *c = arg;

    assert_true(c->count < 64 && len <= 2000);
    memcpy(c->pkts[c->count], ip, len);
    c->plen[c->count++] = len;
}

TEST(fragmentation_reassembles)
{
    static uint8_t p[4000], whole[4000];
    static struct collect c;
    size_t n = udp_packet(p, 3000, 0);
    struct ip4_info h;

    memset(&c, 0, sizeof(c));
    memset(whole, 0, sizeof(whole));
    assert_int_equal(ip4_fragment(p, n, 1400, collect_emit, &c), 0);
    assert_int_equal(c.count, 3);
    for (size_t i = 0; i < c.count; i++) {
        assert_int_equal(pkt_ipv4(c.pkts[i], c.plen[i], &h), PKT_OK);
        assert_true(c.plen[i] <= 1400);
        assert_int_equal(h.fragoff % 8, 0);
        assert_int_equal(h.mf, i + 1 < c.count);
        memcpy(whole + 20 + h.fragoff, c.pkts[i] + 20, c.plen[i] - 20);
    }
    assert_memory_equal(whole + 20, p + 20, n - 20);
    assert_int_equal(ip4_fragment(p, n, 20, collect_emit, &c), -1);
}

/* A TCP super-frame as the kernel hands it over with GSO. */
static size_t tcp_super(uint8_t *p, size_t payload, uint8_t flags)
{
    size_t n = 40 + payload;

    memset(p, 0, 40);
    put16(p + 20, 40000);
    put16(p + 22, 80);
    put32(p + 24, 1000000);
    p[32] = 0x50;
    p[33] = flags;
    put16(p + 34, 512);
    for (size_t i = 0; i < payload; i++)
        p[40 + i] = (uint8_t)(i * 13 + 1);
    ip4_hdr_build(p, n, IPPROTO_TCP_, A(10, 1, 1, 1), A(10, 2, 2, 1), 64, 1, 100);
    return n;
}

TEST(gso_tcp_segments)
{
    static uint8_t p[70000], whole[70000];
    static struct collect c;
    size_t n = tcp_super(p, 10000, 0x19 /* FIN PSH ACK */), off = 0;
    struct ip4_info h;

    memset(&c, 0, sizeof(c));
    assert_int_equal(gso_segment(p, n, VIRTIO_NET_HDR_GSO_TCPV4, 1448, collect_emit, &c), PKT_OK);
    assert_int_equal(c.count, 7);
    for (size_t i = 0; i < c.count; i++) {
        const uint8_t *s = c.pkts[i];
        assert_int_equal(pkt_ipv4(s, c.plen[i], &h), PKT_OK);
        assert_int_equal(h.id, 100 + i);
        assert_true(l4_ok(s, c.plen[i]));
        assert_int_equal(get32(s + 24), 1000000 + off);
        assert_int_equal(s[33] & 0x09, i + 1 == c.count ? 0x09 : 0);
        memcpy(whole + off, s + 40, c.plen[i] - 40);
        off += c.plen[i] - 40;
    }
    assert_int_equal(off, 10000);
    assert_memory_equal(whole, p + 40, 10000);
    /* hostile: wrong type, protocol, header lengths */
    assert_int_equal(gso_segment(p, n, VIRTIO_NET_HDR_GSO_UDP, 1448, collect_emit, &c),
                     PKT_UNSUPPORTED);
    assert_int_equal(gso_segment(p, n, VIRTIO_NET_HDR_GSO_UDP_L4, 1448, collect_emit, &c),
                     PKT_UNSUPPORTED);
    p[32] = 0xf0;
    assert_int_equal(gso_segment(p, 50, VIRTIO_NET_HDR_GSO_TCPV4, 1448, collect_emit, &c),
                     PKT_BAD_LEN);
    assert_int_equal(gso_segment(p, 10, VIRTIO_NET_HDR_GSO_TCPV4, 1448, collect_emit, &c),
                     PKT_BAD_VERSION);
}

TEST(gso_udp_segments)
{
    static uint8_t p[70000];
    static struct collect c;
    size_t n = udp_packet(p, 3000, 0);

    memset(&c, 0, sizeof(c));
    assert_int_equal(gso_segment(p, n, VIRTIO_NET_HDR_GSO_UDP_L4, 1000, collect_emit, &c), PKT_OK);
    assert_int_equal(c.count, 3);
    for (size_t i = 0; i < c.count; i++) {
        assert_int_equal(get16(c.pkts[i] + 24), 1008);
        assert_true(l4_ok(c.pkts[i], c.plen[i]));
    }
}

static int icmp6_ok(const uint8_t *ip, size_t len)
{
    return csum_fold(csum_add(csum_pseudo6(ip + 8, ip + 24, IPPROTO_ICMPV6_, len - 40), ip + 40,
                              len - 40)) == 0;
}

TEST(icmpv6_builders)
{
    const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b[16] = {0x20, 0x01, [15] = 2};
    const uint8_t me[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xfe}, mac[6] = {2, 0, 0, 0, 0, 9};
    uint8_t p[2000], out[ICMP6_ERR_MAX], m[6], g[16];
    size_t n, e;

    /* an error quotes the original within 1280 bytes */
    memset(p, 0, sizeof(p));
    ip6_hdr_build(p, 1500, IPPROTO_UDP_, a, b, 1);
    e = icmp6_error(out, sizeof(out), p, 1540, ICMP6_TIME_EXCEEDED_, 0, 0, me);
    assert_int_equal(e, ICMP6_ERR_MAX);
    assert_true(icmp6_ok(out, e));
    assert_memory_equal(out + 24, a, 16);
    assert_int_equal(get16(out + 4), e - 40);
    /* packet too big carries the MTU */
    e = icmp6_error(out, sizeof(out), p, 1540, ICMP6_PACKET_TOO_BIG_, 0, 1400, me);
    assert_int_equal(get32(out + 44), 1400);
    /* none about an error, from a multicast or unspecified source, to multicast */
    p[6] = IPPROTO_ICMPV6_;
    p[40] = ICMP6_UNREACH_;
    assert_int_equal(icmp6_error(out, sizeof(out), p, 1540, ICMP6_TIME_EXCEEDED_, 0, 0, me), 0);
    p[40] = ICMP6_ECHO_REQUEST_;
    assert_true(icmp6_error(out, sizeof(out), p, 1540, ICMP6_TIME_EXCEEDED_, 0, 0, me) > 0);
    p[24] = 0xff;
    assert_int_equal(icmp6_error(out, sizeof(out), p, 1540, ICMP6_UNREACH_, 0, 0, me), 0);
    assert_true(icmp6_error(out, sizeof(out), p, 1540, ICMP6_PACKET_TOO_BIG_, 0, 0, me) > 0);
    memset(p + 8, 0, 16);
    assert_int_equal(icmp6_error(out, sizeof(out), p, 1540, ICMP6_PACKET_TOO_BIG_, 0, 0, me), 0);
    assert_int_equal(icmp6_error(out, sizeof(out), p, 30, ICMP6_UNREACH_, 0, 0, me), 0);
    /* echo reply in place */
    ip6_hdr_build(p, 16, IPPROTO_ICMPV6_, a, me, 60);
    memset(p + 40, 0, 16);
    p[40] = ICMP6_ECHO_REQUEST_;
    assert_int_equal(icmp6_echo_reply(p, 56), 56);
    assert_true(icmp6_ok(p, 56));
    assert_memory_equal(p + 8, me, 16);
    assert_int_equal(p[40], ICMP6_ECHO_REPLY_);
    assert_int_equal(icmp6_echo_reply(p, 56), -1);
    /* neighbor solicitation and advertisement with link-layer options */
    n = nd_ns_build(p, sizeof(p), me, a, mac);
    assert_int_equal(n, 72);
    assert_true(icmp6_ok(p, n));
    assert_int_equal(p[7], 255);
    nd_solicited_node(a, g, m);
    assert_memory_equal(p + 24, g, 16);
    assert_memory_equal(m, "\x33\x33\xff\0\0\x01", 6);
    assert_true(nd_lladdr_option(p + 40, n - 40, 1, m));
    assert_memory_equal(m, mac, 6);
    assert_false(nd_lladdr_option(p + 40, n - 40, 2, m));
    p[40 + 25] = 0; /* option length 0: malformed, ignored */
    assert_false(nd_lladdr_option(p + 40, n - 40, 1, m));
    p[40 + 25] = 9; /* beyond the message */
    assert_false(nd_lladdr_option(p + 40, n - 40, 1, m));
    n = nd_na_build(p, sizeof(p), me, a, mac, 1);
    assert_true(icmp6_ok(p, n));
    assert_int_equal(p[44] & 0xe0, 0xe0);
    assert_true(nd_lladdr_option(p + 40, n - 40, 2, m));
}

static void discard(void *arg, uint8_t *ip, size_t len)
{
    (void)arg;
    (void)ip;
    (void)len;
}

TEST(random_bytes_never_crash)
{
    uint8_t *p = malloc(2048), out[ICMP_ERR_MAX];

    for (int i = 0; i < 200000; i++) {
        size_t n = rnd() % 200;
        struct ip4_info h;
        struct ip6_info h6;
        struct l4_info t;
        struct arp_info a;
        struct eth_info e;
        for (size_t k = 0; k < n; k++)
            p[k] = (uint8_t)rnd();
        if (i % 4 == 3 && n >= 40) { /* IPv6 headers too */
            p[0] = 0x60;
            put16(p + 4, (uint16_t)(n - 40 - rnd() % 2));
        } else if (i % 2 && n >= 20) { /* mostly-valid headers reach deeper */
            p[0] = (uint8_t)(0x40 | (5 + rnd() % 11));
            put16(p + 2, (uint16_t)(rnd() % (n + 8)));
            ip4_set_csum(p);
        }
        (void)pkt_eth(p, n, &e);
        (void)pkt_arp(p, n, &a);
        if (pkt_ipv6(p, n, &h6) == PKT_OK) {
            uint8_t big[ICMP6_ERR_MAX];
            (void)icmp6_error(big, sizeof(big), p, n, ICMP6_UNREACH_, 0, 0, p + 8);
            (void)icmp6_echo_reply(p, n);
        }
        (void)nd_lladdr_option(p, n, 1, out);
        if (pkt_ipv4(p, n, &h) == PKT_OK) {
            (void)pkt_l4(p + h.hlen, h.tot_len - h.hlen, h.proto, &t);
            (void)icmp4_error(out, sizeof(out), p, n, ICMP_UNREACH_, 1, 0, 1, 1);
            (void)icmp4_echo_reply(p, n, 1);
        }
        (void)ip4_fragment(p, n, 68 + rnd() % 100, discard, NULL);
        (void)gso_segment(p, n, 1 + rnd() % 5, rnd() % 200, discard, NULL);
        (void)csum_complete(p, n, rnd() % 64, rnd() % 64);
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_header_checks),
        cmocka_unit_test(transport_header_checks),
        cmocka_unit_test(icmp_error_quotes_and_restrictions),
        cmocka_unit_test(echo_reply_in_place),
        cmocka_unit_test(ttl_decrement_keeps_checksum),
        cmocka_unit_test(partial_checksum_completion),
        cmocka_unit_test(checksum_matches_reference),
        cmocka_unit_test(fragmentation_reassembles),
        cmocka_unit_test(gso_tcp_segments),
        cmocka_unit_test(gso_udp_segments),
        cmocka_unit_test(icmpv6_builders),
        cmocka_unit_test(random_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
