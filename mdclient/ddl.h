/* mdclient/ddl.h - the few catalog changes the mount makes itself (mkdir of
 * a schema, rm of a table or a view, a view written as NAME.sql, a comment
 * set as an extended attribute). Names are quoted with PQescapeIdentifier. On
 * PostgreSQL db must be the connection's database (else -EXDEV).
 * Return 0 or -errno with err set (-EEXIST, -ENOENT, -EACCES, -EIO, ...;
 * -EINVAL for a missing name). err may be NULL. */
#ifndef MDCLIENT_DDL_H
#define MDCLIENT_DDL_H

#include <stdbool.h>
#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

/* CREATE SCHEMA "db"."schema". */
int mdc_create_schema(mdc_conn *c, const char *db, const char *schema, mdc_error *err) MDC_MUSTCHECK;
/* DROP TABLE "db"."schema"."table" (tables only: a view gives -EPERM). */
int mdc_drop_table(mdc_conn *c, const char *db, const char *schema, const char *table,
		   mdc_error *err) MDC_MUSTCHECK;

/* Create or replace view db.schema.name from text (len bytes): a query, or
 * CREATE [OR REPLACE] VIEW naming this view only (mdclient/internal/
 * view_sql.h has the rules). mdfs builds the statement itself:
 * CREATE OR REPLACE VIEW <quoted name> [(columns)] AS <query>, sent as one
 * extended-protocol statement, so the server refuses a second statement.
 * The view keeps its comment and grants: when it has any, they are given
 * again in the replace's transaction (DuckDB's CREATE OR REPLACE drops the
 * comment). Where the engine replaces a view only with the same columns
 * (PostgreSQL, 42P16), it is dropped and created in one transaction, its
 * comment and grants given back (its owner becomes the connection's
 * user). may_exist false: the caller's catalog read showed no relation of
 * that name, so nothing is read back to keep (one query fewer for a new
 * view; a view made elsewhere since that read loses its comment and
 * grants). -EINVAL: the text breaks the rules or the server refuses it
 * (err says why; the old view is untouched). */
int mdc_define_view(mdc_conn *c, const char *db, const char *schema, const char *name,
		    const char *text, size_t len, bool may_exist, mdc_error *err) MDC_MUSTCHECK;
/* DROP VIEW "db"."schema"."name" (views only: a table gives -EPERM). */
int mdc_drop_view(mdc_conn *c, const char *db, const char *schema, const char *name,
		  mdc_error *err) MDC_MUSTCHECK;
/* COMMENT ON <object_type> "db"."schema"."rel" IS <comment> (NULL or "":
 * IS NULL, no comment). object_type is what the catalog listing said
 * (mdc_rel.object_type: TABLE, VIEW, MATERIALIZED VIEW, FOREIGN TABLE);
 * anything else is -EINVAL. The comment is quoted with PQescapeLiteral. */
int mdc_set_comment(mdc_conn *c, const char *db, const char *schema, const char *rel,
		    const char *object_type, const char *comment, mdc_error *err) MDC_MUSTCHECK;

#endif
