/*
 * tunnel.c: turning a negotiated tunnel into forwarding state in fwdd
 * (lib/fwdipc.h) and taking it away again.  Order (DESIGN.md): the pool
 * unit is reserved at QM1, the inbound SA installed before QM2 is sent,
 * the outbound SA, the implicit dynamic rule and the reverse route (Static,
 * preference 1, to the remote proxy the peer proposed, in the VRF of the
 * ipsec-inside-interface; none for 0.0.0.0/0) at QM3.  A static peer's
 * tunnel has no pool unit, rule or route (its term's static rule).  Teardown releases
 * the same things in reverse order and may send DELETE to the peer.
 *
 * `held` records what was requested from fwdd: set when a request is sent
 * (so a teardown racing a reply still undoes it, fwdd handling requests in
 * order), cleared when fwdd refuses.  When fwdd reconnects it holds nothing
 * of kmd's and every established tunnel is installed again.  Called by
 * quick_mode.c, informational.c, reconf.c, show.c and input.c.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static uint64_t ptr_key(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

struct tunnel *tunnel_find(struct kmd *k, uint32_t index)
{
    size_t it = 0;
    struct tunnel *t;

    while (index && (t = kidx_next(&k->t_index, index, &it)) != NULL)
        if (t->index == index)
            return t;
    return NULL;
}

struct tunnel *tunnel_by_spi_out(struct kmd *k, uint32_t spi)
{
    size_t it = 0;
    struct tunnel *t;

    while ((t = kidx_next(&k->t_spi_out, spi, &it)) != NULL)
        if (t->spi_out == spi || (t->aux_out && t->aux_out == spi))
            return t;
    return NULL;
}

struct tunnel *tunnel_by_spi_in(struct kmd *k, uint32_t spi)
{
    size_t it = 0;
    struct tunnel *t;

    while ((t = kidx_next(&k->t_spi_in, spi, &it)) != NULL)
        if ((t->spi_in && t->spi_in == spi) || (t->aux_in && t->aux_in == spi))
            return t;
    return NULL;
}

void tunnel_index_spis(struct kmd *k, struct tunnel *t, bool in)
{
    struct kidx *x = in ? &k->t_spi_in : &k->t_spi_out;
    uint32_t spi = in ? t->spi_in : t->spi_out, aux = in ? t->aux_in : t->aux_out;

    if (spi)
        kidx_add(x, spi, t);
    if (aux && aux != spi)
        kidx_add(x, aux, t);
}

static void unindex(struct kmd *k, struct tunnel *t)
{
    kidx_del(&k->t_index, t->index, t);
    kidx_del(&k->t_spi_in, t->spi_in, t);
    kidx_del(&k->t_spi_in, t->aux_in, t);
    kidx_del(&k->t_spi_out, t->spi_out, t);
    kidx_del(&k->t_spi_out, t->aux_out, t);
    if (t->peer_id)
        kidx_del(&k->t_id, ptr_key(t->peer_id), t);
}

void tunnel_free(struct kmd *k, struct tunnel *t)
{
    unindex(k, t);
    kident_put(&k->idents, t->peer_id);
    crypto_wipe(t, sizeof(*t) + 2 * ((size_t)t->c.ekey_len + t->c.akey_len));
    free(t);
}

uint32_t tunnel_new_spi(struct kmd *k)
{
    uint32_t spi;

    do {
        if (crypto_random(&spi, sizeof(spi)) < 0)
            fatalx("random: %s", crypto_strerror());
    } while (spi < 256 || tunnel_by_spi_in(k, spi)); /* RFC 4303 2.1: 1-255 reserved */
    return spi;
}

struct tunnel *tunnel_new(struct kmd *k, struct ike_sa *sa, const struct p2_choice *c)
{
    struct tunnel *t = calloc(1, sizeof(*t) + 2 * (c->ekey_len + c->akey_len));

