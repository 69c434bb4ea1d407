/*
 * log.h: small, uniform logging for every OpenSG program.
 *
 * Messages go to stderr in the foreground (prefixed with the program name)
 * and to syslog once log_init() is told the process is a daemon.  Secrets
 * are never passed to these functions.
 */
#ifndef OPENSG_LOG_H
#define OPENSG_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int to_syslog, int debug);
/* Also hand every message above debug level, as printed (without the
 * program name), to sink: the daemons' lines for mgd's system log
 * (daemon.c).  Only lines of the thread that set the sink go there; a
 * line logged by the sink itself does not.  NULL removes it. */
void log_set_sink(void (*sink)(void *arg, int pri, const char *msg), void *arg);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* appends strerror */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
