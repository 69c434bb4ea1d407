/*
 * render.h: the renderings of a configuration tree, and their loaders.
 *
 * Each rendering has a loader that reads it back to the identical tree
 * (tests/golden round-trips every example):
 *   - brace text (render_text.c / load_text.c): Junos "show" format;
 *   - set commands (render_set.c; loaded by load_set() in load_text.c);
 *   - XML in Junos "| display xml" shape (render_xml.c / load_xml.c);
 *   - JSON in Junos "| display json" shape (render_json.c / load_json.c).
 * Layouts: ../../docs/schema.md and ../../shared/reference/junos.md 5.9-5.11.
 */
#ifndef OPENSG_CONF_RENDER_H
#define OPENSG_CONF_RENDER_H

#include "buf.h"
#include "tree.h"

#define RENDER_NO_SECRET_TRAILER 0x01 /* omit "## SECRET-DATA" */
#define RENDER_INHERITANCE 0x02       /* "## 'x' was inherited from group 'G'" lines */
#define RENDER_NO_COMMENTS 0x04       /* omit annotations */

/* Brace text of the children of n (what "show" prints at n's level), each
 * line indented by indent spaces. */
void render_text(struct buf *b, const struct cnode *n, int indent, unsigned flags);
/* Brace text of the single statement n itself (with its subtree); for a
 * leaf-list value, of it and the values after it: "name [ a b ];". */
void render_text_stmt(struct buf *b, const struct cnode *n, int indent, unsigned flags);
/* The words of statement n relative to its parent ("unit 1", "host-name x",
 * "allowed-proxy-pair remote A local B"), without a trailing ';'. */
void render_stmt_words(struct buf *b, const struct cnode *n);

/* "set" lines for every statement below n (or for n itself when nothing is
 * below it: a leaf, a flag, leaf-list values); the words of the path from
 * the root are included unless relative.
 * Deactivated statements are followed by a "deactivate PATH" line. */
void render_set(struct buf *b, const struct cnode *n, int relative);

/* <configuration> in Junos XML shape.  attrs: extra attributes for the root
 * element (e.g. junos:commit-seconds="..."), or NULL.  indent: spaces
 * before <configuration>. */
void render_xml(struct buf *b, const struct cnode *root, int indent, const char *attrs);
/* JSON: {"configuration" : {...}} */
void render_json(struct buf *b, const struct cnode *root, const char *attrs_json);

struct load_error {
    int line; /* 1-based line of the input */
    int col;  /* 0-based column, or -1 */
    char msg[512];
};

struct load_result {
    struct load_error *errs;
    size_t nerrs;
};
void load_result_free(struct load_result *r);

/* Each loader adds what it reads into the tree at `at` (merging with what is
 * there) and returns the number of errors (0 = clean).  A statement with an
 * error is skipped; the others load. */
int load_text(struct cnode *at, const char *text, struct load_result *r);
int load_set(struct cnode *at, const char *text, struct load_result *r);
int load_xml(struct cnode *at, const char *text, struct load_result *r);
int load_json(struct cnode *at, const char *text, struct load_result *r);

/* The walk of load_xml(): the statements of a parsed <configuration> element
 * into at; load_json() builds such an element from its JSON.
 * Returns the number of errors added to r. */
struct _xmlNode;
int load_xml_node(struct cnode *at, struct _xmlNode *configuration, struct load_result *r);

/* Helper for loaders: record an error. */
void load_error_add(struct load_result *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
