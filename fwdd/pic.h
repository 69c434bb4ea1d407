/*
 * pic.h: the worker thread of each service PIC.
 *
 * A simulated MS-MPC PIC does the IPsec cryptography of the tunnels it
 * owns, as the real one does while the PFE forwards: fwdd's main thread
 * (the libevent loop: ports, configuration, kmd's socket, routing, ARP)
 * hands each ESP or AH packet of a tunnel to the worker of the PIC that
 * owns the tunnel, and takes the result back to route it on.  A job is
 * one packet:
 *   - PJ_SEAL: esp_seal, the outer IPv4 (and UDP) header, then for an AH
 *     SA the AH header and ICV over the whole outer packet (a bundle's ESP
 *     and AH in the same job: espout.c, ahout.c);
 *   - PJ_OPEN: the anti-replay check, esp_open and the window's move
 *     (espin.c);
 *   - PJ_AH_OPEN: AH's anti-replay check, ICV and window, then for a
 *     bundle the same as PJ_OPEN for the ESP inside (ahin.c).
 *
 * Ownership: a tunnel is owned by one PIC for its life (struct tunnel's
 * w): the PIC of its service set, or for a service set on an AMS bundle
 * (ams0 with mams- members) the member owning the fewest tunnels when the
 * tunnel is made (docs/fwdd.md).  Every packet of the tunnel's SAs goes to
 * that worker, in order, so each SA's transform, sequence of IVs and
 * anti-replay window are touched by one thread only.  The main thread
 * owns everything else in the SA (counters, lifetimes, the route cache)
 * and assigns outbound sequence numbers (AH's and its bundle's ESP's) and
 * the outer header's identification before handing a packet over.
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

enum pjob_kind { PJ_SEAL, PJ_OPEN, PJ_AH_OPEN };

/* Statuses of a job besides enum esp_status (ESP_OK and the negative ones). */
#define PJ_REPLAY 1  /* refused by the anti-replay window */
#define PJ_AH_FAIL 2 /* seal: AH's ICV could not be computed */
#define PJ_HDR 3     /* AH open of a bundle: the ESP inside is too short for its SA */
#define PJ_NO_SA 4   /* AH open of a bundle: the ESP inside has another SPI */
#define PJ_NOT_RUN 5 /* AH open: no ESP inside was opened */

struct pjob {
    struct pjob *next;
    enum pjob_kind kind;
    struct ipsec_sa *sa; /* the tunnel's SA (a bundle's AH SA) */
    struct picw *w;
    uint32_t seq;     /* seal: the SA's sequence number */
    uint32_t eseq;    /* seal: a bundle's ESP sequence number */
    uint16_t ipid;    /* seal: the outer header's identification */
    uint8_t nh;       /* seal: next header in; open: next header out */
    uint8_t tos;      /* seal: the inner packet's TOS, for the outer header */
    int ext;          /* buf is the caller's (no threads: opened in place) */
    size_t ilen;      /* seal: the inner packet's length */
    int depth;        /* seal: nesting depth of the packet */
    int status;       /* esp_status or PJ_ (AH open: AH's) */
    int estatus;      /* AH open of a bundle: the ESP's */
    size_t hdr;       /* seal: room for the outer headers (and AH) before the
                         ESP; AH open: where what AH carries starts */
    size_t len;       /* seal: payload in, ESP out; open: ESP in; AH open: the packet */
    size_t off, plen; /* open: the payload (AH open: relative to the ESP inside) */
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
    uint64_t forgot;            /* cipher_retired() the worker has acted on (its thread) */
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
/* An inbound job of this kind for sa's packet pkt (len bytes): a copy for
 * the worker of the PIC owning sa's tunnel, or pkt itself, opened in
 * place, without threads.  NULL when the worker is full (the caller drops). */
struct pjob *pjob_inbound(struct fwdd *fw, struct ipsec_sa *sa, enum pjob_kind kind, uint8_t *pkt,
                          size_t len);
/* Receive buffers.  Frame i of a burst is read into fwd_rx_frame(fw, i)
 * (port.c; the bench): the data of a job, after FWD_RX_HEAD bytes of
 * headroom, so that a packet to be sealed or opened on a PIC worker is
 * handed over in the job that holds it instead of copied into another
 * (pjob_take_rx; fwd_frames_input makes it fw->rx_job while the frame is
 * in hand).  A job taken is replaced at the next fwd_rx_frame. */
#define FWD_RX_HEAD 128 /* the outer headers a tunnel puts before an inner packet */
#define FWD_RX_TAIL 64  /* ESP's padding, trailer and ICV after it */
/* Where to receive frame i < FWD_BURST_MAX, with room for *room bytes. */
uint8_t *fwd_rx_frame(struct fwdd *fw, size_t i, size_t *room);
/* The receive job, as pjob_get(fw, w, hdr, len) would make it, when its
 * data holds p - before .. p - before + hdr + len with tail bytes to
 * spare (at most FWD_RX_TAIL): its buf is p - before (what is at p stays
 * there); else NULL (the caller copies). */
struct pjob *pjob_take_rx(struct fwdd *fw, struct picw *w, const uint8_t *p, size_t before,
                          size_t hdr, size_t len, size_t tail);
/* Run it on w (or at once without threads); done(fw, job) follows on the
 * main thread, then the job is recycled. */
void pic_submit(struct fwdd *fw, struct pjob *j);
/* Keys were freed (sa_free): wake the workers, which drop their
 * schedules of them before they sleep again (lib/crypto/cipher.h,
 * docs/crypto.md).  pic_tick does it once a second when fw->forget_due
 * says SAs were freed (a flush of 10,000 tunnels wakes them once). */
void pic_forget(struct fwdd *fw);
/* Wait until every queued job has come back and been completed (tests, exit). */
void pic_drain(struct fwdd *fw);
void pic_tick(struct fwdd *fw);
/* Stop and join every worker (after pic_drain), free them and the job pool. */
void pic_free_all(struct fwdd *fw);

/* The halves of each kind of job: _run on the worker (or at once without
 * threads; it touches only the job, the SA's transforms and windows),
 * _done on the main thread (espout.c, espin.c, ahin.c). */
void esp_seal_run(struct pjob *j);
void esp_seal_done(struct fwdd *fw, struct pjob *j);
void esp_open_run(struct pjob *j);
void esp_open_done(struct fwdd *fw, struct pjob *j);
void ah_open_run(struct pjob *j);
void ah_open_done(struct fwdd *fw, struct pjob *j);

#endif
