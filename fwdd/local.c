/*
 * local.c: IPv4 packets addressed to the appliance (fwdd.h): ICMP echo is
 * answered; echo replies and ICMP errors go to fwdd's own ping and
 * traceroute (ping.c); IKE to a service set's local gateway is punted to
 * kmd (svc.c), ESP (protocol 50, or UDP 4500 - or the udp-encapsulate
 * dest-port - without the non-ESP marker) is decapsulated (espin.c), AH
 * (protocol 51) checked and stripped (ahin.c), NAT
 * keepalives are absorbed; other UDP gets port unreachable, other
 * protocols protocol unreachable, TCP is dropped (the appliance's
 * management plane is not on its revenue ports).  Fragments of ESP, AH and
 * UDP to a local gateway are reassembled first (reasm.c); other fragments
 * to the appliance are dropped.
 */
#include "fwdd.h"
#include "ipsec.h"
#include "ping.h"
#include "pktutil.h"
#include "svc.h"

#define IKE_PORT 500
#define NATT_PORT 4500

static void icmp_input(struct fwdd *fw, struct unit *in, struct instance *inst, uint8_t *ip,
                       size_t len, const struct ip4_info *h, const struct l4_info *t)
{
    int n;

    if (csum_fold(csum_add(0, ip + h->hlen, len - h->hlen)) != 0) {
        fwd_drop(fw, DROP_L4_BAD);
        return;
    }
    switch (t->type) {
    case ICMP_ECHO_:
        if (h->dst == 0xffffffffu || (in && !inst_is_local4(fw->cur, inst, h->dst))) {
            fwd_drop(fw, DROP_LOCAL); /* no answer to broadcast pings */
            return;
        }
        if ((n = icmp4_echo_reply(ip, len, fw->ip_id++)) < 0) {
            fwd_drop(fw, DROP_L4_BAD);
            return;
        }
        ip4_send(fw, inst, ip, (size_t)n);
        return;
    case ICMP_ECHOREPLY_:
    case ICMP_UNREACH_:
    case ICMP_TIMXCEED_:
        if (probe_icmp_input(fw, inst, ip, len))
            return;
        break;
    }
    fwd_drop(fw, DROP_LOCAL);
}

static void udp_input(struct fwdd *fw, struct unit *in, struct instance *inst, uint8_t *ip,
                      size_t len, const struct ip4_info *h, const struct l4_info *t)
{
    struct service_set *ss = svc_by_gateway(fw->cur, inst, h->dst);
    uint8_t *payload = ip + h->hlen + 8;
    size_t plen = t->len - 8;
    int natt = ss && (t->dport == NATT_PORT || svc_udp_encap_port(fw->cur, inst, h->dst, t->dport));

    (void)len;
    if (natt && plen == 1 && payload[0] == 0xff)
        return; /* NAT keepalive (RFC 3948 2.3): absorbed */
    if (natt && plen >= 4 && get32(payload) != 0) {
        esp_input(fw, inst, ip, payload, plen, 1); /* ESP in UDP: no non-ESP marker */
        return;
    }
    if (ss && (t->dport == IKE_PORT || t->dport == NATT_PORT)) {
        svc_ike_input(fw, ss, in, ip, len);
        return;
    }
    if (h->dst != 0xffffffffu)
        icmp4_reply_error(fw, in, inst, ip, len, ICMP_UNREACH_, ICMP_UNREACH_PORT_, 0);
    fwd_drop(fw, DROP_LOCAL);
}

void local4_input(struct fwdd *fw, struct unit *in, struct instance *inst, uint8_t *ip, size_t len)
{
    struct ip4_info h;
    struct l4_info t;

    if (pkt_ipv4(ip, len, &h) != PKT_OK) {
        fwd_drop(fw, DROP_IP_LEN);
        return;
    }
    if (h.mf || h.fragoff) {
        if ((h.proto == IPPROTO_ESP_ || h.proto == IPPROTO_UDP_ || h.proto == IPPROTO_AH_) &&
            svc_by_gateway(fw->cur, inst, h.dst))
            reasm_input(fw, in, inst, ip, h.tot_len);
        else
            fwd_drop(fw, DROP_FRAG_LOCAL);
        return;
    }
    if (pkt_l4(ip + h.hlen, h.tot_len - h.hlen, h.proto, &t) != PKT_OK) {
        fwd_drop(fw, DROP_L4_BAD);
        return;
    }
    switch (h.proto) {
    case IPPROTO_ICMP_:
        icmp_input(fw, in, inst, ip, h.tot_len, &h, &t);
        return;
    case IPPROTO_UDP_:
        udp_input(fw, in, inst, ip, h.tot_len, &h, &t);
        return;
    case IPPROTO_ESP_:
        if (svc_by_gateway(fw->cur, inst, h.dst) != NULL) {
            esp_input(fw, inst, ip, ip + h.hlen, h.tot_len - h.hlen, 0);
            return;
        }
        break;
    case IPPROTO_AH_:
        if (svc_by_gateway(fw->cur, inst, h.dst) != NULL) {
            ah_input(fw, inst, ip, h.tot_len); /* ahin.c */
            return;
        }
        break;
    case IPPROTO_TCP_:
        fwd_drop(fw, DROP_LOCAL);
        return;
    }
    if (h.dst != 0xffffffffu)
        icmp4_reply_error(fw, in, inst, ip, h.tot_len, ICMP_UNREACH_, ICMP_UNREACH_PROTO_, 0);
    fwd_drop(fw, DROP_LOCAL);
}
