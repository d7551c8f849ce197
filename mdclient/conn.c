/* mdclient/conn.c - one live connection: connect with deadlines, session
 * settings, dialect and COPY probes, exec, cancel. See conn.h. */
#include "mdclient/conn.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdclient/log.h"
#include "mdclient/internal/csv_out.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"

struct mdc_conn {
	PGconn *pg;
	PGcancel *cancel;    /* made at connect; PQcancel is thread-safe */
	const mdc_dialect_impl *d; /* set by the probe at connect */
	int copy_out;        /* -1 until asked (mdc_conn_has_copy_out), then 0/1 */
	bool fatal;          /* the server sent FATAL/PANIC while idle: it is gone */
	char *dbname;
	int64_t answer_ms;   /* mdc_config_answer_timeout_ms: exec's deadline */
	const mdc_config *cfg; /* what it was made from (mdc_conn_revive) */
	char *asked_db;      /* the dbname argument of mdc_connect (NULL: none) */
	bool ro_refused;     /* the endpoint refused the dialect's read-only BEGIN */
	bool oids_say_nothing; /* result OIDs do not name types (dialect.h, sql_current_db) */
};

/* With PQERRORS_VERBOSE libpq writes server errors as "FATAL:  28P01: ...".
 * Find that SQLSTATE in a connection error text; "" when there is none. */
static void find_sqlstate(const char *msg, char state[6])
{
	state[0] = '\0';
	for (const char *p = msg; (p = strstr(p, ":  ")) != NULL; p++) {
		const char *s = p + 3;
		int ok = 1;
		for (int i = 0; i < 5; i++)
			if (!isdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]))
				ok = 0;
		if (ok && s[5] == ':') {
			memcpy(state, s, 5);
			state[5] = '\0';
			return;
		}
	}
}

/* Copy a libpq connection error into buf as one line, without the
 * LOCATION: lines that verbose mode adds, and without the token. */
static void clean_conn_message(const mdc_config *cfg, const char *msg, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	while (msg && *msg && off + 1 < size) {
		size_t len = strcspn(msg, "\n");
		if (strncmp(msg, "LOCATION:", 9) != 0 && len > 0) {
			int w = snprintf(buf + off, size - off, "%s%.*s", off ? " " : "", (int)len, msg);
			if (w < 0)
				break;
			off += (size_t)w;
			if (off >= size)
				off = size - 1;
		}
		msg += len;
		if (*msg == '\n')
			msg++;
	}
	mdc_config_scrub(cfg, buf);
}

static int connect_fail(const mdc_config *cfg, PGconn *pg, int timed_out, int timeout_s,
			mdc_error *err)
{
	char msg[MDC_ERRMSG_MAX];
	char state[6];
	const char *host = mdc_config_host(cfg);
	int rc;

	clean_conn_message(cfg, pg ? PQerrorMessage(pg) : "out of memory", msg, sizeof msg);
	find_sqlstate(msg, state);
	if (timed_out)
		rc = mdc_error_set(err, ETIMEDOUT, "connect to %s: no answer within %d s",
				   host ? host : "(default host)", timeout_s);
	else if (state[0] && strncmp(state, "28", 2) == 0 && mdc_config_auth_hint(cfg))
		rc = mdc_error_set_sqlstate(err, mdc_errno_for_sqlstate(state), state,
					    "connect: %s; %s", msg, mdc_config_auth_hint(cfg));
	else if (state[0])
		rc = mdc_error_set_sqlstate(err, mdc_errno_for_sqlstate(state), state,
					    "connect: %s", msg);
	else
		rc = mdc_error_set(err, pg ? EIO : ENOMEM, "connect: %s", msg[0] ? msg : "failed");
	/* 53300 (too many connections) is the pool's to handle and log. */
	mdc_log(strcmp(state, "53300") == 0 ? LOG_INFO : LOG_ERR, "%s", err ? err->message : msg);
	if (timed_out && msg[0])
		mdc_log(LOG_DEBUG, "connect: libpq said: %s", msg);
	PQfinish(pg);
	return rc;
}

/* Server notices (NOTICE, WARNING...) go to the log, never to stderr. */
/* libpq hands an error that arrives while no query runs (e.g. FATAL
 * "terminating connection due to administrator command") to the notice
 * receiver; such a connection is marked dead for mdc_conn_is_ok. */
