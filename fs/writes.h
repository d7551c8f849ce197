/* fs/writes.h - files written through the mount: the seed drop-in, views
 * written as files, and query files.
 *
 * Writing "<name>.csv" in a schema directory loads it as table <name> the
 * way `dbt seed --full-refresh` does (mdclient/seed.h); writing "<name>.sql"
 * defines view <name> (fs/views.h) the same way: spooled, applied at the
 * close() or rename, failures in "<name>.sql.error". The bytes go to an
 * unnamed spool file first; the load runs at the flush that follows writes
 * (the close() of the writer), and that close() returns its outcome:
 *   - a created or truncated file is "dirty"; every flush of a dirty file
 *     loads it, then it is clean until written again. bash's `>` closes a
 *     duplicate before the program writes: that flush sees a 0-byte file and
 *     fails without touching the table; the program's own close loads it.
 *   - rename(tmp, "<name>.csv") (rsync, editors, `mv` within the mount) loads
 *     at the rename, which returns the outcome.
 * Other names (hidden ".x", "x~", "x.swp", "x.tmp", anything that is not a
 * loadable name of its directory, and "<name>.seed" option files) live only
 * in the spool, for as long as the mount, and are never loaded.
 * "<name>.seed" beside a CSV holds its load options, one per line:
 *     delimiter=|
 *     quote_columns=false
 *     column_type.<column>=<SQL type>
 * A failed load leaves the previous table as it was, logs the reason and
 * shows it in "<name>.csv.error" beside the table until a load succeeds or the
 * error file is removed.
 */
#ifndef MDFS_WRITES_H
#define MDFS_WRITES_H

#include "mdclient/common.h"
#include "mdclient/error.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct mdfs;
struct mdfs_wfile;

/* What a written file becomes: a loadable name is "<name><suffix>" (not
 * hidden) of a kind of its directory, every other name is spool-only. In a
 * schema directory ".csv" is a table (fs/table_load.c) and ".sql" a view
 * (fs/views.h); in /.queries ".sql" is a query (fs/queries.h), spooled with
 * db "" and schema MDFS_QUERIES_DIR. A kind's apply runs at the flush that
 * follows writes (or at the rename onto the name), one at a time per name;
 * its failure is what close() (or rename) returns, and its reason goes to
 * "<file>.error". */
struct mdfs_w_target {
	int fd;                 /* the spool, read from offset 0 (not to be closed) */
	const char *path;       /* mount path of the file */
	const char *db, *schema, *fname;
	const char *name;       /* decoded <name> */
	bool append;            /* a table file's `>>` (mdfs_w_append) */
};

struct mdfs_w_kind {
	const char *suffix;
	bool queries;           /* a kind of /.queries, else of schema directories */
	const char *done;       /* what apply does, for the error file: "not <done>" */
	off_t max;              /* the largest file it takes (EFBIG past it); 0: any */
	/* Apply t: 0, or -errno (a FUSE errno) with err saying why (a failure
	 * err does not describe, or one mdfs_with_conn did not log, is logged
	 * by the caller). For a kind of schema directories the caller then
	 * forgets the schema's cached listing and the database's Parquet
	 * files, whatever the outcome. */
	int (*apply)(struct mdfs *m, const struct mdfs_w_target *t, mdc_error *err);
};

extern const struct mdfs_w_kind mdfs_table_kind;  /* fs/table_load.c */
extern const struct mdfs_w_kind mdfs_view_kind;   /* fs/views.c */
extern const struct mdfs_w_kind mdfs_query_kind;  /* fs/queries.c */

/* A duplicate of the spool of the file spooled at path (the caller closes
 * it), or -1 when none is. */
int mdfs_w_spool_dup(const char *path) MDC_MUSTCHECK;

