/*
 * arp.c: per-port ARP caches and next-hop resolution (arp.h).
 */
#include "arp.h"
#include "log.h"
#include "port.h"
#include "svc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ARP_BUCKETS 256

struct qpkt {
    struct qpkt *next;
    size_t len;
    uint8_t data[];
};

struct arp_entry {
    struct arp_entry *next;
    uint32_t ip;
    uint8_t mac[6];
    int resolved;
    int tries;
    int64_t deadline_ms; /* next retry, or expiry when resolved */
    struct qpkt *q, **qtail;
    size_t qlen;
};

struct arp_cache {
    struct arp_entry *b[ARP_BUCKETS];
    size_t n;
};

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static unsigned hash_ip(uint32_t ip)
{
    return (ip * 2654435761u) >> 24;
}

struct arp_cache *arp_new(void)
{
    struct arp_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        fatal("calloc");
    return c;
}

static void queue_free(struct arp_entry *e)
{
    while (e->q) {
        struct qpkt *q = e->q;
        e->q = q->next;
        free(q);
    }
    e->qtail = &e->q;
    e->qlen = 0;
}

void arp_free(struct arp_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < ARP_BUCKETS; i++)
        while (c->b[i]) {
            struct arp_entry *e = c->b[i];
            c->b[i] = e->next;
            queue_free(e);
            free(e);
        }
    free(c);
}

static struct arp_entry *find(struct arp_cache *c, uint32_t ip)
{
    for (struct arp_entry *e = c->b[hash_ip(ip)]; e; e = e->next)
        if (e->ip == ip)
            return e;
    return NULL;
}

static struct arp_entry *create(struct arp_cache *c, uint32_t ip)
{
    struct arp_entry *e;

    if (c->n >= ARP_ENTRIES_MAX)
        return NULL;
    if ((e = calloc(1, sizeof(*e))) == NULL)
        fatal("calloc");
    e->ip = ip;
    e->qtail = &e->q;
    e->next = c->b[hash_ip(ip)];
    c->b[hash_ip(ip)] = e;
    c->n++;
    return e;
}

static void destroy(struct arp_cache *c, struct arp_entry *e)
{
    struct arp_entry **pp;

    for (pp = &c->b[hash_ip(e->ip)]; *pp != e; pp = &(*pp)->next)
        ;
    *pp = e->next;
    c->n--;
    queue_free(e);
    free(e);
}

static void send_request(struct fwdd *fw, struct port *p, uint32_t src, uint32_t target)
{
    static const uint8_t zero[6];
    uint8_t f[60];
    size_t n = arp_build(f, sizeof(f), 1, bcast, p->mac, src, zero, target);

    port_send_frame(fw, p, f, n);
}

/* 1 if the appliance answers ARP for a on unit u. */
static int answers_for(const struct gen *g, const struct unit *u, uint32_t a)
{
    struct addr x;

    for (size_t i = 0; i < u->nv4; i++)
        if (addr_v4(&u->v4[i]) == a)
            return 1;
    if (svc_by_gateway(g, u->inst, a) == NULL)
        return 0;
    addr_set_v4(&x, a, 32);
    for (size_t i = 0; i < u->nv4; i++) {
        struct addr p = u->v4[i];
        addr_mask(&p, p.plen);
        if (prefix_contains(&p, &x))
            return 1;
    }
    return 0;
}

static void resolved(struct fwdd *fw, struct port *p, struct arp_entry *e, const uint8_t mac[6])
{
    memcpy(e->mac, mac, 6);
    e->resolved = 1;
    e->tries = 0;
    e->deadline_ms = fw_now_ms() + ARP_AGE_S * 1000LL;
    while (e->q) {
        struct qpkt *q = e->q;
        e->q = q->next;
        port_send_ip(fw, p, e->mac, ETHTYPE_IPV4, q->data, q->len);
        free(q);
    }
    e->qtail = &e->q;
    e->qlen = 0;
}

void arp_input(struct fwdd *fw, struct port *p, const uint8_t *frame, size_t len)
{
    struct unit *u = fw->cur ? fw->cur->port_unit[p->index] : NULL;
    struct arp_info a;
    struct arp_entry *e;
    int for_us;

    if (pkt_arp(frame + ETH_HLEN_, len - ETH_HLEN_, &a) != PKT_OK) {
        fwd_drop(fw, DROP_ARP_BAD);
        return;
    }
    if (u == NULL) {
        fwd_drop(fw, DROP_NO_UNIT);
        return;
    }
    for_us = answers_for(fw->cur, u, a.tpa);
    if (a.spa != 0 && !(a.sha[0] & 1)) {
        e = find(p->arp, a.spa);
        if (e == NULL && for_us)
            e = create(p->arp, a.spa);
        if (e)
            resolved(fw, p, e, a.sha);
    }
    if (!for_us) {
        fwd_drop(fw, DROP_ARP_NOT_OURS);
        return;
    }
    if (a.op == 1) {
        uint8_t f[60];
        size_t n = arp_build(f, sizeof(f), 2, a.sha, p->mac, a.tpa, a.sha, a.spa);
        port_send_frame(fw, p, f, n);
    }
}

