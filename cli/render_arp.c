/*
 * render_arp.c: `show arp` (arp-table-information, answered by fwdd) in
 * Junos's layout:
 *
 *   MAC Address       Address         Name                      Interface           Flags
 *   52:54:00:12:34:56 10.1.1.1        10.1.1.1                  ge-0/0/0.0          none
 *   Total entries: 1
 *
 * Columns of 17, 15, 25 and 19 characters and a space; Name is the
 * hostname (the address with no-resolve or when none is known); Flags
 * are the names of the arp-table-entry-flags children (none, permanent,
 * publish, ...).  The total is arp-entry-count, else the rows counted.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <string.h>

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

static void entry_flags(struct buf *b, xmlNodePtr e)
{
    xmlNodePtr f = xchild(e, "arp-table-entry-flags");
    int k = 0;

    for (xmlNodePtr c = f ? f->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            buf_printf(b, "%s%s", k++ ? " " : "", (const char *)c->name);
    if (k == 0)
        buf_puts(b, "none");
}

void render_arp_table_information(xmlNodePtr n, struct pipeline *pl)
{
    char mac[32], ip[64], host[256], ifname[64], total[32];
    struct buf b;
    int rows = 0;

    buf_init(&b);
    buf_puts(&b, "MAC Address       Address         Name                      Interface"
                 "           Flags\n");
    for (xmlNodePtr e = n->children; e; e = e->next) {
        if (!is(e, "arp-table-entry"))
            continue;
        xtext(e, "mac-address", mac, sizeof(mac));
        xtext(e, "ip-address", ip, sizeof(ip));
        if (!*xtext(e, "hostname", host, sizeof(host)))
            snprintf(host, sizeof(host), "%s", ip);
        xtext(e, "interface-name", ifname, sizeof(ifname));
        buf_printf(&b, "%-17s %-15s %-25s %-19s ", mac, ip, host, ifname);
        entry_flags(&b, e);
        buf_putc(&b, '\n');
        rows++;
    }
    if (!*xtext(n, "arp-entry-count", total, sizeof(total)))
        snprintf(total, sizeof(total), "%d", rows);
    buf_printf(&b, "Total entries: %s\n", total);
    pl_puts(pl, b.s);
    buf_free(&b);
}
