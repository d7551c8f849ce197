/* tests/c/test_seed.c - the seed loader against a live server (the MotherDuck
 * stand-in or PostgreSQL): every dbt fixture into shop.seed_test, checked for
 * columns, types (catalog), row counts and values; the overrides; the
 * failures; bad input; odd names; a failure half-way that must leave the
 * previous table exactly as it was.
 *
 * Environment (testutil.h): MDFS_TEST_SOURCE, MOTHERDUCK_TOKEN,
 * MDFS_TEST_ENGINE; MDFS_SEED_FIXTURES (default: SEED_FIXTURES, set by meson to
 * ../shared/fixtures/dbt-seeds next to the repository).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "mdclient/catalog.h"
#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/log.h"
#include "mdclient/seed.h"
#include "testutil.h"
#include "seed_json.h"

#define DB "shop"
#define SCHEMA "seed_test"

static mdc_conn *conn;
static int quiet; /* the query is expected to fail */
static int is_pg;
static const char *fixdir;

static void exec_sql(const char *sql)
{
	mdc_error e;
	int rc = mdc_conn_exec(conn, sql, &e);
	if (rc != 0)
		fprintf(stderr, "SQL failed: %s: %s\n", sql, e.message);
	CHECK_INT(rc, 0);
}

/* First value of the first row, as text (malloc'd; NULL for SQL NULL or error). */
static char *scalar(const char *sql)
{
	PGresult *r = PQexec(mdc_conn_pg(conn), sql);
	char *v = NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strdup(PQgetvalue(r, 0, 0));
	else if (PQresultStatus(r) != PGRES_TUPLES_OK && !quiet)
		fprintf(stderr, "query failed: %s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	return v;
}

static long long count_rows(const char *table)
{
	char *q = PQescapeIdentifier(mdc_conn_pg(conn), table, strlen(table));
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s." SCHEMA ".%s", is_pg ? "" : DB,
		 is_pg ? "" : "", q);
	if (is_pg)
		snprintf(sql, sizeof sql, "SELECT count(*) FROM " SCHEMA ".%s", q);
	PQfreemem(q);
	char *v = scalar(sql);
	long long n = v ? atoll(v) : -1;
	free(v);
	return n;
}

/* The engine's type text for a dbt SQL type. */
static const char *engine_type(const char *t)
{
	static const char *const map[][3] = {
		{ "integer", "INTEGER", "integer" },
		{ "bigint", "BIGINT", "bigint" },
		{ "float8", "DOUBLE", "double precision" },
		{ "float", "DOUBLE", "double precision" },
		{ "text", "VARCHAR", "text" },
		{ "boolean", "BOOLEAN", "boolean" },
		{ "date", "DATE", "date" },
		{ "timestamp without time zone", "TIMESTAMP", "timestamp without time zone" },
		{ "numeric(38,0)", "DECIMAL(38,0)", "numeric(38,0)" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], t) == 0)
			return map[i][is_pg ? 2 : 1];
	return t;
}

/* "name type, name type" of a loaded table, engine-neutral (dbt type names). */
static void check_columns(const char *table, const char *const *names, const char *const *types, size_t n)
{
	mdc_column_list cols;
	mdc_error e;
	int rc = mdc_list_columns(conn, DB, SCHEMA, table, &cols, &e);
	CHECK_INT(rc, 0);
	if (rc < 0) {
		fprintf(stderr, "  list columns of %s: %s\n", table, e.message);
		return;
	}
	CHECK_INT(cols.n, n);
	for (size_t i = 0; i < n && i < cols.n; i++) {
		testutil_checks++;
		if (strcmp(cols.cols[i].name, names[i]) != 0 ||
		    strcasecmp(cols.cols[i].type, engine_type(types[i])) != 0) {
			testutil_failures++;
			fprintf(stderr, "  %s column %zu: %s %s, expected %s %s\n", table, i, cols.cols[i].name,
				cols.cols[i].type, names[i], engine_type(types[i]));
		}
	}
	mdc_column_list_free(&cols);
}

static int load(const char *path, const char *table, const mdc_seed_options *o, mdc_error *e)
{
	mdc_seed_result res;
	int rc = mdc_seed_load(conn, DB, SCHEMA, table, path, o, &res, e);
	if (rc == 0) {
		CHECK(res.summary != NULL && strstr(res.summary, table) != NULL);
		mdc_seed_result_free(&res);
	}
	return rc;
}

