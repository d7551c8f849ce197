/* mdclient/pqutil.c - libpq failures -> mdc_error, checked execution, quoting.
 * See pqutil.h. */
#include "mdclient/internal/pqutil.h"

#include <errno.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mdclient/log.h"

int mdc_pq_fail(mdc_error *err, PGconn *conn, const PGresult *res, const char *what)
{
	mdc_error local;
	mdc_error *e = err ? err : &local;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int rc;

	if (!what)
		what = "query";
	if (state && *state) {
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		if (!primary || !*primary)
			primary = PQresultErrorMessage(res);
		rc = mdc_error_set_sqlstate(e, mdc_errno_for_sqlstate(state), state,
					    "%s: %s", what, primary);
	} else {
		const char *msg = res ? PQresultErrorMessage(res) : "";
		if ((!msg || !*msg) && conn)
			msg = PQerrorMessage(conn);
		if (!msg || !*msg) {
			msg = res ? PQresStatus(PQresultStatus(res)) : "no result";
			rc = mdc_error_set(e, EIO, "%s: unexpected result (%s)", what, msg);
		} else {
			rc = mdc_error_set(e, EIO, "%s: %s", what, msg);
		}
	}
	mdc_log(strcmp(e->sqlstate, "57014") == 0 ? LOG_DEBUG : LOG_ERR, "%s%s%s%s",
		e->message, e->sqlstate[0] ? " (SQLSTATE " : "", e->sqlstate,
		e->sqlstate[0] ? ")" : "");
	return rc;
}

/* Consume the rest of a COPY the server started, waiting until deadline at
 * most: COPY OUT data is read and dropped, COPY IN is ended with a failure
 * message. Returns 0, or -EIO when the connection broke or the server did
 * not answer in time (or is in a state that cannot be left, COPY BOTH). */
static int finish_copy(PGconn *conn, ExecStatusType st, int64_t deadline)
{
	if (st == PGRES_COPY_OUT) {
		char *buf = NULL;
		int n, len;
		mdc_error e;
		while ((n = mdc_pq_copy_next(conn, &buf, &len, deadline, "copy", &e)) > 0) {
			PQfreemem(buf);
			buf = NULL;
		}
		return n == 0 ? 0 : -EIO;
	}
	if (st == PGRES_COPY_IN)
		return PQputCopyEnd(conn, "mdclient: COPY FROM STDIN not expected") == 1 ? 0 : -EIO;
	return -EIO; /* PGRES_COPY_BOTH: replication only, no way back */
}

int mdc_pq_drain(PGconn *conn)
{
	PGresult *res;

	if (!conn)
		return -EIO;
	int64_t deadline = mdc_pq_answer_deadline();
	for (;;) {
		mdc_error e;
		if (mdc_pq_wait_ready(conn, deadline, "drain", &e) < 0) {
			mdc_pq_abandon(conn); /* its state is unknown */
			return -EIO;
		}
		if ((res = PQgetResult(conn)) == NULL)
			break;
		ExecStatusType st = PQresultStatus(res);
		PQclear(res);
		if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
			if (finish_copy(conn, st, deadline) < 0) {
				mdc_pq_abandon(conn);
				return -EIO;
			}
		}
		if (PQstatus(conn) != CONNECTION_OK)
			return -EIO;
	}
	if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) == PQTRANS_ACTIVE ||
	    PQtransactionStatus(conn) == PQTRANS_UNKNOWN)
		return -EIO;
	return 0;
}

static void log_sql(const char *sql, int nparams, const char *const *params)
{
	if (!mdc_log_enabled(LOG_DEBUG))
		return;
	if (nparams <= 0 || !params) {
		mdc_log(LOG_DEBUG, "sql: %s", sql);
		return;
	}
	/* Parameters are names and values, never secrets. */
	char buf[512];
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < nparams && off < sizeof buf; i++) {
		int w = snprintf(buf + off, sizeof buf - off, "%s$%d=%s%s%s", i ? ", " : "", i + 1,
				 params[i] ? "'" : "", params[i] ? params[i] : "NULL",
				 params[i] ? "'" : "");
		if (w < 0)
			break;
		off += (size_t)w;
	}
	mdc_log(LOG_DEBUG, "sql: %s [%s]", sql, buf);
}

