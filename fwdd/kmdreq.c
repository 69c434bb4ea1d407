/*
 * kmdreq.c: the answers to kmd's requests (lib/fwdipc.h; kmdsock.c has
 * checked the header and the payload's minimum length): FWD_SEND,
 * FWD_SA_ADD/DEL, FWD_RULE_ADD/DEL, FWD_ROUTE_ADD/DEL (on
 * fw_kroute_add/del), FWD_POOL_RESERVE/RELEASE and FWD_SA_STATS.
 *
 * Names in the messages are fixed fields that need not end with a NUL
 * when full; each is copied with its bound checked.  Keys are wiped from
 * every copy.
 */
#include "ipsec.h"
#include "crypto/crypto.h"
#include "log.h"
#include "pktutil.h"
#include "svc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NATT_PORT 4500

/* Copy a name field of srclen bytes (NUL-terminated, or full); -1 if it
 * does not fit dst. */
static int name_in(char *dst, size_t dstlen, const char *src, size_t srclen)
{
    size_t n = strnlen(src, srclen);

    if (n >= dstlen)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

#define NAME(dst, field) name_in(dst, sizeof(dst), field, sizeof(field))

static int err(char *msg, size_t msglen, int status, const char *fmt, const char *arg)
{
    snprintf(msg, msglen, fmt, arg);
    return status;
}

static const char *v4str(const uint8_t *a, char *buf)
{
    return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static int addr_ok(const struct fwd_addr *a)
{
    return (a->af == AF_INET && a->plen <= 32) || (a->af == AF_INET6 && a->plen <= 128);
}

static struct addr prefix_of(const struct fwd_addr *a)
{
    struct addr x;

    memcpy(&x, a, sizeof(x));
    addr_mask(&x, a->plen);
    return x;
}

/* The service set named by a request, and its unit when one is named. */
static int set_and_unit(struct fwdd *fw, const char *ssname, size_t sslen, const char *uname,
                        size_t ulen, struct service_set **ss, struct unit **u, char *msg,
                        size_t msglen)
{
    char name[64], unit[FWD_UNITNAMELEN];

    if (name_in(name, sizeof(name), ssname, sslen) < 0 || fw->cur == NULL ||
        (*ss = svc_find(fw->cur, name)) == NULL)
        return err(msg, msglen, FWD_ERR_NOENT, "no service set %.64s", ssname);
    if (uname == NULL)
        return FWD_OK;
    if (name_in(unit, sizeof(unit), uname, ulen) < 0 || (*u = gen_unit(fw->cur, unit)) == NULL ||
        (*u)->ss != *ss)
        return err(msg, msglen, FWD_ERR_NOENT, "unit %.48s is not in the service set", uname);
    return FWD_OK;
}

static int do_send(struct fwdd *fw, const uint8_t *p, size_t len, char *msg, size_t msglen)
{
    struct fwd_dgram d;
    char iname[FWD_INSTLEN], ab[INET_ADDRSTRLEN];
    struct instance *inst;
    size_t marker, total;
    uint8_t *buf;
    int r;

    memcpy(&d, p, sizeof(d));
    if (d.len > FWD_PKT_MAX || len != sizeof(d) + d.len)
        return err(msg, msglen, FWD_ERR_INVALID, "FWD_SEND: %s", "length");
    if (d.src.af != AF_INET || d.dst.af != AF_INET)
        return err(msg, msglen, FWD_ERR_UNSUPPORTED, "FWD_SEND: %s", "IPv4 only");
    if (NAME(iname, d.instance) < 0 || fw->cur == NULL ||
        (inst = gen_instance(fw->cur, iname)) == NULL)
        return err(msg, msglen, FWD_ERR_NOENT, "no routing instance %.128s", d.instance);
    if (!inst_is_local4(fw->cur, inst, get32(d.src.a)))
        return err(msg, msglen, FWD_ERR_INVALID, "%s: not an address of the appliance",
                   v4str(d.src.a, ab));
    marker = d.sport == NATT_PORT ? 4 : 0; /* RFC 3948 2.2: the non-ESP marker */
    total = 28 + marker + d.len;
    if (total > 65535)
        return err(msg, msglen, FWD_ERR_INVALID, "FWD_SEND: %s", "too long");
    if ((buf = calloc(1, total)) == NULL)
        fatal("calloc");
    ip4_hdr_build(buf, total, IPPROTO_UDP_, get32(d.src.a), get32(d.dst.a), 64, 0, fw->ip_id++);
    put16(buf + 20, d.sport);
    put16(buf + 22, d.dport);
    put16(buf + 24, (uint16_t)(total - 20));
    memcpy(buf + 28 + marker, p + sizeof(d), d.len);
    ip4_l4_csum(buf, total);
    r = ip4_send(fw, inst, buf, total);
    free(buf);
    if (r == -EHOSTUNREACH)
        return err(msg, msglen, FWD_ERR_NOENT, "no route to %s", v4str(d.dst.a, ab));
    return FWD_OK;
}

static int do_sa_add(struct fwdd *fw, const uint8_t *p, char *msg, size_t msglen)
{
    struct fwd_sa s;
    struct service_set *ss;
    struct unit *u = NULL;
    struct tunnel *t;
    struct addr src, dst;
    struct sa_sel sel = {0};
    int st;

    memcpy(&s, p, sizeof(s));
    if ((st = set_and_unit(fw, s.service_set, sizeof(s.service_set), s.inside_unit,
                           sizeof(s.inside_unit), &ss, &u, msg, msglen)) != FWD_OK ||
        (st = sa_check(&s, msg, msglen)) != FWD_OK)
        goto out;
    if (sa_find(fw, ss->rt, ntohl(s.spi), s.dir) ||
        (s.dir == FWD_DIR_IN &&
         sa_lookup_in(fw, ntohl(s.spi), ss->lgw_inst, get32(s.local.a)) != NULL)) {
        st = FWD_ERR_EXISTS;
        snprintf(msg, msglen, "SPI %08x is installed", ntohl(s.spi));
        goto out;
    }
    t = tunnel_get(fw, ss->rt, s.tunnel);
    snprintf(t->inside, sizeof(t->inside), "%s", u->name);
    t->inside_gen = 0; /* espin.c looks it up again */
    memcpy(&t->local, &s.local, sizeof(t->local));
    memcpy(&t->remote, &s.remote, sizeof(t->remote));
    t->local.plen = t->remote.plen = 32;
    src = prefix_of(&s.sel.src);
    dst = prefix_of(&s.sel.dst);
    sel.src = &src;
    sel.dst = &dst;
    sel.nsrc = sel.ndst = 1;
    sel.proto = s.sel.proto;
    sel.sport = s.sel.sport;
    sel.dport = s.sel.dport;
    if (sa_add(fw, t, &s, &sel, msg, msglen) == NULL) {
        tunnel_release_if_empty(fw, t);
        st = FWD_ERR_UNSUPPORTED;
    }
out:
    crypto_wipe(&s, sizeof(s));
    return st;
}

static int find_ref(struct fwdd *fw, const uint8_t *p, struct ipsec_sa **sa, char *msg,
                    size_t msglen)
{
    struct fwd_sa_ref r;
    struct service_set *ss;
    int st;

    memcpy(&r, p, sizeof(r));
    if ((st = set_and_unit(fw, r.service_set, sizeof(r.service_set), NULL, 0, &ss, NULL, msg,
                           msglen)) != FWD_OK)
        return st;
    if ((*sa = sa_find(fw, ss->rt, ntohl(r.spi), r.dir)) == NULL || sa_proto(*sa) != r.proto ||
        (*sa)->tun->manual) {
        snprintf(msg, msglen, "no SA %08x", ntohl(r.spi));
        return FWD_ERR_NOENT;
    }
    return FWD_OK;
}

static int do_sa_del(struct fwdd *fw, const uint8_t *p, char *msg, size_t msglen)
{
    struct ipsec_sa *sa;
    struct tunnel *t;
    int st = find_ref(fw, p, &sa, msg, msglen);

    if (st != FWD_OK)
        return st;
    t = sa->tun;
    sa_del(fw, sa);
    tunnel_release_if_empty(fw, t);
    return FWD_OK;
}

static int do_sa_stats(struct fwdd *fw, const uint8_t *p, char *msg, size_t msglen, void *extra,
                       size_t *extralen)
{
    struct ipsec_sa *sa;
    struct fwd_sa_counters c;
    int st = find_ref(fw, p, &sa, msg, msglen);

    if (st != FWD_OK)
        return st;
    sa_counters_fill(sa, &c);
    memcpy(extra, &c, sizeof(c));
    *extralen = sizeof(c);
    return FWD_OK;
}

static int do_rule(struct fwdd *fw, uint16_t type, const uint8_t *p, char *msg, size_t msglen)
{
    struct fwd_rule r;
    struct service_set *ss;
    struct unit *u = NULL;
    struct dyn_rule *d;
    struct tunnel *t;
    int st;

    memcpy(&r, p, sizeof(r));
    if ((st = set_and_unit(fw, r.service_set, sizeof(r.service_set),
                           type == FWD_RULE_ADD ? r.inside_unit : NULL, sizeof(r.inside_unit), &ss,
                           &u, msg, msglen)) != FWD_OK)
        return st;
    d = dynrule_of_tunnel(ss->rt, r.tunnel);
    if (type == FWD_RULE_DEL) {
        if (d == NULL) {
            snprintf(msg, msglen, "no rule for tunnel %u", r.tunnel);
            return FWD_ERR_NOENT;
        }
        dynrule_del(ss->rt, d);
        if ((t = tunnel_find(fw, ss->rt, r.tunnel, 0)) != NULL)
            tunnel_release_if_empty(fw, t);
        return FWD_OK;
    }
    if (d) {
        snprintf(msg, msglen, "tunnel %u has a rule", r.tunnel);
        return FWD_ERR_EXISTS;
    }
    if (!addr_ok(&r.sel.src) || !addr_ok(&r.sel.dst)) {
        snprintf(msg, msglen, "bad selector");
        return FWD_ERR_INVALID;
    }
    if ((d = calloc(1, sizeof(*d))) == NULL)
        fatal("calloc");
    snprintf(d->inside, sizeof(d->inside), "%s", u->name);
    d->tunnel = r.tunnel;
    d->src = prefix_of(&r.sel.src);
    d->dst = prefix_of(&r.sel.dst);
    d->sel.src = &d->src;
    d->sel.dst = &d->dst;
    d->sel.nsrc = d->sel.ndst = 1;
    d->sel.proto = r.sel.proto;
    d->sel.sport = r.sel.sport;
    d->sel.dport = r.sel.dport;
    dynrule_add(ss->rt, d); /* at the end: installation order */
    t = tunnel_get(fw, ss->rt, r.tunnel);
    if (t->inside[0] == '\0')
        snprintf(t->inside, sizeof(t->inside), "%s", u->name);
    return FWD_OK;
}

static int do_route(struct fwdd *fw, uint16_t type, const uint8_t *p, char *msg, size_t msglen)
{
    struct fwd_route r;
    struct kroute_spec k = {0};
    int rc;

    memcpy(&r, p, sizeof(r));
    if (NAME(k.instance, r.instance) < 0 || NAME(k.unit, r.next_hop_unit) < 0 ||
        !addr_ok(&r.prefix)) {
        snprintf(msg, msglen, "bad route");
        return FWD_ERR_INVALID;
    }
    k.prefix = prefix_of(&r.prefix);
    k.tunnel = r.tunnel;
    k.pref = r.preference ? r.preference : 1;
    rc = type == FWD_ROUTE_ADD ? fw_kroute_add(fw, &k) : fw_kroute_del(fw, &k);
    if (rc == 0)
        return FWD_OK;
    if (errno == EEXIST) {
        snprintf(msg, msglen, "route exists");
        return FWD_ERR_EXISTS;
    }
    snprintf(msg, msglen, "no such %s", type == FWD_ROUTE_ADD ? "instance or unit" : "route");
    return FWD_ERR_NOENT;
}

/* --- pools (DESIGN.md: shared = the one unit for all tunnels, dedicated =
 * one free unit per tunnel) --------------------------------------------- */

/* Reservations are listed (struct ipsec pools) and indexed by (service
 * set, tunnel) and by unit: no list walk per request (10,000 tunnels made
 * that quadratic). */
static uint64_t key_tun(const char *ss, uint32_t tunnel)
{
    return ptab_mix(ptab_hash_str(ss, 0) ^ tunnel);
}

static struct pool_res *reservation(struct fwdd *fw, const char *ss, uint32_t tunnel)
{
    struct pool_res *r;
    size_t it = 0;

    while ((r = ptab_next(&ipsec_get(fw)->pool_tun, key_tun(ss, tunnel), &it)) != NULL)
        if (r->tunnel == tunnel && strcmp(r->ss, ss) == 0)
            return r;
    return NULL;
}

static int unit_taken(struct fwdd *fw, const char *unit)
{
    struct pool_res *r;
    size_t it = 0;

    while ((r = ptab_next(&ipsec_get(fw)->pool_unit, ptab_hash_str(unit, 0), &it)) != NULL)
        if (strcmp(r->unit, unit) == 0)
            return 1;
    return 0;
}

static void pool_res_add(struct fwdd *fw, struct pool_res *r)
{
    struct ipsec *ip = ipsec_get(fw);

    r->prev = NULL;
    r->next = ip->pools;
    if (ip->pools)
        ip->pools->prev = r;
    ip->pools = r;
    ptab_add(&ip->pool_tun, key_tun(r->ss, r->tunnel), r);
    ptab_add(&ip->pool_unit, ptab_hash_str(r->unit, 0), r);
}

void pool_res_del(struct fwdd *fw, struct pool_res *r)
{
    struct ipsec *ip = ipsec_get(fw);

    if (r->prev)
        r->prev->next = r->next;
    else
        ip->pools = r->next;
    if (r->next)
        r->next->prev = r->prev;
    ptab_del(&ip->pool_tun, key_tun(r->ss, r->tunnel), r);
    ptab_del(&ip->pool_unit, ptab_hash_str(r->unit, 0), r);
    free(r);
}

/* A rekey's tunnel may share the unit of the tunnel it replaces (a
 * dedicated pool has no other unit to give): that unit, or NULL. */
static struct unit *replaced_unit(struct fwdd *fw, const struct service_set *ss,
                                  const struct fwd_pool *x, const char *pool)
{
    struct pool_res *old;
    struct unit *u;

    if (x->replaces == 0 || x->replaces == x->tunnel ||
        (old = reservation(fw, ss->name, x->replaces)) == NULL || strcmp(old->pool, pool) != 0)
        return NULL;
    u = gen_unit(fw->cur, old->unit);
    return u && u->ss == ss && !u->disabled ? u : NULL;
}

static int do_pool_reserve(struct fwdd *fw, const uint8_t *p, char *msg, size_t msglen, void *extra,
                           size_t *extralen)
{
    struct fwd_pool x;
    struct service_set *ss;
    struct pool_res *res;
    struct unit *pick = NULL, *hint;
    char pool[FWD_NAME_LEN], unit[FWD_UNITNAMELEN] = "";
    int st, found = 0;

    memcpy(&x, p, sizeof(x));
    if ((st = set_and_unit(fw, x.service_set, sizeof(x.service_set), NULL, 0, &ss, NULL, msg,
                           msglen)) != FWD_OK)
        return st;
    if (NAME(pool, x.pool) < 0 || ss->inside == NULL)
        return err(msg, msglen, FWD_ERR_NOENT, "no pool %.64s", x.pool);
    if (NAME(unit, x.unit) < 0)
        unit[0] = '\0';
    if ((res = reservation(fw, ss->name, x.tunnel)) != NULL) {
        snprintf(x.unit, sizeof(x.unit), "%s", res->unit); /* asked twice: same unit */
        goto reply;
    }
    if ((pick = replaced_unit(fw, ss, &x, pool)) != NULL)
        goto take; /* shared until the replaced tunnel releases it */
    hint = unit[0] ? gen_unit(fw->cur, unit) : NULL; /* the unit it had before */
    for (size_t i = 0; i < ss->inside->ifd->nunits; i++) {
        struct unit *u = &ss->inside->ifd->units[i];
        if (strcmp(u->pool, pool) != 0 || u->ss != ss || u->disabled)
            continue;
        found = 1;
        if (!u->dedicated) {
            pick = u; /* shared: every tunnel uses it */
            break;
        }
        if (unit_taken(fw, u->name))
            continue;
        if (pick == NULL || u == hint)
            pick = u;
    }
    if (pick == NULL)
        return err(msg, msglen, found ? FWD_ERR_EXHAUSTED : FWD_ERR_NOENT,
                   found ? "pool %s is exhausted" : "no pool %s in the service set", pool);
take:
    if ((res = calloc(1, sizeof(*res))) == NULL)
        fatal("calloc");
    snprintf(res->ss, sizeof(res->ss), "%s", ss->name);
    snprintf(res->pool, sizeof(res->pool), "%s", pool);
    snprintf(res->unit, sizeof(res->unit), "%s", pick->name);
    res->tunnel = x.tunnel;
    pool_res_add(fw, res);
    memset(x.unit, 0, sizeof(x.unit));
    snprintf(x.unit, sizeof(x.unit), "%s", pick->name);
reply:
    memcpy(extra, &x, sizeof(x));
    *extralen = sizeof(x);
    return FWD_OK;
}

static int do_pool_release(struct fwdd *fw, const uint8_t *p, char *msg, size_t msglen)
{
    struct fwd_pool x;
    struct pool_res *r;
    char ss[64];

    memcpy(&x, p, sizeof(x));
    if (NAME(ss, x.service_set) == 0 && (r = reservation(fw, ss, x.tunnel)) != NULL) {
        pool_res_del(fw, r);
        return FWD_OK;
    }
    snprintf(msg, msglen, "tunnel %u holds no pool unit", x.tunnel);
    return FWD_ERR_NOENT;
}

void pool_flush(struct fwdd *fw)
{
    if (fw->ipsec == NULL)
        return;
    while (fw->ipsec->pools)
        pool_res_del(fw, fw->ipsec->pools);
    ptab_free(&fw->ipsec->pool_tun);
    ptab_free(&fw->ipsec->pool_unit);
}

int kmdreq_handle(struct fwdd *fw, uint16_t type, const uint8_t *p, size_t len, char *msg,
                  size_t msglen, void *extra, size_t *extralen)
{
    *extralen = 0;
    msg[0] = '\0';
    switch (type) {
    case FWD_SEND:
        return do_send(fw, p, len, msg, msglen);
    case FWD_SA_ADD:
        return do_sa_add(fw, p, msg, msglen);
    case FWD_SA_DEL:
        return do_sa_del(fw, p, msg, msglen);
    case FWD_SA_STATS:
        return do_sa_stats(fw, p, msg, msglen, extra, extralen);
    case FWD_RULE_ADD:
    case FWD_RULE_DEL:
        return do_rule(fw, type, p, msg, msglen);
    case FWD_ROUTE_ADD:
    case FWD_ROUTE_DEL:
        return do_route(fw, type, p, msg, msglen);
    case FWD_POOL_RESERVE:
        return do_pool_reserve(fw, p, msg, msglen, extra, extralen);
    case FWD_POOL_RELEASE:
        return do_pool_release(fw, p, msg, msglen);
    }
    snprintf(msg, msglen, "unknown request type %u", type);
    return FWD_ERR_INVALID;
}
