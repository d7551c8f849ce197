/* mdclient/internal/dialect.h - the dialect seam: everything that differs
 * between the engines behind the wire protocol, in one place per engine
 * (mdclient-internal).
 *
 *   dialect_duckdb.c    MotherDuck and the stand-in (DuckDB SQL)
 *   dialect_postgres.c  a real PostgreSQL
 *   dialect.c           the helpers built on the table (no engine named)
 *
 * conn.c's probe picks the table ("SELECT 1 FROM duckdb_databases()") and
 * a connection keeps a pointer to it (mdc_conn_impl). Every other module
 * asks the table - SQL text, abilities, defaults - and never names an
 * engine: a new difference is a new field here, not an if elsewhere.
 */
#ifndef MDCLIENT_INTERNAL_DIALECT_H
#define MDCLIENT_INTERNAL_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/catalog.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"
#include "mdclient/parquet.h"

typedef struct mdc_dialect_impl {
	mdc_dialect id;               /* what mdc_conn_dialect reports */
	const char *name;             /* for logs: "DuckDB", "PostgreSQL" */
	const char *default_schema;   /* where a table goes when no schema is named */

	/* Databases. one_db_per_conn: a connection reads only the database it
	 * connected to (another one needs its own connection: -EXDEV);
	 * otherwise one connection sees every database of the workspace.
	 * names_db: object names carry the database ("db"."schema"."rel"). */
	bool one_db_per_conn;
	bool names_db;
	/* The connection's database: this query's first value, NULL: libpq's
	 * PQdb. A second and third column, when it has them, are a BOOLEAN and
	 * a TIMESTAMPTZ: when their described OIDs are not 16 and 1184 the
	 * endpoint's result OIDs say nothing (every column text or unknown, a
	 * behaviour MotherDuck's docs leave open), and the CSV output then takes
	 * those two types from the catalog or a DESCRIBE instead
	 * (mdc_conn_oids_say_nothing). */
	const char *sql_current_db;

	/* Session set-up after connecting: session_sql builds the whole
	 * statement from cfg (malloc'd; NULL: out of memory), which runs in one
	 * round trip first; when session_required a refusal fails the connect,
	 * otherwise it is logged (session_what says what it sets) and the
	 * server's settings stay. The same for statement_timeout, set after it.
	 * An engine that makes a statement wait for another session's lock
	 * also sets there (so only with session_required) that every lock wait
	 * ends after mdc_config_lock_timeout_ms with SQLSTATE 55P03, before
	 * mdclient stops waiting for the answer, and that the server ends a
	 * statement whose client went away (a connection given up past its
	 * deadline), so a transaction never outlives its client, keeps a lock
	 * or commits later. */
	char *(*session_sql)(const mdc_config *cfg);
	const char *session_what;     /* for logs: what session_sql sets */
	bool session_required;
	bool statement_timeout_required;

	/* Catalog SQL. Parameters: $1 the database when catalog_db_param,
	 * then the schema, then the relation (without the database otherwise).
	 * sql_db_exists may be NULL (no such check needed: a missing database
	 * fails at connect). Rows: see catalog.c. */
	bool catalog_db_param;
	const char *sql_databases;
	const char *sql_schemas;
	const char *sql_db_exists;
	const char *sql_relations;
	const char *sql_schema_exists;
	const char *sql_columns;
	/* A row when $1.$2.$3 (database, schema, relation; always all three)
	 * is a view or a materialized view. */
	const char *sql_is_view;
	/* What replacing view $1.$2.$3 (all three given) must keep, as rows
	 * (what, text): (0, its comment, NULL for none) while it exists, and
	 * (1, a statement that grants again what it grants to others) for each
	 * such grant, where the engine has grants. A replace that loses them
	 * (DuckDB's CREATE OR REPLACE drops the comment; PostgreSQL's DROP and
	 * CREATE, when the columns change, drops both) restores them in its
	 * transaction. */
	const char *sql_view_keep;

	/* COPY. copy_out: 1 the server always takes COPY (SELECT ...) TO
	 * STDOUT, -1 probe on first asking. copy_in_sure: COPY ... FROM STDIN
	 * always works, a refusal is an error (otherwise a seed falls back).
	 * copy_in_max_line: the server's CSV reader refuses longer lines (0: no
	 * limit). split_load: a seed batch may go as one string split
	 * server-side (string_split). copy_in_plain_fields: the server's COPY
	 * CSV reader takes an unquoted field verbatim (no trimming; only an
	 * empty field is NULL; only an unquoted "\." line ends the data), so a
	 * seed quotes a field only when it must. */
	int copy_out;
	bool copy_in_sure;
	size_t copy_in_max_line;
	bool split_load;
	bool copy_in_plain_fields;

	/* Parquet export: try COPY (SELECT ...) TO STDOUT (FORMAT binary) first;
	 * value_text: the text forms the values arrive in. */
	bool export_binary_copy;
	mdc_parquet_text value_text;

	/* Query files (query.h). sql_begin_read_only: the read-only
	 * transaction a query runs in (rolled back after it). sql_query_check:
	 * NULL, or a check of $1 (the query's text) that runs nothing and
	 * returns one row: refused (boolean), the kind of refusal ("not
	 * implemented": not a query), why, the number of statements.
	 * sql_result_types: the engine's type names of a described query's
	 * columns, one row each, in order; $1 the query's text, $2 and $3 the
	 * described type OIDs and typmods as array literals ("{23,25}").
	 * query_source_fn: a table function that runs the text of its one
	 * argument, given as a string literal quoted by libpq (a parameter
	 * would hide the result's shape until it is bound); NULL: none, the
	 * Parquet export then sends the query as written and keeps nested
	 * values in the server's text form instead of JSON.
	 * query_probe: NULL, or a statement head that the query's text
	 * completes (nothing after it), run inside sql_begin_read_only and
	 * rolled back, that the engine refuses, without running the query,
	 * when the query would change data (where Describe does not tell:
	 * PostgreSQL's data-modifying WITH).
	 * sql_begin_fallback: NULL, or the plain BEGIN used when the endpoint
	 * refuses sql_begin_read_only (MotherDuck's endpoint does not say
	 * whether it takes DuckDB's READ ONLY form): sql_query_check is then
	 * the only guard, so a dialect may have one only with a check. */
	const char *sql_begin_read_only;
	const char *sql_begin_fallback;
	const char *sql_query_check;
	const char *query_probe;
	const char *sql_result_types;
	const char *query_source_fn;
} mdc_dialect_impl;

