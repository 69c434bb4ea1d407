/*
 * render_ipsec.c: the IPsec replies of `show services ipsec-vpn ipsec`:
 *
 * security-associations (services-security-associations-information,
 * answered by kmd), reference/junos.md 4.2: per service set
 *
 *   Service set: SG1, IKE Routing-instance: default
 *   <blank>
 *     Rule: dyn-peers, Term: 1, Tunnel index: 1
 *     Local gateway: 203.0.113.1, Remote gateway: 198.51.100.7
 *     IPSec inside interface: ms-1/0/0.1
 *       Direction SPI         AUX-SPI     Mode       Type     Protocol
 *       inbound   3991417868  0           tunnel     dynamic  ESP
 *
 * and in the detail form, after the tunnel's `Tunnel MTU`, `UDP
 * encapsulate` and identity lines, one block of six lines per direction
 * (`Direction: inbound, SPI: ..., AUX-SPI: 0`, ..., `Anti-replay service:
 * Enabled, Replay window size: 64`), each after a blank line.  The detail
 * form is chosen by the reply's junos:style (detail, extensive), or, in a
 * reply without one, when it carries an element that only the detail form
 * shows (sa-tunnel-mtu, sa-soft-lifetime, ...): the renderer sees the
 * reply, not the command line.
 *
 * statistics (ipsec-total-statistics-information, answered by fwdd),
 * junos.md 4.4: `PIC: ms-1/0/0, Service set: SG1`, then per tunnel `Local
 * gateway: ..., Remote gateway: ..., Tunnel index: N` and the ESP, AH and
 * error counters, numbers right-aligned 34 columns after their indent.
 * The block element names are OpenSG's (docs/cli.md); counters directly
 * under the root (SRX's shape) print the same groups unindented.
 *
 * Fields print only when the XML carries them; state words are
 * capitalized (installed -> Installed) as in junos.md's layouts.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <ctype.h>
#include <string.h>

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

struct field {
    const char *label, *elem;
    int cap; /* capitalize the value's first letter */
};

/* indent, then "Label: value" of the children present joined by ", ", and
 * a newline; nothing when none is present. */
static void fields(struct buf *b, const char *indent, xmlNodePtr n, const struct field *f,
                   size_t nf)
{
    char v[256];
    int k = 0;

    for (size_t i = 0; i < nf; i++) {
        if (!*xtext(n, f[i].elem, v, sizeof(v)))
            continue;
        if (f[i].cap)
            v[0] = (char)toupper((unsigned char)v[0]);
        buf_printf(b, "%s%s: %s", k++ ? ", " : indent, f[i].label, v);
    }
    if (k)
        buf_putc(b, '\n');
}

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* A blank line unless nothing has been printed yet. */
static void blank(struct buf *b)
{
    if (b->len)
        buf_putc(b, '\n');
}

/* ---- security associations ---- */

static const char *const detail_only[] = {
    "sa-tunnel-mtu",
    "sa-udp-encapsulate",
    "sa-local-identity",
    "sa-remote-identity",
    "sa-state",
    "sa-authentication-algorithm",
    "sa-encryption-algorithm",
    "sa-soft-lifetime",
    "sa-hard-lifetime",
    "sa-anti-replay-service",
    "sa-replay-window-size",
    NULL,
};

static void tunnel(struct buf *b, xmlNodePtr t)
{
    static const struct field rule[] = {{"Rule", "sa-rule-name", 0},
                                        {"Term", "sa-term-name", 0},
                                        {"Tunnel index", "sa-tunnel-index", 0}};
    static const struct field gw[] = {{"Local gateway", "sa-local-gateway", 0},
                                      {"Remote gateway", "sa-remote-gateway", 0}};
    static const struct field ifl[] = {{"IPSec inside interface", "sa-inside-interface", 0},
                                       {"Tunnel MTU", "sa-tunnel-mtu", 0}};
    static const struct field udp[] = {{"UDP encapsulate", "sa-udp-encapsulate", 0},
                                       {"UDP Destination port", "sa-udp-dst-port", 0}};
    static const struct field lid[] = {{"Local identity", "sa-local-identity", 0}};
    static const struct field rid[] = {{"Remote identity", "sa-remote-identity", 0}};

    blank(b);
    fields(b, "  ", t, rule, NF(rule));
    fields(b, "  ", t, gw, NF(gw));
    fields(b, "  ", t, ifl, NF(ifl));
    fields(b, "  ", t, udp, NF(udp));
    fields(b, "  ", t, lid, NF(lid));
    fields(b, "  ", t, rid, NF(rid));
}

static void sa_detail(struct buf *b, xmlNodePtr s)
{
    static const struct field dir[] = {
        {"Direction", "sa-direction", 0}, {"SPI", "sa-spi", 0}, {"AUX-SPI", "sa-aux-spi", 0}};
    static const struct field mode[] = {
        {"Mode", "sa-mode", 0}, {"Type", "sa-type", 0}, {"State", "sa-state", 1}};
    static const struct field proto[] = {{"Protocol", "sa-protocol", 0},
                                         {"Authentication", "sa-authentication-algorithm", 0},
                                         {"Encryption", "sa-encryption-algorithm", 0}};
    static const struct field soft[] = {{"Soft lifetime", "sa-soft-lifetime", 0}};
    static const struct field hard[] = {{"Hard lifetime", "sa-hard-lifetime", 0}};
    static const struct field replay[] = {{"Anti-replay service", "sa-anti-replay-service", 1},
                                          {"Replay window size", "sa-replay-window-size", 0}};

    blank(b);
    fields(b, "    ", s, dir, NF(dir));
    fields(b, "    ", s, mode, NF(mode));
    fields(b, "    ", s, proto, NF(proto));
    fields(b, "    ", s, soft, NF(soft));
    fields(b, "    ", s, hard, NF(hard));
    fields(b, "    ", s, replay, NF(replay));
}

