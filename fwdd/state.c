/*
 * state.c: one configuration generation (fwdd.h): physical interfaces and
 * their units from [edit interfaces], routing instances from [edit
 * routing-instances], then the service PICs (svc.c) and the route tables
 * (routes.c); and the prepare / apply / abort cycle that swaps them.
 */
#include "fwdd.h"
#include "cfg.h"
#include "log.h"
#include "svc.h"
#include "arp.h"
#include "nd.h"

#include <errno.h>
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

/* Kind and F/P/N numbers from a Junos interface name. */
static void parse_ifname(struct ifd *d)
{
    static const struct {
        const char *prefix;
        enum ifd_kind kind;
    } kinds[] = {{"ge-", IFK_ETH},    {"xe-", IFK_ETH}, {"et-", IFK_ETH}, {"ms-", IFK_MS},
                 {"mams-", IFK_MAMS}, {"ams", IFK_AMS}, {"lo", IFK_LO},   {"fxp", IFK_FXP}};
    const char *p;

    d->kind = IFK_OTHER;
    d->fpc = d->pic = d->portno = -1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strncmp(d->name, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
            d->kind = kinds[i].kind;
            break;
        }
    if ((p = strchr(d->name, '-')) != NULL &&
        sscanf(p + 1, "%d/%d/%d", &d->fpc, &d->pic, &d->portno) != 3)
        d->fpc = d->pic = d->portno = -1;
}

static size_t count_same(const struct cnode *n)
{
    size_t k = 0;

    for (; n; n = cfg_next(n))
        k++;
    return k;
}

static void read_addresses(const struct cnode *fam, struct addr **v, size_t *n, const char *unit)
{
    const struct cnode *a = cfg_child(fam, "address");

    *v = xcalloc(count_same(a), sizeof(**v));
    *n = 0;
    for (; a; a = cfg_next(a)) {
        if (addr_parse(cfg_key(a), &(*v)[*n]) < 0) {
            log_warnx("%s: address %s ignored", unit, cfg_key(a));
            continue;
        }
        (*n)++;
    }
}

static void read_unit(struct unit *u, struct ifd *d, const struct cnode *un)
{
    const struct cnode *fam = cfg_child(un, "family"), *dial = cfg_child(un, "dial-options");
    const char *dom = cfg_value(un, "service-domain"), *pool;

    u->ifd = d;
    u->num = (uint32_t)strtoul(cfg_key(un), NULL, 10);
    snprintf(u->name, sizeof(u->name), "%s.%u", d->name, u->num);
    u->name_hash = ptab_hash_str(u->name, 0); /* kmd's rules are indexed by it */
    u->disabled = cfg_flag(un, "disable");
    if (cfg_child(fam, "inet")) {
        u->inet = 1;
        read_addresses(cfg_child(fam, "inet"), &u->v4, &u->nv4, u->name);
    }
    if (cfg_child(fam, "inet6")) {
        u->inet6 = 1;
        read_addresses(cfg_child(fam, "inet6"), &u->v6, &u->nv6, u->name);
    }
    u->domain = dom == NULL ? DOM_NONE : strcmp(dom, "inside") == 0 ? DOM_INSIDE : DOM_OUTSIDE;
    if ((pool = cfg_value(dial, "ipsec-interface-id")) != NULL)
        snprintf(u->pool, sizeof(u->pool), "%s", pool);
    u->shared = cfg_flag(dial, "shared");
    u->dedicated = cfg_flag(dial, "dedicated");
}

static struct port *find_port(struct fwdd *fw, const char *name)
{
    for (size_t i = 0; i < fw->nports; i++)
        if (strcmp(fw->ports[i]->name, name) == 0)
            return fw->ports[i];
    return NULL;
}

