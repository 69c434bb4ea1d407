/*
 * test_daemon: lib/daemon.c against a fake mgd.  The test listens on
 * ROOT/mgd.sock in a temporary root, plays mgd with the blocking
 * ipc_read()/ipc_write(), and runs the daemon's event_base in between:
 * registration, FULL, PREPARE/APPLY with a diff, refusals, ABORT, RPC and
 * CANCEL, and recovery from a bad header, an oversized length, a lost
 * connection and a late mgd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "daemon.h"
#include "diffxml.h"
#include "ipc.h"
#include "log.h"
#include "render.h"

#include <event2/event.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_MS 3000

struct fix {
    char root[64];
    char sock[100];
    int lfd, fd;
    struct event_base *eb;
    struct dmn *d;
    /* what the callbacks saw */
    int prepares, applies, aborts, rpcs, cancels;
    const char *refuse;
    int had_old;
    char *prepared, *shown; /* brace text of the last newc, of dmn_config() */
    char *last;             /* payload of the last message from the daemon */
    int logs;               /* IPC_DAEMON_LOG lines skipped by expect() */
    struct conf *views[2];  /* test_mgd_diff's previous and next views */
    char rpc_name[64], rpc_xml[256];
    uint32_t cancel_id;
};

/* A tree from brace text. */
static struct conf *parse_text(const char *text)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    if (load_text(c->root, text, &r) != 0)
        fail_msg("%s: %s", text, r.errs[0].msg);
    load_result_free(&r);
    return c;
}

static char *show(const struct conf *c)
{
    struct buf b;

    buf_init(&b);
    render_text(&b, c->root, 0, 0);
    buf_puts(&b, "");
    return buf_steal(&b);
}

static int cb_prepare(void *arg, const struct conf *newc, const struct conf *old, char *err,
                      size_t errlen)
{
    struct fix *f = arg;

    f->prepares++;
    f->had_old = old != NULL;
    if (f->refuse) {
        snprintf(err, errlen, "%s", f->refuse);
        return -1;
    }
    free(f->prepared);
    f->prepared = show(newc);
    return 0;
}

static void cb_apply(void *arg)
{
    ((struct fix *)arg)->applies++;
}

static void cb_abort(void *arg)
{
    ((struct fix *)arg)->aborts++;
}

/* "slow" requests stay open; others are answered at once with a chunk. */
static void cb_rpc(void *arg, uint32_t id, const char *name, const char *xml)
{
    struct fix *f = arg;

    f->rpcs++;
    snprintf(f->rpc_name, sizeof(f->rpc_name), "%s", name);
    snprintf(f->rpc_xml, sizeof(f->rpc_xml), "%s", xml);
    if (strcmp(name, "slow") == 0)
        return;
    assert_int_equal(dmn_chunk(f->d, id, "line 1\n", 7), 0);
    assert_int_equal(dmn_reply(f->d, id, 0, "<rpc-reply><ok/></rpc-reply>"), 0);
    assert_int_equal(dmn_reply(f->d, id, 0, "<rpc-reply/>"), -1); /* already answered */
}

static void cb_cancel(void *arg, uint32_t id)
{
    struct fix *f = arg;

    f->cancels++;
    f->cancel_id = id;
}

static const struct dmn_ops ops = {cb_prepare, cb_apply, cb_abort, cb_rpc, cb_cancel};

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Run the daemon's loop until fd is readable (1) or the deadline (0). */
static int run_until_readable(struct fix *f, int fd, int ms)
{
    long end = now_ms() + ms;

    do {
        struct pollfd p = {fd, POLLIN, 0};
        event_base_loop(f->eb, EVLOOP_NONBLOCK);
        if (poll(&p, 1, 5) == 1)
            return 1;
    } while (now_ms() < end);
    return 0;
}

/* Run the daemon's loop until *counter reaches n, within the deadline. */
static void run_until(struct fix *f, const int *counter, int n)
{
    long end = now_ms() + DEADLINE_MS;

    while (*counter < n && now_ms() < end)
        run_until_readable(f, -1, 5);
    assert_int_equal(*counter, n);
}

static void listen_sock(struct fix *f)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(f->lfd >= 0);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(f->lfd, 4), 0);
}

/* The next message from the daemon, of type type; its payload (kept in
 * f->last).  The daemon's log lines (IPC_DAEMON_LOG, unsolicited) are
 * counted and skipped. */
