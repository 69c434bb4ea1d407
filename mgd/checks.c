/*
 * checks.c: checks_run() (see checks.h) and what the checks share
 * (checks_priv.h): the context of one run (schema nodes resolved once,
 * indexes of routing instances, pools and subnets), the hash map behind
 * it, statements found by schema node, logical interface names, and
 * deduplicated findings.
 */
#include "checks_priv.h"
#include "log.h"
#include "path.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAX_WORDS 16

/* ---------- hash map ---------- */

static uint64_t ck_hash(const char *s, const void *p)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)p;

    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h ^= h >> 29;
    return h * 0x9e3779b97f4a7c15ULL;
}

static int ck_empty(const struct ck_ent *e)
{
    return e->s == NULL && e->p == NULL;
}

/* The slot of (s, p): its entry, or the empty slot where it would go. */
static struct ck_ent *ck_slot(const struct ck_map *m, const char *s, const void *p)
{
    size_t k = ck_hash(s, p) & (m->cap - 1);

    for (;; k = (k + 1) & (m->cap - 1)) {
        struct ck_ent *e = &m->e[k];
        if (ck_empty(e) || (e->p == p && ck_same(e->s, s)))
            return e;
    }
}

struct ck_ent *ck_map_get(const struct ck_map *m, const char *s, const void *p)
{
    struct ck_ent *e;

    if (m->cap == 0 || (s == NULL && p == NULL))
        return NULL;
    e = ck_slot(m, s, p);
    return ck_empty(e) ? NULL : e;
}

static void ck_grow(struct ck_map *m)
{
    struct ck_map g = {calloc(m->cap ? 2 * m->cap : 64, sizeof(*g.e)), m->cap ? 2 * m->cap : 64,
                       m->n};

    if (g.e == NULL)
        fatal("calloc");
    for (size_t k = 0; k < m->cap; k++)
        if (!ck_empty(&m->e[k]))
            *ck_slot(&g, m->e[k].s, m->e[k].p) = m->e[k];
    free(m->e);
    *m = g;
}

struct ck_ent *ck_map_put(struct ck_map *m, const char *s, const void *p, int *added)
{
    struct ck_ent *e;

    if (s == NULL && p == NULL)
        fatal("ck_map_put: empty key");
    if (2 * (m->n + 1) > m->cap)
        ck_grow(m);
    e = ck_slot(m, s, p);
    if (added)
        *added = ck_empty(e);
    if (ck_empty(e)) {
        e->s = s;
        e->p = p;
        m->n++;
    }
    return e;
}

void ck_map_free(struct ck_map *m)
{
    free(m->e);
    memset(m, 0, sizeof(*m));
}

/* ---------- schema nodes ---------- */

#define CK_ROOT ((size_t)-1)
#define CK_S(f) offsetof(struct ck_sch, f)

/* Each schema node of struct ck_sch: its parent's field (parents first)
 * and its name. */
