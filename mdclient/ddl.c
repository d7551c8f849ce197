/* mdclient/ddl.c - CREATE SCHEMA and DROP TABLE for the mount (see ddl.h).
 * What differs between the engines (database in names, the view check) is
 * the dialect's (internal/dialect.h). */
#include "mdclient/ddl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"
#include "mdclient/internal/view_sql.h"

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

/* "<verb> <qualified name><rest>", or NULL with err. */
static char *statement(mdc_conn *c, const char *verb, const char *db, const char *schema,
		       const char *rel, const char *rest, mdc_error *err)
{
	char *qual = mdc_dialect_qualified(c, db, schema, rel, err);
	if (!qual)
		return NULL;
	char *sql = NULL;
	if (asprintf(&sql, "%s %s%s", verb, qual, rest) < 0) {
		sql = NULL;
		mdc_error_set(err, ENOMEM, "out of memory");
	}
	free(qual);
	return sql;
}

/* Run each of sqls in one transaction; on a failure roll it back (or leave
 * the connection broken, for the pool to close). */
static int in_transaction(PGconn *pg, const char *const *sqls, int n, mdc_error *err)
{
	int rc = mdc_pq_exec(pg, "BEGIN", 0, NULL, PGRES_COMMAND_OK, NULL, err);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = mdc_pq_exec(pg, sqls[i], 0, NULL, PGRES_COMMAND_OK, NULL, err);
	if (rc == 0)
		rc = mdc_pq_exec(pg, "COMMIT", 0, NULL, PGRES_COMMAND_OK, NULL, err);
	if (rc < 0 && PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE) {
		mdc_error ignored;
		if (mdc_pq_exec(pg, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL, &ignored) < 0)
			mdc_pq_abandon(pg); /* never reused inside a transaction */
	}
	return rc;
}

/* "COMMENT ON <object_type> <name> IS <comment>" (NULL or "": IS NULL),
 * the comment quoted by libpq; malloc'd, or NULL with err. */
static char *comment_sql(mdc_conn *c, const char *object_type, const char *db, const char *schema,
			 const char *rel, const char *comment, mdc_error *err)
{
	PGconn *pg = mdc_conn_pg(c);
	char *lit = NULL;
	if (comment && *comment && !(lit = PQescapeLiteral(pg, comment, strlen(comment)))) {
		mdc_error_set(err, EINVAL, "comment: %s", PQerrorMessage(pg));
		return NULL;
	}
	char *verb = NULL, *rest = NULL;
	if (asprintf(&verb, "COMMENT ON %s", object_type) < 0)
		verb = NULL;
	if (asprintf(&rest, " IS %s", lit ? lit : "NULL") < 0)
		rest = NULL;
	PQfreemem(lit);
	char *sql = verb && rest ? statement(c, verb, db, schema, rel, rest, err) : NULL;
	if (!verb || !rest)
		mdc_error_set(err, ENOMEM, "out of memory");
	free(verb), free(rest);
	return sql;
}

/* The statements that give view db.schema.name (target: its database)
 * back what a replace may lose (the dialect's sql_view_keep): its comment,
 * its grants; none without asking when !may_exist. 0 with *out, an array of
 * *n statements (malloc'd each) after `first` NULL slots, NULL-terminated;
 * or -errno with err. */