    if (t == NULL)
        fatal("calloc");
    p2_sa_of(c, &t->c);
    do
        t->index = ++k->next_tunnel;
    while (t->index == 0 || tunnel_find(k, t->index));
    t->ike = sa;
    t->ike_serial = sa->serial;
    t->ss_name = sa->ss_name;
    t->profile = t->pool = t->rule = t->term = t->unit = "";
    if (ike_static_peer(sa)) {
        const struct kmd_static_peer *sp = ike_static_peer(sa);
        t->static_peer = true;
        t->rule = katom(&k->atoms, sp->rule);
        t->term = katom(&k->atoms, sp->term);
    } else {
        t->profile = katom(&k->atoms, sa->ss->profile->name);
        t->pool = katom(&k->atoms, sa->ss->profile->interface_id);
    }
    t->instance = katom(&k->atoms, sa->ss->inside_instance);
    t->peer_id = kident_ref(sa->id);
    t->path = sa->path;
    t->created = kmd_now(k);
    t->next = k->tunnels;
    k->tunnels = t;
    kidx_add(&k->t_index, t->index, t);
    if (t->peer_id)
        kidx_add(&k->t_id, ptr_key(t->peer_id), t);
    return t;
}

static void to_fwd(const struct kmd_prefix *p, struct fwd_addr *a)
{
    memset(a, 0, sizeof(*a));
    a->af = (uint8_t)p->af;
    a->plen = (uint8_t)p->plen;
    memcpy(a->a, p->addr, sizeof(a->a));
}

static void selector(const struct tunnel *t, struct fwd_selector *s)
{
    memset(s, 0, sizeof(*s));
    to_fwd(&t->lproxy, &s->src);
    to_fwd(&t->rproxy, &s->dst);
    s->proto = t->proto;
    s->sport = t->lport;
    s->dport = t->rport;
}

static void fill_sa(struct kmd *k, const struct tunnel *t, uint8_t dir, struct fwd_sa *s)
{
    const struct kmd_service_set *ss = kmd_config_service_set(k->cfg, t->ss_name);
    bool in = dir == FWD_DIR_IN;

    memset(s, 0, sizeof(*s));
    snprintf(s->service_set, sizeof(s->service_set), "%s", t->ss_name);
    snprintf(s->inside_unit, sizeof(s->inside_unit), "%s", t->unit);
    s->tunnel = t->index;
    s->spi = htonl(in ? t->spi_in : t->spi_out);
    s->aux_spi = htonl(in ? t->aux_in : t->aux_out);
    s->dir = dir;
    s->proto = t->c.fwd_proto;
    s->encap = t->udp_encap ? FWD_ENCAP_UDP : FWD_ENCAP_NONE;
    s->cipher = t->c.fwd_cipher;
    s->auth = t->c.fwd_auth;
    s->cipher_key_len = (uint8_t)t->c.ekey_len;
    s->auth_key_len = (uint8_t)t->c.akey_len;
    s->no_anti_replay = ss ? (uint8_t)ss->no_anti_replay : 0;
    s->replay_window = ss ? ss->replay_window : 64;
    s->encap_sport = t->path.dport;
    s->encap_dport = t->path.sport;
    s->local = t->path.dst;
    s->remote = t->path.src;
    s->local.plen = s->remote.plen = s->local.af == AF_INET6 ? 128 : 32;
    selector(t, &s->sel);
    memcpy(s->cipher_key, tunnel_ekey(t, in), t->c.ekey_len);
    memcpy(s->auth_key, tunnel_akey(t, in), t->c.akey_len);
    if (t->c.peer_kb) {
        s->hard_bytes = t->c.peer_kb * 1024;
        s->soft_bytes = s->hard_bytes / 10 * 9;
    }
    s->hard_seconds = t->c.lifetime;
    s->soft_seconds = t->c.lifetime / 10 * 9;
    s->tunnel_mtu = ss ? ss->tunnel_mtu : 0;
    s->clear_df = ss ? (uint8_t)ss->clear_df : 0;
}

