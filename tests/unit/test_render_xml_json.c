/* test_render_xml_json.c: the XML and JSON renderings and their loaders
 * (lib/conf/render_xml.c, load_xml.c, render_json.c, load_json.c): exact
 * layouts, round trips of every kind of statement and metadata, secrets,
 * delete/replace/active operations, hostile input, and the golden files
 * of tests/golden/ * / (config.set vs config.xml and config.json). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/conf/path.h"
#include "../../lib/conf/render.h"
#include "../../lib/conf/secret9.h"
#include "../../lib/conf/words.h"

#if !defined(SCHEMA_DIR) || !defined(SOURCE_DIR)
#error "SCHEMA_DIR and SOURCE_DIR must name the source schema/ directory and tree"
#endif
#define GOLDEN_DIR SOURCE_DIR "/tests/golden"

static struct schema *S;
static uint64_t seed = 0x5eed;

static int setup(void **state)
{
    char err[512];

    (void)state;
    S = schema_load(SCHEMA_DIR, err, sizeof(err));
    if (S == NULL) {
        print_error("schema_load(%s): %s\n", SCHEMA_DIR, err);
        return -1;
    }
    secret9_set_rand(secret9_seeded_rand, &seed);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    secret9_set_rand(NULL, NULL);
    schema_free(S);
    return 0;
}

/* The node PATH names (as "deactivate PATH" would). */
static struct cnode *find(struct conf *c, const char *path)
{
    struct words w;
    struct path p;
    struct cnode *n = NULL;
    const char *e;
    size_t eo;

    words_init(&w);
    if (words_split(&w, path, strlen(path), &e, &eo) == 0) {
        if (path_parse(c->root->sch, 0, w.w, w.n, PATH_FIND, &p) == 0)
            n = path_find(c->root, &p);
        path_free(&p);
    }
    words_free(&w);
    if (n == NULL)
        fail_msg("no statement %s", path);
    return n;
}

/* Lines of config.set: "set PATH", "deactivate PATH", and (tests only)
 * "annotate PATH|TEXT"; blank lines are skipped. */
static void apply(struct conf *c, const char *line)
{
    char err[512], *dup = strdup(line), *bar = strchr(dup, '|');
    struct cnode *n;

    if (strncmp(line, "set ", 4) == 0) {
        if (conf_set_line(c->root, line + 4, err, sizeof(err)) < 0)
            fail_msg("%s: %s", line, err);
    } else if (strncmp(line, "deactivate ", 11) == 0) {
        find(c, line + 11)->inactive = 1;
    } else if (strncmp(line, "annotate ", 9) == 0 && bar) {
        *bar = '\0';
        n = find(c, dup + 9);
        free(n->comment);
        n->comment = strdup(bar + 1);
    } else if (strspn(line, " \t") != strlen(line)) {
        fail_msg("unexpected line: %s", line);
    }
    free(dup);
}

static struct conf *build(const char *const *lines)
{
    struct conf *c = conf_new(S);

    for (; *lines; lines++)
        apply(c, *lines);
    return c;
}

/* Load text (XML or JSON) into a fresh conf; nerrs < 0: any number > 0. */
static struct conf *load(const char *text, int json, int nerrs)
{
    struct conf *c = conf_new(S);
    struct load_result r = {0};
    int n = json ? load_json(c->root, text, &r) : load_xml(c->root, text, &r);

    assert_int_equal(n, (int)r.nerrs);
    if (nerrs >= 0 ? n != nerrs : n == 0) {
        for (size_t i = 0; i < r.nerrs; i++)
            print_message("  line %d: %s\n", r.errs[i].line, r.errs[i].msg);
        fail_msg("%s: %d errors, expected %d:\n%s", json ? "JSON" : "XML", n, nerrs, text);
    }
    load_result_free(&r);
    return c;
}

static char *render(const struct conf *c, int json)
{
    struct buf b;

    buf_init(&b);
    if (json)
        render_json(&b, c->root, NULL);
    else
        render_xml(&b, c->root, 0, NULL);
    return buf_steal(&b);
}

