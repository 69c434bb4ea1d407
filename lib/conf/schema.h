/*
 * schema.h: the configuration hierarchy, read from the XSD in schema/.
 *
 * schema_load() walks the XSD files (written in the dialect of
 * docs/schema.md) and builds a tree of sch_node: one per statement, in
 * display order, with its kind, value type, help text and OpenSG
 * annotations.  Everything that needs the hierarchy (the configuration
 * tree, its renderings, the CLI, mgd's routing of subtrees to daemons)
 * reads it from here; nothing in C repeats it.
 *
 * The same files are handed to libxml2's XSD validator (schema_validator)
 * so that commit-time validation is exactly xmllint's.
 */
#ifndef OPENSG_CONF_SCHEMA_H
#define OPENSG_CONF_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

enum sch_kind {
    SCH_CONTAINER,
    SCH_LIST,
    SCH_LEAF,
    SCH_LEAFLIST,
    SCH_FLAG,
};

/* Built-in XSD type at the root of a simple type's derivation. */
enum sch_builtin {
    SB_STRING,
    SB_UNSIGNED, /* unsignedLong/Int/Short/Byte, nonNegativeInteger */
    SB_SIGNED,   /* long/int/short/byte, integer */
    SB_UNION,
};

struct sch_type {
    char *name; /* NULL for anonymous types */
    enum sch_builtin builtin;
    struct sch_type *base;     /* restriction base (NULL at the built-in root) */
    struct sch_type **members; /* union members */
    size_t nmembers;
    /* facets of this derivation step (ANDed with the base's) */
    void **patterns; /* xmlRegexpPtr; a value must match one of them */
    char **pattern_src;
    size_t npatterns;
    char **enums;
    size_t nenums;
    int has_min, has_max;
    int64_t min; /* signed types */
    int64_t max;
    uint64_t umin, umax; /* unsigned types */
    long minlen, maxlen; /* -1 when absent */
    /* annotations (own or inherited from the base) */
    char *value_help;
    char *message;
    char *check;
    char *collate;
};

/* sch_node flags (docs/schema.md) */
#define SCHF_NO_KEYWORD 0x0001
#define SCHF_ONELINER 0x0002
#define SCHF_ORDERED_BY_USER 0x0004
#define SCHF_SORT 0x0008
#define SCHF_MANDATORY 0x0010
#define SCHF_SECRET 0x0020
#define SCHF_SECRET9 0x0040 /* encode="junos9" */
#define SCHF_BLOCK 0x0080
#define SCHF_FLAT 0x0100
#define SCHF_GROUPS 0x0200
#define SCHF_APPLY_GROUPS 0x0400
#define SCHF_UNSUPPORTED 0x0800
#define SCHF_KEY 0x1000    /* this leaf is a key of its list */
#define SCHF_RPC 0x2000    /* operational command: o:rpc names its RPC */
#define SCHF_REST 0x4000   /* operational argument taking the rest of the line */
#define SCHF_STREAM 0x8000 /* operational command whose output streams */
/* CLI-only statement (o:password-prompt): the CLI prompts for a password
 * and sets the sibling `prompt_to` to its crypt; never in a tree */
#define SCHF_PASSWORD_PROMPT 0x10000

struct sch_node {
    char *name;
    enum sch_kind kind;
    unsigned flags;
    struct sch_node *parent;    /* NULL at the root; group contents alias the root's */
    struct sch_node **children; /* display order */
    size_t nchildren;
    struct sch_node **keys; /* lists: key leaves, in key order */
    size_t nkeys;
    const struct sch_type *type; /* leaves and leaf-lists */
    char *help;
    char *value_help;
    char *owner; /* own annotation, NULL when inherited */
    char *readers;
    char **unsupported_values;
    size_t nunsupported_values;
    int index;  /* position among the parent's children */
    int choice; /* 0, or the id of the xs:choice it is in */
    int branch; /* branch within that choice */
    /* operational commands (schema/op, docs/opschema.md) */
    char *rpc;        /* RPC element name */
    char *reply;      /* root element of the reply */
    char *permission; /* view, clear, network, maintenance, configure, admin */
    char *prompt_to;  /* SCHF_PASSWORD_PROMPT: the sibling leaf to set */
    char *ref;        /* o:ref: the list whose names the value refers to ("access profile") */
};

struct schema {
    struct sch_node *root;   /* <configuration> */
    char *dir;               /* directory of configuration.xsd */
    void *xsd;               /* xmlSchemaPtr for validation */
    struct sch_type **types; /* every named simple type */
    size_t ntypes;
};

/* Load the schema from dir (which holds configuration.xsd).  Returns NULL
 * and fills err (size errlen) on failure. */
struct schema *schema_load(const char *dir, char *err, size_t errlen);
/* Load the operational command tree from dir/op/ *.xsd (docs/opschema.md):
 * the top-level elements of every file merged into one root whose
 * children are the first command words (show, clear, request, ...).
 * The result has no XSD validator. */
struct schema *schema_load_op(const char *dir, char *err, size_t errlen);
/* Permission needed for an operational command node (inherited). */
const char *sch_permission(const struct sch_node *n);
void schema_free(struct schema *s);

/* Child of n named name (exact), or NULL. */
const struct sch_node *sch_child(const struct sch_node *n, const char *name);
/* The child typed without a keyword (SCHF_NO_KEYWORD), or NULL. */
const struct sch_node *sch_nokeyword_child(const struct sch_node *n);
/* The child owning daemon of n: its own owner or the nearest ancestor's;
 * "mgd" at the top. */
const char *sch_owner(const struct sch_node *n);
const struct sch_type *sch_type_by_name(const struct schema *s, const char *name);

/* Value checks.  Returns 0 when value is valid for type, else -1 with a
 * Junos-style message in msg (without the "error: " prefix). */
int sch_check_value(const struct sch_type *t, const char *value, char *msg, size_t msglen);
/* Bare verdict with the XSD facets only (what xmllint says). */
int sch_type_valid(const struct sch_type *t, const char *value);
/* 1 if value is a member of an enumeration of t (keyword values). */
int sch_type_is_enum(const struct sch_type *t);
/* Collation of two key values of type t (interface, inet, numeric, bytes). */
int sch_collate(const struct sch_type *t, const char *a, const char *b);

/* "<address>"-style label for a leaf's value in help. */
const char *sch_value_help(const struct sch_node *n);

#endif
