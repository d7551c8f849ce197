/* tests/c/test_stream.c - integration test of mdclient/stream.c.
 *
 * Environment (tests/c/testutil.h): MDFS_TEST_SOURCE, MOTHERDUCK_TOKEN,
 * MDFS_TEST_ENGINE=duckdb|postgres. Creates schema stream_test in database
 * shop with a table full of CSV traps and a 200k-row table, then streams
 * them with many read sizes and compares against hand-written bytes; checks
 * early close + reuse, missing relations (-ENOENT), and on PostgreSQL a
 * cancel from another thread, a killed backend mid-stream (-EIO, never 0)
 * and byte equality with the server's own COPY CSV export of the big table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <libpq-fe.h>

#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/log.h"
#include "mdclient/stream.h"
#include "testutil.h"

#define BIG_ROWS 200000
#define DB "shop"
#define SCHEMA "stream_test"
#define NASTY "nasty \"t\" 1"

static const char *engine;
static bool is_pg;
static const mdc_config *cfg;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mdc_conn *connect_shop(void)
{
	mdc_conn *c = NULL;
	mdc_error err;
	int rc = mdc_connect(cfg, DB, &c, &err);
	CHECK_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "connect: %s\n", err.message);
		exit(1);
	}
	return c;
}

static void exec_ok(mdc_conn *c, const char *sql)
{
	mdc_error err;
	int rc = mdc_conn_exec(c, sql, &err);
	CHECK_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "exec failed: %s\n  SQL: %s\n", err.message, sql);
		exit(1);
	}
}

/* Schema-qualified name prefix for DDL: "shop.stream_test" on DuckDB (the
 * connection sees every database), "stream_test" on PostgreSQL. */
static const char *schema_prefix(void)
{
	return is_pg ? SCHEMA : DB "." SCHEMA;
}

