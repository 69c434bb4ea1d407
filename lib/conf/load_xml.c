/*
 * load_xml.c: read a configuration in Junos XML shape into a tree
 * (render.h).  Owns load_xml(); the inverse of render_xml.c.
 *
 * libxml2 parses the text (no network, no DTD, no entity expansion); the
 * first <configuration> element (bare, or inside <rpc-reply>/<data>) is
 * walked against the schema: elements are statements named by their
 * schema name, list entries are identified by their key children,
 * leaf-list entries by their value.  Metadata: inactive="inactive",
 * active="active", delete="delete", replace="replace", and
 * <junos:comment> elements, which annotate the next statement.  Values
 * are checked with the schema; junos9 secrets are stored in $9$ form.  A
 * statement with an error is reported (with its line) and skipped.
 * load_json() converts its input to the same element tree and loads it
 * with load_xml_node().
 */
#include "path.h"
#include "render.h"
#include "secret9.h"
#include "log.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lx {
    struct load_result *r;
};

static char *xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        fatal("strdup");
    return p;
}

/* Line of element e; load_json.c keeps lines above 65535 in psvi. */
static int line_of(xmlNodePtr e)
{
    if (e->type == XML_ELEMENT_NODE && e->line == 65535 && e->psvi)
        return (int)(intptr_t)e->psvi;
    return (int)xmlGetLineNo(e);
}

static void stmt_error(struct lx *x, xmlNodePtr e, const struct cnode *at, const char *stmt,
                       const char *msg)
{
    char path[512];

    cnode_path(at, path, sizeof(path));
    load_error_add(x->r, line_of(e), -1, "[edit%s%s] '%s': %s", *path ? " " : "", path, stmt, msg);
}

static int is_junos_comment(xmlNodePtr e)
{
    const char *name = (const char *)e->name;

    if (strcmp(name, "junos:comment") == 0) /* prefix left undeclared */
        return 1;
    if (strcmp(name, "comment") != 0 || e->ns == NULL)
        return 0;
    if (e->ns->prefix && strcmp((const char *)e->ns->prefix, "junos") == 0)
        return 1;
    return e->ns->href &&
           strncmp((const char *)e->ns->href, "http://xml.juniper.net/junos/", 29) == 0;
}

static int has_attr(xmlNodePtr e, const char *name, const char *value)
{
    xmlChar *v = xmlGetNoNsProp(e, (const xmlChar *)name);
    int r = v && strcmp((const char *)v, value) == 0;

    xmlFree(v);
    return r;
}

/* The text of a leaf element; NULL when it holds elements. */
static char *leaf_text(xmlNodePtr e)
{
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "");
    for (xmlNodePtr c = e->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            buf_free(&b);
            return NULL;
        }
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            buf_puts(&b, (const char *)c->content);
    }
    return buf_steal(&b);
}

/* Wipe the text of a secret element from the parsed document. */
static void wipe_text(xmlNodePtr e)
{
    for (xmlNodePtr c = e->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
            !(c->doc && c->doc->dict && xmlDictOwns(c->doc->dict, c->content)))
            OPENSSL_cleanse(c->content, strlen((const char *)c->content));
}

static void free_value(const struct sch_node *s, char *v)
{
    if (v && (s->flags & SCHF_SECRET))
        OPENSSL_cleanse(v, strlen(v));
    free(v);
}

/* The value to store for leaf s, or NULL after reporting the error.
 * Integer types collapse blanks as XSD does ("<mtu> 1500 </mtu>"). */
