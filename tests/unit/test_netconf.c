/*
 * test_netconf.c: the NETCONF front end without SSH or mgd: framing
 * (end-of-message and chunked, split anywhere, bad headers), the hello
 * exchange, and <rpc> envelopes answered through a pipe (attributes
 * echoed, missing message-id, malformed XML, unsupported operations,
 * close-session, mgd unreachable).
 */
#include "netconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int next(struct framer *f, int either, char **msg)
{
    size_t len;
    const char *err;

    return frame_next(f, either, msg, &len, &err);
}

static void test_eom_split(void **state)
{
    const char *in = "<a/>]]>]]>\n  <b>x</b>]]>]]>";
    struct framer f;
    char *m;
    int got = 0;

    (void)state;
    frame_init(&f);
    for (size_t i = 0; in[i]; i++) {
        frame_feed(&f, in + i, 1);
        while (next(&f, 0, &m) == 1) {
            assert_string_equal(m, got ? "<b>x</b>" : "<a/>");
            free(m);
            got++;
        }
    }
    assert_int_equal(got, 2);
    frame_free(&f);
}

static void test_chunked(void **state)
{
    const char *in = "\n#4\n<rpc\n#17\n message-id=\"1\"/>\n##\n\n#3\n<x/\n#1\n>\n##\n";
    struct framer f;
    char *m;
    int got = 0;

    (void)state;
    frame_init(&f);
    f.chunked = 1;
    for (size_t i = 0; in[i]; i++) {
        frame_feed(&f, in + i, 1);
        while (next(&f, 0, &m) == 1) {
            assert_string_equal(m, got ? "<x/>" : "<rpc message-id=\"1\"/>");
            free(m);
            got++;
        }
    }
    assert_int_equal(got, 2);
    frame_free(&f);
}

static void test_chunked_errors(void **state)
{
    static const char *const bad[] = {"\n#0\n\n##\n", "\n#01\nx\n##\n",   "\n#x\n",
                                      "\n##\n",       "\n#99999999999\n", "<rpc/>]]>]]>"};
    char *m;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct framer f;
        frame_init(&f);
        f.chunked = 1;
        frame_feed(&f, bad[i], strlen(bad[i]));
        assert_int_equal(next(&f, 0, &m), -1);
        frame_free(&f);
    }
}

static void test_hello_either_framing(void **state)
{
    const char *h = "<hello/>";
    struct buf b;
    struct framer f;
    char *m;

    (void)state;
    /* a client hello sent chunk-framed is accepted before the switch */
    buf_init(&b);
    frame_put(&b, 1, h, strlen(h));
    frame_init(&f);
    frame_feed(&f, b.s, b.len);
    assert_int_equal(next(&f, 1, &m), 1);
    assert_string_equal(m, h);
    free(m);
    frame_free(&f);
    buf_free(&b);
}

static void test_hello(void **state)
{
    struct nc nc;
    struct buf b;
    int b10, b11;
    const char *why;
    const char *h11 = "<hello xmlns=\"" NC_NS "\"><capabilities><capability>" NC_BASE10
                      "</capability><capability> " NC_BASE11 "\n</capability></capabilities>"
                      "</hello>";

    (void)state;
    memset(&nc, 0, sizeof(nc));
    nc.session_id = 42;
    nc.base11 = 1;
    buf_init(&b);
    hello_server(&b, &nc);
    assert_non_null(strstr(b.s, "<session-id>42</session-id>"));
    assert_non_null(strstr(b.s, NC_BASE11));
    assert_non_null(strstr(b.s, "urn:ietf:params:netconf:capability:candidate:1.0"));
    assert_non_null(strstr(b.s, "urn:ietf:params:netconf:capability:confirmed-commit:1.0"));
    assert_non_null(strstr(b.s, "urn:ietf:params:netconf:capability:validate:1.0"));
    assert_non_null(strstr(b.s, "http://xml.juniper.net/netconf/junos/1.0"));
    buf_free(&b);
    nc.base11 = 0;
    buf_init(&b);
    hello_server(&b, &nc);
    assert_null(strstr(b.s, NC_BASE11));
    buf_free(&b);

    assert_int_equal(hello_client(h11, strlen(h11), &b10, &b11, &why), 0);
    assert_true(b10 && b11);
    assert_int_equal(hello_client("<hello><capabilities/><session-id>1</session-id></hello>", 55,
                                  &b10, &b11, &why),
                     -1);
    assert_int_equal(hello_client("<hello><capabilities/></hello>", 30, &b10, &b11, &why), -1);
    assert_int_equal(hello_client("<rpc/>", 6, &b10, &b11, &why), -1);
}

/* A session whose output is a pipe; mgd is unreachable. */
struct pipe_nc {
    struct nc nc;
    int rd;
};

static void pipe_open(struct pipe_nc *p, int chunked)
{
    int fds[2];

    assert_int_equal(pipe(fds), 0);
    memset(p, 0, sizeof(*p));
    p->nc.out = fds[1];
    p->nc.mgd = -1;
    p->nc.base11 = 1;
    p->nc.session_id = 7;
    p->rd = fds[0];
    frame_init(&p->nc.fr);
    p->nc.hello_done = 1;
    p->nc.fr.chunked = chunked;
}

/* Everything written so far. */
static char *pipe_read(struct pipe_nc *p)
{
    struct buf b;
    char tmp[4096];
    ssize_t n;
    int fl = fcntl(p->rd, F_GETFL);

    fcntl(p->rd, F_SETFL, fl | O_NONBLOCK);
    buf_init(&b);
    while ((n = read(p->rd, tmp, sizeof(tmp))) > 0)
        buf_add(&b, tmp, (size_t)n);
    buf_add(&b, "", 1);
    return b.s;
}

