/*
 * pic.h: the worker thread of each service PIC.
 *
 * A simulated MS-MPC PIC does the IPsec cryptography of the tunnels it
 * owns, as the real one does while the PFE forwards: fwdd's main thread
 * (the libevent loop: ports, configuration, kmd's socket, routing, ARP)
 * hands each ESP packet of a tunnel to the worker of the PIC that owns
 * the tunnel (esp_seal, or the anti-replay check, esp_open and the window
 * update), and takes the result back to route it on.
 *
 * Ownership: a tunnel is owned by one PIC for its life (struct tunnel's
 * w): the PIC of its service set, or for a service set on an AMS bundle
 * (ams0 with mams- members) the member owning the fewest tunnels when the
 * tunnel is made (docs/fwdd.md).  Every packet of the tunnel's SAs goes to
 * that worker, in order, so each SA's transform, sequence of IVs and
 * anti-replay window are touched by one thread only.  The main thread
 * owns everything else in the SA (counters, lifetimes, the route cache)
 * and assigns outbound sequence numbers before handing a packet over.
 *
 * Hand-off: per worker, a FIFO of jobs under a mutex (the worker sleeps
 * on a condition variable when it is empty) and a list of finished jobs
 * under the same mutex; the worker writes an eventfd once per batch and
 * the main loop drains the finished jobs from its callback.  Job buffers
 * are recycled by the main thread.  An SA deleted while some of its
 * packets are queued is unlinked at once and freed when the last one
 * comes back (sa.c).  At most PIC_QUEUE_MAX jobs wait per worker; beyond,
 * packets are dropped (`service PIC busy`).
 *
 * Without threads (fw->pic_threads 0: the unit tests and bench/esp, which
 * time the path in one thread) a job runs at once in the caller's thread,
 * the same code.
 *
 * CPU: each worker publishes its CLOCK_THREAD_CPUTIME_ID after every
 * batch; pic_tick() (once a second) turns it into the utilisation of the
 * last second that `show services service-sets summary` prints.
 */
#ifndef FWDD_PIC_H
#define FWDD_PIC_H

#include "fwdd.h"

#include <pthread.h>
#include <stdatomic.h>

#define PIC_QUEUE_MAX 4096
#define PJOB_INLINE 2048 /* bytes of packet in a job without another allocation */

struct ipsec_sa;
struct picw;

enum pjob_kind { PJ_SEAL, PJ_OPEN };

#define PJ_REPLAY 1 /* status of an open refused by the anti-replay window */

struct pjob {
    struct pjob *next;
    enum pjob_kind kind;
    struct ipsec_sa *sa;
    struct picw *w;
    uint32_t seq;     /* seal: the sequence number; open: the packet's */
    uint8_t nh;       /* seal: next header in; open: next header out */
    uint8_t tos;      /* seal: the inner packet's TOS, for the outer header */
    int ext;          /* buf is the caller's (no threads: opened in place) */
    size_t ilen;      /* seal: the inner packet's length */
    int depth;        /* seal: nesting depth of the packet */
    int status;       /* esp_status, or 1 for a replay */
    size_t hdr;       /* seal: room for the outer headers before the ESP */
    size_t len;       /* seal: payload in, ESP out; open: ESP in */
    size_t off, plen; /* open: the payload */
    char err[96];     /* crypto_strerror() of a failure, for the log */
    uint8_t *buf;     /* data, or a larger allocation */
    size_t cap;
    uint8_t data[PJOB_INLINE];
};

/* A worker: process lifetime, found by PIC name (a PIC that leaves the
 * configuration keeps its idle thread until fwdd exits). */
struct picw {
    char name[FWD_IFNAMELEN];
    struct fwdd *fw;
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pjob *in, *in_tail, *done, *done_tail;
    size_t queued; /* in + being run + done, main's view */
    int stop, efd;
    struct event *ev;
    _Atomic uint64_t cpu_ns, packets;
    uint64_t last_cpu, tunnels; /* main thread */
    int64_t last_us;
    double util; /* percent, over the last tick */
    struct picw *next;
};

/* The worker of PIC name, made (with its thread when fw->pic_threads)
 * on first use. */
struct picw *pic_worker(struct fwdd *fw, const char *name);
/* A job with room for len bytes after hdr; NULL when w is full (the caller
 * drops).  Freed by pic_submit's completion. */
struct pjob *pjob_get(struct fwdd *fw, struct picw *w, size_t hdr, size_t len);
/* Run it on w (or at once without threads); done(fw, job) follows on the
 * main thread, then the job is recycled. */
void pic_submit(struct fwdd *fw, struct pjob *j);
/* Wait until every queued job has come back and been completed (tests, exit). */
void pic_drain(struct fwdd *fw);
void pic_tick(struct fwdd *fw);
/* Stop and join every worker (after pic_drain), free them and the job pool. */
void pic_free_all(struct fwdd *fw);

/* The completions, in espout.c and espin.c. */
void esp_seal_done(struct fwdd *fw, struct pjob *j);
void esp_open_done(struct fwdd *fw, struct pjob *j);

#endif
