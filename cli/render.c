/*
 * render.c: one renderer per reply element, chosen by the element's name
 * (the o:reply of schema/op).  Layouts: junos.md 5.4 (show system commit),
 * Junos's public show version / show system users / show system uptime
 * outputs (FreeBSD `w` style header).  Text replies (<output>,
 * configuration-text/-set/-json, rollback-information) print as they are.
 * A reply this CLI does not know prints as XML, so nothing is lost.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Is n (or a descendant down to maxdepth) one of names? */
static int has_element(xmlNodePtr n, const char *const *names, int depth, int maxdepth)
{
    for (xmlNodePtr c = n->children; c && depth < maxdepth; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; names[i]; i++)
            if (strcmp((const char *)c->name, names[i]) == 0)
                return 1;
        if (has_element(c, names, depth + 1, maxdepth))
            return 1;
    }
    return 0;
}

int render_detail_form(xmlNodePtr n, const char *const *detail_only, int maxdepth)
{
    xmlChar *style = xmlGetProp(n, (const xmlChar *)"style");
    int d;

    if (style == NULL)
        return has_element(n, detail_only, 0, maxdepth);
    d = !strcmp((const char *)style, "detail") || !strcmp((const char *)style, "extensive");
    xmlFree(style);
    return d;
}

static void text_child(xmlNodePtr n, struct pipeline *pl)
{
    char *t = xcontent(n);

    pl_puts(pl, t);
    free(t);
}

/* file list: the directory, then one name a line */
static void directory_list(xmlNodePtr n, struct pipeline *pl)
{
    for (xmlNodePtr d = n->children; d; d = d->next) {
        if (d->type != XML_ELEMENT_NODE || strcmp((const char *)d->name, "directory") != 0)
            continue;
        for (xmlNodePtr f = d->children; f; f = f->next) {
            char *t;
            if (f->type != XML_ELEMENT_NODE)
                continue;
            if (strcmp((const char *)f->name, "directory-name") == 0) {
                t = xcontent(f);
                pl_puts(pl, *t ? t : "./");
                pl_puts(pl, ":\n");
                free(t);
            } else if (strcmp((const char *)f->name, "file-information") == 0) {
                for (xmlNodePtr x = f->children; x; x = x->next)
                    if (x->type == XML_ELEMENT_NODE &&
                        strcmp((const char *)x->name, "file-name") == 0) {
                        t = xcontent(x);
                        pl_puts(pl, t);
                        pl_puts(pl, "\n");
                        free(t);
                    }
            }
        }
    }
}

static void commit_information(xmlNodePtr n, struct pipeline *pl)
{
    struct buf b;
    char seq[32], user[128], client[64], when[64], comment[256], log[1024], pending[128];

    buf_init(&b);
    for (xmlNodePtr h = n->children; h; h = h->next) {
        if (h->type != XML_ELEMENT_NODE || strcmp((const char *)h->name, "commit-history"))
            continue;
        xtext(h, "sequence-number", seq, sizeof(seq));
        xtext(h, "user", user, sizeof(user));
        xtext(h, "client", client, sizeof(client));
        xtext(h, "date-time", when, sizeof(when));
        xtext(h, "comment", comment, sizeof(comment));
        xtext(h, "log", log, sizeof(log));
        xtext(h, "commit-confirmed", pending, sizeof(pending));
        buf_printf(&b, "%-4s%s by %s via %s", seq, when, user, client);
        if (*comment)
            buf_printf(&b, " %s", comment);
        buf_putc(&b, '\n');
        if (*log)
            buf_printf(&b, "    %s\n", log);
        if (*pending)
            buf_printf(&b, "    %s\n", pending);
    }
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}

static void software_information(xmlNodePtr n, struct pipeline *pl)
{
    struct buf b;
    char v[512];

    buf_init(&b);
    if (*xtext(n, "host-name", v, sizeof(v)))
        buf_printf(&b, "Hostname: %s\n", v);
    if (*xtext(n, "product-model", v, sizeof(v)))
        buf_printf(&b, "Model: %s\n", v);
    if (*xtext(n, "junos-version", v, sizeof(v)))
        buf_printf(&b, "Junos: %s\n", v);
    for (xmlNodePtr p = n->children; p; p = p->next)
        if (p->type == XML_ELEMENT_NODE &&
            strcmp((const char *)p->name, "package-information") == 0 &&
            *xtext(p, "comment", v, sizeof(v)))
            buf_printf(&b, "%s\n", v);
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}