static void sa_row(struct buf *b, xmlNodePtr s, int *header)
{
    char dir[32], spi[32], aux[32], mode[32], type[32], proto[32];

    if (!*header)
        buf_puts(b, "    Direction SPI         AUX-SPI     Mode       Type     Protocol\n");
    *header = 1;
    xtext(s, "sa-direction", dir, sizeof(dir));
    xtext(s, "sa-spi", spi, sizeof(spi));
    xtext(s, "sa-aux-spi", aux, sizeof(aux));
    xtext(s, "sa-mode", mode, sizeof(mode));
    xtext(s, "sa-type", type, sizeof(type));
    xtext(s, "sa-protocol", proto, sizeof(proto));
    buf_printf(b, "    %-9s %-11s %-11s %-10s %-8s %s\n", dir, spi, aux, mode, type, proto);
}

/* The tunnels and SAs under n (a block, or a tunnel holding its SAs). */
static void sa_children(struct buf *b, xmlNodePtr n, int detail, int *header)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (is(c, "sa-tunnel-information")) {
            tunnel(b, c);
            *header = 0;
            sa_children(b, c, detail, header);
        } else if (is(c, "security-associations")) {
            if (detail)
                sa_detail(b, c);
            else
                sa_row(b, c, header);
        }
    }
}

void render_services_security_associations_information(xmlNodePtr n, struct pipeline *pl)
{
    static const struct field set[] = {
        {"Service set", "svc-set-name", 0},
        {"IKE Routing-instance", "outside-service-interface-routing-instance", 0}};
    int detail = render_detail_form(n, detail_only, 4), header;
    struct buf b;

    buf_init(&b);
    for (xmlNodePtr blk = n->children; blk; blk = blk->next) {
        if (!is(blk, "services-security-associations-block"))
            continue;
        blank(&b);
        fields(&b, "", blk, set, NF(set));
        header = 0;
        sa_children(&b, blk, detail, &header);
    }
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}

/* ---- statistics ---- */

struct counter {
    const char *label, *elem;
};

/* "Label:" at indent, the value right-aligned 34 columns further. */
static void counters(struct buf *b, int indent, xmlNodePtr g, const char *title,
                     const struct counter *c, size_t nc)
{
    char v[32];

    if (g == NULL)
        return;
    buf_indent(b, indent);
    buf_printf(b, "%s\n", title);
    for (size_t i = 0; i < nc; i++) {
        if (!*xtext(g, c[i].elem, v, sizeof(v)))
            continue;
        buf_indent(b, indent + 2);
        buf_printf(b, "%s:%*s\n", c[i].label, 33 - (int)strlen(c[i].label), v);
    }
}

static void stat_groups(struct buf *b, xmlNodePtr n, int indent)
{
    static const struct counter esp[] = {{"Encrypted bytes", "esp-encrypted-bytes"},
                                         {"Decrypted bytes", "esp-decrypted-bytes"},
                                         {"Encrypted packets", "esp-encrypted-packets"},
                                         {"Decrypted packets", "esp-decrypted-packets"}};
    static const struct counter ah[] = {{"Input bytes", "ah-input-bytes"},
                                        {"Output bytes", "ah-output-bytes"},
                                        {"Input packets", "ah-input-packets"},
                                        {"Output packets", "ah-output-packets"}};
    static const struct field e1[] = {
        {"AH authentication failures", "ah-authentication-failures", 0},
        {"Replay errors", "replay-errors", 0}};
    static const struct field e2[] = {
        {"ESP authentication failures", "esp-authentication-failures", 0},
        {"ESP decryption failures", "esp-decryption-failures", 0}};
    static const struct field e3[] = {{"Bad headers", "bad-headers", 0},
                                      {"Bad trailers", "bad-trailers", 0}};
    xmlNodePtr err = xchild(n, "error-statistics");
    char pad[16];

    counters(b, indent, xchild(n, "esp-statistics"), "ESP Statistics:", esp, NF(esp));
    counters(b, indent, xchild(n, "ah-statistics"), "AH Statistics:", ah, NF(ah));
    if (err == NULL)
        return;
    snprintf(pad, sizeof(pad), "%*s", indent + 2, "");
    buf_indent(b, indent);
    buf_puts(b, "Errors:\n");
    fields(b, pad, err, e1, NF(e1));
    fields(b, pad, err, e2, NF(e2));
    fields(b, pad, err, e3, NF(e3));
}

void render_ipsec_total_statistics_information(xmlNodePtr n, struct pipeline *pl)
{
    static const struct field pic[] = {{"PIC", "interface-name", 0},
                                       {"Service set", "svc-set-name", 0}};
    static const struct field gw[] = {{"Local gateway", "sa-local-gateway", 0},
                                      {"Remote gateway", "sa-remote-gateway", 0},
                                      {"Tunnel index", "sa-tunnel-index", 0}};
    struct buf b;

    buf_init(&b);
    stat_groups(&b, n, 0);
    for (xmlNodePtr blk = n->children; blk; blk = blk->next) {
        if (!is(blk, "ipsec-statistics-block"))
            continue;
        blank(&b);
        fields(&b, "", blk, pic, NF(pic));
        for (xmlNodePtr t = blk->children; t; t = t->next) {
            if (!is(t, "ipsec-tunnel-statistics"))
                continue;
            blank(&b);
            fields(&b, "  ", t, gw, NF(gw));
            stat_groups(&b, t, 4);
        }
    }
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}
