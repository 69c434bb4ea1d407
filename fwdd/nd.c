/*
 * nd.c: per-port IPv6 neighbour caches and next-hop resolution (nd.h).
 */
#include "nd.h"
#include "arp.h"
#include "log.h"
#include "port.h"
#include "pktutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ND_BUCKETS 256

struct nd_q {
    struct nd_q *next;
    size_t len;
    uint8_t data[];
};

struct nd_entry {
    struct nd_entry *next;
    uint8_t ip[16];
    uint8_t mac[6];
    int resolved, tries;
    int64_t deadline_ms;
    struct nd_q *q, **qtail;
    size_t qlen;
};

struct nd_cache {
    struct nd_entry *b[ND_BUCKETS];
    size_t n;
};

static unsigned hash6(const uint8_t a[16])
{
    return (get32(a + 12) * 2654435761u) >> 24;
}

struct nd_cache *nd_new(void)
{
    struct nd_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        fatal("calloc");
    return c;
}

static void q_free(struct nd_q *q)
{
    while (q) {
        struct nd_q *next = q->next;
        free(q);
        q = next;
    }
}

void nd_free(struct nd_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < ND_BUCKETS; i++)
        while (c->b[i]) {
            struct nd_entry *e = c->b[i];
            c->b[i] = e->next;
            q_free(e->q);
            free(e);
        }
    free(c);
}

static struct nd_entry *find(struct nd_cache *c, const uint8_t a[16])
{
    for (struct nd_entry *e = c->b[hash6(a)]; e; e = e->next)
        if (memcmp(e->ip, a, 16) == 0)
            return e;
    return NULL;
}

static struct nd_entry *create(struct nd_cache *c, const uint8_t a[16])
{
    struct nd_entry *e;

    if (c->n >= ARP_ENTRIES_MAX)
        return NULL;
    if ((e = calloc(1, sizeof(*e))) == NULL)
        fatal("calloc");
    memcpy(e->ip, a, 16);
    e->qtail = &e->q;
    e->next = c->b[hash6(a)];
    c->b[hash6(a)] = e;
    c->n++;
    return e;
}

static void destroy(struct nd_cache *c, struct nd_entry *e)
{
    struct nd_entry **pp;

    for (pp = &c->b[hash6(e->ip)]; *pp != e; pp = &(*pp)->next)
        ;
    *pp = e->next;
    c->n--;
    q_free(e->q);
    free(e);
}

static void resolved(struct fwdd *fw, struct port *p, struct nd_entry *e, const uint8_t mac[6])
{
    struct nd_q *q = e->q;

    memcpy(e->mac, mac, 6);
    e->resolved = 1;
    e->tries = 0;
    e->deadline_ms = fw_now_ms() + ARP_AGE_S * 1000LL;
    e->q = NULL;
    e->qtail = &e->q;
    e->qlen = 0;
    for (struct nd_q *x = q; x; x = x->next)
        port_send_ip(fw, p, e->mac, ETHTYPE_IPV6, x->data, x->len);
    q_free(q);
}

/* 1 if a is an address of unit u. */
static int ours(const struct unit *u, const uint8_t a[16])
{
    for (size_t i = 0; i < u->nv6; i++)
        if (memcmp(u->v6[i].a, a, 16) == 0)
            return 1;
    return 0;
}

static void send_ns(struct fwdd *fw, struct port *p, const struct unit *u, const uint8_t t[16])
{
    uint8_t pkt[72], group[16], gmac[6];
    size_t n;

    if (u->nv6 == 0)
        return;
    n = nd_ns_build(pkt, sizeof(pkt), unit_addr6_for(u, t), t, p->mac);
    nd_solicited_node(t, group, gmac);
    port_send_ip(fw, p, gmac, ETHTYPE_IPV6, pkt, n);
}

