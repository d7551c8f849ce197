/* mdclient/pool.h - a bounded, thread-safe pool of connections.
 *
 * One pool serves every database. On a DuckDB endpoint (workspace mode) any
 * connection can read any database, so connections are shared; on PostgreSQL
 * a connection belongs to one database, and the pool keeps them per dbname.
 * At most `size` connections exist at once (all databases together). Idle
 * connections to other databases are closed to make room.
 *
 * Waiting: a borrower that finds every connection busy queues for one to be
 * returned, up to mdc_config_queue_timeout() (-ETIMEDOUT), or until the
 * interrupt check (mdc_pool_set_interrupt) says its caller gave up (-EINTR).
 * Making a connection is bounded by connect_timeout; when one fails, every
 * borrower queued meanwhile fails with it (a dead endpoint fails within
 * connect_timeout, not queue_timeout).
 *
 * Fewer connections than `size`: an endpoint that refuses a connection with
 * SQLSTATE 53300 (too many connections) makes the pool work with the ones it
 * has (logged once; borrowers queue for them); it tries to grow again after a
 * minute. With none at all, connecting is retried until connect_timeout.
 *
 * Dead connections: an idle connection the server closed (idle timeout,
 * restart) is noticed when it is borrowed and replaced quietly.
 * mdc_pool_put(..., broken=true) closes the connection; when it is dead (not
 * merely left mid-query, e.g. after a slow cancel) the pool generation is
 * bumped and every idle connection of older generations is discarded, so after
 * the endpoint restarts the next mdc_pool_get() connects afresh.
 */
#ifndef MDCLIENT_POOL_H
#define MDCLIENT_POOL_H

#include <stdbool.h>
#include "mdclient/common.h"
#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

typedef struct mdc_pool mdc_pool;

/* cfg must outlive the pool. size <= 0 means 4. Connects nothing yet. */
int mdc_pool_new(const mdc_config *cfg, int size, mdc_pool **out, mdc_error *err) MDC_MUSTCHECK;
/* Hand the pool a connection made by the caller to the source's own database
 * (mdc_connect(cfg, NULL, ...)), e.g. the one that checked the token at
 * start-up: it becomes an idle connection, so the first borrower needs no
 * new one. The pool owns c from now on, whatever the result. 0, or -ENOSPC
 * (no free slot: c is closed). */
int mdc_pool_adopt(mdc_pool *p, mdc_conn *c) MDC_MUSTCHECK;
/* Closes every idle connection. All connections must have been returned. */
void mdc_pool_free(mdc_pool *p);

/* Borrow a connection able to read dbname (NULL/"": the source's database).
 * Returns 0 and *out, or -errno (-EIO endpoint down, -EACCES, -ETIMEDOUT
 * connect or queue timeout, -EINTR interrupted while queueing). */
int mdc_pool_get(mdc_pool *p, const char *dbname, mdc_conn **out, mdc_error *err) MDC_MUSTCHECK;
/* Return a borrowed connection. broken=true (or a dead or busy connection)
 * closes it instead of keeping it. */
void mdc_pool_put(mdc_pool *p, mdc_conn *c, bool broken);
/* A check a queued borrower makes every 200 ms: non-zero means its caller
 * gave up (e.g. fuse_interrupted). Called in the borrower's thread. */
void mdc_pool_set_interrupt(mdc_pool *p, int (*interrupted)(void));
/* The dialect seen by the first successful connection (0 if none yet). */
int mdc_pool_dialect(const mdc_pool *p);

#endif