static void setup(mdc_conn *c)
{
	char sql[4096];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema_prefix());
	exec_ok(c, sql);
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema_prefix());
	exec_ok(c, sql);
	snprintf(sql, sizeof sql,
		 "CREATE TABLE %s.\"nasty \"\"t\"\" 1\" ("
		 "id INTEGER, txt VARCHAR, flag BOOLEAN, ts TIMESTAMP, tstz TIMESTAMPTZ, "
		 "big BIGINT, dec DECIMAL(38,10), dbl FLOAT8, d DATE, "
		 "\"col, with \"\"q\"\"\" INTEGER, \" sp\" VARCHAR)",
		 schema_prefix());
	exec_ok(c, sql);
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s.\"nasty \"\"t\"\" 1\" VALUES "
		 "(1, 'plain', true, TIMESTAMP '2024-01-02 03:04:05.123456', "
		 " TIMESTAMPTZ '2024-01-02 03:04:05.123456+00', 9223372036854775807, "
		 " 1234567890123456789012345678.0123456789, 1.5, DATE '2024-02-29', 7, 'x'),"
		 "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
		 "(3, '', false, TIMESTAMP '2024-06-30 23:59:59', "
		 " TIMESTAMPTZ '2024-06-30 23:59:59+02', -9223372036854775807, "
		 " -0.0000000001, -0.25, DATE '1999-12-31', -1, ''),"
		 "(4, 'a,b', true, NULL, NULL, 0, 0, 0, NULL, 0, ' '),"
		 "(5, 'say \"hi\"', NULL, NULL, NULL, 1, 1, 1, NULL, 1, 'q\"'),"
		 "(6, 'line1' || chr(10) || 'line2', NULL, NULL, NULL, 2, 2, 2, NULL, 2, ','),"
		 "(7, 'crlf' || chr(13) || chr(10) || 'end', NULL, NULL, NULL, 3, 3, 3, NULL, 3, 'cr' || chr(13)),"
		 "(8, ' lead', NULL, NULL, NULL, 4, 4, 4, NULL, 4, 'in side'),"
		 "(9, 'trail ', NULL, NULL, NULL, 5, 5, 5, NULL, 5, chr(9) || 'tab'),"
		 "(10, 'Grüße 世界 😀', NULL, NULL, NULL, 6, 6, 6, NULL, 6, 'tab' || chr(9)),"
		 "(11, '\"', NULL, NULL, NULL, 7, 7, 7, NULL, 7, '\"\"'),"
		 "(12, ',', NULL, NULL, NULL, 8, 8, 8, NULL, 8, 'NULL')",
		 schema_prefix());
	exec_ok(c, sql);
	snprintf(sql, sizeof sql, "CREATE TABLE %s.empty (a INTEGER, \"b b\" VARCHAR)",
		 schema_prefix());
	exec_ok(c, sql);
	snprintf(sql, sizeof sql,
		 "CREATE TABLE %s.big AS SELECT i AS id, "
		 "'row ' || CAST(i AS VARCHAR) || ' ' || repeat('x', 80) AS txt "
		 "FROM generate_series(1, %d) AS g(i)",
		 schema_prefix(), BIG_ROWS);
	exec_ok(c, sql);
	/* Types printed the engine's own way (verbatim, quoted when needed). */
	if (is_pg)
		snprintf(sql, sizeof sql,
			 "CREATE TABLE %s.types AS SELECT ARRAY[1, 2, NULL]::int[] AS l, "
			 "'{\"a\": 1, \"b\": \"x y\"}'::jsonb AS j, '\\xaa00'::bytea AS bl, "
			 "INTERVAL '1 year 2 days 3 hours' AS iv, "
			 "170141183460469231731687303715884105727::numeric AS h, "
			 "'12:34:56'::time AS t, 'ab'::char(4) AS ch", schema_prefix());
	else
		snprintf(sql, sizeof sql,
			 "CREATE TABLE %s.types AS SELECT [1, 2, NULL] AS l, "
			 "{'a': 1, 'b': 'x y'} AS st, MAP {'k': 1} AS m, '\\xAA'::BLOB AS bl, "
			 "INTERVAL '1 year 2 days 3 hours' AS iv, "
			 "170141183460469231731687303715884105727::HUGEINT AS h, "
			 "255::UTINYINT AS ut", schema_prefix());
	exec_ok(c, sql);
	if (is_pg) {
		snprintf(sql, sizeof sql,
			 "CREATE VIEW %s.slow AS SELECT 1 AS s FROM (SELECT pg_sleep(30)) AS z", schema_prefix());
		exec_ok(c, sql);
	}
}

/* The engines print doubles their own way (PostgreSQL 1, DuckDB 1.0): the
 * conversions are filled with "" or ".0" by nasty_expected(). */
static const char nasty_fmt[] =
	"id,txt,flag,ts,tstz,big,dec,dbl,d,\"col, with \"\"q\"\"\",\" sp\"\n"
	"1,plain,true,2024-01-02 03:04:05.123456,2024-01-02 03:04:05.123456+00,"
	"9223372036854775807,1234567890123456789012345678.0123456789,1.5,2024-02-29,7,x\n"
	"2,,,,,,,,,,\n"
	"3,\"\",false,2024-06-30 23:59:59,2024-06-30 21:59:59+00,-9223372036854775807,"
	"-0.0000000001,-0.25,1999-12-31,-1,\"\"\n"
	"4,\"a,b\",true,,,0,0.0000000000,0%s,,0,\" \"\n"
	"5,\"say \"\"hi\"\"\",,,,1,1.0000000000,1%s,,1,\"q\"\"\"\n"
	"6,\"line1\nline2\",,,,2,2.0000000000,2%s,,2,\",\"\n"
	"7,\"crlf\r\nend\",,,,3,3.0000000000,3%s,,3,\"cr\r\"\n"
	"8,\" lead\",,,,4,4.0000000000,4%s,,4,in side\n"
	"9,\"trail \",,,,5,5.0000000000,5%s,,5,\"\ttab\"\n"
	"10,Grüße 世界 😀,,,,6,6.0000000000,6%s,,6,\"tab\t\"\n"
	"11,\"\"\"\",,,,7,7.0000000000,7%s,,7,\"\"\"\"\"\"\n"
	"12,\",\",,,,8,8.0000000000,8%s,,8,NULL\n";

