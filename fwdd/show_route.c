/*
 * show_route.c: get-route-information (show route [DESTINATION] [table
 * NAME] [exact] [protocol P]): route-table blocks with Junos's element names
 * (tests/integration/fixtures/get-route-information.xml).
 *
 * Tables are listed inet.0, then each instance's NAME.inet.0, then the
 * inet6 tables; a table is shown when it holds something selected, or
 * when it is named and no destination is given.  "table X" selects the
 * tables whose name starts with X, as Junos does.  A destination selects
 * the routes within it; when none lies within, the longest match covering
 * it; with exact, only that prefix.  protocol P keeps the routes of that
 * protocol (and the destinations and tables that hold one).
 */
#include "rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static void put_nh(struct buf *b, const struct route *r)
{
    char gw[ADDR_STRLEN];

    if (r->nnh && r->nh[0].kind == NH_LOCAL) {
        xml_elem(b, 16, "nh-type", "Local");
        buf_puts(b, "                <nh>\n");
        xml_elem(b, 20, "nh-local-interface", r->nh[0].via);
        buf_puts(b, "                </nh>\n");
        return;
    }
    if (r->nnh && r->nh[0].kind == NH_DISCARD) {
        xml_elem(b, 16, "nh-type", "Discard");
        return;
    }
    for (unsigned i = 0; i < r->nnh; i++) {
        const struct rt_nh *nh = &r->nh[i];
        if (nh->unit == NULL)
            continue; /* unresolved next hops are not shown */
        buf_puts(b, "                <nh>\n");
        if ((int)i == r->sel)
            buf_puts(b, "                    <selected-next-hop/>\n");
        if (nh->kind == NH_GATEWAY)
            xml_elem(b, 20, "to", addr_str(&nh->gw, gw, sizeof(gw)));
        xml_elem(b, 20, "via", nh->via);
        buf_puts(b, "                </nh>\n");
    }
}

/* Route r is of protocol proto ("static"; NULL: any). */
static int of_proto(const struct route *r, const char *proto)
{
    return proto == NULL || strcasecmp(rt_proto_name(r->proto), proto) == 0;
}

static int dest_has(const struct rt_dest *d, const char *proto)
{
    for (const struct route *r = d->routes; r; r = r->next)
        if (!r->hidden && of_proto(r, proto))
            return 1;
    return 0;
}

static void put_dest(struct buf *b, const struct rt_dest *d, const char *style, const char *proto)
{
    const struct route *active = rt_active(d);
    char p[ADDR_STRLEN], age[32];
    int64_t now = fwd_clock();

    if (active == NULL || !dest_has(d, proto))
        return; /* hidden routes only, or none of that protocol */
    buf_printf(b, "        <rt junos:style=\"%s\">\n", style);
    xml_elem(b, 12, "rt-destination", prefix_str(&d->prefix, p, sizeof(p)));
    for (const struct route *r = d->routes; r; r = r->next) {
        if (r->hidden || !of_proto(r, proto))
            continue;
        buf_puts(b, "            <rt-entry>\n");
        if (r == active)
            xml_elem(b, 16, "active-tag", "*");
        xml_elem(b, 16, "protocol-name", rt_proto_name(r->proto));
        xml_elemf(b, 16, "preference", "%u", r->pref);
        buf_printf(b, "                <age junos:seconds=\"%lld\">%s</age>\n",
                   (long long)(now > r->since ? now - r->since : 0),
                   age_str(now - r->since, age, sizeof(age)));
        put_nh(b, r);
        buf_puts(b, "            </rt-entry>\n");
    }
    buf_puts(b, "        </rt>\n");
}

/* The destinations of t that the request selects (malloc'ed, *n). */
static const struct rt_dest **select_dests(const struct rtable *t, const struct addr *dst,
                                           int exact, size_t *n)
{
    const struct rt_dest **all = rtable_sorted(t, n), *d;
    size_t k = 0;

    if (dst == NULL)
        return all;
    if (dst->af != t->af) {
        *n = 0;
        return all;
    }
    for (size_t i = 0; i < *n; i++) {
        int keep =
            exact ? prefix_cmp(&all[i]->prefix, dst) == 0 : prefix_contains(dst, &all[i]->prefix);
        if (keep)
            all[k++] = all[i];
    }
    if (k == 0 && !exact && (d = rtable_lookup(t, dst)) != NULL)
        all[k++] = d;
    *n = k;
    return all;
}

static void put_table(struct buf *b, const struct rtable *t, const struct addr *dst, int exact,
                      int named, const char *style, const char *proto)
{
    size_t n, k = 0;
    const struct rt_dest **v = select_dests(t, dst, exact, &n);

    for (size_t i = 0; i < n; i++)
        if (dest_has(v[i], proto))
            v[k++] = v[i];
    n = k;
    if (n == 0 && (dst || !named || proto)) {
        free(v);
        return;
    }
    buf_puts(b, "    <route-table>\n");
    xml_elem(b, 8, "table-name", t->name);
    xml_elemf(b, 8, "destination-count", "%zu", t->ndest);
    xml_elemf(b, 8, "total-route-count", "%zu", t->nroutes);
    xml_elemf(b, 8, "active-route-count", "%zu", rtable_active_count(t));
    xml_elem(b, 8, "holddown-route-count", "0");
    xml_elemf(b, 8, "hidden-route-count", "%zu", t->nhidden);
    for (size_t i = 0; i < n; i++)
        put_dest(b, v[i], style, proto);
    buf_puts(b, "    </route-table>\n");
    free(v);
}

void show_route(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const char *table = dmn_rpc_arg(a, "table"), *dest = dmn_rpc_arg(a, "destination");
    const char *proto = dmn_rpc_arg(a, "protocol");
    const char *style = dmn_rpc_arg(a, "detail")  ? "detail"
                        : dmn_rpc_arg(a, "terse") ? "terse"
                                                  : "brief";
    int exact = dmn_rpc_arg(a, "exact") != NULL;
    struct addr d, *dp = NULL;
    struct buf b;

    if (dest) {
        if (addr_parse(dest, &d) < 0) {
            rpc_error(fw, id, "invalid destination %s", dest);
            return;
        }
        addr_mask(&d, d.plen);
        dp = &d;
    }
    buf_init(&b);
    buf_puts(&b, "<route-information>\n");
    for (int af = 0; af < 2; af++)
        for (size_t i = 0; i < fw->cur->ninsts; i++) {
            const struct rtable *t = af ? fw->cur->insts[i].inet6 : fw->cur->insts[i].inet;
            if (table && strncmp(t->name, table, strlen(table)) != 0)
                continue;
            put_table(&b, t, dp, exact, table != NULL, style, proto);
        }
    buf_puts(&b, "</route-information>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
}
