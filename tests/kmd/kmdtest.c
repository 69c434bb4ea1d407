/*
 * kmdtest.c: see kmdtest.h.
 */
#include "kmdtest.h"

#include "buf.h"
#include "groups.h"
#include "log.h"
#include "render.h"
#include "secret9.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct schema *sch;

const char KT_SG1[] = "interfaces {\n"
                      "    ms-1/0/0 {\n"
                      "        unit 0 { family inet; }\n"
                      "        unit 1 { family inet; service-domain inside;\n"
                      "            dial-options { ipsec-interface-id dyn-pool; shared; } }\n"
                      "        unit 2 { family inet; service-domain outside; }\n"
                      "    }\n"
                      "}\n"
                      "access {\n"
                      "    profile dyn-peers {\n"
                      "        client * {\n"
                      "            ike {\n"
                      "                allowed-proxy-pair {\n"
                      "                    remote 10.2.2.0/24 local 10.1.1.0/24;\n"
                      "                    remote 10.3.3.0/24 local 10.1.1.0/24;\n"
                      "                }\n"
                      "                pre-shared-key ascii-text \"@PSK@\";\n"
                      "                ike-policy ike-dyn;\n"
                      "                interface-id dyn-pool;\n"
                      "                ipsec-policy ipsec-dyn;\n"
                      "            }\n"
                      "        }\n"
                      "    }\n"
                      "}\n"
                      "services {\n"
                      "    service-set SG1 {\n"
                      "        next-hop-service {\n"
                      "            inside-service-interface ms-1/0/0.1;\n"
                      "            outside-service-interface ms-1/0/0.2;\n"
                      "        }\n"
                      "        ipsec-vpn-options {\n"
                      "            local-gateway 203.0.113.1;\n"
                      "            ike-access-profile dyn-peers;\n"
                      "        }\n"
                      "    }\n"
                      "    ipsec-vpn {\n"
                      "        ike {\n"
                      "            proposal ike-aes128-sha1-g14 {\n"
                      "                authentication-method pre-shared-keys;\n"
                      "                dh-group group14;\n"
                      "                authentication-algorithm sha1;\n"
                      "                encryption-algorithm aes-128-cbc;\n"
                      "                lifetime-seconds 3600;\n"
                      "            }\n"
                      "            proposal ike-aes128-sha1-g2 {\n"
                      "                authentication-method pre-shared-keys;\n"
                      "                dh-group group2;\n"
                      "                authentication-algorithm sha1;\n"
                      "                encryption-algorithm aes-128-cbc;\n"
                      "                lifetime-seconds 3600;\n"
                      "            }\n"
                      "            policy ike-dyn {\n"
                      "                mode main;\n"
                      "                proposals [ ike-aes128-sha1-g14 ike-aes128-sha1-g2 ];\n"
                      "                remote-id { any-remote-id; }\n"
                      "            }\n"
                      "        }\n"
                      "        ipsec {\n"
                      "            proposal esp-aes128-sha1 {\n"
                      "                protocol esp;\n"
                      "                authentication-algorithm hmac-sha1-96;\n"
                      "                encryption-algorithm aes-128-cbc;\n"
                      "                lifetime-seconds 28800;\n"
                      "            }\n"
                      "            policy ipsec-dyn {\n"
                      "                perfect-forward-secrecy { keys group14; }\n"
                      "                proposals esp-aes128-sha1;\n"
                      "            }\n"
                      "        }\n"
                      "    }\n"
                      "}\n"
                      "routing-instances {\n"
                      "    vrf-n1 {\n"
                      "        instance-type vrf;\n"
                      "        interface ms-1/0/0.1;\n"
                      "    }\n"
                      "}\n";

const char KT_IMPLICIT[] = "interfaces {\n"
                           "    ms-1/0/0 {\n"
                           "        unit 1 { family inet; service-domain inside;\n"
                           "            dial-options { ipsec-interface-id pool0; dedicated; } }\n"
                           "        unit 2 { family inet; service-domain outside; }\n"
                           "        unit 3 { family inet; service-domain inside;\n"
                           "            dial-options { ipsec-interface-id pool0; dedicated; } }\n"
                           "    }\n"
                           "}\n"
                           "access {\n"
                           "    profile open {\n"
                           "        client * {\n"
                           "            ike {\n"
                           "                pre-shared-key ascii-text \"@PSK@\";\n"
                           "                interface-id pool0;\n"
                           "            }\n"
                           "        }\n"
                           "    }\n"
                           "}\n"
                           "services {\n"
                           "    service-set SS0 {\n"
                           "        next-hop-service {\n"
                           "            inside-service-interface ms-1/0/0.1;\n"
                           "            outside-service-interface ms-1/0/0.2;\n"
                           "        }\n"
                           "        ipsec-vpn-options {\n"
                           "            local-gateway 203.0.113.1;\n"
                           "            ike-access-profile open;\n"
                           "        }\n"
                           "        ipsec-vpn-rules static-peer;\n"
                           "    }\n"
                           "    ipsec-vpn {\n"
                           "        ike {\n"
                           "            policy ike-static {\n"
                           "                pre-shared-key ascii-text \"@PSK2@\";\n"
                           "            }\n"
                           "        }\n"
                           "        rule static-peer {\n"
                           "            term t1 {\n"
                           "                from { destination-address 10.9.9.0/24; }\n"
                           "                then {\n"
                           "                    remote-gateway 198.51.100.99;\n"
                           "                    dynamic { ike-policy ike-static; }\n"
                           "                }\n"
                           "            }\n"
                           "            match-direction input;\n"
                           "        }\n"
                           "    }\n"
                           "}\n";

