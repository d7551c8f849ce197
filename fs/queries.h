/* fs/queries.h - /.queries: query files.
 *
 * Writing /.queries/NAME.sql stores a query. At the writer's close() the
 * endpoint checks it without running it (mdclient/query.h): one read-only
 * statement that returns rows; if it refuses, close() fails, the old query
 * (if any) stays and the reason is in NAME.sql.error until a write
 * succeeds or the error file is removed. Then NAME.csv and NAME.parquet
 * exist: each open runs the query afresh on the source's default database,
 * in a read-only transaction; CSV streams like a table's (fs/csv_file.h),
 * Parquet is produced for that open only (fs/parquet_file.h). NAME is an
 * encoded name (fs/names.h), decoded like a table's.
 *
 * Where the .sql files live: with -o queries_dir=DIR, in DIR as
 * NAME.sql (they survive remounts; files put there by other means are
 * query files too, checked when they run); else in memory, for the
 * mount's lifetime (MDFS_QUERIES_MEM_MAX bytes in all). Writes go through
 * fs/writes.h like a view's NAME.sql (mdfs_query_kind is the step at
 * close()): each writer has its own spool, the last writer wins (an
 * earlier one's close() fails with EBUSY), temporary names can be written
 * and renamed onto NAME.sql (editors, sed -i, mv), and error files are
 * writes.h's. `rm NAME.sql` removes the query (and DIR's file). -o ro:
 * nothing can be written or removed; stored queries still run.
 * Thread-safe.
 */
#ifndef MDFS_QUERIES_H
#define MDFS_QUERIES_H

#define FUSE_USE_VERSION 312
#include <fuse.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "mdclient/common.h"

struct mdfs;
struct mdfs_path;

#define MDFS_QUERIES_MEM_MAX (16 * 1024 * 1024)

/* At start-up: check -o queries_dir (a directory mdfs can read, and write
 * unless -o ro). 0, or -1 after one line on stderr. */
int mdfs_queries_setup(struct mdfs *m) MDC_MUSTCHECK;
void mdfs_queries_free_all(void);

/* The FUSE callbacks for a path in /.queries (p->queries), -errno. */
int mdfs_queries_getattr(struct mdfs *m, const struct mdfs_path *p, const char *path,
			 struct fuse_file_info *fi, struct stat *st) MDC_MUSTCHECK;
int mdfs_queries_readdir(struct mdfs *m, void *buf, fuse_fill_dir_t filler) MDC_MUSTCHECK;
int mdfs_queries_create(struct mdfs *m, const struct mdfs_path *p, const char *path, mode_t mode,
			struct fuse_file_info *fi) MDC_MUSTCHECK;
int mdfs_queries_open(struct mdfs *m, const struct mdfs_path *p, const char *path,
		      struct fuse_file_info *fi) MDC_MUSTCHECK;
/* Is p a stored query's NAME.sql? */
bool mdfs_queries_exists(struct mdfs *m, const struct mdfs_path *p) MDC_MUSTCHECK;
int mdfs_queries_unlink(struct mdfs *m, const struct mdfs_path *p) MDC_MUSTCHECK;

#endif
