/* mdclient/seed_script.c - a few statements in one round trip (contract in
 * internal/seed_int.h): libpq's pipeline mode first, then one
 * multi-statement simple query, then one statement at a time. A server's
 * refusal of a way is recognised by its SQLSTATE (0A000 feature not
 * supported, 08P01 protocol violation, 42601 "multiple commands") on one of
 * the first two statements - the script's BEGIN and the statement after it
 * cannot fail that way on their own - and remembered for the process. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/log.h"
#include "mdclient/internal/pqutil.h"
#include "mdclient/internal/seed_int.h"

static _Atomic int refused_ways[3]; /* by mdc_dialect (1, 2) */

int seed_script_refused(mdc_dialect dialect)
{
	return dialect >= 1 && dialect <= 2 ? atomic_load(&refused_ways[dialect]) : 0;
}

static void refuse(mdc_dialect dialect, int way, const char *why)
{
	if (dialect < 1 || dialect > 2)
		return;
	if (!(atomic_fetch_or(&refused_ways[dialect], way) & way))
		mdc_log(LOG_INFO, "the server refused %s (%s): statements go %s from now on",
			way == SEED_BATCH_NO_PIPELINE ? "pipelined statements" : "multi-statement queries",
			why, way == SEED_BATCH_NO_PIPELINE ? "as one multi-statement query" : "one at a time");
}

void seed_script_add(seed_script *s, const char *sql, int nparams, const char *const *params,
		     ExecStatusType expect)
{
	if (s->n >= SEED_SCRIPT_MAX)
		return; /* a caller's bug; the script runs short and the test catches it */
	s->st[s->n].sql = sql;
	s->st[s->n].nparams = nparams;
	for (int i = 0; i < nparams && i < 3; i++)
		s->st[s->n].params[i] = params[i];
	s->st[s->n].expect = expect;
	s->st[s->n].res = NULL;
	s->n++;
}

void seed_script_clear(seed_script *s)
{
	for (size_t i = 0; i < s->n; i++)
		PQclear(s->st[i].res);
	memset(s, 0, sizeof *s);
}

/* A refusal of the batching itself (not of what a statement does). */
static int refusal(const PGresult *res, size_t index)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (index > 1 || !st)
		return 0;
	return strncmp(st, "0A", 2) == 0 || strcmp(st, "08P01") == 0 || strcmp(st, "42601") == 0;
}

/* One answer of statement i: keep it, or fail. 0, 1 refused, -errno. */
static int take(seed_script *s, size_t i, PGresult *res, PGconn *pg, const char *what,
		mdc_error *err, int *failed)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == s->st[i].expect && !*failed) {
		if (st == PGRES_TUPLES_OK && !s->st[i].res) {
			s->st[i].res = res;
			return 0;
		}
		PQclear(res);
		return 0;
	}
	int rc = 0;
	if (st == PGRES_PIPELINE_ABORTED || *failed) {
		/* after the failure: skipped */
	} else if (refusal(res, i)) {
		rc = 1;
		*failed = 1;
	} else {
		rc = mdc_pq_fail(err, pg, res, what);
		s->failed = i;
		*failed = 1;
	}
	PQclear(res);
	return rc;
}

/* Wait for and return the next result (NULL: the current query's end). */
static int next_result(PGconn *pg, const char *what, PGresult **out, mdc_error *err)
{
	int w = mdc_pq_wait_ready(pg, mdc_pq_answer_deadline(), what, err);
	if (w < 0) {
		mdc_pq_abandon(pg);
		return w;
	}
	*out = PQgetResult(pg);
	return 0;
}

static int run_pipeline(PGconn *pg, seed_script *s, const char *what, mdc_error *err)
{
	if (!PQenterPipelineMode(pg))
		return mdc_pq_fail(err, pg, NULL, what);
	int rc = 0, failed = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++)
		if (!PQsendQueryParams(pg, s->st[i].sql, s->st[i].nparams, NULL,
				       s->st[i].nparams ? s->st[i].params : NULL, NULL, NULL, 0))
			rc = mdc_pq_fail(err, pg, NULL, what);
	if (rc == 0 && !PQpipelineSync(pg))
		rc = mdc_pq_fail(err, pg, NULL, what);
	if (rc < 0) {
		mdc_pq_abandon(pg); /* what was queued is unknown: never reuse it */
		return rc;
	}
	int outcome = 0;
	PGresult *res;
	for (size_t i = 0; i < s->n; i++) {
		/* Each query: its result, then NULL. */
		if ((rc = next_result(pg, what, &res, err)) < 0)
			return rc;
		int t = take(s, i, res, pg, what, err, &failed);
		if (outcome == 0)
			outcome = t;
		for (;;) {
			if ((rc = next_result(pg, what, &res, err)) < 0)
				return rc;
			if (!res)
				break;
			PQclear(res); /* more than one result: not ours to keep */
		}
	}
	if ((rc = next_result(pg, what, &res, err)) < 0)
		return rc;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	PQclear(res);
	if (st != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(pg)) {
		mdc_pq_abandon(pg);
		return outcome < 0 ? outcome : mdc_error_set(err, EIO, "%s: the pipeline ended out of step", what);
	}
	return outcome;
}

/* sql with $1..$n replaced by quoted literals (our own catalog SQL: a '$'
 * followed by a digit is always a parameter). malloc'd or NULL. */
