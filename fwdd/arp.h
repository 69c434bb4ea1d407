/*
 * arp.h: the ARP cache of each port (RFC 826): answers for the appliance's
 * addresses (interface addresses, and local gateways inside a connected
 * subnet), learns senders, resolves next hops with a small queue of
 * packets per unresolved neighbour, retries, ages entries out, and lists
 * them for show arp.
 *
 * Timers (one 1-second tick for all ports): a request is retried every
 * second, 3 times; then the queued packets are dropped with ICMP host
 * unreachable.  A resolved entry lives ARP_AGE_S seconds (Junos's default
 * aging timer, 20 minutes) and is then resolved again on demand.
 */
#ifndef FWDD_ARP_H
#define FWDD_ARP_H

#include "fwdd.h"

#define ARP_AGE_S 1200
#define ARP_TRIES 3
#define ARP_QUEUE_MAX 64     /* packets waiting for one neighbour */
#define ARP_ENTRIES_MAX 4096 /* per port */

struct arp_cache;

struct arp_view {
    uint32_t ip; /* host order */
    uint8_t mac[6];
    int resolved;
    int64_t expires_ms;
};

struct arp_cache *arp_new(void);
void arp_free(struct arp_cache *c);

/* An ARP frame received on port p (Ethernet header included). */
void arp_input(struct fwdd *fw, struct port *p, const uint8_t *frame, size_t len);
/* Send IP packet ip toward neighbour nh (host order) on out's port:
 * framed and sent now if resolved, queued while resolving. */
void arp_output(struct fwdd *fw, struct unit *out, uint32_t nh, const uint8_t *ip, size_t len);
/* Once a second: retries, failures, ageing. */
void arp_tick(struct fwdd *fw);
/* After a commit: drop entries outside the subnets of each port's unit. */
void arp_prune(struct fwdd *fw);
/* Every entry of port p, unresolved ones included (sorted by address). */
size_t arp_list(const struct port *p, struct arp_view **out);

#endif