void arp_output(struct fwdd *fw, struct unit *out, uint32_t nh, const uint8_t *ip, size_t len)
{
    struct port *p = out->ifd->port;
    struct arp_entry *e;
    struct qpkt *q;

    if (p == NULL) {
        fwd_drop(fw, DROP_PORT_DOWN);
        return;
    }
    if ((e = find(p->arp, nh)) != NULL && e->resolved) {
        port_send_ip(fw, p, e->mac, ETHTYPE_IPV4, ip, len);
        return;
    }
    if (e == NULL) {
        if ((e = create(p->arp, nh)) == NULL) {
            fwd_drop(fw, DROP_ARP_QUEUE);
            return;
        }
        e->tries = 1;
        e->deadline_ms = fw_now_ms() + 1000;
        send_request(fw, p, unit_addr4_for(out, nh), nh);
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

/* Resolution failed: host unreachable for each waiting packet. */
static void failed(struct fwdd *fw, struct port *p, struct arp_entry *e)
{
    struct unit *u = fw->cur ? fw->cur->port_unit[p->index] : NULL;
    struct qpkt *q = e->q;

    e->q = NULL; /* what the errors themselves queue stays in e */
    e->qtail = &e->q;
    e->qlen = 0;
    while (q) {
        struct qpkt *next = q->next;
        fwd_drop(fw, DROP_ARP_FAILED);
        if (u)
            icmp4_reply_error(fw, u, u->inst, q->data, q->len, ICMP_UNREACH_, ICMP_UNREACH_HOST_,
                              0);
        free(q);
        q = next;
    }
}

void arp_tick(struct fwdd *fw)
{
    int64_t now = fw_now_ms();

    for (size_t i = 0; i < fw->nports; i++) {
        struct port *p = fw->ports[i];
        struct unit *u = fw->cur ? fw->cur->port_unit[p->index] : NULL;
        for (size_t b = 0; b < ARP_BUCKETS; b++) {
            struct arp_entry *e = p->arp->b[b], *next;
            for (; e; e = next) {
                next = e->next;
                if (now < e->deadline_ms)
                    continue;
                if (e->resolved || e->tries >= ARP_TRIES || u == NULL) {
                    if (!e->resolved)
                        failed(fw, p, e);
                    destroy(p->arp, e);
                    continue;
                }
                e->tries++;
                e->deadline_ms = now + 1000;
                send_request(fw, p, unit_addr4_for(u, e->ip), e->ip);
            }
        }
    }
}

void arp_prune(struct fwdd *fw)
{
    for (size_t i = 0; i < fw->nports; i++) {
        struct port *p = fw->ports[i];
        struct unit *u = fw->cur->port_unit[p->index];
        for (size_t b = 0; b < ARP_BUCKETS; b++) {
            struct arp_entry *e = p->arp->b[b], *next;
            for (; e; e = next) {
                struct addr x;
                int keep = 0;
                next = e->next;
                addr_set_v4(&x, e->ip, 32);
                for (size_t k = 0; u && k < u->nv4 && !keep; k++) {
                    struct addr s = u->v4[k];
                    addr_mask(&s, s.plen);
                    keep = prefix_contains(&s, &x);
                }
                if (!keep)
                    destroy(p->arp, e);
            }
        }
    }
}

static int view_cmp(const void *a, const void *b)
{
    const struct arp_view *x = a, *y = b;

    return x->ip < y->ip ? -1 : x->ip > y->ip;
}

size_t arp_list(const struct port *p, struct arp_view **out)
{
    struct arp_view *v = calloc(p->arp->n + 1, sizeof(*v));
    size_t n = 0;

    if (v == NULL)
        fatal("calloc");
    for (size_t b = 0; b < ARP_BUCKETS; b++)
        for (const struct arp_entry *e = p->arp->b[b]; e; e = e->next) {
            v[n].ip = e->ip;
            memcpy(v[n].mac, e->mac, 6);
            v[n].resolved = e->resolved;
            v[n].expires_ms = e->deadline_ms;
            n++;
        }
    qsort(v, n, sizeof(*v), view_cmp);
    *out = v;
    return n;
}
