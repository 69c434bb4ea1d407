/*
 * forward.c: the IPv4 packet path (fwdd.h): frames in from a port, the
 * offload metadata undone (partial checksums completed, GSO super-frames
 * cut back into packets), header checks, delivery to the appliance or a
 * route lookup in the ingress unit's instance, TTL, ICMP errors where a
 * router sends them (RFC 1812), fragmentation, and out through ARP or into
 * a service set.
 */
#include "fwdd.h"
#include "arp.h"
#include "log.h"
#include "pktutil.h"
#include "svc.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <time.h>

const char *fwd_drop_name(enum fwd_drop d)
{
    static const char *const names[DROP_MAX] = {
        [DROP_FRAME_SHORT] = "runt frames",
        [DROP_FRAME_TRUNC] = "truncated frames",
        [DROP_OTHERHOST] = "frames for another host",
        [DROP_ETHERTYPE] = "unsupported ethertype",
        [DROP_NO_UNIT] = "no usable unit",
        [DROP_ARP_BAD] = "malformed ARP",
        [DROP_ARP_NOT_OURS] = "ARP for another host",
        [DROP_IP_SHORT] = "truncated IP header",
        [DROP_IP_VERSION] = "bad IP version",
        [DROP_IP_IHL] = "bad IP header length",
        [DROP_IP_LEN] = "bad IP length",
        [DROP_IP_CSUM] = "bad IP header checksum",
        [DROP_L4_BAD] = "bad transport header",
        [DROP_MARTIAN] = "martian address",
        [DROP_TTL] = "TTL expired",
        [DROP_NO_ROUTE] = "no route",
        [DROP_DISCARD] = "discard route",
        [DROP_NEEDFRAG] = "fragmentation needed",
        [DROP_ARP_FAILED] = "next hop unresolved",
        [DROP_ARP_QUEUE] = "ARP queue full",
        [DROP_PORT_DOWN] = "output port down",
        [DROP_TX] = "transmit errors",
        [DROP_GSO] = "unsegmentable super-frame",
        [DROP_NO_SS] = "services unit without service set",
        [DROP_SS_NO_RULE] = "service set: no rule matched",
        [DROP_SS_NO_SA] = "service set: no SA",
        [DROP_LOCAL] = "to the appliance, not handled",
        [DROP_IKE_NO_KMD] = "IKE while kmd is away",
        [DROP_ESP_NO_SA] = "ESP without SA",
        [DROP_IP6_HDR] = "bad IPv6 header",
        [DROP_IP6_MCAST] = "IPv6 multicast",
        [DROP_ESP_HDR] = "ESP bad header",
        [DROP_ESP_AUTH] = "ESP authentication failure",
        [DROP_ESP_DECRYPT] = "ESP decryption failure",
        [DROP_ESP_TRAILER] = "ESP bad trailer",
        [DROP_ESP_REPLAY] = "ESP replay",
        [DROP_ESP_SELECTOR] = "ESP inner packet outside its SA's selectors",
        [DROP_ESP_SEQ] = "ESP sequence numbers exhausted",
        [DROP_ESP_NESTED] = "ESP nested too deep",
        [DROP_ESP_NO_ROUTE] = "ESP: no route to the remote gateway",
        [DROP_FRAG_LOCAL] = "fragment to the appliance not reassembled",
        [DROP_REASM_TIMEOUT] = "reassembly timeout",
        [DROP_REASM_MEM] = "reassembly memory cap",
        [DROP_REASM_BAD] = "overlapping or oversized fragments",
        [DROP_PIC_BUSY] = "service PIC busy",
        [DROP_AH_NO_SA] = "AH without SA",
        [DROP_AH_HDR] = "AH bad header",
        [DROP_AH_AUTH] = "AH authentication failure",
        [DROP_AH_REPLAY] = "AH replay",
    };
    return (unsigned)d < DROP_MAX && names[d] ? names[d] : "?";
}

void fwd_drop(struct fwdd *fw, enum fwd_drop why)
{
    fw->st.drop[why]++;
}

int64_t fw_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fw_now_ms(void)
{
    return fw_now_us() / 1000;
}

static enum fwd_drop ip_drop_reason(int err)
{
    switch (err) {
    case PKT_SHORT:
        return DROP_IP_SHORT;
    case PKT_BAD_VERSION:
        return DROP_IP_VERSION;
    case PKT_BAD_IHL:
        return DROP_IP_IHL;
    case PKT_BAD_CSUM:
        return DROP_IP_CSUM;
    default:
        return DROP_IP_LEN;
    }
}