static const struct {
    size_t off, parent;
    const char *name;
} sch_table[] = {
    {CK_S(interfaces), CK_ROOT, "interfaces"},
    {CK_S(ifd), CK_S(interfaces), "interface"},
    {CK_S(unit), CK_S(ifd), "unit"},
    {CK_S(sdomain), CK_S(unit), "service-domain"},
    {CK_S(family), CK_S(unit), "family"},
    {CK_S(inet), CK_S(family), "inet"},
    {CK_S(address), CK_S(inet), "address"},
    {CK_S(dial), CK_S(unit), "dial-options"},
    {CK_S(ipsec_id), CK_S(dial), "ipsec-interface-id"},
    {CK_S(l2tp_id), CK_S(dial), "l2tp-interface-id"},
    {CK_S(shared), CK_S(dial), "shared"},
    {CK_S(dedicated), CK_S(dial), "dedicated"},
    {CK_S(ro), CK_ROOT, "routing-options"},
    {CK_S(ro_static), CK_S(ro), "static"},
    {CK_S(ro_route), CK_S(ro_static), "route"},
    {CK_S(ro_nh), CK_S(ro_route), "next-hop"},
    {CK_S(ris), CK_ROOT, "routing-instances"},
    {CK_S(ri), CK_S(ris), "instance"},
    {CK_S(ri_type), CK_S(ri), "instance-type"},
    {CK_S(ri_rd), CK_S(ri), "route-distinguisher"},
    {CK_S(ri_vt), CK_S(ri), "vrf-target"},
    {CK_S(ri_if), CK_S(ri), "interface"},
    {CK_S(ri_ro), CK_S(ri), "routing-options"},
    {CK_S(ri_static), CK_S(ri_ro), "static"},
    {CK_S(ri_route), CK_S(ri_static), "route"},
    {CK_S(ri_nh), CK_S(ri_route), "next-hop"},
    {CK_S(access), CK_ROOT, "access"},
    {CK_S(profile), CK_S(access), "profile"},
    {CK_S(client), CK_S(profile), "client"},
    {CK_S(cl_ike), CK_S(client), "ike"},
    {CK_S(cl_iid), CK_S(cl_ike), "interface-id"},
    {CK_S(cl_ikepol), CK_S(cl_ike), "ike-policy"},
    {CK_S(cl_ipsecpol), CK_S(cl_ike), "ipsec-policy"},
    {CK_S(cl_dpd), CK_S(cl_ike), "dead-peer-detection"},
    {CK_S(cl_app), CK_S(cl_ike), "allowed-proxy-pair"},
    {CK_S(cl_app_r), CK_S(cl_app), "remote"},
    {CK_S(cl_app_l), CK_S(cl_app), "local"},
    {CK_S(services), CK_ROOT, "services"},
    {CK_S(sset), CK_S(services), "service-set"},
    {CK_S(nhs), CK_S(sset), "next-hop-service"},
    {CK_S(inside), CK_S(nhs), "inside-service-interface"},
    {CK_S(outside), CK_S(nhs), "outside-service-interface"},
    {CK_S(ifsvc), CK_S(sset), "interface-service"},
    {CK_S(vpnopt), CK_S(sset), "ipsec-vpn-options"},
    {CK_S(iap), CK_S(vpnopt), "ike-access-profile"},
    {CK_S(lg), CK_S(vpnopt), "local-gateway"},
    {CK_S(lg_addr), CK_S(lg), "address"},
    {CK_S(lg_ri), CK_S(lg), "routing-instance"},
    {CK_S(ss_rules), CK_S(sset), "ipsec-vpn-rules"},
    {CK_S(ss_rulesets), CK_S(sset), "ipsec-vpn-rule-sets"},
    {CK_S(vpn), CK_S(services), "ipsec-vpn"},
    {CK_S(ike), CK_S(vpn), "ike"},
    {CK_S(ike_prop), CK_S(ike), "proposal"},
    {CK_S(ike_auth), CK_S(ike_prop), "authentication-method"},
    {CK_S(ike_pol), CK_S(ike), "policy"},
    {CK_S(ike_pol_props), CK_S(ike_pol), "proposals"},
    {CK_S(ipsec), CK_S(vpn), "ipsec"},
    {CK_S(ipsec_prop), CK_S(ipsec), "proposal"},
    {CK_S(ipsec_pol), CK_S(ipsec), "policy"},
    {CK_S(ipsec_pol_props), CK_S(ipsec_pol), "proposals"},
    {CK_S(rule), CK_S(vpn), "rule"},
    {CK_S(term), CK_S(rule), "term"},
    {CK_S(from), CK_S(term), "from"},
    {CK_S(from_if), CK_S(from), "ipsec-inside-interface"},
    {CK_S(then), CK_S(term), "then"},
    {CK_S(dyn), CK_S(then), "dynamic"},
    {CK_S(dyn_ike), CK_S(dyn), "ike-policy"},
    {CK_S(dyn_ipsec), CK_S(dyn), "ipsec-policy"},
    {CK_S(ruleset), CK_S(vpn), "rule-set"},
    {CK_S(rs_rule), CK_S(ruleset), "rule"},
    {CK_S(establish), CK_S(vpn), "establish-tunnels"},
};

static void resolve_schema(struct ck_sch *s, const struct sch_node *root)
{
    for (size_t i = 0; i < sizeof(sch_table) / sizeof(sch_table[0]); i++) {
        const struct sch_node *parent =
            sch_table[i].parent == CK_ROOT
                ? root
                : *(const struct sch_node **)((char *)s + sch_table[i].parent);
        *(const struct sch_node **)((char *)s + sch_table[i].off) =
            parent ? sch_child(parent, sch_table[i].name) : NULL;
    }
}

