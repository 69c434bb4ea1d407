/*
 * systemlog.h: mgd as the appliance's system log (docs/mgd.md "System log").
 *
 * `system syslog file NAME { FACILITY SEVERITY; ... archive size S files
 * N; match RE; }` of the committed configuration names files under
 * ROOT/log.  mgd writes there its own events (UI_COMMIT,
 * UI_COMMIT_COMPLETED, UI_DBASE_LOGIN_EVENT / LOGOUT, the CLI's command
 * lines as UI_CMDLINE_READ_LINE) and the log lines the daemons send it
 * (IPC_DAEMON_LOG, facility daemon), each line in Junos's shape:
 *   Nov 29 16:46:32  sg1 mgd[812]: UI_COMMIT: User 'root' requested ...
 * A file takes a line when one of its FACILITY SEVERITY statements
 * matches (facility `any` or the line's; the line at that severity or
 * more severe) and, with `match`, when the extended regular expression
 * finds the text.  At its archive size (default 1m) the file is rotated
 * into NAME.0 .. NAME.<files-1> (files default 3).  Secrets never reach
 * a line: command lines are masked (mgd_syslog_cmdline).
 */
#ifndef MGD_SYSTEMLOG_H
#define MGD_SYSTEMLOG_H

#include "tree.h"

#include <sys/types.h>

enum syslog_facility {
    SLF_DAEMON,
    SLF_INTERACTIVE, /* interactive-commands */
    SLF_AUTHORIZATION,
    SLF_CHANGE_LOG,
};

/* The files of this configuration (root: the committed tree); created
 * empty when missing, so that `show log NAME` finds them. */
void mgd_syslog_apply(const char *rootdir, const struct cnode *root);
/* One line; pri: LOG_ERR .. LOG_INFO (syslog.h). */
void mgd_syslog(enum syslog_facility f, int pri, const char *proc, pid_t pid, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* UI_CMDLINE_READ_LINE for a line the CLI user typed: in configuration
 * mode edit is the edit level (NULL in operational mode).  The values of
 * secret leaves (schema o:secret) are replaced: a `set` line is parsed
 * as mgd parses it; in any other line, or one that does not parse,
 * every word after one that may name a secret leaf (a prefix of
 * ascii-text, hexadecimal, encrypted-password, ...) is. */
void mgd_syslog_cmdline(const struct sch_node *schema_root, const char *edit, const char *user,
                        const char *line);
void mgd_syslog_free(void);

#endif
