/* mdclient/query.h - query files: a user's SQL checked without running it,
 * described, and run read-only (CSV: mdc_stream_open_query in stream.h;
 * Parquet: mdc_parquet_export_query in parquet.h).
 *
 * The SQL is the user's own and is sent exactly as written, as the unnamed
 * statement of the extended protocol (the endpoint may refuse named ones):
 * the server refuses a second statement, and nothing of mdfs is pasted
 * around it. A query file holds one statement that returns rows, takes no
 * parameters and changes nothing:
 *   - mdc_query_check: the dialect's statement check where the engine has
 *     one (DuckDB: json_serialize_sql, which accepts only SELECT statements
 *     and counts them), then Parse + Describe of the unnamed statement: the
 *     server parses and binds it but never runs it. A statement without
 *     result columns (INSERT, CREATE, DROP, ... on PostgreSQL) is refused.
 *     Then, where Describe cannot tell a query that writes (PostgreSQL: a
 *     WITH that holds an INSERT ... RETURNING), the dialect's probe: the
 *     query under a statement head the engine refuses it with, in a
 *     read-only transaction rolled back (PostgreSQL: DECLARE CURSOR, which
 *     parses and starts the query but never runs it).
 *   - every run is inside the dialect's read-only transaction (PostgreSQL
 *     BEGIN READ ONLY, DuckDB BEGIN TRANSACTION READ ONLY), rolled back at
 *     the end, so whatever would still slip past the check (a function
 *     that writes) fails instead of writing.
 * Thread safety: as the connection's (one thread at a time).
 */
#ifndef MDCLIENT_QUERY_H
#define MDCLIENT_QUERY_H

#include <stddef.h>
#include "mdclient/common.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"

/* Longest query text mdfs takes (bytes). */
#define MDC_QUERY_MAX_BYTES (1024 * 1024)

/* A described query: its columns' names and the engine's type names (the
 * spelling the catalog uses, so parquet.h maps them like a table's). */
typedef struct mdc_query_desc {
	size_t n;
	char **names;
	char **types;
} mdc_query_desc;

/* Is sql one read-only query the endpoint accepts? 0, or -errno with the
 * reason in err: -EINVAL (not a query, several statements, parameters, a
 * syntax error), the server's error otherwise (-ENOENT for a missing
 * table), -EIO for the connection. Runs nothing but the check. */
int mdc_query_check(mdc_conn *c, const char *sql, mdc_error *err) MDC_MUSTCHECK;

/* Check sql as mdc_query_check does and describe its result columns into
 * *out (release with mdc_query_desc_free). 0 or -errno with err. */
int mdc_query_describe(mdc_conn *c, const char *sql, mdc_query_desc *out,
		       mdc_error *err) MDC_MUSTCHECK;
void mdc_query_desc_free(mdc_query_desc *d);

#endif
