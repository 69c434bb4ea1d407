/*
 * commit.c: the commit pipeline (DESIGN.md "The commit pipeline").
 *
 *   1. expand the candidate (groups, inactive) and validate it: schema rules,
 *      the seed's checks (checks.h), the XSD;
 *   2. PREPARE: send each connected daemon the diff of its view; any refusal
 *      aborts the commit and nothing is applied;
 *   3. journal, APPLY, wait for every daemon's APPLIED;
 *   4. persist (db_commit: temp file, fsync, rename, fsync dir; the index
 *      rename is the commit point), clear the journal, answer.
 * One commit at a time.  "commit confirmed" arms a deadline kept in the
 * database, so that it survives a restart; when it passes, rollback 1 is
 * committed "by root via other".
 */
#include "checks.h"
#include "groups.h"
#include "log.h"
#include "mgd.h"
#include "render.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREPARE_TIMEOUT 30
#define APPLY_TIMEOUT 30

struct job_daemon {
    struct daemon *d;
    struct conf *view;
    int answered;
};

struct commit_job {
    uint64_t serial;
    struct session *s;
    uint32_t id;
    struct commit_req req;
    char user[64];
    char method[16];
    struct conf *newc;
    struct job_daemon *jd;
    size_t njd;
    size_t waiting;
    int applying;
    char refusal[600];
    struct buf out;
    struct buf fxml; /* findings as XML (XML API requests) */
    struct event *timer;
};

/*
 * Validation is incremental: every statement in a candidate was checked
 * against its schema type when it was set or loaded (sch_check_value():
 * xmllint's verdict), and the tree admits only the schema's structure
 * (order, cardinality, choices, unique keys).  A commit therefore checks
 * what crosses statements: the schema rules and the seed's checks,
 * references included.  "commit full" also runs the XSD on the whole
 * expanded configuration; tests/integration/test_validate.py checks on
 * random edits that the two verdicts agree.
 */
void commit_validate(struct mgd *m, const struct conf *cand, int full, struct findings *fs)
{
    struct conf *copy = conf_expands_to_itself(cand) ? NULL : conf_expand(cand, 0);
    const struct conf *e = copy ? copy : cand;

    validate_schema_rules(e->root, fs);
    checks_run(e->root, fs);
    /* the XSD repeats many of the checks above in libxml2's words: it runs
     * when they pass, as the last word on types, cardinality and keys */
    if (full && findings_errors(fs) == 0)
        validate_xsd(m->schema, e->root, fs);
    conf_free(copy);
}

static void job_reply(struct commit_job *j, int error)
{
    if (j->s && j->req.xml)
        xml_commit_reply(j->s, j->id, error, j->req.check, j->fxml.s, j->out.s);
    else if (j->s)
        session_output(j->s, j->id, error, j->out.s, -1, NULL);
    else if (error)
        log_warnx("automatic rollback failed: %s", j->out.s ? j->out.s : "");
}

static void job_free(struct mgd *m, struct commit_job *j)
{
    for (size_t i = 0; i < j->njd; i++)
        conf_free(j->jd[i].view);
    free(j->jd);
    conf_free(j->newc);
    if (j->timer)
        event_free(j->timer);
    buf_free(&j->out);
    buf_free(&j->fxml);
    free(j);
    m->job = NULL;
}

static void confirm_fire(evutil_socket_t fd, short what, void *arg);

void commit_confirm_arm(struct mgd *m, time_t deadline)
{
    struct timeval tv = {0, 0};
    time_t now = time(NULL);

    m->confirm_deadline = deadline;
    if (m->confirm_ev == NULL)
        m->confirm_ev = evtimer_new(m->eb, confirm_fire, m);
    evtimer_del(m->confirm_ev);
    if (deadline == 0)
        return;
    tv.tv_sec = deadline > now ? deadline - now : 0;
    evtimer_add(m->confirm_ev, &tv);
}

