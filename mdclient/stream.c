/* mdclient/stream.c - stream a table out as CSV (contract in stream.h).
 *
 * One query, "SELECT * FROM <qualified name>", sent with PQsendQuery in
 * libpq single-row mode: every row arrives as its own PGresult, is formatted
 * by csv_out.c into s->buf and freed at once. Rows are fetched only when the
 * reader needs bytes, so memory is one read's worth plus one row, whatever
 * the table's size.
 *
 * Waiting never happens inside libpq: mdc_pq_wait_ready() (pqutil.h) polls
 * the socket in short slices around PQconsumeInput/PQisBusy, so a dead peer shows
 * up as a PQconsumeInput failure (-EIO), a stalled server is bounded by the
 * statement timeout and TCP keepalives the connection layer sets, and a
 * CancelRequest from another thread (mdc_conn_cancel) ends the query with
 * 57014, which is reported like any other error.
 *
 * End of data (read returns 0) is only ever reported after the final
 * PGRES_TUPLES_OK and the NULL that follows it: a connection that breaks or
 * a query that fails mid-way is an error, never a silently short file.
 *
 * COPY ... TO STDOUT is not used, on either dialect: PostgreSQL's CSV differs
 * from ours (t/f booleans) and DuckDB's does not quote leading/trailing
 * blanks, so its bytes would not follow the one set of rules in csv_out.c.
 */
#include "mdclient/stream.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#include "mdclient/catalog.h"
#include "mdclient/query.h"
#include "mdclient/internal/csv_out.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/log.h"
#include "mdclient/internal/pqutil.h"

/* How long closing an unfinished stream waits for the cancelled query to
 * end. A server that honours the cancel ends it within a round trip or two;
 * one that ignores it would stream the rest of the table, so after this the
 * connection is given up (closed by the pool) rather than drained: closing a
 * file must never take seconds. */
#define CLOSE_CANCEL_MS 200

typedef enum stream_state {
	ST_RUNNING,  /* results still to come */
	ST_DONE,     /* final PGRES_TUPLES_OK seen and the results drained */
	ST_FAILED,   /* an error ended the stream (s->fail holds it) */
} stream_state;

struct mdc_stream {
	mdc_conn *conn;
	PGconn *pg;
	char *what;          /* "read <qualified name>", prefixes error messages */
	mdc_buf buf;     /* formatted bytes; buf.data[pos..len) not yet read */
	size_t pos;
	mdc_csv_cols cols;
	mdc_csv_kind *typed; /* where the OIDs say nothing: kinds from type names */
	int ntyped;
	bool header_done;
	bool final_seen;     /* the final result (TUPLES_OK or error) was received */
	bool results_done;   /* nothing pending: no query sent yet, or PQgetResult
			      * returned NULL */
	stream_state state;
	mdc_error fail;      /* sticky error for ST_FAILED */
	bool txn;            /* a query file's: in its read-only transaction */
};

/* Record a failure: the stream is over, every later read returns it. */
static int set_failed(mdc_stream *s, int rc, const mdc_error *e)
{
	s->state = ST_FAILED;
	s->fail = *e;
	if (s->fail.errnum == 0)
		mdc_error_set(&s->fail, -rc, "%s: failed", s->what);
	return rc;
}

static int fail_errno(const mdc_stream *s)
{
	return s->fail.errnum ? -s->fail.errnum : -EIO;
}

/* Header (once) and the rows of res into s->buf. */
static int format_result(mdc_stream *s, const PGresult *res, mdc_error *err)
{
	int rc;
	if (!s->header_done) {
		if ((rc = mdc_csv_cols_init(&s->cols, res, s->typed, s->ntyped)) != 0 ||
		    (rc = mdc_csv_put_header(&s->buf, res)) != 0)
			return mdc_error_set(err, -rc, "%s: out of memory", s->what);
		s->header_done = true;
	} else if (PQnfields(res) != s->cols.n) {
		return mdc_error_set(err, EIO, "%s: result shape changed mid-stream", s->what);
	}
	int n = PQntuples(res);
	for (int r = 0; r < n; r++) {
		if ((rc = mdc_csv_put_row(&s->buf, res, r, &s->cols)) != 0)
			return mdc_error_set(err, -rc, "%s: out of memory", s->what);
	}
	return 0;
}

enum { STEP_MORE = 1, STEP_END = 0, STEP_NOT_READY = 2 };