static char dir[64]; /* the test's scratch directory, removed at the end */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tmp_dir(void)
{
	if (dir[0])
		nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *write_tmp_n(const char *name, const char *data, size_t len)
{
	if (!dir[0]) {
		strcpy(dir, "/tmp/test_seed_XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		free(path);
		return NULL;
	}
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

static char *write_tmp(const char *name, const char *data)
{
	return write_tmp_n(name, data, strlen(data));
}

/* ---- every fixture with its derived types ---- */
static void fixtures(void)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/agate_inferred_postgres_types.json", fixdir);
	jv root = jload(path);
	CHECK(root.t == 'o');
	int loaded = 0;
	for (size_t i = 0; i + 1 < root.nk; i += 2) {
		const char *key = root.kids[i].s;
		const jv *exp = &root.kids[i + 1];
		seed_case fx;
		seed_case_init(&fx, fixdir, key);
		fx.o.batch_rows = 7000; /* several batches for the 20,000-row seeds */
		char *table = mdc_seed_table_name(fx.rel);
		mdc_error e;
		int rc = load(fx.path, table, &fx.o, &e);
		if (jget(exp, "error")) {
			CHECK_INT(rc, -EINVAL);
			CHECK(strstr(e.message, "has 5 values, but the header has 3 columns") != NULL);
			free(table);
			continue;
		}
		CHECK_INT(rc, 0);
		if (rc < 0) {
			fprintf(stderr, "  %s: %s\n", key, e.message);
			free(table);
			continue;
		}
		loaded++;
		const jv *cols = jget(exp, "columns");
		const jv *rows = jget(exp, "rows");
		const char *names[64], *types[64];
		size_t n = 0;
		for (size_t c = 0; cols && c < cols->nk && n < 64; c++, n++) {
			names[n] = cols->kids[c].kids[0].s;
			types[n] = cols->kids[c].kids[1].s;
		}
		check_columns(table, names, types, n);
		CHECK_INT(count_rows(table), rows ? (long long)rows->n : -2);
		free(table);
	}
	CHECK(loaded >= 25);
	jfree(&root);
}

/* ---- seed_actual: every value as dbt's seed_expected.json ---- */
static void actual_values(void)
{
	char path[2048];
	snprintf(path, sizeof path, "%s/dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/seed_actual.csv", fixdir);
	mdc_error e;
	CHECK_INT(load(path, "seed_actual", NULL, &e), 0);
	snprintf(path, sizeof path, "%s/dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/seed_expected.json", fixdir);
	jv root = jload(path);
	const jv *rows = jget(&root, "rows");
	CHECK(rows && rows->nk == 500);
	PGresult *r = PQexec(mdc_conn_pg(conn),
			     is_pg ? "SELECT seed_id, first_name, email, ip_address, CAST(birthday AS text) FROM "
				     SCHEMA ".seed_actual ORDER BY seed_id"
				   : "SELECT seed_id, first_name, email, ip_address, CAST(birthday AS text) FROM "
				     DB "." SCHEMA ".seed_actual ORDER BY seed_id");
	CHECK_INT(PQresultStatus(r), PGRES_TUPLES_OK);
	CHECK_INT(PQntuples(r), 500);
	int bad = 0;
	for (int i = 0; rows && i < PQntuples(r) && (size_t)i < rows->nk; i++) {
		const jv *row = &rows->kids[i];
		for (int c = 0; c < 5; c++) {
			const jv *v = &row->kids[c];
			char want[256];
			int want_null = 0;
			if (v->t == 's')
				snprintf(want, sizeof want, "%s", v->s);
			else if (v->t == 'n')
				snprintf(want, sizeof want, "%lld", (long long)v->n);
			else
				want_null = 1;
			if (want_null ? !PQgetisnull(r, i, c) : (PQgetisnull(r, i, c) || strcmp(PQgetvalue(r, i, c), want) != 0)) {
				if (bad++ < 5)
					fprintf(stderr, "  seed_actual row %d col %d: \"%s\", expected \"%s\"\n", i, c,
						PQgetvalue(r, i, c), want_null ? "(NULL)" : want);
			}
		}
	}
	CHECK_INT(bad, 0);
	PQclear(r);
	char *v = scalar(is_pg ? "SELECT first_name IS NULL FROM " SCHEMA ".seed_actual WHERE seed_id = 499"
			       : "SELECT first_name IS NULL FROM " DB "." SCHEMA ".seed_actual WHERE seed_id = 499");
	CHECK(v && (strcmp(v, "t") == 0 || strcmp(v, "true") == 0));
	free(v);
	jfree(&root);
}

/* ---- column_types overrides ---- */
static void overrides(void)
{
	char path[2048];
	mdc_error e;
	snprintf(path, sizeof path, "%s/dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/seed_enabled.csv", fixdir);
	mdc_seed_column_type ct1[] = { { "seed_id", "text" }, { "birthday", "date" } };
	mdc_seed_options o;
	memset(&o, 0, sizeof o);
	o.column_types = ct1;
	o.n_column_types = 2;
	CHECK_INT(load(path, "seed_enabled", &o, &e), 0);
	{
		const char *n[] = { "seed_id", "first_name", "email", "ip_address", "birthday" };
		const char *t[] = { "text", "text", "text", "text", "date" };
		check_columns("seed_enabled", n, t, 5);
		CHECK_INT(count_rows("seed_enabled"), 20);
	}
	snprintf(path, sizeof path, "%s/dbt-labs__dbt-adapters@802d40f/dbt-tests-adapter/simple_seed/seed_tricky.csv", fixdir);
	mdc_seed_column_type ct2[] = { { "seed_id_str", "text" }, { "looks_like_a_bool", "text" }, { "looks_like_a_date", "text" } };
	o.column_types = ct2;
	o.n_column_types = 3;
	CHECK_INT(load(path, "seed_tricky", &o, &e), 0);
	{
		const char *n[] = { "seed_id", "seed_id_str", "a_bool", "looks_like_a_bool", "a_date", "looks_like_a_date", "relative", "weekday" };
		const char *t[] = { "integer", "text", "boolean", "text", "timestamp without time zone", "text", "text", "text" };
		check_columns("seed_tricky", n, t, 8);
		char *v = scalar(is_pg ? "SELECT looks_like_a_bool || '/' || CAST(a_bool AS text) FROM " SCHEMA ".seed_tricky WHERE seed_id = 2"
				       : "SELECT looks_like_a_bool || '/' || CAST(a_bool AS text) FROM " DB "." SCHEMA ".seed_tricky WHERE seed_id = 2");
		CHECK_STR(v, "True/true");
		free(v);
	}
	snprintf(path, sizeof path, "%s/dbt-labs__dbt-core@1.latest-defa080fb5/tests/functional/seeds/my_seed.csv", fixdir);
	mdc_seed_column_type ct3[] = { { "id", "integer" }, { "name", "text" }, { "value", "float" }, { "non_existent_column", "integer" } };
	o.column_types = ct3;
	o.n_column_types = 4;
	CHECK_INT(load(path, "my_seed", &o, &e), 0);
	{
		const char *n[] = { "id", "name", "value" };
		const char *t[] = { "integer", "text", is_pg ? "float" : "float" };
		/* float is float8 on PostgreSQL but FLOAT (REAL) on DuckDB */
		mdc_column_list cols;
		CHECK_INT(mdc_list_columns(conn, DB, SCHEMA, "my_seed", &cols, &e), 0);
		CHECK_INT(cols.n, 3);
		for (size_t i = 0; i < cols.n && i < 3; i++)
			CHECK_STR(cols.cols[i].name, n[i]);
		(void)t;
		mdc_column_list_free(&cols);
		CHECK_INT(count_rows("my_seed"), 3);
		char *v = scalar(is_pg ? "SELECT id || '/' || name || '/' || CAST(value AS text) FROM " SCHEMA ".my_seed ORDER BY id LIMIT 1"
				       : "SELECT id || '/' || name || '/' || CAST(value AS text) FROM " DB "." SCHEMA ".my_seed ORDER BY id LIMIT 1");
		/* DuckDB prints a FLOAT 100 as 100.0 */
		CHECK(v && (strcmp(v, "1/john/100") == 0 || strcmp(v, "1/john/100.0") == 0));
		free(v);
	}
}

/* ---- bad input ---- */
static void bad_input(void)
{
	mdc_error e;
	char *p;
	p = write_tmp("ragged.csv", "a,b,c\n1,2,3\n1,2,3,4,5\n");
	CHECK_INT(load(p, "ragged", NULL, &e), -EINVAL);
	CHECK_STR(e.message, "row 2 (line 3) has 5 values, but the header has 3 columns");
	free(p);
	p = write_tmp("badutf8.csv", "a\nok\nok\nok\nok\nok\n\xC3(\n");
	CHECK_INT(load(p, "badutf8", NULL, &e), -EINVAL);
	CHECK_STR(e.message, "invalid UTF-8 at line 7");
	free(p);
	p = write_tmp("empty.csv", "");
	CHECK_INT(load(p, "empty", NULL, &e), -EINVAL);
	CHECK(strstr(e.message, "empty") != NULL);
	free(p);
	{
		unsigned char junk[4096];
		unsigned s = 12345;
		for (size_t i = 0; i < sizeof junk; i++) {
			s = s * 1103515245u + 12345u;
			junk[i] = (unsigned char)(s >> 16);
		}
		p = write_tmp_n("junk.csv", (const char *)junk, sizeof junk);
		CHECK_INT(load(p, "junk", NULL, &e), -EINVAL);
		CHECK(strstr(e.message, "line") != NULL);
		free(p);
	}
	{
		size_t big = (size_t)3 << 20;
		char *d = malloc(big + 16);
		memcpy(d, "a\n\"", 3);
		memset(d + 3, 'x', big);
		memcpy(d + 3 + big, "\"\n", 2);
		p = write_tmp_n("huge.csv", d, big + 5);
		mdc_seed_options o;
		memset(&o, 0, sizeof o);
		o.max_field = (size_t)1 << 20;
		CHECK_INT(load(p, "huge", &o, &e), -EFBIG);
		CHECK_STR(e.message, "field too large at line 2");
		/* with the default bound (64 MiB) the same file loads, value intact */
		CHECK_INT(load(p, "huge", NULL, &e), 0);
		char *v = scalar(is_pg ? "SELECT length(a) FROM " SCHEMA ".huge" : "SELECT length(a) FROM " DB "." SCHEMA ".huge");
		CHECK_STR(v, "3145728");
		free(v);
		free(d);
		free(p);
	}
	quiet = 1;
	CHECK(count_rows("ragged") == -1 && count_rows("empty") == -1);
	quiet = 0;
}

/* ---- names ---- */
static void names(void)
{
	mdc_error e;
	const char *csv = "x,x,,\"q\"\"uote\",semi;colon,\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80,\"Mixed Case\",x\n"
			  "1,2,3,4,5,6,7,8\n";
	char *p = write_tmp("odd names; \"table\" \xC3\xA9.csv", csv);
	char *table = mdc_seed_table_name(p);
	CHECK_STR(table, "odd names; \"table\" \xC3\xA9");
	CHECK_INT(load(p, table, NULL, &e), 0);
	if (e.errnum)
		fprintf(stderr, "  odd names: %s\n", e.message);
	const char *n[] = { "x", "x_2", "c", "q\"uote", "semi;colon", "\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80", "Mixed Case", "x_3" };
	const char *t[] = { "integer", "integer", "integer", "integer", "integer", "integer", "integer", "integer" };
	check_columns(table, n, t, 8);
	CHECK_INT(count_rows(table), 1);
	free(table);
	free(p);

	/* quote_columns off: plain names only */
	mdc_seed_options o;
	memset(&o, 0, sizeof o);
	o.no_quote_columns = 1;
	p = write_tmp("unquoted.csv", "col_a,col_b\n1,2\n");
	CHECK_INT(load(p, "unquoted", &o, &e), 0);
	CHECK_INT(count_rows("unquoted"), 1);
	free(p);
	p = write_tmp("unquoted_bad.csv", "ok,\"a\"\"; drop table x; --\"\n1,2\n");
	CHECK_INT(load(p, "unquoted_bad", &o, &e), -EINVAL);
	CHECK(strstr(e.message, "needs quoting") != NULL);
	free(p);
}

/* ---- values that need care: separators, quotes, backslashes, newlines ---- */
static void tricky_values(void)
{
	mdc_error e;
	const char *csv = "id,v\n"
			  "1,plain\n"
			  "2,\"it's \"\"quoted\"\"\"\n"
			  "3,back\\slash\\\n"
			  "4,\"multi\nline\"\n"
			  "5,unit\x1fsep\n"
			  "6,rec\x1esep\n"
			  "7, padded \n"
			  "8,\xE2\x80\x93\n"
			  "9,\\.\n"
			  "10,NULL\n";
	const char *want[] = { "plain", "it's \"quoted\"", "back\\slash\\", "multi\nline", "unit\x1fsep",
			       "rec\x1esep", " padded ", "\xE2\x80\x93", "\\.", NULL };
	char *p = write_tmp("tricky_values.csv", csv);
	for (int m = 0; m < 3; m++) {
		mdc_seed_options o;
		memset(&o, 0, sizeof o);
		o.method = m == 0 ? MDC_SEED_AUTO : m == 1 ? MDC_SEED_VALUES : MDC_SEED_SPLIT;
		o.batch_rows = 3;
		CHECK_INT(load(p, "tricky_values", &o, &e), 0);
		if (e.errnum)
			fprintf(stderr, "  tricky_values method %d: %s\n", m, e.message);
		PGresult *r = PQexec(mdc_conn_pg(conn), is_pg ? "SELECT id, v FROM " SCHEMA ".tricky_values ORDER BY id"
							     : "SELECT id, v FROM " DB "." SCHEMA ".tricky_values ORDER BY id");
		CHECK_INT(PQntuples(r), 10);
		for (int i = 0; i < PQntuples(r) && i < 10; i++) {
			int ok = want[i] ? !PQgetisnull(r, i, 1) && strcmp(PQgetvalue(r, i, 1), want[i]) == 0
					 : PQgetisnull(r, i, 1);
			testutil_checks++;
			if (!ok) {
				testutil_failures++;
				fprintf(stderr, "  tricky_values method %d row %d: \"%s\"\n", m, i, PQgetvalue(r, i, 1));
			}
		}
		PQclear(r);
	}
	free(p);
}

/* Raises the cancel flag in the load phase (progress past the first half:
 * the first half is the inference pass), remembering the rows reported. */
static struct {
	volatile int flag;
	int64_t rows;
} cancel_at_load;

static void cancel_in_load_phase(void *ud, int64_t done, int64_t total, int64_t rows)
{
	(void)ud;
	if (done > total / 2 && rows > 0) {
		cancel_at_load.rows = rows;
		cancel_at_load.flag = 1;
	}
}

/* ---- a view as target; a failure half-way leaves the old table intact ---- */
static void view_and_atomicity(void)
{
	mdc_error e;
	exec_sql(is_pg ? "CREATE VIEW " SCHEMA ".v AS SELECT 1 AS x" : "CREATE VIEW " DB "." SCHEMA ".v AS SELECT 1 AS x");
	char *p = write_tmp("v.csv", "a\n1\n");
	CHECK_INT(load(p, "v", NULL, &e), -EEXIST);
	CHECK_STR(e.message, "Cannot seed to '" SCHEMA ".v', it is a view");
	free(p);

	/* the old table: 3 rows */
	p = write_tmp("atomic.csv", "id,v\n1,a\n2,b\n3,c\n");
	CHECK_INT(load(p, "atomic", NULL, &e), 0);
	free(p);
	/* the new file: 40,000 rows, row 30,000 fails its cast to integer */
	size_t cap = 40000 * 16 + 64, o = 0;
	char *d = malloc(cap);
	o += (size_t)sprintf(d, "id,v\n");
	for (int i = 1; i <= 40000; i++)
		o += (size_t)sprintf(d + o, "%d,%s\n", i, i == 30000 ? "bad" : "7");
	p = write_tmp_n("atomic.csv", d, o);
	free(d);
	mdc_seed_column_type ct[] = { { "v", "integer" } };
	for (int m = 0; m < 3; m++) {
		mdc_seed_options opt;
		memset(&opt, 0, sizeof opt);
		opt.column_types = ct;
		opt.n_column_types = 1;
		opt.batch_rows = 5000;
		opt.method = m == 0 ? MDC_SEED_AUTO : m == 1 ? MDC_SEED_VALUES : MDC_SEED_SPLIT;
		int rc = load(p, "atomic", &opt, &e);
		CHECK_INT(rc, -EINVAL);
		CHECK(strstr(e.message, SCHEMA ".atomic") != NULL);
		CHECK_INT(count_rows("atomic"), 3);
		char *v = scalar(is_pg ? "SELECT string_agg(v, ',' ORDER BY id) FROM " SCHEMA ".atomic"
				       : "SELECT string_agg(v, ',' ORDER BY id) FROM " DB "." SCHEMA ".atomic");
		CHECK_STR(v, "a,b,c");
		free(v);
		CHECK(mdc_conn_is_ok(conn));
	}
	free(p);
	/* A load cancelled half-way, after batches went into the new table
	 * inside the transaction, rolls back too: the cancel is raised from
	 * the progress callback once the load phase has read 4 MB. */
	cap = (size_t)200000 * 48 + 64;
	o = 0;
	d = malloc(cap);
	o += (size_t)sprintf(d, "id,v\n");
	for (int i = 1; i <= 200000; i++)
		o += (size_t)sprintf(d + o, "%d,some text that makes the file long %d\n", i, i);
	p = write_tmp_n("atomic.csv", d, o);
	free(d);
	cancel_at_load.flag = 0;
	cancel_at_load.rows = 0;
	mdc_seed_options opt;
	memset(&opt, 0, sizeof opt);
	opt.batch_rows = 5000;
	opt.cancel = &cancel_at_load.flag;
	opt.progress = cancel_in_load_phase;
	opt.progress_ud = &cancel_at_load;
	CHECK_INT(load(p, "atomic", &opt, &e), -ECANCELED);
	CHECK(cancel_at_load.rows > 5000); /* batches had been sent */
	CHECK_INT(count_rows("atomic"), 3);
	char *v = scalar(is_pg ? "SELECT string_agg(v, ',' ORDER BY id) FROM " SCHEMA ".atomic"
			       : "SELECT string_agg(v, ',' ORDER BY id) FROM " DB "." SCHEMA ".atomic");
	CHECK_STR(v, "a,b,c");
	free(v);
	CHECK(mdc_conn_is_ok(conn));
	CHECK_INT(PQtransactionStatus(mdc_conn_pg(conn)), PQTRANS_IDLE);
	free(p);
}

/* ---- the number ranges mdfs widens ("do better" than dbt) ---- */
static void wide_numbers(void)
{
	mdc_error e;
	const char *csv = "small,big,huge,frac\n1,2147483648,9223372036854775808,1.5\n-2147483648,-5,1,NaN\n";
	char *p = write_tmp("wide.csv", csv);
	CHECK_INT(load(p, "wide", NULL, &e), 0);
	const char *n[] = { "small", "big", "huge", "frac" };
	const char *t[] = { "integer", "bigint", "numeric(38,0)", "float8" };
	check_columns("wide", n, t, 4);
	char *v = scalar(is_pg ? "SELECT CAST(huge AS text) FROM " SCHEMA ".wide WHERE small = 1"
			       : "SELECT CAST(huge AS text) FROM " DB "." SCHEMA ".wide WHERE small = 1");
	CHECK_STR(v, "9223372036854775808");
	free(v);
	free(p);
}

int main(void)
{
	const char *source = testutil_env("MDFS_TEST_SOURCE");
	const char *engine = testutil_env("MDFS_TEST_ENGINE");
	is_pg = strcmp(engine, "postgres") == 0;
	fixdir = getenv("MDFS_SEED_FIXTURES");
	if (!fixdir)
		fixdir = SEED_FIXTURES;
	/* The expected failures log at LOG_ERR; keep the output to real problems. */
	mdc_log_set_level(getenv("MDFS_TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	mdc_config *cfg = NULL;
	mdc_error e;
	if (mdc_config_new(source, NULL, &cfg, &e) < 0 || mdc_connect(cfg, DB, &conn, &e) < 0) {
		fprintf(stderr, "connect: %s\n", e.message);
		mdc_config_free(cfg);
		return 2;
	}
	exec_sql(is_pg ? "DROP SCHEMA IF EXISTS " SCHEMA " CASCADE" : "DROP SCHEMA IF EXISTS " DB "." SCHEMA " CASCADE");
	exec_sql(is_pg ? "CREATE SCHEMA " SCHEMA : "CREATE SCHEMA " DB "." SCHEMA);

	fixtures();
	actual_values();
	overrides();
	bad_input();
	names();
	tricky_values();
	view_and_atomicity();
	wide_numbers();

	mdc_conn_close(conn);
	mdc_config_free(cfg);
	remove_tmp_dir();
	return testutil_finish("test_seed");
}