static const char *expect(struct fix *f, uint16_t type, struct ipc_hdr *hp)
{
    struct ipc_hdr h;

    do {
        free(f->last);
        f->last = NULL;
        assert_true(run_until_readable(f, f->fd, DEADLINE_MS));
        assert_int_equal(ipc_read(f->fd, &h, &f->last), 0);
        if (h.type == IPC_DAEMON_LOG) {
            assert_non_null(strstr(f->last, "<log pri=\""));
            f->logs++;
        }
    } while (h.type == IPC_DAEMON_LOG && type != IPC_DAEMON_LOG);
    assert_string_equal(ipc_type_name(h.type), ipc_type_name(type));
    if (hp)
        *hp = h;
    return f->last;
}

static void expect_payload(struct fix *f, uint16_t type, const char *want)
{
    assert_string_equal(expect(f, type, NULL), want);
}

/* Accept the daemon's (re)connection and check its HELLO. */
static void accept_daemon(struct fix *f)
{
    char want[128];

    assert_true(run_until_readable(f, f->lfd, DEADLINE_MS));
    f->fd = accept(f->lfd, NULL, NULL);
    assert_true(f->fd >= 0);
    snprintf(want, sizeof(want), "<daemon-hello name=\"test\" pid=\"%ld\"/>", (long)getpid());
    expect_payload(f, IPC_DAEMON_HELLO, want);
}

static void send_msg(struct fix *f, uint16_t type, uint32_t id, const char *payload)
{
    assert_int_equal(ipc_write(f->fd, type, 0, id, payload, strlen(payload)), 0);
}

/* got (brace text of a view, or NULL) shows the tree of brace text want. */
static void assert_view(const char *got, const char *want)
{
    struct conf *w = parse_text(want);
    char *wt = show(w);
    int same = got && strcmp(got, wt) == 0;

    if (!same)
        print_error("view:\n%s\nexpected:\n%s\n", got ? got : "(none)", wt);
    free(wt);
    conf_free(w);
    assert_true(same);
}

static void assert_current(struct fix *f, const char *want)
{
    free(f->shown);
    f->shown = dmn_config(f->d) ? show(dmn_config(f->d)) : NULL;
    assert_view(f->shown, want);
}

static const char full_text[] =
    "interfaces { ge-0/0/0 { description \"to N-1\"; unit 0 { family inet { address 10.1.1.254/24; "
    "} } } ge-0/0/1 { description \"to ISP\"; } }";

/* A leaf change and a deleted list entry. */
static const char diff_xml[] =
    "<commit-prepare seq=\"2\"><configuration><interfaces>"
    "<interface><name>ge-0/0/0</name><description>lan</description></interface>"
    "<interface delete=\"delete\"><name>ge-0/0/1</name></interface>"
    "</interfaces></configuration></commit-prepare>";

static const char diff_text[] = "interfaces { ge-0/0/0 { description lan; unit 0 { family inet { "
                                "address 10.1.1.254/24; } } } }";

static int group_setup(void **state)
{
    log_init("test_daemon", 0, 0);
    return schema_setup(state);
}

/* A root with mgd listening and the daemon connected (HELLO checked). */
static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->root, sizeof(f->root), "/tmp/test_daemon.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->sock, sizeof(f->sock), "%s/mgd.sock", f->root);
    f->fd = f->lfd = -1;
    f->eb = event_base_new();
    assert_non_null(f->eb);
    if (*state == NULL) { /* tests passing a state start without mgd */
        listen_sock(f);
        f->d = dmn_new(f->eb, f->root, "test", sch, &ops, f);
        assert_non_null(f->d);
        accept_daemon(f);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;

    dmn_free(f->d);
    event_base_free(f->eb);
    if (f->fd >= 0)
        close(f->fd);
    if (f->lfd >= 0)
        close(f->lfd);
    unlink(f->sock);
    rmdir(f->root);
    free(f->prepared);
    free(f->shown);
    free(f->last);
    conf_free(f->views[0]);
    conf_free(f->views[1]);
    free(f);
    return 0;
}

/* FULL of view c, seq 1, as mgd renders it. */
/* FULL of the view in brace text, seq 1, as mgd renders it. */
static void send_full(struct fix *f, uint32_t id, const char *text)
{
    struct conf *c = parse_text(text);
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "<daemon-full seq=\"1\">");
    render_xml(&b, c->root, 0, NULL);
    buf_puts(&b, "</daemon-full>");
    send_msg(f, IPC_DAEMON_FULL, id, b.s);
    buf_free(&b);
    conf_free(c);
}

static void full(struct fix *f)
{
    send_full(f, 11, full_text);
    expect_payload(f, IPC_DAEMON_APPLIED, "<applied seq=\"1\"/>");
}