static void confirm_clear(struct mgd *m)
{
    if (m->confirm_deadline == 0)
        return;
    commit_confirm_arm(m, 0);
    if (db_confirm_set(&m->db, 0) < 0)
        log_warn("cannot clear the confirmed-commit deadline");
}

static void confirm_fire(evutil_socket_t fd, short what, void *arg)
{
    struct mgd *m = arg;
    struct commit_req req;
    struct load_result r = {0};
    struct conf *c;
    char *text;

    (void)fd;
    (void)what;
    if (m->job) { /* try again when the running commit is done */
        struct timeval tv = {1, 0};
        evtimer_add(m->confirm_ev, &tv);
        return;
    }
    log_info("commit confirmed was not confirmed: rolling back to rollback 1");
    text = db_read(&m->db, 1);
    c = conf_new(m->schema);
    if (text)
        load_text(c->root, text, &r);
    load_result_free(&r);
    free(text);
    confirm_clear(m);
    memset(&req, 0, sizeof(req));
    req.user = "root";
    req.method = "other";
    commit_start(m, NULL, 0, c, &req);
    conf_free(c);
}

/* Seconds in a "minute" of commit confirmed: 60, or OPENSG_MINUTE_SECONDS
 * in the tests (the clock is injectable, DESIGN.md). */
static time_t minute_seconds(void)
{
    const char *v = getenv("OPENSG_MINUTE_SECONDS");
    long n = v ? atol(v) : 60;

    return n > 0 ? (time_t)n : 60;
}

