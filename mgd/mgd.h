/*
 * mgd.h: the management daemon's shared state.
 *
 * mgd owns the configuration: the committed tree, the shared candidate and
 * the private ones, the history (db.h), and the commit pipeline
 * (commit.c).  Clients and daemons connect to ROOT/mgd.sock (conn.c);
 * clients speak RPCs (session.c, edit.c, oper.c), daemons take part in
 * commits (daemons.c).  One libevent loop, one commit at a time.
 */
#ifndef OPENSG_MGD_H
#define OPENSG_MGD_H

#include "buf.h"
#include "db.h"
#include "delta.h"
#include "ipc.h"
#include "tree.h"
#include "validate.h"

#include <event2/event.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <sys/types.h>

enum login_class { CLASS_NONE, CLASS_READ_ONLY, CLASS_OPERATOR, CLASS_SUPER_USER };

enum cfg_mode { CFG_NONE, CFG_SHARED, CFG_PRIVATE, CFG_EXCLUSIVE };

struct conn;

#define MGD_EDIT_DEPTH 32 /* `edit` commands `exit` can go back through */

struct session {
    struct conn *conn;
    uid_t uid;
    pid_t pid;
    char user[64];
    char tty[64];
    char method[16]; /* cli, netconf */
    char from[64];   /* remote address of a NETCONF session, "" for a local one */
    unsigned id;     /* session id: NETCONF's <session-id>, kill-session */
    int xmlapi;      /* Junos XML API replies (xml_session.c): set by <open-session> */
    time_t since;
    enum cfg_mode mode;
    struct conf *priv;               /* private candidate */
    uint64_t priv_base;              /* seq the private candidate was copied from */
    char *edit;                      /* edit level: words from the top, "" at [edit] */
    char *edit_prev[MGD_EDIT_DEPTH]; /* levels before each `edit`, for `exit` (edit.c) */
    unsigned nedit_prev;
    struct session *next;
};

struct daemon {
    struct conn *conn;
    char name[32];
    pid_t pid;
    struct conf *view;   /* what it has applied */
    int state;           /* DS_IDLE, DS_PREPARING, DS_PREPARED */
    uint64_t job_serial; /* the last commit that considered this daemon */
    struct daemon *next;
};

struct commit_job;

struct mgd {
    struct event_base *eb;
    char *root;
    struct schema *schema;
    struct schema *op;
    struct db db;
    struct conf *committed; /* rollback 0, unexpanded */
    /* commit.c's state about it: its generation (the change marks of the
     * candidates copied from it are relative to it: conf->base), its size
     * in statements (about), whether a commit of this process validated it
     * (and then the findings of the seed's checks on it, all warnings),
     * whether it expands to itself */
    unsigned long long gen;
    size_t committed_size;
    int validated;
    struct findings checks_cache;
    int trivial;
    struct conf *shared;       /* shared candidate */
    struct session *exclusive; /* holder of the exclusive lock */
    struct session *sessions;
    unsigned next_session_id;
    struct daemon *daemons;
    struct commit_job *job; /* commit in progress */
    uint64_t job_serial;    /* counts commits */
    struct event *confirm_ev;
    time_t confirm_deadline;
    time_t started;
    int halt; /* 1 power-off, 2 reboot: leave the loop */
    int listen_fd;
    struct event *listen_ev;
};

extern struct mgd *g_mgd;

/* conn.c: a connection (client or daemon) with framed messages */
int conn_listen(struct mgd *m);
void conn_close_listener(struct mgd *m);
int conn_send(struct conn *c, uint16_t type, uint16_t flags, uint32_t id, const char *payload,
              size_t len);
void conn_close(struct conn *c);
void conn_close_all(void); /* shutdown */
/* Reply to a client request: <rpc-reply>...</rpc-reply> around body. */
void reply_send(struct conn *c, uint32_t id, int error, const char *body);
void reply_error(struct conn *c, uint32_t id, const char *msg, long column);

/* session.c */
struct session *session_new(struct conn *c, uid_t uid, pid_t pid);
void session_free(struct session *s);
void session_rpc(struct session *s, uint32_t id, const char *payload, size_t len);
enum login_class session_class(const struct session *s);
void session_open_configuration(struct session *s, uint32_t id, int priv, int excl);
void session_close_configuration(struct session *s, uint32_t id, int confirmed);
/* Leave configuration mode now (exclusive and private changes are dropped). */
void session_leave(struct session *s);
/* Forget the levels `edit` remembered for `exit` (edit.c). */
void session_edit_forget(struct session *s);
/* Reply with text output, an optional error column (-1 none) and extra XML. */
void session_output(struct session *s, uint32_t id, int error, const char *text, long column,
                    const char *extra);