static void pipe_close(struct pipe_nc *p)
{
    close(p->rd);
    close(p->nc.out);
    frame_free(&p->nc.fr);
}

static char *ask(struct pipe_nc *p, const char *msg)
{
    session_message(&p->nc, msg, strlen(msg));
    return pipe_read(p);
}

static void test_envelopes(void **state)
{
    struct pipe_nc p;
    char *r;

    (void)state;
    pipe_open(&p, 0);
    /* every attribute of <rpc> is echoed, its namespace declarations too */
    r = ask(&p, "<?xml version=\"1.0\"?><nc:rpc xmlns:nc=\"" NC_NS "\" message-id=\"urn:uuid:1\" "
                "user-tag=\"a&amp;b\"><nc:copy-config/></nc:rpc>");
    assert_non_null(strstr(r, "<rpc-reply xmlns:nc=\"" NC_NS "\" xmlns=\"" NC_NS "\""));
    assert_non_null(strstr(r, "message-id=\"urn:uuid:1\""));
    assert_non_null(strstr(r, "user-tag=\"a&amp;b\""));
    assert_non_null(strstr(r, "<error-tag>operation-not-supported</error-tag>"));
    assert_non_null(strstr(r, "<bad-element>copy-config</bad-element>"));
    assert_non_null(strstr(r, "]]>]]>"));
    free(r);
    /* no message-id */
    r = ask(&p, "<rpc><get/></rpc>");
    assert_non_null(strstr(r, "<error-tag>missing-attribute</error-tag>"));
    assert_non_null(strstr(r, "<bad-attribute>message-id</bad-attribute>"));
    assert_null(strstr(r, "message-id=\""));
    free(r);
    /* not XML: operation-failed for a base:1.0 peer */
    r = ask(&p, "<rpc message-id=\"3\"><get>");
    assert_non_null(strstr(r, "<error-tag>operation-failed</error-tag>"));
    free(r);
    /* no operation */
    r = ask(&p, "<rpc message-id=\"4\"/>");
    assert_non_null(strstr(r, "<error-tag>missing-element</error-tag>"));
    free(r);
    /* edit-config of running: not offered (no :writable-running) */
    r = ask(&p, "<rpc message-id=\"5\"><edit-config><target><running/></target>"
                "<config/></edit-config></rpc>");
    assert_non_null(strstr(r, "message-id=\"5\""));
    assert_non_null(strstr(r, "<error-tag>operation-not-supported</error-tag>"));
    free(r);
    /* a session cannot kill itself */
    r = ask(&p, "<rpc message-id=\"6\"><kill-session><session-id>7</session-id>"
                "</kill-session></rpc>");
    assert_non_null(strstr(r, "<error-tag>invalid-value</error-tag>"));
    free(r);
    assert_int_equal(p.nc.done, 0);
    /* an operation mgd answers: mgd is gone, the session ends */
    r = ask(&p, "<rpc message-id=\"8\"><get-software-information/></rpc>");
    assert_non_null(strstr(r, "mgd) is not reachable"));
    assert_int_equal(p.nc.done, 1);
    free(r);
    pipe_close(&p);
}

static void test_chunked_reply_and_close(void **state)
{
    struct pipe_nc p;
    char *r;

    (void)state;
    pipe_open(&p, 1);
    r = ask(&p, "<rpc message-id=\"101\" xmlns=\"" NC_NS "\"><close-session/></rpc>");
    assert_memory_equal(r, "\n#", 2);
    assert_non_null(strstr(r, "<ok/>"));
    assert_non_null(strstr(r, "\n##\n"));
    assert_null(strstr(r, "]]>]]>"));
    /* one default namespace declaration: the client's */
    assert_null(strstr(strstr(r, "xmlns=") + 1, "xmlns=\""));
    assert_int_equal(p.nc.done, 1);
    free(r);
    /* the chunk size is the message length */
    {
        struct framer f;
        char *m;
        frame_init(&f);
        f.chunked = 1;
        session_message(&p.nc, "<rpc message-id=\"1\"><close-session/></rpc>", 42);
        r = pipe_read(&p);
        frame_feed(&f, r, strlen(r));
        assert_int_equal(next(&f, 0, &m), 1);
        assert_non_null(strstr(m, "</rpc-reply>"));
        free(m);
        free(r);
        frame_free(&f);
    }
    pipe_close(&p);
}

static void test_filter(void **state)
{
    const char *d = "<rpc-reply><configuration><system><host-name>gw</host-name>"
                    "<login><user><name>a</name><class>operator</class></user>"
                    "<user><name>b</name><class>read-only</class></user></login></system>"
                    "<interfaces/></configuration></rpc-reply>";
    const char *f = "<filter><configuration><system><login><user><name>b</name>"
                    "</user></login></system></configuration></filter>";
    xmlDocPtr fd = xmlReadMemory(f, (int)strlen(f), "f.xml", NULL, 0);
    struct buf b;

    (void)state;
    assert_non_null(fd);
    buf_init(&b);
    filter_configuration(&b, d, xmlDocGetRootElement(fd));
    assert_non_null(strstr(b.s, "<user><name>b</name><class>read-only</class></user>"));
    assert_null(strstr(b.s, "<name>a</name>"));
    assert_null(strstr(b.s, "host-name"));
    assert_null(strstr(b.s, "interfaces"));
    buf_free(&b);
    xmlFreeDoc(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eom_split),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_chunked_errors),
        cmocka_unit_test(test_hello_either_framing),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_envelopes),
        cmocka_unit_test(test_chunked_reply_and_close),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
