/*
 * accounts.c: the appliance's Unix accounts from the committed
 * configuration (accounts.h).
 */
#define _GNU_SOURCE
#include "accounts.h"

#include <dirent.h>
#include <errno.h>
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

/* ssh-rsa, ssh-ecdsa, ssh-ed25519 (the schema checked the key line). */
static int is_key_statement(const char *w)
{
    return !strcmp(w, "ssh-rsa") || !strcmp(w, "ssh-ecdsa") || !strcmp(w, "ssh-ed25519");
}

/* Append one authorized_keys line to *keys. */
static void add_key(char **keys, const char *line)
{
    size_t have = *keys ? strlen(*keys) : 0, n = strlen(line);
    char *k;

    if (n == 0 || strpbrk(line, "\r\n") || (k = realloc(*keys, have + n + 2)) == NULL)
        return;
    memcpy(k + have, line, n);
    k[have + n] = '\n';
    k[have + n + 1] = '\0';
    *keys = k;
}

void accounts_parse(struct accounts *a, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;

    memset(a, 0, sizeof(*a));
    /* getline: RSA key lines run to kilobytes */
    while (f && getline(&line, &cap, f) >= 0) {
        char *w[12];
        int n;
        struct user *u;

        line[strcspn(line, "\r\n")] = '\0';
        n = split(line, w, 12);
        if (n < 4 || strcmp(w[0], "set") || strcmp(w[1], "system"))
            continue;
        if (n == 5 && !strcmp(w[2], "root-authentication") && !strcmp(w[3], "encrypted-password"))
            snprintf(a->root_hash, sizeof(a->root_hash), "%s", w[4]);
        if (n == 5 && !strcmp(w[2], "root-authentication") && is_key_statement(w[3]))
            add_key(&a->root_keys, w[4]);
        if (n < 7 || strcmp(w[2], "login") || strcmp(w[3], "user") ||
            (u = user_of(a, w[4])) == NULL)
            continue;
        if (n == 7 && !strcmp(w[5], "uid"))
            u->uid = atoi(w[6]);
        else if (n == 7 && !strcmp(w[5], "full-name"))
            snprintf(u->full_name, sizeof(u->full_name), "%s", w[6]);
        else if (n == 8 && !strcmp(w[5], "authentication") && !strcmp(w[6], "encrypted-password"))
            snprintf(u->hash, sizeof(u->hash), "%s", w[7]);
        else if (n == 8 && !strcmp(w[5], "authentication") && is_key_statement(w[6]))
            add_key(&u->keys, w[7]);
    }
    free(line);
}

void accounts_free(struct accounts *a)
{
    free(a->root_keys);
    a->root_keys = NULL;
    for (int i = 0; i < a->n; i++) {
        free(a->users[i].keys);
        a->users[i].keys = NULL;
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

/* A hash for /etc/shadow; without one "!" (locked: no login at all), or
 * "*" (no password, but sshd takes the account's keys) when it has keys. */
static const char *shadow_hash(const char *h, const char *keys, char *buf, size_t len)
{
    snprintf(buf, len, "%s", h);
    clean(buf);
    return buf[0] ? buf : keys ? "*" : "!";
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

/* The keys of account `name`, or NULL; root and sshd are never users. */
static const char *keys_of(const struct accounts *a, const char *name)
{
    if (!strcmp(name, "root"))
        return a->root_keys;
    if (!strcmp(name, "sshd"))
        return NULL;
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->users[i].name, name))
            return a->users[i].keys;
    return NULL;
}

/* ETC/ssh/authorized_keys/NAME for every account with keys (owned by root,
 * 0644: sshd's StrictModes accepts root's files); others' files go. */
static int write_keys(const struct accounts *a, const char *etc)
{
    char dir[256];
    struct out k = {0};
    DIR *d;
    struct dirent *e;
    int ok = 1;

    snprintf(dir, sizeof(dir), "%s/ssh", etc);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    snprintf(dir, sizeof(dir), "%s/ssh/authorized_keys", etc);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -1;
    for (int i = -1; i < a->n; i++) {
        const char *name = i < 0 ? "root" : a->users[i].name;
        const char *keys = keys_of(a, name);
        if (keys == NULL || (i >= 0 && !strcmp(name, "root")))
            continue;
        if (out_open(&k, dir, name, 0644) < 0) {
            ok = 0;
            continue;
        }
        fputs(keys, k.f);
        ok = out_close(&k, 1) == 0 && ok;
    }
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && keys_of(a, e->d_name) == NULL &&
            unlinkat(dirfd(d), e->d_name, 0) < 0)
            ok = 0;
    closedir(d);
    return ok ? 0 : -1;
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
                shadow_hash(a->root_hash, a->root_keys, buf, sizeof(buf)));
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
        fprintf(s.f, "%s:%s:::::::\n", u->name, shadow_hash(u->hash, u->keys, buf, sizeof(buf)));
    }
    /* shadow first: a user in passwd always has its shadow entry */
    ok = out_close(&s, ok) == 0 && ok;
    ok = out_close(&g, ok) == 0 && ok;
    ok = out_close(&p, ok) == 0 && ok;
    return ok && write_keys(a, etc) == 0 ? 0 : -1;
}
