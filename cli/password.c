/*
 * password.c: `set system root-authentication plain-text-password` (and
 * `login user NAME authentication`; docs/cli.md).
 *
 * The statement is the schema's o:password-prompt: mgd answers the `set`
 * with <password-prompt/> and changes nothing.  The CLI reads the password
 * twice without echo (confirm.c), applies Junos's default rules for
 * plain-text passwords, and sends the `set` again with the SHA-512 crypt
 * of the password ($6$, a random salt from libcrypt) as <input>; mgd
 * stores it as encrypted-password.  The password itself never leaves the
 * CLI (not to mgd, logs or history) and is wiped once hashed.
 */
#include "cli.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Junos's defaults (system login password: minimum-length 6,
 * maximum-length 128, change-type set-transitions, minimum-changes 1). */
#define PW_MIN 6
#define PW_MAX 128
#define PW_BUF (PW_MAX + 2)

/* Character sets of Junos's set transitions. */
static int char_set(unsigned char c)
{
    if (c >= 'a' && c <= 'z')
        return 0;
    if (c >= 'A' && c <= 'Z')
        return 1;
    if (c >= '0' && c <= '9')
        return 2;
    return 3; /* punctuation and everything else */
}

/* The first rule the password breaks (Junos's message), or NULL. */
static const char *rule_broken(const char *pw)
{
    size_t n = strlen(pw);
    int changes = 0;

    if (n < PW_MIN)
        return "error: minimum password length is 6";
    if (n > PW_MAX)
        return "error: maximum password length is 128";
    for (size_t i = 1; i < n; i++)
        if (char_set((unsigned char)pw[i]) != char_set((unsigned char)pw[i - 1]))
            changes++;
    if (changes < 1)
        return "error: require change of case, digits or punctuation";
    return NULL;
}

static char *sha512_crypt(const char *pw)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    char *out = NULL, *h;

    if (cd == NULL)
        return NULL;
    /* rounds 0: libcrypt's default (5000: no rounds= in the string);
     * NULL random bytes: libcrypt reads them from the kernel */
    if (crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) != NULL &&
        (h = crypt_rn(pw, salt, cd, sizeof(*cd))) != NULL && h[0] == '$')
        out = strdup(h);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return out;
}

char *read_new_password(void)
{
    char first[PW_BUF + 1], again[PW_BUF + 1];
    const char *err = NULL;
    char *hash = NULL;

    if (ask_secret("New password:", first, sizeof(first)) == NULL) {
        explicit_bzero(first, sizeof(first));
        return NULL; /* Ctrl-C or the end of input: nothing changes */
    }
    if ((err = rule_broken(first)) == NULL) {
        if (ask_secret("Retype new password:", again, sizeof(again)) == NULL)
            err = "";
        else if (strcmp(first, again) != 0)
            err = "error: Passwords are not equal; aborting";
        else if ((hash = sha512_crypt(first)) == NULL)
            err = "error: cannot encrypt the password";
    }
    explicit_bzero(first, sizeof(first));
    explicit_bzero(again, sizeof(again));
    if (err && *err) {
        printf("%s\n", err);
        fflush(stdout);
    }
    return hash;
}