void nd_input(struct fwdd *fw, struct port *p, struct unit *in, const uint8_t *eth_src,
              const uint8_t *ip, size_t len)
{
    static const uint8_t zero[16], all_nodes[16] = {0xff, 2, [15] = 1};
    static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    const uint8_t *icmp = ip + 40, *src = ip + 8, *target = icmp + 8;
    size_t ilen = len - 40, n;
    uint8_t mac[6], out[72];
    struct nd_entry *e;

    if (ilen < 24 || icmp[1] != 0 || target[0] == 0xff) {
        fwd_drop(fw, DROP_L4_BAD);
        return;
    }
    if (icmp[0] == ND_NEIGHBOR_ADVERT_) {
        /* resolves a pending or known neighbour */
        if ((e = find(p->nd, target)) != NULL && nd_lladdr_option(icmp, ilen, 2, mac))
            resolved(fw, p, e, mac);
        return;
    }
    if (!ours(in, target)) {
        fwd_drop(fw, DROP_ARP_NOT_OURS);
        return;
    }
    if (memcmp(src, zero, 16) == 0) { /* duplicate address detection */
        n = nd_na_build(out, sizeof(out), target, all_nodes, p->mac, 0);
        port_send_ip(fw, p, all_nodes_mac, ETHTYPE_IPV6, out, n);
        return;
    }
    if (nd_lladdr_option(icmp, ilen, 1, mac) &&
        ((e = find(p->nd, src)) != NULL || (e = create(p->nd, src)) != NULL))
        resolved(fw, p, e, mac);
    n = nd_na_build(out, sizeof(out), target, src, p->mac, 1);
    port_send_ip(fw, p, eth_src, ETHTYPE_IPV6, out, n);
}

void nd_output(struct fwdd *fw, struct unit *out, const uint8_t nh[16], const uint8_t *ip,
               size_t len)
{
    struct port *p = out->ifd->port;
    struct nd_entry *e;
    struct nd_q *q;

    if (p == NULL) {
        fwd_drop(fw, DROP_PORT_DOWN);
        return;
    }
    if ((e = find(p->nd, nh)) != NULL && e->resolved) {
        port_send_ip(fw, p, e->mac, ETHTYPE_IPV6, ip, len);
        return;
    }
    if (e == NULL) {
        if ((e = create(p->nd, nh)) == NULL) {
            fwd_drop(fw, DROP_ARP_QUEUE);
            return;
        }
        e->tries = 1;
        e->deadline_ms = fw_now_ms() + 1000;
        send_ns(fw, p, out, nh);
    }
    if (e->qlen >= ARP_QUEUE_MAX) {
        fwd_drop(fw, DROP_ARP_QUEUE);
        return;
    }
    if ((q = malloc(sizeof(*q) + len)) == NULL)
        fatal("malloc");
    q->next = NULL;
    q->len = len;
    memcpy(q->data, ip, len);
    *e->qtail = q;
    e->qtail = &q->next;
    e->qlen++;
}

static void failed(struct fwdd *fw, struct unit *u, struct nd_entry *e)
{
    struct nd_q *q = e->q;

    e->q = NULL;
    e->qtail = &e->q;
    e->qlen = 0;
    for (struct nd_q *x = q; x; x = x->next) {
        fwd_drop(fw, DROP_ARP_FAILED);
        if (u)
            icmp6_reply_error(fw, u, u->inst, x->data, x->len, ICMP6_UNREACH_, ICMP6_UNREACH_ADDR_,
                              0);
    }
    q_free(q);
}

void nd_tick(struct fwdd *fw)
{
    int64_t now = fw_now_ms();

    for (size_t i = 0; i < fw->nports; i++) {
        struct port *p = fw->ports[i];
        struct unit *u = fw->cur ? fw->cur->port_unit[p->index] : NULL;
        for (size_t b = 0; b < ND_BUCKETS; b++) {
            struct nd_entry *e = p->nd->b[b], *next;
            for (; e; e = next) {
                next = e->next;
                if (now < e->deadline_ms)
                    continue;
                if (e->resolved || e->tries >= ARP_TRIES || u == NULL) {
                    if (!e->resolved)
                        failed(fw, u, e);
                    destroy(p->nd, e);
                    continue;
                }
                e->tries++;
                e->deadline_ms = now + 1000;
                send_ns(fw, p, u, e->ip);
            }
        }
    }
}

void nd_prune(struct fwdd *fw)
{
    for (size_t i = 0; i < fw->nports; i++) {
        struct port *p = fw->ports[i];
        struct unit *u = fw->cur->port_unit[p->index];
        for (size_t b = 0; b < ND_BUCKETS; b++) {
            struct nd_entry *e = p->nd->b[b], *next;
            for (; e; e = next) {
                struct addr x;
                int keep = 0;
                next = e->next;
                addr_set_v6(&x, e->ip, 128);
                for (size_t k = 0; u && k < u->nv6 && !keep; k++) {
                    struct addr s = u->v6[k];
                    addr_mask(&s, s.plen);
                    keep = prefix_contains(&s, &x);
                }
                if (!keep)
                    destroy(p->nd, e);
            }
        }
    }
}
