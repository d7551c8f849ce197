/* mdclient/stream.h - stream a table (or view) out as CSV bytes.
 *
 * CSV rules (the one place they live is csv_out.c): a header row of column
 * names, ',' between fields, '\n' after every row, RFC 4180 quoting where a
 * field holds ',', '"', CR, LF or leading/trailing space (a '"' is doubled);
 * NULL is an empty field and the empty string is "". Booleans are true/false
 * and timestamps ISO 8601 with a space ("2024-01-02 03:04:05.123456+00") on
 * both PostgreSQL and DuckDB endpoints. On an endpoint whose result OIDs
 * say nothing (every column text or unknown; mdc_conn_oids_say_nothing in
 * internal/dialect.h), an open first asks for the column types: a table's
 * from the catalog (one query), a query's by describing it (query.h).
 *
 * Rows are fetched in libpq single-row mode (memory does not depend on the
 * table's size); output is produced into an internal buffer as the reader
 * asks for it. A stream owns nothing of the connection: the connection stays
 * borrowed by the caller, busy until mdc_stream_close().
 *
 * Memory: the internal buffer holds at most one read's worth plus one row.
 * Waiting: the socket is polled in 200 ms slices; a stalled server is bounded
 * by the connection's statement_timeout and TCP keepalives, and
 * mdc_conn_cancel(c) from another thread ends a read with -ETIMEDOUT
 * (SQLSTATE 57014). The SQL is logged at LOG_DEBUG.
 * Thread safety: one thread uses a stream at a time (mdc_conn_cancel is the
 * only call another thread may make meanwhile).
 */
#ifndef MDCLIENT_STREAM_H
#define MDCLIENT_STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

typedef struct mdc_stream mdc_stream;

/* Start SELECT * FROM "db"."schema"."rel" on c (db may be NULL/"" on
 * PostgreSQL). Returns 0 and *out, or -errno (-ENOENT: no such relation).
 * Waits for the first result (so errors such as -ENOENT come from here);
 * -EBUSY when c is already running a query, -EIO when c is broken, -EINVAL
 * for a NULL name. On failure nothing is left to close (*out is NULL) and
 * the connection has been drained (or must be discarded if it broke). */
int mdc_stream_open_csv(mdc_conn *c, const char *db, const char *schema, const char *rel,
			mdc_stream **out, mdc_error *err) MDC_MUSTCHECK;

/* Start a query file's query (query.h): sql as written, one statement by
 * the extended protocol, in the dialect's read-only transaction (ended by
 * mdc_stream_close). name is for messages. Same returns as
 * mdc_stream_open_csv; a statement that would write fails here. */
int mdc_stream_open_query(mdc_conn *c, const char *sql, const char *name, mdc_stream **out,
			  mdc_error *err) MDC_MUSTCHECK;

/* Copy up to len bytes of CSV into buf. Returns the count (> 0), 0 at the
 * end of the data (after the server confirmed success), or -errno: -EIO when
 * the stream broke mid-way (a reader must never see a silently short file).
 * The count is len except at the end of the data (regular-file semantics,
 * what a FUSE read without direct_io needs: a short read there means EOF).
 * Rows are fetched only as needed to fill buf: a 1-byte read after the header
 * fetches one row, a 128 KiB read fetches as many rows as fit.
 * Errors: -EIO (connection lost, protocol trouble; sticky: every later read
 * returns it too), or the errno mapped from the server's SQLSTATE (error.h),
 * e.g. -ETIMEDOUT for a statement timeout or a cancel. On an error the bytes
 * already in buf are not valid. len 0 returns 0 (or the sticky error). */
ssize_t mdc_stream_read(mdc_stream *s, char *buf, size_t len, mdc_error *err) MDC_MUSTCHECK;

/* Like mdc_stream_read, with pipe semantics: waits only while it has nothing
 * to return, then returns what is ready without waiting for more (at least
 * one byte, usually whole rows), so a `head` reader over FUSE direct_io gets
 * its first lines as soon as the first rows arrive. Same errors and end. */
ssize_t mdc_stream_read_some(mdc_stream *s, char *buf, size_t len, mdc_error *err) MDC_MUSTCHECK;

/* End the stream. If it did not reach the end, cancel the query and drain the
 * results so the connection is reusable. Returns 0 when c is reusable, -EIO
 * when it must be discarded (mdc_pool_put(..., true): closed, without
 * flushing the pool). Frees s; NULL is fine (returns 0).
 * A query that already sent everything is drained without a cancel; else
 * mdc_conn_cancel(c), then the results are read and dropped for at most
 * 200 ms: a server that ignores the cancel (or has more than that in flight)
 * costs a new connection later, never a slow close. */
int mdc_stream_close(mdc_stream *s);

#endif