/* c renders as want, else show both. */
static void assert_renders(const struct conf *c, int json, const char *want, const char *what)
{
    char *got = render(c, json);

    if (strcmp(want, got) != 0)
        fail_msg("%s differs.\n--- expected\n%s--- got\n%s", what, want, got);
    free(got);
}

/* Render c both ways, load each back: same tree, same text. */
static void assert_roundtrip(const struct conf *c)
{
    for (int json = 0; json < 2; json++) {
        char *text = render(c, json);
        struct conf *back = load(text, json, 0);
        assert_renders(back, json, text, json ? "JSON round trip" : "XML round trip");
        assert_true(cnode_equal(c->root, back->root));
        free(text);
        conf_free(back);
    }
}

/* Layout details the golden files do not show: escaping, a deactivated
 * flag, an annotated and deactivated leaf-list entry, an annotated leaf. */
static const char *const small[] = {
    "set apply-groups [ g1 g2 ]",
    "set system host-name sg1",
    "set interfaces ge-0/0/0 description \"a \\\"q\\\" <b> & c\"",
    "set interfaces ge-0/0/0 disable",
    "annotate apply-groups g2|second",
    "deactivate apply-groups g2",
    "annotate system host-name|a & <b> \"q\"",
    "deactivate interfaces ge-0/0/0 disable",
    NULL,
};

static const char small_xml[] =
    "<configuration xmlns:junos=\"http://xml.juniper.net/junos/*/junos\">\n"
    "    <apply-groups>g1</apply-groups>\n"
    "    <junos:comment>/* second */</junos:comment>\n"
    "    <apply-groups inactive=\"inactive\">g2</apply-groups>\n"
    "    <system>\n"
    "        <junos:comment>/* a &amp; &lt;b&gt; \"q\" */</junos:comment>\n"
    "        <host-name>sg1</host-name>\n"
    "    </system>\n"
    "    <interfaces>\n"
    "        <interface>\n"
    "            <name>ge-0/0/0</name>\n"
    "            <description>a \"q\" &lt;b&gt; &amp; c</description>\n"
    "            <disable inactive=\"inactive\"/>\n"
    "        </interface>\n"
    "    </interfaces>\n"
    "</configuration>\n";

static const char small_json[] = "{\n    \"configuration\" : {\n"
                                 "        \"apply-groups\" : [\"g1\", \"g2\"],\n"
                                 "        \"@apply-groups\" : [\n"
                                 "        null,\n"
                                 "        {\n"
                                 "            \"comment\" : \"/* second */\",\n"
                                 "            \"inactive\" : true\n"
                                 "        }\n"
                                 "        ],\n"
                                 "        \"system\" : {\n"
                                 "            \"host-name\" : \"sg1\",\n"
                                 "            \"@host-name\" : {\n"
                                 "                \"comment\" : \"/* a & <b> \\\"q\\\" */\"\n"
                                 "            }\n"
                                 "        },\n"
                                 "        \"interfaces\" : {\n"
                                 "            \"interface\" : [\n"
                                 "            {\n"
                                 "                \"name\" : \"ge-0/0/0\",\n"
                                 "                \"description\" : \"a \\\"q\\\" <b> & c\",\n"
                                 "                \"disable\" : [null],\n"
                                 "                \"@disable\" : {\n"
                                 "                    \"inactive\" : true\n"
                                 "                }\n"
                                 "            }\n"
                                 "            ]\n"
                                 "        }\n"
                                 "    }\n"
                                 "}\n";

