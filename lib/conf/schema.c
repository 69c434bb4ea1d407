/*
 * schema.c: build the statement tree from the XSD files (docs/schema.md).
 *
 * The loader reads every file reachable from configuration.xsd through
 * xs:include / xs:import, indexes the named definitions, then walks the
 * content model of <configuration>.  Simple types become sch_type (facets
 * kept for sch_check_value(), see schema_value.c).
 */
#include "schema.h"
#include "log.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlregexp.h>
#include <libxml/xmlschemas.h>

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XS_NS "http://www.w3.org/2001/XMLSchema"
#define O_NS "urn:opensg:schema:1"

struct def {
    const char *kind; /* simpleType, complexType, group, element */
    const char *name;
    xmlNodePtr node;
};

struct loader {
    struct schema *s;
    xmlDocPtr *docs;
    size_t ndocs;
    char **paths;
    struct def *defs;
    size_t ndefs;
    int next_choice;
    char *err;
    size_t errlen;
    int failed;
};

static void *xmalloc0(size_t n)
{
    void *p = calloc(1, n);

    if (p == NULL)
        fatal("calloc");
    return p;
}

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");

    if (p == NULL)
        fatal("strdup");
    return p;
}

static void lerr(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lerr(struct loader *l, const char *fmt, ...)
{
    va_list ap;

    if (l->failed)
        return;
    l->failed = 1;
    va_start(ap, fmt);
    vsnprintf(l->err, l->errlen, fmt, ap);
    va_end(ap);
}

static int is_xs(xmlNodePtr n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && n->ns && strcmp((const char *)n->ns->href, XS_NS) == 0 &&
           (local == NULL || strcmp((const char *)n->name, local) == 0);
}

static int is_o(xmlNodePtr n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && n->ns && strcmp((const char *)n->ns->href, O_NS) == 0 &&
           strcmp((const char *)n->name, local) == 0;
}

/* Attribute value (owned by libxml2's doc; valid while docs are loaded). */
static char *attr(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Strip a namespace prefix ("xs:string" -> "string"). */
static const char *local_name(const char *qname)
{
    const char *c = strchr(qname, ':');

    return c ? c + 1 : qname;
}

static int is_xs_qname(xmlNodePtr ctx, const char *qname)
{
    const char *c = strchr(qname, ':');
    char prefix[64];
    xmlNsPtr ns;

    if (c == NULL || (size_t)(c - qname) >= sizeof(prefix))
        return 0;
    memcpy(prefix, qname, (size_t)(c - qname));
    prefix[c - qname] = '\0';
    ns = xmlSearchNs(ctx->doc, ctx, (const xmlChar *)prefix);
    return ns && strcmp((const char *)ns->href, XS_NS) == 0;
}

/* ---------- files and definitions ---------- */

static int load_file(struct loader *l, const char *path)
{
    xmlDocPtr doc;
    xmlNodePtr n;
    char dir[PATH_MAX], sub[PATH_MAX];
    const char *slash;

    for (size_t i = 0; i < l->ndocs; i++)
        if (strcmp(l->paths[i], path) == 0)
            return 0;
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    if (doc == NULL) {
        lerr(l, "cannot read schema file %s", path);
        return -1;
    }
    l->docs = realloc(l->docs, (l->ndocs + 1) * sizeof(*l->docs));
    l->paths = realloc(l->paths, (l->ndocs + 1) * sizeof(*l->paths));
    if (l->docs == NULL || l->paths == NULL)
        fatal("realloc");
    l->docs[l->ndocs] = doc;
    l->paths[l->ndocs] = xstrdup(path);
    l->ndocs++;

    slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) >= sizeof(dir)) {
        strcpy(dir, ".");
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    for (n = xmlDocGetRootElement(doc)->children; n; n = n->next) {
        char *loc, *name;

        if (is_xs(n, "include") || is_xs(n, "import")) {
            loc = attr(n, "schemaLocation");
            if (loc) {
                if (snprintf(sub, sizeof(sub), "%s/%s", dir, loc) >= (int)sizeof(sub)) {
                    xmlFree(loc);
                    lerr(l, "schema path too long");
                    return -1;
                }
                xmlFree(loc);
                if (load_file(l, sub) < 0)
                    return -1;
            }
            continue;
        }
        if (!is_xs(n, NULL) || (name = attr(n, "name")) == NULL)
            continue;
        /* only the no-namespace definitions matter (junos.xsd has its own) */
        if (xmlDocGetRootElement(doc) &&
            xmlHasProp(xmlDocGetRootElement(doc), (const xmlChar *)"targetNamespace")) {
            xmlFree(name);
            continue;
        }
        l->defs = realloc(l->defs, (l->ndefs + 1) * sizeof(*l->defs));
        if (l->defs == NULL)
            fatal("realloc");
        l->defs[l->ndefs].kind = (const char *)n->name;
        l->defs[l->ndefs].name = xstrdup(name);
        l->defs[l->ndefs].node = n;
        l->ndefs++;
        xmlFree(name);
    }
    return 0;
}

static xmlNodePtr find_def(struct loader *l, const char *kind, const char *name)
{
    for (size_t i = 0; i < l->ndefs; i++)
        if (strcmp(l->defs[i].kind, kind) == 0 && strcmp(l->defs[i].name, name) == 0)
            return l->defs[i].node;
    return NULL;
}

/* ---------- annotations ---------- */

struct annot {
    char *doc;
    unsigned flags;
    char *owner, *readers, *key, *value_help, *message, *check, *collate, *unsup_values;
    char *rpc, *reply, *permission, *prompt_to, *ref;
};

static char *node_text(xmlNodePtr n)
{
    xmlChar *c = xmlNodeGetContent(n);
    char *s = xstrdup((char *)c);

    xmlFree(c);
    return s;
}

static void annot_read(xmlNodePtr owner, struct annot *a)
{
    memset(a, 0, sizeof(*a));
    for (xmlNodePtr an = owner->children; an; an = an->next) {
        if (!is_xs(an, "annotation"))
            continue;
        for (xmlNodePtr d = an->children; d; d = d->next) {
            if (is_xs(d, "documentation")) {
                free(a->doc);
                a->doc = node_text(d);
            } else if (is_xs(d, "appinfo")) {
                for (xmlNodePtr o = d->children; o; o = o->next) {
                    if (o->type != XML_ELEMENT_NODE || o->ns == NULL ||
                        strcmp((const char *)o->ns->href, O_NS) != 0)
                        continue;
#define FLAG(nm, f) else if (is_o(o, nm)) a->flags |= f
                    if (is_o(o, "owner"))
                        a->owner = node_text(o);
                    else if (is_o(o, "reader"))
                        a->readers = node_text(o);
                    else if (is_o(o, "key"))
                        a->key = node_text(o);
                    else if (is_o(o, "value-help"))
                        a->value_help = node_text(o);
                    else if (is_o(o, "message"))
                        a->message = node_text(o);
                    else if (is_o(o, "check"))
                        a->check = node_text(o);
                    else if (is_o(o, "collate"))
                        a->collate = node_text(o);
                    else if (is_o(o, "unsupported-values"))
                        a->unsup_values = node_text(o);
                    else if (is_o(o, "rpc"))
                        a->rpc = node_text(o), a->flags |= SCHF_RPC;
                    else if (is_o(o, "reply"))
                        a->reply = node_text(o);
                    else if (is_o(o, "ref"))
                        a->ref = node_text(o);
                    else if (is_o(o, "permission"))
                        a->permission = node_text(o);
                    else if (is_o(o, "password-prompt")) {
                        char *to = attr(o, "to");
                        a->flags |= SCHF_PASSWORD_PROMPT;
                        free(a->prompt_to);
                        a->prompt_to = xstrdup(to ? to : "");
                        xmlFree(to);
                    } else if (is_o(o, "secret")) {
                        char *enc = attr(o, "encode");
                        a->flags |= SCHF_SECRET;
                        if (enc && strcmp(enc, "junos9") == 0)
                            a->flags |= SCHF_SECRET9;
                        xmlFree(enc);
                    }
                    FLAG("no-keyword", SCHF_NO_KEYWORD);
                    FLAG("oneliner", SCHF_ONELINER);
                    FLAG("ordered-by-user", SCHF_ORDERED_BY_USER);
                    FLAG("sort", SCHF_SORT);
                    FLAG("mandatory", SCHF_MANDATORY);
                    FLAG("block", SCHF_BLOCK);
                    FLAG("flat", SCHF_FLAT);
                    FLAG("groups", SCHF_GROUPS);
                    FLAG("apply-groups", SCHF_APPLY_GROUPS);
                    FLAG("unsupported", SCHF_UNSUPPORTED);
                    FLAG("rest", SCHF_REST);
                    FLAG("stream", SCHF_STREAM);
#undef FLAG
                }
            }
        }
    }
}

static void annot_free(struct annot *a)
{
    free(a->doc);
    free(a->owner);
    free(a->readers);
    free(a->key);
    free(a->value_help);
    free(a->message);
    free(a->check);
    free(a->collate);
    free(a->unsup_values);
    free(a->rpc);
    free(a->reply);
    free(a->permission);
    free(a->prompt_to);
    free(a->ref);
}

/* ---------- simple types ---------- */

static struct sch_type *simple_type_node(struct loader *l, xmlNodePtr st, const char *name);

static void add_type(struct loader *l, struct sch_type *t)
{
    struct schema *s = l->s;

    s->types = realloc(s->types, (s->ntypes + 1) * sizeof(*s->types));
    if (s->types == NULL)
        fatal("realloc");
    s->types[s->ntypes++] = t;
}

static struct sch_type *builtin_type(struct loader *l, const char *local)
{
    static const struct {
        const char *name;
        enum sch_builtin b;
        int64_t min, max;
        uint64_t umax;
    } tab[] = {
        {"string", SB_STRING, 0, 0, 0},
        {"token", SB_STRING, 0, 0, 0},
        {"normalizedString", SB_STRING, 0, 0, 0},
        {"unsignedLong", SB_UNSIGNED, 0, 0, UINT64_MAX},
        {"nonNegativeInteger", SB_UNSIGNED, 0, 0, UINT64_MAX},
        {"unsignedInt", SB_UNSIGNED, 0, 0, UINT32_MAX},
        {"unsignedShort", SB_UNSIGNED, 0, 0, UINT16_MAX},
        {"unsignedByte", SB_UNSIGNED, 0, 0, UINT8_MAX},
        {"long", SB_SIGNED, INT64_MIN, INT64_MAX, 0},
        {"integer", SB_SIGNED, INT64_MIN, INT64_MAX, 0},
        {"int", SB_SIGNED, INT32_MIN, INT32_MAX, 0},
        {"short", SB_SIGNED, INT16_MIN, INT16_MAX, 0},
        {"byte", SB_SIGNED, INT8_MIN, INT8_MAX, 0},
    };
    char key[80];
    struct sch_type *t;

    snprintf(key, sizeof(key), "xs:%s", local);
    for (size_t i = 0; i < l->s->ntypes; i++)
        if (l->s->types[i]->name && strcmp(l->s->types[i]->name, key) == 0)
            return l->s->types[i];
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strcmp(tab[i].name, local) != 0)
            continue;
        t = xmalloc0(sizeof(*t));
        t->name = xstrdup(key);
        t->builtin = tab[i].b;
        t->minlen = t->maxlen = -1;
        if (tab[i].b == SB_UNSIGNED) {
            t->has_min = t->has_max = 1;
            t->umin = 0;
            t->umax = tab[i].umax;
        } else if (tab[i].b == SB_SIGNED) {
            t->has_min = t->has_max = 1;
            t->min = tab[i].min;
            t->max = tab[i].max;
        }
        add_type(l, t);
        return t;
    }
    lerr(l, "unsupported built-in type xs:%s", local);
    return NULL;
}

