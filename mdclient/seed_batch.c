/* mdclient/seed_batch.c - pass 2's batch encoders (contract in
 * internal/seed_int.h): a converted row goes into the current batch as
 * COPY csv (PostgreSQL, or DuckDB when the server takes it), as one string
 * parameter split server-side (DuckDB: U+001E between rows, U+001F between
 * fields), or as INSERT … VALUES literals (a split batch whose data holds
 * one of those bytes); a full batch is sent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/log.h"
#include "mdclient/internal/pqutil.h"
#include "mdclient/internal/seed_int.h"

#define DEFAULT_VALUES_ROWS 10000
#define COPY_CHUNK ((size_t)1 << 20)

static int send_values(seed_loader *L);
static int send_split(seed_loader *L);

int seed_exec(seed_loader *L, const char *sql)
{
	return mdc_pq_exec(L->pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, L->err);
}

static int fail_load(seed_loader *L, const PGresult *res, const char *what)
{
	return mdc_pq_fail(L->err, L->pg, res, what);
}

int seed_batch_flush(seed_loader *L)
{
	if (L->batch_n == 0 || L->hold)
		return 0;
	int rc;
	if (L->method == MDC_SEED_COPY) {
		if (PQputCopyData(L->pg, L->b.data, (int)L->b.len) != 1)
			return fail_load(L, NULL, "load (COPY)");
		rc = 0;
	} else if (L->method == MDC_SEED_VALUES || L->batch_values) {
		rc = send_values(L);
	} else {
		rc = send_split(L);
	}
	if (rc < 0)
		return rc;
	L->rows_sent += (int64_t)L->batch_n;
	L->b.len = 0;
	L->batch_n = 0;
	L->batch_values = 0;
	return 0;
}

/* The outcome of one batch's INSERT: 0, or the failure (res is cleared). */
static int batch_done(seed_loader *L, PGresult *res)
{
	int rc = 0;
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = fail_load(L, res, "load");
	PQclear(res);
	return rc;
}

static int send_values(seed_loader *L)
{
	mdc_log(LOG_DEBUG, "sql: INSERT INTO %s VALUES … (%zu rows, %zu bytes)", L->rel, L->batch_n, L->b.len);
	return batch_done(L, PQexec(L->pg, L->b.data));
}

static int send_split(seed_loader *L)
{
	const char *params[1] = { L->b.data };
	mdc_log(LOG_DEBUG, "sql: %s [$1 = %zu rows, %zu bytes]", L->sql_split.data, L->batch_n, L->b.len);
	return batch_done(L, PQexecParams(L->pg, L->sql_split.data, 1, NULL, params, NULL, NULL, 0));
}

int seed_column_list(const seed_loader *L, mdc_buf *b)
{
	if (mdc_buf_puts(b, " (") < 0)
		return -1;
	for (size_t i = 0; i < L->p->n; i++)
		if ((i && mdc_buf_puts(b, ", ") < 0) || mdc_buf_puts(b, L->qcols[i]) < 0)
			return -1;
	return mdc_buf_putc(b, ')');
}

static int start_values_batch(seed_loader *L)
{
	L->b.len = 0;
	if (mdc_buf_puts(&L->b, "INSERT INTO ") < 0 || mdc_buf_puts(&L->b, L->rel) < 0 ||
	    seed_column_list(L, &L->b) < 0 || mdc_buf_puts(&L->b, " VALUES ") < 0)
		return -1;
	return 0;
}

static int add_literal(seed_loader *L, const char *v, size_t n)
{
	if (!v)
		return mdc_buf_puts(&L->b, "NULL");
	char *lit = PQescapeLiteral(L->pg, v, n);
	if (!lit)
		return -1;
	int rc = mdc_buf_puts(&L->b, lit);
	PQfreemem(lit);
	return rc;
}

/* Bytes that make a COPY csv field need quotes: the delimiter, the quote,
 * line ends; a leading backslash could start the "\." end marker. */