int kt_setup_schema(void **state)
{
    char err[512];

    (void)state;
    sch = schema_load(SCHEMA_DIR, err, sizeof(err));
    if (sch == NULL)
        fprintf(stderr, "schema: %s\n", err);
    return sch ? 0 : -1;
}

int kt_teardown_schema(void **state)
{
    (void)state;
    schema_free(sch);
    return 0;
}

static void replace(struct buf *b, const char *text, const char *pat, const char *with)
{
    const char *p;

    buf_reset(b);
    while ((p = strstr(text, pat)) != NULL) {
        buf_add(b, text, (size_t)(p - text));
        buf_puts(b, with);
        text = p + strlen(pat);
    }
    buf_puts(b, text);
}

struct kmd_config *kt_config(const char *tmpl, const char *psk)
{
    struct buf a, b;
    char *e1 = secret9_encode(psk, strlen(psk)), *e2 = secret9_encode("static-peer-key", 15);
    struct conf *c = conf_new(sch), *x;
    struct load_result r = {0};
    struct kmd_config *k;
    char err[256];

    buf_init(&a);
    buf_init(&b);
    replace(&a, tmpl, "@PSK@", e1);
    replace(&b, a.s, "@PSK2@", e2);
    if (load_text(c->root, b.s, &r) != 0) {
        for (size_t i = 0; i < r.nerrs; i++)
            fprintf(stderr, "config: %s\n", r.errs[i].msg);
        fail_msg("test configuration does not load");
    }
    load_result_free(&r);
    x = conf_expand(c, 0);
    k = kmd_config_build(x->root, err, sizeof(err));
    if (k == NULL)
        fail_msg("kmd_config_build: %s", err);
    conf_free(x);
    conf_free(c);
    buf_free(&a);
    buf_free(&b);
    free(e1);
    free(e2);
    return k;
}

static void m_send(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    struct kt *t = arg;
    struct kt_out *o;

    assert_true(len <= sizeof(o->p));
    if (t->nout == KT_MAX_OUT) { /* full: the oldest goes */
        memmove(&t->out[0], &t->out[1], sizeof(t->out[0]) * (KT_MAX_OUT - 1));
        t->nout--;
        t->rd -= t->rd > 0;
    }
    o = &t->out[t->nout++];
    o->d = *d;
    memcpy(o->p, pkt, len);
    o->len = len;
}

static int m_request(void *arg, uint16_t type, const void *msg, size_t len, uint64_t tag)
{
    struct kt *t = arg;
    struct kt_req *r;

    if (t->fwd_unreachable)
        return -1;
    assert_true(t->nreq < KT_MAX_REQ);
    if (len > sizeof(r->u.raw))
        fail_msg("request %u of %zu bytes", type, len);
    r = &t->req[t->nreq++];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->tag = tag;
    memcpy(r->u.raw, msg, len);
    return 0;
}

static time_t m_now(void *arg)
{
    return ((struct kt *)arg)->now;
}

static const struct kmd_io mock_io = {m_send, m_request, m_now};

struct kt *kt_new(const char *tmpl, const char *psk)
{
    struct kt *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    t->now = 1000;
    snprintf(t->pool_unit, sizeof(t->pool_unit), "ms-1/0/0.1");
    t->k = kmd_new(&mock_io, t);
    kmd_set_config(t->k, kt_config(tmpl, psk));
    kmd_fwd_up(t->k);
    return t;
}

void kt_free(struct kt *t)
{
    kmd_free(t->k);
    free(t);
}

void kt_flush(struct kt *t)
{
    for (unsigned i = 0; i < t->nreq; i++) {
        struct kt_req *r = &t->req[i];
        uint32_t st = FWD_OK;
        struct fwd_pool p;
        if (r->answered)
            continue;
        r->answered = true;
        switch (r->type) {
        case FWD_POOL_RESERVE:
            st = t->pool_status;
            p = r->u.pool;
            snprintf(p.unit, sizeof(p.unit), "%s", t->pool_unit);
            kmd_fwd_reply(t->k, r->tag, st, st ? "no free unit" : "", &p, st ? 0 : sizeof(p));
            continue;
        case FWD_SA_ADD:
            st = t->sa_status;
            break;
        case FWD_RULE_ADD:
            st = t->rule_status;
            break;
        }
        kmd_fwd_reply(t->k, r->tag, st, st ? "refused by the test" : "", NULL, 0);
    }
}

