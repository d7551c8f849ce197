/* mdclient/catalog.c - list databases, schemas, relations and columns.
 * See catalog.h. Every name travels as a $n parameter; lists are sorted
 * again in C with strcmp (byte order) whatever the server's collation. */
#include "mdclient/catalog.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/log.h"
#include "mdclient/internal/pqutil.h"

/* ---- SQL ---------------------------------------------------------------- */

static const char duck_databases[] =
	"SELECT database_name FROM duckdb_databases() WHERE NOT internal "
	"ORDER BY database_name";
static const char pg_databases[] =
	"SELECT datname FROM pg_catalog.pg_database "
	"WHERE datallowconn AND NOT datistemplate ORDER BY datname COLLATE \"C\"";

/* main is internal in DuckDB (see docs/motherduck-endpoint.md) but is where
 * most tables live, so it is kept explicitly. */
static const char duck_schemas[] =
	"SELECT schema_name FROM duckdb_schemas() WHERE database_name = $1 "
	"AND (NOT internal OR schema_name = 'main') "
	"AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY schema_name";
static const char pg_schemas[] =
	"SELECT nspname FROM pg_catalog.pg_namespace "
	"WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema' "
	"ORDER BY nspname COLLATE \"C\"";
static const char duck_db_exists[] =
	"SELECT 1 FROM duckdb_databases() WHERE database_name = $1 AND NOT internal";

/* Temporary objects live in the internal "temp" database, so database_name
 * already excludes them; the flags are checked anyway (DuckDB 1.5 reports
 * internal = false, temporary = false for user tables and views). */
static const char duck_relations[] =
	"SELECT table_name, 1, estimated_size FROM duckdb_tables() "
	"WHERE database_name = $1 AND schema_name = $2 AND NOT internal AND NOT temporary "
	"UNION ALL "
	"SELECT view_name, 2, NULL FROM duckdb_views() "
	"WHERE database_name = $1 AND schema_name = $2 AND NOT internal AND NOT temporary "
	"ORDER BY 1";
/* Partitions are left out: their partitioned parent ('p') lists them all. */
static const char pg_relations[] =
	"SELECT c.relname, CASE WHEN c.relkind IN ('r', 'p', 'f') THEN 1 ELSE 2 END, "
	"CASE WHEN c.relkind NOT IN ('r', 'p', 'f') THEN NULL "
	"WHEN c.reltuples < 0 THEN -1 ELSE c.reltuples::bigint END "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'f', 'v', 'm') "
	"AND NOT c.relispartition ORDER BY c.relname COLLATE \"C\"";
static const char duck_schema_exists[] =
	"SELECT 1 FROM duckdb_schemas() WHERE database_name = $1 AND schema_name = $2";
static const char pg_schema_exists[] =
	"SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1";

static const char duck_columns[] =
	"SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
	"WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 "
	"ORDER BY column_index";
/* LEFT JOIN: a relation with no columns still gives one (NULL) row, so an
 * empty result means "no such relation". */
static const char pg_columns[] =
	"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull "
	"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
	"AND NOT a.attisdropped "
	"WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'f', 'v', 'm') "
	"ORDER BY a.attnum";

/* ---- helpers ------------------------------------------------------------ */

void mdc_name_list_free(mdc_name_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

void mdc_rel_list_free(mdc_rel_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->rels[i].name);
	free(l->rels);
	l->rels = NULL;
	l->n = 0;
}

void mdc_column_list_free(mdc_column_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->cols[i].name);
		free(l->cols[i].type);
	}
	free(l->cols);
	l->cols = NULL;
	l->n = 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_rels(const void *a, const void *b)
{
	return strcmp(((const mdc_rel *)a)->name, ((const mdc_rel *)b)->name);
}

static int check_conn(mdc_conn *c, mdc_error *err)
{
	if (!c || !mdc_conn_pg(c))
		return mdc_error_set(err, EINVAL, "catalog: no connection");
	return 0;
}

/* The database a call is about: NULL/"" means the connection's. On
 * PostgreSQL only the connection's own database can be read (-EXDEV). */
static int resolve_db(mdc_conn *c, const char *db, const char **out, mdc_error *err)
{
	const char *own = mdc_conn_dbname(c);
	if (!db || !*db)
		db = own;
	if (mdc_conn_dialect(c) == MDC_DIALECT_POSTGRES && strcmp(db, PQdb(mdc_conn_pg(c))) != 0)
		return mdc_error_set(err, EXDEV,
				     "catalog: database \"%s\" needs its own connection (this one is in \"%s\")",
				     db, own);
	*out = db;
	return 0;
}

/* Run a query whose rows we need. */
static int query(mdc_conn *c, const char *sql, int nparams, const char *const *params,
		 PGresult **res, mdc_error *err)
{
	return mdc_pq_exec(mdc_conn_pg(c), sql, nparams, params, PGRES_TUPLES_OK, res, err);
}

