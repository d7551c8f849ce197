/* mdclient/parquet_export.c - a table as a Parquet file over libpq
 * (contract in parquet.h): the columns from the catalog, then the rows,
 * on PostgreSQL as COPY (SELECT ...) TO STDOUT (FORMAT binary) decoded by
 * parquet_pgbin.c, elsewhere (or when that statement is refused) as a
 * SELECT in single-row mode whose text values the writer parses. The only
 * Parquet module that knows libpq.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "mdclient/catalog.h"
#include "mdclient/log.h"
#include "mdclient/query.h"
#include "mdclient/internal/pqutil.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/internal/parquet_int.h"

/* After a failure: cancel what still runs and read the rest (COPY data
 * included), for at most 200 ms, so the connection can be reused; a server that
 * ignores the cancel leaves it busy, and the pool closes it. */
static void end_query(mdc_conn *c, PGconn *pg, bool final_seen, const char *what)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return;
	if (!final_seen)
		mdc_conn_cancel(c);
	int64_t deadline = mdc_now_ms() + 200;
	for (;;) {
		mdc_error e;
		mdc_error_clear(&e);
		/* Checked here too: rows that keep coming never make us wait. */
		if (mdc_now_ms() >= deadline)
			mdc_error_set(&e, ETIMEDOUT, "rows still coming");
		PGresult *res = NULL;
		if (e.errnum || mdc_pq_next_result(pg, deadline, what, &res, &e) != 0) {
			mdc_log(LOG_WARNING, "%s: could not end the query (%s)", what, e.message);
			return;
		}
		if (!res)
			return;
		bool copy = PQresultStatus(res) == PGRES_COPY_OUT;
		PQclear(res);
		int n = 1;
		while (copy && n == 1) {
			char *buf = NULL;
			int len;
			if (mdc_now_ms() >= deadline)
				n = mdc_error_set(&e, ETIMEDOUT, "COPY data still coming");
			else if ((n = mdc_pq_copy_next(pg, &buf, &len, deadline, what, &e)) == 1)
				PQfreemem(buf);
		}
		if (n < 0) {
			mdc_log(LOG_WARNING, "%s: could not end the query (%s)", what, e.message);
			return;
		}
	}
}

/* The export's statement over qname (a quoted name or a table function):
 * without kinds (the SELECT path) "SELECT col, CAST(to_json(col) AS TEXT),
 * ... FROM qname", JSON for the nested columns; with kinds (the COPY path)
 * "COPY (SELECT col, CASE WHEN num_nulls(col) = 0 THEN format('%s', col) END,
 * CAST(to_json(col) AS TEXT), ... FROM qname) TO STDOUT (FORMAT binary)",
 * kinds[i] set to how column i arrives. Malloc'd, or NULL with err. */
static char *build_sql(PGconn *pg, mdc_parquet_writer *w, const char *qname, parquet_pgbin_kind *kinds,
		       mdc_error *err)
{
	mdc_buf sql = { 0 };
	const char *head = kinds ? "COPY (SELECT " : "SELECT ";
	const char *tail = kinds ? ") TO STDOUT (FORMAT binary)" : "";
	int rc = mdc_buf_puts(&sql, head);
	for (size_t i = 0; !rc && i < w->ncols; i++) {
		char *id = PQescapeIdentifier(pg, w->cols[i].name, strlen(w->cols[i].name));
		if (!id) {
			mdc_buf_free(&sql);
			mdc_error_set(err, EINVAL, "parquet: cannot quote column name: %s", PQerrorMessage(pg));
			return NULL;
		}
		bool as_text = false;
		if (kinds)
			kinds[i] = parquet_pgbin_kind_of(&w->cols[i], &as_text);
		const char *pre = "", *mid = NULL, *post = "";
		if (w->cols[i].t.k == KIND_JSON) {
			pre = "CAST(to_json(";
			post = ") AS TEXT)";
		} else if (as_text) {
			/* the type's output function, as the text protocol sends it
			 * (num_nulls: "x IS NULL" is true for a composite of NULLs) */
			pre = "CASE WHEN num_nulls(";
			mid = ") = 0 THEN format('%s', ";
			post = ") END";
		}
		if (i)
			rc = mdc_buf_put(&sql, ", ", 2);
		if (!rc)
			rc = mdc_buf_puts(&sql, pre);
		if (!rc)
			rc = mdc_buf_puts(&sql, id);
		if (!rc && mid)
			rc = mdc_buf_puts(&sql, mid);
		if (!rc && mid)
			rc = mdc_buf_puts(&sql, id);
		if (!rc)
			rc = mdc_buf_puts(&sql, post);
		PQfreemem(id);
	}
	if (!rc)
		rc = mdc_buf_put(&sql, " FROM ", 6);
	if (!rc)
		rc = mdc_buf_puts(&sql, qname);
	if (!rc)
		rc = mdc_buf_puts(&sql, tail);
	if (rc) {
		mdc_buf_free(&sql);
		mdc_error_set(err, ENOMEM, "parquet: out of memory");
		return NULL;
	}
	return sql.data;
}

