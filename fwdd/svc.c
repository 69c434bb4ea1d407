/*
 * svc.c: service PICs, service sets, static ipsec-vpn rules, the
 * process-lifetime runtime of each service set (svc.h), and the choice of
 * the tunnel a packet entering a service set goes into (static rules,
 * then kmd's dynamic rules).
 */
#include "svc.h"
#include "cfg.h"
#include "kmdsock.h"
#include "log.h"
#include "pic.h"
#include "pktutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (p == NULL)
        fatal("calloc");
    return p;
}

static size_t count_same(const struct cnode *n)
{
    size_t k = 0;

    for (; n; n = cfg_next(n))
        k++;
    return k;
}

static struct ss_rt *runtime(struct fwdd *fw, const char *name)
{
    struct ss_rt *rt = svc_rt_find(fw, name);

    if (rt)
        return rt;
    rt = xcalloc(1, sizeof(*rt));
    snprintf(rt->name, sizeof(rt->name), "%s", name);
    rt->next = fw->ssrt;
    fw->ssrt = rt;
    return rt;
}

static void read_prefixes(const struct cnode *n, struct addr **v, size_t *nv)
{
    *v = xcalloc(count_same(n), sizeof(**v));
    for (*nv = 0; n; n = cfg_next(n))
        if (prefix_parse(cfg_key(n), &(*v)[*nv]) == 0)
            (*nv)++;
}

static void read_rule(struct ss_rule *r, const struct cnode *rn)
{
    const struct cnode *tn = cfg_child(rn, "term");
    const char *dir = cfg_value(rn, "match-direction");
    size_t k = 0;

    snprintf(r->name, sizeof(r->name), "%s", cfg_key(rn));
    r->input = dir == NULL || strcmp(dir, "input") == 0;
    r->terms = xcalloc(count_same(tn), sizeof(*r->terms));
    for (; tn; tn = cfg_next(tn)) {
        struct ss_term *t = &r->terms[k++];
        const struct cnode *from = cfg_child(tn, "from"), *then = cfg_child(tn, "then");
        const char *inside = cfg_value(from, "ipsec-inside-interface");
        const char *rgw = cfg_value(then, "remote-gateway");

        snprintf(t->name, sizeof(t->name), "%s", cfg_key(tn));
        read_prefixes(cfg_child(from, "source-address"), &t->src, &t->nsrc);
        read_prefixes(cfg_child(from, "destination-address"), &t->dst, &t->ndst);
        snprintf(t->inside, sizeof(t->inside), "%s", inside ? inside : "");
        t->has_rgw = rgw && addr_parse(rgw, &t->rgw) == 0;
        manual_read(t, r->name, then);
    }
    r->nterms = k;
}

static const struct ss_rule *rule_by_name(const struct svc *s, const char *name)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (strcmp(s->rules[i].name, name) == 0)
            return &s->rules[i];
    return NULL;
}

static struct pic *pic_of(struct svc *s, const struct unit *u)
{
    for (size_t i = 0; u && i < s->npics; i++)
        if (s->pics[i].ifd == u->ifd)
            return &s->pics[i];
    return NULL;
}

static struct bundle *bundle_of(struct svc *s, const struct unit *u)
{
    for (size_t i = 0; u && i < s->nbundles; i++)
        if (s->bundles[i].ifd == u->ifd)
            return &s->bundles[i];
    return NULL;
}

static struct pic *pic_named(struct svc *s, const char *name)
{
    for (size_t i = 0; i < s->npics; i++)
        if (strcmp(s->pics[i].name, name) == 0)
            return &s->pics[i];
    return NULL;
}

/* Each ams interface's members (interfaces ams0 load-balancing-options
 * member-interface mams-F/P/0); a member that is not configured as an
 * interface has no PIC and is left out, with a log line. */
static void read_bundles(struct gen *g, const struct cnode *root)
{
    struct svc *s = g->svc;
    const struct cnode *i = cfg_child(cfg_child(root, "interfaces"), "interface");

    for (size_t k = 0; k < g->nifds; k++)
        s->nbundles += g->ifds[k].kind == IFK_AMS;
    s->bundles = xcalloc(s->nbundles, sizeof(*s->bundles));
    s->nbundles = 0;
    for (; i; i = cfg_next(i)) {
        const struct cnode *m =
            cfg_child(cfg_child(i, "load-balancing-options"), "member-interface");
        struct ifd *d = gen_ifd(g, cfg_key(i));
        struct bundle *b;
        if (d == NULL || d->kind != IFK_AMS)
            continue;
        b = &s->bundles[s->nbundles++];
        snprintf(b->name, sizeof(b->name), "%s", d->name);
        b->ifd = d;
        b->members = xcalloc(count_same(m), sizeof(*b->members));
        for (; m; m = cfg_next(m)) {
            struct pic *p = pic_named(s, cfg_key(m));
            if (p == NULL || !p->ams)
                log_warnx("interfaces %s: member-interface %s is not a configured mams- "
                          "interface",
                          b->name, cfg_key(m));
            else
                b->members[b->nmembers++] = p;
        }
    }
}

