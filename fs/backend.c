/* fs/backend.c - borrow a pooled connection, retry once on a dead one. */
#include "fs/backend.h"

#include <errno.h>
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
		mdc_log(LOG_ERR, "%s: %s", what, err.message[0] ? err.message : "failed");
	if (errout)
		*errout = err;
	return rc;
}