static char *check_value(struct lx *x, xmlNodePtr e, const struct cnode *at,
                         const struct sch_node *s, const char *v)
{
    char msg[400], *out = NULL, *num = NULL;
    size_t len = 0;
    int encoded = (s->flags & SCHF_SECRET9) && secret9_is_encoded(v), bad;

    if (s->type && (s->type->builtin == SB_UNSIGNED || s->type->builtin == SB_SIGNED)) {
        while (isspace((unsigned char)*v))
            v++;
        for (len = strlen(v); len && isspace((unsigned char)v[len - 1]);)
            len--;
        if ((num = strndup(v, len)) == NULL)
            fatal("strndup");
        v = num;
    }
    if ((s->flags & SCHF_KEY) && is_wildcard_name(v) && cnode_in_group(at))
        out = xstrdup(v);
    else if (s->type == NULL)
        stmt_error(x, e, at, s->name, "syntax error");
    else if (!encoded && sch_check_value(s->type, v, msg, sizeof(msg)) < 0)
        stmt_error(x, e, at, s->name, (s->flags & SCHF_SECRET) ? "invalid secret value" : msg);
    else if (!(s->flags & SCHF_SECRET9))
        out = xstrdup(v);
    else if (!encoded && (out = secret9_encode(v, strlen(v))) == NULL)
        fatal("secret9_encode");
    else if (encoded && (bad = secret9_valid(v, s->type)) < 0)
        stmt_error(x, e, at, s->name,
                   bad == -1 ? "invalid encrypted value"
                             : "invalid encrypted value: not a valid key once decoded");
    else if (encoded)
        out = xstrdup(v);
    free(num);
    return out;
}

/* "/ * text * /" (with blanks around) to "text". */
static char *strip_comment(const char *s)
{
    size_t n;
    char *p;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= 4 && strncmp(s, "/*", 2) == 0 && strncmp(s + n - 2, "*/", 2) == 0) {
        s += 2;
        n -= 4;
        while (n && isspace((unsigned char)*s))
            s++, n--;
        while (n && isspace((unsigned char)s[n - 1]))
            n--;
    }
    if ((p = strndup(s, n)) == NULL)
        fatal("strndup");
    return p;
}

static void set_meta(struct cnode *n, xmlNodePtr e, char **comment)
{
    if (has_attr(e, "inactive", "inactive"))
        n->inactive = 1;
    if (has_attr(e, "active", "active"))
        n->inactive = 0;
    if (has_attr(e, "replace", "replace"))
        n->replace = 1;
    cnode_touch(n);
    if (*comment) {
        free(n->comment);
        n->comment = *comment;
        *comment = NULL;
    }
}

static int walk(struct lx *x, xmlNodePtr parent, struct cnode *at, const struct sch_node *list);

/* Key values of the list entry element e, or -1 after reporting. */
static int entry_keys(struct lx *x, xmlNodePtr e, struct cnode *at, const struct sch_node *s,
                      char **keys)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        xmlNodePtr k;
        char *t = NULL;

        for (k = e->children; k; k = k->next)
            if (k->type == XML_ELEMENT_NODE && !is_junos_comment(k) &&
                strcmp((const char *)k->name, s->keys[i]->name) == 0)
                break;
        if (k == NULL) {
            char msg[300];
            snprintf(msg, sizeof(msg), "missing key '%s'", s->keys[i]->name);
            stmt_error(x, e, at, s->name, msg);
            return -1;
        }
        if ((t = leaf_text(k)) == NULL) {
            stmt_error(x, k, at, s->keys[i]->name, "syntax error");
            return -1;
        }
        keys[i] = check_value(x, k, at, s->keys[i], t);
        free(t);
        if (keys[i] == NULL)
            return -1;
    }
    return 0;
}

static void delete_all(struct cnode *at, const struct sch_node *s)
{
    struct cnode *c, *next;

    for (c = cnode_first(at, s); c; c = next) {
        next = cnode_next_same(c);
        cnode_free(c);
    }
}

/* After element e was loaded into n: a container or entry created for e
 * whose statements all failed, or a container emptied by the deletes in
 * e (as the CLI's delete does), is removed.  Returns 1 if removed. */
