/*
 * logfile.h: the appliance's log files under ROOT/log (kmd's trace file,
 * mgd's system log): opened without following a link and kept open,
 * written a line at a time (so `show log NAME` sees it at once), and
 * rotated at their size: NAME -> NAME.0 -> ... -> NAME.<archives-1>.
 * Sizes as Junos writes them ("128k", "10m", "1g"); timestamps as syslog
 * writes them ("Nov 29 16:49:38").
 */
#ifndef OPENSG_LOGFILE_H
#define OPENSG_LOGFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct logfile {
    int fd; /* -1: closed */
    char path[4200];
    unsigned long long size, max; /* bytes written, the size that rotates it */
    unsigned archives;            /* rotated copies kept (0: the file starts again) */
};

/* Open path (created with mode, chmod'ed to it); 0, or -1 with errno. */
int logfile_open(struct logfile *lf, const char *path, mode_t mode, unsigned long long max,
                 unsigned archives);
void logfile_close(struct logfile *lf);
/* Append len bytes (a whole line), then rotate if the file reached max.
 * A line the disk refuses is lost, nothing else. */
void logfile_write(struct logfile *lf, const char *line, size_t len);
/* "10m" in bytes (k, m, g: powers of 1024); 0 if v is not a size. */
unsigned long long logfile_size(const char *v);
/* t as "Nov 29 16:49:38" into buf. */
void logfile_stamp(char *buf, size_t len, time_t t);

#endif
