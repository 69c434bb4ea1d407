/* logfile.c: see logfile.h */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int reopen(struct logfile *lf, mode_t mode)
{
    struct stat st;

    lf->fd = open(lf->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, mode);
    if (lf->fd < 0)
        return -1;
    if (fchmod(lf->fd, mode) < 0 || fstat(lf->fd, &st) < 0) {
        int e = errno;
        logfile_close(lf);
        errno = e;
        return -1;
    }
    lf->size = (unsigned long long)st.st_size;
    return 0;
}

int logfile_open(struct logfile *lf, const char *path, mode_t mode, unsigned long long max,
                 unsigned archives)
{
    int n = snprintf(lf->path, sizeof(lf->path), "%s", path);

    lf->fd = -1;
    lf->max = max;
    lf->archives = archives;
    if (n < 0 || (size_t)n >= sizeof(lf->path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return reopen(lf, mode);
}

void logfile_close(struct logfile *lf)
{
    if (lf->fd >= 0)
        close(lf->fd);
    lf->fd = -1;
}

/* NAME.<archives-2> -> NAME.<archives-1>, ..., NAME -> NAME.0, a new NAME
 * with the mode the old one had. */
static void rotate(struct logfile *lf)
{
    char from[4300], to[4300];
    struct stat st;
    mode_t mode = fstat(lf->fd, &st) == 0 ? st.st_mode & 07777 : 0600;

    logfile_close(lf);
    for (unsigned i = lf->archives; i > 0; i--) {
        if (i == 1)
            snprintf(from, sizeof(from), "%s", lf->path);
        else
            snprintf(from, sizeof(from), "%s.%u", lf->path, i - 2);
        snprintf(to, sizeof(to), "%s.%u", lf->path, i - 1);
        rename(from, to);
    }
    if (lf->archives == 0)
        unlink(lf->path);
    reopen(lf, mode);
}

void logfile_write(struct logfile *lf, const char *line, size_t len)
{
    if (lf->fd < 0 || write(lf->fd, line, len) != (ssize_t)len)
        return;
    lf->size += len;
    if (lf->size >= lf->max)
        rotate(lf);
}

unsigned long long logfile_size(const char *v)
{
    char *end;
    unsigned long long n;

    if (v == NULL || *v < '0' || *v > '9')
        return 0;
    n = strtoull(v, &end, 10);
    switch (*end) {
    case 'k':
    case 'K':
        return n << 10;
    case 'm':
    case 'M':
        return n << 20;
    case 'g':
    case 'G':
        return n << 30;
    }
    return *end ? 0 : n;
}

void logfile_stamp(char *buf, size_t len, time_t t)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%b %e %H:%M:%S", &tm) == 0)
        snprintf(buf, len, "-");
}
