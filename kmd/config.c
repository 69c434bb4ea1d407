/* config.c: see config.h */
#include "config.h"
#include "log.h"
#include "secret9.h"

#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (p == NULL)
        fatal("calloc");
    return p;
}

static struct cnode *child(const struct cnode *n, const char *name)
{
    const struct sch_node *s;

    if (n == NULL || (s = sch_child(n->sch, name)) == NULL)
        return NULL;
    return cnode_find(n, s, NULL);
}

static struct cnode *first(const struct cnode *n, const char *name)
{
    const struct sch_node *s;

    if (n == NULL || (s = sch_child(n->sch, name)) == NULL)
        return NULL;
    return cnode_first(n, s);
}

static const char *leaf(const struct cnode *n, const char *name)
{
    const struct cnode *c = child(n, name);

    return c ? c->value : NULL;
}

static size_t count(const struct cnode *n, const char *name)
{
    size_t k = 0;

    for (const struct cnode *c = first(n, name); c; c = cnode_next_same(c))
        k++;
    return k;
}

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int kmd_prefix_parse(const char *s, struct kmd_prefix *p)
{
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);

    memset(p, 0, sizeof(*p));
    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    p->af = strchr(tmp, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(p->af, tmp, p->addr) != 1)
        return -1;
    p->plen = slash ? atoi(slash + 1) : (p->af == AF_INET ? 32 : 128);
    return 0;
}

int kmd_prefix_contains(const struct kmd_prefix *outer, const struct kmd_prefix *inner)
{
    int bits = outer->plen;

    if (outer->af != inner->af || inner->plen < outer->plen)
        return 0;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
        if ((outer->addr[i] & mask) != (inner->addr[i] & mask))
            return 0;
    }
    return 1;
}

/* pre-shared-key (ascii-text | hexadecimal, both in $9$ form) -> bytes */
static int psk_decode(const struct cnode *psk, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    const char *a = leaf(psk, "ascii-text"), *h = leaf(psk, "hexadecimal");

    *out = NULL;
    *len = 0;
    if (a && secret_key_bytes(a, 0, out, len) < 0) {
        snprintf(err, errlen, "a pre-shared-key does not decode");
        return -1;
    }
    if (!a && h && secret_key_bytes(h, 1, out, len) < 0) {
        snprintf(err, errlen, "a hexadecimal pre-shared-key is malformed");
        return -1;
    }
    return 0;
}

static struct kmd_ike_proposal *find_ike_proposal(struct kmd_config *c, const char *name)
{
    for (size_t i = 0; i < c->nike_proposals; i++)
        if (strcmp(c->ike_proposals[i].name, name) == 0)
            return &c->ike_proposals[i];
    return NULL;
}

static struct kmd_ipsec_proposal *find_ipsec_proposal(struct kmd_config *c, const char *name)
{
    for (size_t i = 0; i < c->nipsec_proposals; i++)
        if (strcmp(c->ipsec_proposals[i].name, name) == 0)
            return &c->ipsec_proposals[i];
    return NULL;
}

static struct kmd_ike_policy *find_ike_policy(struct kmd_config *c, const char *name)
{
    for (size_t i = 0; name && i < c->nike_policies; i++)
        if (strcmp(c->ike_policies[i].name, name) == 0)
            return &c->ike_policies[i];
    return NULL;
}

static struct kmd_ipsec_policy *find_ipsec_policy(struct kmd_config *c, const char *name)
{
    for (size_t i = 0; name && i < c->nipsec_policies; i++)
        if (strcmp(c->ipsec_policies[i].name, name) == 0)
            return &c->ipsec_policies[i];
    return NULL;
}

static struct kmd_profile *find_profile(struct kmd_config *c, const char *name)
{
    for (size_t i = 0; name && i < c->nprofiles; i++)
        if (strcmp(c->profiles[i].name, name) == 0)
            return &c->profiles[i];
    return NULL;
}

static uint32_t num(const char *s, uint32_t dflt)
{
    return s ? (uint32_t)strtoul(s, NULL, 10) : dflt;
}

