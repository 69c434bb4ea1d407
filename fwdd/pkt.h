/*
 * pkt.h: the packet formats fwdd reads and writes (Ethernet II, ARP,
 * IPv4, IPv6, ICMP, UDP, TCP), their checksums, and the builders of the
 * packets fwdd originates (ARP, ICMP replies and errors, ping and
 * traceroute probes), IPv4 fragmentation and the segmentation of GSO
 * super-frames.  Pure functions on byte buffers, no I/O: forward.c,
 * arp.c and ping.c call them; the unit tests feed them hostile input.
 *
 * Parsers validate bounds before they read and fill a small struct; they
 * return PKT_OK or the reason the packet is dropped (counted by the
 * caller in struct fwd_stats).  Builders return the length written, or 0
 * when nothing may be sent (RFC 1812 4.3.2.7: no ICMP error about an ICMP
 * error, a non-initial fragment, or a broadcast or multicast packet) or
 * the output buffer is too small.
 */
#ifndef FWDD_PKT_H
#define FWDD_PKT_H

#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN_ 14
#define ETHTYPE_IPV4 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_VLAN 0x8100
#define ETHTYPE_IPV6 0x86dd

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_ICMPV6_ 58

/* ICMP types and codes (RFC 792, RFC 1191) */
#define ICMP_ECHOREPLY_ 0
#define ICMP_UNREACH_ 3
#define ICMP_UNREACH_NET_ 0
#define ICMP_UNREACH_HOST_ 1
#define ICMP_UNREACH_PROTO_ 2
#define ICMP_UNREACH_PORT_ 3
#define ICMP_UNREACH_NEEDFRAG_ 4
#define ICMP_UNREACH_ADMIN_ 13
#define ICMP_ECHO_ 8
#define ICMP_TIMXCEED_ 11

#define ICMP_ERR_MAX 576 /* RFC 1812 4.3.2.3: an error fits in 576 bytes */

enum pkt_err {
    PKT_OK = 0,
    PKT_SHORT,       /* shorter than its header */
    PKT_BAD_VERSION, /* IP version field */
    PKT_BAD_IHL,     /* IPv4 header length below 20 or beyond the data */
    PKT_BAD_LEN,     /* a length field disagrees with the data */
    PKT_BAD_CSUM,    /* IPv4 header checksum */
    PKT_BAD_ARP,     /* not Ethernet/IPv4 ARP */
    PKT_UNSUPPORTED, /* a GSO type fwdd does not segment */
};
const char *pkt_err_name(enum pkt_err e);

struct eth_info {
    const uint8_t *dst, *src;
    uint16_t type;
    size_t l3off; /* 14 */
};
int pkt_eth(const uint8_t *f, size_t len, struct eth_info *e);

struct arp_info {
    uint16_t op; /* 1 request, 2 reply */
    uint8_t sha[6], tha[6];
    uint32_t spa, tpa; /* host order */
};
int pkt_arp(const uint8_t *p, size_t len, struct arp_info *a);
/* A whole Ethernet frame (padded to 60 bytes) carrying an ARP message. */
size_t arp_build(uint8_t *out, size_t cap, uint16_t op, const uint8_t eth_dst[6],
                 const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa);

struct ip4_info {
    unsigned hlen;    /* header bytes */
    unsigned tot_len; /* trailing link padding beyond it is ignored */
    uint8_t tos, ttl, proto;
    uint16_t id;
    unsigned df : 1, mf : 1;
    unsigned fragoff;  /* bytes */
    uint32_t src, dst; /* host order */
};
int pkt_ipv4(const uint8_t *p, size_t len, struct ip4_info *ip);

struct ip6_info {
    unsigned plen; /* payload length */
    uint8_t nxt, hlim;
    uint8_t src[16], dst[16];
};
int pkt_ipv6(const uint8_t *p, size_t len, struct ip6_info *ip);

/* Transport header of an IPv4 packet (first fragment only). */
struct l4_info {
    uint8_t proto;
    uint16_t sport, dport;      /* UDP, TCP */
    uint8_t type, code;         /* ICMP */
    uint16_t icmp_id, icmp_seq; /* ICMP echo */
    size_t hlen;                /* transport header bytes */
    size_t len;                 /* transport bytes (header and payload) */
};
int pkt_l4(const uint8_t *l4, size_t len, uint8_t proto, struct l4_info *t);

/* Checksums (RFC 1071): partial sums, fold, and the full forms. */
uint32_t csum_add(uint32_t sum, const void *p, size_t len);
uint16_t csum_fold(uint32_t sum); /* complemented, network order value */
uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto, size_t len);
void ip4_set_csum(uint8_t *ip);
/* Recompute the TCP/UDP/ICMP checksum of a whole IPv4 packet. */
void ip4_l4_csum(uint8_t *ip, size_t len);
void ip6_l4_csum(uint8_t *ip, size_t len);
/* Decrement the TTL, updating the header checksum incrementally (RFC 1624). */
void ip4_dec_ttl(uint8_t *ip);
/* Complete a partial checksum (virtio_net_hdr NEEDS_CSUM): sum from start
 * to the end, store the folded result at start + off.  -1 if out of bounds. */
int csum_complete(uint8_t *p, size_t len, size_t start, size_t off);