/* FreeBSD w(1): " 7:32AM  up 2 days,  3:04, 1 user, load averages: ..." */
static void w_header(struct buf *b, long long now, long long up, int users, xmlNodePtr n)
{
    char t[32], l1[32], l5[32], l15[32];
    time_t tt = (time_t)now;
    long long days, hrs, mins, secs;

    strftime(t, sizeof(t), "%l:%M%p", localtime(&tt));
    buf_printf(b, "%s  up", t);
    if (up > 60)
        up += 30;
    days = up / 86400;
    hrs = up % 86400 / 3600;
    mins = up % 3600 / 60;
    secs = up % 60;
    if (days > 0)
        buf_printf(b, " %lld day%s,", days, days > 1 ? "s" : "");
    if (hrs > 0 && mins > 0)
        buf_printf(b, " %2lld:%02lld,", hrs, mins);
    else if (hrs > 0)
        buf_printf(b, " %lld hr%s,", hrs, hrs > 1 ? "s" : "");
    else if (mins > 0)
        buf_printf(b, " %lld min%s,", mins, mins > 1 ? "s" : "");
    else if (days == 0)
        buf_printf(b, " %lld sec%s,", secs, secs == 1 ? "" : "s");
    buf_printf(b, " %d user%s", users, users == 1 ? "" : "s");
    if (*xtext(n, "load-average-1", l1, sizeof(l1)) &&
        *xtext(n, "load-average-5", l5, sizeof(l5)) &&
        *xtext(n, "load-average-15", l15, sizeof(l15)))
        buf_printf(b, ", load averages: %s, %s, %s", l1, l5, l15);
    buf_putc(b, '\n');
}

/* FreeBSD w(1) login time: today "7:32AM", this week "Thu02AM", else "29Nov26". */
static void login_time(char *out, size_t len, long long when, long long now)
{
    time_t t = (time_t)when;
    const char *fmt = "%l:%M%p";

    if (now - when > 86400 * 7)
        fmt = "%d%b%y";
    else if (now / 86400 != when / 86400)
        fmt = "%a%I%p";
    strftime(out, len, fmt, localtime(&t));
}

static void idle_time(char *out, size_t len, long long idle)
{
    if (idle >= 36 * 3600)
        snprintf(out, len, " %lldday%s ", idle / 86400, idle / 86400 > 1 ? "s" : "");
    else if (idle >= 3600)
        snprintf(out, len, " %2lld:%02lld ", idle / 3600, idle % 3600 / 60);
    else if (idle / 60 == 0)
        snprintf(out, len, "     - ");
    else
        snprintf(out, len, "    %2lld ", idle / 60);
}

static void users_information(xmlNodePtr n, struct pipeline *pl)
{
    xmlNodePtr u = xchild(n, "uptime-information"), tab;
    long long now = xseconds(xchild(u, "date-time"));
    char v[64], user[64], tty[64], from[256], what[256], login[32], idle[32];
    struct buf b;

    if (u == NULL)
        return;
    buf_init(&b);
    w_header(&b, now, xseconds(xchild(u, "up-time")),
             atoi(xtext(u, "active-user-count", v, sizeof(v))), u);
    buf_printf(&b, "%-8s %-8s %-32s  LOGIN@  IDLE WHAT\n", "USER", "TTY", "FROM");
    tab = xchild(u, "user-table");
    for (xmlNodePtr e = tab ? tab->children : NULL; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE || strcmp((const char *)e->name, "user-entry"))
            continue;
        xtext(e, "user", user, sizeof(user));
        xtext(e, "tty", tty, sizeof(tty));
        xtext(e, "from", from, sizeof(from));
        xtext(e, "command", what, sizeof(what));
        login_time(login, sizeof(login), xseconds(xchild(e, "login-time")), now);
        idle_time(idle, sizeof(idle), xseconds(xchild(e, "idle-time")));
        buf_printf(&b, "%-8.8s %-8.8s %-32.32s %-7.7s%s%s\n", user, tty, from, login, idle, what);
    }
    pl_puts(pl, b.s);
    buf_free(&b);
}

void fmt_ago(char *out, size_t len, long long s)
{
    if (s < 0)
        s = 0;
    if (s >= 604800)
        snprintf(out, len, "%lldw%lldd %02lld:%02lld", s / 604800, s % 604800 / 86400,
                 s % 86400 / 3600, s % 3600 / 60);
    else if (s >= 86400)
        snprintf(out, len, "%lldd %02lld:%02lld", s / 86400, s % 86400 / 3600, s % 3600 / 60);
    else
        snprintf(out, len, "%02lld:%02lld:%02lld", s / 3600, s % 3600 / 60, s % 60);
}

/* "Label: DATE (LENGTH ago)" of show system uptime. */
static void uptime_line(struct buf *b, const char *label, xmlNodePtr n, long long now)
{
    char when[64], ago[64], user[64];
    xmlNodePtr len = xchild(n, "time-length");
    long long s = len ? xseconds(len) : now - xseconds(xchild(n, "date-time"));

    if (n == NULL)
        return;
    xtext(n, "date-time", when, sizeof(when));
    fmt_ago(ago, sizeof(ago), s);
    buf_printf(b, "%s: %s (%s ago)", label, when, ago);
    if (*xtext(n, "user", user, sizeof(user)))
        buf_printf(b, " by %s", user);
    buf_putc(b, '\n');
}

