/*
 * checks.c: checks_run() (see checks.h) and the helpers the checks share
 * (checks_priv.h): statements found by their CLI words through the schema,
 * logical interface names, routing instances, deduplicated findings.
 */
#include "checks_priv.h"
#include "path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAX_WORDS 16

void checks_run(const struct cnode *root, struct findings *fs)
{
    checks_interfaces(root, fs);
    checks_routing(root, fs);
    checks_access(root, fs);
    checks_services(root, fs);
    checks_pools(root, fs);
}

static struct cnode *get_words(const struct cnode *at, va_list ap)
{
    char *w[CK_MAX_WORDS];
    size_t n = 0;
    const char *s;
    struct path p;
    struct cnode *r = NULL;

    while ((s = va_arg(ap, const char *)) != NULL)
        if (n < CK_MAX_WORDS)
            w[n++] = (char *)s;
    if (at == NULL || n == 0 || n == CK_MAX_WORDS)
        return NULL;
    if (path_parse(at->sch, cnode_in_group(at), w, n, PATH_FIND, &p) == 0)
        r = path_find((struct cnode *)at, &p);
    path_free(&p);
    return r;
}

struct cnode *ck_get(const struct cnode *at, ...)
{
    struct cnode *r;
    va_list ap;

    va_start(ap, at);
    r = get_words(at, ap);
    va_end(ap);
    return r;
}

const char *ck_val(const struct cnode *at, ...)
{
    struct cnode *r;
    va_list ap;

    va_start(ap, at);
    r = get_words(at, ap);
    va_end(ap);
    return r ? r->value : NULL;
}

struct cnode *ck_first(const struct cnode *parent, const char *elem)
{
    const struct sch_node *s;

    if (parent == NULL || (s = sch_child(parent->sch, elem)) == NULL)
        return NULL;
    return cnode_first(parent, s);
}

const char *ck_leaf(const struct cnode *parent, const char *elem)
{
    const struct cnode *n = ck_first(parent, elem);

    return n ? n->value : NULL;
}

const char *ck_name(const struct cnode *entry)
{
    const char *k = entry ? cnode_key(entry, 0) : NULL;

    return k ? k : "";
}

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

struct cnode *ck_unit(const struct cnode *root, const char *ifl, int *dev_found)
{
    char dev[64];
    const char *unit;
    struct cnode *ifd = NULL;

    if (ck_split(ifl, dev, sizeof(dev), &unit) == 0)
        ifd = ck_get(root, "interfaces", dev, NULL);
    if (dev_found)
        *dev_found = ifd != NULL;
    return ifd ? ck_get(ifd, "unit", unit, NULL) : NULL;
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

const char *ck_instance(const struct cnode *root, const char *ifl)
{
    const struct cnode *ri;

    for (ri = ck_first(ck_get(root, "routing-instances", NULL), "instance"); ri;
         ri = cnode_next_same(ri))
        if (ck_get(ri, "interface", ifl, NULL))
            return ck_name(ri);
    return NULL;
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

int ck_pool_exists(const struct cnode *root, const char *id)
{
    const struct cnode *ifd, *u;

    for (ifd = ck_first(ck_get(root, "interfaces", NULL), "interface"); ifd;
         ifd = cnode_next_same(ifd))
        for (u = ck_first(ifd, "unit"); u; u = cnode_next_same(u))
            if (ck_same(ck_val(u, "dial-options", "ipsec-interface-id", NULL), id))
                return 1;
    return 0;
}

void ck_node(struct findings *fs, int warning, const struct cnode *n, const char *fmt, ...)
{
    char msg[1024];
    const struct finding *last;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    findings_node(fs, warning, n, "%s", msg);
    last = &fs->f[fs->n - 1];
    for (size_t i = 0; i + 1 < fs->n; i++) {
        const struct finding *f = &fs->f[i];
        if (f->warning == last->warning && strcmp(f->path, last->path) == 0 &&
            strcmp(f->stmt, last->stmt) == 0 && strcmp(f->msg, last->msg) == 0) {
            free(last->path);
            free(last->stmt);
            free(last->msg);
            fs->n--;
            return;
        }
    }
}
