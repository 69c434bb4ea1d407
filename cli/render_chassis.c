/*
 * render_chassis.c: `show chassis hardware` (chassis-inventory, answered by
 * fwdd) in Junos's layout:
 *
 *   Hardware inventory:
 *   Item             Version  Part number  Serial number     Description
 *   Chassis                                                  MX480 (OpenSG)
 *   FPC 1                                                    MS-MPC
 *     PIC 0                                                  MS-MPC-PIC
 *
 * One row per chassis, chassis-module, chassis-sub-module,
 * chassis-sub-sub-module, ...: the name indented by two spaces per level
 * below the modules, in a 16-column field, then version (8), part number
 * (12), serial number (17) and the description, a space apart.  Rows do
 * not end with spaces.  OpenSG's interface-name children of a services PIC
 * are not shown (Junos's inventory has no such column).
 */
#include "cli.h"

#include <libxml/tree.h>

#include <string.h>

static int is_module(xmlNodePtr c)
{
    const char *name = (const char *)c->name;
    size_t len = strlen(name);

    return c->type == XML_ELEMENT_NODE && strncmp(name, "chassis-", 8) == 0 && len >= 14 &&
           strcmp(name + len - 6, "module") == 0;
}

static void row(struct buf *b, xmlNodePtr m, int depth)
{
    char name[128], item[160], ver[64], part[64], serial[64], desc[256];

    xtext(m, "name", name, sizeof(name));
    snprintf(item, sizeof(item), "%*s%s", depth * 2, "", name);
    xtext(m, "version", ver, sizeof(ver));
    xtext(m, "part-number", part, sizeof(part));
    xtext(m, "serial-number", serial, sizeof(serial));
    xtext(m, "description", desc, sizeof(desc));
    buf_printf(b, "%-16s %-8s %-12s %-17s %s", item, ver, part, serial, desc);
    while (b->len && b->s[b->len - 1] == ' ')
        b->s[--b->len] = '\0';
    buf_putc(b, '\n');
}

/* The modules of parent at depth, each followed by its own. */
static void modules(struct buf *b, xmlNodePtr parent, int depth)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (is_module(c)) {
            row(b, c, depth);
            modules(b, c, depth + 1);
        }
}

void render_chassis_inventory(xmlNodePtr n, struct pipeline *pl)
{
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "Hardware inventory:\n"
                 "Item             Version  Part number  Serial number     Description\n");
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "chassis"))
            continue;
        row(&b, c, 0);
        modules(&b, c, 0);
    }
    pl_puts(pl, b.s);
    buf_free(&b);
}

/* "2 days, 1 hour, 3 minutes, 39 seconds": Junos's Uptime, zero units
 * above the first non-zero one left out. */
static void uptime_words(struct buf *b, long long s)
{
    static const struct {
        const char *unit;
        long long secs;
    } u[] = {{"day", 86400}, {"hour", 3600}, {"minute", 60}, {"second", 1}};
    int started = 0;

    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        long long v = s / u[i].secs;

        s %= u[i].secs;
        if (v == 0 && !started && u[i].secs > 1)
            continue;
        buf_printf(b, "%s%lld %s%s", started ? ", " : "", v, u[i].unit, v == 1 ? "" : "s");
        started = 1;
    }
}

/* `show chassis routing-engine` (route-engine-information, answered by
 * mgd) in Junos's layout: labels in a 31-column field after 4 spaces. */
void render_route_engine_information(xmlNodePtr n, struct pipeline *pl)
{
    struct buf b;
    char v[256], l1[32], l5[32], l15[32];

    buf_init(&b);
    buf_puts(&b, "Routing Engine status:\n");
    for (xmlNodePtr re = n->children; re; re = re->next) {
        xmlNodePtr up;

        if (re->type != XML_ELEMENT_NODE || strcmp((const char *)re->name, "route-engine"))
            continue;
        buf_printf(&b, "  Slot %s:\n", xtext(re, "slot", v, sizeof(v)));
        xtext(re, "mastership-state", v, sizeof(v));
        if (v[0] >= 'a' && v[0] <= 'z')
            v[0] = (char)(v[0] - 'a' + 'A');
        buf_printf(&b, "    %-31s%s\n", "Current state", v);
        xtext(re, "mastership-priority", v, sizeof(v));
        if (v[0] >= 'a' && v[0] <= 'z')
            v[0] = (char)(v[0] - 'a' + 'A');
        buf_printf(&b, "    %-31s%s\n", "Election priority", v);
        buf_printf(&b, "    %-26s%s\n", "DRAM", xtext(re, "memory-dram-size", v, sizeof(v)));
        buf_printf(&b, "    %-31s%s\n", "Model", xtext(re, "model", v, sizeof(v)));
        buf_printf(&b, "    %-31s%s\n", "Start time", xtext(re, "start-time", v, sizeof(v)));
        up = xchild(re, "up-time");
        buf_printf(&b, "    %-31s", "Uptime");
        uptime_words(&b, xseconds(up));
        buf_putc(&b, '\n');
        buf_printf(&b, "    %-31s%s\n", "Last reboot reason",
                   xtext(re, "last-reboot-reason", v, sizeof(v)));
        xtext(re, "load-average-one", l1, sizeof(l1));
        xtext(re, "load-average-five", l5, sizeof(l5));
        xtext(re, "load-average-fifteen", l15, sizeof(l15));
        buf_printf(&b, "    %-31s1 minute   5 minute  15 minute\n", "Load averages:");
        buf_printf(&b, "    %-31s%8s   %8s   %8s\n", "", l1, l5, l15);
    }
    pl_puts(pl, b.s);
    buf_free(&b);
}
