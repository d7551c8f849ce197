/* mdclient/catalog.c - list databases, schemas, relations and columns.
 * See catalog.h. The SQL is the connection dialect's (dialect_*.c); every
 * name travels as a $n parameter; lists are sorted
 * again in C with strcmp (byte order) whatever the server's collation. */
#include "mdclient/catalog.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/log.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"

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
	for (size_t i = 0; i < l->n; i++) {
		mdc_rel *r = &l->rels[i];
		free(r->name), free(r->definition), free(r->comment), free(r->columns);
		free(r->object_type);
	}
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

/* The database a call is about: NULL/"" means the connection's (-EXDEV
 * when the connection cannot read it). */
static int resolve_db(mdc_conn *c, const char *db, const char **out, mdc_error *err)
{
	return mdc_dialect_resolve_db(c, db, out, "catalog", err);
}

/* The catalog queries' parameters: the database first when the dialect's
 * SQL takes it. */
static const char *const *catalog_params(const mdc_dialect_impl *d, const char *const *params,
					  int n, int *np)
{
	*np = d->catalog_db_param ? n : n - 1;
	return d->catalog_db_param ? params : params + 1;
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

/* Column col of row, copied with suffix appended; NULL (and *oom false) when
 * the value is NULL or the result has no such column. */
static char *dup_opt(const PGresult *res, int row, int col, const char *suffix, bool *oom)
{
	if (col >= PQnfields(res) || PQgetisnull(res, row, col))
		return NULL;
	size_t n = (size_t)PQgetlength(res, row, col), ls = strlen(suffix);
	char *s = malloc(n + ls + 1);
	if (!s) {
		*oom = true;
		return NULL;
	}
	memcpy(s, PQgetvalue(res, row, col), n);
	memcpy(s + n, suffix, ls + 1);
	return s;
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
	rc = query(c, mdc_conn_impl(c)->sql_databases, 0, NULL, &res, err);
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
	const mdc_dialect_impl *d = mdc_conn_impl(c);
	const char *params[1] = { db };
	int np;
	const char *const *p = catalog_params(d, params, 1, &np);
	rc = query(c, d->sql_schemas, np, np ? p : NULL, &res, err);
	if (rc < 0)
		return rc;
	rc = names_from(res, out, err);
	PQclear(res);
	if (rc == 0 && out->n == 0 && d->sql_db_exists) {
		/* No schemas at all: is there such a database? */
		rc = exists(c, d->sql_db_exists, 1, params, err);
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
	const mdc_dialect_impl *d = mdc_conn_impl(c);
	const char *params[2] = { db, schema };
	int np;
	const char *const *p = catalog_params(d, params, 2, &np);

	rc = query(c, d->sql_relations, np, p, &res, err);
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
		bool oom = false;
		r->definition = dup_opt(res, i, 3, "", &oom);
		r->comment = dup_opt(res, i, 4, "", &oom);
		/* string_agg joins the lines: each one ends in LF here */
		r->columns = dup_opt(res, i, 5, "\n", &oom);
		r->object_type = dup_opt(res, i, 6, "", &oom);
		if (oom) {
			out->n++;
			PQclear(res);
			mdc_rel_list_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
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
		rc = exists(c, d->sql_schema_exists, np, p, err);
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

int mdc_catalog_columns_result(const PGresult *res, const char *db, const char *schema,
			       const char *rel, mdc_column_list *out, mdc_error *err)
{
	memset(out, 0, sizeof *out);
	int n = PQntuples(res);
	if (n == 0)
		return mdc_error_set(err, ENOENT, "catalog: no table or view \"%s\".\"%s\" in \"%s\"",
				     schema, rel, db);
	out->cols = calloc((size_t)n, sizeof *out->cols);
	if (!out->cols)
		return mdc_error_set(err, ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, 0))
			continue; /* PostgreSQL relation without columns */
		mdc_column *col = &out->cols[out->n];
		col->name = dup_value(res, i, 0);
		col->type = dup_value(res, i, 1);
		col->nullable = parse_bool(res, i, 2);
		out->n++;
		if (!col->name || !col->type) {
			mdc_column_list_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

int mdc_catalog_columns_query(mdc_conn *c, const char *db, const char *schema, const char *rel,
			      const char *params[3], int *nparams)
{
	const char *all[3] = { db, schema, rel };
	const char *const *p = catalog_params(mdc_conn_impl(c), all, 3, nparams);
	for (int i = 0; i < *nparams; i++)
		params[i] = p[i];
	return 0;
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
	const char *p[3];
	int np;
	(void)mdc_catalog_columns_query(c, db, schema, rel, p, &np);
	rc = query(c, mdc_conn_impl(c)->sql_columns, np, p, &res, err);
	if (rc < 0)
		return rc;
	rc = mdc_catalog_columns_result(res, db, schema, rel, out, err);
	PQclear(res);
	return rc;
}