int mdc_pq_send(PGconn *conn, const char *sql, bool extended, int nparams,
		const char *const *params, bool single_row, const char *what, bool *sent,
		mdc_error *err)
{
	*sent = false;
	log_sql(sql, extended ? nparams : 0, params);
	if (!(extended ? PQsendQueryParams(conn, sql, nparams > 0 ? nparams : 0, NULL,
					   nparams > 0 ? params : NULL, NULL, NULL, 0)
		       : PQsendQuery(conn, sql)))
		return mdc_pq_fail(err, conn, NULL, what);
	*sent = true;
	if (single_row && !PQsetSingleRowMode(conn))
		return mdc_error_set(err, EIO, "%s: single-row mode refused", what);
	return 0;
}

int mdc_pq_next_result(PGconn *conn, int64_t deadline, const char *what, PGresult **res,
		       mdc_error *err)
{
	*res = NULL;
	int rc = mdc_pq_wait_ready(conn, deadline, what, err);
	if (rc == 0)
		*res = PQgetResult(conn);
	return rc;
}

static _Atomic int64_t answer_timeout_ms = 30000;
static int (*_Atomic interrupt_check)(void);

void mdc_pq_set_answer_timeout_ms(int64_t ms)
{
	if (ms > 0)
		atomic_store(&answer_timeout_ms, ms);
}

int64_t mdc_pq_answer_deadline(void)
{
	return mdc_now_ms() + atomic_load(&answer_timeout_ms);
}

void mdc_pq_set_interrupt(int (*interrupted)(void))
{
	atomic_store(&interrupt_check, interrupted);
}

void mdc_pq_abandon(PGconn *conn)
{
	int fd = conn ? PQsocket(conn) : -1;
	if (fd < 0)
		return;
	(void)shutdown(fd, SHUT_RDWR);
	/* libpq sees end of file and marks the connection CONNECTION_BAD. */
	for (int i = 0; i < 4 && PQstatus(conn) == CONNECTION_OK; i++)
		if (!PQconsumeInput(conn))
			break;
}

int mdc_pq_exec(PGconn *conn, const char *sql, int nparams, const char *const *params,
		ExecStatusType expect, PGresult **out, mdc_error *err)
{
	if (out)
		*out = NULL;
	if (!conn || !sql)
		return mdc_error_set(err, EINVAL, "query: no connection or no SQL");
	bool sent;
	int rc = mdc_pq_send(conn, sql, true, nparams, params, false, "query", &sent, err);
	if (rc < 0)
		return rc;
	/* Never a blocking PQgetResult: a server that keeps the socket open but
	 * stops answering would hold the caller (and its FUSE request) forever. */
	int64_t deadline = mdc_pq_answer_deadline();
	PGresult *res = NULL;
	for (;;) {
		PGresult *next;
		int w = mdc_pq_next_result(conn, deadline, "query", &next, err);
		if (w < 0) {
			PQclear(res);
			mdc_pq_abandon(conn);
			if (w == -ETIMEDOUT) {
				double s = (double)atomic_load(&answer_timeout_ms) / 1000;
				w = mdc_error_set(err, ETIMEDOUT, "query: no answer from the server within %.1f s", s);
				mdc_log(LOG_ERR, "query: no answer from the server within %.1f s; "
					"the connection is dropped", s);
			}
			return w;
		}
		if (!next)
			break;
		ExecStatusType nst = PQresultStatus(next);
		if (nst == PGRES_COPY_OUT || nst == PGRES_COPY_IN || nst == PGRES_COPY_BOTH) {
			PQclear(res);
			res = next;
			break; /* handled below; drain reads the rest */
		}
		/* The last result counts (an error after rows replaces them). */
		PQclear(res);
		res = next;
	}
	if (!res)
		return mdc_pq_fail(err, conn, NULL, "query");

	ExecStatusType st = PQresultStatus(res);
	if (st == expect) {
		if (out)
			*out = res;
		else
			PQclear(res);
		return 0;
	}
	if (st == PGRES_COPY_OUT || st == PGRES_COPY_IN || st == PGRES_COPY_BOTH) {
		PQclear(res);
		(void)finish_copy(conn, st, mdc_pq_answer_deadline());
		(void)mdc_pq_drain(conn);
		rc = mdc_error_set(err, EIO, "query: server started an unexpected COPY");
		mdc_log(LOG_ERR, "query: server started an unexpected COPY for: %s", sql);
		return rc;
	}
	if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
		rc = mdc_pq_fail(err, conn, res, "query");
		mdc_log(LOG_DEBUG, "failed sql: %s", sql);
	} else {
		rc = mdc_error_set(err, EIO, "query: unexpected result status %s (wanted %s)",
				   PQresStatus(st), PQresStatus(expect));
		mdc_log(LOG_ERR, "%s for: %s", err ? err->message : "unexpected result status", sql);
	}
	PQclear(res);
	return rc;
}