struct seg_arg {
    struct fwdd *fw;
    struct unit *in;
    const uint8_t *eth_src;
    int v6;
};

static void seg_input(void *arg, uint8_t *ip, size_t len)
{
    struct seg_arg *a = arg;

    a->fw->st.gso_segments++;
    if (a->v6)
        ip6_input(a->fw, a->in, a->eth_src, ip, len);
    else
        ip4_input(a->fw, a->in, ip, len);
}

void fwd_frame_input(struct fwdd *fw, struct port *p, uint8_t *frame, size_t len,
                     const void *vnet_hdr)
{
    const struct virtio_net_hdr *vh = vnet_hdr;
    struct eth_info e;
    struct unit *u;
    uint8_t *l3;
    size_t l3len;
    int v6;

    if (pkt_eth(frame, len, &e) != PKT_OK) {
        fwd_drop(fw, DROP_FRAME_SHORT);
        return;
    }
    if (e.type == ETHTYPE_ARP) {
        arp_input(fw, p, frame, len);
        return;
    }
    if (e.type != ETHTYPE_IPV4 && e.type != ETHTYPE_IPV6) {
        fwd_drop(fw, DROP_ETHERTYPE);
        return;
    }
    v6 = e.type == ETHTYPE_IPV6;
    u = fw->cur ? fw->cur->port_unit[p->index] : NULL;
    if (u == NULL || !(v6 ? u->inet6 : u->inet)) {
        fwd_drop(fw, DROP_NO_UNIT);
        return;
    }
    l3 = frame + e.l3off;
    l3len = len - e.l3off;
    if (vh && vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        struct seg_arg a = {fw, u, e.src, v6};
        fw->st.gso_frames++;
        if (gso_segment(l3, l3len, vh->gso_type, vh->gso_size, seg_input, &a) != PKT_OK)
            fwd_drop(fw, DROP_GSO);
        return;
    }
    if (vh && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
        fw->st.csum_partial++;
        if (vh->csum_start < e.l3off ||
            csum_complete(l3, l3len, vh->csum_start - e.l3off, vh->csum_offset) < 0) {
            fwd_drop(fw, DROP_IP_LEN);
            return;
        }
    }
    if (v6)
        ip6_input(fw, u, e.src, l3, l3len);
    else
        ip4_input(fw, u, l3, l3len);
}

static int is_broadcast_for(const struct unit *u, uint32_t dst)
{
    for (size_t i = 0; i < u->nv4; i++) {
        unsigned plen = u->v4[i].plen;
        uint32_t mask = addr_mask4(plen);
        if (plen < 31 && dst == (addr_v4(&u->v4[i]) | ~mask))
            return 1;
    }
    return 0;
}

