/* fs/csv_file.h - an open "<table>.csv": a live stream plus a re-read spool.
 *
 * open() starts the query at once (errors such as a missing table surface
 * there) and keeps a pooled connection until the stream ends or the file is
 * released. Bytes go to the reader as they arrive (direct_io, size 0 until
 * the stream ended or a reader insists, see mdfs_csv_size). The first
 * spool->head bytes are also written to an unnamed spool file (O_TMPFILE in
 * spool->dir), so that a re-read or a backward seek there gives the very same
 * bytes. A reader that reads straight through (cat, grep, pandas) costs no
 * more than that: writing a whole table to disk would cost as much CPU as
 * formatting it. A reader that comes back while every byte it had is still
 * spooled (less re-reads its first bytes at once, a sniffer reads a sample
 * and seeks to 0) or that asks for the exact size keeps the whole prefix up
 * to spool->max. A read behind the spooled prefix fails with EIO (logged); a
 * forward seek streams on. A stream that breaks makes every later read fail
 * with EIO: a reader never sees a silently short file.
 * Thread-safe per handle.
 */
#ifndef MDFS_CSV_FILE_H
#define MDFS_CSV_FILE_H

#include "mdclient/common.h"

#include <sys/types.h>
#include "fs/spool.h"
#include "mdclient/pool.h"

struct mdfs_csv_file;

/* spool: where and how much is kept (see above); borrowed, must outlive f.
 * Returns 0 and *out, or -errno (-ENOENT, -EIO, -EACCES). */
int mdfs_csv_open(mdc_pool *pool, const char *db, const char *schema, const char *rel,
		  const struct mdfs_spool_conf *spool, struct mdfs_csv_file **out) MDC_MUSTCHECK;
/* The same for a query file's query (mdclient/query.h) on the source's
 * default database; name is for log lines. A statement refused by the
 * server fails here (-EINVAL, -EACCES, ...). */
int mdfs_csv_open_query(mdc_pool *pool, const char *sql, const char *name,
			const struct mdfs_spool_conf *spool, struct mdfs_csv_file **out) MDC_MUSTCHECK;
/* FUSE read semantics: bytes copied (possibly fewer than size), 0 at the end,
 * or -errno. */
ssize_t mdfs_csv_read(struct mdfs_csv_file *f, char *buf, size_t size, off_t off) MDC_MUSTCHECK;
/* The size for fstat() by the opener. Streaming first: most readers (cat,
 * grep, less, Python's open(), pandas) fstat once right after open() and
 * never use the size, so
 *  - the first question, and every question from a reader that read before
 *    it first asked, gets the size known now: 0 until the stream ended;
 *  - a reader that asks again before reading wants the size (DuckDB's
 *    read_csv fstats twice; polars statx()es before each mmap attempt, and
 *    the first, MAP_SHARED, fails on a direct_io file): it gets the exact
 *    size, after the rest of the table has been streamed into the spool
 *    (the caller waits); when the table does not fit in spool_max that
 *    question fails with -EFBIG (logged), never with a short size.
 * Once the stream has ended every question gets the exact size.
 * Returns 0 and *size, -EFBIG, or -EIO when the stream broke. */
int mdfs_csv_size(struct mdfs_csv_file *f, off_t *size) MDC_MUSTCHECK;
/* Cancels a stream still running, returns the connection, frees f. */
void mdfs_csv_close(struct mdfs_csv_file *f);

#endif
