/*
 * pic.c: the worker threads of the service PICs (pic.h).
 */
#include "pic.h"
#include "port.h"
#include "crypto/cipher.h"
#include "crypto/esp.h"
#include "ipsec.h"
#include "log.h"

#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 1024 /* recycled jobs kept */

/* The cryptography of one job: worker thread (or the caller without threads). */
static void run(struct pjob *j)
{
    if (j->kind == PJ_SEAL)
        esp_seal_run(j);
    else if (j->kind == PJ_OPEN)
        esp_open_run(j);
    else
        ah_open_run(j);
    if (j->status < 0 || j->status == PJ_AH_FAIL)
        snprintf(j->err, sizeof(j->err), "%s", crypto_strerror());
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *worker(void *arg)
{
    struct picw *w = arg;
    uint64_t one = 1;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct pjob *batch, *last = NULL;
        uint64_t n = 0;

        while (w->in == NULL && !w->stop && cipher_retired() == w->forgot)
            pthread_cond_wait(&w->cv, &w->mu);
        if (cipher_retired() != w->forgot) { /* keys were freed: drop our schedules of them */
            pthread_mutex_unlock(&w->mu);
            cipher_forget_retired(&w->forgot);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        if (w->in == NULL)
            break;
        batch = w->in;
        w->in = w->in_tail = NULL;
        pthread_mutex_unlock(&w->mu);
        for (struct pjob *j = batch; j; j = j->next, n++) {
            run(j);
            last = j;
        }
        atomic_fetch_add_explicit(&w->packets, n, memory_order_relaxed);
        atomic_store_explicit(&w->cpu_ns, thread_cpu_ns(), memory_order_relaxed);
        pthread_mutex_lock(&w->mu);
        if (w->done_tail)
            w->done_tail->next = batch;
        else
            w->done = batch;
        w->done_tail = last;
        pthread_mutex_unlock(&w->mu);
        if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
            log_warn("%s: eventfd", w->name);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Main thread: a finished job's completion, then the job back to the pool. */
static void complete(struct fwdd *fw, struct pjob *j)
{
    struct ipsec_sa *sa = j->sa;

    if (j->w)
        j->w->queued--;
    sa->inflight--;
    if (sa->dead) {
        fwd_drop(fw, j->kind == PJ_AH_OPEN ? DROP_AH_NO_SA : DROP_ESP_NO_SA);
        if (sa->inflight == 0) {
            sa_free(sa);
            fw->forget_due = 1;
        }
    } else if (j->kind == PJ_SEAL) {
        esp_seal_done(fw, j);
    } else if (j->kind == PJ_OPEN) {
        esp_open_done(fw, j);
    } else {
        ah_open_done(fw, j);
    }
    if (((uintptr_t)j->buf < (uintptr_t)j->data ||
         (uintptr_t)j->buf >= (uintptr_t)j->data + sizeof(j->data)) &&
        !j->ext)
        free(j->buf); /* not its own data (a receive job's buf is inside it) */
    if (fw->npool < POOL_MAX) {
        j->next = fw->pool;
        fw->pool = j;
        fw->npool++;
    } else {
        free(j);
    }
}

static void drain_done(struct fwdd *fw, struct picw *w)
{
    struct pjob *list;

    pthread_mutex_lock(&w->mu);
    list = w->done;
    w->done = w->done_tail = NULL;
    pthread_mutex_unlock(&w->mu);
    port_tx_hold(fw);
    while (list) {
        struct pjob *j = list;
        list = j->next;
        complete(fw, j);
    }
    port_tx_release(fw);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    struct picw *w = arg;
    uint64_t n;

    (void)what;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_warn("%s: eventfd", w->name);
    drain_done(w->fw, w);
}

struct picw *pic_worker(struct fwdd *fw, const char *name)
{
    struct picw *w;

    for (w = fw->picws; w; w = w->next)
        if (strcmp(w->name, name) == 0)
            return w;
    if ((w = calloc(1, sizeof(*w))) == NULL)
        fatal("calloc");
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->fw = fw;
    w->efd = -1;
    w->last_us = fw_now_us();
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->next = fw->picws;
    fw->picws = w;
    if (!fw->pic_threads)
        return w;
    if ((w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        fatal("eventfd");
    if (fw->eb && ((w->ev = event_new(fw->eb, w->efd, EV_READ | EV_PERSIST, on_done, w)) == NULL ||
                   event_add(w->ev, NULL) < 0))
        fatalx("event_new");
    w->forgot = cipher_retired();
    if ((errno = pthread_create(&w->th, NULL, worker, w)) != 0)
        fatal("pthread_create");
    w->running = 1;
    log_info("service PIC %s: worker thread started", w->name);
    return w;
}

struct pjob *pjob_get(struct fwdd *fw, struct picw *w, size_t hdr, size_t len)
{
    struct pjob *j;

    if (w && w->running && w->queued >= PIC_QUEUE_MAX)
        return NULL;
    if ((j = fw->pool) != NULL) {
        fw->pool = j->next;
        fw->npool--;
    } else if ((j = malloc(sizeof(*j))) == NULL) {
        fatal("malloc");
    }
    memset(j, 0, offsetof(struct pjob, err)); /* err is written on a failure only */
    j->w = w;
    j->hdr = hdr;
    j->buf = j->data;
    j->cap = sizeof(j->data);
    if (hdr + len + 512 > j->cap) { /* room for the ESP trailer, as espout.c's buffers */
        j->cap = hdr + len + 512;
        if ((j->buf = malloc(j->cap)) == NULL)
            fatal("malloc");
    }
    return j;
}

uint8_t *fwd_rx_frame(struct fwdd *fw, size_t i, size_t *room)
{
    struct pjob *j = fw->rx_jobs[i];

    if (j == NULL) { /* made ready when taken (pjob_take_rx), or not at all */
        if ((j = fw->pool) != NULL) {
            fw->pool = j->next;
            fw->npool--;
        } else if ((j = malloc(sizeof(*j))) == NULL) {
            fatal("malloc");
        }
        fw->rx_jobs[i] = j;
    }
    *room = sizeof(j->data) - FWD_RX_HEAD - FWD_RX_TAIL;
    return j->data + FWD_RX_HEAD;
}

struct pjob *pjob_take_rx(struct fwdd *fw, struct picw *w, const uint8_t *p, size_t before,
                          size_t hdr, size_t len, size_t tail)
{
    struct pjob *j = fw->rx_job;
    uintptr_t lo, hi, at = (uintptr_t)p;

    if (j == NULL || fw->rx_pinned)
        return NULL;
    lo = (uintptr_t)j->data;
    hi = lo + sizeof(j->data);
    if (at < lo + before || at > hi || tail > FWD_RX_TAIL || hdr + len + tail > hi - (at - before))
        return NULL;
    if (w && w->running && w->queued >= PIC_QUEUE_MAX)
        return NULL;
    fw->rx_job = NULL;
    memset(j, 0, offsetof(struct pjob, err));
    j->w = w;
    j->hdr = hdr;
    j->buf = j->data + (at - before - lo);
    j->cap = hi - (at - before);
    return j;
}

struct pjob *pjob_inbound(struct fwdd *fw, struct ipsec_sa *sa, enum pjob_kind kind, uint8_t *pkt,
                          size_t len)
{
    struct picw *w = sa->tun->w;
    int copy = w && w->running;
    struct pjob *j = copy ? pjob_take_rx(fw, w, pkt, 0, 0, len, 0) : NULL;

    if (j == NULL && (j = pjob_get(fw, w, 0, copy ? len : 0)) == NULL)
        return NULL;
    j->kind = kind;
    j->sa = sa;
    j->len = len;
    if (copy) {
        if (j->buf != pkt)
            memcpy(j->buf, pkt, len);
    } else {
        j->buf = pkt;
        j->ext = 1;
        /* opened where it lies: the inner packet, if it goes into another
         * tunnel, is copied rather than sealed over this ESP packet */
        fw->rx_pinned = 1;
    }
    return j;
}

void pic_forget(struct fwdd *fw)
{
    for (struct picw *w = fw->picws; w; w = w->next)
        if (w->running) {
            pthread_mutex_lock(&w->mu);
            pthread_cond_signal(&w->cv);
            pthread_mutex_unlock(&w->mu);
        }
}

void pic_submit(struct fwdd *fw, struct pjob *j)
{
    struct picw *w = j->w;

    j->sa->inflight++;
    if (w == NULL || !w->running) {
        run(j);
        if (w)
            atomic_fetch_add_explicit(&w->packets, 1, memory_order_relaxed);
        j->w = NULL;
        complete(fw, j);
        return;
    }
    w->queued++;
    pthread_mutex_lock(&w->mu);
    if (w->in_tail)
        w->in_tail->next = j;
    else
        w->in = j;
    w->in_tail = j;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void pic_drain(struct fwdd *fw)
{
    for (struct picw *w = fw->picws; w; w = w->next)
        while (w->queued > 0) {
            struct timespec ts = {0, 200000};
            drain_done(fw, w);
            if (w->queued > 0)
                nanosleep(&ts, NULL);
        }
}

void pic_tick(struct fwdd *fw)
{
    if (fw->forget_due) { /* SAs were freed since the last tick */
        fw->forget_due = 0;
        pic_forget(fw);
    }
    int64_t now = fw_now_us();

    for (struct picw *w = fw->picws; w; w = w->next) {
        uint64_t cpu = atomic_load_explicit(&w->cpu_ns, memory_order_relaxed);
        if (now > w->last_us)
            w->util = (double)(cpu - w->last_cpu) / 10.0 / (double)(now - w->last_us);
        w->last_cpu = cpu;
        w->last_us = now;
    }
}

void pic_free_all(struct fwdd *fw)
{
    pic_drain(fw);
    while (fw->picws) {
        struct picw *w = fw->picws;
        fw->picws = w->next;
        if (w->running) {
            pthread_mutex_lock(&w->mu);
            w->stop = 1;
            pthread_cond_signal(&w->cv);
            pthread_mutex_unlock(&w->mu);
            pthread_join(w->th, NULL);
        }
        if (w->ev)
            event_free(w->ev);
        if (w->efd >= 0)
            close(w->efd);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
    }
    for (size_t i = 0; i < FWD_BURST_MAX; i++) {
        free(fw->rx_jobs[i]);
        fw->rx_jobs[i] = NULL;
    }
    while (fw->pool) {
        struct pjob *j = fw->pool;
        fw->pool = j->next;
        free(j);
    }
    fw->npool = 0;
}