static void uptime_information(xmlNodePtr n, struct pipeline *pl)
{
    xmlNodePtr cur = xchild(n, "current-time"), u = xchild(n, "uptime-information");
    long long now = xseconds(xchild(cur, "date-time"));
    char v[128];
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "Current time: %s\n", xtext(cur, "date-time", v, sizeof(v)));
    if (*xtext(n, "time-source", v, sizeof(v)))
        buf_printf(&b, "Time Source:  %s\n", v);
    uptime_line(&b, "System booted", xchild(n, "system-booted-time"), now);
    uptime_line(&b, "Protocols started", xchild(n, "protocols-started-time"), now);
    uptime_line(&b, "Last configured", xchild(n, "last-configured-time"), now);
    if (u)
        w_header(&b, now, xseconds(xchild(u, "up-time")),
                 atoi(xtext(u, "active-user-count", v, sizeof(v))), u);
    pl_puts(pl, b.s);
    buf_free(&b);
}

static void rollback_information(xmlNodePtr n, struct pipeline *pl)
{
    xmlNodePtr ci = xchild(n, "configuration-information");
    xmlNodePtr out = xchild(ci, "configuration-output");

    if (out)
        text_child(out, pl);
}

static void unknown(xmlNodePtr n, struct pipeline *pl)
{
    struct buf b;

    buf_init(&b);
    xml_display(&b, n, NULL);
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}

/* The replies of fwdd and kmd (render_*.c, docs/cli.md). */
void render_route_information(xmlNodePtr n, struct pipeline *pl);
void render_interface_information(xmlNodePtr n, struct pipeline *pl);
void render_arp_table_information(xmlNodePtr n, struct pipeline *pl);
void render_chassis_inventory(xmlNodePtr n, struct pipeline *pl);
void render_route_engine_information(xmlNodePtr n, struct pipeline *pl);
void render_ping_results(xmlNodePtr n, struct pipeline *pl);
void render_traceroute_results(xmlNodePtr n, struct pipeline *pl);
void render_service_set_summary_information(xmlNodePtr n, struct pipeline *pl);
void render_ipsec_total_statistics_information(xmlNodePtr n, struct pipeline *pl);
void render_services_security_associations_information(xmlNodePtr n, struct pipeline *pl);
void render_ike_security_associations_information(xmlNodePtr n, struct pipeline *pl);
void render_ike_negotiation_failures_information(xmlNodePtr n, struct pipeline *pl);

static const struct {
    const char *name;
    void (*fn)(xmlNodePtr, struct pipeline *);
} renderers[] = {
    {"output", text_child},
    {"configuration-text", text_child},
    {"configuration-set", text_child},
    {"configuration-json", text_child},
    {"file-content", text_child},
    {"directory-list", directory_list},
    {"commit-information", commit_information},
    {"software-information", software_information},
    {"system-users-information", users_information},
    {"system-uptime-information", uptime_information},
    {"rollback-information", rollback_information},
    {"route-information", render_route_information},
    {"interface-information", render_interface_information},
    {"arp-table-information", render_arp_table_information},
    {"chassis-inventory", render_chassis_inventory},
    {"route-engine-information", render_route_engine_information},
    {"ping-results", render_ping_results},
    {"traceroute-results", render_traceroute_results},
    {"service-set-summary-information", render_service_set_summary_information},
    {"ipsec-total-statistics-information", render_ipsec_total_statistics_information},
    {"services-security-associations-information",
     render_services_security_associations_information},
    {"ike-security-associations-information", render_ike_security_associations_information},
    {"ike-negotiation-failures-information", render_ike_negotiation_failures_information},
};

/* Elements of the configuration-mode protocol, not output. */
static int control(const char *name)
{
    return !strcmp(name, "edit-path") || !strcmp(name, "error-column") ||
           !strcmp(name, "confirm") || !strcmp(name, "mode") || !strcmp(name, "error");
}

void render_reply(xmlNodePtr reply, struct pipeline *pl)
{
    for (xmlNodePtr c = reply ? reply->children : NULL; c; c = c->next) {
        size_t i;
        if (c->type != XML_ELEMENT_NODE || control((const char *)c->name))
            continue;
        for (i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
            if (strcmp((const char *)c->name, renderers[i].name) == 0)
                break;
        if (i < sizeof(renderers) / sizeof(renderers[0]))
            renderers[i].fn(c, pl);
        else
            unknown(c, pl);
    }
}
