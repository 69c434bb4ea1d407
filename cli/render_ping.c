/*
 * render_ping.c: the final replies of `ping` (ping-results) and
 * `traceroute` (traceroute-results), answered by fwdd.  Their per-probe
 * lines arrive before, as stream chunks (IPC_REPLY_CHUNK), and exec.c
 * prints them as they come; the reply adds what Junos prints at the end:
 *
 *   <blank>
 *   --- 10.1.1.1 ping statistics ---
 *   3 packets transmitted, 3 packets received, 0% packet loss
 *   round-trip min/avg/max/stddev = 0.298/0.337/0.412/0.051 ms
 *
 * The host is target-host as typed (else target-ip); the round-trip line
 * only when something answered, from the rtt-* elements in microseconds.
 * The leading newline also ends rapid ping's line of `!`.  Junos prints
 * nothing after the hops of a traceroute: traceroute-results prints
 * nothing.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <stdlib.h>
#include <string.h>

static int has(xmlNodePtr n, const char *name, char *v, size_t len)
{
    return *xtext(n, name, v, len) != '\0';
}

void render_ping_results(xmlNodePtr n, struct pipeline *pl)
{
    xmlNodePtr s = xchild(n, "probe-results-summary");
    char host[256], sent[32], recv[32], loss[32], mn[32], av[32], mx[32], sd[32];
    struct buf b;

    if (!has(n, "target-host", host, sizeof(host)))
        xtext(n, "target-ip", host, sizeof(host));
    if (!has(s, "probes-sent", sent, sizeof(sent)))
        snprintf(sent, sizeof(sent), "0");
    if (!has(s, "responses-received", recv, sizeof(recv)))
        snprintf(recv, sizeof(recv), "0");
    if (!has(s, "packet-loss", loss, sizeof(loss)))
        snprintf(loss, sizeof(loss), "%lld",
                 atoll(sent) > 0 ? (atoll(sent) - atoll(recv)) * 100 / atoll(sent) : 0);
    buf_init(&b);
    buf_printf(&b, "\n--- %s ping statistics ---\n", host);
    buf_printf(&b, "%s packets transmitted, %s packets received, %s%% packet loss\n", sent, recv,
               loss);
    if (atoll(recv) > 0 && has(s, "rtt-minimum", mn, sizeof(mn)) &&
        has(s, "rtt-average", av, sizeof(av)) && has(s, "rtt-maximum", mx, sizeof(mx))) {
        if (has(s, "rtt-stddev", sd, sizeof(sd)))
            buf_printf(&b, "round-trip min/avg/max/stddev = %.3f/%.3f/%.3f/%.3f ms\n",
                       atof(mn) / 1000, atof(av) / 1000, atof(mx) / 1000, atof(sd) / 1000);
        else
            buf_printf(&b, "round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", atof(mn) / 1000,
                       atof(av) / 1000, atof(mx) / 1000);
    }
    pl_puts(pl, b.s);
    buf_free(&b);
}

void render_traceroute_results(xmlNodePtr n, struct pipeline *pl)
{
    (void)n;
    (void)pl;
}