/* Take the next result and format it. nonblock: return STEP_NOT_READY
 * instead of waiting. Returns STEP_MORE (bytes may have been added),
 * STEP_END (final result seen and drained: s->state is ST_DONE) or -errno
 * (s->state is ST_FAILED, err filled). */
static int step(mdc_stream *s, bool nonblock, mdc_error *err)
{
	mdc_error e;
	mdc_error_clear(&e);
	int rc;

	if (PQisBusy(s->pg)) {
		if (nonblock) {
			if (!PQconsumeInput(s->pg)) {
				rc = mdc_pq_fail(&e, s->pg, NULL, s->what);
				goto failed;
			}
			if (PQisBusy(s->pg))
				return STEP_NOT_READY;
		} else if ((rc = mdc_pq_wait_ready(s->pg, mdc_pq_answer_deadline(), s->what, &e)) != 0) {
			goto failed;
		}
	}
	PGresult *res = PQgetResult(s->pg);
	if (!res) {
		s->results_done = true;
		if (s->final_seen && s->state == ST_RUNNING) {
			s->state = ST_DONE;
			return STEP_END;
		}
		rc = mdc_error_set(&e, EIO, "%s: results ended without a final status", s->what);
		goto failed;
	}
	ExecStatusType st = PQresultStatus(res);
	switch (st) {
	case PGRES_SINGLE_TUPLE:
		if (s->final_seen) { /* a second statement? ours is one */
			PQclear(res);
			return STEP_MORE;
		}
		rc = format_result(s, res, &e);
		PQclear(res);
		if (rc)
			goto failed;
		return STEP_MORE;
	case PGRES_TUPLES_OK:
		/* The final result: zero rows in single-row mode, but it carries
		 * the columns, so an empty table still gets its header. */
		rc = s->final_seen ? 0 : format_result(s, res, &e);
		PQclear(res);
		if (rc)
			goto failed;
		s->final_seen = true;
		return STEP_MORE; /* the next step reads the NULL */
	default:
		rc = mdc_pq_fail(&e, s->pg, res, s->what);
		PQclear(res);
		s->final_seen = true;
		goto failed;
	}
failed:
	set_failed(s, rc, &e);
	if (err)
		*err = s->fail;
	return fail_errno(s);
}

static ssize_t stream_read(mdc_stream *s, char *buf, size_t len, bool some, mdc_error *err)
{
	if (!s || (!buf && len))
		return mdc_error_set(err, EINVAL, "stream read: bad arguments");
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	size_t done = 0;
	for (;;) {
		if (s->state == ST_FAILED) {
			/* Sticky, and even with bytes still buffered: a reader
			 * must not take a short count for the end of the file. */
			if (err)
				*err = s->fail;
			return fail_errno(s);
		}
		size_t avail = s->buf.len - s->pos;
		if (avail) {
			size_t n = avail < len - done ? avail : len - done;
			memcpy(buf + done, s->buf.data + s->pos, n);
			s->pos += n;
			done += n;
		}
		if (done == len)
			return (ssize_t)done;
		/* The buffer is drained: reuse it from the start. */
		mdc_buf_clear(&s->buf);
		s->pos = 0;
		if (s->state == ST_DONE)
			return (ssize_t)done;
		/* Format rows until the request can be filled (several rows per
		 * refill for large reads, one for tiny ones) or, for read_some,
		 * until the next row would mean waiting. */
		size_t want = len - done;
		while (s->buf.len < want && s->state == ST_RUNNING) {
			int rc = step(s, some && (done > 0 || s->buf.len > 0), err);
			if (rc == STEP_NOT_READY)
				break;
			if (rc < 0)
				return rc;
		}
		if (some && s->buf.len == 0 && done > 0 && s->state == ST_RUNNING)
			return (ssize_t)done;
	}
}

ssize_t mdc_stream_read(mdc_stream *s, char *buf, size_t len, mdc_error *err)
{
	return stream_read(s, buf, len, false, err);
}

ssize_t mdc_stream_read_some(mdc_stream *s, char *buf, size_t len, mdc_error *err)
{
	return stream_read(s, buf, len, true, err);
}

/* Read and drop the remaining results. Without waiting first, so a query
 * that already finished is not cancelled; then, if the final result has not
 * arrived, cancel and read on for at most CLOSE_CANCEL_MS. 0, or -EIO when the
 * connection cannot be brought back to idle in that time (the caller closes
 * it: a slow cancel is not a dead endpoint). */
