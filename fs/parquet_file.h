/* fs/parquet_file.h - "<table>.parquet": produced whole into the spool on
 * open, then served with its exact size.
 *
 * A reader needs the footer, so the file cannot stream: open() runs
 * mdc_parquet_export into an unnamed spool file (bounded memory: one row
 * group) and only a complete file is ever served - a failed export makes
 * open() fail with EIO and the partial spool is dropped. A produced file is
 * reused by later opens for cache_timeout seconds (until a load or drop
 * through the mount changes its database), and stat shows its real size
 * meanwhile. Opens that wait for a production that fails all get its error. Spools nobody has open are evicted, oldest first, once
 * their total passes the budget (spool_max). Thread-safe.
 */
#ifndef MDFS_PARQUET_FILE_H
#define MDFS_PARQUET_FILE_H

#include "mdclient/common.h"

#include <sys/types.h>
#include "mdclient/parquet.h"
#include "mdclient/pool.h"

struct mdfs_parquet;

/* Settings, once at start-up. */
void mdfs_parquet_setup(mdc_pool *pool, const char *spool_dir, off_t budget, int timeout_s,
		   mdc_parquet_codec codec);
/* Open path (the relation db.schema.rel): waits for a production under way,
 * reuses a fresh file, or produces one. 0 and *out, or -errno. */
int mdfs_parquet_open(const char *path, const char *db, const char *schema, const char *rel,
		 struct mdfs_parquet **out) MDC_MUSTCHECK;
/* A query file's result (mdclient/query.h), produced afresh for this open
 * (never reused by another open; a stat of path shows the newest result's
 * size within cache_timeout): 0 and *out, or -errno (-EINVAL: refused). */
int mdfs_parquet_open_query(const char *path, const char *sql, const char *name,
			    struct mdfs_parquet **out) MDC_MUSTCHECK;
int mdfs_parquet_read(struct mdfs_parquet *h, char *buf, size_t size, off_t off) MDC_MUSTCHECK;
off_t mdfs_parquet_handle_size(const struct mdfs_parquet *h) MDC_MUSTCHECK;
void mdfs_parquet_release(struct mdfs_parquet *h);
/* A relation of database db changed (a load, a view's new definition or a
 * drop through the mount): its produced files, and those of every other
 * relation of db (a view may read the changed one), are not reused;
 * readers that have one keep it. */
void mdfs_parquet_forget(const char *db);
/* The size of a fresh produced file at path; 0 when there is none. */
off_t mdfs_parquet_known_size(const char *path) MDC_MUSTCHECK;
/* Drop every spool (at unmount). */
void mdfs_parquet_free_all(void);

#endif
