/* mdclient/seed.c - load a CSV as `dbt seed --full-refresh` would. See seed.h.
 *
 * Pass 1 (plan) streams the file through csv_in + seed_infer; pass 2 streams
 * it again, converts each cell to the value dbt loads and sends batches:
 * COPY FROM STDIN (PostgreSQL, or DuckDB when the server takes it), one
 * string parameter split server-side (DuckDB), or INSERT … VALUES literals.
 */
#include "mdclient/seed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mdclient/csv_in.h"
#include "mdclient/log.h"
#include "mdclient/pqutil.h"
#include "mdclient/seed_infer.h"

#define MAX_COLUMNS 1600
#define DEFAULT_BATCH_ROWS 50000
#define DEFAULT_VALUES_ROWS 10000
#define DEFAULT_BATCH_BYTES ((size_t)8 << 20)
#define COPY_CHUNK ((size_t)1 << 20)
#define PROGRESS_STEP ((int64_t)4 << 20)
#define DUCKDB_COPY_MAX_LINE ((size_t)1 << 20)

/* ------------------------------------------------------------ buffers */

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf;

static int sb_reserve(sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int sb_add(sbuf *b, const char *s, size_t n)
{
	if (sb_reserve(b, n) < 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sb_str(sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

static int sb_ch(sbuf *b, char c)
{
	return sb_add(b, &c, 1);
}

static void sb_free(sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ names */

char *mdc_seed_table_name(const char *filename)
{
	if (!filename)
		return NULL;
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *r = malloc(n + 1);
	if (!r)
		return NULL;
	memcpy(r, base, n);
	r[n] = '\0';
	return r;
}

/* agate's letter_name: a..z, then aa, bb, ..., zz, aaa, ... */
static char *letter_name(size_t i)
{
	size_t reps = i / 26 + 1;
	char *r = malloc(reps + 1);
	if (!r)
		return NULL;
	memset(r, 'a' + (int)(i % 26), reps);
	r[reps] = '\0';
	return r;
}

static int name_taken(char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

static int plain_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '$' ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* ------------------------------------------------------------ pass 1 */

typedef struct column {
	char *name;
	const char *sql_type;      /* static (inferred) or the override's string */
	mdc_seed_kind kind;
	mdc_seed_col_infer inf;
	int overridden;
} column;

typedef struct plan {
	column *cols;
	size_t n;
	int64_t rows;
	int64_t size;
	size_t max_record;     /* bytes of the longest record's fields */
} plan;

static void plan_clear(plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->cols[i].name);
	free(p->cols);
	memset(p, 0, sizeof *p);
}

static int open_input(const char *path, int64_t *size, mdc_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return mdc_error_set(err, e, "cannot open %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mdc_error_set(err, EINVAL, "%s is not a regular file", path);
	}
	*size = (int64_t)st.st_size;
	return fd;
}

static void report(const mdc_seed_options *o, int64_t done, int64_t total, int64_t rows)
{
	if (o && o->progress)
		o->progress(o->progress_ud, done, total, rows);
}

static int cancelled(const mdc_seed_options *o)
{
	return o && o->cancel && *o->cancel;
}

static int do_plan(const char *path, const mdc_seed_options *o, plan *p, mdc_error *err)
{
	memset(p, 0, sizeof *p);
	int64_t size = 0;
	int fd = open_input(path, &size, err);
	if (fd < 0)
		return fd;
	p->size = size;
	mdc_csv_reader *r = NULL;
	int rc = mdc_csv_open_fd(fd, o ? o->delimiter : 0, o ? o->max_field : 0, &r, err);
	if (rc < 0)
		goto out;
	const mdc_csv_field *f;
	size_t n;
	int blank;
	rc = mdc_csv_next(r, &f, &n, &blank, err);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = mdc_error_set(err, EINVAL, "the file is empty (a seed needs at least a header line)");
		goto out;
	}
	if (n == 0) {
		rc = mdc_error_set(err, EINVAL, "the header line (line 1) is empty");
		goto out;
	}
	if (n > MAX_COLUMNS) {
		rc = mdc_error_set(err, EINVAL, "the header has %zu columns (at most %d)", n, MAX_COLUMNS);
		goto out;
	}
	p->cols = calloc(n, sizeof *p->cols);
	char **names = calloc(n, sizeof *names);
	if (!p->cols || !names) {
		free(names);
		rc = mdc_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *nm = f[i].len ? strndup(f[i].ptr, f[i].len) : letter_name(i);
		if (nm && name_taken(names, i, nm)) {
			size_t base = strlen(nm);
			char *cand = malloc(base + 24);
			for (unsigned k = 2; cand; k++) {
				snprintf(cand, base + 24, "%s_%u", nm, k);
				if (!name_taken(names, i, cand))
					break;
			}
			free(nm);
			nm = cand;
		}
		if (!nm) {
			for (size_t j = 0; j < i; j++)
				free(names[j]);
			free(names);
			rc = mdc_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
		names[i] = nm;
	}
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		column *c = &p->cols[i];
		c->name = names[i];
		for (size_t k = 0; o && k < o->n_column_types; k++) {
			if (o->column_types[k].column && o->column_types[k].sql_type &&
			    strcmp(o->column_types[k].column, c->name) == 0) {
				c->overridden = 1;
				c->sql_type = o->column_types[k].sql_type;
			}
		}
		mdc_seed_infer_init(&c->inf, c->overridden);
	}
	free(names);
	for (size_t k = 0; o && k < o->n_column_types; k++) {
		const char *key = o->column_types[k].column;
		if (key) {
			int found = 0;
			for (size_t i = 0; i < n; i++)
				found |= strcmp(p->cols[i].name, key) == 0;
			if (!found)
				mdc_log(LOG_WARNING, "seed %s: column_types names \"%s\", which is not a column of the file (ignored)",
					path, key);
		}
	}

	int64_t next_report = PROGRESS_STEP;
	for (;;) {
		if (cancelled(o)) {
			rc = mdc_error_set(err, ECANCELED, "cancelled");
			goto out;
		}
		rc = mdc_csv_next(r, &f, &n, &blank, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		p->rows++;
		if (n > p->n) {
			rc = mdc_error_set(err, EINVAL, "row %lld (line %lld) has %zu values, but the header has %zu columns",
					   (long long)p->rows, (long long)mdc_csv_record_line(r), n, p->n);
			goto out;
		}
		size_t rec = 0;
		for (size_t i = 0; i < n; i++) {
			mdc_seed_infer_add(&p->cols[i].inf, f[i].ptr, f[i].len);
			rec += f[i].len + 1;
		}
		if (rec > p->max_record)
			p->max_record = rec;
		if (mdc_csv_bytes_read(r) >= next_report) {
			report(o, mdc_csv_bytes_read(r), 2 * size, p->rows);
			next_report = mdc_csv_bytes_read(r) + PROGRESS_STEP;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		column *c = &p->cols[i];
		c->kind = mdc_seed_infer_kind(&c->inf);
		if (!c->overridden)
			c->sql_type = mdc_seed_infer_sql_type(&c->inf);
	}
	report(o, size, 2 * size, p->rows);
	rc = 0;
out:
	mdc_csv_close(r);
	close(fd);
	if (rc < 0)
		plan_clear(p);
	return rc;
}

int mdc_seed_plan_file(const char *path, const mdc_seed_options *o, mdc_seed_plan *out,
		       mdc_error *err)
{
	memset(out, 0, sizeof *out);
	plan p;
	int rc = do_plan(path, o, &p, err);
	if (rc < 0)
		return rc;
	out->names = calloc(p.n, sizeof *out->names);
	out->sql_types = calloc(p.n, sizeof *out->sql_types);
	if (!out->names || !out->sql_types) {
		free(out->names);
		free(out->sql_types);
		out->names = out->sql_types = NULL;
		plan_clear(&p);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	out->n = p.n;
	out->rows = p.rows;
	for (size_t i = 0; i < p.n; i++) {
		out->names[i] = p.cols[i].name;
		p.cols[i].name = NULL;
		out->sql_types[i] = strdup(p.cols[i].sql_type);
		if (!out->sql_types[i]) {
			plan_clear(&p);
			mdc_seed_plan_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	plan_clear(&p);
	return 0;
}

void mdc_seed_plan_free(mdc_seed_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->names)
			free(p->names[i]);
		if (p->sql_types)
			free(p->sql_types[i]);
	}
	free(p->names);
	free(p->sql_types);
	memset(p, 0, sizeof *p);
}

void mdc_seed_result_free(mdc_seed_result *res)
{
	if (!res)
		return;
	free(res->summary);
	memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------ loading */

typedef struct loader {
	PGconn *pg;
	mdc_dialect dialect;
	const plan *p;
	const mdc_seed_options *o;
	mdc_error *err;
	char *rel;             /* quoted "db"."schema"."table" */
	char **qcols;          /* quoted (or plain) column names */
	mdc_seed_method method;
	size_t batch_rows, batch_bytes;
	sbuf sql_split;        /* INSERT … SELECT … string_split($1) */
	sbuf b;                /* current batch */
	size_t batch_n;
	int batch_values;      /* the current batch is VALUES (DuckDB split fallback) */
	int in_copy;
	int64_t rows_sent;
	/* per-row scratch */
	const char **vals;
	size_t *lens;
	char **cbuf;           /* per-column conversion buffers */
	size_t *ccap;
} loader;

static int send_values(loader *L);
static int send_split(loader *L);

static int exec_cmd(loader *L, const char *sql)
{
	return mdc_pq_exec(L->pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, L->err);
}

static int fail_load(loader *L, const PGresult *res, const char *what)
{
	return mdc_pq_fail(L->err, L->pg, res, what);
}

static int flush_batch(loader *L)
{
	if (L->batch_n == 0)
		return 0;
	int rc;
	if (L->method == MDC_SEED_COPY) {
		if (PQputCopyData(L->pg, L->b.p, (int)L->b.len) != 1)
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
static int batch_done(loader *L, PGresult *res)
{
	int rc = 0;
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = fail_load(L, res, "load");
	PQclear(res);
	return rc;
}

static int send_values(loader *L)
{
	mdc_log(LOG_DEBUG, "sql: INSERT INTO %s VALUES … (%zu rows, %zu bytes)", L->rel, L->batch_n, L->b.len);
	return batch_done(L, PQexec(L->pg, L->b.p));
}

static int send_split(loader *L)
{
	const char *params[1] = { L->b.p };
	mdc_log(LOG_DEBUG, "sql: %s [$1 = %zu rows, %zu bytes]", L->sql_split.p, L->batch_n, L->b.len);
	return batch_done(L, PQexecParams(L->pg, L->sql_split.p, 1, NULL, params, NULL, NULL, 0));
}

static int start_values_batch(loader *L)
{
	L->b.len = 0;
	if (sb_str(&L->b, "INSERT INTO ") < 0 || sb_str(&L->b, L->rel) < 0 ||
	    sb_str(&L->b, " VALUES ") < 0)
		return -1;
	return 0;
}

static int add_literal(loader *L, const char *v, size_t n)
{
	if (!v)
		return sb_str(&L->b, "NULL");
	char *lit = PQescapeLiteral(L->pg, v, n);
	if (!lit)
		return -1;
	int rc = sb_str(&L->b, lit);
	PQfreemem(lit);
	return rc;
}

/* Encode one converted row into the current batch. */
static int add_row(loader *L)
{
	size_t n = L->p->n;
	if (L->method == MDC_SEED_COPY) {
		for (size_t i = 0; i < n; i++) {
			if (i && sb_ch(&L->b, ',') < 0)
				return -1;
			if (!L->vals[i])
				continue;
			if (sb_reserve(&L->b, 2 * L->lens[i] + 2) < 0)
				return -1;
			char *d = L->b.p + L->b.len;
			*d++ = '"';
			for (size_t k = 0; k < L->lens[i]; k++) {
				char c = L->vals[i][k];
				if (c == '"')
					*d++ = '"';
				*d++ = c;
			}
			*d++ = '"';
			L->b.len = (size_t)(d - L->b.p);
		}
		if (sb_ch(&L->b, '\n') < 0)
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
			if (flush_batch(L) < 0)
				return -2;
			L->batch_values = 1;
		}
	}
	if (L->method == MDC_SEED_VALUES || L->batch_values) {
		if (L->batch_n == 0 && start_values_batch(L) < 0)
			return -1;
		if (L->batch_n && sb_ch(&L->b, ',') < 0)
			return -1;
		if (sb_ch(&L->b, '(') < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (i && sb_ch(&L->b, ',') < 0)
				return -1;
			if (add_literal(L, L->vals[i], L->lens[i]) < 0)
				return -1;
		}
		if (sb_ch(&L->b, ')') < 0)
			return -1;
		L->batch_n++;
		return 0;
	}
	if (L->batch_n && sb_ch(&L->b, 0x1e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i && sb_ch(&L->b, 0x1f) < 0)
			return -1;
		if (L->vals[i] && sb_add(&L->b, L->vals[i], L->lens[i]) < 0)
			return -1;
	}
	L->batch_n++;
	return 0;
}

static int batch_full(const loader *L)
{
	size_t rows = L->batch_rows;
	if ((L->method == MDC_SEED_VALUES || L->batch_values) && !L->o->batch_rows)
		rows = DEFAULT_VALUES_ROWS;
	if (L->method == MDC_SEED_COPY)
		return L->b.len >= COPY_CHUNK;
	return L->batch_n >= rows || L->b.len >= L->batch_bytes;
}

static int build_sql(loader *L)
{
	sbuf *s = &L->sql_split;
	s->len = 0;
	if (sb_str(s, "INSERT INTO ") < 0 || sb_str(s, L->rel) < 0 || sb_str(s, " SELECT ") < 0)
		return -1;
	for (size_t i = 0; i < L->p->n; i++) {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%sCAST(nullif(f[%zu], '') AS ", i ? ", " : "", i + 1);
		if (sb_str(s, tmp) < 0 || sb_str(s, L->p->cols[i].sql_type) < 0 || sb_ch(s, ')') < 0)
			return -1;
	}
	return sb_str(s, " FROM (SELECT string_split(r, chr(31)) AS f FROM "
			 "unnest(string_split(CAST($1 AS VARCHAR), chr(30))) AS u(r))");
}

/* BEGIN, schema, drop, create. */
static int prepare_table(loader *L, const char *db, const char *schema)
{
	int rc = exec_cmd(L, "BEGIN");
	if (rc < 0)
		return rc;
	if (L->o && L->o->create_schema) {
		sbuf s = { 0 };
		char *qdb = L->dialect == MDC_DIALECT_DUCKDB && db && *db ? PQescapeIdentifier(L->pg, db, strlen(db)) : NULL;
		char *qsc = PQescapeIdentifier(L->pg, schema, strlen(schema));
		if (!qsc || sb_str(&s, "CREATE SCHEMA IF NOT EXISTS ") < 0 ||
		    (qdb && (sb_str(&s, qdb) < 0 || sb_ch(&s, '.') < 0)) || sb_str(&s, qsc) < 0) {
			PQfreemem(qdb);
			PQfreemem(qsc);
			sb_free(&s);
			return mdc_error_set(L->err, ENOMEM, "out of memory");
		}
		PQfreemem(qdb);
		PQfreemem(qsc);
		rc = exec_cmd(L, s.p);
		sb_free(&s);
		if (rc < 0)
			return rc;
	}
	sbuf s = { 0 };
	if (sb_str(&s, "DROP TABLE IF EXISTS ") < 0 || sb_str(&s, L->rel) < 0 || sb_str(&s, " CASCADE") < 0) {
		sb_free(&s);
		return mdc_error_set(L->err, ENOMEM, "out of memory");
	}
	rc = exec_cmd(L, s.p);
	s.len = 0;
	if (rc < 0) {
		sb_free(&s);
		return rc;
	}
	if (sb_str(&s, "CREATE TABLE ") < 0 || sb_str(&s, L->rel) < 0 || sb_str(&s, " (") < 0) {
		sb_free(&s);
		return mdc_error_set(L->err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < L->p->n; i++) {
		if ((i && sb_str(&s, ", ") < 0) || sb_str(&s, L->qcols[i]) < 0 || sb_ch(&s, ' ') < 0 ||
		    sb_str(&s, L->p->cols[i].sql_type) < 0) {
			sb_free(&s);
			return mdc_error_set(L->err, ENOMEM, "out of memory");
		}
	}
	if (sb_ch(&s, ')') < 0) {
		sb_free(&s);
		return mdc_error_set(L->err, ENOMEM, "out of memory");
	}
	rc = exec_cmd(L, s.p);
	sb_free(&s);
	return rc;
}

/* Try COPY FROM STDIN: 1 started, 0 refused (the transaction must be redone), <0 broken. */
static int start_copy(loader *L)
{
	sbuf s = { 0 };
	if (sb_str(&s, "COPY ") < 0 || sb_str(&s, L->rel) < 0 || sb_str(&s, " (") < 0)
		goto oom;
	for (size_t i = 0; i < L->p->n; i++)
		if ((i && sb_str(&s, ", ") < 0) || sb_str(&s, L->qcols[i]) < 0)
			goto oom;
	if (sb_str(&s, ") FROM STDIN (FORMAT csv)") < 0)
		goto oom;
	mdc_log(LOG_DEBUG, "sql: %s", s.p);
	PGresult *res = PQexec(L->pg, s.p);
	sb_free(&s);
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
	sb_free(&s);
	return mdc_error_set(L->err, ENOMEM, "out of memory");
}

static int end_copy(loader *L, const char *failure)
{
	L->in_copy = 0;
	if (PQputCopyEnd(L->pg, failure) != 1)
		return fail_load(L, NULL, "load (COPY)");
	int rc = 0;
	PGresult *res;
	while ((res = PQgetResult(L->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && rc == 0 && !failure)
			rc = fail_load(L, res, "load");
		PQclear(res);
	}
	return rc;
}

static int load_rows(loader *L, const char *path)
{
	const plan *p = L->p;
	const mdc_seed_options *o = L->o;
	int64_t size = 0;
	int fd = open_input(path, &size, L->err);
	if (fd < 0)
		return fd;
	mdc_csv_reader *r = NULL;
	int rc = mdc_csv_open_fd(fd, o ? o->delimiter : 0, o ? o->max_field : 0, &r, L->err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	const mdc_csv_field *f;
	size_t n;
	int blank;
	int64_t row = 0, next_report = PROGRESS_STEP;
	rc = mdc_csv_next(r, &f, &n, &blank, L->err); /* header */
	if (rc <= 0) {
		if (rc == 0)
			rc = mdc_error_set(L->err, EIO, "the file changed while loading");
		goto out;
	}
	for (;;) {
		rc = mdc_csv_next(r, &f, &n, &blank, L->err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		row++;
		if (n > p->n || row > p->rows) {
			rc = mdc_error_set(L->err, EIO, "the file changed while loading");
			goto out;
		}
		for (size_t i = 0; i < p->n; i++) {
			L->vals[i] = NULL;
			L->lens[i] = 0;
			if (i >= n)
				continue;
			const column *c = &p->cols[i];
			if (c->kind == MDC_SEED_KIND_TEXT) {
				if (!mdc_seed_cell_is_null(MDC_SEED_KIND_TEXT, f[i].ptr, f[i].len)) {
					L->vals[i] = f[i].ptr;
					L->lens[i] = f[i].len;
				}
				continue;
			}
			if (L->ccap[i] < f[i].len + 64) {
				char *nb = realloc(L->cbuf[i], f[i].len + 64);
				if (!nb) {
					rc = mdc_error_set(L->err, ENOMEM, "out of memory");
					goto out;
				}
				L->cbuf[i] = nb;
				L->ccap[i] = f[i].len + 64;
			}
			const char *v;
			size_t vl;
			int cr = mdc_seed_convert(c->kind, c->sql_type, f[i].ptr, f[i].len, L->cbuf[i], &v, &vl);
			if (cr < 0) {
				rc = mdc_error_set(L->err, EIO, "the file changed while loading (line %lld)",
						   (long long)mdc_csv_record_line(r));
				goto out;
			}
			if (cr == 1) {
				L->vals[i] = v;
				L->lens[i] = vl;
			}
		}
		rc = add_row(L);
		if (rc == -1) {
			rc = mdc_error_set(L->err, ENOMEM, "out of memory");
			goto out;
		}
		if (rc < 0) {
			rc = -L->err->errnum;
			goto out;
		}
		if (batch_full(L)) {
			if (cancelled(o)) {
				rc = mdc_error_set(L->err, ECANCELED, "cancelled");
				goto out;
			}
			rc = flush_batch(L);
			if (rc < 0)
				goto out;
		}
		if (mdc_csv_bytes_read(r) >= next_report) {
			report(o, size + mdc_csv_bytes_read(r), 2 * size, row);
			next_report = mdc_csv_bytes_read(r) + PROGRESS_STEP;
		}
	}
	if (row != p->rows) {
		rc = mdc_error_set(L->err, EIO, "the file changed while loading");
		goto out;
	}
	rc = flush_batch(L);
	if (rc == 0)
		report(o, 2 * size, 2 * size, row);
out:
	mdc_csv_close(r);
	close(fd);
	return rc;
}

static int view_check(loader *L, const char *db, const char *schema, const char *table,
		      const char *display)
{
	PGresult *res = NULL;
	int rc;
	if (L->dialect == MDC_DIALECT_DUCKDB) {
		const char *params[3] = { db, schema, table };
		rc = mdc_pq_exec(L->pg,
				 "SELECT 1 FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 "
				 "AND view_name = $3",
				 3, params, PGRES_TUPLES_OK, &res, L->err);
	} else {
		const char *params[2] = { schema, table };
		rc = mdc_pq_exec(L->pg,
				 "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
				 "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 "
				 "AND c.relkind IN ('v', 'm')",
				 2, params, PGRES_TUPLES_OK, &res, L->err);
	}
	if (rc < 0)
		return rc;
	int is_view = PQntuples(res) > 0;
	PQclear(res);
	if (is_view)
		return mdc_error_set(L->err, EEXIST, "Cannot seed to '%s', it is a view", display);
	return 0;
}

static void loader_free(loader *L)
{
	if (L->qcols) {
		for (size_t i = 0; i < L->p->n; i++) {
			if (L->o && L->o->no_quote_columns)
				free(L->qcols[i]);
			else
				PQfreemem(L->qcols[i]);
		}
	}
	free(L->qcols);
	if (L->cbuf)
		for (size_t i = 0; i < L->p->n; i++)
			free(L->cbuf[i]);
	free(L->cbuf);
	free(L->ccap);
	free(L->vals);
	free(L->lens);
	free(L->rel);
	sb_free(&L->sql_split);
	sb_free(&L->b);
}

static void rollback(loader *L)
{
	if (L->in_copy)
		(void)end_copy(L, "mdfs: seed load aborted");
	if (mdc_pq_drain(L->pg) < 0)
		return;
	if (PQtransactionStatus(L->pg) != PQTRANS_IDLE) {
		PGresult *res = PQexec(L->pg, "ROLLBACK");
		PQclear(res);
		(void)mdc_pq_drain(L->pg);
	}
}

int mdc_seed_load(mdc_conn *c, const char *db, const char *schema, const char *table,
		  const char *path, const mdc_seed_options *o, mdc_seed_result *res,
		  mdc_error *err)
{
	mdc_seed_options defaults;
	memset(&defaults, 0, sizeof defaults);
	if (!o)
		o = &defaults;
	if (res)
		memset(res, 0, sizeof *res);
	mdc_error_clear(err);
	if (!c || !schema || !*schema || !table || !*table || !path)
		return mdc_error_set(err, EINVAL, "seed: connection, schema, table and file are required");
	double t0 = now_s();
	PGconn *pg = mdc_conn_pg(c);
	mdc_dialect dialect = mdc_conn_dialect(c);
	const char *own = mdc_conn_dbname(c);
	if (!db || !*db)
		db = own;
	if (dialect == MDC_DIALECT_POSTGRES && strcmp(db, own) != 0)
		return mdc_error_set(err, EXDEV, "seed: on PostgreSQL a connection can only load into its own database (%s, not %s)",
				     own, db);
	size_t dlen = strlen(schema) + strlen(table) + 2;
	char *display = malloc(dlen);
	if (!display)
		return mdc_error_set(err, ENOMEM, "out of memory");
	snprintf(display, dlen, "%s.%s", schema, table);

	plan p;
	int rc = do_plan(path, o, &p, err);
	if (rc < 0) {
		free(display);
		return rc;
	}
	loader L;
	memset(&L, 0, sizeof L);
	L.pg = pg;
	L.dialect = dialect;
	L.p = &p;
	L.o = o;
	mdc_error local;
	L.err = err ? err : &local;
	L.batch_rows = o->batch_rows ? o->batch_rows : DEFAULT_BATCH_ROWS;
	L.batch_bytes = o->batch_bytes ? o->batch_bytes : DEFAULT_BATCH_BYTES;
	L.method = o->method;
	if (L.method == MDC_SEED_SPLIT && dialect != MDC_DIALECT_DUCKDB)
		L.method = MDC_SEED_VALUES;
	L.qcols = calloc(p.n, sizeof *L.qcols);
	L.cbuf = calloc(p.n, sizeof *L.cbuf);
	L.ccap = calloc(p.n, sizeof *L.ccap);
	L.vals = calloc(p.n, sizeof *L.vals);
	L.lens = calloc(p.n, sizeof *L.lens);
	if (!L.qcols || !L.cbuf || !L.ccap || !L.vals || !L.lens) {
		rc = mdc_error_set(L.err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		const char *nm = p.cols[i].name;
		if (o->no_quote_columns) {
			if (!plain_identifier(nm)) {
				rc = mdc_error_set(L.err, EINVAL,
						   "column name \"%s\" needs quoting (quote_columns is off)", nm);
				goto out;
			}
			L.qcols[i] = strdup(nm);
		} else {
			L.qcols[i] = PQescapeIdentifier(pg, nm, strlen(nm));
		}
		if (!L.qcols[i]) {
			rc = mdc_error_set(L.err, ENOMEM, "cannot quote column name \"%s\"", nm);
			goto out;
		}
	}
	L.rel = mdc_pq_qualified(pg, db, schema, table, L.err);
	if (!L.rel) {
		rc = -L.err->errnum;
		goto out;
	}
	rc = view_check(&L, db, schema, table, display);
	if (rc < 0)
		goto out;

	/* Choose the method. */
	int try_copy = 0;
	if (L.method == MDC_SEED_AUTO) {
		if (dialect == MDC_DIALECT_POSTGRES) {
			L.method = MDC_SEED_COPY;
			try_copy = 1;
		} else {
			/* DuckDB's CSV reader (behind the stand-in's COPY, and probably
			 * MotherDuck's) refuses lines above 2 MB: then split. */
			L.method = MDC_SEED_SPLIT;
			try_copy = p.max_record < DUCKDB_COPY_MAX_LINE;
		}
	} else if (L.method == MDC_SEED_COPY) {
		try_copy = 1;
	}
	rc = prepare_table(&L, db, schema);
	if (rc < 0)
		goto out;
	if (try_copy && p.rows > 0) {
		rc = start_copy(&L);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			L.method = MDC_SEED_COPY;
		} else {
			if (o->method == MDC_SEED_COPY || dialect == MDC_DIALECT_POSTGRES) {
				rc = mdc_error_set(L.err, ENOTSUP, "this server does not take COPY FROM STDIN");
				goto out;
			}
			/* Refused: the transaction may be aborted; redo it. */
			rollback(&L);
			rc = prepare_table(&L, db, schema);
			if (rc < 0)
				goto out;
		}
	}
	if (L.method == MDC_SEED_SPLIT && build_sql(&L) < 0) {
		rc = mdc_error_set(L.err, ENOMEM, "out of memory");
		goto out;
	}
	if (p.rows > 0) {
		rc = load_rows(&L, path);
		if (L.in_copy) {
			int rc2 = end_copy(&L, rc < 0 ? "mdfs: seed load aborted" : NULL);
			if (rc == 0)
				rc = rc2;
		}
		if (rc < 0)
			goto out;
	}
	rc = exec_cmd(&L, "COMMIT");
	if (rc < 0)
		goto out;
	double secs = now_s() - t0;
	if (res) {
		res->rows = p.rows;
		res->columns = (int)p.n;
		res->seconds = secs;
		res->method = L.method == MDC_SEED_COPY ? "copy" : L.method == MDC_SEED_SPLIT ? "split" : "values";
		size_t sl = strlen(display) + 96;
		res->summary = malloc(sl);
		if (res->summary)
			snprintf(res->summary, sl, "%s: %lld rows, %zu columns, %.2f s", display,
				 (long long)p.rows, p.n, secs);
	}
	mdc_log(LOG_INFO, "seed %s: %lld rows, %zu columns, %.2f s (%s)", display, (long long)p.rows,
		p.n, secs, L.method == MDC_SEED_COPY ? "copy" : L.method == MDC_SEED_SPLIT ? "split" : "values");
out:
	if (rc < 0) {
		/* Prefix the reason with the table when it is the server's. */
		rollback(&L);
		if (err && strncmp(err->message, "load:", 5) == 0) {
			char tmp[MDC_ERRMSG_MAX];
			snprintf(tmp, sizeof tmp, "%s", err->message + 5);
			mdc_error_set_sqlstate(err, err->errnum, err->sqlstate[0] ? err->sqlstate : NULL,
					       "seed %s:%s", display, tmp);
		}
	}
	loader_free(&L);
	plan_clear(&p);
	free(display);
	return rc;
}