int checks_reads(const struct sch_node *top)
{
    for (size_t i = 0; i < sizeof(sch_table) / sizeof(sch_table[0]); i++)
        if (sch_table[i].parent == CK_ROOT && strcmp(sch_table[i].name, top->name) == 0)
            return 1;
    return 0;
}

/* ---------- the indexes ---------- */

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? 2 * *cap : 8;
    if ((v = realloc(v, *cap * size)) == NULL)
        fatal("realloc");
    return v;
}

static void *xcalloc(size_t size)
{
    void *p = calloc(1, size);

    if (p == NULL)
        fatal("calloc");
    return p;
}

/* "a.b/len" into addr (host order) and len; -1 if not IPv4. */
static int parse_prefix(const char *s, uint32_t *addr, int *len)
{
    char a[INET_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    struct in_addr in;

    if (slash == NULL || (size_t)(slash - s) >= sizeof(a))
        return -1;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = '\0';
    if (inet_pton(AF_INET, a, &in) != 1)
        return -1;
    *addr = ntohl(in.s_addr);
    *len = atoi(slash + 1);
    return *len >= 0 && *len <= 32 ? 0 : -1;
}

static uint32_t mask_of(int len)
{
    return len ? 0xffffffffu << (32 - len) : 0;
}

static void add_nets(struct ck_ctx *c, const struct cnode *unit)
{
    char ifl[96];
    const char *ri;
    struct ck_nets *ns;
    const struct cnode *a = ck_sub(ck_sub(ck_sub(unit, c->s.family), c->s.inet), c->s.address);

    if (a == NULL)
        return;
    ck_unit_name(unit, ifl, sizeof(ifl));
    if ((ri = ck_instance(c, ifl)) == NULL) {
        ns = &c->default_nets;
    } else {
        struct ck_ent *e = ck_map_put(&c->nets, ri, NULL, NULL);
        if (e->v == NULL)
            e->v = xcalloc(sizeof(struct ck_nets));
        ns = e->v;
    }
    for (; a; a = cnode_next_same(a)) {
        uint32_t addr;
        int len;
        if (parse_prefix(ck_name(a), &addr, &len) < 0)
            continue;
        ns->v = grow(ns->v, &ns->cap, ns->n, sizeof(*ns->v));
        ns->v[ns->n].net = addr & mask_of(len);
        ns->v[ns->n++].len = len;
        ns->lens |= 1ULL << len;
    }
}

static int net_cmp(const void *a, const void *b)
{
    const struct ck_net *x = a, *y = b;

    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->net < y->net ? -1 : x->net > y->net;
}

static void sort_nets(struct ck_nets *ns)
{
    if (ns->n > 1)
        qsort(ns->v, ns->n, sizeof(*ns->v), net_cmp);
}

static void add_pool_unit(struct ck_ctx *c, const struct cnode *id)
{
    const struct cnode *ifd = id->parent->parent->parent;
    struct ck_ent *e = ck_map_put(&c->pools, id->value, NULL, NULL);
    struct ck_pool *p = e->v ? e->v : (e->v = xcalloc(sizeof(*p)));
    int added;

    e = ck_map_put(&c->pools, id->value, ifd, &added);
    if (added)
        e->i = p->n;
    p->id = grow(p->id, &p->cap, p->n, sizeof(*p->id));
    p->id[p->n++] = id;
}

/* The key of a finding in ctx.seen (allocated): everything ck_node()
 * compares. */
static char *seen_key(const struct finding *f)
{
    size_t lp = strlen(f->path), ls = strlen(f->stmt);
    size_t len = lp + ls + strlen(f->msg) + 64;
    char *s = malloc(len);

    if (s == NULL)
        fatal("malloc");
    snprintf(s, len, "%d %zu:%s%zu:%s%s", f->warning, lp, f->path, ls, f->stmt, f->msg);
    return s;
}

static void ctx_init(struct ck_ctx *c, const struct cnode *root, struct findings *fs)
{
    const struct cnode *ri, *i, *ifd, *u, *id;

    memset(c, 0, sizeof(*c));
    c->root = root;
    c->fs = fs;
    resolve_schema(&c->s, root->sch);
    c->interfaces = ck_sub(root, c->s.interfaces);
    c->ro = ck_sub(root, c->s.ro);
    c->ris = ck_sub(root, c->s.ris);
    c->access = ck_sub(root, c->s.access);
    c->services = ck_sub(root, c->s.services);
    c->vpn = ck_sub(c->services, c->s.vpn);
    for (ri = ck_sub(c->ris, c->s.ri); ri; ri = cnode_next_same(ri))
        for (i = ck_sub(ri, c->s.ri_if); i; i = cnode_next_same(i)) {
            struct ck_ent *e = ck_map_put(&c->unit_ri, ck_name(i), NULL, NULL);
            if (e->v == NULL)
                e->v = (void *)ri;
        }
    for (ifd = ck_sub(c->interfaces, c->s.ifd); ifd; ifd = cnode_next_same(ifd))
        for (u = ck_sub(ifd, c->s.unit); u; u = cnode_next_same(u)) {
            add_nets(c, u);
            if ((id = ck_sub(ck_sub(u, c->s.dial), c->s.ipsec_id)) != NULL && id->value)
                add_pool_unit(c, id);
        }
    sort_nets(&c->default_nets);
    for (size_t k = 0; k < c->nets.cap; k++)
        if (c->nets.e[k].v)
            sort_nets(c->nets.e[k].v);
    /* ck_node() also compares with the findings already there */
    for (size_t k = 0; k < fs->n; k++) {
        char *s = seen_key(&fs->f[k]);
        struct ck_ent *e = ck_map_put(&c->seen, s, NULL, NULL);
        if (e->v)
            free(s);
        else
            e->v = s;
    }
}

static void ctx_free(struct ck_ctx *c)
{
    for (size_t k = 0; k < c->pools.cap; k++)
        if (c->pools.e[k].v) {
            struct ck_pool *p = c->pools.e[k].v;
            free(p->id);
            free(p);
        }
    for (size_t k = 0; k < c->nets.cap; k++)
        if (c->nets.e[k].v) {
            struct ck_nets *ns = c->nets.e[k].v;
            free(ns->v);
            free(ns);
        }
    for (size_t k = 0; k < c->seen.cap; k++)
        free(c->seen.e[k].v);
    free(c->default_nets.v);
    ck_map_free(&c->unit_ri);
    ck_map_free(&c->pools);
    ck_map_free(&c->nets);
    ck_map_free(&c->seen);
}

/* The system log's files (mgd/systemlog.c) live in ROOT/log beside the
 * daemons' own: a syslog file must not take one of their names, nor an
 * archive's (NAME.N). */
static void syslog_files(struct ck_ctx *c)
{
    const struct cnode *tr = ck_get(c->root, "services", "ipsec-vpn", "traceoptions", NULL);
    const struct cnode *sl = ck_get(c->root, "system", "syslog", NULL), *f, *tf = NULL;

    for (f = tr ? tr->child : NULL; f; f = f->next) /* traceoptions file NAME ... */
        if (strcmp(f->sch->name, "file") == 0)
            for (const struct cnode *x = f->child; x; x = x->next)
                if (strcmp(x->sch->name, "filename") == 0)
                    tf = x;

    for (f = sl ? sl->child : NULL; f; f = f->next) {
        const char *n = ck_name(f), *dot = strrchr(n, '.');
        if (strcmp(f->sch->name, "file") != 0)
            continue;
        if (strcmp(n, "mgd.log") == 0 || strcmp(n, "kmd") == 0 || strcmp(n, "kmd-keys.log") == 0 ||
            (tf && tf->value && strcmp(n, tf->value) == 0))
            ck_node(c, 0, f,
                    "syslog file '%s' is a daemon's own log file (mgd.log, kmd, kmd-keys.log, "
                    "the traceoptions file): choose another name",
                    n);
        else if (dot && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))
            ck_node(c, 0, f, "syslog file '%s' has the name of an archive (NAME.N) of another", n);
    }
}

