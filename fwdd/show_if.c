/*
 * show_if.c: get-interface-information (show interfaces [NAME] [terse |
 * detail]) with Junos's element names: physical-interface (name,
 * admin-status, oper-status, description, link-level-type, mtu,
 * current-physical-address, traffic-statistics, error lists) and its
 * logical-interface entries (name, address-family, interface-address
 * ifa-local / ifa-destination / ifa-broadcast).  An Ethernet port that no
 * --port maps is down.  A services interface (ms-, mams-) counts the
 * packets that entered its service sets and those dropped there.
 */
#include "rpc.h"
#include "daemon.h"
#include "port.h"
#include "svc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Names compared with their digit runs as numbers (ge-0/0/2 < ge-0/0/10). */
static int natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
            if (x != y)
                return x < y ? -1 : 1;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int ifd_cmp(const void *x, const void *y)
{
    return natcmp((*(const struct ifd *const *)x)->name, (*(const struct ifd *const *)y)->name);
}

static int ifd_up(const struct ifd *d)
{
    if (d->disabled)
        return 0;
    if (d->kind == IFK_ETH)
        return d->port && port_oper_up(d->port);
    return d->kind != IFK_FXP && d->kind != IFK_OTHER;
}

static const char *link_type(const struct ifd *d)
{
    switch (d->kind) {
    case IFK_ETH:
        return "Ethernet";
    case IFK_MS:
    case IFK_MAMS:
    case IFK_AMS:
        return "Adaptive-Services";
    default:
        return "Unspecified";
    }
}

static unsigned media_mtu(const struct ifd *d)
{
    if (d->mtu)
        return d->mtu;
    if (d->kind == IFK_MS || d->kind == IFK_MAMS || d->kind == IFK_AMS)
        return 9192;
    return d->port && d->port->linux_mtu ? d->port->linux_mtu + 14 : 1514;
}

static void put_family(struct buf *b, int terse, const struct unit *u, const char *fam,
                       const struct addr *v, size_t n)
{
    char s[ADDR_STRLEN];

    buf_puts(b, "            <address-family>\n");
    xml_elem(b, 16, "address-family-name", fam);
    if (!terse)
        xml_elemf(b, 16, "mtu", "%u", unit_mtu(u));
    for (size_t i = 0; i < n; i++) {
        buf_puts(b, "                <interface-address>\n");
        if (terse) {
            buf_puts(b, "                    <ifa-local junos:emit=\"emit\">");
            dmn_xml_escape(b, prefix_str(&v[i], s, sizeof(s)));
            buf_puts(b, "</ifa-local>\n");
        } else {
            struct addr p = v[i];
            addr_mask(&p, p.plen);
            if (p.plen < addr_maxlen(p.af))
                xml_elem(b, 20, "ifa-destination", prefix_abbrev(&p, s, sizeof(s)));
            xml_elem(b, 20, "ifa-local", addr_str(&v[i], s, sizeof(s)));
            if (p.af == AF_INET && p.plen < 31) {
                struct addr bc;
                addr_set_v4(&bc, addr_v4(&p) | (0xffffffffu >> p.plen), 32);
                xml_elem(b, 20, "ifa-broadcast", addr_str(&bc, s, sizeof(s)));
            }
        }
        buf_puts(b, "                </interface-address>\n");
    }
    buf_puts(b, "            </address-family>\n");
}

static void put_unit(struct buf *b, int terse, const struct unit *u)
{
    int up = ifd_up(u->ifd) && !u->disabled;

    buf_puts(b, "        <logical-interface>\n");
    xml_elem(b, 12, "name", u->name);
    xml_elem(b, 12, "admin-status", u->disabled ? "down" : "up");
    xml_elem(b, 12, "oper-status", up ? "up" : "down");
    if (!terse && u->ifd->kind == IFK_ETH)
        xml_elem(b, 12, "encapsulation", "ENET2");
    if (u->inet)
        put_family(b, terse, u, "inet", u->v4, u->nv4);
    if (u->inet6)
        put_family(b, terse, u, "inet6", u->v6, u->nv6);
    buf_puts(b, "        </logical-interface>\n");
}

/* Packets into the service sets of PIC d, and those dropped there. */
static void pic_counters(const struct fwdd *fw, const struct ifd *d, uint64_t *in, uint64_t *bytes,
                         uint64_t *drops)
{
    const struct svc *s = fw->cur->svc;

    *in = *bytes = *drops = 0;
    for (size_t i = 0; i < s->nsets; i++)
        if (s->sets[i].pic && s->sets[i].pic->ifd == d) {
            *in += s->sets[i].rt->in_packets;
            *bytes += s->sets[i].rt->in_bytes;
            *drops += s->sets[i].rt->no_rule + s->sets[i].rt->no_sa;
        }
}