static char nasty_csv[1024];

static void nasty_expected(void)
{
	const char *z = is_pg ? "" : ".0";
	snprintf(nasty_csv, sizeof nasty_csv, nasty_fmt, z, z, z, z, z, z, z, z, z);
}

/* Stream a whole relation with reads of `chunk` bytes into a malloc'd
 * buffer (*out, *outlen). Returns the first negative read result or 0. */
static int slurp(mdc_conn *c, const char *rel, size_t chunk, bool some, char **out, size_t *outlen)
{
	mdc_stream *s = NULL;
	mdc_error err;
	*out = NULL;
	*outlen = 0;
	int rc = mdc_stream_open_csv(c, DB, SCHEMA, rel, &s, &err);
	if (rc)
		return rc;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *tmp = malloc(chunk);
	ssize_t n;
	for (;;) {
		n = some ? mdc_stream_read_some(s, tmp, chunk, &err)
			 : mdc_stream_read(s, tmp, chunk, &err);
		if (n <= 0)
			break;
		CHECK((size_t)n <= chunk);
		while (len + (size_t)n > cap)
			buf = realloc(buf, cap *= 2);
		memcpy(buf + len, tmp, (size_t)n);
		len += (size_t)n;
	}
	/* after the end, reads keep returning 0 */
	if (n == 0) {
		CHECK_INT(mdc_stream_read(s, tmp, chunk, &err), 0);
		CHECK_INT(mdc_stream_read_some(s, tmp, chunk, &err), 0);
	}
	free(tmp);
	CHECK_INT(mdc_stream_close(s), 0);
	*out = buf;
	*outlen = len;
	return n < 0 ? (int)n : 0;
}

static void check_bytes(const char *what, const char *got, size_t gotlen, const char *want)
{
	size_t wl = strlen(want);
	bool same = gotlen == wl && memcmp(got, want, wl) == 0;
	CHECK(same);
	if (!same) {
		size_t i = 0;
		while (i < gotlen && i < wl && got[i] == want[i])
			i++;
		fprintf(stderr, "%s: differs at byte %zu (got %zu bytes, want %zu)\n"
			"--- got from there:\n%.*s\n--- want from there:\n%.*s\n---\n",
			what, i, gotlen, wl, (int)(gotlen - i > 200 ? 200 : gotlen - i), got + i,
			(int)(wl - i > 200 ? 200 : wl - i), want + i);
	}
}

static void test_nasty(mdc_conn *c)
{
	static const size_t sizes[] = {1, 2, 3, 7, 64, 100, 4096, 65536, 1 << 20};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (int some = 0; some <= 1; some++) {
			char *out;
			size_t len;
			char what[64];
			snprintf(what, sizeof what, "nasty, %s %zu", some ? "read_some" : "read", sizes[i]);
			CHECK_INT(slurp(c, NASTY, sizes[i], some, &out, &len), 0);
			check_bytes(what, out, len, nasty_csv);
			free(out);
		}
	}
	/* A full-sized read returns exactly len until the end. */
	mdc_stream *s;
	mdc_error err;
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, NASTY, &s, &err), 0);
	char buf[50];
	size_t total = 0;
	ssize_t n;
	while ((n = mdc_stream_read(s, buf, sizeof buf, &err)) > 0) {
		total += (size_t)n;
		if (total < strlen(nasty_csv))
			CHECK_INT(n, sizeof buf);
	}
	CHECK_INT(n, 0);
	CHECK_INT(total, strlen(nasty_csv));
	CHECK_INT(mdc_stream_read(s, buf, 0, &err), 0);
	CHECK_INT(mdc_stream_close(s), 0);
}

static void test_types(mdc_conn *c)
{
	const char *want = is_pg
		? "l,j,bl,iv,h,t,ch\n"
		  "\"{1,2,NULL}\",\"{\"\"a\"\": 1, \"\"b\"\": \"\"x y\"\"}\",\\xaa00,"
		  "1 year 2 days 03:00:00,170141183460469231731687303715884105727,12:34:56,\"ab  \"\n"
		: "l,st,m,bl,iv,h,ut\n"
		  "\"[1, 2, NULL]\",\"{'a': 1, 'b': x y}\",{k=1},\\xAA,"
		  "1 year 2 days 03:00:00,170141183460469231731687303715884105727,255\n";
	char *out;
	size_t len;
	CHECK_INT(slurp(c, "types", 7, false, &out, &len), 0);
	check_bytes("types", out, len, want);
	free(out);
}

