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
#include "systemlog.h"

#include <libxml/parser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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
    struct conf *newc;      /* the candidate copied whole, or NULL: */
    struct delta delta;     /* what changed, applied to the committed tree */
    int fast;               /* delta is used */
    int incremental;        /* validated from the delta (views too) */
    char *hist;             /* history: delta text form, or */
    char *text;             /* full text (NULL: rendered from newc) */
    struct findings checks; /* the seed's checks on it, when complete: */
    int checks_ok;
    int trivial;         /* it expands to itself */
    struct conf *verify; /* OPENSG_COMMIT_VERIFY: the candidate */
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
static void validate_full(struct mgd *m, const struct conf *cand, int full, struct findings *fs,
                          struct commit_job *j)
{
    int trivial = conf_expands_to_itself(cand);
    struct conf *copy = trivial ? NULL : conf_expand(cand, 0);
    const struct conf *e = copy ? copy : cand;
    size_t before = fs->n;

    validate_schema_rules(e->root, fs);
    if (fs->n == before && j) {
        checks_run(e->root, fs);
        findings_copy(&j->checks, fs);
        j->checks_ok = 1;
        j->trivial = trivial;
    } else {
        checks_run(e->root, fs);
    }
    /* the XSD repeats many of the checks above in libxml2's words: it runs
     * when they pass, as the last word on types, cardinality and keys */
    if (full && findings_errors(fs) == 0)
        validate_xsd(m->schema, e->root, fs);
    conf_free(copy);
}

void commit_validate(struct mgd *m, const struct conf *cand, int full, struct findings *fs)
{
    validate_full(m, cand, full, fs, NULL);
}

static int verify_mode(void)
{
    const char *v = getenv("OPENSG_COMMIT_VERIFY");

    return v && strcmp(v, "1") == 0;
}

/*
 * The same verdict from what changed (docs/bench-commit.md), when the
 * committed configuration was validated by this process and expands to
 * itself, and so does the candidate (no groups, nothing inactive): the
 * schema rules are local to a statement and its children, so they run on
 * the changed statements and those above them; the seed's checks read
 * only a few top-level statements (checks_reads()) and run in full when
 * one of those changed, else their findings on the committed configuration
 * (warnings) stand.  Any finding of the rules sends the commit to the full
 * validation, so that errors print exactly as they always do.  Returns -1
 * when the full validation is needed.
 */
static int validate_changes(struct mgd *m, const struct conf *cand, const struct delta *d,
                            struct findings *fs, struct commit_job *j)
{
    const struct sch_node *rs = m->schema->root;
    int touched = 0;

