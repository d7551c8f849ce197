/* mdclient/catalog.h - list databases, schemas, tables/views and columns.
 *
 * DuckDB endpoints: duckdb_databases() (NOT internal), duckdb_schemas()
 * (main kept; information_schema, pg_catalog and other internal schemas
 * dropped), duckdb_tables() (estimated_size as the row estimate; sql and
 * comment), duckdb_views() (NOT internal; sql, comment), duckdb_columns().
 * PostgreSQL: pg_database (datallowconn, not templates), then for the
 * connection's own database pg_namespace / pg_class (reltuples, -1 → unknown;
 * obj_description) / pg_attribute with format_type(); a table's definition
 * is built from them (types, NOT NULL), a view's from pg_get_viewdef().
 * pg_*, information_schema are dropped. Listing a schema's relations is one
 * query whatever their number: definitions, comments and columns included.
 * On PostgreSQL a connection only sees its own database: listing schemas,
 * tables or columns of another database returns -EXDEV (get a connection to
 * that database from the pool).
 * Names come back sorted (byte order) and verbatim (no quoting, no encoding).
 * All SQL is sent with parameters ($1...), never with pasted names.
 *
 * Ownership: every list is filled by the call and freed by the caller with
 * the matching *_free function (which also accepts a zeroed list).
 */
#ifndef MDCLIENT_CATALOG_H
#define MDCLIENT_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

typedef struct mdc_name_list {
	size_t n;
	char **names;
} mdc_name_list;

typedef enum mdc_rel_kind {
	MDC_REL_TABLE = 1,
	MDC_REL_VIEW = 2,
} mdc_rel_kind;

typedef struct mdc_rel {
	char *name;
	mdc_rel_kind kind;
	int64_t est_rows;     /* -1 when the engine has no cheap estimate */
	/* From the same catalog query (NULL when the engine gives none): */
	char *definition;     /* the engine's CREATE TABLE / CREATE VIEW ... AS statement */
	char *comment;        /* the relation's comment; NULL: none */
	char *columns;        /* one line per column: name, TAB, the engine's type, LF */
	char *object_type;    /* what COMMENT ON calls it: TABLE, VIEW, MATERIALIZED VIEW,
			       * FOREIGN TABLE */
} mdc_rel;

typedef struct mdc_rel_list {
	size_t n;
	mdc_rel *rels;
} mdc_rel_list;

typedef struct mdc_column {
	char *name;
	char *type;           /* the engine's type text: "INTEGER", "DECIMAL(18,3)", "integer[]" ... */
	int nullable;         /* 1, 0, or -1 unknown */
} mdc_column;

typedef struct mdc_column_list {
	size_t n;
	mdc_column *cols;     /* in column order */
} mdc_column_list;

/* db NULL or "" below means the connection's own database. Errors, besides
 * those of the query itself: -EXDEV (PostgreSQL, another database), -ENOENT
 * (list_schemas: no such database - detectable on DuckDB only, since every
 * DuckDB database has main; list_relations: no such schema; list_columns: no
 * such table or view). On failure the list is left empty (n = 0). */
int mdc_list_databases(mdc_conn *c, mdc_name_list *out, mdc_error *err) MDC_MUSTCHECK;
int mdc_list_schemas(mdc_conn *c, const char *db, mdc_name_list *out, mdc_error *err) MDC_MUSTCHECK;
int mdc_list_relations(mdc_conn *c, const char *db, const char *schema,
		       mdc_rel_list *out, mdc_error *err) MDC_MUSTCHECK;
/* -ENOENT when the relation does not exist. */
int mdc_list_columns(mdc_conn *c, const char *db, const char *schema, const char *rel,
		     mdc_column_list *out, mdc_error *err) MDC_MUSTCHECK;

void mdc_name_list_free(mdc_name_list *l);
void mdc_rel_list_free(mdc_rel_list *l);
void mdc_column_list_free(mdc_column_list *l);

#endif