/* Resolve a type reference used as a simple type (restriction base, union
 * member, leaf extension base). */
static struct sch_type *simple_type_ref(struct loader *l, xmlNodePtr ctx, const char *qname)
{
    xmlNodePtr def;

    if (is_xs_qname(ctx, qname))
        return builtin_type(l, local_name(qname));
    for (size_t i = 0; i < l->s->ntypes; i++)
        if (l->s->types[i]->name && strcmp(l->s->types[i]->name, qname) == 0)
            return l->s->types[i];
    def = find_def(l, "simpleType", qname);
    if (def == NULL) {
        lerr(l, "unknown simple type '%s'", qname);
        return NULL;
    }
    return simple_type_node(l, def, qname);
}

static int parse_int(const char *s, int64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno || *end ? -1 : 0;
}

static int parse_uint(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    *v = strtoull(s, &end, 10);
    return errno || *end || *s == '-' ? -1 : 0;
}

static void add_facet(struct loader *l, struct sch_type *t, xmlNodePtr f)
{
    char *v = attr(f, "value");
    const char *nm = (const char *)f->name;

    if (v == NULL) {
        lerr(l, "facet xs:%s without value", nm);
        return;
    }
    if (strcmp(nm, "pattern") == 0) {
        xmlRegexpPtr re = xmlRegexpCompile((const xmlChar *)v);
        if (re == NULL) {
            lerr(l, "bad pattern '%s' in type %s", v, t->name ? t->name : "(anonymous)");
        } else {
            t->patterns = realloc(t->patterns, (t->npatterns + 1) * sizeof(void *));
            t->pattern_src = realloc(t->pattern_src, (t->npatterns + 1) * sizeof(char *));
            if (t->patterns == NULL || t->pattern_src == NULL)
                fatal("realloc");
            t->patterns[t->npatterns] = re;
            t->pattern_src[t->npatterns++] = xstrdup(v);
        }
    } else if (strcmp(nm, "enumeration") == 0) {
        t->enums = realloc(t->enums, (t->nenums + 1) * sizeof(char *));
        if (t->enums == NULL)
            fatal("realloc");
        t->enums[t->nenums++] = xstrdup(v);
    } else if (strcmp(nm, "minInclusive") == 0 || strcmp(nm, "maxInclusive") == 0) {
        int ismin = nm[1] == 'i';
        int bad;
        if (t->builtin == SB_UNSIGNED) {
            uint64_t u;
            bad = parse_uint(v, &u);
            if (ismin)
                t->umin = u;
            else
                t->umax = u;
        } else {
            int64_t i;
            bad = parse_int(v, &i);
            if (ismin)
                t->min = i;
            else
                t->max = i;
        }
        if (bad)
            lerr(l, "bad xs:%s value '%s'", nm, v);
        if (ismin)
            t->has_min = 1;
        else
            t->has_max = 1;
    } else if (strcmp(nm, "minLength") == 0) {
        t->minlen = atol(v);
    } else if (strcmp(nm, "maxLength") == 0) {
        t->maxlen = atol(v);
    } else if (strcmp(nm, "length") == 0) {
        t->minlen = t->maxlen = atol(v);
    } else if (strcmp(nm, "whiteSpace") != 0) {
        lerr(l, "unsupported facet xs:%s", nm);
    }
    xmlFree(v);
}

