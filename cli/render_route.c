/*
 * render_route.c: `show route` (route-information, answered by fwdd) in
 * Junos's brief layout (reference/junos.md 4.5):
 *
 *   <blank>
 *   vrf-n1.inet.0: 4 destinations, 4 routes (4 active, 0 holddown, 0 hidden)
 *   + = Active Route, - = Last Active, * = Both
 *   <blank>
 *   10.2.2.0/24        *[Static/1] 00:04:17
 *                       >  via ms-1/0/0.1
 *
 * One block per route-table, in the order of the reply.  The destination
 * fills a 19-column field; a longer one (IPv6) stands on its own line and
 * the entry follows on the next, after 19 spaces.  Each rt-entry is
 * `TAG[Proto/Pref] AGE` (TAG: the active-tag, or a space), then `, metric
 * N`.  Next hops: 20 spaces, `>` for the selected one (a space for the
 * others), two spaces, `to ADDR via IFL` or `via IFL`; a local route prints
 * `Local via IFL` and a next hop without gateway or interface (Discard,
 * Reject, MultiRecv) its nh-type, both at column 23.  The age is computed
 * from junos:seconds: HH:MM:SS, Nd HH:MM:SS, NwNd HH:MM:SS.  The detail
 * and terse styles print the same brief layout (docs/cli.md).
 */
#include "cli.h"

#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>

#define PREFIX_FIELD 19
#define NH_INDENT 20

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

/* HH:MM:SS, Nd HH:MM:SS or NwNd HH:MM:SS from junos:seconds (else the text). */
static void route_age(char *out, size_t len, xmlNodePtr age)
{
    xmlChar *v = age ? xmlGetProp(age, (const xmlChar *)"seconds") : NULL;
    long long s;

    if (v == NULL) {
        char *t = age ? xcontent(age) : NULL;
        snprintf(out, len, "%s", t ? t : "");
        free(t);
        return;
    }
    s = atoll((const char *)v);
    xmlFree(v);
    if (s < 0)
        s = 0;
    if (s >= 7 * 86400)
        snprintf(out, len, "%lldw%lldd %02lld:%02lld:%02lld", s / (7 * 86400),
                 s % (7 * 86400) / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
    else if (s >= 86400)
        snprintf(out, len, "%lldd %02lld:%02lld:%02lld", s / 86400, s % 86400 / 3600, s % 3600 / 60,
                 s % 60);
    else
        snprintf(out, len, "%02lld:%02lld:%02lld", s / 3600, s % 3600 / 60, s % 60);
}

static void next_hops(struct buf *b, xmlNodePtr e)
{
    char to[128], via[128], type[64];
    int any = 0;

    for (xmlNodePtr nh = e->children; nh; nh = nh->next) {
        if (!is(nh, "nh"))
            continue;
        any = 1;
        if (*xtext(nh, "nh-local-interface", via, sizeof(via))) {
            buf_indent(b, NH_INDENT + 3);
            buf_printf(b, "Local via %s\n", via);
            continue;
        }
        xtext(nh, "to", to, sizeof(to));
        xtext(nh, "via", via, sizeof(via));
        buf_indent(b, NH_INDENT);
        buf_putc(b, xchild(nh, "selected-next-hop") ? '>' : ' ');
        buf_puts(b, "  ");
        if (*to)
            buf_printf(b, "to %s%s", to, *via ? " " : "");
        if (*via)
            buf_printf(b, "via %s", via);
        buf_putc(b, '\n');
    }
    if (!any && *xtext(e, "nh-type", type, sizeof(type))) {
        buf_indent(b, NH_INDENT + 3);
        buf_printf(b, "%s\n", type);
    }
}

static void destination(struct buf *b, xmlNodePtr rt)
{
    char dest[160], len[8], tag[8], proto[64], pref[16], age[48], metric[32];
    int first = 1;

    xtext(rt, "rt-destination", dest, sizeof(dest));
    if (*xtext(rt, "rt-prefix-length", len, sizeof(len)) && !strchr(dest, '/'))
        snprintf(dest + strlen(dest), sizeof(dest) - strlen(dest), "/%s", len);
    for (xmlNodePtr e = rt->children; e; e = e->next) {
        if (!is(e, "rt-entry"))
            continue;
        if (!first)
            buf_indent(b, PREFIX_FIELD);
        else if (strlen(dest) <= PREFIX_FIELD)
            buf_printf(b, "%-*s", PREFIX_FIELD, dest);
        else {
            buf_printf(b, "%s\n", dest);
            buf_indent(b, PREFIX_FIELD);
        }
        first = 0;
        xtext(e, "active-tag", tag, sizeof(tag));
        xtext(e, "protocol-name", proto, sizeof(proto));
        xtext(e, "preference", pref, sizeof(pref));
        route_age(age, sizeof(age), xchild(e, "age"));
        buf_printf(b, "%c[%s/%s] %s", *tag ? *tag : ' ', proto, pref, age);
        if (*xtext(e, "metric", metric, sizeof(metric)))
            buf_printf(b, ", metric %s", metric);
        if (*xtext(e, "metric2", metric, sizeof(metric)))
            buf_printf(b, ", metric2 %s", metric);
        buf_putc(b, '\n');
        next_hops(b, e);
    }
}

static const char *count(xmlNodePtr t, const char *name, char *v, size_t len)
{
    return *xtext(t, name, v, len) ? v : "0";
}

void render_route_information(xmlNodePtr n, struct pipeline *pl)
{
    char name[128], d[24], r[24], a[24], h[24], x[24];
    struct buf b;

    buf_init(&b);
    for (xmlNodePtr t = n->children; t; t = t->next) {
        if (!is(t, "route-table"))
            continue;
        xtext(t, "table-name", name, sizeof(name));
        buf_printf(&b, "\n%s: %s destinations, %s routes (%s active, %s holddown, %s hidden)\n",
                   name, count(t, "destination-count", d, sizeof(d)),
                   count(t, "total-route-count", r, sizeof(r)),
                   count(t, "active-route-count", a, sizeof(a)),
                   count(t, "holddown-route-count", h, sizeof(h)),
                   count(t, "hidden-route-count", x, sizeof(x)));
        buf_puts(&b, "+ = Active Route, - = Last Active, * = Both\n\n");
        for (xmlNodePtr rt = t->children; rt; rt = rt->next)
            if (is(rt, "rt"))
                destination(&b, rt);
    }
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}
