/*
 * accounts: the appliance's Unix accounts from the committed configuration
 * (images/, docs/image.md).  Used by osg-login: at each console login
 * attempt, and by the commit hook (`osg-login --accounts FILE`), so that
 * /etc/passwd, /etc/group and /etc/shadow always match the configuration:
 * mgd maps a session's uid back to its user and login class, and sshd
 * (NETCONF) checks passwords against /etc/shadow.
 *
 * Input: `display set` lines; `set system root-authentication
 * encrypted-password H|ssh-rsa K|ssh-ecdsa K|ssh-ed25519 K`, `set system
 * login user NAME uid|full-name|authentication encrypted-password ...|
 * ssh-* K`; other lines are ignored.  The SSH keys become each account's
 * authorized_keys (sshd: AuthorizedKeysFile ETC/ssh/authorized_keys/%u).
 */
#ifndef OSG_ACCOUNTS_H
#define OSG_ACCOUNTS_H

#include <stdio.h>

#define ACCOUNTS_MAX 256
#define ACCOUNTS_FIELD 256

struct user {
    char name[72];
    char hash[ACCOUNTS_FIELD];
    char full_name[ACCOUNTS_FIELD];
    int uid;    /* 0: not configured */
    char *keys; /* authorized_keys lines (malloc'ed), NULL when none */
};

struct accounts {
    char root_hash[ACCOUNTS_FIELD];
    char *root_keys;
    struct user users[ACCOUNTS_MAX];
    int n;
};

/* Reset `a` and read the accounts from `display set` lines. */
void accounts_parse(struct accounts *a, FILE *f);
/* Free the keys accounts_parse() read. */
void accounts_free(struct accounts *a);

/* Give every user a uid (its `uid`, or the first free one from 2000 on,
 * in configuration order) and rewrite /etc/passwd, /etc/group and
 * /etc/shadow (mode 0600) under `etc`, each through a temporary file and
 * rename.  Every account's login shell is `shell`.  The system account
 * sshd (sshd's privilege separation) is always there; configured users
 * named root or sshd are left out.  An account without a password is
 * locked ("!") unless it has SSH keys ("*": no password, but sshd takes
 * its keys; it refuses every login to a locked account).  Then
 * ETC/ssh/authorized_keys/NAME is written for each account with keys
 * (root's included) and the files of the others are removed.  0, or -1
 * with errno. */
int accounts_write(struct accounts *a, const char *etc, const char *shell);

#endif
