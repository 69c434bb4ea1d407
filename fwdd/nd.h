/*
 * nd.h: IPv6 neighbor discovery (RFC 4861) on each port, the IPv6
 * counterpart of arp.h: neighbor solicitations for the appliance's
 * addresses are answered (advertisements with the Router flag), senders
 * are learned, next hops are resolved with a small queue per neighbour,
 * retried every second 3 times (then ICMPv6 address unreachable), and
 * entries age out after ARP_AGE_S.  No router advertisements: hosts are
 * configured with the appliance's global address as their gateway.
 */
#ifndef FWDD_ND_H
#define FWDD_ND_H

#include "fwdd.h"

struct nd_cache;

struct nd_cache *nd_new(void);
void nd_free(struct nd_cache *c);
/* A validated NS or NA (whole IPv6 packet, hop limit 255, checksum good)
 * received on unit in of port p from Ethernet address eth_src. */
void nd_input(struct fwdd *fw, struct port *p, struct unit *in, const uint8_t *eth_src,
              const uint8_t *ip, size_t len);
/* Send IPv6 packet ip toward neighbour nh on out's port. */
void nd_output(struct fwdd *fw, struct unit *out, const uint8_t nh[16], const uint8_t *ip,
               size_t len);
void nd_tick(struct fwdd *fw);
void nd_prune(struct fwdd *fw);

#endif
