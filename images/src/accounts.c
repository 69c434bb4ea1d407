/*
 * accounts.c: the appliance's Unix accounts from the committed
 * configuration (accounts.h).
 */
#define _GNU_SOURCE
#include "accounts.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* sshd's privilege separation user (Debian's build: "sshd"); the
 * configured uids are 100..64000 (schema), so 74 is never one of them */
#define SSHD_UID 74
#define NOGROUP 65534

/* The words of a `set` line; quoted words lose their quotes and escapes. */
static int split(char *line, char **w, int max)
{
    int n = 0;
    char *p = line;

    while (*p && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (*p == '"') {
            char *o = ++p;
            w[n++] = o;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                *o++ = *p++;
            }
            if (*p)
                p++;
            *o = '\0';
        } else {
            w[n++] = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
    return n;
}

static struct user *user_of(struct accounts *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->users[i].name, name) == 0)
            return &a->users[i];
    if (a->n == ACCOUNTS_MAX || strlen(name) >= sizeof(a->users[0].name))
        return NULL;
    memset(&a->users[a->n], 0, sizeof(a->users[0]));
    snprintf(a->users[a->n].name, sizeof(a->users[0].name), "%s", name);
    return &a->users[a->n++];
}

void accounts_parse(struct accounts *a, FILE *f)
{
    char line[1024];

    memset(a, 0, sizeof(*a));
    while (f && fgets(line, sizeof(line), f)) {
        char *w[12];
        int n;
        struct user *u;

        line[strcspn(line, "\r\n")] = '\0';
        n = split(line, w, 12);
        if (n < 4 || strcmp(w[0], "set") || strcmp(w[1], "system"))
            continue;
        if (n == 5 && !strcmp(w[2], "root-authentication") && !strcmp(w[3], "encrypted-password"))
            snprintf(a->root_hash, sizeof(a->root_hash), "%s", w[4]);
        if (n < 7 || strcmp(w[2], "login") || strcmp(w[3], "user") ||
            (u = user_of(a, w[4])) == NULL)
            continue;
        if (n == 7 && !strcmp(w[5], "uid"))
            u->uid = atoi(w[6]);
        else if (n == 7 && !strcmp(w[5], "full-name"))
            snprintf(u->full_name, sizeof(u->full_name), "%s", w[6]);
        else if (n == 8 && !strcmp(w[5], "authentication") && !strcmp(w[6], "encrypted-password"))
            snprintf(u->hash, sizeof(u->hash), "%s", w[7]);
    }
}

static int uid_taken(const struct accounts *a, int uid)
{
    for (int i = 0; i < a->n; i++)
        if (a->users[i].uid == uid)
            return 1;
    return 0;
}

/* No field separators or line ends in a passwd/shadow field. */
static void clean(char *s)
{
    for (; *s; s++)
        if (*s == ':' || *s == '\n')
            *s = ' ';
}

/* A hash for /etc/shadow: "!" (locked: no password login) when none. */
static const char *shadow_hash(const char *h, char *buf, size_t len)
{
    snprintf(buf, len, "%s", h);
    clean(buf);
    return buf[0] ? buf : "!";
}

struct out {
    FILE *f;
    char tmp[256], path[256];
};

static int out_open(struct out *o, const char *etc, const char *name, mode_t mode)
{
    int fd;

    snprintf(o->path, sizeof(o->path), "%s/%s", etc, name);
    /* per process: the commit hook and a console login may write at once */
    snprintf(o->tmp, sizeof(o->tmp), "%s/.%s.%d", etc, name, (int)getpid());
    fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || fchmod(fd, mode) < 0 || (o->f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0)
            close(fd);
        o->f = NULL;
        return -1;
    }
    return 0;
}

static int out_close(struct out *o, int ok)
{
    int rc;

    if (o->f == NULL)
        return -1;
    rc = fflush(o->f) == 0 && fsync(fileno(o->f)) == 0 ? 0 : -1;
    if (fclose(o->f) != 0)
        rc = -1;
    o->f = NULL;
    if (rc == 0 && ok)
        rc = rename(o->tmp, o->path);
    if (rc != 0 || !ok)
        unlink(o->tmp);
    return rc;
}

int accounts_write(struct accounts *a, const char *etc, const char *shell)
{
    struct out p = {0}, g = {0}, s = {0};
    char buf[ACCOUNTS_FIELD];
    int next = 2000, ok;

    ok = out_open(&p, etc, "passwd", 0644) == 0 && out_open(&g, etc, "group", 0644) == 0 &&
         out_open(&s, etc, "shadow", 0600) == 0;
    if (ok) {
        fprintf(p.f, "root:x:0:0:root:/root:%s\n", shell);
        fprintf(p.f, "sshd:x:%d:%d:sshd privilege separation:/run/sshd:/bin/false\n", SSHD_UID,
                NOGROUP);
        fprintf(g.f, "root:x:0:\nnogroup:x:%d:\n", NOGROUP);
        /* empty change dates: no password ageing (sshd would ask for a
         * new password on a 0) */
        fprintf(s.f, "root:%s:::::::\nsshd:!:::::::\n",
                shadow_hash(a->root_hash, buf, sizeof(buf)));
    }
    for (int i = 0; ok && i < a->n; i++) {
        struct user *u = &a->users[i];
        if (u->uid == 0) {
            while (uid_taken(a, next))
                next++;
            u->uid = next++;
        }
        if (!strcmp(u->name, "root") || !strcmp(u->name, "sshd"))
            continue;
        clean(u->full_name);
        fprintf(p.f, "%s:x:%d:%d:%s:/:%s\n", u->name, u->uid, u->uid, u->full_name, shell);
        fprintf(g.f, "%s:x:%d:\n", u->name, u->uid);
        fprintf(s.f, "%s:%s:::::::\n", u->name, shadow_hash(u->hash, buf, sizeof(buf)));
    }
    /* shadow first: a user in passwd always has its shadow entry */
    ok = out_close(&s, ok) == 0 && ok;
    ok = out_close(&g, ok) == 0 && ok;
    ok = out_close(&p, ok) == 0 && ok;
    return ok ? 0 : -1;
}
