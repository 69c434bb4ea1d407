/*
 * fwd.h: kmd's connection to fwdd (lib/fwdipc.h): datagrams punted to kmd
 * and sent by it, and the requests that turn a tunnel into forwarding
 * state (pool unit, SAs, dynamic rule, reverse route).
 *
 * The connection is made to ROOT/fwdd.sock and remade every 200 ms while
 * fwdd is away; each (re)connection starts with FWD_HELLO, after which
 * fwdd holds nothing of kmd's: the owner re-installs what it still holds
 * (callback `up`).  Requests are answered asynchronously: the callback gets
 * the status, the reply's message and, for requests that return data
 * (pool reservation, counters), the bytes after struct fwd_reply.
 */
#ifndef OPENSG_KMD_FWD_H
#define OPENSG_KMD_FWD_H

#include "fwdipc.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

struct fwd;

typedef void (*fwd_reply_fn)(void *arg, uint32_t status, const char *msg, const void *data,
                             size_t len);

struct fwd_ops {
    void (*up)(void *arg);   /* connected (after HELLO was answered) */
    void (*down)(void *arg); /* connection lost: fwdd dropped kmd's state */
    void (*punt)(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);
    void (*sa_event)(void *arg, const struct fwd_sa_event *ev);
    void (*sa_gone)(void *arg, const struct fwd_sa_ref *ref);
};

struct fwd *fwd_new(struct event_base *eb, const char *root, const struct fwd_ops *ops, void *arg);
void fwd_free(struct fwd *f);
int fwd_is_up(const struct fwd *f);
/* Send a request of type (FWD_*) with a fixed struct (and packet bytes for
 * FWD_SEND); cb (may be NULL) gets the reply.  -1 when fwdd is down. */
int fwd_request(struct fwd *f, uint16_t type, const void *msg, size_t len, const void *extra,
                size_t extra_len, fwd_reply_fn cb, void *cbarg);
/* Convenience: send a UDP datagram from a local gateway. */
int fwd_send_dgram(struct fwd *f, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);

#endif
