/* mdclient/ddl.h - the few catalog changes the mount makes itself (mkdir of
 * a schema, rm of a table). Names are quoted with PQescapeIdentifier. On
 * PostgreSQL db must be the connection's database (else -EXDEV).
 * Return 0 or -errno with err set (-EEXIST, -ENOENT, -EACCES, -EIO, ...;
 * -EINVAL for a missing name). err may be NULL. */
#ifndef MDCLIENT_DDL_H
#define MDCLIENT_DDL_H

#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

/* CREATE SCHEMA "db"."schema". */
int mdc_create_schema(mdc_conn *c, const char *db, const char *schema, mdc_error *err) MDC_MUSTCHECK;
/* DROP TABLE "db"."schema"."table" (tables only: a view gives -EPERM). */
int mdc_drop_table(mdc_conn *c, const char *db, const char *schema, const char *table,
		   mdc_error *err) MDC_MUSTCHECK;

#endif
