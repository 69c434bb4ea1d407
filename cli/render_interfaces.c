/*
 * render_interfaces.c: `show interfaces [NAME] [terse]` (interface-information,
 * answered by fwdd).  The layout follows the reply's junos:style, as Junos
 * does: "terse" is the table
 *
 *   Interface               Admin Link Proto    Local                 Remote
 *   ge-0/0/0                up    up
 *   ge-0/0/0.0              up    up   inet     10.1.1.254/24
 *   lo0.0                   up    up   inet     127.0.0.1           --> 0/0
 *
 * (a second family on a line of its own under Proto, a second address under
 * Local); any other style the blocks of Junos's standard output:
 *
 *   Physical interface: ge-0/0/0, Enabled, Physical link is Up
 *     Link-level type: Ethernet, MTU: 1514, Speed: 1000mbps
 *     Device flags   : Present Running
 *     Current address: ..., Hardware address: ...
 *     Traffic statistics: / Input errors: / Output errors:   (counters)
 *   <blank>
 *     Logical interface ge-0/0/0.0
 *       Flags: Up Encapsulation: ENET2
 *       Protocol inet, MTU: 1500
 *         Addresses
 *           Destination: 10.1.1/24, Local: 10.1.1.254, Broadcast: 10.1.1.255
 *
 * Only what the XML carries is printed (no index, SNMP index or flapping
 * time: fwdd has none).  Lines never end with spaces.  Guesses: docs/cli.md.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <ctype.h>
#include <string.h>

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

/* End the current line without its trailing spaces. */
static void eol(struct buf *b)
{
    while (b->len && b->s[b->len - 1] == ' ')
        b->s[--b->len] = '\0';
    buf_putc(b, '\n');
}

struct field {
    const char *label, *elem;
};

/* indent, then "Label: value" of the children present joined by ", ", and
 * the end of the line; nothing when none is present. */
static void fields(struct buf *b, const char *indent, xmlNodePtr n, const struct field *f,
                   size_t nf)
{
    char v[256];
    int k = 0;

    for (size_t i = 0; i < nf; i++)
        if (*xtext(n, f[i].elem, v, sizeof(v)))
            buf_printf(b, "%s%s: %s", k++ ? ", " : indent, f[i].label, v);
    if (k)
        eol(b);
}

/* A flag element as Junos prints it: ifdf-hardware-down -> Hardware-Down,
 * iff-snmp-traps -> SNMP-Traps, ifaf-current-primary -> Is-Primary; family
 * flags capitalize their first letter only (ifff-sendbcast-pkt-to-re ->
 * Sendbcast-pkt-to-re). */
static void flag_word(struct buf *b, const char *name, const char *prefix)
{
    int words = strcmp(prefix, "ifff-") != 0, up = 1;

    if (strncmp(name, prefix, strlen(prefix)) == 0)
        name += strlen(prefix);
    if (strncmp(name, "snmp-", 5) == 0) {
        buf_puts(b, "SNMP-");
        name += 5;
    } else if (strncmp(name, "current-", 8) == 0) {
        buf_puts(b, "Is-");
        name += 8;
    }
    for (; *name; name++) {
        buf_putc(b, up ? (char)toupper((unsigned char)*name) : *name);
        up = words && *name == '-';
    }
}

/* label, then the flag elements of flags ("None" without any). */
static void flags_line(struct buf *b, xmlNodePtr flags, const char *label, const char *prefix)
{
    int k = 0;

    if (flags == NULL)
        return;
    buf_puts(b, label);
    for (xmlNodePtr c = flags->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE) {
            if (k++)
                buf_putc(b, ' ');
            flag_word(b, (const char *)c->name, prefix);
        }
    if (k == 0)
        buf_puts(b, "None");
    eol(b);
}

/* ---- terse ---- */

static void terse_status(struct buf *b, xmlNodePtr n)
{
    char name[64], admin[16], oper[16];

    xtext(n, "name", name, sizeof(name));
    xtext(n, "admin-status", admin, sizeof(admin));
    xtext(n, "oper-status", oper, sizeof(oper));
    buf_printf(b, "%-23s %-5s %-4s ", name, admin, oper);
}