static void read_interfaces(struct fwdd *fw, struct gen *g, const struct cnode *root)
{
    const struct cnode *ifs = cfg_child(root, "interfaces"), *i;
    size_t n = 0;

    i = cfg_child(ifs, "interface");
    g->ifds = xcalloc(count_same(i) + fw->nports, sizeof(*g->ifds));
    for (; i; i = cfg_next(i)) {
        struct ifd *d = &g->ifds[n++];
        const struct cnode *un = cfg_child(i, "unit");
        const char *desc = cfg_value(i, "description"), *mtu = cfg_value(i, "mtu");
        size_t k = 0;

        snprintf(d->name, sizeof(d->name), "%s", cfg_key(i));
        parse_ifname(d);
        d->configured = 1;
        d->disabled = cfg_flag(i, "disable");
        d->mtu = mtu ? (unsigned)strtoul(mtu, NULL, 10) : 0;
        d->description = desc ? strdup(desc) : NULL;
        d->port = find_port(fw, d->name);
        d->units = xcalloc(count_same(un), sizeof(*d->units));
        for (; un; un = cfg_next(un))
            read_unit(&d->units[k++], d, un);
        d->nunits = k;
    }
    /* ports present but not configured still show (up, no units) */
    for (size_t p = 0; p < fw->nports; p++) {
        struct ifd *d;
        size_t k;
        for (k = 0; k < n && strcmp(g->ifds[k].name, fw->ports[p]->name) != 0; k++)
            ;
        if (k < n)
            continue;
        d = &g->ifds[n++];
        snprintf(d->name, sizeof(d->name), "%s", fw->ports[p]->name);
        parse_ifname(d);
        d->port = fw->ports[p];
    }
    g->nifds = n;
}

static void read_instances(struct gen *g, const struct cnode *root)
{
    const struct cnode *ri = cfg_child(cfg_child(root, "routing-instances"), "instance");
    size_t n = 1;

    g->insts = xcalloc(count_same(ri) + 1, sizeof(*g->insts));
    snprintf(g->insts[0].name, sizeof(g->insts[0].name), "master");
    g->insts[0].is_master = 1;
    for (; ri; ri = cfg_next(ri)) {
        struct instance *in = &g->insts[n++];
        const char *type = cfg_value(ri, "instance-type");

        snprintf(in->name, sizeof(in->name), "%s", cfg_key(ri));
        snprintf(in->type, sizeof(in->type), "%s", type ? type : "");
        for (const struct cnode *u = cfg_child(ri, "interface"); u; u = cfg_next(u)) {
            struct unit *unit = gen_unit(g, cfg_key(u));
            if (unit == NULL)
                log_warnx("routing-instances %s: interface %s is not configured", in->name,
                          cfg_key(u));
            else
                unit->inst = in;
        }
    }
    g->ninsts = n;
    for (size_t i = 0; i < g->nifds; i++)
        for (size_t k = 0; k < g->ifds[i].nunits; k++)
            if (g->ifds[i].units[k].inst == NULL)
                g->ifds[i].units[k].inst = &g->insts[0];
}

/* Unit 0 of each mapped Ethernet port carries its traffic (no VLANs). */
static void map_ports(struct fwdd *fw, struct gen *g)
{
    g->port_unit = xcalloc(fw->nports, sizeof(*g->port_unit));
    for (size_t i = 0; i < g->nifds; i++) {
        struct ifd *d = &g->ifds[i];
        if (d->port == NULL || d->disabled || d->kind != IFK_ETH)
            continue;
        for (size_t k = 0; k < d->nunits; k++) {
            struct unit *u = &d->units[k];
            if (u->num != 0) {
                log_warnx("%s: only unit 0 of Ethernet ports is supported", u->name);
                continue;
            }
            if (!u->disabled && (u->inet || u->inet6))
                g->port_unit[d->port->index] = u;
        }
    }
}

struct gen *gen_build(struct fwdd *fw, const struct conf *c, char *err, size_t errlen)
{
    struct gen *g = xcalloc(1, sizeof(*g));

    (void)err;
    (void)errlen;
    g->serial = ++fw->gen_serial;
    read_interfaces(fw, g, c->root);
    read_instances(g, c->root);
    map_ports(fw, g);
    svc_build(fw, g, c);
    routes_build(fw, g, c);
    return g;
}

void gen_free(struct gen *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->nifds; i++) {
        struct ifd *d = &g->ifds[i];
        for (size_t k = 0; k < d->nunits; k++) {
            free(d->units[k].v4);
            free(d->units[k].v6);
        }
        free(d->units);
        free(d->description);
    }
    for (size_t i = 0; i < g->ninsts; i++) {
        rtable_free(g->insts[i].inet);
        rtable_free(g->insts[i].inet6);
        inst_cache_free(&g->insts[i]);
    }
    svc_free(g->svc);
    free(g->ifds);
    free(g->insts);
    free(g->port_unit);
    free(g);
}

struct ifd *gen_ifd(const struct gen *g, const char *name)
{
    for (size_t i = 0; i < g->nifds; i++)
        if (strcmp(g->ifds[i].name, name) == 0)
            return &g->ifds[i];
    return NULL;
}

