/* tests/c/test_catalog.c - catalog listings, errors and the pool against a
 * live server: the MotherDuck stand-in (DuckDB) or a real PostgreSQL.
 *
 * Environment (see testutil.h): MDFS_TEST_SOURCE, MOTHERDUCK_TOKEN,
 * MDFS_TEST_ENGINE ("duckdb" or "postgres"). MDFS_TEST_DEBUG=1 logs SQL.
 *
 * The test makes its own fixtures (drop, then create) in the databases
 * `shop` and `analytics` that the test bed provides on both servers. The
 * expectations are the same on both engines except where marked
 * "ENGINE DIFFERENCE".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "mdclient/catalog.h"
#include "mdclient/config.h"
#include "mdclient/ddl.h"
#include "mdclient/conn.h"
#include "mdclient/log.h"
#include "mdclient/pool.h"
#include "testutil.h"

#define ODD_NAME "odd name 'q' \xC3\xA9"   /* space, quote, é */

static int is_pg;

static void exec_all(mdc_conn *c, const char *const *sqls)
{
	for (; *sqls; sqls++) {
		mdc_error e;
		int rc = mdc_conn_exec(c, *sqls, &e);
		if (rc != 0)
			fprintf(stderr, "fixture SQL failed: %s: %s\n", *sqls, e.message);
		CHECK_INT(rc, 0);
	}
}

/* Fixtures. DuckDB names are qualified by database; PostgreSQL runs them in
 * the connection's own database. */
static void make_shop_fixture(mdc_conn *c)
{
	static const char *const duck[] = {
		"DROP SCHEMA IF EXISTS shop.cat_test CASCADE",
		"CREATE SCHEMA shop.cat_test",
		"CREATE TABLE shop.cat_test.orders (id INTEGER NOT NULL, amount DECIMAL(18,3), "
		"note VARCHAR, placed TIMESTAMP, ok BOOLEAN)",
		"INSERT INTO shop.cat_test.orders VALUES (1, 1.5, 'a', '2024-01-02 03:04:05', true), "
		"(2, 0.5, NULL, NULL, false), (3, 12.25, 'c', '2024-02-03 00:00:00', NULL)",
		"CREATE TABLE shop.cat_test.\"Zeta\" (z INTEGER)",
		"CREATE TABLE shop.cat_test.\"" ODD_NAME "\" (x BIGINT)",
		"INSERT INTO shop.cat_test.\"" ODD_NAME "\" VALUES (1), (2)",
		"CREATE VIEW shop.cat_test.big_orders AS SELECT id, amount FROM shop.cat_test.orders "
		"WHERE amount > 1",
		"DROP SCHEMA IF EXISTS shop.cat_empty CASCADE",
		"CREATE SCHEMA shop.cat_empty",
		NULL,
	};
	static const char *const pg[] = {
		"DROP SCHEMA IF EXISTS cat_test CASCADE",
		"CREATE SCHEMA cat_test",
		"CREATE TABLE cat_test.orders (id integer NOT NULL, amount numeric(18,3), "
		"note text, placed timestamp, ok boolean)",
		"INSERT INTO cat_test.orders VALUES (1, 1.5, 'a', '2024-01-02 03:04:05', true), "
		"(2, 0.5, NULL, NULL, false), (3, 12.25, 'c', '2024-02-03 00:00:00', NULL)",
		"CREATE TABLE cat_test.\"Zeta\" (z integer)",
		"CREATE TABLE cat_test.\"" ODD_NAME "\" (x bigint)",
		"INSERT INTO cat_test.\"" ODD_NAME "\" VALUES (1), (2)",
		"CREATE VIEW cat_test.big_orders AS SELECT id, amount FROM cat_test.orders "
		"WHERE amount > 1",
		/* reltuples is -1 until analyzed; "Zeta" stays unanalyzed on purpose. */
		"ANALYZE cat_test.orders",
		"ANALYZE cat_test.\"" ODD_NAME "\"",
		"DROP SCHEMA IF EXISTS cat_empty CASCADE",
		"CREATE SCHEMA cat_empty",
		NULL,
	};
	exec_all(c, is_pg ? pg : duck);
}