static int prune(struct cnode *n, int created, int deleted, xmlNodePtr e)
{
    if (!(created || (deleted && n->sch->kind == SCH_CONTAINER)) || !cnode_is_empty(n) ||
        n->comment || n->inactive)
        return 0;
    for (xmlNodePtr c = e->children; c; c = c->next) {
        const struct sch_node *s = sch_child(n->sch, (const char *)c->name);
        if ((c->type == XML_ELEMENT_NODE && !is_junos_comment(c) &&
             !(s && (s->flags & SCHF_KEY))) ||
            (c->type == XML_TEXT_NODE && !xmlIsBlankNode(c))) {
            cnode_free(n);
            return 1;
        }
    }
    return 0;
}

/* A list entry element e for list s under at.  Returns 1 if it deleted. */
static int entry(struct lx *x, xmlNodePtr e, struct cnode *at, const struct sch_node *s,
                 char **comment, int del)
{
    char **keys = calloc(s->nkeys ? s->nkeys : 1, sizeof(char *));
    struct cnode *n;

    if (keys == NULL)
        fatal("calloc");
    if (entry_keys(x, e, at, s, keys) == 0) {
        n = cnode_find(at, s, (const char *const *)keys);
        if (del) {
            cnode_free(n);
        } else {
            int created = n == NULL;
            n = cnode_get(at, s, (const char *const *)keys);
            set_meta(n, e, comment);
            prune(n, created, walk(x, e, n, s), e);
        }
    }
    for (size_t i = 0; i < s->nkeys; i++)
        free(keys[i]);
    free(keys);
    return del;
}

/* One statement element e for schema node s under at.  Returns 1 if it
 * removed statements from at. */
static int statement(struct lx *x, xmlNodePtr e, struct cnode *at, const struct sch_node *s,
                     char **comment)
{
    int del = has_attr(e, "delete", "delete"), created;
    struct cnode *n;
    char *t, *v;

    if (s->kind == SCH_LIST)
        return entry(x, e, at, s, comment, del);
    if (s->flags & SCHF_PASSWORD_PROMPT) {
        /* the CLI's prompting statement: never in a configuration */
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "typed in the CLI only (it prompts for the password); give %s instead",
                 s->prompt_to);
        stmt_error(x, e, at, s->name, msg);
        return 0;
    }
    if (s->kind == SCH_CONTAINER || s->kind == SCH_FLAG) {
        if (s->kind == SCH_FLAG && xmlFirstElementChild(e)) {
            stmt_error(x, e, at, s->name, "syntax error");
            return 0;
        }
        n = cnode_find(at, s, NULL);
        if (del) {
            cnode_free(n);
            return 1;
        }
        created = n == NULL;
        n = cnode_get(at, s, NULL);
        set_meta(n, e, comment);
        return prune(n, created, walk(x, e, n, NULL), e) && !created;
    }
    /* leaf or leaf-list */
    if ((t = leaf_text(e)) == NULL) {
        stmt_error(x, e, at, s->name, "syntax error");
        return 0;
    }
    n = s->kind == SCH_LEAF && *t == '\0' ? cnode_first(at, s) : NULL;
    if (n && !del &&
        (*comment || xmlHasProp(e, (const xmlChar *)"inactive") ||
         xmlHasProp(e, (const xmlChar *)"active"))) {
        set_meta(n, e, comment); /* <leaf inactive="inactive"/>: metadata only */
    } else if (del) {
        if (s->kind == SCH_LEAFLIST && *t)
            cnode_free(cnode_find(at, s, (const char *const *)&t));
        else
            delete_all(at, s);
    } else if ((v = check_value(x, e, at, s, t)) != NULL) {
        if (s->kind == SCH_LEAF)
            n = cnode_set_leaf(at, s, v);
        else
            n = cnode_get(at, s, (const char *const *)&v);
        set_meta(n, e, comment);
        free_value(s, v);
    }
    if (s->flags & SCHF_SECRET)
        wipe_text(e);
    free_value(s, t);
    return del;
}

/* The statements under element parent into node at.  list: at's schema
 * when at is a list entry (its key elements were read already).  Returns 1
 * if statements were deleted from at. */
