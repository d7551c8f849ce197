/* mdclient/ddl.c - CREATE SCHEMA and DROP TABLE for the mount (see ddl.h).
 * What differs between the engines (database in names, the view check) is
 * the dialect's (internal/dialect.h). */
#include "mdclient/ddl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"

int mdc_create_schema(mdc_conn *c, const char *db, const char *schema, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local; /* err may be NULL; the code below reads it */
	if (!c || !schema)
		return mdc_error_set(err, EINVAL, "create schema: missing name");
	const char *target;
	int rc = mdc_dialect_resolve_db(c, db, &target, "create schema", err);
	if (rc < 0)
		return rc;
	char *sql = mdc_dialect_create_schema_sql(c, db, schema, false, err);
	if (!sql)
		return -err->errnum;
	rc = mdc_pq_exec(mdc_conn_pg(c), sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
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
	const char *target;
	int rc = mdc_dialect_resolve_db(c, db, &target, "drop table", err);
	if (rc < 0)
		return rc;
	/* Only tables: a view is not data we were asked to remove. */
	if ((rc = mdc_dialect_is_view(c, target, schema, table, err)) < 0)
		return rc;
	if (rc > 0)
		return mdc_error_set(err, EPERM, "%s.%s is a view, not a table", schema, table);

	char *qual = mdc_dialect_qualified(c, db, schema, table, err);
	if (!qual)
		return -err->errnum;
	char *sql = NULL;
	if (asprintf(&sql, "DROP TABLE %s", qual) < 0) {
		free(qual);
		return mdc_error_set(err, ENOMEM, "drop table: out of memory");
	}
	rc = mdc_pq_exec(mdc_conn_pg(c), sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	free(sql);
	free(qual);
	return rc;
}