static int build_ike(struct kmd_config *c, const struct cnode *ike, char *err, size_t errlen)
{
    size_t i = 0;

    c->nike_proposals = count(ike, "proposal");
    c->ike_proposals = xcalloc(c->nike_proposals, sizeof(*c->ike_proposals));
    for (const struct cnode *p = first(ike, "proposal"); p; p = cnode_next_same(p), i++) {
        struct kmd_ike_proposal *x = &c->ike_proposals[i];
        copy(x->name, sizeof(x->name), cnode_key(p, 0));
        copy(x->auth_method, sizeof(x->auth_method), leaf(p, "authentication-method"));
        copy(x->dh_group, sizeof(x->dh_group), leaf(p, "dh-group"));
        copy(x->auth_alg, sizeof(x->auth_alg), leaf(p, "authentication-algorithm"));
        copy(x->enc_alg, sizeof(x->enc_alg), leaf(p, "encryption-algorithm"));
        x->lifetime = num(leaf(p, "lifetime-seconds"), 0);
    }
    i = 0;
    c->nike_policies = count(ike, "policy");
    c->ike_policies = xcalloc(c->nike_policies, sizeof(*c->ike_policies));
    for (const struct cnode *p = first(ike, "policy"); p; p = cnode_next_same(p), i++) {
        struct kmd_ike_policy *x = &c->ike_policies[i];
        const struct cnode *rid = child(p, "remote-id");
        copy(x->name, sizeof(x->name), cnode_key(p, 0));
        x->aggressive = leaf(p, "mode") && strcmp(leaf(p, "mode"), "aggressive") == 0;
        x->nproposals = count(p, "proposals");
        x->proposals = xcalloc(x->nproposals, sizeof(*x->proposals));
        x->nproposals = 0;
        for (const struct cnode *n = first(p, "proposals"); n; n = cnode_next_same(n)) {
            struct kmd_ike_proposal *pr = find_ike_proposal(c, n->value);
            if (pr)
                x->proposals[x->nproposals++] = pr;
        }
        if (child(p, "pre-shared-key") &&
            psk_decode(child(p, "pre-shared-key"), &x->psk, &x->psk_len, err, errlen) < 0)
            return -1;
        x->any_remote_id = child(rid, "any-remote-id") != NULL;
        if (rid) {
            static const char *const kinds[] = {"ipv4_addr", "ipv6-addr", "fqdn", "key-id"};
            for (size_t k = 0; k < 4; k++)
                for (const struct cnode *v = first(rid, kinds[k]); v; v = cnode_next_same(v)) {
                    char *s = xcalloc(strlen(kinds[k]) + strlen(v->value) + 2, 1);
                    sprintf(s, "%s:%s", kinds[k], v->value);
                    x->remote_ids = realloc(x->remote_ids, (x->nremote_ids + 1) * sizeof(char *));
                    if (x->remote_ids == NULL)
                        fatal("realloc");
                    x->remote_ids[x->nremote_ids++] = s;
                }
        }
    }
    return 0;
}

static void build_ipsec(struct kmd_config *c, const struct cnode *ipsec)
{
    size_t i = 0;

    c->nipsec_proposals = count(ipsec, "proposal");
    c->ipsec_proposals = xcalloc(c->nipsec_proposals, sizeof(*c->ipsec_proposals));
    for (const struct cnode *p = first(ipsec, "proposal"); p; p = cnode_next_same(p), i++) {
        struct kmd_ipsec_proposal *x = &c->ipsec_proposals[i];
        copy(x->name, sizeof(x->name), cnode_key(p, 0));
        copy(x->protocol, sizeof(x->protocol), leaf(p, "protocol"));
        copy(x->auth_alg, sizeof(x->auth_alg), leaf(p, "authentication-algorithm"));
        copy(x->enc_alg, sizeof(x->enc_alg), leaf(p, "encryption-algorithm"));
        x->lifetime = num(leaf(p, "lifetime-seconds"), 0);
    }
    i = 0;
    c->nipsec_policies = count(ipsec, "policy");
    c->ipsec_policies = xcalloc(c->nipsec_policies, sizeof(*c->ipsec_policies));
    for (const struct cnode *p = first(ipsec, "policy"); p; p = cnode_next_same(p), i++) {
        struct kmd_ipsec_policy *x = &c->ipsec_policies[i];
        copy(x->name, sizeof(x->name), cnode_key(p, 0));
        copy(x->pfs_group, sizeof(x->pfs_group), leaf(child(p, "perfect-forward-secrecy"), "keys"));
        x->proposals = xcalloc(count(p, "proposals"), sizeof(*x->proposals));
        for (const struct cnode *n = first(p, "proposals"); n; n = cnode_next_same(n)) {
            struct kmd_ipsec_proposal *pr = find_ipsec_proposal(c, n->value);
            if (pr)
                x->proposals[x->nproposals++] = pr;
        }
    }
}