/* PostgreSQL: the rows as COPY ... TO STDOUT (FORMAT binary): no PGresult
 * per row and no text to parse for the built-in types. *fallback is set
 * (and nothing was written) when the server refuses the statement itself
 * (SQLSTATE class 42 or 0A: a PostgreSQL look-alike without binary COPY,
 * format or num_nulls); the caller then uses the SELECT path. */
static int export_copy(mdc_conn *c, PGconn *pg, mdc_parquet_writer *w, const char *qname,
		       const char *what, bool *fallback, mdc_error *err)
{
	*fallback = false;
	parquet_copy_rd rd = { 0 };
	parquet_pgbin_kind *kinds = calloc(w->ncols, sizeof *kinds);
	rd.vals = calloc(w->ncols, sizeof *rd.vals);
	rd.lens = calloc(w->ncols, sizeof *rd.lens);
	rd.kinds = kinds;
	char *sql = NULL;
	bool sent = false, final_seen = false;
	int rc = 0;
	if (!kinds || !rd.vals || !rd.lens) {
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	if (!(sql = build_sql(pg, w, qname, kinds, err))) {
		rc = -err->errnum;
		goto out;
	}
	PGresult *res = NULL;
	if ((rc = mdc_pq_send(pg, sql, false, 0, NULL, false, what, &sent, err)) != 0 ||
	    (rc = mdc_pq_next_result(pg, mdc_pq_answer_deadline(), what, &res, err)) != 0)
		goto out;
	if (!res) {
		sent = false;
		rc = mdc_error_set(err, EIO, "%s: no result", what);
		goto out;
	}
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		final_seen = true;
		if (state && (strncmp(state, "42", 2) == 0 || strncmp(state, "0A", 2) == 0)) {
			*fallback = true;
			rc = mdc_error_set(err, EIO, "%s: binary COPY refused (%s): %s", what, state,
					   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
					   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "?");
		} else {
			rc = mdc_pq_fail(err, pg, res, what);
		}
		PQclear(res);
		goto out;
	}
	PQclear(res);
	for (;;) {
		char *buf = NULL;
		int len = 0;
		int n = mdc_pq_copy_next(pg, &buf, &len, mdc_pq_answer_deadline(), what, err);
		if (n < 0) {
			rc = n;
			goto out;
		}
		if (n == 0)
			break;
		rc = parquet_copy_feed(&rd, w, (const uint8_t *)buf, (size_t)len, what, err);
		PQfreemem(buf);
		if (rc)
			goto out;
	}
	for (;;) {
		if ((rc = mdc_pq_next_result(pg, mdc_pq_answer_deadline(), what, &res, err)) != 0)
			goto out;
		if (!res) {
			sent = false;
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK) {
			rc = mdc_pq_fail(err, pg, res, what);
			PQclear(res);
			final_seen = true;
			goto out;
		}
		final_seen = true;
		PQclear(res);
	}
	if (!final_seen || !rd.trailer)
		rc = mdc_error_set(err, EIO, "%s: the COPY data ended early", what);
out:
	if (sent)
		end_query(c, pg, final_seen, what);
	mdc_buf_free(&rd.pend);
	free(kinds);
	free(rd.vals);
	free(rd.lens);
	free(sql);
	return rc;
}