static void make_analytics_fixture(mdc_conn *c)
{
	static const char *const duck[] = {
		"DROP SCHEMA IF EXISTS analytics.cat_test2 CASCADE",
		"CREATE SCHEMA analytics.cat_test2",
		"CREATE TABLE analytics.cat_test2.metrics (v DOUBLE, tags VARCHAR[])",
		"INSERT INTO analytics.cat_test2.metrics VALUES (1.25, ['a', 'b'])",
		NULL,
	};
	static const char *const pg[] = {
		"DROP SCHEMA IF EXISTS cat_test2 CASCADE",
		"CREATE SCHEMA cat_test2",
		"CREATE TABLE cat_test2.metrics (v double precision, tags text[])",
		"INSERT INTO cat_test2.metrics VALUES (1.25, ARRAY['a', 'b'])",
		"ANALYZE cat_test2.metrics",
		NULL,
	};
	exec_all(c, is_pg ? pg : duck);
}

static int has_name(const mdc_name_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

static int names_sorted(const mdc_name_list *l)
{
	for (size_t i = 1; i < l->n; i++)
		if (strcmp(l->names[i - 1], l->names[i]) >= 0)
			return 0;
	return 1;
}

static void test_databases(mdc_conn *c)
{
	mdc_name_list l;
	mdc_error e;
	CHECK_INT(mdc_list_databases(c, &l, &e), 0);
	CHECK(has_name(&l, "shop"));
	CHECK(has_name(&l, "analytics"));
	CHECK(!has_name(&l, "system"));
	CHECK(!has_name(&l, "temp"));
	CHECK(!has_name(&l, "template0"));
	CHECK(!has_name(&l, "template1"));
	CHECK(names_sorted(&l));
	mdc_name_list_free(&l);
	mdc_name_list_free(&l); /* a freed list is zeroed: freeing again is fine */
}

static void test_schemas(mdc_conn *c)
{
	mdc_name_list l;
	mdc_error e;
	CHECK_INT(mdc_list_schemas(c, "shop", &l, &e), 0);
	CHECK(has_name(&l, "cat_test"));
	CHECK(has_name(&l, "cat_empty"));
	/* ENGINE DIFFERENCE: DuckDB databases have `main` (internal, but kept);
	 * PostgreSQL databases have `public`. */
	CHECK(has_name(&l, is_pg ? "public" : "main"));
	CHECK(!has_name(&l, "information_schema"));
	CHECK(!has_name(&l, "pg_catalog"));
	CHECK(!has_name(&l, "pg_toast"));
	CHECK(names_sorted(&l));
	mdc_name_list_free(&l);

	/* NULL: the connection's own database (shop on PostgreSQL). */
	if (is_pg) {
		CHECK_INT(mdc_list_schemas(c, NULL, &l, &e), 0);
		CHECK(has_name(&l, "cat_test"));
		mdc_name_list_free(&l);
	}

	/* ENGINE DIFFERENCE: a PostgreSQL connection sees only its database
	 * (-EXDEV); DuckDB reports a missing database as -ENOENT. */
	CHECK_INT(mdc_list_schemas(c, "no_such_db_xyz", &l, &e), is_pg ? -EXDEV : -ENOENT);
	CHECK_INT(l.n, 0);
	if (is_pg)
		CHECK_INT(mdc_list_schemas(c, "analytics", &l, &e), -EXDEV);
}

static void test_relations(mdc_conn *c)
{
	mdc_rel_list l;
	mdc_error e;
	int rc = mdc_list_relations(c, "shop", "cat_test", &l, &e);
	CHECK_INT(rc, 0);
	if (rc != 0)
		fprintf(stderr, "list relations: %s\n", e.message);
	CHECK_INT(l.n, 4);
	if (l.n == 4) {
		/* byte order: upper case first, then the rest */
		CHECK_STR(l.rels[0].name, "Zeta");
		CHECK_STR(l.rels[1].name, "big_orders");
		CHECK_STR(l.rels[2].name, ODD_NAME);
		CHECK_STR(l.rels[3].name, "orders");
		CHECK_INT(l.rels[0].kind, MDC_REL_TABLE);
		CHECK_INT(l.rels[1].kind, MDC_REL_VIEW);
		CHECK_INT(l.rels[2].kind, MDC_REL_TABLE);
		CHECK_INT(l.rels[3].kind, MDC_REL_TABLE);
		/* ENGINE DIFFERENCE: PostgreSQL has no estimate for a never-analyzed
		 * table (-1); DuckDB's estimated_size is always there (0). */
		CHECK_INT(l.rels[0].est_rows, is_pg ? -1 : 0);
		CHECK_INT(l.rels[1].est_rows, -1);     /* views: no estimate */
		CHECK_INT(l.rels[2].est_rows, 2);
		CHECK_INT(l.rels[3].est_rows, 3);
		/* The same query brings definitions, comments and columns. */
		CHECK_STR(l.rels[0].definition, is_pg ? "CREATE TABLE cat_test.\"Zeta\" (\n    z integer\n);"
						      : "CREATE TABLE cat_test.Zeta(z INTEGER);");
		CHECK_STR(l.rels[0].columns, is_pg ? "z\tinteger\n" : "z\tINTEGER\n");
		CHECK_STR(l.rels[2].columns, is_pg ? "x\tbigint\n" : "x\tBIGINT\n");
		CHECK(l.rels[0].comment == NULL);
		CHECK_STR(l.rels[0].object_type, "TABLE");
		CHECK_STR(l.rels[1].object_type, "VIEW");
		CHECK(l.rels[1].definition && strncmp(l.rels[1].definition,
						      "CREATE VIEW cat_test.big_orders AS", 34) == 0);
	}
	mdc_rel_list_free(&l);

	CHECK_INT(mdc_list_relations(c, "shop", "cat_empty", &l, &e), 0);
	CHECK_INT(l.n, 0);
	mdc_rel_list_free(&l);
	CHECK_INT(mdc_list_relations(c, "shop", "no_such_schema", &l, &e), -ENOENT);
	CHECK_INT(l.n, 0);
}

static void check_col(const mdc_column_list *l, size_t i, const char *name, const char *type,
		      int nullable)
{
	if (i >= l->n) {
		CHECK(i < l->n);
		return;
	}
	CHECK_STR(l->cols[i].name, name);
	CHECK_STR(l->cols[i].type, type);
	CHECK_INT(l->cols[i].nullable, nullable);
}

static void test_columns(mdc_conn *c)
{
	mdc_column_list l;
	mdc_error e;
	CHECK_INT(mdc_list_columns(c, "shop", "cat_test", "orders", &l, &e), 0);
	CHECK_INT(l.n, 5);
	/* ENGINE DIFFERENCE: type names are each engine's own spelling. */
	check_col(&l, 0, "id", is_pg ? "integer" : "INTEGER", 0);
	check_col(&l, 1, "amount", is_pg ? "numeric(18,3)" : "DECIMAL(18,3)", 1);
	check_col(&l, 2, "note", is_pg ? "text" : "VARCHAR", 1);
	check_col(&l, 3, "placed", is_pg ? "timestamp without time zone" : "TIMESTAMP", 1);
	check_col(&l, 4, "ok", is_pg ? "boolean" : "BOOLEAN", 1);
	mdc_column_list_free(&l);

	CHECK_INT(mdc_list_columns(c, "shop", "cat_test", ODD_NAME, &l, &e), 0);
	CHECK_INT(l.n, 1);
	check_col(&l, 0, "x", is_pg ? "bigint" : "BIGINT", 1);
	mdc_column_list_free(&l);

	CHECK_INT(mdc_list_columns(c, "shop", "cat_test", "big_orders", &l, &e), 0);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		CHECK_STR(l.cols[0].name, "id");
		CHECK_STR(l.cols[1].name, "amount");
	}
	mdc_column_list_free(&l);

	CHECK_INT(mdc_list_columns(c, "shop", "cat_test", "no_such_table", &l, &e), -ENOENT);
	CHECK_INT(l.n, 0);
	CHECK_INT(mdc_list_columns(c, "shop", "no_such_schema", "orders", &l, &e), -ENOENT);
	CHECK_INT(mdc_list_columns(c, "shop", "cat_test", "Orders", &l, &e), -ENOENT); /* verbatim */
}

