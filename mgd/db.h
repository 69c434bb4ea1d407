/*
 * db.h: mgd's durable configuration database under ROOT/db (0700; files
 * 0600).
 *
 *   history/r<SEQ>.conf  a committed configuration, immutable, brace text
 *   history/r<SEQ>.delta or, for most commits, what changed since
 *                        r<SEQ-1> (delta.h text form after a line
 *                        "opensg-delta 1 base SEQ-1"); a full .conf is
 *                        written at least every DB_DELTA_CHAIN commits, and
 *                        files older than the rollback list are kept while a
 *                        listed delta needs them
 *   history/index        the rollback list, newest first (at most 50 lines):
 *                        SEQ TIME USER METHOD CONFIRM-MINUTES COMMENT
 *                        replaced atomically: this rename is the commit point
 *   journal              present while a commit is between apply and persist
 *   confirmed            deadline of a pending "commit confirmed"
 *   rescue.conf          the rescue configuration
 *
 * Writes go to a temporary file, are fsync'ed, renamed into place, and the
 * directory is fsync'ed.  OPENSG_CRASH_AT=POINT[:FILE] makes mgd _exit(99)
 * at that point (the crash tests): POINT is after-temp-write, after-fsync or
 * after-rename of a durable write (FILE: journal, history, index,
 * confirmed, ...), or between-apply-persist.
 */
#ifndef OPENSG_MGD_DB_H
#define OPENSG_MGD_DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DB_HISTORY_MAX 50
#define DB_DELTA_CHAIN 16

struct db_entry {
    uint64_t seq;
    time_t when;
    char user[64];
    char method[16];     /* cli, netconf, other */
    int confirm_minutes; /* >0: made by commit confirmed N */
    char comment[256];
};

struct schema;

struct db {
    char *dir;                   /* ROOT/db */
    const struct schema *schema; /* to read deltas (set by the caller) */
    struct db_entry hist[DB_HISTORY_MAX];
    size_t nhist;
    uint64_t next_seq;
};

/* Open (creating) ROOT/db and read the index.  Returns -1 with err. */
int db_open(struct db *db, const char *root, char *err, size_t errlen);
void db_close(struct db *db);
/* Text of rollback index n (0 = active); malloc'ed, NULL if absent. */
char *db_read(const struct db *db, size_t n);
/* Persist a new committed configuration (text) as rollback 0. */
int db_commit(struct db *db, const char *text, const char *user, const char *method,
              int confirm_minutes, const char *comment);
/* 1 when the next commit may be stored as a delta from rollback 0. */
int db_delta_ok(const struct db *db);
/* Persist a new committed configuration as a delta (delta.h text form)
 * from rollback 0. */
int db_commit_delta(struct db *db, const char *delta, const char *user, const char *method,
                    int confirm_minutes, const char *comment);
/* Journal: mark a commit as applied-but-not-persisted, and clear it. */
int db_journal_begin(struct db *db, uint64_t seq);
int db_journal_end(struct db *db);
int db_journal_present(const struct db *db);
/* Pending confirmed commit deadline (0 = none). */
int db_confirm_set(struct db *db, time_t deadline);
time_t db_confirm_get(const struct db *db);
/* Rescue configuration. */
int db_rescue_save(struct db *db, const char *text);
char *db_rescue_read(const struct db *db);
int db_rescue_delete(struct db *db);
time_t db_rescue_time(const struct db *db); /* when it was saved, 0 = none */

/* Atomic file write: temp, fsync, rename, fsync dir.  mode 0600. */
int db_write_atomic(const char *path, const char *data, size_t len);
/* Crash-test hook. */
void db_crash_point(const char *name);

#endif
