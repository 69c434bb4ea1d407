/*
 * test_kmd_trace: `services ipsec-vpn traceoptions` honoured by kmd
 * (kmd/trace.c).  The statement is read from a view (file NAME size S
 * files N, flags, level); the trace file is written (mode 0600) with the
 * events, and kmd's detail lines with flag ike; it rotates at its size
 * into NAME.0 .. NAME.<N-2>; without traceoptions ROOT/log/kmd gets the
 * events only; level error keeps the file quiet; a symbolic link is never
 * followed; the pre-shared key is in no trace.
 */
#include "kmdtest.h"

#include "groups.h"
#include "render.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PSK "opensg-lab-psk"

static struct schema *sch;
static char dir[64];

static int setup(void **state)
{
    char err[512];

    if (kt_setup_schema(state) < 0)
        return -1;
    sch = schema_load(SCHEMA_DIR, err, sizeof(err));
    return sch ? 0 : -1;
}

static int teardown(void **state)
{
    schema_free(sch);
    return kt_teardown_schema(state);
}

static int mkdir_test(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/kmdtrace-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int rmdir_test(void **state)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[400];

    (void)state;
    kmd_trace_close();
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    return rmdir(dir);
}

/* traceoptions text -> kmd_trace_conf */
static void parse(const char *traceoptions, struct kmd_trace_conf *tc)
{
    struct conf *c = conf_new(sch), *x;
    struct load_result r = {0};
    char text[512];

    snprintf(text, sizeof(text), "services { ipsec-vpn { traceoptions { %s } } }\n", traceoptions);
    if (load_text(c->root, text, &r) != 0) {
        for (size_t i = 0; i < r.nerrs; i++)
            fprintf(stderr, "config: %s\n", r.errs[i].msg);
        fail_msg("traceoptions do not load: %s", text);
    }
    load_result_free(&r);
    x = conf_expand(c, 0);
    kmd_trace_parse(x->root, tc);
    conf_free(x);
    conf_free(c);
}

static char *file(const char *name)
{
    char path[200];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return buf_read_file(path);
}

static bool exists(const char *name)
{
    char path[200];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* An established tunnel and a peer with the wrong key. */
static void life(void)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = kt_peer("198.51.100.100", PSK, NULL),
                *w = kt_peer("198.51.100.101", "wrong-wrong", NULL);

    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kt_mm(t, w), -1);
    kmd_shutdown(t->k);
    ikei_free(i);
    ikei_free(w);
    kt_free(t);
}

static void no_secret(const char *text)
{
    char hex[64];

    hex_str((const uint8_t *)PSK, strlen(PSK), hex);
    assert_null(strstr(text, PSK));
    assert_null(strstr(text, hex));
    assert_null(strstr(text, "wrong-wrong"));
}

static void test_parse(void **state)
{
    struct kmd_trace_conf c;

    (void)state;
    kmd_trace_parse(NULL, &c);
    assert_false(c.configured);
    assert_string_equal(c.file, "kmd");
    assert_int_equal(c.size, 1024 * 1024);
    assert_int_equal(c.files, 3);
    assert_int_equal(c.flags, 0);
    assert_int_equal(c.level, LOG_INFO);
    parse("file kmd-trace size 2k files 4; flag ike; level info;", &c);
    assert_true(c.configured);
    assert_string_equal(c.file, "kmd-trace");
    assert_int_equal(c.size, 2048);
    assert_int_equal(c.files, 4);
    assert_int_equal(c.flags, KMD_TRACE_DETAIL);
    assert_int_equal(c.level, LOG_INFO);
    parse("flag all;", &c); /* a flag without a level: everything it covers */
    assert_string_equal(c.file, "kmd");
    assert_int_equal(c.level, LOG_DEBUG);
    parse("flag certificates; level error;", &c); /* nothing of kmd's in that flag */
    assert_int_equal(c.flags, 0);
    assert_int_equal(c.level, LOG_ERR);
    parse("file big size 3m;", &c);
    assert_int_equal(c.size, 3 * 1024 * 1024);
}

static void test_trace_file(void **state)
{
    struct kmd_trace_conf c;
    struct stat st;
    char path[200], *text;

    (void)state;
    parse("file kmd-trace; flag ike; level all;", &c);
    assert_int_equal(kmd_trace_open(dir, &c), 0);
    life();
    kmd_trace_close();
    snprintf(path, sizeof(path), "%s/kmd-trace", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    text = file("kmd-trace");
    assert_non_null(text);
    assert_non_null(strstr(text, "established in service set SG1"));
    assert_non_null(strstr(text, "refused at MM5"));
    assert_non_null(strstr(text, "MM1 from 198.51.100.100:500: service set SG1")); /* detail */
    assert_non_null(strstr(text, " kmd["));
    no_secret(text);
    free(text);
    assert_false(exists("kmd"));
}

static void test_default_file(void **state)
{
    struct kmd_trace_conf c;
    char *text;

    (void)state;
    kmd_trace_parse(NULL, &c);
    assert_int_equal(kmd_trace_open(dir, &c), 0);
    life();
    text = file("kmd");
    assert_non_null(text);
    assert_non_null(strstr(text, "established in service set SG1"));
    assert_non_null(strstr(text, "refused at MM5"));
    assert_non_null(strstr(text, "deleted: kmd is stopping"));
    assert_null(strstr(text, "MM1 from")); /* no detail lines */
    no_secret(text);
    free(text);
    /* the same settings again: the file stays open, nothing is lost */
    assert_int_equal(kmd_trace_open(dir, &c), 0);
    kmd_trace_log(LOG_INFO, "one more line");
    text = file("kmd");
    assert_non_null(strstr(text, "established in service set SG1"));
    assert_non_null(strstr(text, "one more line"));
    free(text);
}

static void test_rotation(void **state)
{
    struct kmd_trace_conf c;
    struct stat st;
    char path[200];

    (void)state;
    parse("file rot size 2k files 3; flag all;", &c);
    assert_int_equal(kmd_trace_open(dir, &c), 0);
    for (int n = 0; n < 3; n++)
        life();
    for (int n = 0; n < 100; n++)
        kmd_trace_log(LOG_INFO, "filler line %d of a rotation test", n);
    assert_true(exists("rot"));
    assert_true(exists("rot.0"));
    assert_true(exists("rot.1"));
    assert_false(exists("rot.2"));
    for (int n = 0; n < 3; n++) {
        snprintf(path, sizeof(path), n ? "%s/rot.%d" : "%s/rot", dir, n - 1);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size <= 2048 + 1200);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
}

static void test_level_error(void **state)
{
    struct kmd_trace_conf c;
    char *text;

    (void)state;
    parse("file quiet; level error;", &c);
    assert_int_equal(kmd_trace_open(dir, &c), 0);
    life();
    text = file("quiet");
    assert_non_null(text);
    assert_string_equal(text, "");
    free(text);
}

static void test_no_symlink(void **state)
{
    struct kmd_trace_conf c;
    char path[200];

    (void)state;
    parse("file link;", &c);
    snprintf(path, sizeof(path), "%s/link", dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(kmd_trace_open(dir, &c), -1);
    assert_int_equal(errno, ELOOP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_trace_file, mkdir_test, rmdir_test),
        cmocka_unit_test_setup_teardown(test_default_file, mkdir_test, rmdir_test),
        cmocka_unit_test_setup_teardown(test_rotation, mkdir_test, rmdir_test),
        cmocka_unit_test_setup_teardown(test_level_error, mkdir_test, rmdir_test),
        cmocka_unit_test_setup_teardown(test_no_symlink, mkdir_test, rmdir_test),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