void kt_send(struct kt *t, struct ikei *i, const uint8_t *p, size_t len)
{
    struct fwd_dgram d;

    ikei_dgram(i, &d, len);
    kmd_input(t->k, &d, p, len);
    if (!t->hold_replies)
        kt_flush(t);
}

struct kt_out *kt_recv(struct kt *t)
{
    return t->rd < t->nout ? &t->out[t->rd++] : NULL;
}

unsigned kt_pending_out(const struct kt *t)
{
    return t->nout - t->rd;
}

/* Sends p, hands every answer to i; returns ikei_input's last result. */
static int round_trip(struct kt *t, struct ikei *i, const uint8_t *p, size_t len, uint8_t *out,
                      size_t *olen)
{
    struct kt_out *o;
    int r = -1;

    kt_send(t, i, p, len);
    while ((o = kt_recv(t)) != NULL) {
        assert_int_equal(o->d.dport, i->lport);
        r = ikei_input(i, o->p, o->len, out, 4096, olen);
        if (r != 0 || i->step == 6)
            break;
    }
    if (r < 0 && !i->err[0])
        snprintf(i->err, sizeof(i->err), "no answer from kmd");
    return r;
}

int kt_mm(struct kt *t, struct ikei *i)
{
    uint8_t a[4096], b[4096];
    size_t al, bl;

    if (ikei_mm1(i, a, sizeof(a), &al) < 0 || round_trip(t, i, a, al, b, &bl) != 1) /* MM2 */
        return -1;
    if (round_trip(t, i, b, bl, a, &al) != 1) /* MM4 */
        return -1;
    if (round_trip(t, i, a, al, b, &bl) != 0 || i->step != 6) /* MM6 */
        return -1;
    return 0;
}

int kt_qm(struct kt *t, struct ikei *i)
{
    uint8_t a[4096], b[4096];
    size_t al, bl;

    if (ikei_qm1(i, a, sizeof(a), &al) < 0 || round_trip(t, i, a, al, b, &bl) != 1)
        return -1;
    kt_send(t, i, b, bl); /* QM3 */
    return i->qm.done ? 0 : -1;
}

void kt_deliver(struct kt *t, struct ikei *i)
{
    struct kt_out *o;
    uint8_t out[4096];
    size_t olen;

    while ((o = kt_recv(t)) != NULL)
        ikei_input(i, o->p, o->len, out, sizeof(out), &olen);
}

unsigned kt_count(const struct kt *t, uint16_t type)
{
    unsigned n = 0;

    for (unsigned i = 0; i < t->nreq; i++)
        n += t->req[i].type == type;
    return n;
}

const struct kt_req *kt_nth(const struct kt *t, uint16_t type, unsigned n)
{
    for (unsigned i = 0; i < t->nreq; i++)
        if (t->req[i].type == type && n-- == 0)
            return &t->req[i];
    return NULL;
}

void kt_advance(struct kt *t, time_t seconds)
{
    t->now += seconds;
    kmd_tick(t->k);
    kt_flush(t);
}

char *kt_subst(const char *tmpl, const char *pat, const char *with)
{
    struct buf b;

    buf_init(&b);
    replace(&b, tmpl, pat, with);
    return buf_steal(&b);
}

static int saved_stderr = -1;
static char log_path[64];

void kt_log_start(void)
{
    int fd;

    snprintf(log_path, sizeof(log_path), "/tmp/kmdtest-log-XXXXXX");
    fd = mkstemp(log_path);
    assert_true(fd >= 0);
    fflush(stderr);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
    log_init("kmd", 0, 1);
}

char *kt_log_end(void)
{
    char *text;

    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    log_init("kmd", 0, 0);
    text = buf_read_file(log_path);
    assert_non_null(text);
    unlink(log_path);
    return text;
}

struct ikei *kt_peer(const char *addr, const char *psk, void (*tweak)(struct ikei_conf *))
{
    struct ikei_conf c;
    struct ikei *i;

    ikei_defaults(&c, addr, "203.0.113.1", psk);
    c.pfs_group = ISAKMP_GROUP_MODP2048;
    if (tweak)
        tweak(&c);
    i = ikei_new(&c);
    assert_non_null(i);
    return i;
}

void kt_qm_refused(const char *conf, const char *psk, const char *addr,
                   void (*tweak)(struct ikei_conf *), const char *why)
{
    struct kt *t = kt_new(conf, psk);
    struct ikei *i = kt_peer(addr, psk, tweak);
    char *log;

    assert_int_equal(kt_mm(t, i), 0);
    kt_log_start();
    assert_int_equal(kt_qm(t, i), -1);
    log = kt_log_end();
    assert_int_equal(i->last_notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
    if (log == NULL || strstr(log, why) == NULL)
        fail_msg("log lacks \"%s\":\n%s", why, log ? log : "(null)");
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 0);
    assert_int_equal(kt_count(t, FWD_SA_ADD), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    free(log);
    ikei_free(i);
    kt_free(t);
}
