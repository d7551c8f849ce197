/* mdclient/dialect_duckdb.c - MotherDuck (and the stand-in): DuckDB SQL
 * behind the PostgreSQL wire protocol (see internal/dialect.h and
 * ../shared/docs/motherduck-endpoint.md). */
#include "mdclient/internal/dialect.h"

#include <string.h>

/* main is internal in DuckDB but is where most tables live, so it is kept
 * explicitly. */
static const char schemas[] =
	"SELECT schema_name FROM duckdb_schemas() WHERE database_name = $1 "
	"AND (NOT internal OR schema_name = 'main') "
	"AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY schema_name";

/* One query for a whole schema, whatever its size: name, kind (1 table, 2
 * view), row estimate, the engine's own CREATE statement, comment, columns
 * (name TAB type, one line each), what COMMENT ON calls it.
 * Temporary objects live in the internal "temp" database, so database_name
 * already excludes them; the flags are checked anyway (DuckDB 1.5 reports
 * internal = false, temporary = false for user tables and views).
 * Cost (10,000 two-column tables, DuckDB 1.5, one thread): the scan of
 * duckdb_tables() alone is most of it (~60 ms, every column computed);
 * the columns are aggregated once for tables and views together and put
 * in order by sorting each relation's small list, not by an ordered
 * string_agg (~190 ms CPU before, ~120 ms now; docs/benchmarks.md). */
static const char relations[] =
	"WITH r AS (SELECT table_name AS name, 1 AS kind, estimated_size AS est, sql, comment, "
	"'TABLE' AS what FROM duckdb_tables() "
	"WHERE database_name = $1 AND schema_name = $2 AND NOT internal AND NOT temporary "
	"UNION ALL "
	"SELECT view_name, 2, NULL, sql, comment, 'VIEW' FROM duckdb_views() "
	"WHERE database_name = $1 AND schema_name = $2 AND NOT internal AND NOT temporary), "
	"c AS (SELECT table_name, array_to_string(list_transform(list_sort(list("
	"{'i': column_index, 's': column_name || chr(9) || data_type})), lambda x: x.s), chr(10)) AS cols "
	"FROM duckdb_columns() WHERE database_name = $1 AND schema_name = $2 GROUP BY table_name) "
	"SELECT r.name, r.kind, r.est, r.sql, r.comment, c.cols, r.what "
	"FROM r LEFT JOIN c ON c.table_name = r.name ORDER BY 1";

/* The endpoint may refuse SET: then its own settings stay. No lock waits:
 * optimistic concurrency, a conflict fails at once. */
static char *session_sql(const mdc_config *cfg)
{
	(void)cfg;
	return strdup("SET TimeZone = 'UTC'");
}

const mdc_dialect_impl mdc_dialect_duckdb = {
	.id = MDC_DIALECT_DUCKDB,
	.name = "DuckDB",
	.default_schema = "main",

	.one_db_per_conn = false,
	.names_db = true,
	.sql_current_db = "SELECT current_database(), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMPTZ)",

	.session_sql = session_sql,
	.session_what = "SET TimeZone",
	.session_required = false,
	.statement_timeout_required = false,

	.catalog_db_param = true,
	.sql_databases = "SELECT database_name FROM duckdb_databases() WHERE NOT internal "
			 "ORDER BY database_name",
	.sql_schemas = schemas,
	/* Every DuckDB database has main: no schemas means no such database. */
	.sql_db_exists = "SELECT 1 FROM duckdb_databases() WHERE database_name = $1 AND NOT internal",
	.sql_relations = relations,
	.sql_schema_exists = "SELECT 1 FROM duckdb_schemas() WHERE database_name = $1 "
			     "AND schema_name = $2",
	.sql_columns = "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
		       "WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 "
		       "ORDER BY column_index",
	.sql_is_view = "SELECT 1 FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 "
		       "AND view_name = $3",
	.sql_view_keep = "SELECT 0, comment FROM duckdb_views() WHERE database_name = $1 "
			 "AND schema_name = $2 AND view_name = $3",

	/* Whether the endpoint takes COPY is unknown: probed when asked.
	 * DuckDB's CSV reader (behind the stand-in's COPY, and probably
	 * MotherDuck's) refuses lines above 2 MB; a seed then splits. */
	.copy_out = -1,
	.copy_in_sure = false,
	.copy_in_max_line = (size_t)1 << 20,
	.split_load = true,
	.copy_in_plain_fields = false,

	.export_binary_copy = false,
	.value_text = MDC_PARQUET_TEXT_DUCKDB,

	/* DuckDB has read-only transactions; json_serialize_sql parses without
	 * running and serialises only SELECT statements (an error for the
	 * rest); query() runs a text given as its argument. */
	.sql_begin_read_only = "BEGIN TRANSACTION READ ONLY",
	.sql_begin_fallback = "BEGIN TRANSACTION",
	.sql_query_check = "SELECT coalesce(CAST(json_extract(s, '$.error') AS BOOLEAN), false), "
			   "json_extract_string(s, '$.error_type'), json_extract_string(s, '$.error_message'), "
			   "CAST(coalesce(json_array_length(s, '$.statements'), 0) AS INTEGER) "
			   "FROM (SELECT json_serialize_sql(CAST($1 AS VARCHAR)) AS s) AS t",
	.query_probe = NULL, /* json_serialize_sql takes only SELECT statements */
	.sql_result_types = "SELECT column_type FROM (DESCRIBE SELECT * FROM query(CAST($1 AS VARCHAR))) "
			    "WHERE CAST($2 AS VARCHAR) IS NOT NULL AND CAST($3 AS VARCHAR) IS NOT NULL",
	.query_source_fn = "query",
};