static int request(struct kmd *k, struct tunnel *t, uint16_t type, const void *msg, size_t len,
                   enum req_kind kind)
{
    return k->io->request(k->io_arg, type, msg, len, req_tag(t->index, kind));
}

int tunnel_reserve_pool(struct kmd *k, struct tunnel *t)
{
    struct fwd_pool p;

    memset(&p, 0, sizeof(p));
    snprintf(p.service_set, sizeof(p.service_set), "%s", t->ss_name);
    snprintf(p.pool, sizeof(p.pool), "%s", t->pool);
    p.tunnel = t->index;
    p.replaces = t->replaces; /* a rekey may share the old tunnel's unit */
    return request(k, t, FWD_POOL_RESERVE, &p, sizeof(p), REQ_POOL);
}

static int install_sa(struct kmd *k, struct tunnel *t, uint8_t dir, enum req_kind kind)
{
    struct fwd_sa s;
    int r;

    fill_sa(k, t, dir, &s);
    r = request(k, t, FWD_SA_ADD, &s, sizeof(s), kind);
    crypto_wipe(&s, sizeof(s));
    if (r == 0)
        t->held |= dir == FWD_DIR_IN ? T_SA_IN : T_SA_OUT;
    return r;
}

int tunnel_install_in(struct kmd *k, struct tunnel *t)
{
    return install_sa(k, t, FWD_DIR_IN, REQ_SA_IN);
}

static void rule_of(const struct tunnel *t, struct fwd_rule *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->service_set, sizeof(r->service_set), "%s", t->ss_name);
    snprintf(r->inside_unit, sizeof(r->inside_unit), "%s", t->unit);
    r->tunnel = t->index;
    selector(t, &r->sel);
}

static void route_of(const struct tunnel *t, struct fwd_route *rt)
{
    memset(rt, 0, sizeof(*rt));
    snprintf(rt->instance, sizeof(rt->instance), "%s", t->instance);
    snprintf(rt->next_hop_unit, sizeof(rt->next_hop_unit), "%s", t->unit);
    to_fwd(&t->rproxy, &rt->prefix);
    rt->tunnel = t->index;
    rt->preference = 1;
}

/* Outbound SA, rule, route (QM3, and again after fwdd reconnected).  A
 * static peer's tunnel has neither rule nor route: its term's static rule
 * picks it in fwdd (by remote gateway) for what the configured routes
 * send to the inside unit. */
static void install_rest(struct kmd *k, struct tunnel *t)
{
    struct fwd_rule r;
    struct fwd_route rt;

    install_sa(k, t, FWD_DIR_OUT, REQ_SA_OUT);
    if (t->static_peer)
        return;
    rule_of(t, &r);
    if (request(k, t, FWD_RULE_ADD, &r, sizeof(r), REQ_RULE) == 0)
        t->held |= T_RULE;
    if (t->rproxy.plen != 0) { /* seed: no route for the default remote proxy */
        route_of(t, &rt);
        if (request(k, t, FWD_ROUTE_ADD, &rt, sizeof(rt), REQ_ROUTE) == 0)
            t->held |= T_ROUTE;
    }
}

static void describe(const struct tunnel *t, char *buf, size_t len)
{
    char peer[INET6_ADDRSTRLEN], r[64], l[64];

    snprintf(buf, len, "tunnel %u with %s (id %.120s, service set %s, remote %s local %s)",
             t->index, addr_str(&t->path.src, peer, sizeof(peer)), tunnel_id(t), t->ss_name,
             prefix_str(&t->rproxy, r, sizeof(r)), prefix_str(&t->lproxy, l, sizeof(l)));
}