static void test_layout(void **state)
{
    struct conf *c = build(small), *empty = conf_new(S);
    struct buf b;

    (void)state;
    assert_renders(c, 0, small_xml, "XML");
    assert_renders(c, 1, small_json, "JSON");
    assert_roundtrip(c);
    buf_init(&b); /* root attributes, indentation */
    render_xml(&b, empty->root, 4, "junos:commit-seconds=\"1\"");
    assert_string_equal(b.s,
                        "    <configuration xmlns:junos=\"http://xml.juniper.net/junos/*/junos\""
                        " junos:commit-seconds=\"1\">\n    </configuration>\n");
    buf_reset(&b);
    render_json(&b, c->root, "\"junos:commit-seconds\" : \"1\"");
    assert_non_null(strstr(b.s, "{\n        \"@\" : {\n            \"junos:commit-seconds\" : "
                                "\"1\"\n        },\n        \"apply-groups\""));
    buf_free(&b);
    conf_free(empty);
    conf_free(c);
}

/* Every kind of statement, with metadata on every kind. */
static const char *const full[] = {
    "set apply-groups [ g1 g2 ]",
    "set groups g1 interfaces <ge-*> unit <*> description grp",
    "set system host-name sg1",
    "set system services ssh",
    "set system syslog file messages any notice",
    "set interfaces ge-0/0/1 disable",
    "set interfaces ge-0/0/1 unit 0 family inet address 203.0.113.1/24",
    "set routing-options static route 0.0.0.0/0 next-hop [ 192.0.2.1 192.0.2.2 ]",
    "set access profile dyn client * ike allowed-proxy-pair remote 10.2.2.0/24 local 10.1.1.0/24",
    "set access profile dyn client * ike allowed-proxy-pair remote 10.3.3.0/24 local 10.1.1.0/24",
    "set access profile dyn client * ike pre-shared-key ascii-text \"s3cret key\"",
    "set access profile dyn client * ike dead-peer-detection interval 10",
    "deactivate apply-groups g2",
    "annotate apply-groups g2|second group",
    "deactivate system host-name",
    "annotate system host-name|the name\non two lines",
    "deactivate system services ssh",
    "annotate interfaces ge-0/0/1 disable|flag */ with & \"quotes\"",
    "deactivate routing-options static route 0.0.0.0/0 next-hop 192.0.2.2",
    "deactivate access profile dyn client * ike allowed-proxy-pair remote 10.3.3.0/24 local "
    "10.1.1.0/24",
    "annotate access profile dyn client * ike|ike",
    "deactivate groups g1",
    NULL,
};

static void test_secret(void **state)
{
    const char *path = "access profile p client * ike pre-shared-key ascii-text";
    const char *fmt[] = {
        "<configuration><access><profile><name>p</name><client><name>*</name><ike><pre-shared-key>"
        "<ascii-text>%s</ascii-text></pre-shared-key></ike></client></profile></access>"
        "</configuration>",
        "{\"configuration\":{\"access\":{\"profile\":[{\"name\":\"p\",\"client\":[{\"name\":\"*\","
        "\"ike\":{\"pre-shared-key\":{\"ascii-text\":\"%s\"}}}]}]}}}"};
    char text[1024], *plain, *out;
    struct conf *c;

    (void)state;
    for (int i = 0; i < 2; i++) { /* plain text is stored $9$-encoded */
        snprintf(text, sizeof(text), fmt[i], "hunter2");
        c = load(text, i, 0);
        assert_true(secret9_is_encoded(find(c, path)->value));
        assert_int_equal(secret9_decode(find(c, path)->value, &plain, NULL), 0);
        assert_string_equal(plain, "hunter2");
        free(plain);
        out = render(c, 1); /* shown as stored */
        assert_true(strstr(out, "hunter2") == NULL && strstr(out, find(c, path)->value));
        free(out);
        assert_roundtrip(c);
        conf_free(c);
    }
    for (int json = 0; json < 2; json++) { /* a $9$ value must decode */
        snprintf(text, sizeof(text), fmt[json], "$9$@@@@");
        conf_free(load(text, json, 1));
    }
}

