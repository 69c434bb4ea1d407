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