static void test_empty_table(mdc_conn *c)
{
	char *out;
	size_t len;
	CHECK_INT(slurp(c, "empty", 1, false, &out, &len), 0);
	check_bytes("empty, read 1", out, len, "a,b b\n");
	free(out);
	CHECK_INT(slurp(c, "empty", 4096, true, &out, &len), 0);
	check_bytes("empty, read_some 4096", out, len, "a,b b\n");
	free(out);
}

/* Stream the big table; checks every line and the count. Returns a hash of
 * the bytes (FNV-1a) for the comparison with COPY. */
static uint64_t test_big(mdc_conn *c, size_t chunk, bool some)
{
	mdc_stream *s;
	mdc_error err;
	double t0 = now_s();
	int rc = mdc_stream_open_csv(c, DB, SCHEMA, "big", &s, &err);
	CHECK_INT(rc, 0);
	if (rc)
		return 0;
	char *buf = malloc(chunk);
	char line[256];
	size_t linelen = 0, lines = 0, bytes = 0;
	long long idsum = 0;
	int bad = 0;
	uint64_t h = 1469598103934665603ull;
	char xs[81];
	memset(xs, 'x', 80);
	xs[80] = '\0';
	ssize_t n;
	while ((n = some ? mdc_stream_read_some(s, buf, chunk, &err)
			 : mdc_stream_read(s, buf, chunk, &err)) > 0) {
		bytes += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
			if (buf[i] != '\n') {
				if (linelen < sizeof line - 1)
					line[linelen++] = buf[i];
				continue;
			}
			line[linelen] = '\0';
			if (lines == 0) {
				if (strcmp(line, "id,txt") != 0)
					bad++;
			} else {
				long id;
				char want[256];
				if (sscanf(line, "%ld,", &id) != 1) {
					bad++;
				} else {
					snprintf(want, sizeof want, "%ld,row %ld %s", id, id, xs);
					if (strcmp(line, want) != 0)
						bad++;
					idsum += id;
				}
			}
			lines++;
			linelen = 0;
		}
	}
	double dt = now_s() - t0;
	CHECK_INT(n, 0);
	if (n < 0)
		fprintf(stderr, "big: read failed: %s\n", err.message);
	CHECK_INT(linelen, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(lines, BIG_ROWS + 1);
	CHECK_INT(idsum, (long long)BIG_ROWS * (BIG_ROWS + 1) / 2);
	CHECK_INT(mdc_stream_close(s), 0);
	free(buf);
	printf("big (%s %zu): %zu rows, %zu bytes in %.3f s (%.0f rows/s)\n",
	       some ? "read_some" : "read", chunk, lines - 1, bytes, dt, (double)(lines - 1) / dt);
	return h;
}

/* PostgreSQL: the server's own CSV export of the big table hashes the same. */
static void test_big_vs_copy(mdc_conn *c, uint64_t want)
{
	PGconn *pg = mdc_conn_pg(c);
	PGresult *res = PQexec(pg, "COPY (SELECT * FROM " SCHEMA ".big) TO STDOUT (FORMAT csv, HEADER)");
	CHECK_INT(PQresultStatus(res), PGRES_COPY_OUT);
	PQclear(res);
	uint64_t h = 1469598103934665603ull;
	char *row;
	int n;
	while ((n = PQgetCopyData(pg, &row, 0)) > 0) {
		for (int i = 0; i < n; i++)
			h = (h ^ (unsigned char)row[i]) * 1099511628211ull;
		PQfreemem(row);
	}
	CHECK_INT(n, -1);
	while ((res = PQgetResult(pg)) != NULL) {
		CHECK_INT(PQresultStatus(res), PGRES_COMMAND_OK);
		PQclear(res);
	}
	CHECK(h == want);
}

