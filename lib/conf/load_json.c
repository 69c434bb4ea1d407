/*
 * load_json.c: read a configuration in Junos JSON shape into a tree
 * (render.h).  Owns load_json(); the inverse of render_json.c.
 *
 * A small strict JSON parser (RFC 8259: no trailing commas, comments or
 * garbage; escapes and UTF-8 checked; nesting bounded) builds a value
 * tree with line numbers.  The "configuration" object is then turned into
 * the equivalent Junos XML element tree and loaded by the walk of
 * load_xml.c, so that both formats share one reading of the schema,
 * metadata, secrets and errors:
 *   - an object is an element with the members as children; an array
 *     gives one element per entry (lists, leaf-lists); [null] or null an
 *     empty element (flags, empty containers); a string or number, text;
 *   - "@" in an object holds the metadata of that statement, "@name" the
 *     metadata of the sibling member name (an array with one element per
 *     entry for leaf-lists; alone, it names a statement to delete):
 *     "inactive" : true, "active" : true, "comment" (or "junos:comment")
 *     : "/ * text * /", "operation" : "delete" | "replace" (also
 *     "delete" : "delete", "replace" : "replace"); junos:xxx stamps are
 *     ignored.
 */
#include "render.h"
#include "log.h"

#include <libxml/tree.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64
#define JUNOS_NS "http://xml.juniper.net/junos/*/junos"

enum jt { J_NULL, J_TRUE, J_FALSE, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jt t;
    int line;
    char *key; /* object members */
    char *s;   /* J_STR, J_NUM */
    struct jv *kids, *next;
};

struct jp {
    const char *p, *bol; /* position, beginning of its line */
    int line, depth;
    int err;
};

static void jv_free(struct jv *v)
{
    while (v) {
        struct jv *next = v->next;
        jv_free(v->kids);
        if (v->s)
            OPENSSL_cleanse(v->s, strlen(v->s)); /* may hold a secret */
        free(v->s);
        free(v->key);
        free(v);
        v = next;
    }
}

/* ---------- parser ---------- */

static int perr(struct jp *j, struct load_result *r, const char *msg)
{
    if (!j->err)
        load_error_add(r, j->line, (int)(j->p - j->bol), "JSON: %s", msg);
    j->err = 1;
    return -1;
}