static int walk(struct lx *x, xmlNodePtr parent, struct cnode *at, const struct sch_node *list)
{
    char *comment = NULL;
    int deleted = 0;

    for (xmlNodePtr e = parent->children; e; e = e->next) {
        const struct sch_node *s;
        const char *name = (const char *)e->name;

        if (e->type == XML_TEXT_NODE || e->type == XML_CDATA_SECTION_NODE) {
            const char *p = (const char *)e->content;
            while (p && isspace((unsigned char)*p))
                p++;
            if (p && *p) {
                char word[64];
                snprintf(word, sizeof(word), "%.*s", (int)strcspn(p, " \t\r\n"), p);
                stmt_error(x, parent, at, word, "syntax error");
            }
            continue;
        }
        if (e->type != XML_ELEMENT_NODE)
            continue;
        if (is_junos_comment(e)) {
            xmlChar *c = xmlNodeGetContent(e);
            char *txt = strip_comment(c ? (const char *)c : "");
            xmlFree(c);
            if (comment) { /* several in a row: one annotation */
                char *j;
                if (asprintf(&j, "%s\n%s", comment, txt) < 0)
                    fatal("asprintf");
                free(txt);
                free(comment);
                txt = j;
            }
            comment = txt;
            continue;
        }
        s = sch_child(at->sch, name);
        if (s == NULL) {
            stmt_error(x, e, at, name, "syntax error");
        } else if (list && (s->flags & SCHF_KEY)) {
            struct cnode *k = cnode_first(at, s); /* read with the entry */
            if (k && comment) {
                free(k->comment);
                k->comment = comment;
                comment = NULL;
                cnode_touch(k);
            }
        } else {
            deleted |= statement(x, e, at, s, &comment);
        }
        free(comment);
        comment = NULL;
    }
    free(comment);
    return deleted;
}

static xmlNodePtr find_configuration(xmlNodePtr n)
{
    for (; n; n = n->next) {
        xmlNodePtr f;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "configuration") == 0)
            return n;
        if ((f = find_configuration(n->children)) != NULL)
            return f;
    }
    return NULL;
}

/* The statements of element configuration into at (also the second half
 * of load_json()).  Returns the number of errors. */
int load_xml_node(struct cnode *at, struct _xmlNode *configuration, struct load_result *r)
{
    struct lx x = {r};
    size_t before = r->nerrs;

    walk(&x, configuration, at, NULL);
    return (int)(r->nerrs - before);
}

int load_xml(struct cnode *at, const char *text, struct load_result *r)
{
    struct load_result local = {0};
    struct lx x = {r ? r : &local};
    size_t before = x.r->nerrs, len = strlen(text);
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc = NULL;
    xmlNodePtr conf;
    int n;

    if (len > INT_MAX) {
        load_error_add(x.r, 1, -1, "XML document too large");
        goto out;
    }
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        fatal("xmlNewParserCtxt");
    doc = xmlCtxtReadMemory(ctxt, text, (int)len, "configuration.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NODICT | XML_PARSE_BIG_LINES);
    if (doc == NULL) {
        xmlErrorPtr err = xmlCtxtGetLastError(ctxt);
        char msg[400] = "not well-formed XML";
        if (err && err->message) {
            snprintf(msg, sizeof(msg), "%s", err->message);
            msg[strcspn(msg, "\n")] = '\0';
        }
        load_error_add(x.r, err && err->line > 0 ? err->line : 1,
                       err && err->int2 > 0 ? err->int2 - 1 : -1, "XML: %s", msg);
    }
    xmlFreeParserCtxt(ctxt);
    if (doc == NULL)
        goto out;
    if (doc->intSubset || doc->extSubset) {
        load_error_add(x.r, 1, -1, "XML: document type declarations are not accepted");
        goto out;
    }
    conf = find_configuration(xmlDocGetRootElement(doc));
    if (conf == NULL) {
        load_error_add(x.r, 1, -1, "XML: no <configuration> element");
        goto out;
    }
    load_xml_node(at, conf, x.r);
out:
    xmlFreeDoc(doc);
    n = (int)(x.r->nerrs - before);
    load_result_free(&local);
    return n;
}