static void terse_logical(struct buf *b, xmlNodePtr l)
{
    char fam[32], local[128], dest[128];
    int nf = 0;

    terse_status(b, l);
    for (xmlNodePtr f = l->children; f; f = f->next) {
        int na = 0;
        if (!is(f, "address-family"))
            continue;
        if (nf++)
            buf_indent(b, 35);
        buf_printf(b, "%-8s ", xtext(f, "address-family-name", fam, sizeof(fam)));
        for (xmlNodePtr a = f->children; a; a = a->next) {
            if (!is(a, "interface-address"))
                continue;
            if (na++) {
                eol(b);
                buf_indent(b, 44);
            }
            xtext(a, "ifa-local", local, sizeof(local));
            if (*xtext(a, "ifa-destination", dest, sizeof(dest)))
                buf_printf(b, "%-19s --> %s", local, dest);
            else
                buf_puts(b, local);
        }
        eol(b);
    }
    if (nf == 0)
        eol(b);
}

static void terse(struct buf *b, xmlNodePtr n)
{
    buf_puts(b, "Interface               Admin Link Proto    Local                 Remote\n");
    for (xmlNodePtr p = n->children; p; p = p->next) {
        if (is(p, "logical-interface")) {
            terse_logical(b, p);
            continue;
        }
        if (!is(p, "physical-interface"))
            continue;
        terse_status(b, p);
        eol(b);
        for (xmlNodePtr l = p->children; l; l = l->next)
            if (is(l, "logical-interface"))
                terse_logical(b, l);
    }
}

/* ---- standard ---- */

static void counter(struct buf *b, const char *label, xmlNodePtr n, const char *elem)
{
    char v[32];

    if (*xtext(n, elem, v, sizeof(v)))
        buf_printf(b, "   %s:%21s\n", label, v);
}

static void physical_counters(struct buf *b, xmlNodePtr p)
{
    static const struct field in_err[] = {
        {"Errors", "input-errors"},
        {"Drops", "input-drops"},
        {"Framing errors", "framing-errors"},
        {"Runts", "input-runts"},
        {"Giants", "input-giants"},
        {"Policed discards", "input-discards"},
        {"Resource errors", "input-resource-errors"},
    };
    static const struct field out_err[] = {
        {"Carrier transitions", "carrier-transitions"},
        {"Errors", "output-errors"},
        {"Drops", "output-drops"},
        {"Collisions", "output-collisions"},
        {"Aged packets", "aged-packets"},
        {"MTU errors", "mtu-errors"},
        {"Resource errors", "output-resource-errors"},
    };
    xmlNodePtr t = xchild(p, "traffic-statistics"), e;
    char v1[32], v2[32];

    if (t && *xtext(t, "input-bps", v1, sizeof(v1))) {
        buf_printf(b, "  Input rate     : %s bps (%s pps)\n", v1,
                   *xtext(t, "input-pps", v2, sizeof(v2)) ? v2 : "0");
        buf_printf(b, "  Output rate    : %s bps (%s pps)\n",
                   *xtext(t, "output-bps", v1, sizeof(v1)) ? v1 : "0",
                   *xtext(t, "output-pps", v2, sizeof(v2)) ? v2 : "0");
    }
    if (t && (xchild(t, "input-bytes") || xchild(t, "input-packets"))) {
        buf_puts(b, "  Traffic statistics:\n");
        counter(b, "Input  bytes  ", t, "input-bytes");
        counter(b, "Output bytes  ", t, "output-bytes");
        counter(b, "Input  packets", t, "input-packets");
        counter(b, "Output packets", t, "output-packets");
    }
    if ((e = xchild(p, "input-error-list")) != NULL) {
        buf_puts(b, "  Input errors:\n");
        fields(b, "    ", e, in_err, sizeof(in_err) / sizeof(in_err[0]));
    }
    if ((e = xchild(p, "output-error-list")) != NULL) {
        buf_puts(b, "  Output errors:\n");
        fields(b, "    ", e, out_err, sizeof(out_err) / sizeof(out_err[0]));
    }
}