/* Build a restriction step over base from the facets found among the
 * children of node (an xs:restriction). */
static struct sch_type *restrict_type(struct loader *l, xmlNodePtr r, struct sch_type *base,
                                      const char *name)
{
    struct sch_type *t = xmalloc0(sizeof(*t));

    t->name = name ? xstrdup(name) : NULL;
    t->base = base;
    t->builtin = base ? base->builtin : SB_STRING;
    t->minlen = t->maxlen = -1;
    if (base) {
        /* ranges narrow: start from the base's bounds */
        t->has_min = base->has_min;
        t->has_max = base->has_max;
        t->min = base->min;
        t->max = base->max;
        t->umin = base->umin;
        t->umax = base->umax;
        t->value_help = base->value_help;
        t->message = base->message;
        t->check = base->check;
        t->collate = base->collate;
    }
    for (xmlNodePtr f = r ? r->children : NULL; f; f = f->next)
        if (is_xs(f, NULL) && !is_xs(f, "annotation") && !is_xs(f, "simpleType"))
            add_facet(l, t, f);
    add_type(l, t);
    return t;
}

static void type_annot(struct sch_type *t, xmlNodePtr st)
{
    struct annot a;

    annot_read(st, &a);
    if (a.value_help)
        t->value_help = a.value_help, a.value_help = NULL;
    if (a.message)
        t->message = a.message, a.message = NULL;
    if (a.check)
        t->check = a.check, a.check = NULL;
    if (a.collate)
        t->collate = a.collate, a.collate = NULL;
    annot_free(&a);
}

