/* fs/backend.h - how the daemon borrows a connection for one operation, and
 * the DDL the mount's directories make.
 *
 * mdfs_with_conn() borrows a connection for db from the pool, runs fn, and
 * returns it. When fn fails with -EIO on a connection that turned out dead
 * (a pooled connection to an endpoint that restarted), it is discarded and fn
 * runs once more on a fresh connection, so the mount recovers by itself. The
 * reason of a final failure is logged once at LOG_ERR. Returns fn's result
 * (0 or -errno) MDC_MUSTCHECK; -EIO when no connection can be had. errout, when not
 * NULL, receives the final failure's reason.
 */
#ifndef MDFS_BACKEND_H
#define MDFS_BACKEND_H

#include "mdclient/common.h"
#include "mdclient/pool.h"

typedef int (*mdfs_conn_fn)(mdc_conn *c, void *arg, mdc_error *err);

int mdfs_with_conn(mdc_pool *pool, const char *db, const char *what, mdfs_conn_fn fn, void *arg,
		   mdc_error *errout) MDC_MUSTCHECK;

struct mdfs_cache;

/* The changes made through the mount's directories: CREATE SCHEMA (mkdir in a
 * database), DROP TABLE and DROP VIEW (rm with -o allow_drop), each on a pooled
 * connection, then the affected listing is forgotten. 0 or -errno as a FUSE
 * handler returns it. */
int mdfs_create_schema(mdc_pool *pool, struct mdfs_cache *cache, const char *db,
		       const char *schema) MDC_MUSTCHECK;
int mdfs_drop_table(mdc_pool *pool, struct mdfs_cache *cache, const char *db, const char *schema,
		    const char *table) MDC_MUSTCHECK;
/* DROP VIEW (rm VIEW.sql with -o allow_drop). */
int mdfs_drop_view(mdc_pool *pool, struct mdfs_cache *cache, const char *db, const char *schema,
		   const char *view) MDC_MUSTCHECK;

/* The errno a FUSE handler returns for an mdclient failure: connection-level
 * failures (timeouts included) become EIO; others pass through. */
int mdfs_fuse_errno(int neg_errno) MDC_MUSTCHECK;

#endif
