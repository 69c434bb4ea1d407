/*
 * test_logfile: lib/logfile.h, the files of kmd's trace and mgd's system
 * log: sizes as Junos writes them, rotation into a given number of
 * archives, the mode, and no following of a link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "logfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(logfile_size("4096"), 4096);
    assert_int_equal(logfile_size("128k"), 128 << 10);
    assert_int_equal(logfile_size("10M"), 10 << 20);
    assert_int_equal(logfile_size("1g"), 1ULL << 30);
    assert_int_equal(logfile_size("12x"), 0);
    assert_int_equal(logfile_size("-1"), 0);
    assert_int_equal(logfile_size(""), 0);
    assert_int_equal(logfile_size(NULL), 0);
}

static off_t size_of(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_rotation(void **state)
{
    char dir[] = "/tmp/test_logfile.XXXXXX", path[128], p[160], line[64];
    struct logfile lf;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/messages", dir);
    assert_int_equal(logfile_open(&lf, path, 0640, 100, 2), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    for (int i = 0; i < 20; i++) { /* 20 lines of 25 bytes: 5 files' worth */
        char tag[16];
        snprintf(tag, sizeof(tag), "line %02d", i);
        snprintf(line, sizeof(line), "%-24s\n", tag);
        assert_int_equal(strlen(line), 25);
        logfile_write(&lf, line, strlen(line));
    }
    /* the last 100 bytes went to NAME.0 and NAME.1 holds the 100 before */
    assert_int_equal(size_of(path), 0);
    snprintf(p, sizeof(p), "%s.0", path);
    assert_int_equal(size_of(p), 100);
    snprintf(p, sizeof(p), "%s.1", path);
    assert_int_equal(size_of(p), 100);
    snprintf(p, sizeof(p), "%s.2", path);
    assert_int_equal(size_of(p), -1);
    logfile_close(&lf);
    /* a link in its place is not followed */
    unlink(path);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(logfile_open(&lf, path, 0640, 100, 2), -1);
    assert_int_equal(lf.fd, -1);
    logfile_write(&lf, "x\n", 2); /* a closed file takes nothing, harmlessly */
    unlink(path);
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof(p), "%s.%d", path, i);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_rotation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