static struct sch_type *simple_type_node(struct loader *l, xmlNodePtr st, const char *name)
{
    struct sch_type *t = NULL;

    for (xmlNodePtr c = st->children; c; c = c->next) {
        if (is_xs(c, "restriction")) {
            char *b = attr(c, "base");
            struct sch_type *base = NULL;
            if (b) {
                base = simple_type_ref(l, c, b);
                xmlFree(b);
            } else {
                for (xmlNodePtr in = c->children; in; in = in->next)
                    if (is_xs(in, "simpleType"))
                        base = simple_type_node(l, in, NULL);
            }
            if (base == NULL)
                return NULL;
            t = restrict_type(l, c, base, name);
        } else if (is_xs(c, "union")) {
            char *m = attr(c, "memberTypes");
            t = xmalloc0(sizeof(*t));
            t->name = name ? xstrdup(name) : NULL;
            t->builtin = SB_UNION;
            t->minlen = t->maxlen = -1;
            add_type(l, t);
            if (m) {
                char *save, *tok, *dup = xstrdup(m);
                for (tok = strtok_r(dup, " \t\n", &save); tok;
                     tok = strtok_r(NULL, " \t\n", &save)) {
                    struct sch_type *mt = simple_type_ref(l, c, tok);
                    if (mt == NULL)
                        break;
                    t->members = realloc(t->members, (t->nmembers + 1) * sizeof(*t->members));
                    if (t->members == NULL)
                        fatal("realloc");
                    t->members[t->nmembers++] = mt;
                }
                free(dup);
                xmlFree(m);
            }
            for (xmlNodePtr in = c->children; in; in = in->next) {
                if (!is_xs(in, "simpleType"))
                    continue;
                struct sch_type *mt = simple_type_node(l, in, NULL);
                if (mt == NULL)
                    return NULL;
                t->members = realloc(t->members, (t->nmembers + 1) * sizeof(*t->members));
                if (t->members == NULL)
                    fatal("realloc");
                t->members[t->nmembers++] = mt;
            }
        }
    }
    if (t == NULL) {
        lerr(l, "simple type %s: only restriction and union are supported", name ? name : "");
        return NULL;
    }
    type_annot(t, st);
    return t;
}