static void put_stats(struct buf *b, const struct fwdd *fw, const struct ifd *d)
{
    uint64_t ib = 0, ip = 0, ob = 0, op = 0, ie = 0, idr = 0, odr = 0;

    if (d->port) {
        ib = d->port->in_bytes;
        ip = d->port->in_packets;
        ob = d->port->out_bytes;
        op = d->port->out_packets;
        ie = d->port->in_errors;
        odr = d->port->out_drops;
    } else if (d->kind == IFK_MS || d->kind == IFK_MAMS) {
        pic_counters(fw, d, &ip, &ib, &idr);
    }
    buf_puts(b, "        <traffic-statistics junos:style=\"brief\">\n");
    xml_elemf(b, 12, "input-bytes", "%llu", (unsigned long long)ib);
    xml_elemf(b, 12, "input-packets", "%llu", (unsigned long long)ip);
    xml_elemf(b, 12, "output-bytes", "%llu", (unsigned long long)ob);
    xml_elemf(b, 12, "output-packets", "%llu", (unsigned long long)op);
    buf_puts(b, "        </traffic-statistics>\n        <input-error-list>\n");
    xml_elemf(b, 12, "input-errors", "%llu", (unsigned long long)ie);
    xml_elemf(b, 12, "input-drops", "%llu", (unsigned long long)idr);
    buf_puts(b, "        </input-error-list>\n        <output-error-list>\n");
    xml_elem(b, 12, "output-errors", "0");
    xml_elemf(b, 12, "output-drops", "%llu", (unsigned long long)odr);
    buf_puts(b, "        </output-error-list>\n");
}

static void put_ifd(struct buf *b, const struct fwdd *fw, const struct ifd *d, int terse,
                    const char *unit)
{
    char mac[18];

    buf_puts(b, "    <physical-interface>\n");
    xml_elem(b, 8, "name", d->name);
    xml_elem(b, 8, "admin-status", d->disabled ? "down" : "up");
    xml_elem(b, 8, "oper-status", ifd_up(d) ? "up" : "down");
    if (!terse) {
        if (d->description)
            xml_elem(b, 8, "description", d->description);
        buf_puts(b, "        <if-device-flags>\n");
        if (d->kind != IFK_ETH || d->port)
            buf_puts(b, "            <ifdf-present/>\n");
        buf_puts(b, ifd_up(d) ? "            <ifdf-running/>\n" : "            <ifdf-down/>\n");
        buf_puts(b, "        </if-device-flags>\n");
        xml_elem(b, 8, "link-level-type", link_type(d));
        xml_elemf(b, 8, "mtu", "%u", media_mtu(d));
        if (d->kind == IFK_ETH)
            xml_elem(b, 8, "speed", "1000mbps");
        if (d->port) {
            const uint8_t *m = d->port->mac;
            snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                     m[4], m[5]);
            xml_elem(b, 8, "current-physical-address", mac);
            xml_elem(b, 8, "hardware-physical-address", mac);
        }
        put_stats(b, fw, d);
    }
    for (size_t k = 0; k < d->nunits; k++)
        if (unit == NULL || strcmp(unit, d->units[k].name) == 0)
            put_unit(b, terse, &d->units[k]);
    buf_puts(b, "    </physical-interface>\n");
}

void show_interfaces(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const char *name = dmn_rpc_arg(a, "interface-name");
    int terse = dmn_rpc_arg(a, "terse") != NULL;
    const struct gen *g = fw->cur;
    const struct ifd **v = calloc(g->nifds + 1, sizeof(*v));
    char phys[FWD_IFNAMELEN] = "";
    const char *unit = NULL;
    size_t n = 0;
    struct buf b;

    if (v == NULL)
        return;
    if (name) {
        snprintf(phys, sizeof(phys), "%s", name);
        if (strchr(phys, '.')) {
            *strchr(phys, '.') = '\0';
            unit = name;
        }
    }
    for (size_t i = 0; i < g->nifds; i++)
        if (name == NULL || strcmp(g->ifds[i].name, phys) == 0)
            v[n++] = &g->ifds[i];
    if (name && (n == 0 || (unit && gen_unit(g, unit) == NULL))) {
        free(v);
        rpc_error(fw, id, "device %s not found", name);
        return;
    }
    qsort(v, n, sizeof(*v), ifd_cmp);
    buf_init(&b);
    buf_printf(&b, "<interface-information junos:style=\"%s\">\n", terse ? "terse" : "normal");
    for (size_t i = 0; i < n; i++)
        put_ifd(&b, fw, v[i], terse, unit);
    buf_puts(&b, "</interface-information>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
    free(v);
}