int session_shared_dirty(void);
void session_users_editing(struct session *self, struct buf *b);
struct conf *session_candidate(struct session *s);

/* edit.c: configuration-mode commands */
void edit_command(struct session *s, uint32_t id, const char *line, const char *input,
                  const char *display, const char *confirmed);

/* oper.c: operational commands */
void oper_command(struct session *s, uint32_t id, const char *line, const char *display);
/* The same with the answer to mgd's question (confirmed="yes"). */
void oper_command_confirmed(struct session *s, uint32_t id, const char *line, const char *display,
                            int confirmed);
int oper_permitted(const struct session *s, const char *permission);
/* An operational RPC given by name (<get-software-information/>): the op
 * schema's command with that o:rpc gives its owner and permission. */
void oper_rpc(struct session *s, uint32_t id, xmlNodePtr rpc);
/* mgd's own operational RPCs (owner mgd). */
void oper_local_rpc(struct session *s, uint32_t id, xmlNodePtr rpc, const char *display);

/* xml_session.c, xml_config.c, xml_commit.c: the Junos XML API of
 * NETCONF sessions (docs/netconf.md).  xml_api_rpc returns 0 when name is
 * not one of its RPCs. */
int xml_api_rpc(struct session *s, uint32_t id, xmlNodePtr op);
void xml_open_session(struct session *s, uint32_t id, xmlNodePtr op);
void xml_get_configuration(struct session *s, uint32_t id, xmlNodePtr op);
void xml_load_configuration(struct session *s, uint32_t id, xmlNodePtr op);
void xml_commit_configuration(struct session *s, uint32_t id, xmlNodePtr op);
/* The reply of a commit requested through the XML API: findings (XML of
 * xml_findings), then the text lines of the pipeline ("error: ..." lines
 * become errors). */
void xml_commit_reply(struct session *s, uint32_t id, int error, int check, const char *findings,
                      const char *text);
void xml_findings(struct buf *b, const struct findings *fs);
/* <xnm:error> (or warning) with optional edit path, statement and tag. */
void xml_error(struct buf *b, int warning, const char *path, const char *stmt, const char *msg);

/* commit.c */
struct commit_req {
    int check; /* commit check */
    int full;  /* commit full */
    int confirm_minutes;
    int and_quit;
    char comment[256];
    const char *user;
    const char *method;
    int xml; /* answer with xml_commit_reply (XML API) */
};
/* Run the pipeline on candidate cand (unexpanded).  The reply goes to
 * session s (may be NULL for the automatic rollback) with request id. */
void commit_start(struct mgd *m, struct session *s, uint32_t id, struct conf *cand,
                  const struct commit_req *req);
void commit_daemon_answer(struct mgd *m, struct daemon *d, uint16_t type, const char *payload);
void commit_daemon_gone(struct mgd *m, struct daemon *d);
void commit_confirm_arm(struct mgd *m, time_t deadline);
/* Validation only: findings for cand (expanded inside). */
void commit_validate(struct mgd *m, const struct conf *cand, int full, struct findings *fs);

/* daemons.c */
struct daemon *daemon_new(struct conn *c, const char *name, pid_t pid);
void daemon_free(struct daemon *d);
/* A daemon's log line (IPC_DAEMON_LOG) into the system log (systemlog.h). */
void daemon_log(struct daemon *d, const char *payload);
struct daemon *daemon_find(struct mgd *m, const char *name);
/* The daemon's view of expanded configuration e: the subtrees it owns or
 * reads (schema annotations). */
struct conf *daemon_view(const struct conf *e, const char *name);
/* <configuration> diff document turning view old into view new (NULL when
 * equal). */
char *daemon_diff_xml(const struct conf *old, const struct conf *new);
/* 0 when no statement a delta changes is in daemon name's view (its view
 * is then unchanged); 1 when one may be. */
int daemon_view_touched(const struct delta *d, const char *name);
void daemon_send_full(struct mgd *m, struct daemon *d);
/* Forward an operational RPC to daemon `owner`; the answer is relayed to
 * the client connection c with id. */
int daemon_forward(struct mgd *m, const char *owner, struct conn *c, uint32_t id,
                   const char *rpc_xml);
void daemon_relay(struct mgd *m, struct daemon *d, uint16_t type, uint16_t flags, uint32_t id,
                  const char *payload, size_t len);
void daemon_client_gone(struct mgd *m, struct conn *c);
/* The client cancelled its request cid (a stream): stop the daemon's work. */
void daemon_cancel(struct mgd *m, struct conn *c, uint32_t cid);

/* main.c helpers */
struct conf *mgd_factory_default(struct mgd *m);
char *conf_text(const struct conf *c); /* brace text, malloc'ed */

#endif
