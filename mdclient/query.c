/* mdclient/query.c - query files: check and describe a user's SQL without
 * running it (contract in query.h). */
#include "mdclient/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "mdclient/internal/buf.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"
#include "mdclient/log.h"

/* After a PQsend*: every result until the NULL, within the answer
 * deadline. 0 with the last one in *out (PQclear it), or -errno with err
 * (the first error the server sent). */
static int await_results(PGconn *pg, const char *what, PGresult **out, mdc_error *err)
{
	PGresult *last = NULL;
	int rc = 0;
	*out = NULL;
	for (;;) {
		PGresult *res;
		int w = mdc_pq_next_result(pg, mdc_pq_answer_deadline(), what, &res, err);
		if (w < 0) {
			PQclear(last);
			mdc_pq_abandon(pg);
			return w;
		}
		if (!res)
			break;
		ExecStatusType st = PQresultStatus(res);
		if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			rc = mdc_pq_fail(err, pg, res, what);
		PQclear(last);
		last = res;
	}
	if (rc == 0 && !last)
		rc = mdc_pq_fail(err, pg, NULL, what);
	if (rc < 0) {
		PQclear(last);
		return rc;
	}
	*out = last;
	return 0;
}

/* Nothing but blanks, semicolons and comments? */
static bool blank_sql(const char *s)
{
	for (;;) {
		s += strspn(s, " \t\r\n\f\v;");
		if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			if (!e)
				return false;
			s = e + 2;
		} else {
			return *s == '\0';
		}
	}
}

/* The dialect's statement check (when it has one): 0, or -EINVAL with why. */
static int statement_check(mdc_conn *c, PGconn *pg, const char *sql, mdc_error *err)
{
	const char *check = mdc_conn_impl(c)->sql_query_check;
	if (!check)
		return 0;
	PGresult *res = NULL;
	const char *params[1] = { sql };
	int rc = mdc_pq_exec(pg, check, 1, params, PGRES_TUPLES_OK, &res, err);
	if (rc < 0)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		PQclear(res);
		return mdc_error_set(err, EIO, "query check: unexpected answer from the server");
	}
	const char *refused = PQgetvalue(res, 0, 0);
	const char *type = PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1);
	const char *msg = PQgetisnull(res, 0, 2) ? "refused" : PQgetvalue(res, 0, 2);
	long n = strtol(PQgetvalue(res, 0, 3), NULL, 10);
	if (refused[0] == 't' || refused[0] == 'T')
		rc = strcmp(type, "not implemented") == 0
		     ? mdc_error_set(err, EINVAL, "not a query: only SELECT statements (SELECT, WITH, FROM, "
				     "VALUES, SHOW, DESCRIBE, SUMMARIZE) can be query files")
		     : mdc_error_set(err, EINVAL, "%s%s%s", type, *type ? " error: " : "", msg);
	else if (n > 1)
		rc = mdc_error_set(err, EINVAL, "one statement per query file (this one has %ld)", n);
	PQclear(res);
	return rc;
}

/* Parse and describe sql as the unnamed statement: 0 and *out (the
 * description: PQnfields, PQfname, PQftype, PQfmod), or -errno. */
static int parse_describe(mdc_conn *c, const char *sql, PGresult **out, mdc_error *err)
{
	PGconn *pg = mdc_conn_pg(c);
	*out = NULL;
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		return mdc_error_set(err, EIO, "query: connection is not usable");
	if (PQtransactionStatus(pg) == PQTRANS_ACTIVE)
		return mdc_error_set(err, EBUSY, "query: connection is busy with another query");
	if (blank_sql(sql))
		return mdc_error_set(err, EINVAL, "empty query: a query file holds one SELECT statement");
	if (strlen(sql) > MDC_QUERY_MAX_BYTES)
		return mdc_error_set(err, EFBIG, "query longer than %d bytes", MDC_QUERY_MAX_BYTES);
	int rc = statement_check(c, pg, sql, err);
	if (rc < 0)
		return rc;
	mdc_log(LOG_DEBUG, "SQL (parse, describe): %s", sql);
	PGresult *res = NULL;
	if (!PQsendPrepare(pg, "", sql, 0, NULL))
		return mdc_pq_fail(err, pg, NULL, "query");
	if ((rc = await_results(pg, "query", &res, err)) < 0)
		return rc;
	PQclear(res);
	if (!PQsendDescribePrepared(pg, ""))
		return mdc_pq_fail(err, pg, NULL, "query");
	if ((rc = await_results(pg, "query", &res, err)) < 0)
		return rc;
	if (PQnparams(res) > 0)
		rc = mdc_error_set(err, EINVAL, "a query file takes no parameters ($1 ...)");
	else if (PQnfields(res) == 0)
		rc = mdc_error_set(err, EINVAL, "not a query: it returns no rows (statements that change "
				   "data or the catalog are refused)");
	if (rc < 0) {
		PQclear(res);
		return rc;
	}
	*out = res;
	return 0;
}

/* The dialect's probe of a described query (when it has one): its head
 * and sql as one statement inside the read-only transaction, rolled back.
 * 0, -EINVAL with the server's reason when it refuses the query, or -errno
 * (the connection: when the rollback fails it is left for the pool to
 * drop). */