static void test_full(void **state)
{
    struct fix *f = *state;
    struct ipc_hdr h;

    assert_null(dmn_config(f->d));
    send_full(f, 11, full_text);
    assert_string_equal(expect(f, IPC_DAEMON_APPLIED, &h), "<applied seq=\"1\"/>");
    assert_int_equal(h.id, 11); /* replies repeat the request's id */
    assert_int_equal(f->prepares, 1);
    assert_int_equal(f->applies, 1);
    assert_false(f->had_old);
    assert_current(f, full_text);
    /* a second FULL (mgd resync) is prepared against the current view */
    full(f);
    assert_int_equal(f->applies, 2);
    assert_true(f->had_old);
    /* a refused FULL keeps the current view */
    f->refuse = "no memory for 2 interfaces";
    send_full(f, 12, full_text);
    expect_payload(f, IPC_DAEMON_APPLIED,
                   "<apply-error seq=\"1\">no memory for 2 interfaces</apply-error>");
    assert_int_equal(f->applies, 2);
    assert_current(f, full_text);
    /* the daemon's log lines go to mgd too ("full configuration 1
     * applied" was one), escaped; debug lines do not */
    assert_true(f->logs >= 1);
    log_debug("not for mgd");
    log_warnx("a <b> & c");
    expect_payload(f, IPC_DAEMON_LOG, "<log pri=\"4\">a &lt;b&gt; &amp; c</log>");
}

static void test_prepare_apply(void **state)
{
    struct fix *f = *state;

    full(f);
    send_msg(f, IPC_DAEMON_PREPARE, 12, diff_xml);
    expect_payload(f, IPC_DAEMON_PREPARED, "<prepare-ok seq=\"2\"/>");
    assert_int_equal(f->prepares, 2);
    assert_view(f->prepared, diff_text); /* what prepare() was offered */
    assert_current(f, full_text);        /* not current before APPLY */
    assert_int_equal(f->applies, 1);
    send_msg(f, IPC_DAEMON_APPLY, 13, "<commit-apply seq=\"2\"/>");
    expect_payload(f, IPC_DAEMON_APPLIED, "<applied seq=\"2\"/>");
    assert_int_equal(f->applies, 2);
    assert_current(f, diff_text);
}

static void test_prepare_refused(void **state)
{
    /* payload, start of the answer: an error in the diff itself (refused
     * before prepare()), not XML, bad seq, no configuration, a DTD, an
     * empty FULL; then prepare() refuses */
    static const struct {
        uint16_t type;
        const char *payload, *want;
    } bad[] = {
        {IPC_DAEMON_PREPARE,
         "<commit-prepare seq=\"3\"><configuration><interfaces><bogus/></interfaces>"
         "</configuration></commit-prepare>",
         "<prepare-error seq=\"3\">configuration from mgd rejected: unknown statement 'bogus' "
         "under 'interfaces'"},
        {IPC_DAEMON_PREPARE, "<commit-prepare seq=\"4\"><configuration>",
         "<prepare-error seq=\"0\">malformed commit-prepare message: "},
        {IPC_DAEMON_PREPARE, "<commit-prepare seq=\"-1\"><configuration/></commit-prepare>",
         "<prepare-error seq=\"0\">malformed commit-prepare message: &lt;commit-prepare&gt;<"},
        {IPC_DAEMON_PREPARE, "<commit-prepare seq=\"7\"/>",
         "<prepare-error seq=\"7\">malformed commit-prepare message: no &lt;configuration&gt;<"},
        {IPC_DAEMON_PREPARE, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><commit-prepare seq=\"8\"/>",
         "<prepare-error seq=\"0\">malformed commit-prepare message: unexpected document type<"},
        {IPC_DAEMON_FULL, "", "<apply-error seq=\"0\">malformed daemon-full message: "},
    };
    struct fix *f = *state;

    full(f);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        send_msg(f, bad[i].type, 2, bad[i].payload);
        expect(f, bad[i].type == IPC_DAEMON_FULL ? IPC_DAEMON_APPLIED : IPC_DAEMON_PREPARED, NULL);
        if (strncmp(f->last, bad[i].want, strlen(bad[i].want)) != 0)
            fail_msg("case %zu: %s", i, f->last);
    }
    assert_int_equal(f->prepares, 1);
    f->refuse = "no free <pool> unit & no memory";
    send_msg(f, IPC_DAEMON_PREPARE, 12, diff_xml);
    expect_payload(
        f, IPC_DAEMON_PREPARED,
        "<prepare-error seq=\"2\">no free &lt;pool&gt; unit &amp; no memory</prepare-error>");
    assert_int_equal(f->applies, 1);
    assert_int_equal(f->aborts, 0); /* a refusal keeps nothing to abort */
    assert_current(f, full_text);
}