static int build_profiles(struct kmd_config *c, const struct cnode *access, char *err,
                          size_t errlen)
{
    size_t i = 0;

    c->nprofiles = count(access, "profile");
    c->profiles = xcalloc(c->nprofiles, sizeof(*c->profiles));
    for (const struct cnode *p = first(access, "profile"); p; p = cnode_next_same(p), i++) {
        struct kmd_profile *x = &c->profiles[i];
        const struct cnode *ike = child(first(p, "client"), "ike");
        copy(x->name, sizeof(x->name), cnode_key(p, 0));
        x->npairs = count(ike, "allowed-proxy-pair");
        x->pairs = xcalloc(x->npairs ? x->npairs : 1, sizeof(*x->pairs));
        x->npairs = 0;
        for (const struct cnode *a = first(ike, "allowed-proxy-pair"); a; a = cnode_next_same(a)) {
            struct kmd_proxy_pair *pp = &x->pairs[x->npairs];
            if (kmd_prefix_parse(cnode_key(a, 0), &pp->remote) == 0 &&
                kmd_prefix_parse(cnode_key(a, 1), &pp->local) == 0)
                x->npairs++;
        }
        if (x->npairs == 0) {
            /* seed: the default proxy pair is ANY(0.0.0.0/0)-ANY, IPv4 only */
            kmd_prefix_parse("0.0.0.0/0", &x->pairs[0].remote);
            kmd_prefix_parse("0.0.0.0/0", &x->pairs[0].local);
            x->npairs = 1;
        }
        if (psk_decode(child(ike, "pre-shared-key"), &x->psk, &x->psk_len, err, errlen) < 0)
            return -1;
        x->ike_policy = find_ike_policy(c, leaf(ike, "ike-policy"));
        x->ipsec_policy = find_ipsec_policy(c, leaf(ike, "ipsec-policy"));
        copy(x->interface_id, sizeof(x->interface_id), leaf(ike, "interface-id"));
        x->dpd_configured = child(ike, "dead-peer-detection") != NULL;
    }
    return 0;
}

/* The routing instance that lists unit, "" when none. */
static const char *instance_of(const struct cnode *root, const char *unit)
{
    const struct cnode *ris = child(root, "routing-instances");

    for (const struct cnode *ri = first(ris, "instance"); ri; ri = cnode_next_same(ri))
        for (const struct cnode *i = first(ri, "interface"); i; i = cnode_next_same(i))
            if (strcmp(cnode_key(i, 0), unit) == 0)
                return cnode_key(ri, 0);
    return "";
}

static void build_pool(struct kmd_service_set *x, const struct cnode *root)
{
    const struct cnode *ifs = child(root, "interfaces");
    const char *id = x->profile ? x->profile->interface_id : "";

    for (const struct cnode *ifd = first(ifs, "interface"); ifd; ifd = cnode_next_same(ifd)) {
        if (strcmp(cnode_key(ifd, 0), x->pic) != 0)
            continue;
        for (const struct cnode *u = first(ifd, "unit"); u; u = cnode_next_same(u)) {
            const struct cnode *d = child(u, "dial-options");
            const char *pid = leaf(d, "ipsec-interface-id");
            struct kmd_pool_unit *pu;
            if (pid == NULL || strcmp(pid, id) != 0)
                continue;
            x->pool = realloc(x->pool, (x->npool + 1) * sizeof(*x->pool));
            if (x->pool == NULL)
                fatal("realloc");
            pu = &x->pool[x->npool++];
            if (snprintf(pu->unit, sizeof(pu->unit), "%s.%s", x->pic, cnode_key(u, 0)) >=
                (int)sizeof(pu->unit))
                pu->unit[0] = '\0';
            pu->dedicated = child(d, "dedicated") != NULL;
        }
    }
}