extern const mdc_dialect_impl mdc_dialect_duckdb;
extern const mdc_dialect_impl mdc_dialect_postgres;

/* The dialect of a connection (never NULL once connected). */
const mdc_dialect_impl *mdc_conn_impl(const mdc_conn *c);
/* Run sql on c without logging a failure: 0 when the server answered, *ok
 * whether it succeeded, state the failure's SQLSTATE ("" if none); -errno
 * with err when the connection broke or did not answer in time. c may be
 * left inside a transaction (sql is a BEGIN): the caller ends it. */
int mdc_conn_try(mdc_conn *c, const char *sql, bool *ok, char state[6], mdc_error *err) MDC_MUSTCHECK;
/* Whether the endpoint refused c's sql_begin_read_only (learnt once per
 * connection by mdc_dialect_begin_read_only; kept across a revive). */
bool mdc_conn_read_only_refused(const mdc_conn *c);
void mdc_conn_set_read_only_refused(mdc_conn *c);
/* Whether c's endpoint describes result columns without naming their types
 * (learnt at connect from sql_current_db's probe columns). */
bool mdc_conn_oids_say_nothing(const mdc_conn *c);

/* The database a call on c is about: db, or c's own when db is NULL/"".
 * -EXDEV (err: what, then why) when c cannot reach it. */
int mdc_dialect_resolve_db(mdc_conn *c, const char *db, const char **out, const char *what,
			   mdc_error *err) MDC_MUSTCHECK;
/* 1 when db.schema.rel (db NULL/"": c's) is a view, 0 when not (a table
 * or nothing), -errno with err. */
int mdc_dialect_is_view(mdc_conn *c, const char *db, const char *schema, const char *rel,
			mdc_error *err) MDC_MUSTCHECK;
/* The relation's name as this dialect writes it, quoted: "db"."schema"."rel"
 * or "schema"."rel". malloc'd, or NULL with err. */
char *mdc_dialect_qualified(mdc_conn *c, const char *db, const char *schema, const char *rel,
			    mdc_error *err);
/* Start the read-only transaction a query file runs in: 0 or -errno. */
int mdc_dialect_begin_read_only(mdc_conn *c, mdc_error *err) MDC_MUSTCHECK;
/* End it (ROLLBACK, also after an error): 0 when c is idle and reusable,
 * -EIO when it must be discarded. */
int mdc_dialect_end_read_only(mdc_conn *c) MDC_MUSTCHECK;
/* "CREATE SCHEMA [IF NOT EXISTS] ..." for db.schema. malloc'd, or NULL with err. */
char *mdc_dialect_create_schema_sql(mdc_conn *c, const char *db, const char *schema,
				    bool if_not_exists, mdc_error *err);

/* The columns query (the dialect's sql_columns) of db.schema.rel (db
 * resolved): its parameters into params, their count into *nparams. 0. */
int mdc_catalog_columns_query(mdc_conn *c, const char *db, const char *schema, const char *rel,
			      const char *params[3], int *nparams);
/* That query's answer as a column list (free with mdc_column_list_free):
 * 0, -ENOENT (no rows: no such relation), -ENOMEM. */
struct pg_result;
int mdc_catalog_columns_result(const struct pg_result *res, const char *db, const char *schema,
			       const char *rel, mdc_column_list *out, mdc_error *err) MDC_MUSTCHECK;

#endif