/* --- builders (icmp.c) ------------------------------------------------- */

/* An IPv4 ICMP error about orig (an IPv4 packet of orig_len bytes, already
 * validated): type/code, next-hop MTU for NEEDFRAG, from src. */
size_t icmp4_error(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len, uint8_t type,
                   uint8_t code, uint16_t mtu, uint32_t src, uint16_t id);
/* Turn a validated echo request (whole IPv4 packet) into its reply, in
 * place: addresses swapped, TTL 64, checksums recomputed.  0 or -1. */
int icmp4_echo_reply(uint8_t *ip, size_t len, uint16_t id);
/* An echo request of size data bytes (a timestamp pattern), or a UDP
 * probe of size payload bytes.  df sets Don't Fragment. */
size_t icmp4_echo_build(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t ident,
                        uint16_t seq, size_t size, uint8_t ttl, int df, uint16_t id);
size_t udp4_build(uint8_t *out, size_t cap, uint32_t src, uint32_t dst, uint16_t sport,
                  uint16_t dport, size_t size, uint8_t ttl, uint16_t id);
/* The IPv4 header fields common to the builders. */
void ip4_hdr_build(uint8_t *ip, size_t tot_len, uint8_t proto, uint32_t src, uint32_t dst,
                   uint8_t ttl, int df, uint16_t id);
/* The same with this TOS. */
void ip4_hdr_build_tos(uint8_t *ip, size_t tot_len, uint8_t tos, uint8_t proto, uint32_t src,
                       uint32_t dst, uint8_t ttl, int df, uint16_t id);

/* --- IPv6 builders (icmp6.c) ---------------------------------------- */

/* ICMPv6 types (RFC 4443, RFC 4861) */
#define ICMP6_UNREACH_ 1
#define ICMP6_UNREACH_NOROUTE_ 0
#define ICMP6_UNREACH_ADDR_ 3
#define ICMP6_UNREACH_PORT_ 4
#define ICMP6_PACKET_TOO_BIG_ 2
#define ICMP6_TIME_EXCEEDED_ 3
#define ICMP6_PARAM_PROB_ 4
#define ICMP6_ECHO_REQUEST_ 128
#define ICMP6_ECHO_REPLY_ 129
#define ND_NEIGHBOR_SOLICIT_ 135
#define ND_NEIGHBOR_ADVERT_ 136
#define ICMP6_ERR_MAX 1280 /* RFC 4443 2.4 (c): an error fits the minimum MTU */

void ip6_hdr_build(uint8_t *ip, size_t plen, uint8_t nxt, const uint8_t src[16],
                   const uint8_t dst[16], uint8_t hlim);
/* An ICMPv6 error about orig (a validated IPv6 packet); 0 when RFC 4443
 * 2.4 (e) forbids it (orig is an ICMPv6 error, from an unspecified or
 * multicast source, or to a multicast destination except Packet Too
 * Big). */
size_t icmp6_error(uint8_t *out, size_t cap, const uint8_t *orig, size_t orig_len, uint8_t type,
                   uint8_t code, uint32_t param, const uint8_t src[16]);
/* Echo request to reply, in place (source = our address the request was
 * sent to).  Length, or -1. */
int icmp6_echo_reply(uint8_t *ip, size_t len);
/* Neighbor solicitation for target from src (to its solicited-node
 * group), or advertisement of target to dst; with our link-layer address
 * option.  Whole IPv6 packets. */
size_t nd_ns_build(uint8_t *out, size_t cap, const uint8_t src[16], const uint8_t target[16],
                   const uint8_t mac[6]);
size_t nd_na_build(uint8_t *out, size_t cap, const uint8_t target[16], const uint8_t dst[16],
                   const uint8_t mac[6], int solicited);
/* Solicited-node multicast address of a (ff02::1:ffXX:XXXX) and its MAC. */
void nd_solicited_node(const uint8_t a[16], uint8_t group[16], uint8_t mac[6]);
/* The link-layer address option of an NS or NA (type 1 or 2), if any.
 * icmp points at the ICMPv6 header, len its length.  1 if found. */
int nd_lladdr_option(const uint8_t *icmp, size_t len, uint8_t type, uint8_t mac[6]);

/* --- fragmentation and segmentation (gso.c) ---------------------------- */

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* linux/virtio_net.h of Linux 4.18+ */
#endif

typedef void (*pkt_emit_fn)(void *arg, uint8_t *ip, size_t len);

/* Split a validated IPv4 packet without DF into fragments of at most mtu
 * bytes (RFC 791), each passed to emit.  -1 if mtu is too small. */
int ip4_fragment(const uint8_t *ip, size_t len, unsigned mtu, pkt_emit_fn emit, void *arg);
/* Cut a GSO super-frame (an IPv4 or IPv6 packet whose TCP or UDP payload
 * exceeds gso_size) into the packets its sender meant, each with complete
 * checksums.  gso_type: VIRTIO_NET_HDR_GSO_TCPV4, _TCPV6 or _UDP_L4.
 * Returns PKT_OK or the reason it cannot. */
int gso_segment(const uint8_t *ip, size_t len, unsigned gso_type, unsigned gso_size,
                pkt_emit_fn emit, void *arg);

#endif