static void family(struct buf *b, xmlNodePtr f)
{
    static const struct field addr[] = {
        {"Destination", "ifa-destination"},
        {"Local", "ifa-local"},
        {"Broadcast", "ifa-broadcast"},
    };
    char v[64];

    buf_printf(b, "    Protocol %s", xtext(f, "address-family-name", v, sizeof(v)));
    if (*xtext(f, "mtu", v, sizeof(v)))
        buf_printf(b, ", MTU: %s", v);
    eol(b);
    flags_line(b, xchild(f, "address-family-flags"), "      Flags: ", "ifff-");
    for (xmlNodePtr a = f->children; a; a = a->next) {
        xmlNodePtr fl;
        if (!is(a, "interface-address"))
            continue;
        buf_puts(b, "      Addresses");
        if ((fl = xchild(a, "ifa-flags")) != NULL)
            flags_line(b, fl, ", Flags: ", "ifaf-");
        else
            eol(b);
        fields(b, "        ", a, addr, sizeof(addr) / sizeof(addr[0]));
    }
}

static void logical(struct buf *b, xmlNodePtr l)
{
    char v[256], oper[16];
    xmlNodePtr t = xchild(l, "traffic-statistics");

    if (b->len)
        buf_putc(b, '\n');
    buf_printf(b, "  Logical interface %s", xtext(l, "name", v, sizeof(v)));
    if (*xtext(l, "local-index", v, sizeof(v)))
        buf_printf(b, " (Index %s)", v);
    if (*xtext(l, "snmp-index", v, sizeof(v)))
        buf_printf(b, " (SNMP ifIndex %s)", v);
    eol(b);
    if (*xtext(l, "description", v, sizeof(v)))
        buf_printf(b, "    Description: %s\n", v);
    xtext(l, "oper-status", oper, sizeof(oper));
    buf_printf(b, "    Flags: %s", strcmp(oper, "up") == 0 ? "Up" : "Down");
    if (*xtext(l, "encapsulation", v, sizeof(v)))
        buf_printf(b, " Encapsulation: %s", v);
    eol(b);
    if (t && *xtext(t, "input-packets", v, sizeof(v))) {
        buf_printf(b, "    Input packets : %s\n", v);
        buf_printf(b, "    Output packets: %s\n",
                   *xtext(t, "output-packets", v, sizeof(v)) ? v : "0");
    }
    for (xmlNodePtr f = l->children; f; f = f->next)
        if (is(f, "address-family"))
            family(b, f);
}

static void physical(struct buf *b, xmlNodePtr p)
{
    static const struct field link[] = {
        {"Type", "if-type"},
        {"Link-level type", "link-level-type"},
        {"MTU", "mtu"},
        {"Speed", "speed"},
    };
    static const struct field mac[] = {
        {"Current address", "current-physical-address"},
        {"Hardware address", "hardware-physical-address"},
    };
    static const struct field index[] = {
        {"Interface index", "local-index"},
        {"SNMP ifIndex", "snmp-index"},
    };
    char name[64], admin[16], oper[16], v[256];

    xtext(p, "name", name, sizeof(name));
    xtext(p, "admin-status", admin, sizeof(admin));
    xtext(p, "oper-status", oper, sizeof(oper));
    buf_printf(b, "Physical interface: %s, %s, Physical link is %s\n", name,
               strcmp(admin, "up") == 0 ? "Enabled" : "Administratively down",
               strcmp(oper, "up") == 0 ? "Up" : "Down");
    fields(b, "  ", p, index, 2);
    if (*xtext(p, "description", v, sizeof(v)))
        buf_printf(b, "  Description: %s\n", v);
    fields(b, "  ", p, link, sizeof(link) / sizeof(link[0]));
    flags_line(b, xchild(p, "if-device-flags"), "  Device flags   : ", "ifdf-");
    flags_line(b, xchild(p, "if-config-flags"), "  Interface flags: ", "iff-");
    fields(b, "  ", p, mac, 2);
    physical_counters(b, p);
    for (xmlNodePtr l = p->children; l; l = l->next)
        if (is(l, "logical-interface"))
            logical(b, l);
}

static void standard(struct buf *b, xmlNodePtr n)
{
    int k = 0;

    for (xmlNodePtr p = n->children; p; p = p->next) {
        if (is(p, "physical-interface")) {
            if (k++)
                buf_putc(b, '\n');
            physical(b, p);
        } else if (is(p, "logical-interface")) {
            logical(b, p);
        }
    }
}

void render_interface_information(xmlNodePtr n, struct pipeline *pl)
{
    xmlChar *style = xmlGetProp(n, (const xmlChar *)"style");
    struct buf b;

    buf_init(&b);
    if (style && strcmp((const char *)style, "terse") == 0)
        terse(&b, n);
    else
        standard(&b, n);
    xmlFree(style);
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}
