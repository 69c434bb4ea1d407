/*
 * conftool: convert a configuration between its renderings, for golden
 * tests and by hand.
 *
 *   conftool [--schema DIR] [--seed N] --in text|set|xml|json FILE
 *            [--out text|set|xml|json|none] [--expand | --inherit]
 *
 * Loads FILE into a fresh tree (exit 1 with the errors on stderr if it does
 * not load cleanly) and prints the requested rendering.  --seed makes $9$
 * encoding deterministic.
 */
#include "buf.h"
#include "groups.h"
#include "path.h"
#include "render.h"
#include "schema.h"
#include "secret9.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif

static char *slurp(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    struct buf b;
    char tmp[4096];
    size_t n;

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    buf_init(&b);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_add(&b, tmp, n);
    if (f != stdin)
        fclose(f);
    return buf_steal(&b);
}

int main(int argc, char **argv)
{
    const char *dir = SCHEMA_DIR, *in = NULL, *file = NULL, *out = "text";
    uint64_t seed = 0;
    int expand = 0, inherit = 0;
    char err[512];
    struct schema *s;
    struct conf *c;
    struct load_result r = {0};
    struct buf b;
    char *text;
    int nerr;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--in") == 0 && i + 2 < argc) {
            in = argv[++i];
            file = argv[++i];
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--expand") == 0)
            expand = 1;
        else if (strcmp(argv[i], "--inherit") == 0)
            inherit = 1;
        else {
            fprintf(stderr, "usage: conftool [--schema DIR] [--seed N] --in FORMAT FILE "
                            "[--out FORMAT]\n");
            return 2;
        }
    }
    if (in == NULL)
        return 2;
    if (seed)
        secret9_set_rand(secret9_seeded_rand, &seed);
    s = schema_load(dir, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "schema: %s\n", err);
        return 2;
    }
    c = conf_new(s);
    text = slurp(file);
    if (strcmp(in, "text") == 0)
        nerr = load_text(c->root, text, &r);
    else if (strcmp(in, "set") == 0)
        nerr = load_set(c->root, text, &r);
    else if (strcmp(in, "xml") == 0)
        nerr = load_xml(c->root, text, &r);
    else if (strcmp(in, "json") == 0)
        nerr = load_json(c->root, text, &r);
    else
        return 2;
    for (size_t i = 0; i < r.nerrs; i++)
        fprintf(stderr, "%s:%d:%d: %s\n", file, r.errs[i].line, r.errs[i].col, r.errs[i].msg);
    if (expand || inherit) {
        struct conf *e = conf_expand(c, inherit ? EXPAND_MARK : 0);
        conf_free(c);
        c = e;
    }
    buf_init(&b);
    if (strcmp(out, "text") == 0)
        render_text(&b, c->root, 0, inherit ? RENDER_INHERITANCE : 0);
    else if (strcmp(out, "set") == 0)
        render_set(&b, c->root, 0);
    else if (strcmp(out, "xml") == 0)
        render_xml(&b, c->root, 0, NULL);
    else if (strcmp(out, "json") == 0)
        render_json(&b, c->root, NULL);
    fputs(b.s ? b.s : "", stdout);
    buf_free(&b);
    load_result_free(&r);
    free(text);
    conf_free(c);
    schema_free(s);
    return nerr ? 1 : 0;
}
