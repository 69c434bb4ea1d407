/*
 * show_misc.c: the smaller operational requests (rpc.h):
 *   get-arp-table-information    arp-table-entry: mac-address, ip-address,
 *                                hostname, interface-name, arp-entry-count
 *   get-chassis-inventory        chassis with one chassis-module per FPC
 *                                and one chassis-sub-module per PIC; a
 *                                service PIC is "MS-MPC-PIC" and names its
 *                                interface (interface-name, an OpenSG
 *                                addition)
 *   get-service-set-summary-information   one entry per service PIC: the
 *                                service sets it serves (its own, and
 *                                those of a bundle it is a member of),
 *                                the bytes fwdd holds for them and for
 *                                the tunnels it owns, its worker's CPU
 * (the IPsec statistics are show_ipsec.c's)
 */
#include "rpc.h"
#include "arp.h"
#include "crypto/esp.h"
#include "pic.h"
#include "svc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void show_arp(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    struct buf b;
    size_t total = 0;

    (void)a;
    buf_init(&b);
    buf_puts(&b, "<arp-table-information junos:style=\"normal\">\n");
    for (size_t i = 0; i < fw->nports; i++) {
        struct port *p = fw->ports[i];
        struct unit *u = fw->cur->port_unit[p->index];
        struct arp_view *v;
        size_t n = arp_list(p, &v);
        char unit[FWD_UNITNAMELEN + 2];

        snprintf(unit, sizeof(unit), "%s", u ? u->name : p->name);
        for (size_t k = 0; k < n; k++) {
            char mac[18], ip[INET_ADDRSTRLEN];
            struct addr x;
            if (!v[k].resolved)
                continue;
            addr_set_v4(&x, v[k].ip, 32);
            addr_str(&x, ip, sizeof(ip));
            snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", v[k].mac[0], v[k].mac[1],
                     v[k].mac[2], v[k].mac[3], v[k].mac[4], v[k].mac[5]);
            buf_puts(&b, "    <arp-table-entry>\n");
            xml_elem(&b, 8, "mac-address", mac);
            xml_elem(&b, 8, "ip-address", ip);
            xml_elem(&b, 8, "hostname", ip);
            xml_elem(&b, 8, "interface-name", unit);
            buf_puts(&b, "        <arp-table-entry-flags>\n            <none/>\n"
                         "        </arp-table-entry-flags>\n    </arp-table-entry>\n");
            total++;
        }
        free(v);
    }
    xml_elemf(&b, 4, "arp-entry-count", "%zu", total);
    buf_puts(&b, "</arp-table-information>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
}

static const char *pic_description(const struct ifd *d)
{
    if (d->kind == IFK_MS || d->kind == IFK_MAMS)
        return "MS-MPC-PIC";
    if (strncmp(d->name, "xe-", 3) == 0)
        return "10x 10GE SFPP";
    if (strncmp(d->name, "et-", 3) == 0)
        return "2x 100GE CFP2";
    return "10x 1GE(LAN) SFP";
}

static int is_module(const struct ifd *d)
{
    return d->fpc >= 0 && d->pic >= 0 &&
           (d->kind == IFK_ETH || d->kind == IFK_MS || d->kind == IFK_MAMS);
}

/* One chassis-sub-module per (FPC, PIC); services PICs list their ms- names. */
static void put_fpc(struct buf *b, const struct gen *g, int fpc)
{
    int ms = 0;

    for (size_t i = 0; i < g->nifds; i++)
        if (is_module(&g->ifds[i]) && g->ifds[i].fpc == fpc &&
            (g->ifds[i].kind == IFK_MS || g->ifds[i].kind == IFK_MAMS))
            ms = 1;
    buf_puts(b, "        <chassis-module>\n");
    xml_elemf(b, 12, "name", "FPC %d", fpc);
    xml_elem(b, 12, "description", ms ? "MS-MPC" : "MPC Type 2 3D");
    for (int pic = 0; pic < 16; pic++) {
        const struct ifd *first = NULL;
        for (size_t i = 0; i < g->nifds; i++) {
            const struct ifd *d = &g->ifds[i];
            if (!is_module(d) || d->fpc != fpc || d->pic != pic)
                continue;
            if (first == NULL) {
                first = d;
                buf_puts(b, "            <chassis-sub-module>\n");
                xml_elemf(b, 16, "name", "PIC %d", pic);
                xml_elem(b, 16, "description", pic_description(d));
            }
            if (d->kind == IFK_MS || d->kind == IFK_MAMS)
                xml_elem(b, 16, "interface-name", d->name);
        }
        if (first)
            buf_puts(b, "            </chassis-sub-module>\n");
    }
    buf_puts(b, "        </chassis-module>\n");
}

/* The chassis serial number: the host's machine id (12 hex digits,
 * upper case), stable across restarts; PyEZ and Ansible read it as a fact. */
static const char *chassis_serial(void)
{
    static char serial[16];
    char id[64] = "";
    FILE *f = fopen("/etc/machine-id", "r");
    size_t n = 0;

    if (f) {
        if (fgets(id, sizeof(id), f) == NULL)
            id[0] = '\0';
        fclose(f);
    }
    for (const char *p = id; *p && n < 12; p++)
        if (isxdigit((unsigned char)*p))
            serial[n++] = (char)toupper((unsigned char)*p);
    if (n < 12)
        snprintf(serial, sizeof(serial), "OPENSG000001");
    else
        serial[n] = '\0';
    return serial;
}

