/* validate.c: see validate.h */
#include "validate.h"
#include "log.h"
#include "render.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");

    if (p == NULL)
        fatal("strdup");
    return p;
}

static void vadd(struct findings *fs, int warning, const char *path, const char *stmt,
                 const char *fmt, va_list ap)
{
    struct finding *f;
    char msg[1024];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    fs->f = realloc(fs->f, (fs->n + 1) * sizeof(*fs->f));
    if (fs->f == NULL)
        fatal("realloc");
    f = &fs->f[fs->n++];
    f->path = xstrdup(path);
    f->stmt = xstrdup(stmt);
    f->msg = xstrdup(msg);
    f->warning = warning;
}

void findings_add(struct findings *fs, int warning, const char *path, const char *stmt,
                  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vadd(fs, warning, path, stmt, fmt, ap);
    va_end(ap);
}

void findings_node(struct findings *fs, int warning, const struct cnode *n, const char *fmt, ...)
{
    char path[1024] = "";
    struct buf w;
    va_list ap;

    if (n->parent)
        cnode_path(n->parent, path, sizeof(path));
    buf_init(&w);
    if (n->parent)
        render_stmt_words(&w, n);
    va_start(ap, fmt);
    vadd(fs, warning, path, w.s ? w.s : "", fmt, ap);
    va_end(ap);
    buf_free(&w);
}

void findings_copy(struct findings *dst, const struct findings *src)
{
    for (size_t i = 0; i < src->n; i++)
        findings_add(dst, src->f[i].warning, src->f[i].path, src->f[i].stmt, "%s", src->f[i].msg);
}

void findings_free(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->f[i].path);
        free(fs->f[i].stmt);
        free(fs->f[i].msg);
    }
    free(fs->f);
    fs->f = NULL;
    fs->n = 0;
}

size_t findings_errors(const struct findings *fs)
{
    size_t n = 0;

    for (size_t i = 0; i < fs->n; i++)
        n += !fs->f[i].warning;
    return n;
}

void findings_render(struct buf *b, const struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = &fs->f[i];
        buf_printf(b, "[edit%s%s]\n", *f->path ? " " : "", f->path);
        if (*f->stmt)
            buf_printf(b, "  '%s'\n", f->stmt);
        buf_printf(b, "    %s%s\n", f->warning ? "warning: " : "", f->msg);
    }
    if (findings_errors(fs))
        buf_puts(b, "error: configuration check-out failed\n");
}

/* ---------- schema rules ---------- */

static int is_unsupported_value(const struct cnode *n)
{
    for (size_t i = 0; n->value && i < n->sch->nunsupported_values; i++)
        if (strcmp(n->value, n->sch->unsupported_values[i]) == 0)
            return 1;
    return 0;
}

static void rules_local(const struct cnode *n, struct findings *fs)
{
    const struct sch_node *s = n->sch;

    if (s->flags & SCHF_UNSUPPORTED)
        findings_node(fs, 0, n, "statement not supported by OpenSG");
    else if (is_unsupported_value(n))
        findings_node(fs, 0, n, "value '%s' is not supported by OpenSG", n->value);
    if (s->kind == SCH_CONTAINER || s->kind == SCH_LIST) {
        for (size_t i = 0; i < s->nchildren; i++) {
            const struct sch_node *c = s->children[i];
            if ((c->flags & SCHF_MANDATORY) && cnode_first(n, c) == NULL &&
                !(s->flags & SCHF_GROUPS))
                findings_node(fs, 0, n, "Missing mandatory statement: '%s'", c->name);
        }
    }
}

static void rules(const struct cnode *n, struct findings *fs)
{
    rules_local(n, fs);
    for (const struct cnode *c = n->child; c; c = c->next)
        rules(c, fs);
}

void validate_schema_rules_local(const struct cnode *n, struct findings *fs)
{
    rules_local(n, fs);
}

void validate_schema_rules(const struct cnode *root, struct findings *fs)
{
    rules(root, fs);
}

