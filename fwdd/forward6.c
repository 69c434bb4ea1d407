/*
 * forward6.c: the IPv6 packet path (fwdd.h), the counterpart of forward.c
 * and local.c: header checks, delivery to the appliance (neighbor
 * discovery, echo; UDP gets port unreachable), hop limit, lookup in the
 * instance's inet6 table, ICMPv6 errors (RFC 4443: time exceeded, no
 * route, packet too big - routers do not fragment IPv6), and out through
 * neighbor discovery or into a service set.  Link-local addresses are
 * never forwarded (fwdd has none of its own); multicast is not forwarded.
 * Extension headers are forwarded as they are and not walked: a packet to
 * the appliance must carry ICMPv6 or UDP right after the fixed header.
 */
#include "fwdd.h"
#include "nd.h"
#include "pktutil.h"
#include "svc.h"

#include <errno.h>
#include <string.h>

static int is_mcast(const uint8_t *a)
{
    return a[0] == 0xff;
}

static int is_linklocal(const uint8_t *a)
{
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int is_unspecified(const uint8_t *a)
{
    static const uint8_t zero[16];

    return memcmp(a, zero, 16) == 0;
}

/* ff02::1, or the solicited-node group of one of u's addresses. */
static int group_for_us(const struct unit *u, const uint8_t *a)
{
    static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
    uint8_t g[16], mac[6];

    if (memcmp(a, all_nodes, 16) == 0)
        return 1;
    for (size_t i = 0; i < u->nv6; i++) {
        nd_solicited_node(u->v6[i].a, g, mac);
        if (memcmp(a, g, 16) == 0)
            return 1;
    }
    return 0;
}

static const uint8_t *inst_any_addr6(const struct gen *g, const struct instance *inst)
{
    for (size_t i = 0; i < g->nifds; i++)
        for (size_t k = 0; k < g->ifds[i].nunits; k++) {
            const struct unit *u = &g->ifds[i].units[k];
            if (u->inst == inst && u->nv6 && !u->disabled)
                return u->v6[0].a;
        }
    return NULL;
}

void icmp6_reply_error(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *orig,
                       size_t len, uint8_t type, uint8_t code, uint32_t param)
{
    uint8_t buf[ICMP6_ERR_MAX];
    const uint8_t *src = NULL;
    size_t n;

    if (len < 40)
        return;
    if (in)
        src = unit_addr6_for(in, orig + 8);
    if (src == NULL && inst_is_local6(inst, orig + 24))
        src = orig + 24;
    if (src == NULL && (src = inst_any_addr6(fw->cur, inst)) == NULL)
        return;
    n = icmp6_error(buf, sizeof(buf), orig, len, type, code, param, src);
    if (n == 0)
        return;
    fw->st.icmp_out++;
    ip6_send(fw, inst, buf, n);
}

static void local6_input(struct fwdd *fw, struct unit *in, struct instance *inst,
                         const uint8_t *eth_src, uint8_t *ip, size_t len)
{
    struct ip6_info h;
    int n;

    pkt_ipv6(ip, len, &h);
    if (h.nxt == IPPROTO_UDP_ && !is_mcast(h.dst)) {
        icmp6_reply_error(fw, in, inst, ip, len, ICMP6_UNREACH_, ICMP6_UNREACH_PORT_, 0);
        fwd_drop(fw, DROP_LOCAL);
        return;
    }
    if (h.nxt != IPPROTO_ICMPV6_ || h.plen < 8 ||
        csum_fold(csum_add(csum_pseudo6(h.src, h.dst, IPPROTO_ICMPV6_, h.plen), ip + 40, h.plen)) !=
            0) {
        fwd_drop(fw, h.nxt == IPPROTO_ICMPV6_ ? DROP_L4_BAD : DROP_LOCAL);
        return;
    }
    switch (ip[40]) {
    case ND_NEIGHBOR_SOLICIT_:
    case ND_NEIGHBOR_ADVERT_:
        if (h.hlim != 255 || in == NULL || in->ifd->port == NULL || eth_src == NULL) {
            fwd_drop(fw, DROP_L4_BAD); /* RFC 4861 7.1: only from the link */
            return;
        }
        nd_input(fw, in->ifd->port, in, eth_src, ip, len);
        return;
    case ICMP6_ECHO_REQUEST_:
        if (is_mcast(h.dst) || (n = icmp6_echo_reply(ip, len)) < 0) {
            fwd_drop(fw, DROP_LOCAL);
            return;
        }
        ip6_send(fw, inst, ip, (size_t)n);
        return;
    }
    fwd_drop(fw, DROP_LOCAL);
}

static int ip6_output(struct fwdd *fw, struct unit *in, struct unit *out, const uint8_t *nh,
                      uint8_t *ip, size_t len)
{
    unsigned mtu = unit_mtu(out);

    if (out->ifd->kind == IFK_MS || out->ifd->kind == IFK_MAMS || out->ifd->kind == IFK_AMS) {
        svc_input(fw, in, out, ip, len);
        return 0;
    }
    if (out->ifd->port == NULL) {
        fwd_drop(fw, DROP_PORT_DOWN);
        return -EHOSTUNREACH;
    }
    if (len > mtu) {
        if (in)
            icmp6_reply_error(fw, in, in->inst, ip, len, ICMP6_PACKET_TOO_BIG_, 0, mtu);
        fwd_drop(fw, DROP_NEEDFRAG);
        return -EMSGSIZE;
    }
    nd_output(fw, out, nh, ip, len);
    return 0;
}

/* The active route to dst in inst with a usable next hop, or NULL. */
static const struct route *route6(struct instance *inst, const uint8_t *dst)
{
    struct addr a;
    const struct route *r;

    addr_set_v6(&a, dst, 128);
    r = rt_active(rtable_lookup(inst->inet6, &a));
    return r && r->sel >= 0 ? r : NULL;
}

void ip6_input(struct fwdd *fw, struct unit *in, const uint8_t *eth_src, uint8_t *ip, size_t len)
{
    struct instance *inst = in->inst;
    struct ip6_info h;
    const struct route *r;
    const struct rt_nh *nh;

    if (pkt_ipv6(ip, len, &h) != PKT_OK) {
        fwd_drop(fw, DROP_IP6_HDR);
        return;
    }
    len = 40 + h.plen;
    if (is_mcast(h.src)) {
        fwd_drop(fw, DROP_MARTIAN);
        return;
    }
    if (is_mcast(h.dst)) {
        if (!group_for_us(in, h.dst)) {
            fwd_drop(fw, DROP_IP6_MCAST);
            return;
        }
        fw->st.local_in++;
        local6_input(fw, in, inst, eth_src, ip, len);
        return;
    }
    if (inst_is_local6(inst, h.dst)) {
        fw->st.local_in++;
        local6_input(fw, in, inst, eth_src, ip, len);
        return;
    }
    if (is_linklocal(h.dst) || is_linklocal(h.src) || is_unspecified(h.src)) {
        fwd_drop(fw, DROP_MARTIAN);
        return;
    }
    if (h.hlim <= 1) {
        icmp6_reply_error(fw, in, inst, ip, len, ICMP6_TIME_EXCEEDED_, 0, 0);
        fwd_drop(fw, DROP_TTL);
        return;
    }
    if ((r = route6(inst, h.dst)) == NULL) {
        icmp6_reply_error(fw, in, inst, ip, len, ICMP6_UNREACH_, ICMP6_UNREACH_NOROUTE_, 0);
        fwd_drop(fw, DROP_NO_ROUTE);
        return;
    }
    nh = &r->nh[r->sel];
    if (nh->kind == NH_DISCARD || nh->unit == NULL) {
        fwd_drop(fw, DROP_DISCARD);
        return;
    }
    ip[7]--;
    fw->st.forwarded++;
    ip6_output(fw, in, nh->unit, nh->kind == NH_GATEWAY ? nh->gw.a : h.dst, ip, len);
}

int ip6_send(struct fwdd *fw, struct instance *inst, uint8_t *ip, size_t len)
{
    const struct route *r;
    const struct rt_nh *nh;

    if (inst_is_local6(inst, ip + 24)) {
        fw->st.local_in++;
        local6_input(fw, NULL, inst, NULL, ip, len);
        return 0;
    }
    if ((r = route6(inst, ip + 24)) == NULL) {
        fwd_drop(fw, DROP_NO_ROUTE);
        return -EHOSTUNREACH;
    }
    nh = &r->nh[r->sel];
    if (nh->kind == NH_DISCARD || nh->unit == NULL) {
        fwd_drop(fw, DROP_DISCARD);
        return 0;
    }
    return ip6_output(fw, NULL, nh->unit, nh->kind == NH_GATEWAY ? nh->gw.a : ip + 24, ip, len);
}
