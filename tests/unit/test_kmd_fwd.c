/*
 * test_kmd_fwd: kmd's client of fwdd against a fake fwdd in the test:
 * HELLO on connect, punted datagrams, requests and their replies, length
 * checks on what fwdd sends, loss of the connection and reconnection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fwd.h"
#include "ipc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct fix {
    char root[64];
    int lfd, cfd;
    struct event_base *eb;
    struct fwd *f;
    int ups, downs, punts, replies;
    uint32_t last_status;
    char last_payload[64];
    char last_unit[FWD_NAME_LEN];
};

static void on_up(void *arg)
{
    ((struct fix *)arg)->ups++;
}

static void on_down(void *arg)
{
    ((struct fix *)arg)->downs++;
}

static void on_punt(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    struct fix *x = arg;

    x->punts++;
    assert_int_equal(d->dport, 500);
    snprintf(x->last_payload, sizeof(x->last_payload), "%.*s", (int)len, (const char *)pkt);
}

static const struct fwd_ops ops = {on_up, on_down, on_punt, NULL, NULL};

static void on_reply(void *arg, uint32_t status, const char *msg, const void *data, size_t len)
{
    struct fix *x = arg;

    (void)msg;
    x->replies++;
    x->last_status = status;
    if (len >= sizeof(struct fwd_pool))
        snprintf(x->last_unit, sizeof(x->last_unit), "%s", ((const struct fwd_pool *)data)->unit);
}

/* Run kmd's loop until cond holds (deadline 5 s). */
#define PUMP_UNTIL(x, cond)                                                                        \
    do {                                                                                           \
        struct timespec t0, t1;                                                                    \
        clock_gettime(CLOCK_MONOTONIC, &t0);                                                       \
        while (!(cond)) {                                                                          \
            event_base_loop((x)->eb, EVLOOP_ONCE | EVLOOP_NONBLOCK);                               \
            poll(NULL, 0, 2);                                                                      \
            clock_gettime(CLOCK_MONOTONIC, &t1);                                                   \
            assert_true(t1.tv_sec - t0.tv_sec < 5);                                                \
        }                                                                                          \
    } while (0)

static int try_accept(struct fix *x)
{
    if (x->cfd < 0)
        x->cfd = accept(x->lfd, NULL, NULL);
    return x->cfd >= 0;
}

/* Read one message from kmd (blocking, pumping kmd's loop meanwhile). */
static void fake_read(struct fix *x, struct ipc_hdr *h, void *buf, size_t cap)
{
    PUMP_UNTIL(x, (poll(&(struct pollfd){x->cfd, POLLIN, 0}, 1, 0) == 1));
    assert_int_equal(read(x->cfd, h, sizeof(*h)), sizeof(*h));
    assert_true(h->len <= cap);
    if (h->len)
        assert_int_equal(read(x->cfd, buf, h->len), h->len);
}

static void fake_write(struct fix *x, uint16_t type, uint32_t id, const void *a, size_t alen,
                       const void *b, size_t blen)
{
    struct ipc_hdr h = {IPC_MAGIC, type, 0, id, (uint32_t)(alen + blen)};

    assert_int_equal(write(x->cfd, &h, sizeof(h)), sizeof(h));
    if (alen)
        assert_int_equal(write(x->cfd, a, alen), (ssize_t)alen);
    if (blen)
        assert_int_equal(write(x->cfd, b, blen), (ssize_t)blen);
}

static void handshake(struct fix *x)
{
    struct ipc_hdr h;
    uint8_t buf[512];
    struct fwd_reply ok = {FWD_OK, ""};

    PUMP_UNTIL(x, try_accept(x));
    fake_read(x, &h, buf, sizeof(buf));
    assert_int_equal(h.type, FWD_HELLO);
    assert_int_equal(h.len, sizeof(struct fwd_hello));
    fake_write(x, FWD_REPLY, h.id, &ok, sizeof(ok), NULL, 0);
    PUMP_UNTIL(x, fwd_is_up(x->f));
}

