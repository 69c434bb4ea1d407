/*
 * validate.h: checking an expanded configuration before it is committed.
 *
 * Three layers, in the order commit runs them:
 *   1. schema rules that XSD cannot say (docs/schema.md): o:mandatory
 *      statements, o:unsupported statements and values ("not supported by
 *      OpenSG");
 *   2. the semantic checks of the seed (mgd/checks*.c, registered by mgd);
 *   3. XSD validation with libxml2 (types, cardinality, keys, references):
 *      the verdict of xmllint --schema schema/configuration.xsd.
 * Each finding names the hierarchy and the statement, Junos style:
 *
 *   [edit services service-set SG1 ipsec-vpn-options]
 *     'ike-access-profile dyn-peers'
 *       referenced access profile 'dyn-peers' is not defined
 *   error: configuration check-out failed
 */
#ifndef OPENSG_CONF_VALIDATE_H
#define OPENSG_CONF_VALIDATE_H

#include "buf.h"
#include "tree.h"

struct finding {
    char *path; /* words after "edit", "" at the top */
    char *stmt; /* the statement quoted, e.g. "ike-access-profile dyn-peers" */
    char *msg;
    int warning;
};

struct findings {
    struct finding *f;
    size_t n;
};

void findings_add(struct findings *fs, int warning, const char *path, const char *stmt,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Finding about node n: path of its parent, n's statement words. */
void findings_node(struct findings *fs, int warning, const struct cnode *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Append copies of src's findings to dst. */
void findings_copy(struct findings *dst, const struct findings *src);
void findings_free(struct findings *fs);
size_t findings_errors(const struct findings *fs);
/* Junos text: the context blocks, then (when there are errors) the
 * summary line "error: configuration check-out failed". */
void findings_render(struct buf *b, const struct findings *fs);

/* Layer 1 on the expanded tree e. */
void validate_schema_rules(const struct cnode *root, struct findings *fs);
/* The same rules for n alone (not below it): a commit that changed only some
 * statements checks those and the statements above them. */
void validate_schema_rules_local(const struct cnode *n, struct findings *fs);
/* Layer 3: XSD validation of the expanded tree. */
void validate_xsd(const struct schema *s, const struct cnode *root, struct findings *fs);

#endif