static void test_abort(void **state)
{
    struct fix *f = *state;

    full(f);
    send_msg(f, IPC_DAEMON_PREPARE, 12, diff_xml);
    expect_payload(f, IPC_DAEMON_PREPARED, "<prepare-ok seq=\"2\"/>");
    send_msg(f, IPC_DAEMON_ABORT, 13, "");
    send_msg(f, IPC_DAEMON_APPLY, 14, "<commit-apply seq=\"2\"/>"); /* too late */
    expect_payload(f, IPC_DAEMON_APPLIED,
                   "<apply-error seq=\"2\">no configuration prepared</apply-error>");
    assert_int_equal(f->aborts, 1);
    assert_int_equal(f->applies, 1);
    assert_current(f, full_text);
    /* a second PREPARE while one is pending aborts the first */
    send_msg(f, IPC_DAEMON_PREPARE, 15, diff_xml);
    expect_payload(f, IPC_DAEMON_PREPARED, "<prepare-ok seq=\"2\"/>");
    send_msg(f, IPC_DAEMON_PREPARE, 16, diff_xml);
    expect_payload(f, IPC_DAEMON_PREPARED, "<prepare-ok seq=\"2\"/>");
    assert_int_equal(f->aborts, 2);
    /* an APPLY for another seq is refused and keeps the pending one */
    send_msg(f, IPC_DAEMON_APPLY, 17, "<commit-apply seq=\"9\"/>");
    expect_payload(f, IPC_DAEMON_APPLIED,
                   "<apply-error seq=\"9\">configuration 9 is not the "
                   "prepared one (2)</apply-error>");
    send_msg(f, IPC_DAEMON_APPLY, 18, "<commit-apply seq=\"2\"/>");
    expect_payload(f, IPC_DAEMON_APPLIED, "<applied seq=\"2\"/>");
    assert_current(f, diff_text);
}

/* Views reaching the daemon as the diffs mgd builds (conf_diff_xml), the
 * first from nothing: leaves, flags, entries and nested entries added and
 * removed, a choice switched.  APPLY without a payload applies the pending. */
static void test_mgd_diff(void **state)
{
    static const char *const views[] = {
        full_text,
        "interfaces { ge-0/0/0 { disable; unit 0 { family inet { address 10.1.1.254/24; "
        "address 10.9.9.9/24; } } } ge-0/0/2 { description new; mtu 9000; } }",
        "interfaces { ge-0/0/2 { mtu 1500; } ms-1/0/0 { unit 1 { service-domain inside; "
        "dial-options { ipsec-interface-id p; shared; } } } }",
        "interfaces { ms-1/0/0 { unit 1 { dial-options { ipsec-interface-id p; dedicated; } } } }",
        "",
    };
    struct fix *f = *state;
    struct conf **prev = &f->views[0], **c = &f->views[1];

    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        char ok[64];
        struct buf b;
        *c = parse_text(views[i]);
        buf_init(&b);
        buf_printf(&b, "<commit-prepare seq=\"%zu\">", i + 1);
        conf_diff_xml(&b, *prev ? (*prev)->root : NULL, (*c)->root);
        buf_puts(&b, "</commit-prepare>");
        send_msg(f, IPC_DAEMON_PREPARE, 2, b.s);
        buf_free(&b);
        snprintf(ok, sizeof(ok), "<prepare-ok seq=\"%zu\"/>", i + 1);
        expect_payload(f, IPC_DAEMON_PREPARED, ok);
        assert_int_equal(f->had_old, i > 0);
        send_msg(f, IPC_DAEMON_APPLY, 3, "");
        snprintf(ok, sizeof(ok), "<applied seq=\"%zu\"/>", i + 1);
        expect_payload(f, IPC_DAEMON_APPLIED, ok);
        assert_current(f, views[i]);
        conf_free(*prev);
        *prev = *c;
        *c = NULL;
    }
}