void svc_tunnel_owner(struct fwdd *fw, struct tunnel *t)
{
    const struct service_set *ss = t->rt->ss;
    struct picw *best = NULL;

    if (ss && ss->bundle) {
        for (size_t i = 0; i < ss->bundle->nmembers; i++) {
            struct picw *w = ss->bundle->members[i]->w;
            if (best == NULL || w->tunnels < best->tunnels)
                best = w;
        }
    } else if (ss && ss->pic) {
        best = ss->pic->w;
    }
    (void)fw;
    if ((t->w = best) != NULL)
        best->tunnels++;
}

static void read_set_rules(struct service_set *ss, const struct svc *s, const struct cnode *sn,
                           const struct cnode *vpn)
{
    const struct cnode *r = cfg_child(sn, "ipsec-vpn-rules");
    const char *set = cfg_value(sn, "ipsec-vpn-rule-sets");
    size_t max = count_same(r);
    const struct cnode *rs = NULL;

    if (set) {
        for (rs = cfg_child(vpn, "rule-set"); rs && strcmp(cfg_key(rs), set) != 0;
             rs = cfg_next(rs))
            ;
        r = rs ? cfg_child(rs, "rule") : NULL;
        max = count_same(r);
    }
    ss->rules = xcalloc(max, sizeof(*ss->rules));
    for (; r; r = cfg_next(r)) {
        const struct ss_rule *rule = rule_by_name(s, rs ? cfg_key(r) : r->value);
        if (rule)
            ss->rules[ss->nrules++] = rule;
    }
}

static void read_set(struct fwdd *fw, struct gen *g, struct service_set *ss, const struct cnode *sn,
                     const struct cnode *vpn)
{
    const struct cnode *nhs = cfg_child(sn, "next-hop-service");
    const struct cnode *opt = cfg_child(sn, "ipsec-vpn-options");
    const struct cnode *lgw = cfg_child(opt, "local-gateway");
    const char *in = cfg_value(nhs, "inside-service-interface");
    const char *out = cfg_value(nhs, "outside-service-interface");
    const char *lgw_addr = cfg_value(lgw, "address"), *lgw_ri = cfg_value(lgw, "routing-instance");
    const char *prof = cfg_value(opt, "ike-access-profile");
    const char *win = cfg_value(opt, "anti-replay-window-size"),
               *mtu = cfg_value(opt, "tunnel-mtu");
    const struct cnode *udp = cfg_child(opt, "udp-encapsulate");
    const char *port = cfg_value(udp, "dest-port");

    snprintf(ss->name, sizeof(ss->name), "%s", cfg_key(sn));
    snprintf(ss->inside_name, sizeof(ss->inside_name), "%s", in ? in : "");
    snprintf(ss->outside_name, sizeof(ss->outside_name), "%s", out ? out : "");
    snprintf(ss->profile, sizeof(ss->profile), "%s", prof ? prof : "");
    ss->replay_window = win ? (uint16_t)strtoul(win, NULL, 10) : 64;
    ss->tunnel_mtu = mtu ? (uint16_t)strtoul(mtu, NULL, 10) : 0;
    ss->udp_port = udp ? (port ? (uint16_t)strtoul(port, NULL, 10) : 4500) : 0;
    ss->no_replay = cfg_flag(opt, "no-anti-replay");
    ss->clear_df = cfg_flag(opt, "clear-dont-fragment-bit");
    ss->inside = in ? gen_unit(g, in) : NULL;
    ss->outside = out ? gen_unit(g, out) : NULL;
    ss->pic = pic_of(g->svc, ss->inside ? ss->inside : ss->outside);
    ss->bundle = bundle_of(g->svc, ss->inside ? ss->inside : ss->outside);
    if (ss->pic)
        ss->pic->nsets++;
    if (ss->bundle)
        ss->bundle->nsets++;
    if (ss->inside) {
        ss->inside->ss = ss;
        /* the dial-options pool units of the same PIC belong to it too */
        for (size_t k = 0; k < ss->inside->ifd->nunits; k++) {
            struct unit *u = &ss->inside->ifd->units[k];
            if (u->pool[0] && u->domain != DOM_OUTSIDE && u->ss == NULL)
                u->ss = ss;
        }
    }
    if (ss->outside)
        ss->outside->ss = ss;
    if (lgw_addr && addr_parse(lgw_addr, &ss->lgw) == 0) {
        ss->lgw_inst = gen_instance(g, lgw_ri);
        if (ss->lgw_inst == NULL)
            log_warnx("service-set %s: routing-instance %s is not configured", ss->name, lgw_ri);
    }
    read_set_rules(ss, g->svc, sn, vpn);
    ss->rt = runtime(fw, ss->name);
}