void tunnel_activate(struct kmd *k, struct tunnel *t)
{
    char d[512], aux[64];

    /* make before break: the new tunnel's outbound SA, rule and route are
     * in fwdd before the old tunnel's go (fwdd handles requests in order;
     * the old rule, installed first, matches until it is removed) */
    install_rest(k, t);
    if (t->replaces) {
        struct tunnel *old = tunnel_find(k, t->replaces);
        t->replaces = 0;
        if (old && old != t) {
            char why[64];
            if (old->ike && old->ike == t->ike)
                t->ike->p2_rekeys++;
            snprintf(why, sizeof(why), "replaced by tunnel %u", t->index);
            tunnel_teardown(k, old, true, why);
        }
    }
    t->up = true;
    t->expires = kmd_now(k) + t->c.lifetime;
    if (t->ike)
        t->ike->p2_created++;
    k->cnt.tunnels_up++;
    describe(t, d, sizeof(d));
    aux[0] = '\0';
    if (t->c.fwd_proto == FWD_PROTO_BUNDLE)
        snprintf(aux, sizeof(aux), " (AH), ESP in %08x out %08x", t->aux_in, t->aux_out);
    log_info("%s established: %s %s %s%s, inside %s, SPI in %08x out %08x%s, lifetime %u s%s", d,
             p2_proto_word(t->c.fwd_proto), t->c.enc_name, t->c.auth_name, t->c.pfs ? " PFS" : "",
             t->unit, t->spi_in, t->spi_out, aux, t->c.lifetime,
             t->udp_encap ? ", UDP-encapsulated" : "");
    keylog_esp(k, t);
}

static void release(struct kmd *k, struct tunnel *t)
{
    struct fwd_sa_ref ref;
    struct fwd_rule r;
    struct fwd_route rt;
    struct fwd_pool p;

    if (t->held & T_ROUTE) {
        route_of(t, &rt);
        request(k, t, FWD_ROUTE_DEL, &rt, sizeof(rt), REQ_DEL);
    }
    if (t->held & T_RULE) {
        rule_of(t, &r);
        request(k, t, FWD_RULE_DEL, &r, sizeof(r), REQ_DEL);
    }
    for (int i = 0; i < 2; i++) {
        unsigned flag = i == 0 ? T_SA_OUT : T_SA_IN;
        if (!(t->held & flag))
            continue;
        memset(&ref, 0, sizeof(ref));
        snprintf(ref.service_set, sizeof(ref.service_set), "%s", t->ss_name);
        ref.spi = htonl(i == 0 ? t->spi_out : t->spi_in);
        ref.dir = i == 0 ? FWD_DIR_OUT : FWD_DIR_IN;
        ref.proto = t->c.fwd_proto;
        request(k, t, FWD_SA_DEL, &ref, sizeof(ref), REQ_DEL);
    }
    if (t->held & T_POOL) {
        memset(&p, 0, sizeof(p));
        snprintf(p.service_set, sizeof(p.service_set), "%s", t->ss_name);
        snprintf(p.pool, sizeof(p.pool), "%s", t->pool);
        snprintf(p.unit, sizeof(p.unit), "%s", t->unit);
        p.tunnel = t->index;
        request(k, t, FWD_POOL_RELEASE, &p, sizeof(p), REQ_DEL);
    }
    t->held = 0;
}

