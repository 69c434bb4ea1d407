/*
 * kmd.h: the IKEv1 responder core of kmd, as main.c and the tests see it.
 *
 * Owns every IKE SA and every tunnel (phase-2 SA pair and the forwarding
 * state that goes with it).  It never touches a socket or a clock itself:
 * everything that leaves it goes through struct kmd_io (datagrams out,
 * requests to fwdd, the time), and everything that comes in is a call
 * below (a punted datagram, a reply from fwdd, a tick, a configuration,
 * an operational request).  main.c glues it to lib/daemon, kmd/fwd.h and
 * libevent; tests/kmd glue it to mocks and the test initiator of
 * tests/ikeinit, in-process.
 *
 * Callers: kmd/main.c (the daemon), tests/kmd.  Internals: kmd/ike.h.
 */
#ifndef OPENSG_KMD_KMD_H
#define OPENSG_KMD_KMD_H

#include "buf.h"
#include "config.h"
#include "fwdipc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct kmd;
struct cnode;

/* The seam.  send: one IKE datagram (d->len is set, the marker for port
 * 4500 is fwdd's).  request: a FWD_* request; its reply must come back
 * through kmd_fwd_reply() with the same tag, never from inside request();
 * -1 when fwdd is unreachable (no reply will come).  now: a monotonic
 * clock in seconds. */
struct kmd_io {
    void (*send)(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);
    int (*request)(void *arg, uint16_t type, const void *msg, size_t len, uint64_t tag);
    time_t (*now)(void *arg);
};

/* Status kmd_fwd_reply() gets when the connection to fwdd was lost while
 * the request was pending (not an answer from fwdd). */
#define KMD_FWD_LOST 0xffffu

/* Global counters (never reset; per-SA counters are in `show`). */
struct kmd_counters {
    uint64_t rx, tx;           /* IKE datagrams in and out */
    uint64_t malformed;        /* did not parse (header, chain, decrypted body) */
    uint64_t ikev2;            /* IKEv2 (or other major version) refused */
    uint64_t unknown_sa;       /* cookies (or message ID) kmd does not know */
    uint64_t out_of_state;     /* a known SA, a message it does not expect now */
    uint64_t retransmits;      /* requests answered from the response cache */
    uint64_t replayed;         /* an authenticated message ID seen before (QM, info) */
    uint64_t no_service_set;   /* MM1 to an address no service set owns */
    uint64_t halfopen_full;    /* MM1s that found the half-open table full (either below) */
    uint64_t halfopen_evicted; /* half-open SAs evicted (the oldest) to admit a new MM1 */
    uint64_t halfopen_peer;    /* MM1s dropped: their source had its share of half-open SAs */
    uint64_t halfopen_expired; /* IKE SAs that never completed main mode */
    uint64_t auth_failed;      /* HASH_I mismatch or undecryptable MM5 */
    uint64_t no_proposal;      /* phase 1 or 2 proposals refused */
    uint64_t bad_id;           /* identities or proxy pairs refused */
    uint64_t hash_failed;      /* HASH(1)/(3) mismatch in phase 2 or info */
    uint64_t ike_established, ike_deleted;
    uint64_t tunnels_up, tunnels_refused, tunnels_down;
    uint64_t dpd_acks;   /* R-U-THERE-ACK sent */
    uint64_t fwd_errors; /* fwdd refused a request */
    uint64_t failures;   /* negotiation failures recorded (the ring keeps the last) */
};

/* Tunables (defaults in kmd_new). */
struct kmd_limits {
    unsigned halfopen_max;      /* IKE SAs still in main mode (4096): the oldest go */
    unsigned halfopen_per_peer; /* of them from one source address (32): MM1 dropped */
    unsigned halfopen_timeout;  /* seconds to complete main mode */
    unsigned qm_timeout;        /* seconds from QM1 to QM3 */
};

struct kmd *kmd_new(const struct kmd_io *io, void *arg);
/* Frees everything without a word to fwdd or the peers (see kmd_shutdown). */
void kmd_free(struct kmd *k);
/* Clean stop: DELETE to every peer, every tunnel released in fwdd. */
void kmd_shutdown(struct kmd *k);

struct kmd_limits *kmd_limits(struct kmd *k);
const struct kmd_counters *kmd_counters(const struct kmd *k);

/* Configuration, two-phase (lib/daemon's prepare/apply/abort).  prepare
 * builds the new model aside; apply swaps it in and tears down what lost
 * its service set, profile or pool unit; abort drops it. */
int kmd_prepare(struct kmd *k, const struct cnode *root, char *err, size_t errlen);
void kmd_apply(struct kmd *k);
void kmd_abort(struct kmd *k);
/* Tests: install a model directly (kmd takes it). */
void kmd_set_config(struct kmd *k, struct kmd_config *c);
const struct kmd_config *kmd_get_config(const struct kmd *k);

/* A datagram fwdd punted (port 4500: the non-ESP marker already removed). */
void kmd_input(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);

/* fwdd: a reply, the connection (up: re-install everything), events. */
void kmd_fwd_reply(struct kmd *k, uint64_t tag, uint32_t status, const char *msg, const void *data,
                   size_t len);
void kmd_fwd_up(struct kmd *k);
void kmd_fwd_down(struct kmd *k);
void kmd_fwd_sa_event(struct kmd *k, const struct fwd_sa_event *ev);
void kmd_fwd_sa_gone(struct kmd *k, const struct fwd_sa_ref *ref);

/* Once a second: expiries (half-open SAs, quick modes, lifetimes). */
void kmd_tick(struct kmd *k);

/* Operational requests of schema/op/kmd.xsd: name and the <rpc> child as
 * XML.  Appends the <rpc-reply> to out; returns 0, or -1 with an error
 * message in out (plain text) for an unknown request or bad arguments. */
int kmd_rpc(struct kmd *k, const char *name, const char *xml, struct buf *out);

/* The opt-in key log (docs/kmd.md): IKE and ESP keys as tshark options.
 * -1 (errno) if path cannot be created with mode 0600. */
int kmd_keylog_open(struct kmd *k, const char *path);

/* Tracing (kmd/trace.c, docs/kmd.md): every kmd log line also goes to
 * DIR/NAME (mode 0600, rotated at size into NAME.0 .. NAME.<files-2>) as
 * `services ipsec-vpn traceoptions` asks, or to DIR/kmd (events only) when
 * it is absent.  Process-wide, like lib/log.  parse reads the view (root
 * may be NULL: no traceoptions); open (re)opens the file when the settings
 * changed, -1 (errno) when it cannot; close stops tracing. */
enum {
    KMD_TRACE_DETAIL = 1, /* flag all, ike, general, parse, timer: kmd's detail lines */
};
struct kmd_trace_conf {
    bool configured; /* traceoptions present */
    char file[KMD_NAME];
    unsigned long long size; /* bytes before rotation */
    unsigned files;          /* the file and its rotated copies */
    unsigned flags;          /* KMD_TRACE_* */
    int level;               /* syslog priority: lines up to it are written */
};
void kmd_trace_parse(const struct cnode *root, struct kmd_trace_conf *c);
int kmd_trace_open(const char *dir, const struct kmd_trace_conf *c);
void kmd_trace_close(void);
/* A line of main.c's own (the core's go through the log tap, ike.h). */
void kmd_trace_log(int pri, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Tests and show: how many IKE SAs and tunnels kmd holds. */
unsigned kmd_ike_count(const struct kmd *k);
unsigned kmd_tunnel_count(const struct kmd *k);

#endif