static const unsigned char copy_special[256] = {
	[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1,
};

/* A non-NULL value the server's CSV reader takes unquoted, unchanged
 * (copy_in_plain_fields): not empty (that is NULL), no special byte, not
 * starting with a backslash. */
static int copy_plain_ok(const char *v, size_t n)
{
	if (n == 0 || v[0] == '\\')
		return 0;
	const unsigned char *p = (const unsigned char *)v;
	unsigned acc = 0;
	for (size_t k = 0; k < n; k++)
		acc |= copy_special[p[k]];
	return !acc;
}

/* Encode one converted row into the current batch. */
int seed_batch_add_row(seed_loader *L)
{
	size_t n = L->p->n;
	if (L->method == MDC_SEED_COPY) {
		for (size_t i = 0; i < n; i++) {
			if (i && mdc_buf_putc(&L->b, ',') < 0)
				return -1;
			if (!L->vals[i])
				continue;
			if (L->copy_plain && copy_plain_ok(L->vals[i], L->lens[i])) {
				if (mdc_buf_put(&L->b, L->vals[i], L->lens[i]) < 0)
					return -1;
				continue;
			}
			if (mdc_buf_reserve(&L->b, 2 * L->lens[i] + 2) < 0)
				return -1;
			char *d = L->b.data + L->b.len;
			*d++ = '"';
			for (size_t k = 0; k < L->lens[i]; k++) {
				char c = L->vals[i][k];
				if (c == '"')
					*d++ = '"';
				*d++ = c;
			}
			*d++ = '"';
			L->b.len = (size_t)(d - L->b.data);
		}
		if (mdc_buf_putc(&L->b, '\n') < 0)
			return -1;
		L->batch_n++;
		return 0;
	}
	int dirty = 0;
	if (L->method == MDC_SEED_SPLIT && !L->batch_values) {
		for (size_t i = 0; i < n && !dirty; i++)
			if (L->vals[i] && (memchr(L->vals[i], 0x1e, L->lens[i]) || memchr(L->vals[i], 0x1f, L->lens[i])))
				dirty = 1;
		if (dirty) {
			/* Keep file order: send what we have, go on as VALUES. */
			if (seed_batch_flush(L) < 0)
				return -2;
			L->batch_values = 1;
		}
	}
	if (L->method == MDC_SEED_VALUES || L->batch_values) {
		if (L->batch_n == 0 && start_values_batch(L) < 0)
			return -1;
		if (L->batch_n && mdc_buf_putc(&L->b, ',') < 0)
			return -1;
		if (mdc_buf_putc(&L->b, '(') < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (i && mdc_buf_putc(&L->b, ',') < 0)
				return -1;
			if (add_literal(L, L->vals[i], L->lens[i]) < 0)
				return -1;
		}
		if (mdc_buf_putc(&L->b, ')') < 0)
			return -1;
		L->batch_n++;
		return 0;
	}
	if (L->batch_n && mdc_buf_putc(&L->b, 0x1e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i && mdc_buf_putc(&L->b, 0x1f) < 0)
			return -1;
		if (L->vals[i] && mdc_buf_put(&L->b, L->vals[i], L->lens[i]) < 0)
			return -1;
	}
	L->batch_n++;
	return 0;
}

int seed_batch_full(const seed_loader *L)
{
	size_t rows = L->batch_rows;
	if ((L->method == MDC_SEED_VALUES || L->batch_values) && !L->o->batch_rows)
		rows = DEFAULT_VALUES_ROWS;
	if (L->method == MDC_SEED_COPY)
		return L->b.len >= COPY_CHUNK;
	return L->batch_n >= rows || L->b.len >= L->batch_bytes;
}

int seed_batch_split_sql(seed_loader *L)
{
	mdc_buf *s = &L->sql_split;
	s->len = 0;
	if (mdc_buf_puts(s, "INSERT INTO ") < 0 || mdc_buf_puts(s, L->rel) < 0 ||
	    seed_column_list(L, s) < 0 || mdc_buf_puts(s, " SELECT ") < 0)
		return -1;
	for (size_t i = 0; i < L->p->n; i++) {
		char tmp[64];
		const char *type = L->types ? L->types[i] : L->p->cols[i].sql_type;
		snprintf(tmp, sizeof tmp, "%sCAST(nullif(f[%zu], '') AS ", i ? ", " : "", i + 1);
		if (mdc_buf_puts(s, tmp) < 0 || mdc_buf_puts(s, type) < 0 || mdc_buf_putc(s, ')') < 0)
			return -1;
	}
	return mdc_buf_puts(s, " FROM (SELECT string_split(r, chr(31)) AS f FROM "
			 "unnest(string_split(CAST($1 AS VARCHAR), chr(30))) AS u(r))");
}

/* Try COPY FROM STDIN: 1 started, 0 refused (the transaction must be redone), <0 broken. */
int seed_copy_start(seed_loader *L)
{
	mdc_buf s = { 0 };
	if (mdc_buf_puts(&s, "COPY ") < 0 || mdc_buf_puts(&s, L->rel) < 0 ||
	    seed_column_list(L, &s) < 0 || mdc_buf_puts(&s, " FROM STDIN (FORMAT csv)") < 0)
		goto oom;
	mdc_log(LOG_DEBUG, "sql: %s", s.data);
	PGresult *res = PQexec(L->pg, s.data);
	mdc_buf_free(&s);
	if (res && PQresultStatus(res) == PGRES_COPY_IN) {
		PQclear(res);
		L->in_copy = 1;
		return 1;
	}
	mdc_error tmp;
	mdc_error_clear(&tmp);
	if (res)
		mdc_log(LOG_DEBUG, "COPY FROM STDIN refused: %s", PQresultErrorMessage(res));
	PQclear(res);
	if (mdc_pq_drain(L->pg) < 0)
		return mdc_error_set(L->err, EIO, "connection lost");
	return 0;
oom:
	mdc_buf_free(&s);
	return mdc_error_set(L->err, ENOMEM, "out of memory");
}

int seed_copy_end(seed_loader *L, const char *failure)
{
	L->in_copy = 0;
	if (PQputCopyEnd(L->pg, failure) != 1)
		return fail_load(L, NULL, "load (COPY)");
	int rc = 0;
	PGresult *res;
	for (;;) {
		int w = mdc_pq_wait_ready(L->pg, mdc_pq_answer_deadline(), "load (COPY)", L->err);
		if (w < 0) {
			mdc_pq_abandon(L->pg);
			return w;
		}
		if ((res = PQgetResult(L->pg)) == NULL)
			break;
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && rc == 0 && !failure)
			rc = fail_load(L, res, "load");
		PQclear(res);
	}
	return rc;
}
