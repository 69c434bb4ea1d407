/*
 * cli.h: the Junos-style command-line interface, a thin client of mgd.
 *
 * The CLI sends command lines to mgd (docs/mgd.md) and renders the
 * replies; it never interprets the configuration itself.  It reads the
 * schema (schema/ and schema/op/) only for completion and `?` help.
 *
 *   main.c      arguments, the read-execute loop (terminal, standard input, -c)
 *   conn.c      the socket to mgd, RPCs, XML helpers, lazily loaded schemas
 *   exec.c      one command line: pipes, local commands, requests, errors
 *   confirm.c   questions (yes/no), passwords, `load ... terminal` input, CLI-local commands
 *   password.c  `set ... plain-text-password`: the prompts, Junos's rules, the crypt
 *   pipes.c     `| match`, `| count`, ... and the `display` options
 *   output.c    the terminal: pager, screen size
 *   render.c    one renderer per reply element (show system commit, ...)
 *   xmlout.c    `| display xml` and `| display json` of replies
 *   walk.c      walking the schema along typed words; names from the candidate
 *   complete.c  completion items and the "Possible completions:" list
 *   edit.c      libedit: TAB, space, `?`, history
 */
#ifndef OPENSG_CLI_H
#define OPENSG_CLI_H

#include "buf.h"
#include "schema.h"

#include <libxml/tree.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_mode { MODE_OPER, MODE_CONFIG };

struct cli {
    const char *root;
    const char *schema_dir;
    int fd; /* mgd.sock */
    uint32_t next_id;
    enum cli_mode mode;
    char edit_path[2048]; /* words of the edit level, "" at [edit] */
    char user[64];
    char host[256];
    char prompt[400];
    int interactive;                 /* standard input is a terminal: libedit */
    int tty_out;                     /* standard output is a terminal: pager */
    int oneshot;                     /* -c: one-line errors, no prompt */
    int screen_length, screen_width; /* -1: the terminal's; 0: unlimited */
    int failed;                      /* some command failed: exit status 1 */
    int quit;                        /* leave the CLI */
    int interrupted_line;            /* Ctrl-C abandoned the line being typed */
    FILE *in;                        /* commands when not interactive */
};
extern struct cli g_cli;

/* ---- conn.c ---- */
struct reply {
    int error;       /* IPC_F_ERROR */
    xmlDocPtr doc;   /* parsed <rpc-reply>, or NULL */
    xmlNodePtr root; /* <rpc-reply> */
    char *raw;       /* payload */
};
typedef void (*chunk_fn)(const char *text, size_t len, void *arg);

int conn_open(char *err, size_t errlen);
void conn_close(void);
/* Send <rpc>body</rpc> and wait for the reply; chunks of streamed output
 * go to fn.  Ctrl-C while waiting sends IPC_CANCEL.  Returns -1 when the
 * connection is lost (message printed). */
int rpc_call(const char *body, struct reply *r, chunk_fn fn, void *arg);
void reply_free(struct reply *r);
/* The request bodies.  typed: a line the user typed (mgd logs it,
 * UI_CMDLINE_READ_LINE), not one the CLI sends for itself or again. */
void req_command(struct buf *b, const char *line, const char *display, int typed);
void req_edit(struct buf *b, const char *line, const char *display, const char *confirmed,
              const char *input, int typed);
void xml_esc(struct buf *b, const char *s, int attr);
xmlNodePtr xchild(xmlNodePtr n, const char *name);
/* Text of child `name` of n into buf ("" when absent). */
const char *xtext(xmlNodePtr n, const char *name, char *buf, size_t len);
/* n's junos:seconds attribute (-1 when absent). */
long long xseconds(xmlNodePtr n);
/* The text of n itself, malloc'ed. */
char *xcontent(xmlNodePtr n);
void refresh_host(void);
const char *cli_prompt(void);
/* Schemas, loaded on first use (startup stays fast). */
const struct schema *conf_schema(void);
const struct schema *op_schema(void);
void schemas_free(void);

/* ---- output.c ---- */
void out_begin(int paginate);
void out_line(const char *s, size_t len); /* one line, without its newline */
void out_text(const char *s);             /* text with newlines */
int out_stopped(void);                    /* the user quit the pager */
int term_rows(void);
int term_cols(void);

/* ---- pipes.c ---- */
struct stage;
struct pipeline {
    char display[32]; /* display attribute of the request, "" if none */
    int xml, json;    /* `| display xml|json`: rendered by the CLI */
    int compare;      /* `| compare`: display="compareN" */
    int compare_n;
    int no_more;
    struct stage *st;
    size_t n;
    struct buf partial;
};
/* Offset of the first unquoted '|' of line, or its length. */
size_t pipe_split(const char *line);
/* Parse the pipes of line from offset `at` (the first '|').  Returns 0, or
 * -1 with a message and the offset of the offending word. */
int pipes_parse(const char *line, size_t at, struct pipeline *pl, char *err, size_t errlen,
                size_t *errcol);
void pl_init(struct pipeline *pl);
void pl_write(struct pipeline *pl, const char *s, size_t len);
void pl_puts(struct pipeline *pl, const char *s);
void pl_finish(struct pipeline *pl);
void pl_free(struct pipeline *pl);

