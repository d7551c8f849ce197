/* mdclient/stream.h - stream a table (or view) out as CSV bytes.
 *
 * CSV rules (the one place they live is csv_out.c): a header row of column
 * names, ',' between fields, '\n' after every row, RFC 4180 quoting where a
 * field holds ',', '"', CR, LF or leading/trailing space (a '"' is doubled);
 * NULL is an empty field and the empty string is "". Booleans are true/false
 * and timestamps ISO 8601 with a space ("2024-01-02 03:04:05.123456+00") on
 * both PostgreSQL and DuckDB endpoints.
 *
 * Rows are fetched in libpq single-row mode (memory does not depend on the
 * table's size); output is produced into an internal buffer as the reader
 * asks for it. A stream owns nothing of the connection: the connection stays
 * borrowed by the caller, busy until mdc_stream_close().
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
 * PostgreSQL). Returns 0 and *out, or -errno (-ENOENT: no such relation). */
int mdc_stream_open_csv(mdc_conn *c, const char *db, const char *schema, const char *rel,
			mdc_stream **out, mdc_error *err) MDC_MUSTCHECK;

/* Copy up to len bytes of CSV into buf. Returns the count (> 0), 0 at the
 * end of the data (after the server confirmed success), or -errno: -EIO when
 * the stream broke mid-way (a reader must never see a silently short file). */
ssize_t mdc_stream_read(mdc_stream *s, char *buf, size_t len, mdc_error *err) MDC_MUSTCHECK;

/* End the stream. If it did not reach the end, cancel the query and drain the
 * results so the connection is reusable. Returns 0 when c is reusable, -EIO
 * when it must be discarded. Frees s; NULL is fine (returns 0). */
int mdc_stream_close(mdc_stream *s);

#endif
