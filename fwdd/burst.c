/*
 * burst.c: frames taken in bursts (port_read's recvmmsg; the bench).
 *
 * Each frame's lookups are a chain of dependent loads: for a LAN packet
 * into a tunnel the route cache entry, the route, kmd's rule index slot
 * and rule, the tunnel, the SA and its transform; for ESP and AH the
 * inbound SA index slot, the SA, its tunnel and transform.  With many tunnels every
 * link is a cache miss, and one frame at a time they come one after
 * another.  Before the frames of a burst go through fwd_frame_input one
 * by one, fwd_frames_input makes passes over the burst, each following
 * every frame's chain one link further and prefetching the next: the
 * misses of the whole burst overlap, and the real pass finds the memory
 * in cache.
 *
 * The passes only read and prefetch: a frame they do not understand
 * (another protocol, an address not cached, a VLAN tag) is left alone,
 * and nothing they do changes what happens to a frame.  They cost more
 * than they save while the appliance's tables fit in the CPU's caches, so
 * they run only when it holds FWD_BURST_MIN tunnels or more (or always,
 * with fw->burst_hints: the tests, which check that results are those of
 * frames taken one at a time).
 */
#include "fwdd.h"
#include "ipsec.h"
#include "pic.h"
#include "pktutil.h"
#include "port.h"
#include "rtable.h"
#include "svc.h"

#include <stdbool.h>
#include <string.h>

#define FWD_BURST_MIN 1024 /* tunnels before the prefetch passes run */
#define HINT_PASSES 8      /* hint_start, then hint_out's 1 .. 7 */
#define HINT_BULK 4        /* passes over the whole burst before the first frame */
#define HINT_AHEAD 4       /* later passes: this many frames ahead of processing */
/* ESP and AH: the SA in a bulk pass, its tunnel and transform (10 lines
 * or so) in the first pass ahead of processing (HINT_AHEAD frames
 * ahead): in bulk, the burst's 32 frames asked for more lines at once
 * than the CPU keeps misses in flight, and than its L1 cache holds. */
#define ESP_LAST_PASS HINT_BULK

enum hint_kind { H_NONE, H_OUT, H_ESP };

struct hint {
    enum hint_kind kind;
    const uint8_t *ip;
    size_t len;
    struct instance *inst;
    uint32_t dst, spi;
    const struct unit *u; /* H_OUT: the unit the route leads to */
    const void *p;        /* the chain's last link reached */
};