/* 1 when sql returns a row, 0 when none, -errno on failure. */
static int exists(mdc_conn *c, const char *sql, int nparams, const char *const *params,
		  mdc_error *err)
{
	PGresult *res;
	int rc = query(c, sql, nparams, params, &res, err);
	if (rc < 0)
		return rc;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

static char *dup_value(const PGresult *res, int row, int col)
{
	return strdup(PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

/* Column 0 of every row into a sorted name list. */
static int names_from(PGresult *res, mdc_name_list *out, mdc_error *err)
{
	int n = PQntuples(res);
	out->names = n ? calloc((size_t)n, sizeof *out->names) : NULL;
	if (n && !out->names)
		return mdc_error_set(err, ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 0))
			continue;
		char *s = dup_value(res, i, 0);
		if (!s) {
			mdc_name_list_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
		out->names[out->n++] = s;
	}
	if (out->n > 1)
		qsort(out->names, out->n, sizeof *out->names, cmp_names);
	return 0;
}

/* ---- public ------------------------------------------------------------- */

int mdc_list_databases(mdc_conn *c, mdc_name_list *out, mdc_error *err)
{
	PGresult *res;
	int rc;

	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "catalog: no output list");
	memset(out, 0, sizeof *out);
	if ((rc = check_conn(c, err)) < 0)
		return rc;
	rc = query(c, mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB ? duck_databases : pg_databases,
		   0, NULL, &res, err);
	if (rc < 0)
		return rc;
	rc = names_from(res, out, err);
	PQclear(res);
	return rc;
}

int mdc_list_schemas(mdc_conn *c, const char *db, mdc_name_list *out, mdc_error *err)
{
	PGresult *res;
	int rc;

	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "catalog: no output list");
	memset(out, 0, sizeof *out);
	if ((rc = check_conn(c, err)) < 0 || (rc = resolve_db(c, db, &db, err)) < 0)
		return rc;
	bool duck = mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB;
	const char *params[1] = { db };
	rc = query(c, duck ? duck_schemas : pg_schemas, duck ? 1 : 0, duck ? params : NULL,
		   &res, err);
	if (rc < 0)
		return rc;
	rc = names_from(res, out, err);
	PQclear(res);
	if (rc == 0 && out->n == 0 && duck) {
		/* Every DuckDB database has main: nothing means no such database. */
		rc = exists(c, duck_db_exists, 1, params, err);
		if (rc == 0)
			rc = mdc_error_set(err, ENOENT, "catalog: no database \"%s\"", db);
		else if (rc > 0)
			rc = 0;
	}
	return rc;
}

int mdc_list_relations(mdc_conn *c, const char *db, const char *schema, mdc_rel_list *out,
		       mdc_error *err)
{
	PGresult *res;
	int rc;

	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "catalog: no output list");
	memset(out, 0, sizeof *out);
	if (!schema)
		return mdc_error_set(err, EINVAL, "catalog: no schema");
	if ((rc = check_conn(c, err)) < 0 || (rc = resolve_db(c, db, &db, err)) < 0)
		return rc;
	bool duck = mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB;
	const char *params[2] = { db, schema };
	const char *const *p = duck ? params : params + 1;
	int np = duck ? 2 : 1;

	rc = query(c, duck ? duck_relations : pg_relations, np, p, &res, err);
	if (rc < 0)
		return rc;
	int n = PQntuples(res);
	if (n > 0) {
		out->rels = calloc((size_t)n, sizeof *out->rels);
		if (!out->rels) {
			PQclear(res);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	for (int i = 0; i < n; i++) {
		mdc_rel *r = &out->rels[out->n];
		if (PQgetisnull(res, i, 0))
			continue;
		r->name = dup_value(res, i, 0);
		if (!r->name) {
			PQclear(res);
			mdc_rel_list_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
		r->kind = strcmp(PQgetvalue(res, i, 1), "2") == 0 ? MDC_REL_VIEW : MDC_REL_TABLE;
		r->est_rows = -1;
		if (!PQgetisnull(res, i, 2)) {
			char *end;
			long long v = strtoll(PQgetvalue(res, i, 2), &end, 10);
			if (end != PQgetvalue(res, i, 2) && v >= 0)
				r->est_rows = v;
		}
		out->n++;
	}
	PQclear(res);
	if (out->n > 1)
		qsort(out->rels, out->n, sizeof *out->rels, cmp_rels);

	if (out->n == 0) {
		rc = exists(c, duck ? duck_schema_exists : pg_schema_exists, np, p, err);
		if (rc == 0)
			rc = mdc_error_set(err, ENOENT, "catalog: no schema \"%s\" in \"%s\"", schema, db);
		else if (rc > 0)
			rc = 0;
		return rc;
	}
	return 0;
}

/* "true"/"t" (DuckDB/PostgreSQL text booleans) → 1, "false"/"f" → 0, else -1. */
static int parse_bool(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return -1;
	const char *v = PQgetvalue(res, row, col);
	if (strcmp(v, "t") == 0 || strcmp(v, "true") == 0)
		return 1;
	if (strcmp(v, "f") == 0 || strcmp(v, "false") == 0)
		return 0;
	return -1;
}

int mdc_list_columns(mdc_conn *c, const char *db, const char *schema, const char *rel,
		     mdc_column_list *out, mdc_error *err)
{
	PGresult *res;
	int rc;

	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "catalog: no output list");
	memset(out, 0, sizeof *out);
	if (!schema || !rel)
		return mdc_error_set(err, EINVAL, "catalog: no schema or relation");
	if ((rc = check_conn(c, err)) < 0 || (rc = resolve_db(c, db, &db, err)) < 0)
		return rc;
	bool duck = mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB;
	const char *params[3] = { db, schema, rel };

	rc = query(c, duck ? duck_columns : pg_columns, duck ? 3 : 2,
		   duck ? params : params + 1, &res, err);
	if (rc < 0)
		return rc;
	int n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return mdc_error_set(err, ENOENT, "catalog: no table or view \"%s\".\"%s\" in \"%s\"",
				     schema, rel, db);
	}
	out->cols = calloc((size_t)n, sizeof *out->cols);
	if (!out->cols) {
		PQclear(res);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 0))
			continue; /* PostgreSQL relation without columns */
		mdc_column *col = &out->cols[out->n];
		col->name = dup_value(res, i, 0);
		col->type = dup_value(res, i, 1);
		col->nullable = parse_bool(res, i, 2);
		out->n++;
		if (!col->name || !col->type) {
			PQclear(res);
			mdc_column_list_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}