void show_chassis(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const struct gen *g = fw->cur;
    struct buf b;

    (void)a;
    buf_init(&b);
    buf_puts(&b, "<chassis-inventory>\n    <chassis junos:style=\"inventory\">\n");
    xml_elem(&b, 8, "name", "Chassis");
    xml_elem(&b, 8, "serial-number", chassis_serial());
    xml_elem(&b, 8, "description", "MX480 (OpenSG)");
    for (int fpc = 0; fpc < 64; fpc++) {
        int present = 0;
        for (size_t i = 0; i < g->nifds && !present; i++)
            present = is_module(&g->ifds[i]) && g->ifds[i].fpc == fpc;
        if (present)
            put_fpc(&b, g, fpc);
    }
    buf_puts(&b, "    </chassis>\n</chassis-inventory>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
}

#define PIC_MEMORY (4ull << 30) /* a simulated PIC's service-set memory */

/* Whether PIC p serves service set ss: its own, or on a bundle it is a
 * member of. */
static int serves(const struct pic *p, const struct service_set *ss)
{
    if (ss->pic == p)
        return 1;
    for (size_t m = 0; ss->bundle && m < ss->bundle->nmembers; m++)
        if (ss->bundle->members[m] == p)
            return 1;
    return 0;
}

/* What fwdd holds for PIC p (its own allocations, not OpenSSL's contexts):
 * each service set it serves, and the tunnels its worker owns with their
 * SAs (bytes), static rule terms and kmd's rules of those tunnels (policy). */
static void pic_memory(struct fwdd *fw, const struct pic *p, size_t *nsets, uint64_t *bytes,
                       uint64_t *policy)
{
    const struct svc *s = fw->cur->svc;

    *nsets = 0;
    *bytes = *policy = 0;
    for (size_t k = 0; k < s->nsets; k++) {
        const struct service_set *ss = &s->sets[k];
        if (!serves(p, ss))
            continue;
        (*nsets)++;
        *bytes += sizeof(struct service_set) + sizeof(struct ss_rt);
        for (size_t r = 0; r < ss->nrules; r++)
            *policy += sizeof(struct ss_rule) + ss->rules[r]->nterms * sizeof(struct ss_term);
        for (const struct tunnel *t = ss->rt->tunnels; t; t = t->next) {
            if (t->w != p->w)
                continue;
            *bytes += sizeof(*t);
            for (const struct ipsec_sa *sa = t->sas; sa; sa = sa->tnext)
                *bytes += sizeof(*sa) + (sa->win != &sa->win1 ? sa->win_bits / 8 : 0) +
                          (sa->sel.nsrc + sa->sel.ndst) * sizeof(struct addr) +
                          (sa->xf ? esp_xform_size(sa->xf) : 0) + ah_sa_size(sa);
            if (!t->manual && dynrule_of_tunnel(ss->rt, t->index))
                *policy += sizeof(struct dyn_rule);
        }
    }
}

void show_ss_summary(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const char *name = dmn_rpc_arg(a, "interface");
    const struct svc *s = fw->cur->svc;
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "<service-set-summary-information>\n");
    for (size_t i = 0; i < s->npics; i++) {
        const struct pic *p = &s->pics[i];
        uint64_t bytes, policy;
        size_t nsets;
        if (name && strcmp(name, p->name) != 0)
            continue;
        pic_memory(fw, p, &nsets, &bytes, &policy);
        buf_puts(&b, "    <service-set-summary-information-entry>\n");
        xml_elem(&b, 8, "interface-name", p->name);
        buf_puts(&b, "        <service-set-service-type-entry>\n");
        xml_elemf(&b, 12, "service-sets-configured", "%zu", nsets);
        xml_elemf(&b, 12, "service-set-bytes-used", "%llu", (unsigned long long)bytes);
        xml_elemf(&b, 12, "service-set-percent-bytes-used", "%.2f",
                  (double)bytes * 100.0 / (double)PIC_MEMORY);
        xml_elemf(&b, 12, "service-set-policy-bytes-used", "%llu", (unsigned long long)policy);
        xml_elemf(&b, 12, "service-set-percent-policy-bytes-used", "%.2f",
                  (double)policy * 100.0 / (double)PIC_MEMORY);
        /* the worker thread's CPU time over the last second (pic.h) */
        xml_elemf(&b, 12, "service-set-cpu-utilization", "%.2f %%", p->w ? p->w->util : 0.0);
        /* an OpenSG addition: the worker's CPU time so far, in nanoseconds */
        xml_elemf(&b, 12, "service-set-cpu-time", "%llu",
                  (unsigned long long)(p->w ? atomic_load(&p->w->cpu_ns) : 0));
        buf_puts(&b, "        </service-set-service-type-entry>\n");
        buf_puts(&b, "    </service-set-summary-information-entry>\n");
    }
    buf_puts(&b, "</service-set-summary-information>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
}