/* ---- render.c ---- */
/* Render the elements of a reply (everything but errors and the edit
 * protocol elements) into pl. */
void render_reply(xmlNodePtr reply, struct pipeline *pl);
/* "HH:MM:SS ago" style lengths of show system uptime. */
void fmt_ago(char *out, size_t len, long long secs);

/* ---- xmlout.c ---- */
/* `| display xml`: the reply, Junos-indented, with the <cli><banner>. */
void xml_display(struct buf *b, xmlNodePtr reply, const char *banner);
/* `| display json` of an operational reply. */
void json_display(struct buf *b, xmlNodePtr reply);

/* ---- walk.c ---- */
enum ci_kind { CI_ENTER, CI_VALUE, CI_KEYWORD, CI_NAME, CI_PIPE };
struct citem {
    enum ci_kind kind;
    char marker; /* '>' container, '+' leaf-list, ' ' */
    char *name;
    char *help;
};
struct clist {
    struct citem *v;
    size_t n, cap;
};
void clist_add(struct clist *l, enum ci_kind kind, char marker, const char *name, const char *help);
void clist_free(struct clist *l);

enum wstate { W_KEYWORD, W_KEYNAME, W_KEYVAL, W_VALUE, W_LLVALUE, W_REST, W_END, W_ERROR };
#define WALK_MAX 64
struct wstep {
    const struct sch_node *sch;
    char *vals[4];
    size_t nvals;
};
struct walk {
    const struct sch_node *cur;  /* whose children are the next keywords */
    const struct sch_node *conf; /* configuration root for `show configuration PATH` */
    enum wstate st;
    const struct sch_node *pend; /* list awaiting keys, leaf awaiting its value */
    size_t key;                  /* W_KEYVAL: index of the key */
    size_t nkeys;                /* keys given so far */
    unsigned keymask;            /* which keys (by index) */
    int op;                      /* in the operational tree */
    int rest;                    /* inside `show configuration PATH` */
    int words;                   /* words walked */
    const struct sch_node *rpc;  /* op: last command node reached */
    const struct sch_node *given[32];
    size_t ngiven;
    struct wstep steps[WALK_MAX]; /* containers and lists from the root */
    size_t nsteps;
};
void walk_init(struct walk *w, const struct sch_node *at, int op, const struct sch_node *conf);
void walk_free(struct walk *w);
int walk_word(struct walk *w, const char *word);
/* Items for the next word (filtered by partial). */
void walk_items(const struct walk *w, const char *partial, struct clist *out);
/* Walk the edit level (g_cli.edit_path) from the configuration root. */
int walk_edit_level(struct walk *w);
/* Children of n, with the CLI's own commands merged into the op tree. */
size_t walk_kids(const struct sch_node *n, struct sch_node *const **out);
/* The CLI's own commands (op tree extras). */
void local_tree_init(struct schema *op);
void local_tree_free(void);
void names_invalidate(void);
/* Existing names are fetched from mgd for completion unless disabled (space). */
void names_enable(int on);

/* ---- complete.c ---- */
/* Completion items for the word being typed at the end of text; *poff is
 * where that word starts.  -1 when text ends inside quotes. */
int complete(const char *text, struct clist *out, size_t *poff);
/* "Possible completions:" and the items (or "No valid completions"). */
void help_format(struct buf *b, struct clist *l);
/* Configuration-mode command words. */
struct verb {
    const char *name;
    const char *help;
};
extern const struct verb cfg_verbs[];
/* Unique prefix among names (NULL-terminated): the match, or NULL (*ambiguous set). */
const char *prefix_match(const char *const *names, const char *word, int *ambiguous);
const char *verb_match(const char *word, int *ambiguous);

/* ---- exec.c ---- */
void exec_line(const char *line);
/* Print help for text (the line without its trailing '?'). */
void exec_help(const char *text);
void print_banner(void);
/* Caret under column col of line (the line as typed), then msg; one line with -c. */
void error_at(const char *line, size_t col, const char *msg);

/* ---- confirm.c ---- */
/* Ask a yes/no question; 1 yes, 0 no. */
int ask_confirm(const char *prompt, int dflt);
/* A line read after prompt without echo (a terminal) into buf, without its
 * newline; NULL at the end of input or on Ctrl-C.  A newline is printed
 * after it, as the terminal did not echo one. */
char *ask_secret(const char *prompt, char *buf, size_t len);
/* Lines of `load ... terminal`, malloc'ed; NULL on Ctrl-C (abandoned). */
char *read_terminal_input(void);
/* CLI-local commands (set cli ..., show cli, exit) in words [from, n) of
 * ws (offsets in line): 1 if handled. */
struct words;
int local_command(struct words *ws, size_t from, const char *line, struct pipeline *pl);

/* ---- password.c ---- */
/* mgd asked for a password (<password-prompt/>): read it twice, check
 * Junos's rules, return its SHA-512 crypt (malloc'ed), or NULL after
 * printing why not. */
char *read_new_password(void);

/* ---- edit.c ---- */
int edit_init(void);
char *edit_readline(void); /* malloc'ed line, NULL at end of input */
void edit_end(void);

/* The detail form of an SA reply: its junos:style when it has one, else
 * whether it carries one of the detail-only elements (render.c). */
int render_detail_form(xmlNodePtr n, const char *const *detail_only, int maxdepth);

#endif