/* analytics: on PostgreSQL through a pooled connection to that database; on
 * DuckDB the same (shared) connection lists it. */
static void test_analytics(mdc_conn *c)
{
	mdc_name_list s;
	mdc_rel_list r;
	mdc_column_list cl;
	mdc_error e;

	make_analytics_fixture(c);
	CHECK_INT(mdc_list_schemas(c, "analytics", &s, &e), 0);
	CHECK(has_name(&s, "cat_test2"));
	CHECK(!has_name(&s, "cat_test"));
	mdc_name_list_free(&s);
	CHECK_INT(mdc_list_relations(c, "analytics", "cat_test2", &r, &e), 0);
	CHECK_INT(r.n, 1);
	if (r.n == 1) {
		CHECK_STR(r.rels[0].name, "metrics");
		CHECK_INT(r.rels[0].kind, MDC_REL_TABLE);
		CHECK_INT(r.rels[0].est_rows, 1);
	}
	mdc_rel_list_free(&r);
	CHECK_INT(mdc_list_columns(c, "analytics", "cat_test2", "metrics", &cl, &e), 0);
	CHECK_INT(cl.n, 2);
	check_col(&cl, 0, "v", is_pg ? "double precision" : "DOUBLE", 1);
	check_col(&cl, 1, "tags", is_pg ? "text[]" : "VARCHAR[]", 1);
	mdc_column_list_free(&cl);
	if (is_pg) /* ...and it cannot read shop */
		CHECK_INT(mdc_list_relations(c, "shop", "cat_test", &r, &e), -EXDEV);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* PostgreSQL: poll (bounded) until backend pid has left pg_stat_activity. */
static bool wait_backend_gone(mdc_conn *c, int pid, double limit_s)
{
	struct timespec t0;
	char sql[96];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(sql, sizeof sql, "SELECT 1 FROM pg_stat_activity WHERE pid = %d", pid);
	while (seconds_since(&t0) < limit_s) {
		PGresult *r = PQexec(mdc_conn_pg(c), sql);
		bool gone = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0;
		PQclear(r);
		if (gone)
			return true;
		usleep(20 * 1000);
	}
	return false;
}

static void test_pool(const char *source)
{
	/* TLS under valgrind on a busy machine takes seconds: connect may wait. */
	mdc_options o = { .connect_timeout_s = getenv("MDFS_TEST_VALGRIND") ? 60 : 2,
			  .queue_timeout_s = 2 };
	mdc_config *cfg = NULL;
	mdc_pool *p = NULL;
	mdc_error e;
	mdc_conn *c1 = NULL, *c2 = NULL, *c3 = NULL;

	CHECK_INT(mdc_config_new(source, &o, &cfg, &e), 0);
	if (!cfg)
		return;
	CHECK_INT(mdc_pool_new(cfg, 2, &p, &e), 0);
	if (!p) {
		mdc_config_free(cfg);
		return;
	}
	CHECK_INT(mdc_pool_dialect(p), 0);

	CHECK_INT(mdc_pool_get(p, NULL, &c1, &e), 0);
	CHECK_INT(mdc_pool_dialect(p), is_pg ? MDC_DIALECT_POSTGRES : MDC_DIALECT_DUCKDB);
	CHECK_INT(mdc_pool_get(p, "analytics", &c2, &e), 0);
	if (!c1 || !c2)
		goto out;
	CHECK(c1 != c2);
	if (is_pg) {
		/* per-database connections on PostgreSQL */
		CHECK_STR(mdc_conn_dbname(c1), "shop");
		CHECK_STR(mdc_conn_dbname(c2), "analytics");
		test_analytics(c2);
	} else {
		test_analytics(c1);
	}

	/* Both busy, size 2: the next borrower queues, then gives up (queue_timeout). */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(mdc_pool_get(p, "shop", &c3, &e), -ETIMEDOUT);
	double waited = seconds_since(&t0);
	CHECK(waited >= 1.5 && waited < 5.0);

	/* Returned connections are reused: on PostgreSQL for their database. */
	mdc_pool_put(p, c2, false);
	CHECK_INT(mdc_pool_get(p, "analytics", &c3, &e), 0);
	CHECK(c3 == c2);
	mdc_pool_put(p, c3, false);
	c2 = c3 = NULL;
	if (is_pg) {
		/* shop is wanted and analytics is idle: the idle one makes room */
		CHECK_INT(mdc_pool_get(p, "shop", &c2, &e), 0);
		if (c2)
			CHECK_STR(mdc_conn_dbname(c2), "shop");
		mdc_pool_put(p, c2, false);
		c2 = NULL;
	}

	if (is_pg) {
		/* An idle connection whose server side went away is noticed by get
		 * (the backend is terminated from another connection). */
		CHECK_INT(mdc_pool_get(p, "shop", &c2, &e), 0);
		if (c2) {
			char sql[96];
			int dead_pid = PQbackendPID(mdc_conn_pg(c2));
			snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", dead_pid);
			mdc_pool_put(p, c2, false);
			c2 = NULL;
			CHECK_INT(mdc_conn_exec(c1, sql, &e), 0);
			/* Wait until the backend is gone (it sends its FATAL first). */
			CHECK(wait_backend_gone(c1, dead_pid, 10.0));
			CHECK_INT(mdc_pool_get(p, "shop", &c2, &e), 0);
			if (c2) {
				CHECK(PQbackendPID(mdc_conn_pg(c2)) != dead_pid);
				CHECK_INT(mdc_conn_exec(c2, "SELECT 1", &e), 0);
			}
			mdc_pool_put(p, c2, false);
			c2 = NULL;
		}
	}

	/* A broken connection bumps the generation: the idle ones go, and the
	 * next get connects afresh and works. */
	mdc_pool_put(p, c1, true);
	c1 = NULL;
	CHECK_INT(mdc_pool_get(p, NULL, &c1, &e), 0);
	if (c1) {
		mdc_name_list l;
		CHECK(mdc_conn_is_ok(c1));
		CHECK_INT(mdc_list_databases(c1, &l, &e), 0);
		mdc_name_list_free(&l);
	}
	/* A connection left inside a transaction is not kept: the next get
	 * gives another backend, idle (SELECT 1 alone would also succeed on
	 * the reused one, inside its transaction). */
	if (c1) {
		CHECK_INT(mdc_conn_exec(c1, "BEGIN", &e), 0);
		int in_tx_pid = PQbackendPID(mdc_conn_pg(c1));
		CHECK_INT(PQtransactionStatus(mdc_conn_pg(c1)), PQTRANS_INTRANS);
		mdc_pool_put(p, c1, false);
		c1 = NULL;
		CHECK_INT(mdc_pool_get(p, NULL, &c1, &e), 0);
		if (c1) {
			CHECK(PQbackendPID(mdc_conn_pg(c1)) != in_tx_pid);
			CHECK_INT(PQtransactionStatus(mdc_conn_pg(c1)), PQTRANS_IDLE);
			CHECK_INT(mdc_conn_exec(c1, "SELECT 1", &e), 0);
		}
	}
out:
	mdc_pool_put(p, c1, false);
	mdc_pool_put(p, c2, false);
	mdc_pool_free(p);
	mdc_config_free(cfg);
}

static void test_wrong_token(const char *source, const char *token)
{
	mdc_config *cfg = NULL;
	mdc_conn *c = NULL;
	mdc_error e;
	const char *bad = "garbage-token-0000";

	setenv("MOTHERDUCK_TOKEN", bad, 1);
	CHECK_INT(mdc_config_new(source, NULL, &cfg, &e), 0);
	if (cfg) {
		int rc = mdc_connect(cfg, NULL, &c, &e);
		CHECK_INT(rc, -EACCES);
		CHECK_INT(e.errnum, EACCES);
		CHECK(strncmp(e.sqlstate, "28", 2) == 0);
		CHECK(strstr(e.message, bad) == NULL);
		CHECK(c == NULL);
		mdc_conn_close(c);
		mdc_config_free(cfg);
	}
	setenv("MOTHERDUCK_TOKEN", token, 1);
}

static void test_exec_errors(mdc_conn *c)
{
	mdc_error e;
	CHECK_INT(mdc_conn_exec(c, "SELECT * FROM shop.cat_test.no_such_table_xyz", &e), -ENOENT);
	CHECK_STR(e.sqlstate, "42P01");
	CHECK_INT(mdc_conn_exec(c, "SELEC 1", &e), -EINVAL);
	/* the connection stays usable after errors */
	CHECK(mdc_conn_is_ok(c));
	CHECK_INT(mdc_conn_exec(c, "SELECT 1; SELECT 2", &e), 0);
}

/* A server that accepts TCP (the kernel's backlog) but never answers: the
 * connect must give up after connect_timeout with -ETIMEDOUT. */
static void test_dead_host(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		CHECK(!"cannot make a listening socket");
		if (fd >= 0)
			close(fd);
		return;
	}
	char src[128];
	snprintf(src, sizeof src, "host=127.0.0.1 port=%d dbname=x sslmode=disable",
		 ntohs(a.sin_port));
	mdc_options o = { .connect_timeout_s = 1 };
	mdc_config *cfg = NULL;
	mdc_conn *c = NULL;
	mdc_error e;
	CHECK_INT(mdc_config_new(src, &o, &cfg, &e), 0);
	if (cfg) {
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK_INT(mdc_connect(cfg, NULL, &c, &e), -ETIMEDOUT);
		double took = seconds_since(&t0);
		CHECK(took >= 0.9 && took < 3.0);
		mdc_conn_close(c);
		mdc_config_free(cfg);
	}
	close(fd);
}