static int setup(void **state)
{
    struct fix *x = calloc(1, sizeof(*x));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(x->root, sizeof(x->root), "/tmp/kmdfwd.XXXXXX");
    assert_non_null(mkdtemp(x->root));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fwdd.sock", x->root);
    x->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_int_equal(bind(x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(x->lfd, 4), 0);
    x->cfd = -1;
    x->eb = event_base_new();
    x->f = fwd_new(x->eb, x->root, &ops, x);
    assert_non_null(x->f);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fix *x = *state;
    char path[128];

    fwd_free(x->f);
    event_base_free(x->eb);
    if (x->cfd >= 0)
        close(x->cfd);
    close(x->lfd);
    snprintf(path, sizeof(path), "%s/fwdd.sock", x->root);
    unlink(path);
    rmdir(x->root);
    free(x);
    return 0;
}

static void test_hello_punt_request(void **state)
{
    struct fix *x = *state;
    struct fwd_dgram d = {0};
    struct fwd_pool pool = {0}, got;
    struct ipc_hdr h;
    uint8_t buf[1024];
    struct fwd_reply ok = {FWD_OK, ""};

    handshake(x);
    assert_int_equal(x->ups, 1);
    d.sport = 500;
    d.dport = 500;
    d.len = 5;
    fake_write(x, FWD_PUNT, 0, &d, sizeof(d), "hello", 5);
    PUMP_UNTIL(x, x->punts == 1);
    assert_string_equal(x->last_payload, "hello");
    /* a punt whose declared length lies is dropped */
    d.len = 500;
    fake_write(x, FWD_PUNT, 0, &d, sizeof(d), "short", 5);
    /* a request and its reply with data */
    snprintf(pool.service_set, sizeof(pool.service_set), "SG1");
    snprintf(pool.pool, sizeof(pool.pool), "dyn-pool");
    assert_int_equal(fwd_request(x->f, FWD_POOL_RESERVE, &pool, sizeof(pool), NULL, 0, on_reply, x),
                     0);
    fake_read(x, &h, buf, sizeof(buf));
    assert_int_equal(h.type, FWD_POOL_RESERVE);
    assert_int_equal(h.len, sizeof(pool));
    memcpy(&got, buf, sizeof(got));
    assert_string_equal(got.pool, "dyn-pool");
    snprintf(got.unit, sizeof(got.unit), "ms-1/0/0.1");
    fake_write(x, FWD_REPLY, h.id, &ok, sizeof(ok), &got, sizeof(got));
    PUMP_UNTIL(x, x->replies == 1);
    assert_int_equal(x->last_status, FWD_OK);
    assert_string_equal(x->last_unit, "ms-1/0/0.1");
    assert_int_equal(x->punts, 1);
}

static void test_reconnect(void **state)
{
    struct fix *x = *state;

    handshake(x);
    /* a pending request fails when fwdd goes away */
    assert_int_equal(fwd_request(x->f, FWD_SA_STATS, &(struct fwd_sa_ref){0},
                                 sizeof(struct fwd_sa_ref), NULL, 0, on_reply, x),
                     0);
    close(x->cfd);
    x->cfd = -1;
    PUMP_UNTIL(x, x->downs == 1);
    assert_int_equal(x->replies, 1);
    assert_int_equal(x->last_status, FWD_ERR_NOENT);
    assert_int_equal(fwd_request(x->f, FWD_SA_STATS, &(struct fwd_sa_ref){0},
                                 sizeof(struct fwd_sa_ref), NULL, 0, NULL, NULL),
                     -1);
    handshake(x);
    assert_int_equal(x->ups, 2);
}

static void test_bad_header(void **state)
{
    struct fix *x = *state;
    struct ipc_hdr bad = {0xdeadbeef, FWD_PUNT, 0, 0, 4};

    handshake(x);
    assert_int_equal(write(x->cfd, &bad, sizeof(bad)), sizeof(bad));
    PUMP_UNTIL(x, x->downs == 1);
    close(x->cfd);
    x->cfd = -1;
    handshake(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hello_punt_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