/* The prefixes of a term's from-clause list (name), or 0.0.0.0/0 and
 * ::/0 when it has none. */
static size_t term_prefixes(const struct cnode *from, const char *name, struct kmd_prefix **out)
{
    size_t n = 0;

    *out = xcalloc(count(from, name) + 2, sizeof(**out));
    for (const struct cnode *a = first(from, name); a; a = cnode_next_same(a))
        if (kmd_prefix_parse(cnode_key(a, 0), &(*out)[n]) == 0)
            n++;
    if (n == 0) {
        kmd_prefix_parse("0.0.0.0/0", &(*out)[n++]);
        kmd_prefix_parse("::/0", &(*out)[n++]);
    }
    return n;
}

static void peer_pairs(struct kmd_static_peer *sp, const struct cnode *rule, const struct cnode *t)
{
    const struct cnode *from = child(t, "from");
    const char *dir = leaf(rule, "match-direction");
    bool output = dir && strcmp(dir, "output") == 0;
    struct kmd_prefix *src, *dst, *rem, *loc;
    size_t nsrc = term_prefixes(from, "source-address", &src);
    size_t ndst = term_prefixes(from, "destination-address", &dst);
    size_t nrem = output ? nsrc : ndst, nloc = output ? ndst : nsrc;

    rem = output ? src : dst;
    loc = output ? dst : src;
    sp->pairs = xcalloc(nrem * nloc, sizeof(*sp->pairs));
    for (size_t i = 0; i < nrem; i++)
        for (size_t j = 0; j < nloc; j++)
            if (rem[i].af == loc[j].af) {
                sp->pairs[sp->npairs].remote = rem[i];
                sp->pairs[sp->npairs++].local = loc[j];
            }
    free(src);
    free(dst);
}

static void build_peers(struct kmd_config *c, struct kmd_service_set *x, const struct cnode *ss,
                        const struct cnode *vpn)
{
    for (const struct cnode *r = first(ss, "ipsec-vpn-rules"); r; r = cnode_next_same(r))
        for (const struct cnode *rule = first(vpn, "rule"); rule; rule = cnode_next_same(rule)) {
            if (strcmp(cnode_key(rule, 0), r->value) != 0)
                continue;
            for (const struct cnode *t = first(rule, "term"); t; t = cnode_next_same(t)) {
                const struct cnode *then = child(t, "then"), *dyn = child(then, "dynamic");
                const char *gw = leaf(then, "remote-gateway");
                struct kmd_static_peer *sp;
                if (gw == NULL)
                    continue;
                x->peers = realloc(x->peers, (x->npeers + 1) * sizeof(*x->peers));
                if (x->peers == NULL)
                    fatal("realloc");
                sp = &x->peers[x->npeers];
                memset(sp, 0, sizeof(*sp));
                if (kmd_prefix_parse(gw, &sp->remote_gateway) < 0)
                    continue;
                sp->ike_policy = find_ike_policy(c, leaf(dyn, "ike-policy"));
                sp->ipsec_policy = find_ipsec_policy(c, leaf(dyn, "ipsec-policy"));
                copy(sp->rule, sizeof(sp->rule), cnode_key(rule, 0));
                copy(sp->term, sizeof(sp->term), cnode_key(t, 0));
                peer_pairs(sp, rule, t);
                x->npeers++;
            }
        }
}