static char *inline_params(PGconn *pg, const char *sql, int n, const char *const *params)
{
	mdc_buf b = { 0 };
	for (const char *p = sql; *p; p++) {
		int k = p[0] == '$' && p[1] >= '1' && p[1] <= '9' ? p[1] - '1' : -1;
		if (k < 0 || k >= n) {
			if (mdc_buf_putc(&b, *p) < 0)
				goto oom;
			continue;
		}
		char *lit = PQescapeLiteral(pg, params[k], strlen(params[k]));
		int bad = !lit || mdc_buf_puts(&b, lit) < 0;
		PQfreemem(lit);
		if (bad)
			goto oom;
		p++;
	}
	return b.data ? b.data : strdup("");
oom:
	mdc_buf_free(&b);
	return NULL;
}

/* rollback_first: end the transaction a refused pipeline left first, in
 * the same query (its answer is not one of the script's). */
static int run_multi(PGconn *pg, seed_script *s, int rollback_first, const char *what, mdc_error *err)
{
	mdc_buf q = { 0 };
	if (rollback_first && mdc_buf_puts(&q, "ROLLBACK;\n") < 0)
		return mdc_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		char *sql = s->st[i].nparams ? inline_params(pg, s->st[i].sql, s->st[i].nparams, s->st[i].params)
					     : NULL;
		int bad = (s->st[i].nparams && !sql) || (i && mdc_buf_puts(&q, ";\n") < 0) ||
			  mdc_buf_puts(&q, sql ? sql : s->st[i].sql) < 0;
		free(sql);
		if (bad) {
			mdc_buf_free(&q);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	int ok = PQsendQuery(pg, q.data);
	mdc_buf_free(&q);
	if (!ok)
		return mdc_pq_fail(err, pg, NULL, what);
	int rc, outcome = 0, failed = 0;
	size_t i = 0;
	PGresult *res;
	for (;;) {
		if ((rc = next_result(pg, what, &res, err)) < 0)
			return rc;
		if (!res)
			break;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
			PQclear(res);
			if (mdc_pq_drain(pg) < 0)
				mdc_pq_abandon(pg);
			return mdc_error_set(err, EIO, "%s: the server started an unexpected COPY", what);
		}
		if (rollback_first) {
			rollback_first = 0;
			if (st != PGRES_COMMAND_OK) {
				int rc2 = refusal(res, 0) ? 1 : mdc_pq_fail(err, pg, res, what);
				PQclear(res);
				if (outcome == 0)
					outcome = rc2;
				failed = 1;
			} else {
				PQclear(res);
			}
			continue;
		}
		if (i >= s->n) {
			PQclear(res);
			continue;
		}
		int t = take(s, i, res, pg, what, err, &failed);
		if (outcome == 0)
			outcome = t;
		i++;
	}
	if (outcome == 0 && i < s->n)
		outcome = mdc_error_set(err, EIO, "%s: the server answered %zu of %zu statements", what, i, s->n);
	return outcome;
}

static int run_one_by_one(PGconn *pg, seed_script *s, const char *what, mdc_error *err)
{
	for (size_t i = 0; i < s->n; i++) {
		PGresult *res = NULL;
		int rc = mdc_pq_exec(pg, s->st[i].sql, s->st[i].nparams, s->st[i].nparams ? s->st[i].params : NULL,
				     s->st[i].expect, s->st[i].expect == PGRES_TUPLES_OK ? &res : NULL, err);
		if (rc < 0) {
			s->failed = i;
			return rc;
		}
		s->st[i].res = res;
	}
	return 0;
}

/* After a refused attempt: back to idle (its BEGIN may have run). */
static int reset_after_refusal(PGconn *pg, seed_script *s, const char *what, mdc_error *err)
{
	for (size_t i = 0; i < s->n; i++) {
		PQclear(s->st[i].res);
		s->st[i].res = NULL;
	}
	mdc_error_clear(err);
	if (PQtransactionStatus(pg) != PQTRANS_IDLE &&
	    mdc_pq_exec(pg, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL, err) < 0)
		return -err->errnum;
	return PQtransactionStatus(pg) == PQTRANS_IDLE ? 0
						       : mdc_error_set(err, EIO, "%s: could not roll back", what);
}

int seed_script_run(PGconn *pg, mdc_dialect dialect, seed_script *s, const char *what,
		    mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	s->failed = 0;
	if (mdc_log_enabled(LOG_DEBUG))
		for (size_t i = 0; i < s->n; i++)
			mdc_log(LOG_DEBUG, "sql (batched %zu/%zu): %.300s%s", i + 1, s->n, s->st[i].sql,
				strlen(s->st[i].sql) > 300 ? " …" : "");
	int refused = seed_script_refused(dialect), rollback_first = 0;
	if (!(refused & SEED_BATCH_NO_PIPELINE)) {
		int rc = run_pipeline(pg, s, what, err);
		if (rc != 1)
			return rc;
		refuse(dialect, SEED_BATCH_NO_PIPELINE, "SQLSTATE 0A000/08P01");
		refused = seed_script_refused(dialect);
		/* What the refused attempt began ends in the next one's query. */
		rollback_first = PQtransactionStatus(pg) != PQTRANS_IDLE && !(refused & SEED_BATCH_NO_MULTI);
		if (!rollback_first && (rc = reset_after_refusal(pg, s, what, err)) < 0)
			return rc;
		if (rollback_first)
			for (size_t i = 0; i < s->n; i++) {
				PQclear(s->st[i].res);
				s->st[i].res = NULL;
			}
		mdc_error_clear(err);
	}
	if (!(refused & SEED_BATCH_NO_MULTI)) {
		int rc = run_multi(pg, s, rollback_first, what, err);
		if (rc != 1)
			return rc;
		refuse(dialect, SEED_BATCH_NO_MULTI, "SQLSTATE 0A000/42601");
		if ((rc = reset_after_refusal(pg, s, what, err)) < 0)
			return rc;
	}
	return run_one_by_one(pg, s, what, err);
}
