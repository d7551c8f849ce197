/* mdclient/conn.h - one live connection, with deadlines, and its dialect.
 *
 * mdc_connect() connects with PQconnectdbParams using the config's settings
 * (connect_timeout, keepalives on: idle 30 s, interval 10 s, count 3),
 * sets statement_timeout when configured (dialect-specific SQL), and probes the
 * dialect with "SELECT 1 FROM duckdb_databases() LIMIT 1" (success: DuckDB;
 * SQLSTATE 42883 or 42P01: PostgreSQL) - never from server_version.
 * Whether COPY ... TO STDOUT works is probed on first asking
 * (mdc_conn_has_copy_out), not at connect.
 *
 * Thread safety: one mdc_conn is used by one thread at a time.
 */
#ifndef MDCLIENT_CONN_H
#define MDCLIENT_CONN_H

#include <stdbool.h>
#include "mdclient/common.h"
#include "mdclient/config.h"
#include "mdclient/error.h"

typedef enum mdc_dialect {
	MDC_DIALECT_DUCKDB = 1,   /* MotherDuck or the stand-in */
	MDC_DIALECT_POSTGRES = 2, /* a real PostgreSQL */
} mdc_dialect;

typedef struct mdc_conn mdc_conn;
struct pg_conn; /* libpq's PGconn, for mdclient-internal users */

/* Connect to dbname (NULL: mdc_config_dbname(cfg); "" means md: default).
 * Returns 0 and *out, or -EACCES (bad token, 28xxx), -EIO (unreachable, TLS
 * failure, dead server; the reason is in err), -ETIMEDOUT (connect timeout). */
int mdc_connect(const mdc_config *cfg, const char *dbname, mdc_conn **out,
		mdc_error *err) MDC_MUSTCHECK;

/* Say what connecting noted (a refused session setting) while the log was
 * held back below its level, e.g. during a start-up probe whose failure the
 * caller reports itself. Call once the log level is restored. */
void mdc_conn_say_held_notes(void);
/* Closes the connection (cancelling a running query first). NULL is fine. */
void mdc_conn_close(mdc_conn *c);
/* For a caller that held c idle for a while (a seed load reads its file
 * first): when the server closed it meanwhile (an idle timeout), connect
 * again in place, with the same settings; c stays the same pointer. 0 when c
 * is usable, else -errno as mdc_connect. Only for an idle c. */
int mdc_conn_revive(mdc_conn *c, mdc_error *err) MDC_MUSTCHECK;

mdc_dialect mdc_conn_dialect(const mdc_conn *c);
/* Where a table goes when no schema is named ("main" on DuckDB, "public"
 * on PostgreSQL). Static string. */
const char *mdc_conn_default_schema(const mdc_conn *c);
/* The database this connection is in (current database). Owned by c. */
const char *mdc_conn_dbname(const mdc_conn *c);
/* True when the server accepts COPY (SELECT ...) TO STDOUT. PostgreSQL: always;
 * a DuckDB endpoint is probed on the first call (one round trip, the
 * connection is left idle) and the answer kept. c must be idle. */
bool mdc_conn_has_copy_out(mdc_conn *c);
/* False once the connection is known broken (libpq status bad, or the server
 * sent FATAL/PANIC, e.g. "terminating connection", while it was idle). */
bool mdc_conn_is_ok(const mdc_conn *c);
/* Run a command (or several ; separated) that returns no rows we need.
 * Returns 0 or -errno with err filled from the SQLSTATE. Logs the SQL at LOG_DEBUG.
 * Waits at most mdc_config_answer_timeout_ms for the answer: past it the
 * query is cancelled, -ETIMEDOUT returned and the connection is no longer
 * ok (mdc_conn_is_ok: the pool drops it). */
int mdc_conn_exec(mdc_conn *c, const char *sql, mdc_error *err) MDC_MUSTCHECK;
/* Send a CancelRequest for whatever runs now on c. Safe from another thread. */
void mdc_conn_cancel(mdc_conn *c);
/* The underlying PGconn (mdclient-internal modules only; fs/ never calls it). */
struct pg_conn *mdc_conn_pg(mdc_conn *c);

#endif