static void notice_receiver(void *arg, const PGresult *res)
{
	mdc_conn *c = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	int level = LOG_DEBUG;
	if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)) {
		c->fatal = true;
		/* 57P05, an idle-session timeout, is routine: the pool replaces
		 * the connection when it is next wanted. */
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		level = state && strcmp(state, "57P05") == 0 ? LOG_INFO : LOG_WARNING;
	} else if (sev && strcmp(sev, "WARNING") == 0) {
		level = LOG_WARNING;
	}
	mdc_log(level, "server %s: %s", sev ? sev : "notice", msg ? msg : PQresultErrorMessage(res));
}

/* Drive PQconnectPoll until done or until the deadline. Returns 0, or 1 on
 * timeout, or -1 on failure (reason in PQerrorMessage). */
static int poll_connect(PGconn *pg, int timeout_s)
{
	int64_t deadline = mdc_now_ms() + (int64_t)timeout_s * 1000;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	for (;;) {
		if (st == PGRES_POLLING_OK)
			return 0;
		if (st == PGRES_POLLING_FAILED)
			return -1;
		int64_t left = deadline - mdc_now_ms();
		if (left <= 0)
			return 1;
		struct pollfd pfd = {
			.fd = PQsocket(pg),
			.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		};
		if (pfd.fd < 0)
			return -1;
		int n = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		st = PQconnectPoll(pg);
	}
}

/* Run sql on c without logging a failure (probes and optional settings),
 * waiting for the answer as long as for every query (statement_timeout +
 * io_timeout), never inside libpq: a server that stops answering right
 * after the handshake fails the connect in time. 0 when it ran: *ok says
 * it succeeded (a COPY OUT result counts when copy_ok: its data is read to
 * the end), state holds the failure's SQLSTATE ("" if none). -errno with err
 * when the server did not answer in time or the connection broke (then it
 * is abandoned), and when it is left inside a transaction unless tx_ok (the
 * caller's own BEGIN). */
static int quiet_run(mdc_conn *c, const char *sql, bool copy_ok, bool tx_ok, bool *ok,
		     char state[6], mdc_error *err)
{
	PGconn *pg = c->pg;
	int64_t deadline = mdc_now_ms() + c->answer_ms;
	bool copied = false, failed = false;
	int rc = 0;

	mdc_log(LOG_DEBUG, "sql: %s", sql);
	*ok = false;
	state[0] = '\0';
	if (!PQsendQuery(pg, sql))
		return mdc_pq_fail(err, pg, NULL, "connect");
	for (;;) {
		if ((rc = mdc_pq_wait_ready(pg, deadline, "connect", err)) < 0)
			break;
		PGresult *res = PQgetResult(pg);
		if (!res)
			break;
		ExecStatusType st = PQresultStatus(res);
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (s && !state[0])
			snprintf(state, 6, "%s", s);
		PQclear(res);
		if (st == PGRES_COPY_OUT) {
			copied = true;
			char *buf = NULL;
			int len;
			while ((rc = mdc_pq_copy_next(pg, &buf, &len, deadline, "connect", err)) > 0) {
				PQfreemem(buf);
				buf = NULL;
			}
			if (rc < 0)
				break;
		} else if (st == PGRES_COPY_IN) {
			failed = true;
			if (PQputCopyEnd(pg, "mdclient: COPY FROM STDIN not expected") != 1) {
				rc = mdc_pq_fail(err, pg, NULL, "connect");
				break;
			}
		} else if (st == PGRES_COPY_BOTH) {
			rc = mdc_error_set(err, EIO, "connect: the server started a replication stream");
			break;
		} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			failed = true;
		}
	}
	PGTransactionStatusType ts = PQtransactionStatus(pg);
	if (rc == 0 && (PQstatus(pg) != CONNECTION_OK ||
			(ts != PQTRANS_IDLE && !(tx_ok && ts == PQTRANS_INTRANS))))
		rc = mdc_error_set(err, EIO, "connect: connection lost: %s", PQerrorMessage(pg));
	if (rc < 0) {
		mdc_pq_abandon(pg);
		c->fatal = true;
		if (rc == -ETIMEDOUT)
			rc = mdc_error_set(err, ETIMEDOUT, "connect: no answer from the server within %.1f s "
					   "after the handshake", (double)c->answer_ms / 1000);
		return rc;
	}
	*ok = !failed && copied == copy_ok;
	return 0;
}

/* quiet_run for statements: 0 (it succeeded), 1 (refused: state says why),
 * or -errno with err (no answer, connection broken). */
static int quiet_exec(mdc_conn *c, const char *sql, char state[6], mdc_error *err)
{
	bool ok;
	int rc = quiet_run(c, sql, false, false, &ok, state, err);
	return rc < 0 ? rc : ok ? 0 : 1;
}