static void test_early_close(mdc_conn **cp)
{
	mdc_stream *s;
	mdc_error err;
	char buf[100];
	/* Under valgrind everything is ~30x slower: draining what is in flight
	 * may outlast the close's 200 ms bound, which is allowed (-EIO). */
	bool slow = getenv("MDFS_TEST_VALGRIND") != NULL;
	int reused = 0;

	/* After the first read of a big table: cancel, then drain for a bounded
	 * time. Either the connection is reusable (0) or the close says to
	 * discard it (-EIO); it never takes seconds. */
	for (int round = 0; round < 3; round++) {
		mdc_conn *c = *cp;
		double t0 = now_s();
		CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "big", &s, &err), 0);
		CHECK_INT(mdc_stream_read(s, buf, round == 0 ? 1 : sizeof buf, &err),
			  round == 0 ? 1 : (ssize_t)sizeof buf);
		if (round == 2) {
			/* a few MB in, with rows surely still on the server */
			for (int i = 0; i < 20000; i++)
				if (mdc_stream_read(s, buf, sizeof buf, &err) != (ssize_t)sizeof buf)
					CHECK(0);
		}
		double t1 = now_s();
		int rc = mdc_stream_close(s);
		double dt = now_s() - t1;
		CHECK(rc == 0 || rc == -EIO);
		CHECK(dt < (slow ? 5.5 : 0.6));
		printf("early close round %d: %.3f s (open+read %.3f s), %s\n", round, dt, t1 - t0,
		       rc == 0 ? "reusable" : "discarded");
		if (rc != 0) {
			mdc_conn_close(c);
			*cp = c = connect_shop();
		} else {
			CHECK(mdc_conn_is_ok(c));
			reused++;
		}
		/* the same (or the fresh) connection serves the next query */
		char *out;
		size_t len;
		CHECK_INT(slurp(c, NASTY, 4096, false, &out, &len), 0);
		check_bytes("nasty after early close", out, len, nasty_csv);
		free(out);
	}
	/* A server that ignores cancels (the hostile profile) never lets an
	 * early-closed connection be reused; one that honours them does. */
	const char *profile = getenv("MDFS_TEST_MD_PROFILE");
	bool ignores_cancel = !is_pg && profile && strcmp(profile, "hostile") == 0;
	CHECK(slow || ignores_cancel || reused > 0);
	mdc_conn *c = *cp;
	/* Close right after open, without any read: reusable or discarded. */
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "big", &s, &err), 0);
	int rc = mdc_stream_close(s);
	CHECK(rc == 0 || rc == -EIO);
	if (rc != 0) {
		mdc_conn_close(c);
		*cp = c = connect_shop();
	}
	/* Close a small table after one byte (no cancel needed). */
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, NASTY, &s, &err), 0);
	CHECK_INT(mdc_stream_read(s, buf, 1, &err), 1);
	CHECK_INT(mdc_stream_close(s), 0);
	CHECK_INT(mdc_stream_close(NULL), 0);
	char *out;
	size_t len;
	CHECK_INT(slurp(c, "empty", 10, false, &out, &len), 0);
	check_bytes("empty after early closes", out, len, "a,b b\n");
	free(out);
}

static void test_missing(mdc_conn *c)
{
	mdc_stream *s = (mdc_stream *)&s; /* must be reset to NULL */
	mdc_error err;
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "no_such_table", &s, &err), -ENOENT);
	CHECK(s == NULL);
	CHECK_INT(err.errnum, ENOENT);
	CHECK(strstr(err.message, "no_such_table") != NULL);
	CHECK_INT(mdc_stream_open_csv(c, DB, "no_such_schema", "big", &s, &err), -ENOENT);
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, NULL, &s, &err), -EINVAL);
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "big", NULL, &err), -EINVAL);
	/* err may be NULL */
	CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "no_such_table", &s, NULL), -ENOENT);
	/* and the connection still works */
	char *out;
	size_t len;
	CHECK_INT(slurp(c, "empty", 3, false, &out, &len), 0);
	check_bytes("empty after missing", out, len, "a,b b\n");
	free(out);
}