/* ENGINE DIFFERENCE: DuckDB has no sleep function; a long sum stands in. */
static const char *long_query(void)
{
	return is_pg ? "SELECT pg_sleep(20)" : "SELECT sum(i) FROM range(30000000000) t(i)";
}

struct sleeper {
	mdc_conn *c;
	int rc;
	atomic_int done;
};

static void *run_sleep(void *arg)
{
	struct sleeper *s = arg;
	mdc_error e;
	s->rc = mdc_conn_exec(s->c, long_query(), &e);
	atomic_store(&s->done, 1);
	return NULL;
}

/* A connection made with options o: *cfg (free it) and the connection, or
 * NULL (recorded as a failed check). */
static mdc_conn *connect_with(const char *source, const mdc_options *o, mdc_config **cfg)
{
	mdc_conn *c = NULL;
	mdc_error e;
	*cfg = NULL;
	CHECK_INT(mdc_config_new(source, o, cfg, &e), 0);
	if (*cfg)
		CHECK_INT(mdc_connect(*cfg, NULL, &c, &e), 0);
	return c;
}

/* long_query() on c, which must end in ETIMEDOUT (*e says why): the seconds
 * it took. */
static double seconds_to_timeout(mdc_conn *c, mdc_error *e)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(mdc_conn_exec(c, long_query(), e), -ETIMEDOUT);
	return seconds_since(&t0);
}

