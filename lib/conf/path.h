/*
 * path.h: statements given as CLI words (set, delete, edit, show, and every
 * loader that reads statement text), resolved against the schema.
 *
 * path_parse() turns words into steps without touching a tree: keywords
 * (exact, or a unique prefix), list keys (positional "name" keys, or
 * "keyword value" pairs in any order), leaf values checked against their
 * type, leaf-list values (one, or "[ a b ]").  The apply functions then
 * create, find or delete along the steps.
 */
#ifndef OPENSG_CONF_PATH_H
#define OPENSG_CONF_PATH_H

#include "tree.h"

enum path_err {
    PE_OK,
    PE_SYNTAX,    /* "syntax error." */
    PE_MISSING,   /* "missing argument." */
    PE_VALUE,     /* invalid value: message in msg */
    PE_AMBIGUOUS, /* ambiguous abbreviation: candidates in msg */
    PE_NOTFOUND,  /* "statement not found" */
};

struct path_step {
    const struct sch_node *sch;
    char **vals; /* list keys, leaf value, leaf-list values; NULL/0 if none */
    size_t nvals;
    int descend; /* containers and list entries move the cursor */
    int all;     /* list given without keys (delete/show: every entry) */
};

struct path {
    struct path_step *steps;
    size_t nsteps;
    enum path_err err;
    size_t bad_word; /* index of the word the error is about */
    char msg[512];
};

enum path_mode {
    PATH_SET,  /* values required */
    PATH_FIND, /* values and keys of the last statement optional */
};

/* Parse words[from..n-1] starting at schema node at (a container or list
 * entry's schema).  in_group: at or below a [edit groups NAME] entry, where
 * keys may be wildcards.  Returns 0 or -1 (p->err set). */
int path_parse(const struct sch_node *at, int in_group, char *const *words, size_t n,
               enum path_mode mode, struct path *p);
void path_free(struct path *p);

/* Create along the steps from node at; *last receives the last statement
 * set (leaf, flag, entry or container).  Secrets are encoded here.  Returns
 * 0 or -1 with p->err/msg (bad $9$ secret). */
int path_apply_set(struct cnode *at, struct path *p, struct cnode **last);
/* Find the node the steps name (NULL if absent; leaf-list or list given
 * without keys: the first entry). */
struct cnode *path_find(struct cnode *at, const struct path *p);
/* Delete what the steps name; empty containers left behind are removed up
 * to (not including) at.  Returns 0, or -1 if nothing matched. */
int path_apply_delete(struct cnode *at, const struct path *p);

/* 1 if node lies at or below a groups entry. */
int cnode_in_group(const struct cnode *n);
/* Wildcard name of a group: "<...>". */
int is_wildcard_name(const char *s);

/* Convenience: split line into words and set/delete it from at.  Errors
 * are formatted into err ("syntax error." ...).  Used by loaders and tests. */
int conf_set_line(struct cnode *at, const char *line, char *err, size_t errlen);
int conf_delete_line(struct cnode *at, const char *line, char *err, size_t errlen);

#endif