/* The value type of a complex type with simple content (X-leaf). */
static struct sch_type *leaf_type(struct loader *l, xmlNodePtr ct, const char *name);

static struct sch_type *leaf_base(struct loader *l, xmlNodePtr ctx, const char *qname)
{
    xmlNodePtr def;

    if (is_xs_qname(ctx, qname))
        return builtin_type(l, local_name(qname));
    if ((def = find_def(l, "complexType", qname)) != NULL)
        return leaf_type(l, def, qname);
    return simple_type_ref(l, ctx, qname);
}

static struct sch_type *leaf_type(struct loader *l, xmlNodePtr ct, const char *name)
{
    (void)name;
    for (xmlNodePtr sc = ct->children; sc; sc = sc->next) {
        if (!is_xs(sc, "simpleContent"))
            continue;
        for (xmlNodePtr d = sc->children; d; d = d->next) {
            char *b;
            struct sch_type *base;

            if (!is_xs(d, "extension") && !is_xs(d, "restriction"))
                continue;
            b = attr(d, "base");
            if (b == NULL) {
                lerr(l, "simpleContent derivation without base");
                return NULL;
            }
            base = leaf_base(l, d, b);
            xmlFree(b);
            if (base == NULL)
                return NULL;
            if (is_xs(d, "extension"))
                return base;
            return restrict_type(l, d, base, NULL);
        }
    }
    return NULL;
}

/* ---------- statements ---------- */

static void walk_particle(struct loader *l, xmlNodePtr p, struct sch_node *parent, int unbounded,
                          int choice, int branch);

static void node_add_child(struct sch_node *parent, struct sch_node *n)
{
    parent->children =
        realloc(parent->children, (parent->nchildren + 1) * sizeof(*parent->children));
    if (parent->children == NULL)
        fatal("realloc");
    n->index = (int)parent->nchildren;
    parent->children[parent->nchildren++] = n;
}

static int max_unbounded(xmlNodePtr n)
{
    char *m = attr(n, "maxOccurs");
    int r = 0;

    if (m) {
        r = strcmp(m, "unbounded") == 0 || atoi(m) > 1;
        xmlFree(m);
    }
    return r;
}

static int has_content_model(xmlNodePtr ct)
{
    for (xmlNodePtr c = ct->children; c; c = c->next)
        if (is_xs(c, "sequence") || is_xs(c, "choice") || is_xs(c, "group") || is_xs(c, "all"))
            return 1;
    return 0;
}

