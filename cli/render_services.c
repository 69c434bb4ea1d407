/*
 * render_services.c: `show services service-sets summary`
 * (service-set-summary-information, answered by fwdd), reference/junos.md
 * 4.6:
 *
 *                Service sets                                                 CPU
 *   Interface    configured      Bytes used         Policy bytes used        utilization
 *   ms-1/0/0          1          1553115152 (13.45%)    3565120 ( 0.33%)       1.42 %
 *
 * One row per service-set-service-type-entry of each interface: the
 * interface in 12 columns and a space, the count right-aligned in 6, the
 * bytes in 20 and the policy bytes in 11, each followed by its percentage
 * ` (%5.2f%)`, the CPU utilization as given, right-aligned in 13.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

static void summary_row(struct buf *b, const char *ifname, xmlNodePtr t)
{
    char sets[32], bytes[32], pbytes[32], pct[32], ppct[32], cpu[32];

    xtext(t, "service-sets-configured", sets, sizeof(sets));
    xtext(t, "service-set-bytes-used", bytes, sizeof(bytes));
    xtext(t, "service-set-percent-bytes-used", pct, sizeof(pct));
    xtext(t, "service-set-policy-bytes-used", pbytes, sizeof(pbytes));
    xtext(t, "service-set-percent-policy-bytes-used", ppct, sizeof(ppct));
    xtext(t, "service-set-cpu-utilization", cpu, sizeof(cpu));
    buf_printf(b, "%-12s %6s%20s (%5.2f%%)%11s (%5.2f%%)%13s\n", ifname, sets, bytes, atof(pct),
               pbytes, atof(ppct), cpu);
}

void render_service_set_summary_information(xmlNodePtr n, struct pipeline *pl)
{
    char ifname[64];
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "             Service sets                                                 CPU\n"
                 "Interface    configured      Bytes used         Policy bytes used        "
                 "utilization\n");
    for (xmlNodePtr e = n->children; e; e = e->next) {
        if (!is(e, "service-set-summary-information-entry"))
            continue;
        xtext(e, "interface-name", ifname, sizeof(ifname));
        for (xmlNodePtr t = e->children; t; t = t->next)
            if (is(t, "service-set-service-type-entry"))
                summary_row(&b, ifname, t);
    }
    pl_puts(pl, b.s);
    buf_free(&b);
}