/* Does COPY (SELECT ...) TO STDOUT work here? Leaves the connection idle.
 * Returns 1 / 0, or -errno when the connection broke or did not answer. */
static int probe_copy_out(mdc_conn *c)
{
	char state[6];
	bool ok;
	mdc_error e;
	int rc = quiet_run(c, "COPY (SELECT 1) TO STDOUT (FORMAT csv)", true, false, &ok, state, &e);
	if (rc < 0)
		return rc;
	if (!ok)
		mdc_log(LOG_DEBUG, "COPY TO STDOUT not available (SQLSTATE %s)", state[0] ? state : "none");
	return ok ? 1 : 0;
}

/* A session setting the server refused: said once per process (a mount, a
 * seed run), not once per connection; the caller copes without it. While the
 * log is held back (the daemon's start-up probe) the line is kept and said by
 * mdc_conn_say_held_notes(): that connection may be the only one a mount
 * ever makes. */
enum { HELD_MAX = 4 };
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { int level; char msg[320]; } held[HELD_MAX];
static int held_n;

static void refused_once(atomic_bool *said, int level, const char *what, const char *state,
			 const char *consequence)
{
	if (atomic_load(said))
		return;
	char msg[320];
	snprintf(msg, sizeof msg, "the server refused %s (SQLSTATE %s); %s", what,
		 state[0] ? state : "none", consequence);
	if (mdc_log_enabled(level)) {
		if (!atomic_exchange(said, true))
			mdc_log(level, "%s", msg);
		return;
	}
	pthread_mutex_lock(&held_mu);
	if (held_n < HELD_MAX && !atomic_exchange(said, true)) {
		held[held_n].level = level;
		memcpy(held[held_n].msg, msg, sizeof msg);
		held_n++;
	}
	pthread_mutex_unlock(&held_mu);
}

void mdc_conn_say_held_notes(void)
{
	pthread_mutex_lock(&held_mu);
	for (int i = 0; i < held_n; i++)
		mdc_log(held[i].level, "%s", held[i].msg);
	held_n = 0;
	pthread_mutex_unlock(&held_mu);
}

static int set_session(mdc_conn *c, const mdc_config *cfg, mdc_error *err)
{
	char state[6];
	int rc;

	/* Dialect: never from server_version. The one place that names them. */
	rc = quiet_exec(c, "SELECT 1 FROM duckdb_databases() LIMIT 1", state, err);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		c->d = &mdc_dialect_duckdb;
	} else if (strcmp(state, "42883") == 0 || strcmp(state, "42P01") == 0) {
		c->d = &mdc_dialect_postgres;
	} else {
		return mdc_error_set_sqlstate(err, state[0] ? mdc_errno_for_sqlstate(state) : EIO,
					      state, "connect: dialect probe failed: %s",
					      PQerrorMessage(c->pg));
	}

	char *session = c->d->session_sql(cfg);
	if (!session)
		return mdc_error_set(err, ENOMEM, "out of memory");
	rc = c->d->session_required ? mdc_conn_exec(c, session, err) : quiet_exec(c, session, state, err);
	free(session);
	if (rc < 0) {
		return rc;
	} else if (rc > 0) {
		static atomic_bool said;
		refused_once(&said, LOG_NOTICE, c->d->session_what, state,
			     "timestamps with time zone are converted to UTC by mdfs");
	}

	int st_ms = mdc_config_statement_timeout_ms(cfg);
	if (st_ms > 0) {
		char sql[64];
		snprintf(sql, sizeof sql, "SET statement_timeout = %d", st_ms);
		if (c->d->statement_timeout_required) {
			if ((rc = mdc_conn_exec(c, sql, err)) < 0)
				return rc;
		} else if ((rc = quiet_exec(c, sql, state, err)) < 0) {
			return rc;
		} else if (rc > 0) {
			static atomic_bool said;
			refused_once(&said, LOG_WARNING, "SET statement_timeout", state,
				     "queries run without a server-side limit");
		}
	}

	const char *db = PQdb(c->pg);
	PGresult *res = NULL;
	if (c->d->sql_current_db &&
	    mdc_pq_exec(c->pg, c->d->sql_current_db, 0, NULL, PGRES_TUPLES_OK, &res, NULL) == 0 &&
	    PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		db = PQgetvalue(res, 0, 0);
	c->oids_say_nothing = res && PQnfields(res) >= 3 &&
			      (mdc_csv_kind_for_oid(PQftype(res, 1)) != MDC_CSV_BOOL ||
			       mdc_csv_kind_for_oid(PQftype(res, 2)) != MDC_CSV_TSTZ);
	if (c->oids_say_nothing) {
		static atomic_bool said;
		if (!atomic_exchange(&said, true))
			mdc_log(LOG_INFO, "the endpoint's result type OIDs do not name the types; "
				"CSV booleans and timestamps are typed from the catalog");
	}
	if (!res && PQstatus(c->pg) != CONNECTION_OK) {
		c->fatal = true; /* mdc_pq_exec gave up on it (no answer in time) */
		return mdc_error_set(err, EIO, "connect: no answer from the server after the handshake");
	}
	c->dbname = strdup(db ? db : "");
	PQclear(res);
	if (!c->dbname)
		return mdc_error_set(err, ENOMEM, "out of memory");

	/* Known, or probed only when a caller asks (not on every connect). */
	c->copy_out = c->d->copy_out;
	return 0;
}