/* Cancel from another thread, and statement_timeout, both end in 57014. */
static void test_cancel_and_timeout(const char *source)
{
	mdc_options o = { .statement_timeout_ms = 300 };
	mdc_config *cfg = NULL;
	mdc_conn *c = connect_with(source, &o, &cfg);
	mdc_error e;

	if (c) {
		struct timespec t0;
		CHECK(seconds_to_timeout(c, &e) < 3.0);
		CHECK_STR(e.sqlstate, "57014");

		CHECK_INT(mdc_conn_exec(c, "SET statement_timeout = 0", &e), 0);
		struct sleeper s = { .c = c, .rc = 1 };
		pthread_t th;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pthread_create(&th, NULL, run_sleep, &s) == 0) {
			/* A cancel that arrives before the query runs is dropped by
			 * the server: cancel until the query has ended (bounded). */
			while (!atomic_load(&s.done) && seconds_since(&t0) < 5.0) {
				mdc_conn_cancel(c);
				usleep(50 * 1000);
			}
			pthread_join(th, NULL);
			CHECK_INT(s.rc, -ETIMEDOUT);
			CHECK(seconds_since(&t0) < 5.0);
		}
		CHECK_INT(mdc_conn_exec(c, "SELECT 1", &e), 0);
	}
	mdc_conn_close(c);
	mdc_config_free(cfg);
}