static void build_service_sets(struct kmd_config *c, const struct cnode *root)
{
    const struct cnode *svc = child(root, "services"), *vpn = child(svc, "ipsec-vpn");
    size_t i = 0;

    c->nservice_sets = count(svc, "service-set");
    c->service_sets = xcalloc(c->nservice_sets, sizeof(*c->service_sets));
    for (const struct cnode *ss = first(svc, "service-set"); ss; ss = cnode_next_same(ss)) {
        struct kmd_service_set *x = &c->service_sets[i++];
        const struct cnode *nh = child(ss, "next-hop-service");
        const struct cnode *opt = child(ss, "ipsec-vpn-options");
        const struct cnode *lg = child(opt, "local-gateway");
        const char *dot;
        copy(x->name, sizeof(x->name), cnode_key(ss, 0));
        copy(x->inside_unit, sizeof(x->inside_unit), leaf(nh, "inside-service-interface"));
        copy(x->outside_unit, sizeof(x->outside_unit), leaf(nh, "outside-service-interface"));
        dot = strrchr(x->inside_unit, '.');
        snprintf(x->pic, sizeof(x->pic), "%.*s",
                 dot ? (int)(dot - x->inside_unit) : (int)strlen(x->inside_unit), x->inside_unit);
        copy(x->inside_instance, sizeof(x->inside_instance), instance_of(root, x->inside_unit));
        copy(x->gateway_instance, sizeof(x->gateway_instance), leaf(lg, "routing-instance"));
        if (leaf(lg, "address"))
            kmd_prefix_parse(leaf(lg, "address"), &x->local_gateway);
        x->profile = find_profile(c, leaf(opt, "ike-access-profile"));
        x->replay_window = num(leaf(opt, "anti-replay-window-size"), 64);
        x->no_anti_replay = child(opt, "no-anti-replay") != NULL;
        x->clear_df = child(opt, "clear-dont-fragment-bit") != NULL;
        x->no_nat_traversal = child(opt, "no-nat-traversal") != NULL;
        x->tunnel_mtu = (uint16_t)num(leaf(opt, "tunnel-mtu"), 0);
        x->udp_dest_port = (uint16_t)num(leaf(child(opt, "udp-encapsulate"), "dest-port"), 0);
        build_pool(x, root);
        build_peers(c, x, ss, vpn);
    }
}

struct kmd_config *kmd_config_build(const struct cnode *root, char *err, size_t errlen)
{
    struct kmd_config *c = xcalloc(1, sizeof(*c));
    const struct cnode *vpn = child(child(root, "services"), "ipsec-vpn");

    if (build_ike(c, child(vpn, "ike"), err, errlen) < 0)
        goto fail;
    build_ipsec(c, child(vpn, "ipsec"));
    if (build_profiles(c, child(root, "access"), err, errlen) < 0)
        goto fail;
    build_service_sets(c, root);
    return c;
fail:
    kmd_config_free(c);
    return NULL;
}

static void wipe_free(uint8_t *p, size_t n)
{
    if (p)
        OPENSSL_cleanse(p, n);
    free(p);
}

void kmd_config_free(struct kmd_config *c)
{
    if (c == NULL)
        return;
    free(c->ike_proposals);
    for (size_t i = 0; i < c->nike_policies; i++) {
        struct kmd_ike_policy *x = &c->ike_policies[i];
        free(x->proposals);
        wipe_free(x->psk, x->psk_len);
        for (size_t k = 0; k < x->nremote_ids; k++)
            free(x->remote_ids[k]);
        free(x->remote_ids);
    }
    free(c->ike_policies);
    free(c->ipsec_proposals);
    for (size_t i = 0; i < c->nipsec_policies; i++)
        free(c->ipsec_policies[i].proposals);
    free(c->ipsec_policies);
    for (size_t i = 0; i < c->nprofiles; i++) {
        free(c->profiles[i].pairs);
        wipe_free(c->profiles[i].psk, c->profiles[i].psk_len);
    }
    free(c->profiles);
    for (size_t i = 0; i < c->nservice_sets; i++) {
        free(c->service_sets[i].pool);
        for (size_t k = 0; k < c->service_sets[i].npeers; k++)
            free(c->service_sets[i].peers[k].pairs);
        free(c->service_sets[i].peers);
    }
    free(c->service_sets);
    free(c);
}

const struct kmd_service_set *kmd_config_service_set(const struct kmd_config *c, const char *name)
{
    for (size_t i = 0; c && i < c->nservice_sets; i++)
        if (strcmp(c->service_sets[i].name, name) == 0)
            return &c->service_sets[i];
    return NULL;
}