static char *escape_ident(PGconn *conn, const char *name, mdc_error *err)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q) {
		const char *msg = PQerrorMessage(conn);
		int errnum = (msg && strstr(msg, "out of memory")) ? ENOMEM : EINVAL;
		mdc_error_set(err, errnum, "quote identifier: %s", msg && *msg ? msg : "failed");
	}
	return q;
}

char *mdc_pq_qualified(PGconn *conn, const char *db, const char *schema, const char *rel,
		       mdc_error *err)
{
	if (!conn || !schema || !rel) {
		mdc_error_set(err, EINVAL, "quote identifier: missing name");
		return NULL;
	}
	char *parts[3] = { NULL, NULL, NULL };
	const char *names[3] = { (db && *db) ? db : NULL, schema, rel };
	size_t len = 0;
	char *out = NULL;

	for (int i = 0; i < 3; i++) {
		if (!names[i])
			continue;
		parts[i] = escape_ident(conn, names[i], err);
		if (!parts[i])
			goto done;
		len += strlen(parts[i]) + 1;
	}
	out = malloc(len);
	if (!out) {
		mdc_error_set(err, ENOMEM, "quote identifier: out of memory");
		goto done;
	}
	out[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		if (out[0])
			strcat(out, ".");
		strcat(out, parts[i]);
	}
done:
	for (int i = 0; i < 3; i++)
		PQfreemem(parts[i]);
	return out;
}

#define POLL_SLICE_MS 200

int mdc_pq_wait_input(PGconn *pg, int64_t deadline, int *tls_spins, const char *what,
		      mdc_error *err)
{
	/* libpq 15's PQconsumeInput reads at most what fits its buffer, so the
	 * rest of a TLS record can sit in OpenSSL while the socket is empty. */
	SSL *ssl = PQsslStruct(pg, "OpenSSL");
	if (ssl && SSL_pending(ssl) > 0 && ++*tls_spins < 8)
		return 0;
	*tls_spins = 0;
	int (*interrupted)(void) = atomic_load(&interrupt_check);
	if (interrupted && interrupted())
		return mdc_error_set(err, EINTR, "%s: interrupted", what);
	int fd = PQsocket(pg);
	if (fd < 0)
		return mdc_pq_fail(err, pg, NULL, what);
	int slice = POLL_SLICE_MS;
	if (deadline) {
		int64_t left = deadline - mdc_now_ms();
		if (left <= 0)
			return mdc_error_set(err, ETIMEDOUT, "%s: timed out", what);
		if (left < slice)
			slice = (int)left;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, slice) < 0 && errno != EINTR)
		return mdc_error_set(err, EIO, "%s: poll: %s", what, strerror(errno));
	return 0; /* readable, hung up, timed out or interrupted: the caller looks */
}

int mdc_pq_copy_next(PGconn *pg, char **buf, int *len, int64_t deadline, const char *what,
		     mdc_error *err)
{
	bool consumed = false;
	int tls_spins = 0;
	for (;;) {
		int n = PQgetCopyData(pg, buf, 1);
		if (n > 0) {
			*len = n;
			return 1;
		}
		if (n == -1)
			return 0;
		if (n != 0)
			return mdc_pq_fail(err, pg, NULL, what);
		if (!consumed) {
			if (!PQconsumeInput(pg))
				return mdc_pq_fail(err, pg, NULL, what);
			consumed = true;
			continue;
		}
		consumed = false;
		int rc = mdc_pq_wait_input(pg, deadline, &tls_spins, what, err);
		if (rc < 0)
			return rc;
	}
}

int mdc_pq_wait_ready(PGconn *pg, int64_t deadline, const char *what, mdc_error *err)
{
	int tls_spins = 0;
	for (;;) {
		if (!PQisBusy(pg))
			return 0;
		/* Read what the kernel already has before polling. */
		if (!PQconsumeInput(pg))
			return mdc_pq_fail(err, pg, NULL, what);
		if (!PQisBusy(pg))
			return 0;
		int rc = mdc_pq_wait_input(pg, deadline, &tls_spins, what, err);
		if (rc < 0)
			return rc;
	}
}