void checks_run(const struct cnode *root, struct findings *fs)
{
    struct ck_ctx c;

    ctx_init(&c, root, fs);
    syslog_files(&c);
    checks_interfaces(&c);
    checks_routing(&c);
    checks_access(&c);
    checks_services(&c);
    checks_pools(&c);
    ctx_free(&c);
}

/* ---------- statements ---------- */

const struct cnode *ck_sub(const struct cnode *parent, const struct sch_node *s)
{
    return parent && s ? cnode_first(parent, s) : NULL;
}

const char *ck_subval(const struct cnode *parent, const struct sch_node *s)
{
    const struct cnode *n = ck_sub(parent, s);

    return n ? n->value : NULL;
}

const struct cnode *ck_entry(const struct cnode *parent, const struct sch_node *s, const char *key)
{
    if (parent == NULL || s == NULL || key == NULL)
        return NULL;
    return cnode_find(parent, s, &key);
}

struct cnode *ck_get(const struct cnode *at, ...)
{
    char *w[CK_MAX_WORDS];
    size_t n = 0;
    const char *s;
    struct path p;
    struct cnode *r = NULL;
    va_list ap;

    va_start(ap, at);
    while ((s = va_arg(ap, const char *)) != NULL)
        if (n < CK_MAX_WORDS)
            w[n++] = (char *)s;
    va_end(ap);
    if (at == NULL || n == 0 || n == CK_MAX_WORDS)
        return NULL;
    if (path_parse(at->sch, cnode_in_group(at), w, n, PATH_FIND, &p) == 0)
        r = path_find((struct cnode *)at, &p);
    path_free(&p);
    return r;
}

