/*
 * kmdtest.h: the in-process harness of kmd's unit tests.  A struct kt
 * holds a kmd (kmdcore) whose kmd_io is mocked: datagrams kmd sends are
 * queued for the test, requests to fwdd are recorded and answered later
 * (never from inside the request, like the real fwd.c) with what the test
 * chose (pool unit, exhaustion, refusals), and the clock is a variable.
 * The test initiator (tests/ikeinit) plays the peer: kt_mm() and kt_qm()
 * run whole exchanges through kmd_input.
 *
 * Configurations are Junos text with @PSK@ standing for the $9$ form of
 * the key, loaded with the schema into kmd's model (kmd/config.c).
 */
#ifndef TESTS_KMDTEST_H
#define TESTS_KMDTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ike.h"
#include "ikeinit.h"
#include "kmd.h"

#define KT_MAX_REQ 512
#define KT_MAX_OUT 64

struct kt_req {
    uint16_t type;
    uint64_t tag;
    bool answered;
    union {
        struct fwd_sa sa;
        struct fwd_sa_ref ref;
        struct fwd_rule rule;
        struct fwd_route route;
        struct fwd_pool pool;
        uint8_t raw[1024];
    } u;
};

struct kt_out {
    struct fwd_dgram d;
    uint8_t p[KMD_PKT_MAX];
    size_t len;
};

struct kt {
    struct kmd *k;
    time_t now;
    struct kt_req req[KT_MAX_REQ];
    unsigned nreq;
    struct kt_out out[KT_MAX_OUT];
    unsigned nout, rd;
    /* how the fake fwdd answers */
    uint32_t pool_status, sa_status, rule_status;
    char pool_unit[FWD_NAME_LEN];
    bool fwd_unreachable;
    bool hold_replies; /* keep replies until kt_flush(kt, true) */
};

extern const char KT_SG1[];      /* docs/examples/sg1.conf-like: policies, PFS group14 */
extern const char KT_IMPLICIT[]; /* a profile without ike-policy / ipsec-policy */

int kt_setup_schema(void **state);
int kt_teardown_schema(void **state);

struct kt *kt_new(const char *conf_template, const char *psk);
void kt_free(struct kt *t);
struct kmd_config *kt_config(const char *conf_template, const char *psk);

/* Answers every pending fwdd request (and the ones they cause). */
void kt_flush(struct kt *t);
/* Gives kmd a datagram from initiator i (with i's ports), then flushes. */
void kt_send(struct kt *t, struct ikei *i, const uint8_t *p, size_t len);
/* The next datagram kmd sent, or NULL. */
struct kt_out *kt_recv(struct kt *t);
unsigned kt_pending_out(const struct kt *t);

/* Whole exchanges: 0 when they completed, -1 otherwise (i->err says). */
int kt_mm(struct kt *t, struct ikei *i);
int kt_qm(struct kt *t, struct ikei *i);
/* Delivers whatever kmd sent to i (informational answers). */
void kt_deliver(struct kt *t, struct ikei *i);

unsigned kt_count(const struct kt *t, uint16_t type);
const struct kt_req *kt_nth(const struct kt *t, uint16_t type, unsigned n);
void kt_advance(struct kt *t, time_t seconds); /* clock + kmd_tick */

/* tmpl with every pat replaced (caller frees). */
char *kt_subst(const char *tmpl, const char *pat, const char *with);
/* kmd's log lines (stderr, debug level) from now on go to a file ... */
void kt_log_start(void);
/* ... until this returns them (caller frees) and restores stderr. */
char *kt_log_end(void);
struct ikei *kt_peer(const char *addr, const char *psk, void (*tweak)(struct ikei_conf *));
/* Main mode completes, then quick mode is refused with NO-PROPOSAL-CHOSEN,
 * why in kmd's log, nothing asked of fwdd and no tunnel. */
void kt_qm_refused(const char *conf, const char *psk, const char *addr,
                   void (*tweak)(struct ikei_conf *), const char *why);

#endif
