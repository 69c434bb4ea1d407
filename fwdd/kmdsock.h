/*
 * kmdsock.h: fwdd's end of the kmd <-> fwdd interface (lib/fwdipc.h):
 * the listening socket ROOT/fwdd.sock, one kmd connection at a time (a new
 * one replaces the old), framing and length checks, FWD_HELLO, and the
 * punt of IKE datagrams to kmd (FWD_PUNT).
 *
 * The other requests (FWD_SEND, FWD_SA_*, FWD_RULE_*, FWD_ROUTE_*,
 * FWD_POOL_*) are answered FWD_ERR_UNSUPPORTED for now: the ESP/kmd step
 * adds one handler each in kmd_handlers[] (kmdsock.c), on top of
 * fw_kroute_add/del (routes.c) and struct ss_rt (svc.h).  When the
 * connection closes, everything kmd installed is flushed.
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
int kmdsock_punt(struct fwdd *fw, struct service_set *ss, struct unit *in, const uint8_t *ip,
                 size_t len);

#endif