/* Round trip of full, then delete, replace and active over it. */
static void test_full(void **state)
{
    const char *x =
        "<rpc-reply><data><configuration><system><host-name delete=\"delete\"/>"
        "<services><ssh active=\"active\"/></services></system><interfaces><interface "
        "replace=\"replace\"><name>ge-0/0/1</name></interface></interfaces><apply-groups "
        "delete=\"delete\">g1</apply-groups></configuration></data></rpc-reply>";
    const char *j = "{\"configuration\":{\"routing-options\":{\"static\":{\"route\":[{\"name\":"
                    "\"0.0.0.0/0\",\"@next-hop\":{\"operation\":\"delete\"}}]}},\"system\":{"
                    "\"services\":{\"ssh\":{\"@\":{\"operation\":\"delete\"}}}}}}";
    struct conf *c = build(full);
    struct load_result r = {0};
    struct cnode *st = find(c, "routing-options static route 0.0.0.0/0"), *sys = find(c, "system");

    (void)state;
    assert_roundtrip(c);
    assert_int_equal(load_xml(c->root, x, &r), 0);
    assert_false(find(c, "system services ssh")->inactive);
    assert_null(cnode_first(sys, sch_child(sys->sch, "host-name")));
    assert_true(find(c, "interfaces ge-0/0/1")->replace);
    assert_string_equal(find(c, "apply-groups")->value, "g2");
    assert_int_equal(load_json(c->root, j, &r), 0);
    assert_null(cnode_first(st, sch_child(st->sch, "next-hop")));
    /* services emptied by the delete goes too, system stays */
    assert_null(cnode_first(sys, sch_child(sys->sch, "services")));
    load_result_free(&r);
    conf_free(c);
}

/* Inputs that must give errors (and no crash). */
#define X(s) "<configuration>" s "</configuration>"
#define J(s) "{\"configuration\" : {" s "}}"
static const char *const bad_xml[] = {
    "",
    "<configuration><system><host-name>sg1</host-name>",
    X("<system><bogus/></system>"),
    X("<interfaces><interface><name>ge-0/0/0</name><mtu>abc</mtu></interface></interfaces>"),
    X("<interfaces><interface><mtu>1500</mtu></interface></interfaces>"),
    X("<system><host-name><x/></host-name></system>"),
    X("<system>text</system>"),
    "<!DOCTYPE c [<!ENTITY a \"aaaa\">]>" X("<system><host-name>&a;</host-name></system>"),
    "<other/>",
    "<configuration><version>1</version></configuration><trailing/>",
    NULL,
};

static const char *const bad_json[] = {
    "",
    "{",
    "nul",
    "{\"configuration\" : {}} x",
    J("\"system\" : {\"host-name\" : \"sg1\""),
    J("\"system\" : {\"host-name\" : \"a\\qb\"}"),
    J("\"system\" : {\"host-name\" : \"sg1}"),
    J("\"system\" : {\"host-name\" : \"\\ud800\"}"),
    J("\"system\" : {\"host-name\" : \"a\x01\"}"),
    J("\"system\" : {\"host-name\" : \"\xc3\x28\"}"),
    J("\"system\" : {\"host-name\" : \"a\",}"),
    J("\"interfaces\" : {\"interface\" : [{\"name\" : 01}]}"),
    J("\"system\" : \"sg1\""),
    J("\"system\" : {\"host-name\" : {\"x\" : 1}}"),
    J("\"system\" : {\"bogus\" : 1}"),
    J("\"interfaces\" : {\"interface\" : [{\"mtu\" : 1500}]}"),
    J("\"interfaces\" : {\"interface\" : [{\"name\" : \"ge-0/0/0\", \"disable\" : true}]}"),
    J("\"system\" : {\"@host-name\" : 5}"),
    NULL,
};

#undef X
#undef J
#define DEEP 100000