static int drain(mdc_stream *s)
{
	mdc_error e;
	PGresult *res;

	if (s->results_done)
		return 0;
	if (PQstatus(s->pg) != CONNECTION_OK)
		return -EIO;
	/* What has already arrived, without waiting: one read from the socket,
	 * then only what libpq holds (reading on while the server keeps
	 * sending would stream the whole table). */
	if (!PQconsumeInput(s->pg))
		return -EIO;
	while (!PQisBusy(s->pg)) {
		if (!(res = PQgetResult(s->pg))) {
			s->results_done = true;
			return 0;
		}
		if (PQresultStatus(res) != PGRES_SINGLE_TUPLE)
			s->final_seen = true;
		PQclear(res);
	}
	if (!s->final_seen) {
		mdc_log(LOG_DEBUG, "%s: closed before the end, cancelling", s->what);
		mdc_conn_cancel(s->conn);
	}
	int64_t deadline = mdc_now_ms() + CLOSE_CANCEL_MS;
	for (long n = 0;; n++) {
		mdc_error_clear(&e);
		/* The deadline counts even while rows keep arriving without a
		 * wait (a server that ignores the cancel never lets us wait). */
		int rc = (n & 255) == 255 && mdc_now_ms() >= deadline
			 ? mdc_error_set(&e, ETIMEDOUT, "rows still coming")
			 : mdc_pq_wait_ready(s->pg, deadline, s->what, &e);
		if (rc != 0) {
			mdc_log(LOG_INFO, "%s: the query did not end within %d ms of the cancel (%s); "
				"closing the connection", s->what, CLOSE_CANCEL_MS, e.message);
			return -EIO;
		}
		if (!(res = PQgetResult(s->pg))) {
			s->results_done = true;
			return 0;
		}
		PQclear(res);
	}
}

/* Close s after its open failed (s->results_done says whether anything of
 * its query is pending); returns rc. */
static int close_failed_open(mdc_stream *s, int rc)
{
	if (mdc_stream_close(s) != 0)
		mdc_log(LOG_WARNING, "stream: connection left unusable after a failed open");
	return rc;
}

/* Send sql (the extended protocol when extended: one statement only) in
 * single-row mode and wait for its first result. s is set up but for its
 * query; on failure it is closed. */
static int stream_start(mdc_stream *s, const char *sql, bool extended, mdc_stream **out,
			mdc_error *err)
{
	int rc;
	if (s->txn && (rc = mdc_dialect_begin_read_only(s->conn, err)) < 0)
		goto fail;
	mdc_log(LOG_DEBUG, "SQL: %s", sql);
	if (!(extended ? PQsendQueryParams(s->pg, sql, 0, NULL, NULL, NULL, NULL, 0)
		       : PQsendQuery(s->pg, sql))) {
		rc = mdc_pq_fail(err, s->pg, NULL, s->what);
		goto fail;
	}
	s->results_done = false;
	if (!PQsetSingleRowMode(s->pg)) {
		rc = mdc_error_set(err, EIO, "%s: single-row mode refused", s->what);
		goto fail;
	}
	/* Wait for the first result, so a missing table (or any error) is
	 * reported here; its header and first row are formatted already. */
	do {
		rc = step(s, false, err);
	} while (rc == STEP_MORE && !s->header_done);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	return close_failed_open(s, rc);
}

/* Room for n kinds in s->typed (n 0: none needed). 0 or -ENOMEM. */
static int alloc_typed(mdc_stream *s, size_t n, mdc_error *err)
{
	if (n == 0 || n > INT_MAX)
		return 0;
	if (!(s->typed = malloc(n * sizeof *s->typed)))
		return mdc_error_set(err, ENOMEM, "stream: out of memory");
	s->ntyped = (int)n;
	return 0;
}

/* Where c's endpoint describes every column without its type (dialect.h,
 * mdc_conn_oids_say_nothing), the kinds the CSV rules need (booleans,
 * timestamps with time zone) come from the engine's type names: a table's
 * from the catalog, a query's from the dialect's description of it. One
 * more query (a query file: its check and description) before the stream;
 * none on an endpoint whose OIDs name the types. 0 or -errno with err. */