static void skip_ws(struct jp *j)
{
    for (; *j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'; j->p++)
        if (*j->p == '\n') {
            j->line++;
            j->bol = j->p + 1;
        }
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80                    ? 1
            : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
            : p[0] >= 0xe0 && p[0] <= 0xef ? 3
            : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                           : 0;

    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (n == 4 && p[0] == 0xf0 && p[1] < 0x90) || (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

static int hex4(const char *p, unsigned *out)
{
    char h[5] = {0};

    for (int i = 0; i < 4; i++)
        if (!isxdigit((unsigned char)(h[i] = p[i])))
            return -1;
    *out = (unsigned)strtoul(h, NULL, 16);
    return 0;
}

static void put_utf8(struct buf *b, unsigned c)
{
    static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
    int n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    char out[4];

    for (int i = n - 1; i > 0; i--, c >>= 6)
        out[i] = (char)(0x80 | (c & 0x3f));
    out[0] = (char)(lead[n] | c);
    buf_add(b, out, (size_t)n);
}

/* The character of a \u escape at p (a surrogate pair takes two); sets
 * *n to the length of the escape.  Returns 0, or -1 if invalid. */
static int unicode_escape(const char *p, unsigned *c, int *n)
{
    unsigned lo;

    *n = 6;
    if (hex4(p + 2, c) < 0 || *c == 0 || (*c >= 0xdc00 && *c <= 0xdfff))
        return -1;
    if (*c < 0xd800 || *c > 0xdbff)
        return 0;
    if (p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
        return -1;
    *c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
    *n = 12;
    return 0;
}

/* A string at j->p (on its opening quote) into *out. */
static int parse_string(struct jp *j, struct load_result *r, char **out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e, *msg = NULL;
    struct buf b;
    unsigned c;
    int n;

    buf_init(&b);
    buf_puts(&b, "");
    for (j->p++; *j->p != '"' && msg == NULL; j->p += n) {
        n = 1;
        if (*j->p == '\0' || (*j->p == '\\' && j->p[1] == '\0'))
            msg = "unterminated string";
        else if ((unsigned char)*j->p < 0x20)
            msg = "control character in string";
        else if (*j->p != '\\' && (n = utf8_len((const unsigned char *)j->p)) == 0)
            msg = "invalid UTF-8 in string";
        else if (*j->p != '\\')
            buf_add(&b, j->p, (size_t)n);
        else if (j->p[1] != 'u' && (e = strchr(from, j->p[1])) != NULL)
            buf_putc(&b, to[e - from]), n = 2;
        else if (j->p[1] == 'u' && unicode_escape(j->p, &c, &n) == 0)
            put_utf8(&b, c);
        else
            msg = "invalid escape in string";
    }
    if (msg) {
        j->p -= n;
        perr(j, r, msg);
        OPENSSL_cleanse(b.s, b.len);
        buf_free(&b);
        return -1;
    }
    j->p++;
    *out = buf_steal(&b);
    return 0;
}

static size_t digits(struct jp *j)
{
    const char *s = j->p;

    while (isdigit((unsigned char)*j->p))
        j->p++;
    return (size_t)(j->p - s);
}

static int parse_number(struct jp *j, struct load_result *r, struct jv *v)
{
    const char *s = j->p;

    if (*j->p == '-')
        j->p++;
    if (*j->p == '0' ? isdigit((unsigned char)*++j->p) : digits(j) == 0)
        return perr(j, r, "invalid number");
    if (*j->p == '.' && (j->p++, digits(j) == 0))
        return perr(j, r, "invalid number");
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (digits(j) == 0)
            return perr(j, r, "invalid number");
    }
    v->t = J_NUM;
    v->s = strndup(s, (size_t)(j->p - s));
    if (v->s == NULL)
        fatal("strndup");
    return 0;
}

static int parse_value(struct jp *j, struct load_result *r, struct jv **out);

/* Array or object at j->p (on '[' or '{'). */
static int parse_container(struct jp *j, struct load_result *r, struct jv *v)
{
    char close = *j->p == '[' ? ']' : '}';
    struct jv **tail = &v->kids;

    v->t = close == ']' ? J_ARR : J_OBJ;
    if (++j->depth > JSON_MAX_DEPTH)
        return perr(j, r, "nesting too deep");
    j->p++;
    skip_ws(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        int line = j->line;
        if (v->t == J_OBJ) {
            if (*j->p != '"')
                return perr(j, r, "expected a member name");
            if (parse_string(j, r, &key) < 0)
                return -1;
            skip_ws(j);
            if (*j->p != ':') {
                free(key);
                return perr(j, r, "expected ':'");
            }
            j->p++;
        }
        if (parse_value(j, r, tail) < 0) {
            free(key);
            return -1;
        }
        (*tail)->key = key;
        if (key)
            (*tail)->line = line;
        tail = &(*tail)->next;
        skip_ws(j);
        if (*j->p == close)
            break;
        if (*j->p != ',')
            return perr(j, r, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
        j->p++;
        skip_ws(j);
    }
    j->p++;
    j->depth--;
    return 0;
}

static int parse_value(struct jp *j, struct load_result *r, struct jv **out)
{
    struct jv *v = calloc(1, sizeof(*v));
    static const struct {
        const char *word;
        enum jt t;
    } lits[] = {{"null", J_NULL}, {"true", J_TRUE}, {"false", J_FALSE}};

    if (v == NULL)
        fatal("calloc");
    *out = v;
    skip_ws(j);
    v->line = j->line;
    if (*j->p == '{' || *j->p == '[')
        return parse_container(j, r, v);
    if (*j->p == '"') {
        v->t = J_STR;
        return parse_string(j, r, &v->s);
    }
    if (*j->p == '-' || isdigit((unsigned char)*j->p))
        return parse_number(j, r, v);
    for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
        if (strncmp(j->p, lits[i].word, strlen(lits[i].word)) == 0) {
            j->p += strlen(lits[i].word);
            v->t = lits[i].t;
            return 0;
        }
    return perr(j, r, *j->p ? "unexpected character" : "unexpected end of input");
}

/* ---------- conversion ---------- */

struct cv {
    struct load_result *r;
    xmlNsPtr junos;
};

/* Line numbers above libxml2's 16 bits are kept in psvi (load_xml.c). */
static xmlNodePtr new_element(xmlNodePtr parent, const char *name, int line)
{
    xmlNodePtr e = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);

    if (e == NULL)
        fatal("xmlNewChild");
    e->line = (unsigned short)(line < 65535 ? line : 65535);
    if (line >= 65535)
        e->psvi = (void *)(intptr_t)line;
    return e;
}

static int is_str(const struct jv *v, const char *s)
{
    return v->t == J_STR && strcmp(v->s, s) == 0;
}

/* Metadata object m onto element e: attributes, and the annotation as a
 * <junos:comment> just before e. */
static void put_meta(struct cv *c, xmlNodePtr e, const struct jv *m, const char *name)
{
    if (m->t == J_NULL)
        return;
    if (m->t != J_OBJ) {
        load_error_add(c->r, m->line, -1, "JSON: invalid metadata for '%s'", name);
        return;
    }
    for (const struct jv *a = m->kids; a; a = a->next) {
        const char *attr = NULL;
        if (strcmp(a->key, "inactive") == 0 && a->t == J_TRUE)
            attr = "inactive";
        else if (strcmp(a->key, "active") == 0 && a->t == J_TRUE)
            attr = "active";
        else if (strcmp(a->key, "operation") == 0 || strcmp(a->key, "delete") == 0 ||
                 strcmp(a->key, "replace") == 0)
            attr = is_str(a, "delete") ? "delete" : is_str(a, "replace") ? "replace" : NULL;
        if (attr) {
            xmlSetProp(e, (const xmlChar *)attr, (const xmlChar *)attr);
        } else if ((strcmp(a->key, "comment") == 0 || strcmp(a->key, "junos:comment") == 0) &&
                   a->t == J_STR) {
            xmlNodePtr ce = xmlNewDocNode(e->doc, c->junos, (const xmlChar *)"comment", NULL);
            if (ce == NULL)
                fatal("xmlNewDocNode");
            xmlNodeAddContent(ce, (const xmlChar *)a->s);
            xmlAddPrevSibling(e, ce);
        } else if (strchr(a->key, ':') == NULL) { /* junos:xxx stamps are ignored */
            load_error_add(c->r, a->line, -1, "JSON: invalid metadata '%s' for '%s'", a->key, name);
        }
    }
}

/* "@name" : the metadata of the elements named name under parent (one
 * array element per entry for leaf-lists); alone, it makes an empty
 * element (a delete). */
static void sibling_meta(struct cv *c, xmlNodePtr parent, const char *name, const struct jv *m)
{
    const struct jv *k = m->t == J_ARR ? m->kids : m;
    int found = 0;

    if (m->t != J_ARR && m->t != J_OBJ) {
        put_meta(c, parent, m, name); /* reports it */
        return;
    }
    for (xmlNodePtr e = xmlFirstElementChild(parent); e && k; e = xmlNextElementSibling(e)) {
        if (e->ns != NULL || strcmp((const char *)e->name, name) != 0)
            continue;
        put_meta(c, e, k, name);
        found = 1;
        if (m->t == J_ARR)
            k = k->next;
    }
    if (!found)
        put_meta(c, new_element(parent, name, m->line), k ? k : m, name);
}

static void convert_value(struct cv *c, xmlNodePtr parent, const char *name, const struct jv *v);

/* The members of object obj as children of element e. */
static void convert_object(struct cv *c, xmlNodePtr e, const struct jv *obj)
{
    for (const struct jv *m = obj->kids; m; m = m->next)
        if (m->key[0] != '@')
            convert_value(c, e, m->key, m);
    for (const struct jv *m = obj->kids; m; m = m->next)
        if (strcmp(m->key, "@") == 0)
            put_meta(c, e, m, (const char *)e->name);
        else if (m->key[0] == '@')
            sibling_meta(c, e, m->key + 1, m);
}

/* Member name : v as element(s) under parent: an array gives one element
 * per entry ([null]: one empty element). */
static void convert_value(struct cv *c, xmlNodePtr parent, const char *name, const struct jv *v)
{
    xmlNodePtr e;

    if (v->t == J_ARR) {
        for (const struct jv *k = v->kids; k; k = k->next)
            if (k->t == J_ARR)
                load_error_add(c->r, k->line, -1, "JSON: '%s': wrong type: nested array", name);
            else
                convert_value(c, parent, name, k);
        return;
    }
    if (v->t == J_TRUE || v->t == J_FALSE) {
        load_error_add(c->r, v->line, -1,
                       "JSON: '%s': wrong type: expected a value, [null] or "
                       "an object",
                       name);
        return;
    }
    e = new_element(parent, name, v->line);
    if (v->t == J_STR || v->t == J_NUM)
        xmlNodeAddContent(e, (const xmlChar *)v->s);
    else if (v->t == J_OBJ)
        convert_object(c, e, v);
}

int load_json(struct cnode *at, const char *text, struct load_result *r)
{
    struct load_result local = {0};
    struct cv c = {r ? r : &local, NULL};
    struct jp j = {text, text, 1, 0, 0};
    size_t before = c.r->nerrs;
    struct jv *top = NULL;
    const struct jv *conf = NULL;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    int n;

    if (parse_value(&j, c.r, &top) == 0) {
        skip_ws(&j);
        if (*j.p != '\0')
            perr(&j, c.r, "trailing characters after the value");
    }
    if (!j.err && top->t == J_OBJ)
        for (conf = top->kids; conf && strcmp(conf->key, "configuration") != 0;)
            conf = conf->next;
    if (!j.err && (conf == NULL || conf->t != J_OBJ))
        load_error_add(c.r, 1, -1, "JSON: no \"configuration\" object");
    if (!j.err && conf && conf->t == J_OBJ) {
        doc = xmlNewDoc((const xmlChar *)"1.0");
        root = xmlNewDocNode(doc, NULL, (const xmlChar *)"configuration", NULL);
        if (doc == NULL || root == NULL)
            fatal("xmlNewDoc");
        xmlDocSetRootElement(doc, root);
        c.junos = xmlNewNs(root, (const xmlChar *)JUNOS_NS, (const xmlChar *)"junos");
        convert_object(&c, root, conf);
        load_xml_node(at, root, c.r);
        xmlFreeDoc(doc);
    }
    jv_free(top);
    n = (int)(c.r->nerrs - before);
    load_result_free(&local);
    return n;
}
