/* mdclient/pool.h - a bounded, thread-safe pool of connections.
 *
 * One pool serves every database. On a DuckDB endpoint (workspace mode) any
 * connection can read any database, so connections are shared; on PostgreSQL
 * a connection belongs to one database, and the pool keeps them per dbname.
 * At most `size` connections exist at once (all databases together); a caller
 * that finds none free waits until one is returned or until the connect
 * timeout passes (-ETIMEDOUT). Idle connections to other databases are closed
 * to make room.
 *
 * Generations: every connection carries the pool generation it was made in.
 * mdc_pool_put(..., broken=true) (or a connection found dead) bumps the
 * generation and discards every idle connection of older generations, so after
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
/* Closes every idle connection. All connections must have been returned. */
void mdc_pool_free(mdc_pool *p);

/* Borrow a connection able to read dbname (NULL/"": the source's database).
 * Returns 0 and *out, or -errno (-EIO endpoint down, -EACCES, -ETIMEDOUT). */
int mdc_pool_get(mdc_pool *p, const char *dbname, mdc_conn **out, mdc_error *err) MDC_MUSTCHECK;
/* Return a borrowed connection. broken=true (or a dead or busy connection)
 * closes it instead of keeping it. */
void mdc_pool_put(mdc_pool *p, mdc_conn *c, bool broken);
/* The dialect seen by the first successful connection (0 if none yet). */
int mdc_pool_dialect(const mdc_pool *p);

#endif