static int type_from_names(mdc_stream *s, const char *db, const char *schema, const char *rel,
			   const char *sql, mdc_error *err)
{
	if (!mdc_conn_oids_say_nothing(s->conn))
		return 0;
	int rc;
	if (sql) {
		mdc_query_desc d;
		if ((rc = mdc_query_describe(s->conn, sql, &d, err)) == 0) {
			rc = alloc_typed(s, d.n, err);
			for (int i = 0; rc == 0 && i < s->ntyped; i++)
				s->typed[i] = mdc_csv_kind_for_type(d.types[i]);
			mdc_query_desc_free(&d);
		}
	} else {
		mdc_column_list cl = { 0 };
		if ((rc = mdc_list_columns(s->conn, db, schema, rel, &cl, err)) == 0)
			rc = alloc_typed(s, cl.n, err);
		for (int i = 0; rc == 0 && i < s->ntyped; i++)
			s->typed[i] = mdc_csv_kind_for_type(cl.cols[i].type);
		mdc_column_list_free(&cl);
	}
	return rc;
}

/* A new stream on c, or NULL with err (-EBUSY, -EIO, -ENOMEM). */
static mdc_stream *stream_new(mdc_conn *c, const char *what, mdc_error *err)
{
	PGconn *pg = mdc_conn_pg(c);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		mdc_error_set(err, EIO, "stream: connection is not usable");
		return NULL;
	}
	if (PQtransactionStatus(pg) == PQTRANS_ACTIVE) {
		mdc_error_set(err, EBUSY, "stream: connection is busy with another query");
		return NULL;
	}
	mdc_stream *s = calloc(1, sizeof *s);
	if (!s || !(s->what = strdup(what))) {
		free(s);
		mdc_error_set(err, ENOMEM, "stream: out of memory");
		return NULL;
	}
	s->conn = c;
	s->pg = pg;
	s->state = ST_RUNNING;
	s->results_done = true; /* nothing sent yet: nothing to drain */
	mdc_buf_init(&s->buf);
	return s;
}

/* The checks both opens make first: 0, or -EINVAL with err set. */
static int open_args(mdc_conn *c, bool named, const char *noun, mdc_stream **out,
		     mdc_error *err)
{
	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "stream: no output pointer");
	*out = NULL;
	if (!c || !named)
		return mdc_error_set(err, EINVAL, "stream: missing connection or %s", noun);
	return 0;
}

int mdc_stream_open_csv(mdc_conn *c, const char *db, const char *schema, const char *rel,
			mdc_stream **out, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	int rc = open_args(c, schema && rel, "name", out, err);
	if (rc < 0)
		return rc;
	PGconn *pg = mdc_conn_pg(c);
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		return mdc_error_set(err, EIO, "stream: connection is not usable");

	char *qname = mdc_pq_qualified(pg, db, schema, rel, err);
	if (!qname)
		return err->errnum ? -err->errnum : -EINVAL;
	char *sql = NULL, *what = NULL;
	if (asprintf(&sql, "SELECT * FROM %s", qname) < 0)
		sql = NULL;
	if (asprintf(&what, "read %s", qname) < 0)
		what = NULL;
	free(qname);
	mdc_stream *s = sql && what ? stream_new(c, what, err)
		      : (mdc_error_set(err, ENOMEM, "stream: out of memory"), NULL);
	free(what);
	if (!s)
		rc = -err->errnum;
	else if ((rc = type_from_names(s, db, schema, rel, NULL, err)) < 0)
		rc = close_failed_open(s, rc);
	else
		rc = stream_start(s, sql, false, out, err);
	free(sql);
	return rc;
}

int mdc_stream_open_query(mdc_conn *c, const char *sql, const char *name, mdc_stream **out,
			  mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	int rc = open_args(c, sql != NULL, "query", out, err);
	if (rc < 0)
		return rc;
	char *what = NULL;
	if (asprintf(&what, "query %s", name ? name : "") < 0)
		return mdc_error_set(err, ENOMEM, "stream: out of memory");
	mdc_stream *s = stream_new(c, what, err);
	free(what);
	if (!s)
		return -err->errnum;
	if ((rc = type_from_names(s, NULL, NULL, NULL, sql, err)) < 0)
		return close_failed_open(s, rc);
	s->txn = true;
	return stream_start(s, sql, true, out, err);
}

int mdc_stream_close(mdc_stream *s)
{
	if (!s)
		return 0;
	int rc = drain(s);
	if (rc == 0 && s->txn && mdc_dialect_end_read_only(s->conn) != 0)
		rc = -EIO;
	if (rc == 0) {
		PGTransactionStatusType ts = PQtransactionStatus(s->pg);
		if (PQstatus(s->pg) != CONNECTION_OK ||
		    (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS))
			rc = -EIO;
	}
	mdc_buf_free(&s->buf);
	mdc_csv_cols_free(&s->cols);
	free(s->typed);
	free(s->what);
	free(s);
	return rc;
}