/* An answer that does not come within io_timeout (a frozen endpoint looks
 * the same as a statement the server keeps running) ends the wait: ETIMEDOUT
 * soon after the deadline, and the connection counts as broken. */
static void test_io_timeout(const char *source)
{
	mdc_options o = { .io_timeout_s = 1 };
	mdc_config *cfg = NULL;
	mdc_conn *c = connect_with(source, &o, &cfg);
	mdc_error e;

	CHECK(cfg && mdc_config_answer_timeout_ms(cfg) == 1000);
	if (c) {
		double took = seconds_to_timeout(c, &e);
		CHECK(took >= 0.9 && took < 3.0);
		CHECK(strstr(e.message, "no answer") != NULL);
		CHECK(!mdc_conn_is_ok(c));
	}
	mdc_conn_close(c);
	mdc_config_free(cfg);
}

/* DDL with err NULL (the API allows it) and bad names: errors, no crash. */
static void test_ddl_without_err(mdc_conn *c)
{
	const char *db = is_pg ? NULL : "shop";
	CHECK_INT(mdc_drop_table(c, db, "cat_test", NULL, NULL), -EINVAL);
	CHECK_INT(mdc_create_schema(c, db, NULL, NULL), -EINVAL);
	/* an incomplete UTF-8 sequence cannot be quoted (or is refused by the server) */
	CHECK(mdc_drop_table(c, db, "cat_test", "bad\xE2", NULL) < 0);
	CHECK(mdc_drop_table(c, db, "cat_test", "no_such_table", NULL) < 0);
	CHECK(mdc_conn_is_ok(c));
}

