/*
 * ping.h: ping and traceroute originated by fwdd from its own addresses,
 * in a routing instance (the "probes").  Each is a request of mgd's that
 * streams one chunk per output line (FreeBSD ping / traceroute format, as
 * Junos prints them) and ends with <ping-results> or <traceroute-results>;
 * a cancel from mgd stops it.
 *
 * Replies come back through the packet path: local.c hands every echo
 * reply and ICMP error addressed to the appliance to probe_icmp_input().
 * Completion always runs from the probe's timer, never from inside the
 * packet path that delivered the last reply (the probe may be freed).
 */
#ifndef FWDD_PING_H
#define FWDD_PING_H

#include "fwdd.h"

#define PING_WINDOW 1024  /* outstanding sequence numbers remembered */
#define PING_WAIT_MS 2000 /* after the last probe */
#define TRACE_MAX_HOPS 30
#define TRACE_WAIT_MS 2000 /* per traceroute probe */
#define TRACE_PORT 33434   /* base destination port (BSD traceroute) */

/* 1 if ip (an ICMP packet to the appliance) answers a probe. */
int probe_icmp_input(struct fwdd *fw, struct instance *inst, const uint8_t *ip, size_t len);
void probe_cancel(struct fwdd *fw, uint32_t id);
void probe_free_all(struct fwdd *fw);

#endif
