/*
 * ping.c: ping and traceroute originated by fwdd (ping.h).
 */
#include "ping.h"
#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "pktutil.h"
#include "rpc.h"

#include <event2/event.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PROBES_MAX 16
#define TRACE_PROBES 3
#define TRACE_DATA 12 /* 40-byte packets */

enum probe_kind { PROBE_PING, PROBE_TRACE };

struct probe {
    struct fwdd *fw;
    struct probe *next;
    uint32_t id;
    enum probe_kind kind;
    char host[64], target[ADDR_STRLEN], inst[FWD_INSTLEN];
    uint32_t dst, src; /* host order; src 0 = chosen per probe */
    uint16_t ident;
    struct event *timer;
    int done;
    /* ping */
    uint32_t count, size, sent, received;
    int df, interval_ms;
    int64_t last_ms;
    int64_t sent_us[PING_WINDOW];
    uint8_t seen[PING_WINDOW];
    int64_t rtt_min, rtt_max, rtt_sum;
    double rtt_sq;
    /* traceroute */
    int ttl, pidx, answered, reached;
    int64_t psent_us;
    uint32_t last_hop;
    struct buf line, hops;
};

static uint16_t next_ident;

static void chunk(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void chunk(struct probe *p, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        dmn_chunk(p->fw->dmn, p->id, line, strlen(line));
}

static void probe_free(struct probe *p)
{
    for (struct probe **pp = &p->fw->probes; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    event_free(p->timer);
    buf_free(&p->line);
    buf_free(&p->hops);
    free(p);
}

void probe_free_all(struct fwdd *fw)
{
    while (fw->probes)
        probe_free(fw->probes);
}

void probe_cancel(struct fwdd *fw, uint32_t id)
{
    for (struct probe *p = fw->probes; p; p = p->next)
        if (p->id == id) {
            probe_free(p);
            return;
        }
}

static void arm(struct probe *p)
{
    int64_t now = fw_now_ms(), at;
    struct timeval tv;

    if (p->done)
        at = now;
    else if (p->kind == PROBE_TRACE)
        at = p->answered ? now : p->psent_us / 1000 + TRACE_WAIT_MS;
    else if (p->count == 0 || p->sent < p->count)
        at = p->last_ms + p->interval_ms;
    else
        at = p->last_ms + PING_WAIT_MS;
    at = at > now ? at - now : 0;
    tv.tv_sec = (time_t)(at / 1000);
    tv.tv_usec = (suseconds_t)(at % 1000 * 1000);
    evtimer_add(p->timer, &tv);
}

/* The source address of a probe to dst in inst, 0 without a route. */
static uint32_t pick_source(struct fwdd *fw, struct instance *inst, uint32_t dst)
{
    struct addr a;
    const struct route *r;
    const struct rt_nh *nh;

    addr_set_v4(&a, dst, 32);
    r = rt_active(rtable_lookup(inst->inet, &a));
    if (r == NULL || r->sel < 0)
        return 0;
    nh = &r->nh[r->sel];
    if (nh->kind == NH_LOCAL)
        return dst;
    if (nh->unit && nh->unit->nv4)
        return unit_addr4_for(nh->unit, nh->kind == NH_GATEWAY ? addr_v4(&nh->gw) : dst);
    return inst_any_addr4(fw->cur, inst);
}

/* Send one packet of the probe; its error line when it cannot. */
static void send_packet(struct probe *p, uint8_t *pkt, size_t len)
{
    struct instance *inst = gen_instance(p->fw->cur, p->inst);
    int r = inst ? ip4_send(p->fw, inst, pkt, len) : -EHOSTUNREACH;

    if (r == -EHOSTUNREACH)
        chunk(p, "%s: sendto: No route to host\n", p->kind == PROBE_PING ? "ping" : "traceroute");
    else if (r == -EMSGSIZE)
        chunk(p, "%s: sendto: Message too long\n", p->kind == PROBE_PING ? "ping" : "traceroute");
}

static uint32_t source_for(struct probe *p)
{
    struct instance *inst = gen_instance(p->fw->cur, p->inst);

    return p->src ? p->src : inst ? pick_source(p->fw, inst, p->dst) : 0;
}

/* --- ping -------------------------------------------------------------- */

static void ping_send(struct probe *p)
{
    uint32_t seq = p->sent++, src = source_for(p);
    size_t cap = 28 + p->size, n;
    uint8_t *pkt;

    p->last_ms = fw_now_ms();
    p->sent_us[seq % PING_WINDOW] = fw_now_us();
    p->seen[seq % PING_WINDOW] = 0;
    if (src == 0) {
        chunk(p, "ping: sendto: No route to host\n");
        return;
    }
    if ((pkt = malloc(cap)) == NULL)
        fatal("malloc");
    n = icmp4_echo_build(pkt, cap, src, p->dst, p->ident, (uint16_t)seq, p->size, 64, p->df,
                         p->fw->ip_id++);
    if (n)
        send_packet(p, pkt, n);
    free(pkt);
}

static void ping_finish(struct probe *p)
{
    struct buf b;
    char ip[ADDR_STRLEN];
    struct addr a;

    addr_set_v4(&a, p->dst, 32);
    buf_init(&b);
    buf_puts(&b, "<ping-results>\n");
    xml_elem(&b, 4, "target-host", p->host);
    xml_elem(&b, 4, "target-ip", addr_str(&a, ip, sizeof(ip)));
    xml_elemf(&b, 4, "packet-size", "%u", p->size);
    buf_puts(&b, "    <probe-results-summary>\n");
    xml_elemf(&b, 8, "probes-sent", "%u", p->sent);
    xml_elemf(&b, 8, "responses-received", "%u", p->received);
    xml_elemf(&b, 8, "packet-loss", "%u",
              p->sent ? (unsigned)((p->sent - p->received) * 100ull / p->sent) : 0);
    if (p->received) {
        double avg = (double)p->rtt_sum / p->received;
        double var = p->rtt_sq / p->received - avg * avg;
        xml_elemf(&b, 8, "rtt-minimum", "%lld", (long long)p->rtt_min);
        xml_elemf(&b, 8, "rtt-maximum", "%lld", (long long)p->rtt_max);
        xml_elemf(&b, 8, "rtt-average", "%lld", (long long)llround(avg));
        xml_elemf(&b, 8, "rtt-stddev", "%lld", (long long)llround(sqrt(var > 0 ? var : 0)));
    }
    buf_puts(&b, "    </probe-results-summary>\n");
    if (p->received)
        buf_puts(&b, "    <ping-success/>\n");
    buf_puts(&b, "</ping-results>\n");
    rpc_reply_body(p->fw, p->id, b.s);
    buf_free(&b);
}

static void ping_reply(struct probe *p, const uint8_t *ip, const struct ip4_info *h, uint16_t seq)
{
    int64_t rtt;
    char from[ADDR_STRLEN];
    struct addr a;

    if (seq >= p->sent || p->sent - seq > PING_WINDOW || p->seen[seq % PING_WINDOW])
        return;
    p->seen[seq % PING_WINDOW] = 1;
    rtt = fw_now_us() - p->sent_us[seq % PING_WINDOW];
    p->received++;
    p->rtt_min = p->received == 1 || rtt < p->rtt_min ? rtt : p->rtt_min;
    p->rtt_max = rtt > p->rtt_max ? rtt : p->rtt_max;
    p->rtt_sum += rtt;
    p->rtt_sq += (double)rtt * (double)rtt;
    addr_set_v4(&a, h->src, 32);
    chunk(p, "%u bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", h->tot_len - h->hlen,
          addr_str(&a, from, sizeof(from)), seq, ip[8], (double)rtt / 1000.0);
    if (p->count && p->received >= p->count)
        p->done = 1;
}

/* --- traceroute -------------------------------------------------------- */

static uint16_t trace_sport(const struct probe *p)
{
    return (uint16_t)(0x8000 | (p->ident & 0x7fff));
}

static uint16_t trace_dport(const struct probe *p)
{
    return (uint16_t)(TRACE_PORT + (p->ttl - 1) * TRACE_PROBES + p->pidx);
}

static void trace_send(struct probe *p)
{
    uint8_t pkt[28 + TRACE_DATA];
    uint32_t src = source_for(p);
    size_t n;

    p->answered = 0;
    p->psent_us = fw_now_us();
    if (src == 0) {
        chunk(p, "traceroute: sendto: No route to host\n");
        p->reached = 1;
        return;
    }
    n = udp4_build(pkt, sizeof(pkt), src, p->dst, trace_sport(p), trace_dport(p), TRACE_DATA,
                   (uint8_t)p->ttl, p->fw->ip_id++);
    arm(p); /* before sending: an answer may come back at once */
    send_packet(p, pkt, n);
}

static void trace_finish(struct probe *p)
{
    struct buf b;
    char ip[ADDR_STRLEN];
    struct addr a;

    addr_set_v4(&a, p->dst, 32);
    buf_init(&b);
    buf_puts(&b, "<traceroute-results>\n");
    xml_elem(&b, 4, "target-host", p->host);
    xml_elem(&b, 4, "target-ip", addr_str(&a, ip, sizeof(ip)));
    xml_elemf(&b, 4, "max-hops", "%d", TRACE_MAX_HOPS);
    xml_elemf(&b, 4, "packet-size", "%d", 28 + TRACE_DATA);
    buf_puts(&b, p->hops.s ? p->hops.s : "");
    if (p->reached && p->last_hop == p->dst)
        buf_puts(&b, "    <traceroute-success/>\n");
    buf_puts(&b, "</traceroute-results>\n");
    rpc_reply_body(p->fw, p->id, b.s);
    buf_free(&b);
}

static const char *unreach_note(uint8_t code)
{
    switch (code) {
    case ICMP_UNREACH_PORT_:
        return "";
    case ICMP_UNREACH_NET_:
        return " !N";
    case ICMP_UNREACH_HOST_:
        return " !H";
    case ICMP_UNREACH_PROTO_:
        return " !P";
    case ICMP_UNREACH_NEEDFRAG_:
        return " !F";
    default:
        return " !X";
    }
}

static void trace_answer(struct probe *p, const struct ip4_info *h, uint8_t type, uint8_t code)
{
    int64_t rtt = fw_now_us() - p->psent_us;
    char from[ADDR_STRLEN];
    struct addr a;

    p->answered = 1;
    addr_set_v4(&a, h->src, 32);
    addr_str(&a, from, sizeof(from));
    if (p->pidx == 0 || h->src != p->last_hop)
        buf_printf(&p->line, " %s (%s)", from, from);
    p->last_hop = h->src;
    buf_printf(&p->line, "  %.3f ms", (double)rtt / 1000.0);
    if (type == ICMP_UNREACH_) {
        buf_puts(&p->line, unreach_note(code));
        p->reached = 1;
    }
    buf_printf(&p->hops,
               "        <probe-result>\n            <probe-index>%d</probe-index>\n"
               "            <ip-address>%s</ip-address>\n            <rtt>%lld</rtt>\n"
               "        </probe-result>\n",
               p->pidx + 1, from, (long long)rtt);
}

/* A probe ended (answered or timed out): next probe, next hop, or done. */
static void trace_advance(struct probe *p)
{
    if (!p->answered) {
        buf_puts(&p->line, " *");
        buf_printf(&p->hops,
                   "        <probe-result>\n            <probe-index>%d</probe-index>\n"
                   "            <probe-failure/>\n        </probe-result>\n",
                   p->pidx + 1);
    }
    if (++p->pidx < TRACE_PROBES && !p->done) {
        trace_send(p);
        return;
    }
    chunk(p, "%s\n", p->line.s);
    buf_puts(&p->hops, "    </hop>\n");
    if (p->reached || p->ttl >= TRACE_MAX_HOPS) {
        p->done = 1;
        return;
    }
    p->ttl++;
    p->pidx = 0;
    buf_reset(&p->line);
    buf_printf(&p->line, "%2d ", p->ttl);
    buf_printf(&p->hops, "    <hop>\n        <ttl-value>%d</ttl-value>\n", p->ttl);
    trace_send(p);
}

/* --- both -------------------------------------------------------------- */

static void probe_tick(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;

    (void)fd;
    (void)what;
    if (p->kind == PROBE_TRACE && !p->done)
        trace_advance(p);
    else if (p->kind == PROBE_PING && !p->done) {
        if (p->count == 0 || p->sent < p->count)
            ping_send(p);
        else
            p->done = 1;
    }
    if (p->done) {
        if (p->kind == PROBE_PING)
            ping_finish(p);
        else
            trace_finish(p);
        probe_free(p);
        return;
    }
    arm(p);
}

int probe_icmp_input(struct fwdd *fw, struct instance *inst, const uint8_t *ip, size_t len)
{
    struct ip4_info h, in;
    const uint8_t *icmp, *inner;
    size_t ilen;

    (void)inst;
    if (pkt_ipv4(ip, len, &h) != PKT_OK || h.tot_len < h.hlen + 8)
        return 0;
    icmp = ip + h.hlen;
    if (icmp[0] == ICMP_ECHOREPLY_) {
        for (struct probe *p = fw->probes; p; p = p->next)
            if (p->kind == PROBE_PING && p->ident == get16(icmp + 4) && h.src == p->dst) {
                ping_reply(p, ip, &h, get16(icmp + 6));
                if (p->done)
                    arm(p);
                return 1;
            }
        return 0;
    }
    /* an error quoting one of our probes: inner IP header and 8 bytes */
    inner = icmp + 8;
    ilen = h.tot_len - h.hlen - 8;
    if (ilen < 28 || inner[0] >> 4 != 4 || (inner[0] & 0x0fu) * 4u + 8u > ilen)
        return 0;
    in.hlen = (inner[0] & 0x0fu) * 4u;
    in.proto = inner[9];
    in.dst = get32(inner + 16);
    for (struct probe *p = fw->probes; p; p = p->next) {
        const uint8_t *l4 = inner + in.hlen;
        if (in.dst != p->dst)
            continue;
        if (p->kind == PROBE_PING && in.proto == IPPROTO_ICMP_ && l4[0] == ICMP_ECHO_ &&
            get16(l4 + 4) == p->ident) {
            char from[ADDR_STRLEN];
            struct addr a;
            addr_set_v4(&a, h.src, 32);
            chunk(p, "%u bytes from %s: %s\n", h.tot_len - h.hlen, addr_str(&a, from, sizeof(from)),
                  icmp[0] == ICMP_TIMXCEED_           ? "Time to live exceeded"
                  : icmp[1] == ICMP_UNREACH_NET_      ? "Destination Net Unreachable"
                  : icmp[1] == ICMP_UNREACH_HOST_     ? "Destination Host Unreachable"
                  : icmp[1] == ICMP_UNREACH_NEEDFRAG_ ? "Frag needed and DF set"
                                                      : "Destination Unreachable");
            return 1;
        }
        if (p->kind == PROBE_TRACE && in.proto == IPPROTO_UDP_ && get16(l4) == trace_sport(p)) {
            if (get16(l4 + 2) == trace_dport(p) && !p->answered && !p->done) {
                trace_answer(p, &h, icmp[0], icmp[1]);
                arm(p);
            }
            return 1;
        }
    }
    return 0;
}

/* Common arguments; -1 after answering with an error. */
static int probe_start(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a, struct probe *p)
{
    const char *host = dmn_rpc_arg(a, "host"), *ri = dmn_rpc_arg(a, "routing-instance");
    const char *src = dmn_rpc_arg(a, "source");
    struct instance *inst;
    struct addr x;
    size_t n = 0;

    for (struct probe *q = fw->probes; q; q = q->next)
        n++;
    if (n >= PROBES_MAX) {
        rpc_error(fw, id, "too many ping and traceroute sessions");
        return -1;
    }
    if (host == NULL || addr_parse(host, &x) < 0 || x.plen != 32) {
        rpc_error(fw, id, "%s: an IPv4 address is required (IPv6 is not supported yet)",
                  host ? host : "host");
        return -1;
    }
    if ((inst = gen_instance(fw->cur, ri)) == NULL) {
        rpc_error(fw, id, "routing instance %s does not exist", ri);
        return -1;
    }
    p->fw = fw;
    p->id = id;
    snprintf(p->host, sizeof(p->host), "%s", host);
    addr_str(&x, p->target, sizeof(p->target));
    snprintf(p->inst, sizeof(p->inst), "%s", inst->name);
    p->dst = addr_v4(&x);
    if (src) {
        struct addr s;
        if (addr_parse(src, &s) < 0 || s.af != AF_INET ||
            !inst_is_local4(fw->cur, inst, addr_v4(&s))) {
            rpc_error(fw, id, "bind: Can't assign requested address");
            return -1;
        }
        p->src = addr_v4(&s);
    }
    if (next_ident == 0)
        next_ident = (uint16_t)(fw_now_us() & 0xffff);
    p->ident = next_ident++;
    if ((p->timer = evtimer_new(fw->eb, probe_tick, p)) == NULL)
        fatalx("evtimer_new");
    buf_init(&p->line);
    buf_init(&p->hops);
    p->next = fw->probes;
    fw->probes = p;
    return 0;
}

void probe_ping(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    struct probe *p = calloc(1, sizeof(*p));
    const char *count = dmn_rpc_arg(a, "count"), *size = dmn_rpc_arg(a, "size");

    if (p == NULL)
        fatal("calloc");
    p->kind = PROBE_PING;
    if (probe_start(fw, id, a, p) < 0) {
        free(p);
        return;
    }
    p->size = size ? (uint32_t)strtoul(size, NULL, 10) : 56;
    if (p->size > 65468)
        p->size = 65468;
    p->count = count ? (uint32_t)strtoul(count, NULL, 10) : dmn_rpc_arg(a, "rapid") ? 5 : 0;
    p->interval_ms = dmn_rpc_arg(a, "rapid") ? 100 : 1000;
    p->df = dmn_rpc_arg(a, "do-not-fragment") != NULL;
    chunk(p, "PING %s (%s): %u data bytes\n", p->host, p->target, p->size);
    ping_send(p);
    arm(p);
}

void probe_traceroute(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    struct probe *p = calloc(1, sizeof(*p));

    if (p == NULL)
        fatal("calloc");
    p->kind = PROBE_TRACE;
    if (probe_start(fw, id, a, p) < 0) {
        free(p);
        return;
    }
    chunk(p, "traceroute to %s (%s), %d hops max, %d byte packets\n", p->host, p->target,
          TRACE_MAX_HOPS, 28 + TRACE_DATA);
    p->ttl = 1;
    buf_printf(&p->line, "%2d ", p->ttl);
    buf_printf(&p->hops, "    <hop>\n        <ttl-value>%d</ttl-value>\n", p->ttl);
    trace_send(p);
    arm(p);
}
