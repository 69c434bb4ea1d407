/*
 * test_sshkey: the SSH public key lines of `authentication ssh-rsa |
 * ssh-ecdsa | ssh-ed25519` (schema/system.xsd, lib/conf/sshkey.c).
 *
 * The schema's patterns decide (xmllint's verdict: tests/schema/values.tsv
 * holds these keys too); sshkey_explain() says why a line was refused.
 * The keys are real ones from ssh-keygen (their private halves were
 * thrown away).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "schema.h"
#include "sshkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ED25519[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKfAQ9Q0Ku9ZJCHs6Aft0ASsDKCWfO6fkTbXF+Sw3QoA";
static const char ECDSA256[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOZFow5D"
    "N1BROWCS9RfJfKm9ctSnB3QpT+JCceqj502thVIsBl6p87UhsTtzYYMFjrOqIQCmL6Wv0dfbaoxjvNg=";
static const char ECDSA521[] =
    "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAC+GXgy"
    "1oEJXCXNI36mOMNTa4qeYyg2xGBuS2maMgDVxBAwq0isMz3eBVHNAjQiQCmSjUSkE3YPuTVbjk9p23Lk"
    "RAG6dM8wk8US8mT3jWxl0jL7yC93KOVb6Ffg+gTO79XKwWfmj56HAxI0u++eDEoeVEKNSW/S1ZdCARCz"
    "UIvo9ke4Nw==";
static const char RSA1024[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDuBhqRrRxyDaWrv0e2ze5PjoFzDkIwlzMuhZRU5xo1"
    "1XDPyh+6OioQygZDZ/cyg0nHie/l59PZuDyZHg5pvuZV0cUtx+qesMH8lQgpdiouxcxT52wifeaIhwxX"
    "DmndP9/syB2RkFNMv2AAGfxbqrCX1HMwaKTy3eHEmSv16dRD9w==";

/* line with its character at `at` replaced by c ('\0': cut there). */
static char *edited(const char *line, size_t at, char c)
{
    char *s = strdup(line);

    assert_non_null(s);
    s[at] = c;
    return s;
}

static void explains(const char *types, const char *line, const char *want)
{
    char msg[300] = "";

    assert_int_equal(sshkey_explain(types, line, msg, sizeof(msg)), -1);
    if (strcmp(msg, want) != 0)
        fprintf(stderr, "'%.40s...': got '%s'\n", line, msg);
    assert_string_equal(msg, want);
}

static void test_well_formed(void **state)
{
    char msg[300], line[1024];

    (void)state;
    assert_int_equal(sshkey_explain("ssh-ed25519", ED25519, msg, sizeof(msg)), 0);
    assert_int_equal(sshkey_explain("ssh-rsa", RSA1024, msg, sizeof(msg)), 0);
    assert_int_equal(
        sshkey_explain("ecdsa-sha2-nistp256 ecdsa-sha2-nistp521", ECDSA521, msg, sizeof(msg)), 0);
    snprintf(line, sizeof(line), "%s alice@laptop (work)", ECDSA256);
    assert_int_equal(sshkey_explain("ecdsa-sha2-nistp256", line, msg, sizeof(msg)), 0);
}

static void test_reasons(void **state)
{
    char line[1024], *s;
    size_t sp = strlen("ssh-ed25519");

    (void)state;
    explains("ssh-rsa", ED25519, "invalid public key: the line must start with ssh-rsa");
    explains("ecdsa-sha2-nistp256 ecdsa-sha2-nistp384", ED25519,
             "invalid public key: the line must start with one of ecdsa-sha2-nistp256 "
             "ecdsa-sha2-nistp384");
    explains("ssh-ed25519", "ssh-ed25519",
             "invalid public key: one space and the key data (base64) must follow the key type");
    snprintf(line, sizeof(line), "ssh-ed25519  %s", ED25519 + sp + 1);
    explains("ssh-ed25519", line,
             "invalid public key: one space and the key data (base64) must follow the key type");
    /* the RSA blob under the ed25519 type word */
    snprintf(line, sizeof(line), "ssh-ed25519 %s", RSA1024 + strlen("ssh-rsa "));
    explains("ssh-ed25519", line, "invalid public key: the key data is not an ssh-ed25519 key");
    s = edited(ED25519, strlen(ED25519) - 1, '\0'); /* 67 characters */
    explains("ssh-ed25519", s, "invalid public key: the key data is not base64");
    free(s);
    s = edited(ED25519, sp + 10, '*');
    explains("ssh-ed25519", s, "invalid public key: the key data is not base64");
    free(s);
    /* base64 of the type name alone: no key after it */
    explains("ssh-ed25519", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
             "invalid public key: the key data is truncated");
    explains("ssh-rsa",
             "ssh-rsa AAAAB3NzaC1yc2E=", "invalid public key: the key data is truncated");
    /* a 31-byte ed25519 key: string "ssh-ed25519", string of 31 bytes */
    explains("ssh-ed25519",
             "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
             "invalid public key: an ssh-ed25519 key is 32 bytes");
    /* nistp256's blob under the nistp384 type word */
    snprintf(line, sizeof(line), "ecdsa-sha2-nistp384 %s",
             ECDSA256 + strlen("ecdsa-sha2-nistp256 "));
    explains("ecdsa-sha2-nistp384", line,
             "invalid public key: the key data is not an ecdsa-sha2-nistp384 key");
    snprintf(line, sizeof(line), "%s ", ED25519);
    explains("ssh-ed25519", line,
             "invalid public key: only a comment may follow the key data, after one space, on "
             "the same line");
    snprintf(line, sizeof(line), "%s a\nb", ED25519);
    explains("ssh-ed25519", line,
             "invalid public key: only a comment may follow the key data, after one space, on "
             "the same line");
}

/* At `set`: the schema's verdict, with sshkey_explain()'s message. */
static void test_schema_types(void **state)
{
    const struct sch_type *ed = sch_type_by_name(sch, "ssh-ed25519-key");
    const struct sch_type *rsa = sch_type_by_name(sch, "ssh-rsa-key");
    const struct sch_type *ec = sch_type_by_name(sch, "ssh-ecdsa-key");
    char msg[300] = "";

    (void)state;
    assert_non_null(ed);
    assert_non_null(rsa);
    assert_non_null(ec);
    assert_int_equal(sch_check_value(ed, ED25519, msg, sizeof(msg)), 0);
    assert_int_equal(sch_check_value(rsa, RSA1024, msg, sizeof(msg)), 0);
    assert_int_equal(sch_check_value(ec, ECDSA256, msg, sizeof(msg)), 0);
    assert_int_equal(sch_check_value(ec, ECDSA521, msg, sizeof(msg)), 0);
    assert_int_equal(sch_check_value(rsa, ED25519, msg, sizeof(msg)), -1);
    assert_string_equal(msg, "invalid public key: the line must start with ssh-rsa");
    assert_int_equal(sch_check_value(ec, ED25519, msg, sizeof(msg)), -1);
    assert_string_equal(msg, "invalid public key: the line must start with one of "
                             "ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521");
    assert_int_equal(sch_check_value(ed, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", msg, sizeof(msg)), -1);
    assert_string_equal(msg, "invalid public key: the key data is truncated");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_formed),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_schema_types),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
