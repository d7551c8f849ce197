/* mdclient/ddl.c - CREATE SCHEMA and DROP TABLE for the mount (see ddl.h). */
#include "mdclient/ddl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/pqutil.h"

/* PostgreSQL connections live in one database; DuckDB's see them all. */
static int check_db(mdc_conn *c, const char *db, mdc_error *err)
{
	if (mdc_conn_dialect(c) == MDC_DIALECT_POSTGRES && db && *db &&
	    strcmp(db, mdc_conn_dbname(c)) != 0)
		return mdc_error_set(err, EXDEV, "database \"%s\" needs its own connection", db);
	return 0;
}

int mdc_create_schema(mdc_conn *c, const char *db, const char *schema, mdc_error *err)
{
	if (!c || !schema)
		return mdc_error_set(err, EINVAL, "create schema: missing name");
	PGconn *pg = mdc_conn_pg(c);
	int rc = check_db(c, db, err);
	if (rc < 0)
		return rc;
	char *qs = PQescapeIdentifier(pg, schema, strlen(schema));
	char *qd = (mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB && db && *db)
			   ? PQescapeIdentifier(pg, db, strlen(db)) : NULL;
	char *sql = NULL;
	if (!qs || (mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB && db && *db && !qd) ||
	    asprintf(&sql, "CREATE SCHEMA %s%s%s", qd ? qd : "", qd ? "." : "", qs) < 0) {
		sql = NULL;
		rc = mdc_error_set(err, ENOMEM, "create schema: out of memory");
	} else {
		rc = mdc_pq_exec(pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	}
	PQfreemem(qs);
	PQfreemem(qd);
	free(sql);
	return rc;
}

int mdc_drop_table(mdc_conn *c, const char *db, const char *schema, const char *table,
		   mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local; /* err may be NULL; the code below reads it */
	if (!c || !schema || !table)
		return mdc_error_set(err, EINVAL, "drop table: missing name");
	PGconn *pg = mdc_conn_pg(c);
	int rc = check_db(c, db, err);
	if (rc < 0)
		return rc;
	/* Only tables: a view is not data we were asked to remove. */
	const char *is_view_sql = mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB
		? "SELECT 1 FROM duckdb_views() WHERE database_name = $1 AND schema_name = $2 "
		  "AND view_name = $3"
		: "SELECT 1 FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace "
		  "WHERE $1::text IS NOT NULL AND n.nspname = $2 AND k.relname = $3 "
		  "AND k.relkind IN ('v', 'm')";
	const char *params[3] = { db && *db ? db : mdc_conn_dbname(c), schema, table };
	PGresult *res = NULL;
	if ((rc = mdc_pq_exec(pg, is_view_sql, 3, params, PGRES_TUPLES_OK, &res, err)) < 0)
		return rc;
	int is_view = PQntuples(res) > 0;
	PQclear(res);
	if (is_view)
		return mdc_error_set(err, EPERM, "%s.%s is a view, not a table", schema, table);

	char *qual = mdc_pq_qualified(pg, mdc_conn_dialect(c) == MDC_DIALECT_DUCKDB ? db : NULL,
				      schema, table, err);
	if (!qual)
		return -err->errnum;
	char *sql = NULL;
	if (asprintf(&sql, "DROP TABLE %s", qual) < 0) {
		free(qual);
		return mdc_error_set(err, ENOMEM, "drop table: out of memory");
	}
	rc = mdc_pq_exec(pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	free(sql);
	free(qual);
	return rc;
}