int mdc_connect(const mdc_config *cfg, const char *dbname, mdc_conn **out, mdc_error *err)
{
	const char *kw[MDC_CONFIG_MAX_PARAMS], *val[MDC_CONFIG_MAX_PARAMS];

	mdc_error_clear(err);
	if (!cfg || !out)
		return mdc_error_set(err, EINVAL, "connect: missing config");
	*out = NULL;
	mdc_config_libpq_params(cfg, dbname, kw, val, MDC_CONFIG_MAX_PARAMS);
	int timeout_s = mdc_config_connect_timeout(cfg);

	mdc_log(LOG_DEBUG, "connect: %s (db %s)", mdc_config_display(cfg),
		dbname ? dbname : mdc_config_dbname(cfg));
	mdc_conn *c = calloc(1, sizeof *c);
	if (!c)
		return mdc_error_set(err, ENOMEM, "out of memory");
	PGconn *pg = PQconnectStartParams(kw, val, 0);
	if (!pg || PQstatus(pg) == CONNECTION_BAD) {
		free(c);
		return connect_fail(cfg, pg, 0, timeout_s, err);
	}
	/* Verbose: connection errors then carry the SQLSTATE ("FATAL:  28P01: ..."). */
	PQsetErrorVerbosity(pg, PQERRORS_VERBOSE);
	PQsetNoticeReceiver(pg, notice_receiver, c);
	int r = poll_connect(pg, timeout_s);
	if (r != 0) {
		free(c);
		return connect_fail(cfg, pg, r == 1, timeout_s, err);
	}
	PQsetErrorVerbosity(pg, PQERRORS_DEFAULT);
	c->pg = pg;
	c->cancel = PQgetCancel(pg);
	c->answer_ms = mdc_config_answer_timeout_ms(cfg);
	mdc_pq_set_answer_timeout_ms(c->answer_ms);
	c->cfg = cfg;
	mdc_error local;
	if (!err)
		err = &local;
	if (dbname && !(c->asked_db = strdup(dbname))) {
		mdc_conn_close(c);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	int rc = set_session(c, cfg, err);
	if (rc < 0) {
		mdc_log(LOG_ERR, "%s", err->message);
		mdc_conn_close(c);
		return rc;
	}
	mdc_log(LOG_INFO, "connected to %s: %s dialect, database \"%s\"",
		mdc_config_display(cfg), c->d->name,
		c->dbname);
	*out = c;
	return 0;
}

void mdc_conn_close(mdc_conn *c)
{
	if (!c)
		return;
	if (c->pg && PQtransactionStatus(c->pg) == PQTRANS_ACTIVE)
		mdc_conn_cancel(c);
	if (c->cancel)
		PQfreeCancel(c->cancel);
	PQfinish(c->pg);
	free(c->dbname);
	free(c->asked_db);
	free(c);
}

int mdc_conn_revive(mdc_conn *c, mdc_error *err)
{
	if (!c || !c->pg)
		return mdc_error_set(err, EINVAL, "revive: no connection");
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE && PQconsumeInput(c->pg))
		(void)PQisBusy(c->pg); /* parses a FATAL the server sent meanwhile */
	if (mdc_conn_is_ok(c))
		return 0;
	mdc_log(LOG_INFO, "connection closed by the server while idle; reconnecting");
	mdc_conn *fresh = NULL;
	int rc = mdc_connect(c->cfg, c->asked_db, &fresh, err);
	if (rc < 0)
		return rc;
	/* The caller keeps its pointer: move the new connection into c. */
	if (c->cancel)
		PQfreeCancel(c->cancel);
	PQfinish(c->pg);
	free(c->dbname);
	free(c->asked_db);
	*c = *fresh;
	free(fresh);
	PQsetNoticeReceiver(c->pg, notice_receiver, c);
	return 0;
}

