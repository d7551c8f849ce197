/* mdclient/internal/pqutil.h - mdclient-internal helpers around libpq (not for fs/).
 *
 * The one place where a libpq failure becomes an mdc_error: every module
 * checks every PQresultStatus and calls mdc_pq_fail() on anything unexpected.
 */
#ifndef MDCLIENT_PQUTIL_H
#define MDCLIENT_PQUTIL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "mdclient/clock.h"
#include "mdclient/common.h"
#include "mdclient/error.h"

/* Fill err from res (SQLSTATE + primary message) or, when res is NULL or has
 * no SQLSTATE, from PQerrorMessage(conn) (→ EIO). `what` names the step
 * ("list tables", "connect"); it prefixes the message. Logs the reason at
 * LOG_ERR (LOG_DEBUG for 57014 cancels). Returns -errno. Does not PQclear. */
int mdc_pq_fail(mdc_error *err, PGconn *conn, const PGresult *res, const char *what);

/* Run sql with text parameters (nparams may be 0, params NULL) and expect
 * `expect` (PGRES_TUPLES_OK or PGRES_COMMAND_OK). Logs sql at LOG_DEBUG.
 * On success returns 0 and *out (caller PQclear()s; out may be NULL to drop
 * it); on failure -errno with err filled, nothing to clear. Never blocks in
 * libpq: the answer is waited for until mdc_pq_answer_deadline(); past it
 * (-ETIMEDOUT) or when interrupted (-EINTR) the connection is abandoned
 * (mdc_pq_abandon: CONNECTION_BAD, never reused). */
int mdc_pq_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
		ExecStatusType expect, PGresult **out, mdc_error *err) MDC_MUSTCHECK;

/* Send sql without waiting for its answer: with PQsendQueryParams (the
 * extended protocol: one statement, nparams text params; params may be NULL
 * when nparams is 0) when extended, else with PQsendQuery (the simple
 * protocol); then, when single_row, in single-row mode. Logs sql at
 * LOG_DEBUG. 0: the query is on its way, its results are the caller's to
 * read (mdc_pq_next_result) or end. -errno with err (`what` prefixes the
 * message): *sent says whether the query went out all the same (only
 * single-row mode was refused), so results may be pending. */
int mdc_pq_send(PGconn *conn, const char *sql, bool extended, int nparams,
		const char *const *params, bool single_row, const char *what, bool *sent,
		mdc_error *err) MDC_MUSTCHECK;

/* The next result of the query conn runs, waited for (mdc_pq_wait_ready)
 * until deadline: 0 with *res (PQclear it; NULL when there are no more), or
 * -errno with err and *res NULL (-ETIMEDOUT, -EINTR, -EIO as
 * mdc_pq_wait_ready; the caller decides whether to abandon conn). */
int mdc_pq_next_result(PGconn *conn, int64_t deadline, const char *what, PGresult **res,
		       mdc_error *err) MDC_MUSTCHECK;

/* "db"."schema"."rel" quoted with PQescapeIdentifier (db may be NULL or "" to
 * leave it out). Returns a malloc'd string (caller frees) or NULL on failure
 * with err set (-ENOMEM / -EINVAL). */
char *mdc_pq_qualified(PGconn *conn, const char *db, const char *schema, const char *rel,
		       mdc_error *err);

/* Read and drop every pending result of conn (a finished query, or the rest
 * of a COPY: COPY OUT data is consumed, COPY IN is ended with an error), so
 * the connection can take the next command. Waits until the server is done,
 * for one answer deadline (mdc_pq_answer_deadline) at most: cancel a long
 * query first. Returns 0 when conn is idle and usable, -EIO when it is
 * broken and must be closed (past the deadline it is abandoned, see
 * mdc_pq_abandon). Logs only a broken connection. */
int mdc_pq_drain(PGconn *conn);

/* Waiting never happens inside libpq (it could block forever): these poll
 * the socket in slices of at most 200 ms, so a dead peer shows up through
 * TCP keepalives, a deadline is kept, and a cancel from another thread gets
 * through. Bytes OpenSSL has already decrypted count as input (poll() cannot
 * see them).
 *
 * mdc_pq_wait_input: wait (one slice at most) for more input on conn. The
 * caller loops: PQconsumeInput, try, wait. *tls_spins starts at 0. Returns 0
 * (look again), -ETIMEDOUT past deadline (mdc_now_ms() time, 0: none), -EIO
 * with err when the socket is gone. */
int mdc_pq_wait_input(PGconn *conn, int64_t deadline, int *tls_spins, const char *what,
		      mdc_error *err);
/* (-EINTR too, when the interrupt check below says the caller gave up.) */
/* The next COPY OUT message of conn, waiting until deadline at most: 1 with
 * *buf (PQfreemem it) and *len, 0 at the end of the COPY data (the final
 * status follows from PQgetResult), or -errno with err. Reads what the
 * kernel has before polling, like mdc_pq_wait_ready. */
int mdc_pq_copy_next(PGconn *conn, char **buf, int *len, int64_t deadline, const char *what,
		     mdc_error *err);
/* Wait until PQgetResult will not block. PQconsumeInput is called only when
 * libpq holds no complete result: it left-justifies libpq's input buffer, so
 * calling it per row of a fast stream is quadratic. Same returns. */
int mdc_pq_wait_ready(PGconn *conn, int64_t deadline, const char *what, mdc_error *err);

/* The deadline of one answer: now + the answer timeout (io_timeout plus
 * statement_timeout, mdc_config_answer_timeout_ms; set by every connect via
 * mdc_pq_set_answer_timeout_ms, 30 s before the first). Every wait for the
 * server uses it or a shorter one. */
int64_t mdc_pq_answer_deadline(void);
void mdc_pq_set_answer_timeout_ms(int64_t ms);

/* The interrupt check (mdc_pool_set_interrupt installs it): polled by
 * mdc_pq_wait_input every slice, in the waiting thread; when it returns
 * nonzero the wait ends with -EINTR (its caller gave up, e.g. a FUSE request
 * whose process was killed). NULL: never interrupted. */
void mdc_pq_set_interrupt(int (*interrupted)(void));

/* After a wait failed (-ETIMEDOUT, -EINTR): the query's state is unknown, so
 * the connection is made unusable at once (its socket is shut down, no
 * cancel that could block on a frozen server); PQstatus is then
 * CONNECTION_BAD and every pool closes it instead of reusing it. */
void mdc_pq_abandon(PGconn *conn);

#endif