static void test_hostile(void **state)
{
    static char deep[3 * DEEP + 64];
    const char *j = "{\"configuration\" : {\n\"system\" : {\"host-name\" : \"bad!\"},\n"
                    "\"interfaces\" : {\"interface\" : [{\"name\" : \"ge-0/0/0\"}]}}}";
    const char *x = "<configuration>\n<system>\n\n<host-name>-</host-name>\n</system>"
                    "</configuration>";
    struct load_result r = {0};
    struct conf *c = conf_new(S);

    (void)state;
    for (size_t i = 0; bad_xml[i]; i++)
        conf_free(load(bad_xml[i], 0, -1));
    for (size_t i = 0; bad_json[i]; i++)
        conf_free(load(bad_json[i], 1, -1));
    /* one bad statement is skipped, the others load; the line is reported */
    assert_int_equal(load_json(c->root, j, &r), 1);
    assert_int_equal(r.errs[0].line, 2);
    assert_non_null(find(c, "interfaces ge-0/0/0"));
    assert_null(cnode_first(c->root, sch_child(S->root, "system")));
    assert_int_equal(load_xml(c->root, x, &r), 1);
    assert_int_equal(r.errs[1].line, 4);
    load_result_free(&r);
    conf_free(c);
    /* deep nesting */
    strcpy(deep, "{\"configuration\" : ");
    memset(deep + 19, '[', DEEP);
    deep[19 + DEEP] = '\0';
    conf_free(load(deep, 1, 1));
    strcpy(deep, "<configuration>");
    for (size_t i = 0; i < DEEP; i++)
        memcpy(deep + 15 + 3 * i, "<a>", 4);
    conf_free(load(deep, 0, 1));
}

static char *slurp(const char *dir, const char *name)
{
    char path[1024], *text = NULL;
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "r")) == NULL)
        return NULL;
    if (getdelim(&text, &n, '\0', f) < 0) { /* the whole file */
        free(text);
        text = strdup("");
    }
    fclose(f);
    return text;
}

static int strip_comments(struct cnode *n)
{
    int had = n->comment != NULL;

    free(n->comment);
    n->comment = NULL;
    for (struct cnode *c = n->child; c; c = c->next)
        had |= strip_comments(c);
    return had;
}

/* For each tests/golden/NAME/ with config.xml and config.json: both load
 * to the same tree, which renders them back byte for byte; config.set
 * gives that tree too, but for the annotations (display set shows none),
 * and, when there are none, renders them byte for byte as well. */
static void golden_one(const char *dir, const char *xml, const char *json)
{
    char *set = slurp(dir, "config.set");
    struct conf *cx = load(xml, 0, 0), *cj = load(json, 1, 0), *cs = conf_new(S), *plain;

    assert_true(cnode_equal(cx->root, cj->root));
    assert_renders(cx, 0, xml, "golden XML from config.xml");
    assert_renders(cx, 1, json, "golden JSON from config.xml");
    assert_renders(cj, 0, xml, "golden XML from config.json");
    for (char *save, *l = set ? strtok_r(set, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save))
        apply(cs, l);
    plain = conf_dup(cx);
    if (set && !strip_comments(plain->root)) {
        assert_renders(cs, 0, xml, "golden XML from config.set");
        assert_renders(cs, 1, json, "golden JSON from config.set");
    }
    if (set && !cnode_equal(plain->root, cs->root))
        fail_msg("%s: config.set and config.xml differ (besides annotations)", dir);
    conf_free(plain);
    conf_free(cs);
    conf_free(cx);
    conf_free(cj);
    free(set);
}

static void test_golden(void **state)
{
    DIR *d = opendir(GOLDEN_DIR);
    struct dirent *e;
    int count = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char dir[1024], *x, *j;
        snprintf(dir, sizeof(dir), "%s/%s", GOLDEN_DIR, e->d_name);
        x = e->d_name[0] == '.' ? NULL : slurp(dir, "config.xml");
        j = x ? slurp(dir, "config.json") : NULL;
        if (x && j)
            golden_one(dir, x, j), count++;
        free(x);
        free(j);
    }
    closedir(d);
    print_message("%d golden folders\n", count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout), cmocka_unit_test(test_full),
        cmocka_unit_test(test_secret), cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_golden),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
