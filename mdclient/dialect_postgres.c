/* mdclient/dialect_postgres.c - a real PostgreSQL server (see
 * internal/dialect.h). Names are compared in byte order ("C" collation). */
#include "mdclient/internal/dialect.h"

#include <stdio.h>

/* One query for a whole schema, whatever its size: name, kind (1 table, 2
 * view), row estimate (reltuples; -1 never analyzed), a CREATE statement
 * built from the catalog (a table's columns with format_type() and NOT
 * NULL; a view's pg_get_viewdef()), comment, columns (name TAB type, one
 * line each), what COMMENT ON calls it. Partitions are left out: their
 * partitioned parent ('p') lists them all. */
#define REL_NAME "pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)"
#define COL_TYPE "pg_catalog.format_type(a.atttypid, a.atttypmod)"
static const char relations[] =
	"SELECT c.relname, CASE WHEN c.relkind IN ('r', 'p', 'f') THEN 1 ELSE 2 END, "
	"CASE WHEN c.relkind NOT IN ('r', 'p', 'f') THEN NULL "
	"WHEN c.reltuples < 0 THEN -1 ELSE c.reltuples::bigint END, "
	"CASE WHEN c.relkind IN ('v', 'm') THEN 'CREATE ' || "
	"CASE c.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END || 'VIEW ' || " REL_NAME " || "
	"' AS' || E'\\n' || pg_catalog.pg_get_viewdef(c.oid) "
	"ELSE 'CREATE ' || CASE c.relkind WHEN 'f' THEN 'FOREIGN ' ELSE '' END || 'TABLE ' || "
	REL_NAME " || ' (' || coalesce(string_agg(E'\\n    ' || pg_catalog.quote_ident(a.attname) || "
	"' ' || " COL_TYPE " || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, ',' "
	"ORDER BY a.attnum) || E'\\n', '') || ');' END, "
	"pg_catalog.obj_description(c.oid, 'pg_class'), "
	"string_agg(a.attname || E'\\t' || " COL_TYPE ", E'\\n' ORDER BY a.attnum), "
	"CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' "
	"WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
	"AND NOT a.attisdropped "
	"WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'f', 'v', 'm') "
	"AND NOT c.relispartition "
	"GROUP BY c.oid, c.relname, c.relkind, c.reltuples, n.nspname "
	"ORDER BY c.relname COLLATE \"C\"";

/* LEFT JOIN: a relation with no columns still gives one (NULL) row, so an
 * empty result means "no such relation". */
static const char columns[] =
	"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
	"AND NOT a.attisdropped "
	"WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'f', 'v', 'm') "
	"ORDER BY a.attnum";

/* Values in the forms the CSV and Parquet output expect; then the locks.
 * A DROP TABLE waits for every session reading the table, and every later
 * query of it waits behind the DROP: lock_timeout bounds that wait.
 * client_connection_check_interval (PostgreSQL 14 and later; older servers
 * skip it) has the server end a statement, and so its transaction, once its
 * client has given the connection up: a load abandoned past its deadline
 * would otherwise stay queued for its lock, holding every reader of the
 * table behind it, and commit whenever it got it. */
static char *session_sql(const mdc_config *cfg)
{
	char *sql = NULL;
	if (asprintf(&sql, "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET extra_float_digits = 3; "
		     "SET lock_timeout = %d; "
		     "SELECT pg_catalog.set_config('client_connection_check_interval', '1000', false) "
		     "WHERE pg_catalog.current_setting('server_version_num')::int >= 140000",
		     mdc_config_lock_timeout_ms(cfg)) < 0)
		return NULL;
	return sql;
}

const mdc_dialect_impl mdc_dialect_postgres = {
	.id = MDC_DIALECT_POSTGRES,
	.name = "PostgreSQL",
	.default_schema = "public",

	.one_db_per_conn = true,
	.names_db = false,
	.sql_current_db = NULL,

	.session_sql = session_sql,
	.session_what = "SET DateStyle, TimeZone, extra_float_digits, lock_timeout",
	.session_required = true,
	.statement_timeout_required = true,

	.catalog_db_param = false,
	.sql_databases = "SELECT datname FROM pg_catalog.pg_database "
			 "WHERE datallowconn AND NOT datistemplate ORDER BY datname COLLATE \"C\"",
	.sql_schemas = "SELECT nspname FROM pg_catalog.pg_namespace "
		       "WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema' "
		       "ORDER BY nspname COLLATE \"C\"",
	.sql_db_exists = NULL,
	.sql_relations = relations,
	.sql_schema_exists = "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1",
	.sql_columns = columns,
	/* $1 (the database) is the connection's own: only typed, not compared. */
	.sql_is_view = "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		       "ON n.oid = c.relnamespace WHERE $1::text IS NOT NULL AND n.nspname = $2 "
		       "AND c.relname = $3 AND c.relkind IN ('v', 'm')",
	/* A grant is made again as the owner (who replaces the view). */
	.sql_view_keep = "WITH v AS (SELECT c.oid, c.relowner, c.relacl, n.nspname, c.relname "
			 "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
			 "ON n.oid = c.relnamespace WHERE $1::text IS NOT NULL AND n.nspname = $2 "
			 "AND c.relname = $3 AND c.relkind = 'v') "
			 "SELECT 0, pg_catalog.obj_description(v.oid, 'pg_class') FROM v "
			 "UNION ALL SELECT 1, pg_catalog.format('GRANT %s ON %I.%I TO %s%s', "
			 "a.privilege_type, v.nspname, v.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
			 "ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END, "
			 "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) "
			 "FROM v CROSS JOIN LATERAL pg_catalog.aclexplode(v.relacl) a "
			 "WHERE a.grantee <> v.relowner ORDER BY 1, 2",

	.copy_out = 1,
	.copy_in_sure = true,
	.copy_in_max_line = 0,
	.split_load = false,
	.copy_in_plain_fields = true,

	.export_binary_copy = true,
	.value_text = MDC_PARQUET_TEXT_POSTGRES,

	/* A read-only transaction refuses every write (a data-modifying WITH
	 * included) when the query runs. PREPARE, Describe and EXPLAIN (without
	 * ANALYZE) take `WITH x AS (INSERT ... RETURNING *) SELECT ...` in a
	 * read-only transaction: they never start the executor's read-only
	 * check. DECLARE CURSOR refuses a data-modifying WITH when it parses
	 * the query and starts (never runs) the rest under that check (SELECT
	 * FOR UPDATE), and takes only queries (SELECT, WITH, VALUES, TABLE).
	 * The described OIDs and typmods name the types. */
	.sql_begin_read_only = "BEGIN READ ONLY",
	.sql_query_check = NULL,
	.query_probe = "DECLARE mdfs_query_probe NO SCROLL CURSOR FOR\n",
	.sql_result_types = "SELECT pg_catalog.format_type(u.t, u.m) "
			    "FROM unnest($2::oid[], $3::int[]) WITH ORDINALITY AS u(t, m, i) "
			    "WHERE $1::text IS NOT NULL ORDER BY u.i",
	.query_source_fn = NULL,
};
