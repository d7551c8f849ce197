/* mdclient/dialect.c - helpers on the dialect table (contract in
 * internal/dialect.h): they read the table's fields and name no engine. */
#include "mdclient/internal/dialect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "mdclient/internal/pqutil.h"
#include "mdclient/log.h"

int mdc_dialect_resolve_db(mdc_conn *c, const char *db, const char **out, const char *what,
			   mdc_error *err)
{
	const char *own = mdc_conn_dbname(c);
	if (!db || !*db)
		db = own;
	if (mdc_conn_impl(c)->one_db_per_conn && strcmp(db, own) != 0)
		return mdc_error_set(err, EXDEV, "%s: database \"%s\" needs its own connection "
				     "(this one is in \"%s\")", what, db, own);
	*out = db;
	return 0;
}

int mdc_dialect_is_view(mdc_conn *c, const char *db, const char *schema, const char *rel,
			mdc_error *err)
{
	const char *params[3] = { db && *db ? db : mdc_conn_dbname(c), schema, rel };
	PGresult *res = NULL;
	int rc = mdc_pq_exec(mdc_conn_pg(c), mdc_conn_impl(c)->sql_is_view, 3, params,
			     PGRES_TUPLES_OK, &res, err);
	if (rc < 0)
		return rc;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

char *mdc_dialect_qualified(mdc_conn *c, const char *db, const char *schema, const char *rel,
			    mdc_error *err)
{
	return mdc_pq_qualified(mdc_conn_pg(c), mdc_conn_impl(c)->names_db ? db : NULL, schema, rel,
				err);
}

char *mdc_dialect_create_schema_sql(mdc_conn *c, const char *db, const char *schema,
				    bool if_not_exists, mdc_error *err)
{
	PGconn *pg = mdc_conn_pg(c);
	bool with_db = mdc_conn_impl(c)->names_db && db && *db;
	char *qs = PQescapeIdentifier(pg, schema, strlen(schema));
	char *qd = with_db ? PQescapeIdentifier(pg, db, strlen(db)) : NULL;
	char *sql = NULL;
	if (!qs || (with_db && !qd) ||
	    asprintf(&sql, "CREATE SCHEMA %s%s%s%s", if_not_exists ? "IF NOT EXISTS " : "",
		     qd ? qd : "", qd ? "." : "", qs) < 0) {
		sql = NULL;
		mdc_error_set(err, ENOMEM, "create schema: out of memory");
	}
	PQfreemem(qs);
	PQfreemem(qd);
	return sql;
}

int mdc_dialect_begin_read_only(mdc_conn *c, mdc_error *err)
{
	const mdc_dialect_impl *d = mdc_conn_impl(c);
	PGconn *pg = mdc_conn_pg(c);
	if (!d->sql_begin_fallback)
		return mdc_pq_exec(pg, d->sql_begin_read_only, 0, NULL, PGRES_COMMAND_OK, NULL, err);
	if (!mdc_conn_read_only_refused(c)) {
		/* Tried quietly: a refusal is an answer, not an error. */
		bool ok;
		char state[6];
		int rc = mdc_conn_try(c, d->sql_begin_read_only, &ok, state, err);
		if (rc < 0 || ok)
			return rc;
		if (PQtransactionStatus(pg) != PQTRANS_IDLE || !state[0] ||
		    strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
			return mdc_error_set_sqlstate(err, EIO, state, "query: %s failed",
						      d->sql_begin_read_only);
		mdc_log(LOG_INFO, "the endpoint refuses %s (SQLSTATE %s): query files run in a "
			"plain transaction, guarded by the statement check alone",
			d->sql_begin_read_only, state);
		mdc_conn_set_read_only_refused(c);
	}
	return mdc_pq_exec(pg, d->sql_begin_fallback, 0, NULL, PGRES_COMMAND_OK, NULL, err);
}

int mdc_dialect_end_read_only(mdc_conn *c)
{
	PGconn *pg = mdc_conn_pg(c);
	if (!pg || PQstatus(pg) != CONNECTION_OK)
		return -EIO;
	PGTransactionStatusType ts = PQtransactionStatus(pg);
	if (ts == PQTRANS_IDLE)
		return 0;
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return -EIO;
	mdc_error e;
	mdc_error_clear(&e);
	if (mdc_pq_exec(pg, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, NULL, &e) < 0)
		return -EIO;
	return PQtransactionStatus(pg) == PQTRANS_IDLE ? 0 : -EIO;
}