void svc_build(struct fwdd *fw, struct gen *g, const struct conf *c)
{
    const struct cnode *services = cfg_child(c->root, "services");
    const struct cnode *vpn = cfg_child(services, "ipsec-vpn");
    const struct cnode *rn = cfg_child(vpn, "rule"), *sn = cfg_child(services, "service-set");
    struct svc *s = g->svc = xcalloc(1, sizeof(*s));
    size_t npics = 0;

    for (size_t i = 0; i < g->nifds; i++)
        npics += g->ifds[i].kind == IFK_MS || g->ifds[i].kind == IFK_MAMS;
    s->pics = xcalloc(npics, sizeof(*s->pics));
    for (size_t i = 0; i < g->nifds; i++) {
        struct ifd *d = &g->ifds[i];
        struct pic *p;
        if (d->kind != IFK_MS && d->kind != IFK_MAMS)
            continue;
        p = &s->pics[s->npics++];
        snprintf(p->name, sizeof(p->name), "%s", d->name);
        p->ifd = d;
        p->fpc = d->fpc;
        p->pic = d->pic;
        p->ams = d->kind == IFK_MAMS;
        p->w = pic_worker(fw, p->name);
    }
    read_bundles(g, c->root);
    s->rules = xcalloc(count_same(rn), sizeof(*s->rules));
    for (; rn; rn = cfg_next(rn))
        read_rule(&s->rules[s->nrules++], rn);
    s->sets = xcalloc(count_same(sn), sizeof(*s->sets));
    for (; sn; sn = cfg_next(sn))
        read_set(fw, g, &s->sets[s->nsets++], sn, vpn);
}

void svc_free(struct svc *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nrules; i++) {
        for (size_t k = 0; k < s->rules[i].nterms; k++) {
            free(s->rules[i].terms[k].src);
            free(s->rules[i].terms[k].dst);
            manual_term_free(&s->rules[i].terms[k]);
        }
        free(s->rules[i].terms);
    }
    for (size_t i = 0; i < s->nsets; i++)
        free(s->sets[i].rules);
    for (size_t i = 0; i < s->nbundles; i++)
        free(s->bundles[i].members);
    free(s->bundles);
    free(s->rules);
    free(s->sets);
    free(s->pics);
    free(s);
}

static int referenced(const struct gen *g, const struct ss_rt *rt)
{
    for (size_t i = 0; g && i < g->svc->nsets; i++)
        if (g->svc->sets[i].rt == rt)
            return 1;
    return 0;
}

static void rt_free(struct fwdd *fw, struct ss_rt *rt, int gone)
{
    while (rt->tunnels)
        tunnel_free(fw, rt->tunnels, gone);
    dynrule_flush(rt);
    free(rt);
}

void svc_gc(struct fwdd *fw)
{
    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next)
        rt->ss = NULL;
    for (size_t i = 0; fw->cur && i < fw->cur->svc->nsets; i++)
        fw->cur->svc->sets[i].rt->ss = &fw->cur->svc->sets[i];
    for (struct ss_rt **pp = &fw->ssrt; *pp;) {
        struct ss_rt *rt = *pp;
        if (referenced(fw->cur, rt) || referenced(fw->next, rt)) {
            pp = &rt->next;
            continue;
        }
        log_info("service-set %s removed", rt->name);
        *pp = rt->next;
        rt_free(fw, rt, 1); /* kmd hears FWD_SA_GONE for its SAs */
    }
    manual_sync(fw);
    ipsec_gc_units(fw);
    fw_kroute_gc(fw);
}

void svc_rt_free_all(struct fwdd *fw)
{
    pic_drain(fw); /* nothing may be left with the PICs' workers */
    while (fw->ssrt) {
        struct ss_rt *rt = fw->ssrt;
        fw->ssrt = rt->next;
        rt_free(fw, rt, 0);
    }
    ipsec_free(fw);
    pic_free_all(fw);
}

struct ss_rt *svc_rt_find(struct fwdd *fw, const char *name)
{
    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next)
        if (strcmp(rt->name, name) == 0)
            return rt;
    return NULL;
}

struct service_set *svc_find(const struct gen *g, const char *name)
{
    for (size_t i = 0; g && i < g->svc->nsets; i++)
        if (strcmp(g->svc->sets[i].name, name) == 0)
            return &g->svc->sets[i];
    return NULL;
}

