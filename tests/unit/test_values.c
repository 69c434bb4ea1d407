/*
 * test_values: OpenSG's own value checker gives xmllint's verdict.
 *
 * tests/schema/values.tsv lists TYPE, VALUE and the verdict of stock
 * xmllint --schema (checked against xmllint itself by
 * tests/schema/run-xmllint.sh); here every line must get the same verdict
 * from sch_type_valid(), and an invalid value must get a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_values_tsv(void **state)
{
    FILE *f = fopen(SOURCE_DIR "/tests/schema/values.tsv", "r");
    char line[4096];
    int n = 0, bad = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *type, *value, *verdict, *save;
        const struct sch_type *t;
        int valid, got;
        char msg[512];

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        type = strtok_r(line, "\t", &save);
        value = strtok_r(NULL, "\t", &save);
        verdict = strtok_r(NULL, "\t", &save);
        if (verdict == NULL) { /* empty value: two tabs in a row */
            verdict = value;
            value = "";
        }
        assert_non_null(type);
        assert_non_null(verdict);
        t = sch_type_by_name(sch, type);
        if (t == NULL) {
            fprintf(stderr, "unknown type %s\n", type);
            bad++;
            continue;
        }
        valid = strcmp(verdict, "valid") == 0;
        got = sch_type_valid(t, value);
        if (got != valid) {
            fprintf(stderr, "%s '%s': xmllint says %s, OpenSG says %s\n", type, value, verdict,
                    got ? "valid" : "invalid");
            bad++;
        }
        msg[0] = '\0';
        if ((sch_check_value(t, value, msg, sizeof(msg)) == 0) != got || (!got && !msg[0])) {
            fprintf(stderr, "%s '%s': message does not match the verdict\n", type, value);
            bad++;
        }
        n++;
    }
    fclose(f);
    fprintf(stderr, "%d values checked\n", n);
    assert_true(n > 50);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_tsv),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