struct canceller {
	mdc_conn *c;
	atomic_int done;   /* set by the caller once its call returned */
};

/* A cancel that reaches the server before the query runs is dropped there,
 * so no fixed sleep: cancel every 50 ms until the call has returned (at
 * most 5 s). */
static void *cancel_until_done(void *arg)
{
	struct canceller *k = arg;
	double t0 = now_s();
	while (!atomic_load(&k->done) && now_s() - t0 < 5) {
		mdc_conn_cancel(k->c);
		usleep(50 * 1000);
	}
	return NULL;
}

/* PostgreSQL: a query stuck on the server is ended by a cancel from another
 * thread, and the error (57014 → ETIMEDOUT) reaches the caller. */
static void test_cancel_thread(mdc_conn *c)
{
	struct canceller k = { .c = c };
	pthread_t t;
	mdc_stream *s = NULL;
	mdc_error err;
	double t0 = now_s();
	CHECK_INT(pthread_create(&t, NULL, cancel_until_done, &k), 0);
	int rc = mdc_stream_open_csv(c, DB, SCHEMA, "slow", &s, &err);
	atomic_store(&k.done, 1);
	pthread_join(t, NULL);
	double dt = now_s() - t0;
	CHECK_INT(rc, -ETIMEDOUT);
	CHECK_STR(err.sqlstate, "57014");
	CHECK(dt < 5);
	CHECK(s == NULL);
	if (s)
		(void)mdc_stream_close(s);
	char *out;
	size_t len;
	CHECK_INT(slurp(c, "empty", 3, false, &out, &len), 0);
	check_bytes("empty after cancel", out, len, "a,b b\n");
	free(out);
}

/* PostgreSQL: the backend is killed mid-stream: the reader gets an error,
 * never a clean end, and close reports the connection unusable. */
static void test_killed(mdc_conn *victim, mdc_conn *killer)
{
	mdc_stream *s;
	mdc_error err;
	char buf[4096];
	CHECK_INT(mdc_stream_open_csv(victim, DB, SCHEMA, "big", &s, &err), 0);
	CHECK_INT(mdc_stream_read(s, buf, sizeof buf, &err), (ssize_t)sizeof buf);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(mdc_conn_pg(victim)));
	exec_ok(killer, sql);
	ssize_t n;
	size_t total = sizeof buf;
	while ((n = mdc_stream_read(s, buf, sizeof buf, &err)) > 0)
		total += (size_t)n;
	CHECK(n < 0);
	printf("killed backend: read %zu bytes, then %zd (%s)\n", total, n, err.message);
	/* sticky */
	CHECK_INT(mdc_stream_read(s, buf, sizeof buf, &err), n);
	CHECK_INT(mdc_stream_read_some(s, buf, sizeof buf, &err), n);
	CHECK_INT(mdc_stream_close(s), -EIO);
	CHECK(!mdc_conn_is_ok(victim));
	/* a broken connection is refused up front */
	CHECK_INT(mdc_stream_open_csv(victim, DB, SCHEMA, "big", &s, &err), -EIO);
}

/* A TCP relay between the client and the server that can cut both sides
 * abruptly: the server vanishing mid-stream without any error message. */
