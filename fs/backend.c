/* fs/backend.c - borrow a pooled connection, retry once on a dead one; the
 * DDL behind mkdir and rm. */
#include "fs/backend.h"

#include <errno.h>
#include "fs/catalog_cache.h"
#include "fs/parquet_file.h"
#include "mdclient/ddl.h"
#include "mdclient/log.h"

int mdfs_fuse_errno(int rc)
{
	switch (rc) {
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -EAGAIN:
		return -EIO;
	default:
		return rc;
	}
}

int mdfs_with_conn(mdc_pool *pool, const char *db, const char *what, mdfs_conn_fn fn, void *arg,
		   mdc_error *errout)
{
	mdc_error err;
	int rc = 0;

	for (int attempt = 0; attempt < 2; attempt++) {
		mdc_conn *c = NULL;
		mdc_error_clear(&err);
		rc = mdc_pool_get(pool, db, &c, &err);
		if (rc < 0)
			break; /* a fresh connect failed: retrying now would only double the wait */
		rc = fn(c, arg, &err);
		bool dead = !mdc_conn_is_ok(c);
		mdc_pool_put(pool, c, dead);
		if (!(rc == -EIO && dead))
			break;
		mdc_log(LOG_INFO, "%s: connection lost, retrying on a new one", what);
	}
	if (rc < 0)
		mdc_log(rc == -EINTR ? LOG_INFO : LOG_ERR, "%s: %s", what,
			err.message[0] ? err.message : "failed");
	if (errout)
		*errout = err;
	return rc;
}

struct ddl_args {
	const char *db, *schema, *table;
};

static int create_schema_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct ddl_args *a = arg;
	return mdc_create_schema(c, a->db, a->schema, err);
}

static int drop_table_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct ddl_args *a = arg;
	return mdc_drop_table(c, a->db, a->schema, a->table, err);
}

int mdfs_create_schema(mdc_pool *pool, struct mdfs_cache *cache, const char *db, const char *schema)
{
	struct ddl_args a = { db, schema, NULL };
	int rc = mdfs_with_conn(pool, db, "create schema", create_schema_cb, &a, NULL);
	mdfs_cache_invalidate(cache, db, NULL);
	return mdfs_fuse_errno(rc);
}

int mdfs_drop_table(mdc_pool *pool, struct mdfs_cache *cache, const char *db, const char *schema,
		    const char *table)
{
	struct ddl_args a = { db, schema, table };
	int rc = mdfs_with_conn(pool, db, "drop table", drop_table_cb, &a, NULL);
	mdfs_cache_invalidate(cache, db, schema);
	mdfs_parquet_forget(db);
	return mdfs_fuse_errno(rc);
}

static int drop_view_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct ddl_args *a = arg;
	return mdc_drop_view(c, a->db, a->schema, a->table, err);
}

int mdfs_drop_view(mdc_pool *pool, struct mdfs_cache *cache, const char *db, const char *schema,
		   const char *view)
{
	struct ddl_args a = { db, schema, view };
	int rc = mdfs_with_conn(pool, db, "drop view", drop_view_cb, &a, NULL);
	mdfs_cache_invalidate(cache, db, schema);
	mdfs_parquet_forget(db);
	return mdfs_fuse_errno(rc);
}