    if (!m->validated || !m->trivial || delta_any_inactive(d))
        return -1;
    for (const struct cnode *n = cand->root->child; n; n = n->next)
        if (n->sch->flags & (SCHF_GROUPS | SCHF_APPLY_GROUPS))
            return -1;
    for (size_t i = 0; i < d->npaths; i++)
        validate_schema_rules_local(d->paths[i], fs);
    for (size_t i = 0; i < d->n; i++)
        if (!d->ops[i].del)
            validate_schema_rules(d->ops[i].src, fs);
    if (fs->n) {
        findings_free(fs);
        return -1;
    }
    for (size_t i = 0; i < rs->nchildren && !touched; i++) {
        const struct cnode *c, *b;
        if (!checks_reads(rs->children[i]))
            continue;
        c = cnode_first(cand->root, rs->children[i]);
        b = cnode_first(m->committed->root, rs->children[i]);
        touched = (c == NULL) != (b == NULL) || (c && (c->dirty || c->fresh));
    }
    if (touched)
        checks_run(cand->root, fs);
    else
        findings_copy(fs, &m->checks_cache);
    findings_copy(&j->checks, fs);
    j->checks_ok = 1;
    j->trivial = 1;
    j->incremental = 1;
    if (verify_mode()) {
        struct findings all = {0};
        struct buf x, y;
        buf_init(&x);
        buf_init(&y);
        validate_full(m, cand, 0, &all, NULL);
        findings_render(&x, &all);
        findings_render(&y, fs);
        if ((x.s || y.s) && (!x.s || !y.s || strcmp(x.s, y.s) != 0)) {
            log_warnx("OPENSG_COMMIT_VERIFY: validation from the changes differs:\n%s\n---\n%s",
                      y.s ? y.s : "", x.s ? x.s : "");
            abort();
        }
        buf_free(&x);
        buf_free(&y);
        findings_free(&all);
    }
    return 0;
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
    delta_free(&j->delta);
    free(j->hist);
    free(j->text);
    findings_free(&j->checks);
    conf_free(j->verify);
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

/* The shared candidate holds no change of its own. */
static int shared_clean(struct mgd *m)
{
    const struct cnode *r = m->shared->root;

    if (m->shared->base == m->gen && !r->dirty && !r->fresh && !r->moved)
        return 1;
    return cnode_equal(r, m->committed->root);
}

int session_shared_dirty(void)
{
    return !shared_clean(g_mgd);
}

/* The system log's files follow the new configuration; the commit is
 * logged (as Junos: UI_COMMIT when asked, UI_COMMIT_COMPLETED when done). */
static void syslog_commit(struct mgd *m, const struct commit_job *j)
{
    /* expanded only when groups are in use (a second expansion, or even a
     * walk of the whole tree, would cost large commits); systemlog.c skips
     * inactive statements itself */
    struct conf *e = NULL;

    for (const struct cnode *n = m->committed->root->child; n && e == NULL; n = n->next)
        if (n->sch->flags & (SCHF_GROUPS | SCHF_APPLY_GROUPS))
            e = conf_expand(m->committed, 0);

    mgd_syslog_apply(m->root, (e ? e : m->committed)->root);
    conf_free(e);
    mgd_syslog(SLF_INTERACTIVE, LOG_NOTICE, "mgd", getpid(),
               "UI_COMMIT: User '%s' requested '%s' operation (comment: %s)", j->user,
               j->req.confirm_minutes ? "commit confirmed" : "commit",
               j->req.comment[0] ? j->req.comment : "none");
    mgd_syslog(SLF_INTERACTIVE, LOG_NOTICE, "mgd", getpid(),
               "UI_COMMIT_COMPLETED: commit complete");
}

static void persist(struct mgd *m, struct commit_job *j)
{
    int from_shared = j->s && j->s->mode != CFG_PRIVATE;
    /* the shared candidate follows a commit made elsewhere only when it held
     * no changes of its own */
    int was_clean = !from_shared && shared_clean(m);
    struct conf *e = NULL;
    int rc;

    db_crash_point("between-apply-persist");
    if (j->hist) {
        rc = db_commit_delta(&m->db, j->hist, j->user, j->method, j->req.confirm_minutes,
                             j->req.comment);
    } else {
        if (j->text == NULL)
            j->text = conf_text(j->newc);
        rc = db_commit(&m->db, j->text, j->user, j->method, j->req.confirm_minutes, j->req.comment);
    }
    if (rc < 0) {
        buf_puts(&j->out, "error: could not save the configuration; the daemons are "
                          "restored to the committed configuration\n");
        log_warn("db_commit");
        for (struct daemon *d = m->daemons; d; d = d->next)
            daemon_send_full(m, d);
        db_journal_end(&m->db);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    if (j->fast) {
        m->committed_size += j->delta.copied;
        delta_apply(&j->delta, m->committed->root);
    } else {
        conf_free(m->committed);
        m->committed = j->newc;
        j->newc = NULL;
        m->committed_size = cnode_count(m->committed->root);
    }
    m->gen++;
    if (j->verify && !cnode_equal(j->verify->root, m->committed->root)) {
        log_warnx("OPENSG_COMMIT_VERIFY: the committed tree differs from the candidate");
        abort();
    }
    findings_free(&m->checks_cache);
    m->checks_cache = j->checks;
    memset(&j->checks, 0, sizeof(j->checks));
    m->validated = j->checks_ok;
    m->trivial = j->trivial;
    if (was_clean) {
        conf_free(m->shared);
        m->shared = conf_dup(m->committed);
    }
    /* committed from the shared candidate: it equals the committed
     * configuration (no one could change it while the commit ran); its
     * change marks start again from there */
    if (was_clean || from_shared) {
        conf_marks_clear(m->shared->root);
        m->shared->base = m->gen;
    }
    if (j->s && j->s->mode == CFG_PRIVATE) {
        conf_free(j->s->priv);
        j->s->priv = conf_dup(m->committed);
        j->s->priv->base = m->gen;
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
    syslog_commit(m, j);
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
    struct delta d = {0};
    int have = -1;

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
    /* the change marks give what changed since the committed configuration
     * when the candidate was copied from it; a change of more than about a
     * quarter of it is copied whole */
    if (cand->base && cand->base == m->gen)
        have = delta_build(&d, m->committed->root, cand->root, m->committed_size / 4 + 64);
    if (have != 0 || req->full || validate_changes(m, cand, &d, &fs, j) < 0)
        validate_full(m, cand, req->full, &fs, j);
    if (req->xml)
        xml_findings(&j->fxml, &fs);
    else
        findings_render(&j->out, &fs);
    if (findings_errors(&fs)) {
        findings_free(&fs);
        delta_free(&d);
        job_reply(j, 1);
        job_free(m, j);
        return;
    }
    findings_free(&fs);
    if (req->check) {
        /* a commit check confirms a pending commit confirmed */
        confirm_clear(m);
        buf_puts(&j->out, "configuration check succeeds\n");
        delta_free(&d);
        job_reply(j, 0);
        job_free(m, j);
        return;
    }
    m->job = j;
    if (have == 0) {
        j->fast = 1;
        j->delta = d;
        if (db_delta_ok(&m->db)) {
            struct buf b;
            buf_init(&b);
            delta_render(&b, &j->delta, m->committed->root);
            j->hist = b.s ? buf_steal(&b) : strdup("");
            if (j->hist == NULL)
                fatal("strdup");
        } else {
            j->text = conf_text(cand);
        }
        if (verify_mode())
            j->verify = conf_dup(cand);
    } else {
        j->newc = conf_dup(cand);
    }
    j->timer = evtimer_new(m->eb, timer_fire, m);
    e = NULL;
    j->serial = ++m->job_serial;
    for (struct daemon *d = m->daemons; d; d = d->next) {
        struct conf *v;
        char *diff;
        struct buf b;
        d->job_serial = j->serial;
        /* a view no changed statement is in stays as it is */
        if (j->incremental && d->view && !daemon_view_touched(&j->delta, d->name))
            continue;
        if (e == NULL)
            e = conf_expand(j->newc ? j->newc : cand, 0);
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