struct service_set *svc_by_gateway(const struct gen *g, const struct instance *in, uint32_t a)
{
    for (size_t i = 0; g && i < g->svc->nsets; i++) {
        struct service_set *ss = &g->svc->sets[i];
        if (ss->lgw.af == AF_INET && ss->lgw_inst == in && addr_v4(&ss->lgw) == a)
            return ss;
    }
    return NULL;
}

int svc_udp_encap_port(const struct gen *g, const struct instance *in, uint32_t a, uint16_t port)
{
    for (size_t i = 0; g && i < g->svc->nsets; i++) {
        const struct service_set *ss = &g->svc->sets[i];
        if (ss->udp_port == port && ss->lgw.af == AF_INET && ss->lgw_inst == in &&
            addr_v4(&ss->lgw) == a)
            return 1;
    }
    return 0;
}

static int any_prefix(const struct addr *v, size_t n, const struct addr *x)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (prefix_contains(&v[i], x))
            return 1;
    return 0;
}

/* The first term of ss's static rules that an inside packet matches. */
static const struct ss_term *static_match(const struct service_set *ss, const struct unit *u,
                                          const struct addr *src, const struct addr *dst,
                                          const struct ss_rule **rule)
{
    for (size_t i = 0; i < ss->nrules; i++) {
        const struct ss_rule *r = ss->rules[i];
        if (!r->input)
            continue;
        for (size_t k = 0; k < r->nterms; k++) {
            const struct ss_term *t = &r->terms[k];
            if ((t->inside[0] == '\0' || strcmp(t->inside, u->name) == 0) &&
                any_prefix(t->src, t->nsrc, src) && any_prefix(t->dst, t->ndst, dst)) {
                *rule = r;
                return t;
            }
        }
    }
    return NULL;
}

/* The tunnel of a static term: its manual SAs, or the tunnel kmd holds
 * with its remote gateway. */
static struct tunnel *static_tunnel(struct ss_rt *rt, const struct ss_rule *r,
                                    const struct ss_term *term)
{
    for (struct tunnel *t = rt->tunnels; t; t = t->next) {
        if (term->manual) {
            if (t->manual && strcmp(t->rule, r->name) == 0 && strcmp(t->term, term->name) == 0)
                return t;
        } else if (term->has_rgw && !t->manual && addr_eq(&t->remote, &term->rgw) &&
                   tunnel_out_sa(t)) {
            return t;
        }
    }
    return NULL;
}

void svc_input(struct fwdd *fw, struct unit *in, struct unit *u, uint8_t *ip, size_t len)
{
    struct service_set *ss = u->ss;
    const struct ss_rule *rule = NULL;
    const struct ss_term *term;
    struct tunnel *t = NULL;
    struct addr src, dst;
    int matched = 0;

    if (ss == NULL) {
        fwd_drop(fw, DROP_NO_SS);
        return;
    }
    ss->rt->in_packets++;
    ss->rt->in_bytes += len;
    if (ip[0] >> 4 == 6) { /* inner traffic may be IPv6 (DESIGN) */
        addr_set_v6(&src, ip + 8, 128);
        addr_set_v6(&dst, ip + 24, 128);
    } else {
        addr_set_v4(&src, get32(ip + 12), 32);
        addr_set_v4(&dst, get32(ip + 16), 32);
    }
    if (u != ss->outside && (term = static_match(ss, u, &src, &dst, &rule)) != NULL) {
        matched = 1;
        t = static_tunnel(ss->rt, rule, term);
    } else if (u != ss->outside) {
        struct dyn_rule *r = dynrule_match(ss->rt, u, ip, len);
        if (r) {
            matched = 1;
            if (r->tun_epoch != tunnel_epoch) {
                r->tun = tunnel_find(fw, ss->rt, r->tunnel, 0);
                r->tun_epoch = tunnel_epoch;
            }
            t = r->tun;
        }
    }
    if (!matched) {
        ss->rt->no_rule++;
        fwd_drop(fw, DROP_SS_NO_RULE);
        return;
    }
    if (t == NULL || tunnel_out_sa(t) == NULL) {
        ss->rt->no_sa++;
        fwd_drop(fw, DROP_SS_NO_SA);
        return;
    }
    esp_output(fw, in, u, t, ip, len);
}

void svc_ike_input(struct fwdd *fw, struct service_set *ss, struct unit *in, const uint8_t *ip,
                   size_t len)
{
    if (kmdsock_punt(fw, ss, in, ip, len) == 0) {
        ss->rt->ike_punted++;
        return;
    }
    ss->rt->ike_dropped++;
    fwd_drop(fw, DROP_IKE_NO_KMD);
}