const char *ck_name(const struct cnode *entry)
{
    const char *k = entry ? cnode_key(entry, 0) : NULL;

    return k ? k : "";
}

/* ---------- logical interfaces and routing instances ---------- */

int ck_split(const char *ifl, char *dev, size_t devlen, const char **unit)
{
    const char *dot = ifl ? strrchr(ifl, '.') : NULL;

    if (dot == NULL || (size_t)(dot - ifl) >= devlen)
        return -1;
    memcpy(dev, ifl, (size_t)(dot - ifl));
    dev[dot - ifl] = '\0';
    *unit = dot + 1;
    return 0;
}

const struct cnode *ck_unit(const struct ck_ctx *c, const char *ifl)
{
    char dev[64];
    const char *unit;

    if (ck_split(ifl, dev, sizeof(dev), &unit) < 0)
        return NULL;
    return ck_entry(ck_entry(c->interfaces, c->s.ifd, dev), c->s.unit, unit);
}

void ck_unit_name(const struct cnode *unit, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%s", ck_name(unit->parent), ck_name(unit));
}

int ck_services_kind(const char *ifname)
{
    if (strncmp(ifname, "ms-", 3) == 0)
        return 1;
    if (strncmp(ifname, "ams", 3) == 0 && ifname[3] >= '0' && ifname[3] <= '9')
        return 2;
    return 0;
}

const char *ck_instance(const struct ck_ctx *c, const char *ifl)
{
    const struct ck_ent *e = ifl ? ck_map_get(&c->unit_ri, ifl, NULL) : NULL;

    return e ? ck_name(e->v) : NULL;
}

const char *ck_ri_desc(const char *ri, char *buf, size_t len)
{
    if (ri)
        snprintf(buf, len, "routing instance '%s'", ri);
    else
        snprintf(buf, len, "the default routing instance");
    return buf;
}

int ck_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

const struct ck_pool *ck_pool(const struct ck_ctx *c, const char *id)
{
    const struct ck_ent *e = id ? ck_map_get(&c->pools, id, NULL) : NULL;

    return e ? e->v : NULL;
}

int ck_reachable(const struct ck_ctx *c, uint32_t gw, const char *ri)
{
    const struct ck_nets *ns = &c->default_nets;

    if (ri) {
        const struct ck_ent *e = ck_map_get(&c->nets, ri, NULL);
        if (e == NULL)
            return 0;
        ns = e->v;
    }
    for (int len = 0; len <= 32; len++) {
        struct ck_net k = {gw & mask_of(len), len};
        if ((ns->lens & (1ULL << len)) &&
            bsearch(&k, ns->v, ns->n, sizeof(*ns->v), net_cmp) != NULL)
            return 1;
    }
    return 0;
}

void ck_node(struct ck_ctx *c, int warning, const struct cnode *n, const char *fmt, ...)
{
    char msg[1024];
    struct findings *fs = c->fs;
    struct finding *last;
    struct ck_ent *e;
    char *key;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    findings_node(fs, warning, n, "%s", msg);
    last = &fs->f[fs->n - 1];
    key = seen_key(last);
    e = ck_map_put(&c->seen, key, NULL, NULL);
    if (e->v == NULL) {
        e->v = key;
        return;
    }
    free(key);
    free(last->path);
    free(last->stmt);
    free(last->msg);
    fs->n--;
}