/* Create (or truncate) the file at path, a direct child of a schema
 * directory db/schema (or of /.queries: "", MDFS_QUERIES_DIR) with raw
 * (encoded) file name fname. Returns 0 and *out (one open reference), or
 * -errno. append (O_CREAT|O_APPEND, `>>` to a name the kernel thought
 * missing): a table file loads as an append (as below), which makes a new
 * table only when there is none at close(). replaces: a table, view or
 * query exists behind the name (a rewrite), so a failed load leaves the
 * name with something behind it: no ghost (fs/ghosts.h). */
int mdfs_w_create(struct mdfs *m, const char *path, const char *db, const char *schema,
		  const char *fname, mode_t mode, bool append, bool replaces,
		  struct mdfs_wfile **out) MDC_MUSTCHECK;
/* `>>` to an existing table's file (O_APPEND without O_TRUNC): a spool of
 * this open's own, never listed (the table stays what others see); what is
 * written goes at its end, whatever the offset; the flush that follows
 * writes adds its rows to the table in one transaction (mdc_seed_options
 * .append): a first line equal to the table's header is skipped, a failure
 * fails that close() and goes to the error file, the table as it was.
 * Appends and rewrites of one table apply one at a time, in close order;
 * concurrent appends all apply. -EPERM when fname is not a table file. */
int mdfs_w_append(struct mdfs *m, const char *path, const char *db, const char *schema,
		  const char *fname, struct mdfs_wfile **out) MDC_MUSTCHECK;
/* Open an existing spooled file (-ENOENT when path has none). O_TRUNC empties
 * it (and makes it dirty). */
int mdfs_w_open(struct mdfs *m, const char *path, int flags, struct mdfs_wfile **out) MDC_MUSTCHECK;
int mdfs_w_read(struct mdfs_wfile *w, char *buf, size_t size, off_t off) MDC_MUSTCHECK;
/* The spool's size now: 0 and *size, or -errno. */
int mdfs_w_size(struct mdfs_wfile *w, off_t *size) MDC_MUSTCHECK;
/* off < 0 (or an append's spool): at the end. */
int mdfs_w_write(struct mdfs_wfile *w, const char *buf, size_t size, off_t off) MDC_MUSTCHECK;
int mdfs_w_truncate(struct mdfs_wfile *w, off_t size) MDC_MUSTCHECK;
/* Load now if dirty and loadable; returns the load's outcome (0 or -errno). */
int mdfs_w_flush(struct mdfs *m, struct mdfs_wfile *w) MDC_MUSTCHECK;
/* Drop an open reference. A loadable file that is no longer open leaves the
 * spool (its table, or its .error file, is what remains). */
void mdfs_w_release(struct mdfs *m, struct mdfs_wfile *w);

/* By path: 0 and *st for a spooled file or an error file; -ENOENT else. */
int mdfs_w_getattr(struct mdfs *m, const char *path, struct stat *st) MDC_MUSTCHECK;
/* Truncate or set times by path on a spooled file (-ENOENT: none). */
int mdfs_w_truncate_path(struct mdfs *m, const char *path, off_t size) MDC_MUSTCHECK;
bool mdfs_w_exists(struct mdfs *m, const char *path) MDC_MUSTCHECK;
/* Remove a spooled file or an error file (-ENOENT: none). */
int mdfs_w_unlink(struct mdfs *m, const char *path) MDC_MUSTCHECK;
/* Rename a spooled file. Onto a loadable name: loads it, returns the outcome.
 * -ENOENT when from is not spooled. */
int mdfs_w_rename(struct mdfs *m, const char *from, const char *to, const char *to_db,
		  const char *to_schema, const char *to_fname) MDC_MUSTCHECK;
/* The read-only text of an error file at path: malloc'd (caller frees), or
 * NULL when there is none. */
char *mdfs_w_error_text(struct mdfs *m, const char *path) MDC_MUSTCHECK;

/* Call fn for every spooled file and error file directly in db/schema whose
 * name is not in the catalog listing (fn returns non-zero to stop). */
void mdfs_w_list(struct mdfs *m, const char *db, const char *schema,
		 int (*fn)(void *ud, const char *fname, const struct stat *st), void *ud);

void mdfs_w_free_all(struct mdfs *m);

#endif