static void test_rpc(void **state)
{
    struct fix *f = *state;
    struct ipc_hdr h;
    const char *p;

    send_msg(f, IPC_RPC, 7,
             "<rpc><get-route-information><table>inet.0</table></get-route-information></rpc>");
    p = expect(f, IPC_REPLY_CHUNK, &h);
    assert_int_equal(h.id, 7);
    assert_string_equal(p, "line 1\n");
    p = expect(f, IPC_REPLY, &h);
    assert_true(h.id == 7 && h.flags == 0);
    assert_string_equal(p, "<rpc-reply><ok/></rpc-reply>");
    assert_string_equal(f->rpc_name, "get-route-information");
    assert_string_equal(f->rpc_xml,
                        "<get-route-information><table>inet.0</table></get-route-information>");
    /* cancel of an open request reaches the daemon; replies after it are dropped */
    send_msg(f, IPC_RPC, 8, "<rpc><slow/></rpc>");
    send_msg(f, IPC_CANCEL, 99, "");                     /* unknown: ignored */
    send_msg(f, IPC_DAEMON_HELLO, 0, "<daemon-hello/>"); /* unexpected type: ignored */
    send_msg(f, IPC_CANCEL, 8, "");
    run_until(f, &f->cancels, 1);
    assert_int_equal(f->cancel_id, 8);
    assert_int_equal(dmn_reply(f->d, 8, 0, "<rpc-reply/>"), -1);
    /* malformed requests are answered with an error */
    send_msg(f, IPC_RPC, 9, "<rpc><a/><b/></rpc>");
    p = expect(f, IPC_REPLY, &h);
    assert_true(h.id == 9 && h.flags == IPC_F_ERROR);
    assert_non_null(strstr(p, "<xnm:error"));
    assert_non_null(strstr(p, "expected &lt;rpc&gt; with one request"));
    send_msg(f, IPC_RPC, 10, "not xml");
    p = expect(f, IPC_REPLY, &h);
    assert_true(h.id == 10 && h.flags == IPC_F_ERROR);
    assert_non_null(strstr(p, "malformed rpc message"));
}

/* After the daemon dropped the connection: EOF, then a new connection. */
static void expect_reconnect(struct fix *f)
{
    struct ipc_hdr h;
    char *p;

    assert_true(run_until_readable(f, f->fd, DEADLINE_MS));
    assert_int_equal(ipc_read(f->fd, &h, &p), -1);
    close(f->fd);
    f->fd = -1;
    accept_daemon(f);
}

static void test_bad_header(void **state)
{
    struct fix *f = *state;
    static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    struct ipc_hdr h = {IPC_MAGIC, IPC_DAEMON_FULL, 0, 1, IPC_MAX_PAYLOAD + 1};

    full(f);
    send_msg(f, IPC_DAEMON_PREPARE, 12, diff_xml);
    expect_payload(f, IPC_DAEMON_PREPARED, "<prepare-ok seq=\"2\"/>");
    assert_int_equal(write(f->fd, garbage, sizeof(garbage) - 1), (ssize_t)sizeof(garbage) - 1);
    expect_reconnect(f);
    assert_int_equal(f->aborts, 1); /* the pending commit died with the connection */
    assert_current(f, full_text);   /* the current view stays */
    full(f);                        /* and mgd resyncs it */
    assert_int_equal(f->applies, 2);
    /* an oversized length is a bad header too: nothing is read after it */
    assert_int_equal(write(f->fd, &h, sizeof(h)), (ssize_t)sizeof(h));
    expect_reconnect(f);
    assert_int_equal(f->prepares, 3);
    assert_current(f, full_text);
}

static void test_disconnect(void **state)
{
    struct fix *f = *state;

    full(f);
    send_msg(f, IPC_RPC, 21, "<rpc><slow/></rpc>");
    run_until(f, &f->rpcs, 1);
    close(f->fd); /* mgd restarts */
    f->fd = -1;
    run_until(f, &f->cancels, 1); /* its requests died with it */
    assert_int_equal(f->cancel_id, 21);
    assert_int_equal(dmn_reply(f->d, 21, 0, "<rpc-reply/>"), -1);
    accept_daemon(f);
    assert_current(f, full_text);
}

static void test_late_mgd(void **state)
{
    struct fix *f = *state;

    f->d = dmn_new(f->eb, f->root, "test", sch, &ops, f);
    assert_non_null(f->d);
    run_until_readable(f, -1, 450); /* a few retries against a missing socket */
    assert_null(dmn_config(f->d));
    listen_sock(f);
    accept_daemon(f);
    full(f);
    assert_current(f, full_text);
}

int main(void)
{
    static int no_mgd = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepare_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mgd_diff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect, setup, teardown),
        cmocka_unit_test_prestate_setup_teardown(test_late_mgd, setup, teardown, &no_mgd),
    };

    return cmocka_run_group_tests(tests, group_setup, schema_teardown);
}
