/*
 * osg-modload: load the image's kernel modules in one process (images/,
 * docs/image.md).
 *
 *   osg-modload [-v] DIR LIST
 *
 * LIST has one module a line, "PATH [PARAMS]", PATH relative to DIR, in
 * load order (dependencies first: images/imagebuild.py writes it from
 * modprobe --show-depends).  Each is loaded with finit_module(2); one
 * already loaded is fine.  Under TCG this saves a fork and an exec of
 * busybox insmod per module.  Each failure is printed on standard output
 * ("opensg: insmod PATH failed: REASON", for the console); exit status 1
 * when a module failed.  -v prints each module's load time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char line[1024], path[4096];
    FILE *list;
    int rc = 0, verbose = argc == 4 && strcmp(argv[1], "-v") == 0;

    argv += verbose;
    argc -= verbose;
    if (argc != 3) {
        fprintf(stderr, "usage: osg-modload [-v] DIR LIST\n");
        return 2;
    }
    if ((list = fopen(argv[2], "r")) == NULL) {
        fprintf(stderr, "osg-modload: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), list)) {
        char *rel = line, *params;
        int fd;
        double t0 = now();

        line[strcspn(line, "\r\n")] = '\0';
        rel += strspn(rel, " \t");
        if (*rel == '\0' || *rel == '#')
            continue;
        params = rel + strcspn(rel, " \t");
        if (*params) {
            *params++ = '\0';
            params += strspn(params, " \t");
        }
        snprintf(path, sizeof(path), "%s/%s", argv[1], rel);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            printf("opensg: insmod %s failed: %s\n", path, strerror(errno));
            rc = 1;
            continue;
        }
        if (syscall(SYS_finit_module, fd, params, 0) != 0 && errno != EEXIST) {
            printf("opensg: insmod %s failed: %s\n", rel, strerror(errno));
            rc = 1;
        }
        close(fd);
        if (verbose)
            printf("%6.3f %s\n", now() - t0, rel);
    }
    fclose(list);
    return rc;
}
