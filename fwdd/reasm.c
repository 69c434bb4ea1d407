/*
 * reasm.c: reassembly of IPv4 fragments addressed to the appliance
 * (RFC 791/815), for ESP, AH and UDP (IKE, ESP in UDP) to a local gateway
 * (local.c sends only those here; other fragments are dropped).
 *
 * A datagram is keyed by source, destination, identification, protocol
 * and routing instance.  Its fragments are kept as copies sorted by
 * offset; it is complete when they cover 0 .. the end given by the
 * fragment without MF, and then goes to local4_input() whole, with the
 * first fragment's header.  Limits (a hostile sender cannot exhaust
 * memory): REASM_MEM_MAX bytes held in all (the oldest datagrams are
 * evicted first), REASM_DGRAMS_MAX datagrams, REASM_TIMEOUT_MS to
 * complete, 65,535 bytes per datagram.  Overlapping fragments discard the
 * whole datagram (as RFC 5722 says for IPv6: they are an attack, not a
 * network's doing); an exact duplicate is ignored.
 */
#include "ipsec.h"
#include "log.h"
#include "pktutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASM_DGRAMS_MAX 256

struct frag {
    struct frag *next;
    size_t off, len;
    uint8_t data[];
};

struct dgram {
    struct dgram *next; /* oldest first */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    char inst[FWD_INSTLEN], in[FWD_UNITNAMELEN];
    uint8_t hdr[60];
    size_t hlen; /* 0 until the first fragment arrived */
    size_t end;  /* payload length; 0 until the last fragment arrived */
    size_t held;
    int64_t expires;
    struct frag *frags; /* by offset */
};

struct reasm {
    struct dgram *list;
    size_t mem, count;
};

static struct reasm *get(struct fwdd *fw)
{
    struct ipsec *x = ipsec_get(fw);

    if (x->reasm == NULL && (x->reasm = calloc(1, sizeof(*x->reasm))) == NULL)
        fatal("calloc");
    return x->reasm;
}

static void dgram_free(struct reasm *r, struct dgram *d)
{
    for (struct dgram **pp = &r->list; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    while (d->frags) {
        struct frag *f = d->frags;
        d->frags = f->next;
        free(f);
    }
    r->mem -= d->held;
    r->count--;
    free(d);
}

static struct dgram *find(struct reasm *r, const struct ip4_info *h, const char *inst)
{
    for (struct dgram *d = r->list; d; d = d->next)
        if (d->src == h->src && d->dst == h->dst && d->id == h->id && d->proto == h->proto &&
            strcmp(d->inst, inst) == 0)
            return d;
    return NULL;
}

/* Whole: the datagram rebuilt in a new buffer (*len bytes), else NULL. */
static uint8_t *whole(const struct dgram *d, size_t *len)
{
    size_t pos = 0;
    uint8_t *buf;

    if (d->hlen == 0 || d->end == 0)
        return NULL;
    for (const struct frag *f = d->frags; f; f = f->next) {
        if (f->off != pos)
            return NULL;
        pos += f->len;
    }
    if (pos != d->end || (buf = malloc(d->hlen + d->end)) == NULL)
        return NULL;
    memcpy(buf, d->hdr, d->hlen);
    for (const struct frag *f = d->frags; f; f = f->next)
        memcpy(buf + d->hlen + f->off, f->data, f->len);
    *len = d->hlen + d->end;
    put16(buf + 2, (uint16_t)*len);
    put16(buf + 6, get16(buf + 6) & 0x4000); /* DF kept; MF and offset cleared */
    ip4_set_csum(buf);
    return buf;
}

void reasm_input(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *ip,
                 size_t len)
{
    struct reasm *r = get(fw);
    struct ip4_info h;
    struct dgram *d, **dp;
    struct frag *f, **pp;
    size_t n, end;
    uint8_t *buf;

    if (pkt_ipv4(ip, len, &h) != PKT_OK || (n = h.tot_len - h.hlen) == 0 || (h.mf && n % 8) ||
        (end = h.fragoff + n) + h.hlen > 65535) {
        fwd_drop(fw, DROP_REASM_BAD);
        return;
    }
    while (r->list && (r->mem + n > REASM_MEM_MAX || r->count >= REASM_DGRAMS_MAX)) {
        fwd_drop(fw, DROP_REASM_MEM);
        dgram_free(r, r->list);
    }
    if ((d = find(r, &h, inst->name)) == NULL) {
        if ((d = calloc(1, sizeof(*d))) == NULL)
            fatal("calloc");
        d->src = h.src;
        d->dst = h.dst;
        d->id = h.id;
        d->proto = h.proto;
        snprintf(d->inst, sizeof(d->inst), "%s", inst->name);
        snprintf(d->in, sizeof(d->in), "%s", in ? in->name : "");
        d->expires = ipsec_clock_ms() + REASM_TIMEOUT_MS;
        for (dp = &r->list; *dp; dp = &(*dp)->next)
            ;
        *dp = d;
        r->count++;
    }
    if ((!h.mf && d->end && d->end != end) || (d->end && end > d->end)) {
        fwd_drop(fw, DROP_REASM_BAD);
        dgram_free(r, d);
        return;
    }
    for (pp = &d->frags; *pp && (*pp)->off < h.fragoff; pp = &(*pp)->next)
        ;
    for (f = d->frags; f; f = f->next) {
        if (f->off == h.fragoff && f->len == n)
            return; /* a duplicate */
        if (h.fragoff < f->off + f->len && f->off < end) {
            fwd_drop(fw, DROP_REASM_BAD);
            dgram_free(r, d);
            return;
        }
    }
    if (!h.mf) {
        for (f = d->frags; f; f = f->next)
            if (f->off + f->len > end) {
                fwd_drop(fw, DROP_REASM_BAD);
                dgram_free(r, d);
                return;
            }
        d->end = end;
    }
    if ((f = malloc(sizeof(*f) + n)) == NULL)
        fatal("malloc");
    f->off = h.fragoff;
    f->len = n;
    memcpy(f->data, ip + h.hlen, n);
    f->next = *pp;
    *pp = f;
    d->held += n;
    r->mem += n;
    if (h.fragoff == 0) {
        memcpy(d->hdr, ip, h.hlen);
        d->hlen = h.hlen;
    }
    if ((buf = whole(d, &len)) != NULL) {
        char iname[FWD_INSTLEN], uname[FWD_UNITNAMELEN];
        struct instance *i2;
        snprintf(iname, sizeof(iname), "%s", d->inst);
        snprintf(uname, sizeof(uname), "%s", d->in);
        dgram_free(r, d);
        if (fw->cur && (i2 = gen_instance(fw->cur, iname)) != NULL)
            local4_input(fw, uname[0] ? gen_unit(fw->cur, uname) : NULL, i2, buf, len);
        free(buf);
    }
}

void reasm_tick(struct fwdd *fw)
{
    struct reasm *r = fw->ipsec ? fw->ipsec->reasm : NULL;
    int64_t now = ipsec_clock_ms();

    while (r && r->list && r->list->expires <= now) {
        fwd_drop(fw, DROP_REASM_TIMEOUT);
        dgram_free(r, r->list);
    }
}

void reasm_free(struct fwdd *fw)
{
    struct reasm *r = fw->ipsec ? fw->ipsec->reasm : NULL;

    if (r == NULL)
        return;
    while (r->list)
        dgram_free(r, r->list);
    free(r);
    fw->ipsec->reasm = NULL;
}

size_t reasm_held(const struct fwdd *fw)
{
    return fw->ipsec && fw->ipsec->reasm ? fw->ipsec->reasm->mem : 0;
}