static void set_keys(struct loader *l, struct sch_node *n, const char *keyspec)
{
    char *dup = xstrdup(keyspec ? keyspec : "name");
    char *save, *tok;

    for (tok = strtok_r(dup, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        struct sch_node *k = (struct sch_node *)sch_child(n, tok);
        if (k == NULL || (k->kind != SCH_LEAF)) {
            lerr(l, "list '%s': key '%s' is not a leaf child", n->name, tok);
            break;
        }
        k->flags |= SCHF_KEY;
        n->keys = realloc(n->keys, (n->nkeys + 1) * sizeof(*n->keys));
        if (n->keys == NULL)
            fatal("realloc");
        n->keys[n->nkeys++] = k;
    }
    free(dup);
}

static void split_values(struct sch_node *n, const char *spec)
{
    char *dup = xstrdup(spec), *save, *tok;

    for (tok = strtok_r(dup, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        n->unsupported_values =
            realloc(n->unsupported_values, (n->nunsupported_values + 1) * sizeof(char *));
        if (n->unsupported_values == NULL)
            fatal("realloc");
        n->unsupported_values[n->nunsupported_values++] = xstrdup(tok);
    }
    free(dup);
}

/* o:password-prompt names a leaf sibling of the prompting flag. */
static void check_prompts(struct loader *l, const struct sch_node *n)
{
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct sch_node *c = n->children[i], *to;
        if (!(c->flags & SCHF_PASSWORD_PROMPT))
            continue;
        to = sch_child(n, c->prompt_to);
        if (c->kind != SCH_FLAG || to == NULL || to->kind != SCH_LEAF)
            lerr(l, "'%s': o:password-prompt needs a flag and a leaf sibling (to=\"%s\")", c->name,
                 c->prompt_to);
    }
}

static void build_element(struct loader *l, xmlNodePtr el, struct sch_node *parent, int unbounded,
                          int choice, int branch)
{
    struct sch_node *n;
    struct annot a;
    char *name = attr(el, "name"), *type = attr(el, "type");
    xmlNodePtr ct = NULL;

    if (name == NULL) {
        lerr(l, "xs:element without name under '%s'", parent->name);
        xmlFree(type);
        return;
    }
    n = xmalloc0(sizeof(*n));
    n->name = xstrdup(name);
    n->parent = parent;
    n->choice = choice;
    n->branch = branch;
    annot_read(el, &a);
    n->help = a.doc ? a.doc : xstrdup("");
    a.doc = NULL;
    n->flags = a.flags;
    n->owner = a.owner, a.owner = NULL;
    n->readers = a.readers, a.readers = NULL;
    n->value_help = a.value_help, a.value_help = NULL;
    n->rpc = a.rpc, a.rpc = NULL;
    n->reply = a.reply, a.reply = NULL;
    n->permission = a.permission, a.permission = NULL;
    n->prompt_to = a.prompt_to, a.prompt_to = NULL;
    n->ref = a.ref, a.ref = NULL;
    if (a.unsup_values)
        split_values(n, a.unsup_values);
    unbounded = unbounded || max_unbounded(el);
    node_add_child(parent, n);

    if (type) {
        if (strcmp(type, "flag") == 0) {
            n->kind = SCH_FLAG;
        } else if (is_xs_qname(el, type) || find_def(l, "simpleType", type)) {
            n->type = simple_type_ref(l, el, type);
            n->kind = unbounded ? SCH_LEAFLIST : SCH_LEAF;
        } else if ((ct = find_def(l, "complexType", type)) == NULL) {
            lerr(l, "element '%s': unknown type '%s'", name, type);
        }
    } else {
        for (xmlNodePtr c = el->children; c; c = c->next)
            if (is_xs(c, "complexType"))
                ct = c;
        if (ct == NULL)
            lerr(l, "element '%s' has neither a type nor an inline complexType", name);
    }
    if (ct) {
        struct sch_type *lt = leaf_type(l, ct, type);
        if (lt) {
            n->type = lt;
            n->kind = unbounded ? SCH_LEAFLIST : SCH_LEAF;
        } else if (!has_content_model(ct)) {
            n->kind = SCH_FLAG;
        } else {
            n->kind = unbounded ? SCH_LIST : SCH_CONTAINER;
            for (xmlNodePtr c = ct->children; c; c = c->next)
                walk_particle(l, c, n, 0, 0, 0);
            if (n->kind == SCH_LIST)
                set_keys(l, n, a.key);
            check_prompts(l, n);
        }
    }
    annot_free(&a);
    xmlFree(name);
    xmlFree(type);
}

static void walk_particle(struct loader *l, xmlNodePtr p, struct sch_node *parent, int unbounded,
                          int choice, int branch)
{
    if (l->failed || p->type != XML_ELEMENT_NODE)
        return;
    if (is_xs(p, "element")) {
        if (xmlHasProp(p, (const xmlChar *)"ref"))
            return; /* junos:comment */
        build_element(l, p, parent, unbounded, choice, branch);
    } else if (is_xs(p, "sequence") || is_xs(p, "all")) {
        int ub = unbounded || max_unbounded(p);
        for (xmlNodePtr c = p->children; c; c = c->next)
            walk_particle(l, c, parent, ub, choice, branch);
    } else if (is_xs(p, "choice")) {
        int id = ++l->next_choice, b = 0;
        int ub = unbounded || max_unbounded(p);
        for (xmlNodePtr c = p->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && !is_xs(c, "annotation"))
                walk_particle(l, c, parent, ub, id, ++b);
    } else if (is_xs(p, "group")) {
        char *ref = attr(p, "ref");
        xmlNodePtr g;
        size_t len;

        if (ref == NULL)
            return;
        len = strlen(ref);
        if (strcmp(ref, "comments") == 0) {
            /* annotation slot */
        } else if (len > 4 && strcmp(ref + len - 4, "-grp") == 0) {
            /* relaxed copy for group contents: aliased after the root is built */
            parent->flags |= SCHF_GROUPS;
        } else if ((g = find_def(l, "group", ref)) == NULL) {
            lerr(l, "unknown group '%s'", ref);
        } else {
            for (xmlNodePtr c = g->children; c; c = c->next)
                walk_particle(l, c, parent, unbounded || max_unbounded(p), choice, branch);
        }
        xmlFree(ref);
    }
}

/* Group entries hold the top-level hierarchies again: alias the root's
 * children that are not themselves groups, apply-groups or version. */
static void alias_groups(struct sch_node *root, struct sch_node *n)
{
    for (size_t i = 0; i < n->nchildren; i++)
        alias_groups(root, n->children[i]);
    if (n->kind != SCH_LIST || !(n->flags & SCHF_GROUPS) || n == root)
        return;
    for (size_t i = 0; i < root->nchildren; i++) {
        struct sch_node *c = root->children[i];
        if (c->flags & (SCHF_GROUPS | SCHF_APPLY_GROUPS) || c->kind != SCH_CONTAINER)
            continue;
        n->children = realloc(n->children, (n->nchildren + 1) * sizeof(*n->children));
        if (n->children == NULL)
            fatal("realloc");
        n->children[n->nchildren++] = c; /* c->parent stays the root */
    }
}

static void node_free(struct sch_node *n, struct sch_node *owner)
{
    if (n == NULL || n->parent != owner)
        return;
    for (size_t i = 0; i < n->nchildren; i++)
        node_free(n->children[i], n);
    free(n->children);
    free(n->keys);
    free(n->name);
    free(n->help);
    free(n->value_help);
    free(n->owner);
    free(n->readers);
    free(n->rpc);
    free(n->reply);
    free(n->permission);
    free(n->prompt_to);
    free(n->ref);
    for (size_t i = 0; i < n->nunsupported_values; i++)
        free(n->unsupported_values[i]);
    free(n->unsupported_values);
    free(n);
}

static void type_free(struct sch_type *t)
{
    free(t->name);
    for (size_t i = 0; i < t->npatterns; i++) {
        xmlRegFreeRegexp(t->patterns[i]);
        free(t->pattern_src[i]);
    }
    free(t->patterns);
    free(t->pattern_src);
    for (size_t i = 0; i < t->nenums; i++)
        free(t->enums[i]);
    free(t->enums);
    free(t->members);
    /* annotation strings may be shared with the base: freed with their owner */
    if (t->base == NULL || t->value_help != t->base->value_help)
        free(t->value_help);
    if (t->base == NULL || t->message != t->base->message)
        free(t->message);
    if (t->base == NULL || t->check != t->base->check)
        free(t->check);
    if (t->base == NULL || t->collate != t->base->collate)
        free(t->collate);
    free(t);
}

void schema_free(struct schema *s)
{
    if (s == NULL)
        return;
    if (s->root) {
        s->root->parent = NULL;
        node_free(s->root, NULL);
    }
    /* free derived types before their bases (they were added after them) */
    for (size_t i = s->ntypes; i-- > 0;)
        type_free(s->types[i]);
    free(s->types);
    if (s->xsd)
        xmlSchemaFree(s->xsd);
    free(s->dir);
    free(s);
}

static void silent_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

struct schema *schema_load(const char *dir, char *err, size_t errlen)
{
    struct loader l;
    struct schema *s = xmalloc0(sizeof(*s));
    char path[PATH_MAX];
    xmlNodePtr root_el;
    xmlSchemaParserCtxtPtr pctx;

    memset(&l, 0, sizeof(l));
    l.s = s;
    l.err = err;
    l.errlen = errlen;
    s->dir = xstrdup(dir);
    snprintf(path, sizeof(path), "%s/configuration.xsd", dir);
    if (load_file(&l, path) == 0) {
        root_el = find_def(&l, "element", "configuration");
        if (root_el == NULL) {
            lerr(&l, "%s: no <configuration> element", path);
        } else {
            struct sch_node holder = {0};
            holder.name = "(root)";
            build_element(&l, root_el, &holder, 0, 0, 0);
            if (!l.failed && holder.nchildren == 1) {
                s->root = holder.children[0];
                s->root->parent = NULL;
                alias_groups(s->root, s->root);
            }
            free(holder.children);
            /* every named simple type, used or not (tests, op arguments) */
            for (size_t i = 0; i < l.ndefs && !l.failed; i++)
                if (strcmp(l.defs[i].kind, "simpleType") == 0)
                    simple_type_ref(&l, l.defs[i].node, l.defs[i].name);
        }
    }
    if (!l.failed) {
        pctx = xmlSchemaNewParserCtxt(path);
        xmlSchemaSetParserErrors(pctx, silent_error, silent_error, NULL);
        s->xsd = xmlSchemaParse(pctx);
        xmlSchemaFreeParserCtxt(pctx);
        if (s->xsd == NULL)
            lerr(&l, "%s: libxml2 cannot compile the schema", path);
    }
    for (size_t i = 0; i < l.ndocs; i++) {
        xmlFreeDoc(l.docs[i]);
        free(l.paths[i]);
    }
    for (size_t i = 0; i < l.ndefs; i++)
        free((char *)l.defs[i].name);
    free(l.docs);
    free(l.paths);
    free(l.defs);
    if (l.failed) {
        schema_free(s);
        return NULL;
    }
    return s;
}

/* ---------- operational commands ---------- */

static void reparent(struct sch_node *n, struct sch_node *parent)
{
    n->parent = parent;
    n->index = (int)parent->nchildren;
    parent->children =
        realloc(parent->children, (parent->nchildren + 1) * sizeof(*parent->children));
    if (parent->children == NULL)
        fatal("realloc");
    parent->children[parent->nchildren++] = n;
}

static int ck_str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void push_owner(struct sch_node *n)
{
    if (n->owner == NULL)
        return;
    for (size_t i = 0; i < n->nchildren; i++)
        if (n->children[i]->owner == NULL)
            n->children[i]->owner = xstrdup(n->owner);
    free(n->owner);
    n->owner = NULL;
}

/* Merge command tree n into dst: words defined by several files (show,
 * show services, ...) become one node. */
static void merge_op(struct sch_node *dst, struct sch_node *n)
{
    struct sch_node *same = (struct sch_node *)sch_child(dst, n->name);

    if (same == NULL || same->kind != SCH_CONTAINER || n->kind != SCH_CONTAINER ||
        (same->rpc && n->rpc)) {
        reparent(n, dst);
        return;
    }
    if (n->rpc && !same->rpc) {
        same->rpc = n->rpc, n->rpc = NULL;
        same->reply = n->reply, n->reply = NULL;
        same->flags |= n->flags & (SCHF_RPC | SCHF_STREAM);
    }
    if (same->help[0] == '\0') {
        free(same->help);
        same->help = n->help, n->help = xstrdup("");
    }
    if (!ck_str_eq(same->owner, n->owner)) {
        /* words shared by several owners (show, show services): the owner
         * moves down to each file's own commands */
        push_owner(same);
        push_owner(n);
    }
    if (!same->permission && n->permission)
        same->permission = n->permission, n->permission = NULL;
    for (size_t i = 0; i < n->nchildren; i++)
        merge_op(same, n->children[i]);
    n->nchildren = 0;
    node_free(n, n->parent);
}

struct schema *schema_load_op(const char *dir, char *err, size_t errlen)
{
    struct schema *s = xmalloc0(sizeof(*s));
    char pattern[PATH_MAX];
    glob_t g;
    int failed = 0;

    s->dir = xstrdup(dir);
    s->root = xmalloc0(sizeof(*s->root));
    s->root->name = xstrdup("operational");
    s->root->help = xstrdup("");
    s->root->kind = SCH_CONTAINER;
    snprintf(pattern, sizeof(pattern), "%s/op/*.xsd", dir);
    if (glob(pattern, 0, NULL, &g) != 0) {
        snprintf(err, errlen, "no operational command files in %s/op", dir);
        schema_free(s);
        return NULL;
    }
    for (size_t i = 0; i < g.gl_pathc && !failed; i++) {
        struct loader l;
        memset(&l, 0, sizeof(l));
        l.s = s;
        l.err = err;
        l.errlen = errlen;
        if (load_file(&l, g.gl_pathv[i]) == 0) {
            for (xmlNodePtr el = xmlDocGetRootElement(l.docs[0])->children; el; el = el->next) {
                struct sch_node holder = {0};
                if (!is_xs(el, "element"))
                    continue;
                holder.name = "(op)";
                build_element(&l, el, &holder, 0, 0, 0);
                for (size_t k = 0; k < holder.nchildren; k++)
                    merge_op(s->root, holder.children[k]);
                free(holder.children);
                if (l.failed)
                    break;
            }
        }
        failed = l.failed;
        for (size_t k = 0; k < l.ndocs; k++) {
            xmlFreeDoc(l.docs[k]);
            free(l.paths[k]);
        }
        for (size_t k = 0; k < l.ndefs; k++)
            free((char *)l.defs[k].name);
        free(l.docs);
        free(l.paths);
        free(l.defs);
    }
    globfree(&g);
    if (failed) {
        schema_free(s);
        return NULL;
    }
    return s;
}

const char *sch_permission(const struct sch_node *n)
{
    for (; n; n = n->parent)
        if (n->permission)
            return n->permission;
    return "view";
}

/* ---------- lookups ---------- */

const struct sch_node *sch_child(const struct sch_node *n, const char *name)
{
    for (size_t i = 0; i < n->nchildren; i++)
        if (strcmp(n->children[i]->name, name) == 0)
            return n->children[i];
    return NULL;
}

const struct sch_node *sch_nokeyword_child(const struct sch_node *n)
{
    for (size_t i = 0; i < n->nchildren; i++)
        if (n->children[i]->flags & SCHF_NO_KEYWORD)
            return n->children[i];
    return NULL;
}

const char *sch_owner(const struct sch_node *n)
{
    for (; n; n = n->parent)
        if (n->owner)
            return n->owner;
    return "mgd";
}

const struct sch_type *sch_type_by_name(const struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->ntypes; i++)
        if (s->types[i]->name && strcmp(s->types[i]->name, name) == 0)
            return s->types[i];
    return NULL;
}

const char *sch_value_help(const struct sch_node *n)
{
    if (n->value_help)
        return n->value_help;
    if (n->type && n->type->value_help)
        return n->type->value_help;
    return n->name;
}