static int probe(mdc_conn *c, const char *sql, mdc_error *err)
{
	const char *head = mdc_conn_impl(c)->query_probe;
	if (!head)
		return 0;
	char *stmt = NULL;
	if (asprintf(&stmt, "%s%s", head, sql) < 0)
		return mdc_error_set(err, ENOMEM, "query: out of memory");
	int rc = mdc_dialect_begin_read_only(c, err);
	if (rc == 0)
		rc = mdc_pq_exec(mdc_conn_pg(c), stmt, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	free(stmt);
	if (mdc_dialect_end_read_only(c) != 0 && rc == 0)
		rc = mdc_error_set(err, EIO, "query: the check's rollback failed");
	if (rc < 0 && strncmp(err->sqlstate, "42601", 5) == 0) {
		/* The probe's head takes only queries: the rest is a statement. */
		rc = mdc_error_set(err, EINVAL, "not a query: only SELECT, WITH, VALUES or TABLE "
				   "statements can be query files on this engine");
	} else if (rc < 0 && (strncmp(err->sqlstate, "0A", 2) == 0 ||
			      strncmp(err->sqlstate, "25", 2) == 0 || strncmp(err->sqlstate, "42", 2) == 0)) {
		/* A data-modifying WITH (0A000), a write in a read-only
		 * transaction (25006), what the server refuses to start. */
		char why[MDC_ERRMSG_MAX];
		snprintf(why, sizeof why, "%s", err->message);
		rc = mdc_error_set_sqlstate(err, EINVAL, err->sqlstate, "not a query: statements that "
					    "change data are refused (%s)", why);
	}
	return rc;
}

int mdc_query_check(mdc_conn *c, const char *sql, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	mdc_error_clear(err);
	if (!c || !sql)
		return mdc_error_set(err, EINVAL, "query: missing connection or SQL");
	PGresult *res = NULL;
	int rc = parse_describe(c, sql, &res, err);
	PQclear(res);
	if (rc == 0)
		rc = probe(c, sql, err);
	return rc;
}

void mdc_query_desc_free(mdc_query_desc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->names)
			free(d->names[i]);
		if (d->types)
			free(d->types[i]);
	}
	free(d->names);
	free(d->types);
	memset(d, 0, sizeof *d);
}

/* "{a,b,...}" of the columns' type OIDs (mods: typmods). */
static int array_literal(const PGresult *res, bool mods, mdc_buf *b)
{
	int rc = mdc_buf_put(b, "{", 1);
	for (int i = 0; !rc && i < PQnfields(res); i++) {
		char num[24];
		int n = mods ? snprintf(num, sizeof num, "%s%d", i ? "," : "", PQfmod(res, i))
			     : snprintf(num, sizeof num, "%s%u", i ? "," : "", (unsigned)PQftype(res, i));
		rc = mdc_buf_put(b, num, (size_t)n);
	}
	if (!rc)
		rc = mdc_buf_put(b, "}", 2); /* with the NUL */
	return rc;
}

int mdc_query_describe(mdc_conn *c, const char *sql, mdc_query_desc *out, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "query: no output");
	memset(out, 0, sizeof *out);
	if (!c || !sql)
		return mdc_error_set(err, EINVAL, "query: missing connection or SQL");
	PGresult *desc = NULL, *types = NULL;
	int rc = parse_describe(c, sql, &desc, err);
	if (rc < 0)
		return rc;
	size_t n = (size_t)PQnfields(desc);
	mdc_buf oids = { 0 }, mods = { 0 };
	if (array_literal(desc, false, &oids) || array_literal(desc, true, &mods)) {
		rc = mdc_error_set(err, ENOMEM, "query: out of memory");
		goto out;
	}
	const char *params[3] = { sql, oids.data, mods.data };
	rc = mdc_pq_exec(mdc_conn_pg(c), mdc_conn_impl(c)->sql_result_types, 3, params,
			 PGRES_TUPLES_OK, &types, err);
	if (rc < 0)
		goto out;
	if ((size_t)PQntuples(types) != n || PQnfields(types) < 1) {
		rc = mdc_error_set(err, EIO, "query: the server described %d columns, then typed %d",
				   (int)n, PQntuples(types));
		goto out;
	}
	out->names = calloc(n ? n : 1, sizeof *out->names);
	out->types = calloc(n ? n : 1, sizeof *out->types);
	if (!out->names || !out->types) {
		rc = mdc_error_set(err, ENOMEM, "query: out of memory");
		goto out;
	}
	out->n = n;
	for (size_t i = 0; i < n; i++) {
		out->names[i] = strdup(PQfname(desc, (int)i));
		out->types[i] = strdup(PQgetvalue(types, (int)i, 0));
		if (!out->names[i] || !out->types[i]) {
			rc = mdc_error_set(err, ENOMEM, "query: out of memory");
			goto out;
		}
	}
out:
	if (rc < 0)
		mdc_query_desc_free(out);
	mdc_buf_free(&oids);
	mdc_buf_free(&mods);
	PQclear(desc);
	PQclear(types);
	return rc;
}