static int martian_src(uint32_t a)
{
    return (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffffu;
}

/* Where the route's selected next hop leads. */
static int to_next_hop(struct fwdd *fw, struct unit *in, const struct route *r, uint32_t dst,
                       uint8_t *ip, size_t len)
{
    const struct rt_nh *nh = &r->nh[r->sel];
    struct unit *out = nh->unit;

    if (out == NULL) {
        fwd_drop(fw, DROP_NO_ROUTE);
        return -EHOSTUNREACH;
    }
    if (out->ifd->kind == IFK_MS || out->ifd->kind == IFK_MAMS || out->ifd->kind == IFK_AMS) {
        svc_input(fw, in, out, ip, len);
        return 0;
    }
    return ip4_output(fw, in, out, nh->kind == NH_GATEWAY ? addr_v4(&nh->gw) : dst, ip, len);
}

void ip4_input(struct fwdd *fw, struct unit *in, uint8_t *ip, size_t len)
{
    struct ip4_info h;
    struct instance *inst = in->inst;
    const struct rt_dest *d;
    const struct route *r;
    int err, local;

    if ((err = pkt_ipv4(ip, len, &h)) != PKT_OK) {
        fwd_drop(fw, ip_drop_reason(err));
        return;
    }
    len = h.tot_len; /* Ethernet padding */
    if (martian_src(h.src)) {
        fwd_drop(fw, DROP_MARTIAN);
        return;
    }
    /* broadcasts are not looked up (nor put in the route cache) */
    local = h.dst == 0xffffffffu || is_broadcast_for(in, h.dst);
    d = local ? NULL : inst_route4(fw->cur, inst, h.dst, &local);
    if (local) {
        fw->st.local_in++;
        local4_input(fw, in, inst, ip, len);
        return;
    }
    if ((h.dst >> 28) == 0xe || (h.dst >> 24) == 127 || (h.dst >> 24) == 0 || h.src == 0) {
        fwd_drop(fw, DROP_MARTIAN);
        return;
    }
    if (h.ttl <= 1) {
        icmp4_reply_error(fw, in, inst, ip, len, ICMP_TIMXCEED_, 0, 0);
        fwd_drop(fw, DROP_TTL);
        return;
    }
    if (d == NULL || (r = rt_active(d)) == NULL || r->sel < 0) {
        icmp4_reply_error(fw, in, inst, ip, len, ICMP_UNREACH_, ICMP_UNREACH_NET_, 0);
        fwd_drop(fw, DROP_NO_ROUTE);
        return;
    }
    if (r->nh[r->sel].kind == NH_DISCARD) {
        fwd_drop(fw, DROP_DISCARD);
        return;
    }
    if (r->nh[r->sel].kind == NH_LOCAL) {
        local4_input(fw, in, inst, ip, len);
        return;
    }
    ip4_dec_ttl(ip);
    fw->st.forwarded++;
    to_next_hop(fw, in, r, h.dst, ip, len);
}

struct frag_arg {
    struct fwdd *fw;
    struct unit *out;
    uint32_t nh;
};

static void frag_out(void *arg, uint8_t *ip, size_t len)
{
    struct frag_arg *a = arg;

    arp_output(a->fw, a->out, a->nh, ip, len);
}

int ip4_output(struct fwdd *fw, struct unit *in, struct unit *out, uint32_t nh, uint8_t *ip,
               size_t len)
{
    unsigned mtu = unit_mtu(out);

    if (out->ifd->port == NULL) {
        fwd_drop(fw, DROP_PORT_DOWN);
        return -EHOSTUNREACH;
    }
    if (len > mtu) {
        struct frag_arg a = {fw, out, nh};
        if (get16(ip + 6) & 0x4000) {
            if (in)
                icmp4_reply_error(fw, in, in->inst, ip, len, ICMP_UNREACH_, ICMP_UNREACH_NEEDFRAG_,
                                  (uint16_t)mtu);
            fwd_drop(fw, DROP_NEEDFRAG);
            return -EMSGSIZE;
        }
        return ip4_fragment(ip, len, mtu, frag_out, &a) < 0 ? -EMSGSIZE : 0;
    }
    arp_output(fw, out, nh, ip, len);
    return 0;
}

int ip4_send(struct fwdd *fw, struct instance *inst, uint8_t *ip, size_t len)
{
    uint32_t dst = get32(ip + 16);
    const struct rt_dest *d;
    const struct route *r;
    struct addr a;

    if (inst_is_local4(fw->cur, inst, dst)) {
        fw->st.local_in++;
        local4_input(fw, NULL, inst, ip, len);
        return 0;
    }
    addr_set_v4(&a, dst, 32);
    if ((d = rtable_lookup(inst->inet, &a)) == NULL || (r = rt_active(d)) == NULL || r->sel < 0) {
        fwd_drop(fw, DROP_NO_ROUTE);
        return -EHOSTUNREACH;
    }
    if (r->nh[r->sel].kind == NH_DISCARD) {
        fwd_drop(fw, DROP_DISCARD);
        return 0;
    }
    return to_next_hop(fw, NULL, r, dst, ip, len);
}

uint32_t inst_any_addr4(const struct gen *g, const struct instance *inst)
{
    for (size_t i = 0; i < g->nifds; i++)
        for (size_t k = 0; k < g->ifds[i].nunits; k++) {
            const struct unit *u = &g->ifds[i].units[k];
            if (u->inst == inst && u->nv4 && !u->disabled)
                return unit_addr4(u);
        }
    return 0;
}

void icmp4_reply_error(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *orig,
                       size_t len, uint8_t type, uint8_t code, uint16_t mtu)
{
    uint8_t buf[ICMP_ERR_MAX];
    uint32_t src = 0;
    size_t n;

    if (len < 20)
        return;
    if (in)
        src = unit_addr4_for(in, get32(orig + 12));
    if (src == 0 && inst_is_local4(fw->cur, inst, get32(orig + 16)))
        src = get32(orig + 16);
    if (src == 0)
        src = inst_any_addr4(fw->cur, inst);
    if (src == 0)
        return;
    n = icmp4_error(buf, sizeof(buf), orig, len, type, code, mtu, src, fw->ip_id++);
    if (n == 0)
        return;
    fw->st.icmp_out++;
    ip4_send(fw, inst, buf, n);
}
