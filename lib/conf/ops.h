/*
 * ops.h: the configuration-mode operations beyond set and delete, on a
 * candidate tree: activate/deactivate, annotate, rename, copy, insert,
 * wildcard delete, and load merge|override|replace|update|set.
 *
 * Every operation takes the words the user typed (after the command word),
 * relative to the edit level `at`, and reports a Junos-style error in err.
 * On error nothing is changed.  mgd calls these; the CLI never does.
 */
#ifndef OPENSG_CONF_OPS_H
#define OPENSG_CONF_OPS_H

#include "render.h"
#include "tree.h"

#include <stddef.h>

struct op_err {
    size_t word;   /* index of the offending word, or (size_t)-1 */
    char msg[512]; /* "syntax error.", "statement not found", ... */
};

int op_activate(struct cnode *at, char *const *w, size_t n, int active, struct op_err *e);
/* annotate STATEMENT "text"; an empty text removes the annotation. */
int op_annotate(struct cnode *at, char *const *w, size_t n, struct op_err *e);
/* rename|copy PATH to NEW-IDENTIFIER (same list, new keys). */
int op_rename(struct cnode *at, char *const *w, size_t n, int copy, struct op_err *e);
/* insert PATH (before|after) IDENTIFIER: reorder an ordered-by-user entry. */
int op_insert(struct cnode *at, char *const *w, size_t n, struct op_err *e);
/* wildcard delete PATH-TO-LIST REGEX: entries whose key matches.  With
 * matches == NULL the entries are deleted; otherwise their display words
 * are appended to *matches (one per line) and nothing is deleted. */
int op_wildcard_delete(struct cnode *at, char *const *w, size_t n, struct buf *matches,
                       struct op_err *e);

enum load_mode { LOAD_MERGE, LOAD_OVERRIDE, LOAD_REPLACE, LOAD_UPDATE, LOAD_SET };
enum load_format { LOADF_TEXT, LOADF_SET, LOADF_XML, LOADF_JSON };

/* The load mode named name (one of LOAD_MODE_NAMES): 0, or -1 if there
 * is none of that name. */
int load_mode_parse(const char *name, enum load_mode *mode);
/* load_mode_parse's names, for messages (kept beside its table). */
#define LOAD_MODE_NAMES "merge, replace, override, update or set"

/* Load text into the candidate c at `at` (the root unless "relative").
 * Errors per statement go to r; returns the number of errors.  override
 * and update replace everything at `at`; replace honours "replace:" tags
 * (replace="replace" in XML); merge merges; set runs set/delete lines.
 * When the input has errors, override/update/replace/merge change nothing
 * (the statements that loaded are discarded with the rest); load set keeps
 * the lines that applied, as Junos does. */
int op_load(struct conf *c, struct cnode *at, enum load_mode mode, enum load_format fmt,
            const char *text, struct load_result *r);
/* The cnode at the same position in another tree of the same schema. */
struct cnode *cnode_locate(struct cnode *root, const struct cnode *like);

#endif
