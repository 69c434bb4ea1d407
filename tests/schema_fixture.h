/*
 * schema_fixture.h: the schema of schema/ for the CMocka groups of the
 * unit and fwdd tests: `sch`, loaded by schema_setup() (the loader's error
 * on stderr) and freed by schema_teardown().  Include after cmocka.h.
 */
#ifndef OPENSG_TESTS_SCHEMA_FIXTURE_H
#define OPENSG_TESTS_SCHEMA_FIXTURE_H

#include "schema.h"

#include <stdio.h>

static struct schema *sch;

static inline int schema_setup(void **state)
{
    char err[512];

    (void)state;
    sch = schema_load(SCHEMA_DIR, err, sizeof(err));
    if (sch == NULL)
        fprintf(stderr, "schema %s: %s\n", SCHEMA_DIR, err);
    return sch ? 0 : -1;
}

static inline int schema_teardown(void **state)
{
    (void)state;
    schema_free(sch);
    sch = NULL;
    return 0;
}

#endif