void tunnel_teardown(struct kmd *k, struct tunnel *t, bool notify_peer, const char *why)
{
    struct tunnel **pp;
    char d[512];

    if (notify_peer && t->up && t->ike && t->ike->state == IKE_UP) {
        for (unsigned n = 0; n < t->c.nprotos; n++) { /* a bundle: D(AH) and D(ESP) */
            bool aux =
                t->c.fwd_proto == FWD_PROTO_BUNDLE && t->c.proto[n] == ISAKMP_PROTO_IPSEC_ESP;
            uint32_t v = aux ? t->aux_in : t->spi_in;
            uint8_t spi[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                              (uint8_t)v};
            info_send_delete(k, t->ike, t->c.proto[n], spi, 4, 1);
        }
    }
    release(k, t);
    describe(t, d, sizeof(d));
    if (t->up) {
        k->cnt.tunnels_down++;
        if (t->ike)
            t->ike->p2_deleted++;
        log_info("%s deleted: %s", d, why);
    } else {
        k->cnt.tunnels_refused++;
        log_info("%s refused: %s", d, why);
        fail_tunnel(k, t, why);
        if (t->ike)
            qm_forget(t->ike, t->index);
    }
    for (pp = &k->tunnels; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    tunnel_free(k, t);
}

void tunnel_refuse(struct kmd *k, struct tunnel *t, const char *why)
{
    tunnel_teardown(k, t, false, why);
}

static void reinstall(struct kmd *k, struct tunnel *t)
{
    struct fwd_pool p;

    t->held = 0;
    if (t->static_peer) {
        install_sa(k, t, FWD_DIR_IN, REQ_RE_SA_IN);
        install_rest(k, t);
        return;
    }
    memset(&p, 0, sizeof(p));
    snprintf(p.service_set, sizeof(p.service_set), "%s", t->ss_name);
    snprintf(p.pool, sizeof(p.pool), "%s", t->pool);
    snprintf(p.unit, sizeof(p.unit), "%s", t->unit); /* a hint: the unit it had */
    p.tunnel = t->index;
    request(k, t, FWD_POOL_RESERVE, &p, sizeof(p), REQ_RE_POOL);
}

void tunnel_reinstall_all(struct kmd *k)
{
    struct tunnel *t, *next;

    for (t = k->tunnels; t; t = next) {
        next = t->next;
        if (!t->up)
            tunnel_refuse(k, t, "fwdd reconnected during quick mode");
        else
            reinstall(k, t);
    }
}

static void orphan_pool(struct kmd *k, const void *data, size_t len)
{
    struct fwd_pool p;

    if (len < sizeof(p))
        return;
    memcpy(&p, data, sizeof(p));
    k->io->request(k->io_arg, FWD_POOL_RELEASE, &p, sizeof(p), req_tag(p.tunnel, REQ_DEL));
}

void tunnel_reply(struct kmd *k, uint32_t index, enum req_kind kind, uint32_t status,
                  const char *msg, const void *data, size_t len)
{
    struct tunnel *t = tunnel_find(k, index);
    char unit[FWD_NAME_LEN] = "", why[200];
    unsigned flag;

    if (status == FWD_OK && len >= sizeof(struct fwd_pool))
        snprintf(unit, sizeof(unit), "%s", ((const struct fwd_pool *)data)->unit);
    if (kind == REQ_DEL) {
        if (status != FWD_OK && status != FWD_ERR_NOENT && status != KMD_FWD_LOST)
            log_debug("fwdd: release for tunnel %u: %s", index, msg);
        return;
    }
    if (t == NULL) { /* torn down meanwhile: a unit fwdd reserved goes back */
        if ((kind == REQ_POOL || kind == REQ_RE_POOL) && status == FWD_OK)
            orphan_pool(k, data, len);
        return;
    }
    switch (kind) {
    case REQ_POOL:
        qm_pool_reply(k, t, status, msg, unit);
        return;
    case REQ_SA_IN:
        qm_sa_in_reply(k, t, status, msg);
        return;
    case REQ_RE_POOL:
        if (status == KMD_FWD_LOST)
            return;
        if (status != FWD_OK) {
            snprintf(why, sizeof(why), "fwdd reconnected and refused its pool unit: %s", msg);
            tunnel_teardown(k, t, true, why);
            return;
        }
        if (unit[0])
            t->unit = katom(&k->atoms, unit);
        t->held |= T_POOL;
        install_sa(k, t, FWD_DIR_IN, REQ_RE_SA_IN);
        install_rest(k, t);
        return;
    default:
        break;
    }
    if (status == FWD_OK)
        return;
    flag = kind == REQ_RULE     ? T_RULE
           : kind == REQ_ROUTE  ? T_ROUTE
           : kind == REQ_SA_OUT ? T_SA_OUT
                                : T_SA_IN;
    t->held &= ~flag;
    if (status == KMD_FWD_LOST)
        return;
    k->cnt.fwd_errors++;
    snprintf(why, sizeof(why), "fwdd refused its %s: %s",
             kind == REQ_RULE    ? "dynamic rule"
             : kind == REQ_ROUTE ? "reverse route"
                                 : "SA",
             msg);
    tunnel_teardown(k, t, true, why);
}

void tunnel_tick(struct kmd *k, time_t now)
{
    struct tunnel *t, *next;

    for (t = k->tunnels; t; t = next) {
        next = t->next;
        if (t->up && now >= t->expires)
            tunnel_teardown(k, t, true, "lifetime expired");
    }
}

const char *tunnel_identity(uint8_t id_type, const struct kmd_prefix *p, uint8_t proto,
                            uint16_t port, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN], pr[16];
    bool v6 = p->af == AF_INET6,
         single = id_type == ISAKMP_ID_IPV4_ADDR || id_type == ISAKMP_ID_IPV6_ADDR;

    inet_ntop(v6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a));
    if (proto == 0)
        snprintf(pr, sizeof(pr), "any");
    else if (proto == 6)
        snprintf(pr, sizeof(pr), "tcp");
    else if (proto == 17)
        snprintf(pr, sizeof(pr), "udp");
    else if (proto == 1)
        snprintf(pr, sizeof(pr), "icmp");
    else
        snprintf(pr, sizeof(pr), "%u", proto);
    if (single)
        snprintf(buf, len, "%s(%s:%u,[0..%d]=%s)", v6 ? "ipv6" : "ipv4", pr, port, v6 ? 15 : 3, a);
    else
        snprintf(buf, len, "%s_subnet(%s:%u,[0..%d]=%s/%d)", v6 ? "ipv6" : "ipv4", pr, port,
                 v6 ? 31 : 7, a, p->plen);
    return buf;
}