/* ---------- XSD ---------- */

/* Path words of an XML element, read back through the schema. */
static void xml_path(xmlNodePtr el, const struct sch_node *root, struct buf *path, struct buf *stmt)
{
    xmlNodePtr chain[64];
    size_t depth = 0;
    const struct sch_node *s = root;

    for (xmlNodePtr p = el; p && p->type == XML_ELEMENT_NODE && depth < 64; p = p->parent)
        chain[depth++] = p;
    if (depth)
        depth--; /* <configuration> */
    while (depth-- > 0) {
        xmlNodePtr e = chain[depth];
        const struct sch_node *c = s ? sch_child(s, (const char *)e->name) : NULL;
        struct buf *out = depth == 0 ? stmt : path;
        if (out->len)
            buf_putc(out, ' ');
        if (c == NULL) {
            buf_puts(out, (const char *)e->name);
            s = NULL;
            continue;
        }
        if (!(c->flags & SCHF_NO_KEYWORD) || c->kind != SCH_LIST)
            buf_puts(out, c->name);
        if (c->kind == SCH_LIST) {
            for (size_t k = 0; k < c->nkeys; k++)
                for (xmlNodePtr kc = e->children; kc; kc = kc->next)
                    if (kc->type == XML_ELEMENT_NODE &&
                        strcmp((const char *)kc->name, c->keys[k]->name) == 0) {
                        xmlChar *v = xmlNodeGetContent(kc);
                        if (out->len && out->s[out->len - 1] != ' ')
                            buf_putc(out, ' ');
                        if (strcmp(c->keys[k]->name, "name") != 0)
                            buf_printf(out, "%s ", c->keys[k]->name);
                        buf_puts(out, (const char *)v);
                        xmlFree(v);
                    }
        } else if (c->kind == SCH_LEAF || c->kind == SCH_LEAFLIST) {
            xmlChar *v = xmlNodeGetContent(e);
            buf_printf(out, " %s", (const char *)v);
            xmlFree(v);
        }
        s = c;
    }
}

struct xsd_ctx {
    const struct sch_node *root;
    struct findings *fs;
};

static void xsd_error(void *data, xmlErrorPtr err)
{
    struct xsd_ctx *x = data;
    struct buf path, stmt;
    char msg[1024];
    size_t n;
    const char *m = err->message ? err->message : "invalid";

    /* "Element 'x': reason" -> "reason" */
    if (strncmp(m, "Element '", 9) == 0 && strstr(m, "': "))
        m = strstr(m, "': ") + 3;
    snprintf(msg, sizeof(msg), "%s", m);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    buf_init(&path);
    buf_init(&stmt);
    if (err->node && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE)
        xml_path(err->node, x->root, &path, &stmt);
    findings_add(x->fs, 0, path.s ? path.s : "", stmt.s ? stmt.s : "", "%s", msg);
    buf_free(&path);
    buf_free(&stmt);
}

void validate_xsd(const struct schema *s, const struct cnode *root, struct findings *fs)
{
    struct buf b;
    xmlDocPtr doc;
    xmlSchemaValidCtxtPtr v;
    struct xsd_ctx x = {s->root, fs};

    buf_init(&b);
    render_xml(&b, root, 0, NULL);
    doc = xmlReadMemory(b.s ? b.s : "", (int)b.len, "configuration.xml", NULL, XML_PARSE_NONET);
    buf_free(&b);
    if (doc == NULL) {
        findings_add(fs, 0, "", "", "internal error: configuration does not render as XML");
        return;
    }
    v = xmlSchemaNewValidCtxt(s->xsd);
    xmlSchemaSetValidStructuredErrors(v, xsd_error, &x);
    if (xmlSchemaValidateDoc(v, doc) != 0 && findings_errors(fs) == 0)
        findings_add(fs, 0, "", "", "configuration does not validate against the schema");
    xmlSchemaFreeValidCtxt(v);
    xmlFreeDoc(doc);
}