static void persist(struct mgd *m, struct commit_job *j)
{
    char *text = conf_text(j->newc);
    int from_shared = j->s && j->s->mode != CFG_PRIVATE;
    /* the shared candidate follows a commit made elsewhere only when it held
     * no changes of its own */
    int was_clean = !from_shared && cnode_equal(m->shared->root, m->committed->root);
    struct conf *e = NULL;

    db_crash_point("between-apply-persist");
    if (db_commit(&m->db, text, j->user, j->method, j->req.confirm_minutes, j->req.comment) < 0) {
        buf_puts(&j->out, "error: could not save the configuration; the daemons are "
                          "restored to the committed configuration\n");
        log_warn("db_commit");
        free(text);
        for (struct daemon *d = m->daemons; d; d = d->next)
            daemon_send_full(m, d);
        db_journal_end(&m->db);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    free(text);
    conf_free(m->committed);
    m->committed = j->newc;
    j->newc = NULL;
    if (was_clean) {
        conf_free(m->shared);
        m->shared = conf_dup(m->committed);
    }
    /* (committed from the shared candidate: it already equals the committed
     * configuration; no one could change it while the commit ran) */
    if (j->s && j->s->mode == CFG_PRIVATE) {
        conf_free(j->s->priv);
        j->s->priv = conf_dup(m->committed);
        j->s->priv_base = m->db.hist[0].seq;
    }
    if (db_journal_end(&m->db) < 0)
        log_warn("cannot remove the commit journal");
    /* daemons that joined during the commit catch up */
    for (struct daemon *d = m->daemons; d; d = d->next) {
        struct conf *v;
        if (d->job_serial == j->serial)
            continue; /* it was given the diff of its view, or had none */
        if (e == NULL)
            e = conf_expand(m->committed, 0);
        v = daemon_view(e, d->name);
        if (d->view == NULL || !cnode_equal(d->view->root, v->root))
            daemon_send_full(m, d);
        conf_free(v);
    }
    conf_free(e);
    if (j->req.confirm_minutes) {
        time_t deadline = time(NULL) + (time_t)j->req.confirm_minutes * minute_seconds();
        if (db_confirm_set(&m->db, deadline) < 0)
            log_warn("cannot record the confirmed-commit deadline");
        commit_confirm_arm(m, deadline);
        buf_printf(&j->out,
                   "commit confirmed will be automatically rolled back in %d minutes unless "
                   "confirmed\n",
                   j->req.confirm_minutes);
    } else {
        confirm_clear(m);
    }
    buf_puts(&j->out, "commit complete\n");
    log_info("commit %llu by %s via %s", (unsigned long long)m->db.hist[0].seq, j->user, j->method);
    if (j->req.and_quit && j->s) {
        session_leave(j->s);
        buf_puts(&j->out, "Exiting configuration mode\n");
        session_output(j->s, j->id, 0, j->out.s, -1, "<mode>operational</mode>\n");
    } else {
        job_reply(j, 0);
    }
    job_free(m, j);
}

static void timer_fire(evutil_socket_t fd, short what, void *arg);

static void start_apply(struct mgd *m, struct commit_job *j)
{
    struct timeval tv = {APPLY_TIMEOUT, 0};
    char msg[64];

    if (db_journal_begin(&m->db, m->db.next_seq) < 0) {
        buf_puts(&j->out, "error: could not write the commit journal\n");
        for (size_t i = 0; i < j->njd; i++)
            if (j->jd[i].d)
                conn_send(j->jd[i].d->conn, IPC_DAEMON_ABORT, 0, 0, "<commit-abort/>", 15);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    j->applying = 1;
    j->waiting = 0;
    snprintf(msg, sizeof(msg), "<commit-apply seq=\"%llu\"/>", (unsigned long long)m->db.next_seq);
    for (size_t i = 0; i < j->njd; i++) {
        struct job_daemon *jd = &j->jd[i];
        if (jd->d == NULL)
            continue;
        conn_send(jd->d->conn, IPC_DAEMON_APPLY, 0, 0, msg, strlen(msg));
        conf_free(jd->d->view);
        jd->d->view = jd->view;
        jd->view = NULL;
        jd->answered = 0;
        j->waiting++;
    }
    if (j->waiting == 0) {
        persist(m, j);
        return;
    }
    evtimer_add(j->timer, &tv);
}

static void decide(struct mgd *m, struct commit_job *j)
{
    if (j->waiting)
        return;
    evtimer_del(j->timer);
    if (j->applying) {
        persist(m, j);
        return;
    }
    if (j->refusal[0]) {
        for (size_t i = 0; i < j->njd; i++)
            if (j->jd[i].d)
                conn_send(j->jd[i].d->conn, IPC_DAEMON_ABORT, 0, 0, "<commit-abort/>", 15);
        buf_printf(&j->out, "error: %s\nerror: configuration check-out failed\n", j->refusal);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    start_apply(m, j);
}

static void timer_fire(evutil_socket_t fd, short what, void *arg)
{
    struct mgd *m = arg;
    struct commit_job *j = m->job;

    (void)fd;
    (void)what;
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->njd; i++) {
        struct job_daemon *jd = &j->jd[i];
        if (jd->d && !jd->answered && !j->applying && !j->refusal[0])
            snprintf(j->refusal, sizeof(j->refusal), "%s: no answer to the commit request",
                     jd->d->name);
        if (jd->d && !jd->answered)
            log_warnx("daemon %s did not answer in time", jd->d->name);
        jd->answered = 1;
    }
    j->waiting = 0;
    decide(m, j);
}

void commit_daemon_answer(struct mgd *m, struct daemon *d, uint16_t type, const char *payload)
{
    struct commit_job *j = m->job;
    xmlDocPtr doc;
    xmlNodePtr r;

    if (type != IPC_DAEMON_PREPARED && type != IPC_DAEMON_APPLIED)
        return;
    doc = xmlReadMemory(payload, (int)strlen(payload), "answer.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    r = doc ? xmlDocGetRootElement(doc) : NULL;
    if (r && (strcmp((const char *)r->name, "apply-error") == 0 ||
              (type == IPC_DAEMON_APPLIED && j == NULL &&
               strcmp((const char *)r->name, "applied") != 0)))
        log_warnx("daemon %s could not apply its configuration", d->name);
    for (size_t i = 0; j && i < j->njd; i++) {
        struct job_daemon *jd = &j->jd[i];
        if (jd->d != d || jd->answered)
            continue;
        if ((type == IPC_DAEMON_PREPARED) == !j->applying) {
            if (r && strcmp((const char *)r->name, "prepare-error") == 0 && !j->refusal[0]) {
                xmlChar *msg = xmlNodeGetContent(r);
                snprintf(j->refusal, sizeof(j->refusal), "%s: %s", d->name, (const char *)msg);
                xmlFree(msg);
            }
            jd->answered = 1;
            j->waiting--;
        }
    }
    xmlFreeDoc(doc);
    if (j)
        decide(m, j);
}

void commit_daemon_gone(struct mgd *m, struct daemon *d)
{
    struct commit_job *j = m->job;

    for (size_t i = 0; j && i < j->njd; i++) {
        struct job_daemon *jd = &j->jd[i];
        if (jd->d != d)
            continue;
        /* it gets the committed configuration in full when it returns */
        jd->d = NULL;
        if (!jd->answered) {
            jd->answered = 1;
            j->waiting--;
        }
    }
    if (j)
        decide(m, j);
}

void commit_start(struct mgd *m, struct session *s, uint32_t id, struct conf *cand,
                  const struct commit_req *req)
{
    struct commit_job *j;
    struct findings fs = {0};
    struct conf *e;
    struct timeval tv = {PREPARE_TIMEOUT, 0};

    if (m->job) {
        const char *busy = "error: another commit is in progress; try again\n";
        if (s && req->xml)
            xml_commit_reply(s, id, 1, req->check, NULL, busy);
        else if (s)
            session_output(s, id, 1, busy, -1, NULL);
        return;
    }
    j = calloc(1, sizeof(*j));
    if (j == NULL)
        fatal("calloc");
    j->s = s;
    j->id = id;
    j->req = *req;
    snprintf(j->user, sizeof(j->user), "%s", req->user);
    snprintf(j->method, sizeof(j->method), "%s", req->method);
    buf_init(&j->out);
    buf_init(&j->fxml);
    commit_validate(m, cand, req->full, &fs);
    if (req->xml)
        xml_findings(&j->fxml, &fs);
    else
        findings_render(&j->out, &fs);
    if (findings_errors(&fs)) {
        findings_free(&fs);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    findings_free(&fs);
    if (req->check) {
        /* a commit check confirms a pending commit confirmed */
        confirm_clear(m);
        buf_puts(&j->out, "configuration check succeeds\n");
        job_reply(j, 0);
        job_free(m, j);
        return;
    }
    m->job = j;
    j->newc = conf_dup(cand);
    j->timer = evtimer_new(m->eb, timer_fire, m);
    e = conf_expand(j->newc, 0);
    j->serial = ++m->job_serial;
    for (struct daemon *d = m->daemons; d; d = d->next) {
        struct conf *v;
        char *diff;
        struct buf b;
        d->job_serial = j->serial;
        v = daemon_view(e, d->name);
        diff = daemon_diff_xml(d->view, v);
        if (diff == NULL) {
            conf_free(v);
            continue;
        }
        j->jd = realloc(j->jd, (j->njd + 1) * sizeof(*j->jd));
        if (j->jd == NULL)
            fatal("realloc");
        j->jd[j->njd].d = d;
        j->jd[j->njd].view = v;
        j->jd[j->njd].answered = 0;
        j->njd++;
        j->waiting++;
        buf_init(&b);
        buf_printf(&b, "<commit-prepare seq=\"%llu\">%s</commit-prepare>\n",
                   (unsigned long long)m->db.next_seq, diff);
        conn_send(d->conn, IPC_DAEMON_PREPARE, 0, 0, b.s, b.len);
        buf_free(&b);
        free(diff);
    }
    conf_free(e);
    if (j->waiting)
        evtimer_add(j->timer, &tv);
    else
        decide(m, j);
}