static int view_keep(mdc_conn *c, const char *target, const char *db, const char *schema,
		     const char *name, bool may_exist, int first, char ***out, int *n,
		     mdc_error *err)
{
	const char *params[3] = { target, schema, name };
	PGresult *res = NULL;
	int rc = may_exist ? mdc_pq_exec(mdc_conn_pg(c), mdc_conn_impl(c)->sql_view_keep, 3, params,
					 PGRES_TUPLES_OK, &res, err) : 0;
	if (rc < 0)
		return rc;
	int rows = res ? PQntuples(res) : 0;
	char **v = calloc((size_t)(first + rows + 1), sizeof *v);
	*n = first;
	if (!v)
		rc = mdc_error_set(err, ENOMEM, "out of memory");
	for (int i = 0; rc == 0 && i < rows; i++) {
		if (PQgetisnull(res, i, 1))
			continue;
		const char *text = PQgetvalue(res, i, 1);
		bool comment = strcmp(PQgetvalue(res, i, 0), "0") == 0;
		char *sql = comment ? comment_sql(c, "VIEW", db, schema, name, text, err) : strdup(text);
		if (!sql)
			rc = comment ? -err->errnum : mdc_error_set(err, ENOMEM, "out of memory");
		else
			v[(*n)++] = sql;
	}
	PQclear(res);
	if (rc < 0) {
		for (int i = 0; v && i < *n; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int mdc_define_view(mdc_conn *c, const char *db, const char *schema, const char *name,
		    const char *text, size_t len, bool may_exist, mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	if (!c || !schema || !name || !text)
		return mdc_error_set(err, EINVAL, "view: missing name or text");
	const char *target;
	int rc = mdc_dialect_resolve_db(c, db, &target, "view", err);
	if (rc < 0)
		return rc;
	mdc_view_parts vp;
	if ((rc = mdc_view_split(text, len, target, schema, name, &vp, err)) < 0)
		return rc;
	char *rest = NULL;
	if (asprintf(&rest, "%s%s AS\n%s", vp.columns ? " " : "", vp.columns ? vp.columns : "",
		     vp.body) < 0) {
		mdc_view_parts_free(&vp);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	mdc_view_parts_free(&vp);
	/* sqls: [0] DROP VIEW (for the fallback below), [1] CREATE, then what
	 * the view must keep. */
	char **sqls = NULL;
	int n = 0;
	PGconn *pg = mdc_conn_pg(c);
	if ((rc = view_keep(c, target, db, schema, name, may_exist, 2, &sqls, &n, err)) < 0) {
		free(rest);
		return rc;
	}
	if (!(sqls[1] = statement(c, "CREATE OR REPLACE VIEW", db, schema, name, rest, err)))
		rc = -err->errnum;
	else if (n == 2) /* one extended-protocol statement: the server refuses a second one */
		rc = mdc_pq_exec(pg, sqls[1], 0, NULL, PGRES_COMMAND_OK, NULL, err);
	else
		rc = in_transaction(pg, (const char *const *)sqls + 1, n - 1, err);
	if (rc < 0 && strcmp(err->sqlstate, "42P16") == 0 && PQstatus(pg) == CONNECTION_OK) {
		/* PostgreSQL replaces a view only when its columns stay (names,
		 * types, order): drop and create it in one transaction instead,
		 * its comment and grants given back (a view that others depend
		 * on still fails, and says so). */
		free(sqls[1]);
		sqls[0] = statement(c, "DROP VIEW", db, schema, name, "", err);
		sqls[1] = sqls[0] ? statement(c, "CREATE VIEW", db, schema, name, rest, err) : NULL;
		rc = sqls[1] ? in_transaction(pg, (const char *const *)sqls, n, err) : -err->errnum;
	}
	for (int i = 0; i < n; i++)
		free(sqls[i]);
	free(sqls);
	free(rest);
	return rc;
}

int mdc_drop_view(mdc_conn *c, const char *db, const char *schema, const char *name,
		  mdc_error *err)
{
	mdc_error local;
	if (!err)
		err = &local;
	if (!c || !schema || !name)
		return mdc_error_set(err, EINVAL, "drop view: missing name");
	const char *target;
	int rc = mdc_dialect_resolve_db(c, db, &target, "drop view", err);
	if (rc < 0)
		return rc;
	if ((rc = mdc_dialect_is_view(c, target, schema, name, err)) < 0)
		return rc;
	if (rc == 0)
		return mdc_error_set(err, EPERM, "%s.%s is not a view", schema, name);
	char *sql = statement(c, "DROP VIEW", db, schema, name, "", err);
	if (!sql)
		return -err->errnum;
	rc = mdc_pq_exec(mdc_conn_pg(c), sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	free(sql);
	return rc;
}

int mdc_set_comment(mdc_conn *c, const char *db, const char *schema, const char *rel,
		    const char *object_type, const char *comment, mdc_error *err)
{
	static const char *const types[] = { "TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE" };
	mdc_error local;
	if (!err)
		err = &local;
	if (!c || !schema || !rel || !object_type)
		return mdc_error_set(err, EINVAL, "comment: missing name");
	bool known = false;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		known = known || strcmp(object_type, types[i]) == 0;
	if (!known)
		return mdc_error_set(err, EINVAL, "comment: unknown kind of relation");
	const char *target;
	int rc = mdc_dialect_resolve_db(c, db, &target, "comment", err);
	if (rc < 0)
		return rc;
	char *sql = comment_sql(c, object_type, db, schema, rel, comment, err);
	if (!sql)
		return -err->errnum;
	rc = mdc_pq_exec(mdc_conn_pg(c), sql, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	free(sql);
	return rc;
}
