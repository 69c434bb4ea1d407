/*
 * daemon.h: the daemon side of the mgd protocol (ipc.h), for kmd, fwdd and
 * the test back-end.  Owns the connection to ROOT/mgd.sock, the daemon's
 * copy of its configuration view, and the two-phase commit state machine;
 * the daemon supplies what a configuration means through dmn_ops.
 *
 * Life of a connection:
 *   - dmn_new() connects (retrying every 200 ms while mgd is absent) and
 *     sends IPC_DAEMON_HELLO <daemon-hello name="NAME" pid="PID"/>.
 *   - IPC_DAEMON_FULL <daemon-full seq="N"><configuration/></daemon-full>
 *     (a bare <configuration> is accepted, seq 0): loaded into a fresh
 *     tree, prepare(new, current) then apply(); answered IPC_DAEMON_APPLIED
 *     <applied seq="N"/> or <apply-error seq="N">MSG</apply-error>, in which
 *     case the current view is kept.
 *   - IPC_DAEMON_PREPARE <commit-prepare seq="N"><configuration>diff
 *     </configuration></commit-prepare>: the diff (replace="replace",
 *     delete="delete") is applied to a copy of the current view with
 *     op_load(LOAD_REPLACE); prepare(new, current); answered
 *     IPC_DAEMON_PREPARED <prepare-ok seq="N"/> or <prepare-error seq="N">
 *     MSG</prepare-error>.  The new view stays pending.
 *     A PREPARE while another is pending aborts the older one.
 *   - IPC_DAEMON_APPLY <commit-apply seq="N"/> (or empty: the pending
 *     seq): apply(), the pending view becomes current; answered
 *     <applied seq="N"/>, or <apply-error> when N is not pending.
 *   - IPC_DAEMON_ABORT (payload ignored): abort(), the pending view is
 *     dropped; no answer.
 *   - IPC_RPC <rpc><NAME>...</NAME></rpc>: ops->rpc(id, NAME, child XML);
 *     the daemon answers with dmn_chunk()* then dmn_reply().
 *   - IPC_CANCEL: ops->cancel(id); the request is forgotten.
 *   - IPC_DAEMON_LOG <log pri="N">LINE</log>, daemon -> mgd, unanswered:
 *     every line the daemon's main thread logs above debug level
 *     (log_set_sink), for mgd's system log; dropped while disconnected.
 *   - Disconnection (mgd restarted, bad header): the pending view is
 *     aborted, outstanding requests are cancelled, the current view is kept,
 *     and the connection is retried; mgd sends FULL again.
 * Answers repeat the id of mgd's message header.  Malformed payloads are
 * logged and answered with an error (seq 0 when unreadable), never fatal.
 *
 * Configuration lifetimes: newc passed to prepare() stays valid while it
 * is pending and then while it is current, i.e. until the apply() of a
 * later view (or the abort() of this one) has returned.  Callbacks may call
 * dmn_reply(), dmn_chunk() and dmn_config(), never dmn_free().
 *
 * dmn_new() sets SIGPIPE to SIG_IGN: a write to a vanished mgd must be an
 * error, not the end of the process.
 */
#ifndef OPENSG_DAEMON_H
#define OPENSG_DAEMON_H

#include "buf.h"
#include "schema.h"
#include "tree.h"

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct dmn; /* opaque */

/* prepare, apply and abort are required; rpc and cancel may be NULL. */
struct dmn_ops {
    /* A new configuration view (the daemon's subtrees, expanded) is
     * proposed.  Build the new state aside; return 0, or -1 with a message
     * in err (resources only).  old may be NULL (first configuration).
     * After -1 nothing is kept aside: abort() is not called for it. */
    int (*prepare)(void *arg, const struct conf *newc, const struct conf *old, char *err,
                   size_t errlen);
    void (*apply)(void *arg); /* switch to the prepared state; cannot fail */
    void (*abort)(void *arg); /* drop the prepared state */
    /* An operational request forwarded by mgd: xml is the <rpc> child
     * (e.g. <get-route-information><table>inet.0</table></...>).  Answer
     * with dmn_reply() (and optionally dmn_chunk() before), now or later.
     * NULL: every request is answered with an error. */
    void (*rpc)(void *arg, uint32_t id, const char *rpc_name, const char *xml);
    /* mgd gave up request id (or lost the connection); may be NULL. */
    void (*cancel)(void *arg, uint32_t id);
};

/* root: the --root directory (mgd.sock is under it); name: the daemon's
 * name in HELLO and logs.  s must outlive the dmn.  Never NULL. */
struct dmn *dmn_new(struct event_base *eb, const char *root, const char *name,
                    const struct schema *s, const struct dmn_ops *ops, void *arg);
/* Closes the connection and frees the views.  Calls no callback: the
 * daemon drops its own prepared state, if any. */
void dmn_free(struct dmn *d);

/* Answers to request id.  -1 (errno ENOTCONN or ENOENT) when mgd is not
 * connected or the request is unknown (answered, cancelled, or from a
 * previous connection). */
int dmn_chunk(struct dmn *d, uint32_t id, const char *text, size_t len);
/* xml: <rpc-reply>...</rpc-reply>; error sets IPC_F_ERROR.  Ends the request. */
int dmn_reply(struct dmn *d, uint32_t id, int error, const char *xml);
/* dmn_reply(error) with <rpc-reply><xnm:error><message>msg</message>... */
int dmn_reply_error(struct dmn *d, uint32_t id, const char *msg);

/* The current applied view; NULL before the first one. */
const struct conf *dmn_config(const struct dmn *d);

/* Helper for daemons building replies: msg with &, <, >, " escaped. */
void dmn_xml_escape(struct buf *b, const char *msg);

/* The arguments of a forwarded operational RPC: the child elements of the
 * RPC element (<table>inet.0</table>, <exact/>), as name/value pairs (""
 * for a flag).  Shared by every daemon that answers RPCs. */
#define DMN_RPC_MAXARGS 16

struct dmn_rpc_args {
    size_t n;
    char name[DMN_RPC_MAXARGS][48];
    char value[DMN_RPC_MAXARGS][256];
};

/* 0, or -1 if xml is not well formed. */
int dmn_rpc_args_parse(const char *xml, struct dmn_rpc_args *a);
/* The value of argument name, NULL when absent. */
const char *dmn_rpc_arg(const struct dmn_rpc_args *a, const char *name);

#endif