struct relay {
	int listen_fd, port;
	volatile int cut;
	pthread_t thread;
};

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	int cfd = accept(r->listen_fd, NULL, NULL);
	if (cfd < 0)
		return NULL;
	int sfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(getenv("STREAM_TEST_SERVER_PORT"))) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(sfd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(cfd);
		close(sfd);
		return NULL;
	}
	char buf[16384];
	while (!r->cut) {
		struct pollfd p[2] = { { .fd = cfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		if (poll(p, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
				r->cut = 1;
		}
	}
	/* RST to the client: SO_LINGER 0 */
	struct linger lg = { 1, 0 };
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(cfd);
	close(sfd);
	return NULL;
}

/* Both engines: the endpoint disappears mid-stream (connection reset, no
 * error message): reads fail with -EIO and never report a clean end. */
static void test_connection_cut(const char *source)
{
	struct relay r = { .cut = 0 };
	r.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	CHECK(bind(r.listen_fd, (struct sockaddr *)&sa, sizeof sa) == 0);
	CHECK(listen(r.listen_fd, 1) == 0);
	CHECK(getsockname(r.listen_fd, (struct sockaddr *)&sa, &sl) == 0);
	r.port = ntohs(sa.sin_port);

	/* the source with the relay's port instead of the server's */
	char src[2048], *w = src;
	const char *p = strstr(source, "port=");
	CHECK(p != NULL);
	if (!p)
		return;
	char server_port[16];
	size_t plen = strspn(p + 5, "0123456789");
	snprintf(server_port, sizeof server_port, "%.*s", (int)plen, p + 5);
	setenv("STREAM_TEST_SERVER_PORT", server_port, 1);
	w += snprintf(w, sizeof src, "%.*sport=%d%s", (int)(p - source), source, r.port, p + 5 + plen);
	(void)w;
	CHECK_INT(pthread_create(&r.thread, NULL, relay_main, &r), 0);

	mdc_config *rcfg = NULL;
	mdc_error err;
	mdc_conn *c = NULL;
	CHECK_INT(mdc_config_new(src, NULL, &rcfg, &err), 0);
	CHECK_INT(mdc_connect(rcfg, DB, &c, &err), 0);
	if (c) {
		mdc_stream *s;
		char buf[4096];
		CHECK_INT(mdc_stream_open_csv(c, DB, SCHEMA, "big", &s, &err), 0);
		CHECK_INT(mdc_stream_read(s, buf, sizeof buf, &err), (ssize_t)sizeof buf);
		r.cut = 1;
		ssize_t n;
		size_t total = sizeof buf;
		double t0 = now_s();
		while ((n = mdc_stream_read(s, buf, sizeof buf, &err)) > 0)
			total += (size_t)n;
		CHECK_INT(n, -EIO);
		CHECK(now_s() - t0 < 5);
		printf("connection cut: read %zu bytes, then %zd (%s)\n", total, n, err.message);
		CHECK_INT(mdc_stream_read(s, buf, 1, &err), -EIO);
		CHECK_INT(mdc_stream_close(s), -EIO);
		CHECK(!mdc_conn_is_ok(c));
		mdc_conn_close(c);
	} else {
		fprintf(stderr, "connect through relay: %s\n", err.message);
		r.cut = 1;
	}
	pthread_join(r.thread, NULL);
	close(r.listen_fd);
	mdc_config_free(rcfg);
}

int main(void)
{
	const char *source = testutil_env("MDFS_TEST_SOURCE");
	engine = testutil_env("MDFS_TEST_ENGINE");
	is_pg = strcmp(engine, "postgres") == 0;
	if (getenv("MDFS_TEST_DEBUG"))
		mdc_log_set_level(LOG_DEBUG);

	mdc_config *config = NULL;
	mdc_error err;
	if (mdc_config_new(source, NULL, &config, &err) != 0) {
		fprintf(stderr, "config: %s\n", err.message);
		return 1;
	}
	cfg = config;
	mdc_conn *c = connect_shop();
	CHECK_INT(mdc_conn_dialect(c), is_pg ? MDC_DIALECT_POSTGRES : MDC_DIALECT_DUCKDB);
	setup(c);
	nasty_expected();

	test_nasty(c);
	test_empty_table(c);
	test_types(c);
	test_missing(c);
	uint64_t h = test_big(c, 65536, false);
	test_big(c, 1000, false);
	test_big(c, 131072, true);
	if (is_pg)
		test_big_vs_copy(c, h);
	test_early_close(&c);
	if (is_pg) {
		test_cancel_thread(c);
		mdc_conn *victim = connect_shop();
		test_killed(victim, c);
		mdc_conn_close(victim);
	}

	test_connection_cut(source);

	if (!getenv("MDFS_TEST_KEEP")) {
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema_prefix());
		exec_ok(c, sql);
	}
	mdc_conn_close(c);
	mdc_config_free(config);
	return testutil_finish("test_stream");
}
