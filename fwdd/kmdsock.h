/*
 * kmdsock.h: fwdd's end of the kmd <-> fwdd interface (lib/fwdipc.h):
 * the listening socket ROOT/fwdd.sock, one kmd connection at a time (a new
 * one replaces the old), framing and length checks, FWD_HELLO, the punt
 * of IKE datagrams to kmd (FWD_PUNT) and the events fwdd sends on its own
 * (FWD_SA_EVENT, FWD_SA_GONE).
 *
 * The requests (FWD_SEND, FWD_SA_*, FWD_RULE_*, FWD_ROUTE_*, FWD_POOL_*)
 * are length-checked here and answered by kmdreq.c.  When the connection
 * closes, or kmd says FWD_HELLO again, everything kmd installed is
 * flushed: dynamic SAs and tunnels, rules, reverse routes, pool
 * reservations.
 */
#ifndef FWDD_KMDSOCK_H
#define FWDD_KMDSOCK_H

#include "fwdd.h"

struct service_set;

/* Listen on ROOT/fwdd.sock; -1 with errno. */
int kmdsock_open(struct fwdd *fw);
void kmdsock_close(struct fwdd *fw);
/* Punt an IKE datagram (whole IPv4 packet ip) to kmd; -1 if kmd is not
 * connected. */
/* Send an unsolicited message to kmd (dropped when kmd is away). */
void kmdsock_notify(struct fwdd *fw, uint16_t type, const void *msg, size_t len);
/* 1 when kmd is connected and said FWD_HELLO. */
int kmdsock_up(const struct fwdd *fw);
int kmdsock_punt(struct fwdd *fw, struct service_set *ss, struct unit *in, const uint8_t *ip,
                 size_t len);

#endif