struct unit *gen_unit(const struct gen *g, const char *name)
{
    const char *dot = strrchr(name, '.');
    char ifname[FWD_IFNAMELEN];
    struct ifd *d;
    char *end;
    unsigned long num;

    if (dot == NULL || (size_t)(dot - name) >= sizeof(ifname) || dot[1] == '\0')
        return NULL;
    memcpy(ifname, name, (size_t)(dot - name));
    ifname[dot - name] = '\0';
    num = strtoul(dot + 1, &end, 10);
    if (*end != '\0' || (d = gen_ifd(g, ifname)) == NULL)
        return NULL;
    for (size_t k = 0; k < d->nunits; k++)
        if (d->units[k].num == num)
            return &d->units[k];
    return NULL;
}

struct instance *gen_instance(const struct gen *g, const char *name)
{
    if (name == NULL || *name == '\0' || strcmp(name, "default") == 0)
        return &g->insts[0];
    for (size_t i = 0; i < g->ninsts; i++)
        if (strcmp(g->insts[i].name, name) == 0)
            return &g->insts[i];
    return NULL;
}

struct rtable *inst_table(const struct instance *in, int af)
{
    return af == AF_INET6 ? in->inet6 : in->inet;
}

uint32_t unit_addr4(const struct unit *u)
{
    return u && u->nv4 ? addr_v4(&u->v4[0]) : 0;
}

uint32_t unit_addr4_for(const struct unit *u, uint32_t a)
{
    struct addr x;

    addr_set_v4(&x, a, 32);
    for (size_t i = 0; u && i < u->nv4; i++) {
        struct addr p = u->v4[i];
        addr_mask(&p, p.plen);
        if (prefix_contains(&p, &x))
            return addr_v4(&u->v4[i]);
    }
    return unit_addr4(u);
}

const uint8_t *unit_addr6_for(const struct unit *u, const uint8_t a[16])
{
    struct addr x;

    addr_set_v6(&x, a, 128);
    for (size_t i = 0; u && i < u->nv6; i++) {
        struct addr p = u->v6[i];
        addr_mask(&p, p.plen);
        if (prefix_contains(&p, &x))
            return u->v6[i].a;
    }
    return u && u->nv6 ? u->v6[0].a : NULL;
}

int inst_is_local6(const struct instance *in, const uint8_t a[16])
{
    struct addr x;
    const struct route *r;

    addr_set_v6(&x, a, 128);
    r = rt_active(rtable_exact(in->inet6, &x));
    return r && r->proto == RTP_LOCAL;
}

unsigned unit_mtu(const struct unit *u)
{
    unsigned mtu =
        u->ifd->kind == IFK_MS || u->ifd->kind == IFK_MAMS || u->ifd->kind == IFK_AMS ? 9192 : 1500;

    if (u->ifd->mtu > 14)
        mtu = u->ifd->mtu - 14;
    if (u->ifd->port && u->ifd->port->linux_mtu && u->ifd->port->linux_mtu < mtu)
        mtu = u->ifd->port->linux_mtu;
    return mtu;
}

int inst_is_local4(const struct gen *g, const struct instance *in, uint32_t a)
{
    struct addr x;
    const struct rt_dest *d;
    const struct route *r;

    addr_set_v4(&x, a, 32);
    d = rtable_exact(in->inet, &x);
    if (d && (r = rt_active(d)) != NULL && r->proto == RTP_LOCAL)
        return 1;
    return svc_by_gateway(g, in, a) != NULL;
}

/* --- prepare / apply / abort ----------------------------------------- */

int fw_prepare(struct fwdd *fw, const struct conf *newc, char *err, size_t errlen)
{
    struct gen *g = gen_build(fw, newc, err, errlen);

    if (g == NULL)
        return -1;
    gen_free(fw->next);
    fw->next = g;
    return 0;
}

void fw_apply(struct fwdd *fw)
{
    struct gen *old = fw->cur;

    if (fw->next == NULL)
        return;
    fw->cur = fw->next;
    fw->next = NULL;
    gen_free(old);
    svc_gc(fw);
    arp_prune(fw);
    nd_prune(fw);
    log_info("configuration applied: %zu interfaces, %zu routing instances", fw->cur->nifds,
             fw->cur->ninsts);
}

void fw_abort(struct fwdd *fw)
{
    gen_free(fw->next);
    fw->next = NULL;
}