mdc_dialect mdc_conn_dialect(const mdc_conn *c)
{
	return c->d->id;
}

const mdc_dialect_impl *mdc_conn_impl(const mdc_conn *c)
{
	return c->d;
}

int mdc_conn_try(mdc_conn *c, const char *sql, bool *ok, char state[6], mdc_error *err)
{
	return quiet_run(c, sql, false, true, ok, state, err);
}

bool mdc_conn_oids_say_nothing(const mdc_conn *c)
{
	return c->oids_say_nothing;
}

bool mdc_conn_read_only_refused(const mdc_conn *c)
{
	return c->ro_refused;
}

void mdc_conn_set_read_only_refused(mdc_conn *c)
{
	c->ro_refused = true;
}

const char *mdc_conn_default_schema(const mdc_conn *c)
{
	return c->d->default_schema;
}

const char *mdc_conn_dbname(const mdc_conn *c)
{
	return c->dbname;
}

bool mdc_conn_has_copy_out(mdc_conn *c)
{
	if (c->copy_out < 0) {
		int rc = probe_copy_out(c);
		if (rc < 0)
			return false; /* the connection broke: mdc_conn_is_ok says so */
		c->copy_out = rc;
	}
	return c->copy_out == 1;
}

bool mdc_conn_is_ok(const mdc_conn *c)
{
	return c && c->pg && !c->fatal && PQstatus(c->pg) == CONNECTION_OK;
}

int mdc_conn_exec(mdc_conn *c, const char *sql, mdc_error *err)
{
	if (!c || !c->pg || !sql)
		return mdc_error_set(err, EINVAL, "exec: no connection or no SQL");
	mdc_log(LOG_DEBUG, "sql: %s", sql);
	if (!PQsendQuery(c->pg, sql))
		return mdc_pq_fail(err, c->pg, NULL, "exec");

	/* Never a blocking PQgetResult: a server that keeps the socket open but
	 * stops answering would hold us forever. Past the deadline the query is
	 * cancelled and the connection counts as broken (its state is unknown). */
	int64_t deadline = mdc_now_ms() + c->answer_ms;
	int rc = 0;
	PGresult *res;
	for (;;) {
		int w = mdc_pq_wait_ready(c->pg, deadline, "exec", err);
		if (w < 0) {
			/* No cancel: it would wait on the same frozen server. */
			mdc_pq_abandon(c->pg);
			c->fatal = true;
			if (w == -ETIMEDOUT) {
				w = mdc_error_set(err, ETIMEDOUT, "exec: no answer from the server within %.1f s",
						  (double)c->answer_ms / 1000);
				mdc_log(LOG_ERR, "exec: no answer from the server within %.1f s; "
					"the connection is dropped", (double)c->answer_ms / 1000);
			}
			return w;
		}
		if ((res = PQgetResult(c->pg)) == NULL)
			break;
		ExecStatusType st = PQresultStatus(res);
		switch (st) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			break;
		case PGRES_COPY_OUT:
		case PGRES_COPY_IN:
		case PGRES_COPY_BOTH:
			PQclear(res);
			if (mdc_pq_drain(c->pg) < 0 && rc == 0)
				rc = mdc_error_set(err, EIO, "exec: connection lost in a COPY");
			if (rc == 0)
				rc = mdc_error_set(err, EINVAL, "exec: COPY is not supported here");
			continue; /* drain already read everything */
		default:
			if (rc == 0)
				rc = mdc_pq_fail(err, c->pg, res, "exec");
			break;
		}
		PQclear(res);
	}
	if (rc == 0 && PQstatus(c->pg) != CONNECTION_OK)
		rc = mdc_pq_fail(err, c->pg, NULL, "exec");
	return rc;
}

void mdc_conn_cancel(mdc_conn *c)
{
	char errbuf[256];

	if (!c || !c->cancel)
		return;
	if (!PQcancel(c->cancel, errbuf, sizeof errbuf))
		mdc_log(LOG_WARNING, "cancel request failed: %s", errbuf);
	else
		mdc_log(LOG_DEBUG, "cancel request sent");
}

struct pg_conn *mdc_conn_pg(mdc_conn *c)
{
	return c ? c->pg : NULL;
}