/* ---- fwdd's side (kmd.h) ---- */

void kmd_fwd_reply(struct kmd *k, uint64_t tag, uint32_t status, const char *msg, const void *data,
                   size_t len)
{
    tunnel_reply(k, (uint32_t)(tag >> 8), (enum req_kind)(tag & 0xff), status, msg ? msg : "", data,
                 len);
}

void kmd_fwd_up(struct kmd *k)
{
    k->fwd_up = true;
    tunnel_reinstall_all(k);
}

void kmd_fwd_down(struct kmd *k)
{
    k->fwd_up = false;
    for (struct tunnel *t = k->tunnels; t; t = t->next)
        t->held = 0; /* fwdd flushed everything of kmd's */
}

static struct tunnel *tunnel_of_ref(struct kmd *k, const struct fwd_sa_ref *ref)
{
    uint32_t spi = ntohl(ref->spi);
    bool in = ref->dir == FWD_DIR_IN;
    size_t it = 0;
    struct tunnel *t;

    while ((t = kidx_next(in ? &k->t_spi_in : &k->t_spi_out, spi, &it)) != NULL)
        if (strncmp(t->ss_name, ref->service_set, sizeof(ref->service_set)) == 0 &&
            (in ? t->spi_in : t->spi_out) == spi)
            return t;
    return NULL;
}

void kmd_fwd_sa_event(struct kmd *k, const struct fwd_sa_event *ev)
{
    struct tunnel *t = tunnel_of_ref(k, &ev->sa);

    if (t == NULL)
        return;
    if (ev->event == FWD_EV_HARD_BYTES || ev->event == FWD_EV_HARD_TIME)
        tunnel_teardown(k, t, true,
                        ev->event == FWD_EV_HARD_BYTES ? "hard lifetime (kilobytes) reached"
                                                       : "hard lifetime reached");
    else
        log_debug("tunnel %u: soft lifetime reached (the peer rekeys)", t->index);
}

void kmd_fwd_sa_gone(struct kmd *k, const struct fwd_sa_ref *ref)
{
    struct tunnel *t = tunnel_of_ref(k, ref);

    if (t == NULL)
        return;
    t->held &= ~(unsigned)(ref->dir == FWD_DIR_IN ? T_SA_IN : T_SA_OUT);
    tunnel_teardown(k, t, true, "fwdd dropped its SA (its unit left the configuration)");
}