/* Pass 0: what the frame is, and the first link. */
static void hint_start(struct fwdd *fw, struct port *port, struct hint *h, const uint8_t *f,
                       size_t len)
{
    struct unit *in = fw->cur->port_unit[port->index];
    const uint8_t *ip = f + 14;
    size_t hl;

    h->kind = H_NONE;
    if (in == NULL || len < 14 + 20 || get16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
        return;
    hl = (ip[0] & 0x0fu) * 4u;
    h->ip = ip;
    h->len = len - 14;
    h->inst = in->inst;
    h->dst = get32(ip + 16);
    if (ip[9] == IPPROTO_ESP_ && h->len >= hl + 8) {
        h->kind = H_ESP;
        h->spi = get32(ip + hl);
    } else if (ip[9] == IPPROTO_AH_ && h->len >= hl + 8) {
        h->kind = H_ESP; /* the same index */
        h->spi = get32(ip + hl + 4);
    } else if (ip[9] == IPPROTO_UDP_ && h->len >= hl + 16 && get16(ip + hl + 2) == 4500 &&
               get32(ip + hl + 8) != 0) {
        h->kind = H_ESP;
        h->spi = get32(ip + hl + 8);
    } else {
        h->kind = H_OUT;
        inst_route4_prefetch(h->inst, h->dst);
        return;
    }
    sa_in_prefetch(fw, h->spi, h->dst, 0);
}

/* Pass n >= 1 of an outbound frame. */
static void hint_out(const struct fwdd *fw, struct hint *h, int n)
{
    const struct rt_dest *d;
    const struct route *r;
    const struct service_set *ss;
    struct dyn_rule *rule;
    const struct tunnel *t;

    switch (n) {
    case 1:
        if ((h->p = d = inst_route4_peek(h->inst, h->dst)) == NULL)
            h->kind = H_NONE;
        else
            __builtin_prefetch(d);
        return;
    case 2:
        d = h->p;
        __builtin_prefetch(d->routes);
        return;
    case 3:
        r = rt_active(h->p);
        if (r == NULL || r->sel < 0 || (h->u = r->nh[r->sel].unit) == NULL ||
            (ss = h->u->ss) == NULL || h->u == ss->outside || ss->rt == NULL) {
            h->kind = H_NONE;
            return;
        }
        dynrule_prefetch(ss->rt, h->u, h->dst, 0);
        return;
    case 4:
        dynrule_prefetch(h->u->ss->rt, h->u, h->dst, 1);
        return;
    case 5:
        rule = dynrule_peek(h->u->ss->rt, h->u, h->dst);
        if (rule == NULL || rule->tun_epoch != tunnel_epoch || rule->tun == NULL) {
            h->kind = H_NONE;
            return;
        }
        prefetch_obj(h->p = rule->tun, TUNNEL_HOT);
        return;
    case 6:
        t = h->p;
        if ((h->p = tunnel_out_sa(t)) == NULL) {
            h->kind = H_NONE;
            return;
        }
        prefetch_obj(h->p, sizeof(struct ipsec_sa));
        return;
    case 7:
        sa_prefetch(fw, h->p);
        return;
    }
}

/* The receive job that holds frame f (usually the i-th), or
 * FWD_BURST_MAX when none does. */
static size_t rx_index(const struct fwdd *fw, const uint8_t *f, size_t i)
{
    for (size_t k = 0; k < FWD_BURST_MAX; k++) {
        const struct pjob *j = fw->rx_jobs[(i + k) % FWD_BURST_MAX];
        uintptr_t lo = j ? (uintptr_t)j->data : 0;

        if (j && (uintptr_t)f >= lo && (uintptr_t)f < lo + sizeof(j->data))
            return (i + k) % FWD_BURST_MAX;
    }
    return FWD_BURST_MAX;
}

/* What makes a pointer kept in a hint stale: a route, tunnel or SA
 * freed (kmd's rules are looked up afresh in the pass that uses them). */
struct stamp {
    uint64_t routes, tunnels, sas;
};

static struct stamp stamp_now(void)
{
    return (struct stamp){rtable_changes, tunnel_epoch, sa_frees};
}

static bool stamp_same(const struct stamp *a)
{
    return a->routes == rtable_changes && a->tunnels == tunnel_epoch && a->sas == sa_frees;
}

/* One more pass of frame h's chain (its pass number in *pass). */
static void hint_step(struct fwdd *fw, struct hint *h, int *pass)
{
    if (*pass >= HINT_PASSES)
        return;
    if (h->kind == H_OUT)
        hint_out(fw, h, *pass);
    else if (h->kind == H_ESP && *pass == 1)
        sa_in_prefetch(fw, h->spi, h->dst, 1);
    else if (h->kind == H_ESP && *pass == ESP_LAST_PASS)
        sa_in_prefetch(fw, h->spi, h->dst, 2);
    ++*pass;
}

void fwd_frames_input(struct fwdd *fw, struct port *p, uint8_t *const *frames, const size_t *lens,
                      size_t n, const void *const *vnet_hdrs)
{
    struct hint h[FWD_BURST_MAX];
    int pass[FWD_BURST_MAX], hints;
    struct stamp st = stamp_now();

    for (; n > FWD_BURST_MAX; n -= FWD_BURST_MAX, frames += FWD_BURST_MAX, lens += FWD_BURST_MAX,
                              vnet_hdrs = vnet_hdrs ? vnet_hdrs + FWD_BURST_MAX : NULL)
        fwd_frames_input(fw, p, frames, lens, FWD_BURST_MAX, vnet_hdrs);
    port_tx_hold(fw);
    hints = fw->cur && fw->ipsec &&
            (fw->burst_hints || (n > 1 && fw->ipsec->tunnels.n >= FWD_BURST_MIN));
    if (hints) { /* the first links of every frame, all at once */
        for (size_t i = 0; i < n; i++) {
            hint_start(fw, p, &h[i], frames[i], lens[i]);
            pass[i] = 1;
        }
        for (int k = 1; k < HINT_BULK; k++)
            for (size_t i = 0; i < n; i++)
                hint_step(fw, &h[i], &pass[i]);
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = rx_index(fw, frames[i], i);

        /* the last links just ahead of use: frame i + d gets a pass while
         * frame i is processed, so that each prefetch has a frame's time
         * to arrive; frame i catches up first if it is behind.  Frames
         * processed may have freed what a hint points to: then no more. */
        if (hints && !stamp_same(&st))
            hints = 0;
        if (hints) {
            while (pass[i] < HINT_PASSES)
                hint_step(fw, &h[i], &pass[i]);
            for (size_t d = 1; d <= HINT_AHEAD && i + d < n; d++)
                hint_step(fw, &h[i + d], &pass[i + d]);
        }
        fw->rx_job = k < FWD_BURST_MAX ? fw->rx_jobs[k] : NULL;
        fw->rx_pinned = 0;
        fwd_frame_input(fw, p, frames[i], lens[i], vnet_hdrs ? vnet_hdrs[i] : NULL);
        if (k < FWD_BURST_MAX)
            fw->rx_jobs[k] = fw->rx_job; /* NULL if the frame's job was taken */
    }
    fw->rx_job = NULL;
    fw->rx_pinned = 0;
    port_tx_release(fw);
}