int main(void)
{
	const char *source = testutil_env("MDFS_TEST_SOURCE");
	const char *engine = testutil_env("MDFS_TEST_ENGINE");
	const char *token = testutil_env("MOTHERDUCK_TOKEN");
	mdc_config *cfg = NULL;
	mdc_conn *c = NULL;
	mdc_error e;

	mdc_log_set_level(getenv("MDFS_TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	is_pg = strcmp(engine, "postgres") == 0;

	CHECK_INT(mdc_config_new(source, NULL, &cfg, &e), 0);
	if (!cfg) {
		fprintf(stderr, "config: %s\n", e.message);
		return testutil_finish("test_catalog");
	}
	CHECK(strstr(mdc_config_display(cfg), token) == NULL);
	int rc = mdc_connect(cfg, NULL, &c, &e);
	CHECK_INT(rc, 0);
	if (rc != 0) {
		fprintf(stderr, "connect: %s\n", e.message);
		mdc_config_free(cfg);
		return testutil_finish("test_catalog");
	}
	CHECK_INT(mdc_conn_dialect(c), is_pg ? MDC_DIALECT_POSTGRES : MDC_DIALECT_DUCKDB);
	CHECK(mdc_conn_is_ok(c));
	if (is_pg) {
		CHECK_STR(mdc_conn_dbname(c), "shop");
		CHECK(mdc_conn_has_copy_out(c));
	}
	printf("engine %s, database \"%s\", COPY out %s\n", engine, mdc_conn_dbname(c),
	       mdc_conn_has_copy_out(c) ? "yes" : "no");

	make_shop_fixture(c);
	test_databases(c);
	test_schemas(c);
	test_relations(c);
	test_columns(c);
	test_exec_errors(c);
	test_ddl_without_err(c);
	mdc_conn_close(c);
	mdc_config_free(cfg);

	test_pool(source);
	test_dead_host();
	/* The hostile profile refuses SET statement_timeout and ignores cancels:
	 * there is nothing of either to test (mdfs's side: test_hostile.py). */
	const char *profile = getenv("MDFS_TEST_MD_PROFILE");
	if (is_pg || !profile || strcmp(profile, "hostile") != 0)
		test_cancel_and_timeout(source);
	test_io_timeout(source);
	test_wrong_token(source, token);
	return testutil_finish("test_catalog");
}