/* The rows of sql (nparams text params) in single-row mode into w (ncols
 * columns), the SELECT path; extended: the extended protocol (one
 * statement). 0 or -errno with err; the query is ended either way. */
static int export_select(mdc_conn *c, PGconn *pg, mdc_parquet_writer *w, size_t ncols,
			 const char *sql, bool extended, int nparams, const char *const *params,
			 const char *what, mdc_error *err)
{
	const char **vals = calloc(ncols, sizeof *vals);
	int *lens = calloc(ncols, sizeof *lens);
	bool sent = false, final_seen = false;
	int rc = 0;
	if (!vals || !lens) {
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	if ((rc = mdc_pq_send(pg, sql, extended, nparams, params, true, what, &sent, err)) != 0)
		goto out;
	for (;;) {
		PGresult *res = NULL;
		if ((rc = mdc_pq_next_result(pg, mdc_pq_answer_deadline(), what, &res, err)) != 0)
			goto out;
		if (!res) {
			sent = false;
			if (!final_seen) {
				rc = mdc_error_set(err, EIO, "%s: results ended without a final status", what);
				goto out;
			}
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_SINGLE_TUPLE && !final_seen) {
			if ((size_t)PQnfields(res) != ncols) {
				PQclear(res);
				rc = mdc_error_set(err, EIO, "%s: the table changed (columns) during the export", what);
				goto out;
			}
			for (size_t i = 0; i < ncols; i++) {
				if (PQgetisnull(res, 0, (int)i)) {
					vals[i] = NULL;
				} else {
					vals[i] = PQgetvalue(res, 0, (int)i);
					lens[i] = PQgetlength(res, 0, (int)i);
				}
			}
			rc = mdc_parquet_writer_add_row(w, vals, lens, err);
			PQclear(res);
			if (rc)
				goto out;
		} else if (st == PGRES_TUPLES_OK || st == PGRES_SINGLE_TUPLE) {
			if (st == PGRES_TUPLES_OK && (size_t)PQnfields(res) != ncols) {
				PQclear(res);
				final_seen = true;
				rc = mdc_error_set(err, EIO, "%s: the result has other columns than described", what);
				goto out;
			}
			final_seen = true;
			PQclear(res);
		} else {
			rc = mdc_pq_fail(err, pg, res, what);
			PQclear(res);
			final_seen = true;
			goto out;
		}
	}
out:
	if (sent)
		end_query(c, pg, final_seen, what);
	free(vals);
	free(lens);
	return rc;
}

/* The rows are in: the footer, and a debug line of what was written. */
static int finish_file(mdc_parquet_writer *w, const char *what, mdc_error *err)
{
	int rc = mdc_parquet_writer_finish(w, err);
	if (!rc)
		mdc_log(LOG_DEBUG, "%s: %lld rows, %llu bytes", what,
			(long long)mdc_parquet_writer_rows(w), (unsigned long long)mdc_parquet_writer_size(w));
	return rc;
}

int mdc_parquet_export(mdc_conn *c, const char *db, const char *schema, const char *rel,
		       int fd, const mdc_parquet_options *o, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	mdc_error_clear(err);
	if (!c || !schema || !rel || fd < 0)
		return mdc_error_set(err, EINVAL, "parquet export: missing connection, name or file");
	PGconn *pg = mdc_conn_pg(c);
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		return mdc_error_set(err, EIO, "parquet export: connection is not usable");
	if (PQtransactionStatus(pg) == PQTRANS_ACTIVE)
		return mdc_error_set(err, EBUSY, "parquet export: connection is busy with another query");

	mdc_column_list cols = { 0 };
	int rc = mdc_list_columns(c, db, schema, rel, &cols, err);
	if (rc)
		return rc;
	if (cols.n == 0) {
		mdc_column_list_free(&cols);
		return mdc_error_set(err, ENOTSUP, "parquet export: %s.%s has no columns", schema, rel);
	}
	const char **names = calloc(cols.n, sizeof *names);
	const char **types = calloc(cols.n, sizeof *types);
	mdc_parquet_writer *w = NULL;
	char *qname = NULL, *sql = NULL, *what = NULL;
	if (!names || !types) {
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cols.n; i++) {
		names[i] = cols.cols[i].name;
		types[i] = cols.cols[i].type;
	}
	if ((rc = mdc_parquet_writer_open(fd, cols.n, names, types, mdc_conn_impl(c)->value_text, o, &w,
					   err)) != 0)
		goto out;
	if (!(qname = mdc_pq_qualified(pg, db, schema, rel, err))) {
		rc = err->errnum ? -err->errnum : -EINVAL;
		goto out;
	}
	if (asprintf(&what, "parquet export of %s", qname) < 0) {
		what = NULL;
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	if (mdc_conn_impl(c)->export_binary_copy) {
		bool fallback = false;
		rc = export_copy(c, pg, w, qname, what, &fallback, err);
		if (!fallback)
			goto done;
		mdc_log(LOG_INFO, "%s; using SELECT instead", err->message);
		mdc_error_clear(err);
		rc = 0;
	}
	if (!(sql = build_sql(pg, w, qname, NULL, err))) {
		rc = -err->errnum;
		goto out;
	}
	rc = export_select(c, pg, w, cols.n, sql, false, 0, NULL, what, err);
done:
	if (!rc)
		rc = finish_file(w, what, err);
out:
	mdc_parquet_writer_free(w);
	free(what);
	free(sql);
	free(qname);
	free(names);
	free(types);
	mdc_column_list_free(&cols);
	return rc;
}

int mdc_parquet_export_query(mdc_conn *c, const char *sql, const char *name, int fd,
			     const mdc_parquet_options *o, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	mdc_error_clear(err);
	if (!c || !sql || fd < 0)
		return mdc_error_set(err, EINVAL, "parquet export: missing connection, query or file");
	PGconn *pg = mdc_conn_pg(c);
	const mdc_dialect_impl *d = mdc_conn_impl(c);
	mdc_query_desc desc = { 0 };
	mdc_parquet_writer *w = NULL;
	char *what = NULL, *wrapped = NULL;
	bool txn = false;
	int rc = mdc_query_describe(c, sql, &desc, err);
	if (rc < 0)
		return rc;
	if (asprintf(&what, "parquet export of query %s", name ? name : "") < 0) {
		what = NULL;
		rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
		goto out;
	}
	/* Nested values come as JSON only through the dialect's query source;
	 * without one they stay the server's text. */
	bool nested = false;
	for (size_t i = 0; i < desc.n; i++) {
		parquet_coltype t;
		parquet_map_type(desc.types[i], &t);
		if (t.k != KIND_JSON)
			continue;
		nested = true;
		if (!d->query_source_fn) {
			char *text = strdup("text");
			if (!text) {
				rc = mdc_error_set(err, ENOMEM, "parquet export: out of memory");
				goto out;
			}
			free(desc.types[i]);
			desc.types[i] = text;
		}
	}
	if ((rc = mdc_parquet_writer_open(fd, desc.n, (const char *const *)desc.names,
					  (const char *const *)desc.types, d->value_text, o, &w, err)) != 0)
		goto out;
	if ((rc = mdc_dialect_begin_read_only(c, err)) < 0)
		goto out;
	txn = true;
	if (nested && d->query_source_fn) {
		char *lit = PQescapeLiteral(pg, sql, strlen(sql)), *source = NULL;
		if (!lit || asprintf(&source, "%s(%s)", d->query_source_fn, lit) < 0)
			source = NULL;
		PQfreemem(lit);
		if (!source) {
			rc = mdc_error_set(err, ENOMEM, "%s: cannot quote the query: %s", what,
					   PQerrorMessage(pg));
			goto out;
		}
		wrapped = build_sql(pg, w, source, NULL, err);
		free(source);
		if (!wrapped) {
			rc = -err->errnum;
			goto out;
		}
		rc = export_select(c, pg, w, desc.n, wrapped, true, 0, NULL, what, err);
	} else {
		rc = export_select(c, pg, w, desc.n, sql, true, 0, NULL, what, err);
	}
	if (!rc)
		rc = finish_file(w, what, err);
out:
	if (txn && mdc_dialect_end_read_only(c) != 0 && rc == 0)
		rc = mdc_error_set(err, EIO, "%s: could not end the read-only transaction", what);
	mdc_parquet_writer_free(w);
	mdc_query_desc_free(&desc);
	free(what);
	free(wrapped);
	return rc;
}
