/* log.c: see log.h */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "opensg";
static int log_syslog;
static int log_debugging;
/* The sink is the setting thread's alone: other threads (fwdd's PIC
 * workers) test their own flag and never read the sink. */
static void (*log_sink)(void *arg, int pri, const char *msg);
static void *log_sink_arg;
static _Thread_local int log_sink_mine;
static _Thread_local int log_in_sink;

void log_set_sink(void (*sink)(void *arg, int pri, const char *msg), void *arg)
{
    log_sink = sink;
    log_sink_arg = arg;
    log_sink_mine = sink != NULL;
}

static void to_sink(int pri, const char *buf, const char *suffix)
{
    char line[1200];

    if (!log_sink_mine || pri > LOG_INFO || log_in_sink)
        return;
    snprintf(line, sizeof(line), "%s%s%s", buf, suffix ? ": " : "", suffix ? suffix : "");
    log_in_sink = 1;
    log_sink(log_sink_arg, pri, line);
    log_in_sink = 0;
}

void log_init(const char *progname, int to_syslog, int debug)
{
    log_prog = progname;
    log_syslog = to_syslog;
    log_debugging = debug;
    if (to_syslog)
        openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
    char buf[1024];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    to_sink(pri, buf, suffix);
    if (log_syslog) {
        if (suffix)
            syslog(pri, "%s: %s", buf, suffix);
        else
            syslog(pri, "%s", buf);
        return;
    }
    if (suffix)
        fprintf(stderr, "%s: %s: %s\n", log_prog, buf, suffix);
    else
        fprintf(stderr, "%s: %s\n", log_prog, buf);
}

void log_warn(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_WARNING, fmt, ap, strerror(saved));
    va_end(ap);
    errno = saved;
}

void log_warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_WARNING, fmt, ap, NULL);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_INFO, fmt, ap, NULL);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;

    if (!log_debugging)
        return;
    va_start(ap, fmt);
    vlog(LOG_DEBUG, fmt, ap, NULL);
    va_end(ap);
}

void fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_CRIT, fmt, ap, strerror(saved));
    va_end(ap);
    exit(1);
}

void fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(LOG_CRIT, fmt, ap, NULL);
    va_end(ap);
    exit(1);
}
