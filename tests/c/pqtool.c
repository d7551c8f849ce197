/* tests/c/pqtool.c - a small libpq client the pytest suite drives to check
 * the servers' protocol behaviour as libpq itself uses it.
 *
 * usage: pqtool [options] DSN SQL [SQL...]
 *   -s           single-row mode (PQsendQuery + PQsetSingleRowMode)
 *   -p VALUE     add a text parameter (repeatable; uses PQexecParams / the
 *                extended protocol); with -s uses PQsendQueryParams
 *   -P           prepare as a named statement and describe it first
 *                (Parse/Describe/Sync, then Bind/Execute)
 *   -d           print "col <name> <type oid> <typmod>" for each column
 *   -v           print every row as tab-separated values (NULL as \N)
 *   -c MS        send a CancelRequest MS milliseconds after sending the query;
 *                then also prints "rows_after_cancel N": rows that arrived after
 *                PQcancel returned
 *   -w US        sleep US microseconds after each row (a slow reader)
 *   -S NAME      print "param NAME VALUE" (the server's ParameterStatus) first
 *   -i MS        stay idle MS milliseconds after connecting, before the query
 *   -t           script mode: run each SQL in turn on the one connection
 *                (PQexec); for each print "OK <command status>" or
 *                "ERROR <sqlstate> <message>", then "tx I|T|E" (the
 *                transaction status), and go on after errors; exit 0 unless
 *                the connection is lost (then exit 1)
 * The password comes from PGPASSWORD, as with psql.
 * Output: optional column/row lines, then "rows N". On error prints
 * "ERROR <sqlstate> <message>" and exits 1 (a failed connection shows the
 * server's SQLSTATE too, as mdclient gets it: verbose errors during start-up);
 * exit 2 for usage errors.
 * Without -t, only one SQL is allowed.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARAMS 16

struct canceller {
	PGconn *conn;
	int after_ms;
	atomic_bool sent; /* PQcancel has returned */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;
	char errbuf[256];
	sleep_ms(c->after_ms);
	PGcancel *cancel = PQgetCancel(c->conn);
	if (!cancel || !PQcancel(cancel, errbuf, sizeof errbuf))
		fprintf(stderr, "cancel failed: %s\n", cancel ? errbuf : "no cancel object");
	PQfreeCancel(cancel);
	atomic_store(&c->sent, true);
	return NULL;
}

static int report(const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char code[6] = "";
	if (!msg) {
		/* No result (connection errors): "...FATAL:  53300: message" when verbose. */
		msg = PQerrorMessage(conn);
		const char *f = strstr(msg, "FATAL:  ");
		if (f && strlen(f) > 15 && f[13] == ':' && f[14] == ' ') {
			memcpy(code, f + 8, 5);
			state = code;
			msg = f + 15;
		}
	}
	printf("ERROR %s %s\n", state ? state : "-----", msg);
	return 1;
}

/* PQconnectdb, but with verbose errors during start-up, so that a FATAL
 * error's message carries its SQLSTATE. */
static PGconn *connect_verbose(const char *dsn)
{
	PGconn *conn = PQconnectStart(dsn);
	if (!conn || PQstatus(conn) == CONNECTION_BAD)
		return conn;
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		struct pollfd pfd = { .fd = PQsocket(conn),
				      .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT };
		if (pfd.fd < 0 || poll(&pfd, 1, 60000) <= 0)
			break; /* PQstatus stays bad; the caller reports it */
		st = PQconnectPoll(conn);
	}
	PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
	return conn;
}

static void describe(const PGresult *res)
{
	for (int i = 0; i < PQnfields(res); i++)
		printf("col %s %u %d\n", PQfname(res, i), PQftype(res, i), PQfmod(res, i));
}

static void print_rows(const PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++) {
		for (int i = 0; i < PQnfields(res); i++)
			printf("%s%s", i ? "\t" : "", PQgetisnull(res, r, i) ? "\\N" : PQgetvalue(res, r, i));
		printf("\n");
	}
}

/* -t: each SQL in turn, reporting its outcome and the transaction status. */
static int script(PGconn *conn, char **sqls, int n)
{
	static const char tx[] = { [PQTRANS_IDLE] = 'I', [PQTRANS_ACTIVE] = 'A', [PQTRANS_INTRANS] = 'T',
				   [PQTRANS_INERROR] = 'E', [PQTRANS_UNKNOWN] = '?' };
	for (int i = 0; i < n; i++) {
		PGresult *res = PQexec(conn, sqls[i]);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			printf("OK %s\n", PQcmdStatus(res));
		else
			report(res, conn);
		PQclear(res);
		printf("tx %c\n", tx[PQtransactionStatus(conn)]);
		if (PQstatus(conn) != CONNECTION_OK)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool single = false, prepared = false, desc = false, verbose = false, scripted = false;
	const char *params[MAX_PARAMS];
	const char *show_param = NULL;
	int nparams = 0, cancel_ms = -1, opt;
	long slow_us = 0, idle_ms = 0;
	bool use_params = false;

	while ((opt = getopt(argc, argv, "sp:Pdvc:w:S:i:t")) != -1) {
		switch (opt) {
		case 's': single = true; break;
		case 'p':
			if (nparams == MAX_PARAMS)
				return 2;
			params[nparams++] = optarg;
			use_params = true;
			break;
		case 'P': prepared = true; use_params = true; break;
		case 'd': desc = true; break;
		case 'v': verbose = true; break;
		case 'c': cancel_ms = atoi(optarg); break;
		case 'w': slow_us = atol(optarg); break;
		case 'S': show_param = optarg; break;
		case 'i': idle_ms = atol(optarg); break;
		case 't': scripted = true; break;
		default:
			fprintf(stderr, "usage: pqtool [-s] [-p V]... [-P] [-d] [-v] [-c MS] [-w US] [-S NAME] [-i MS] [-t] "
					"DSN SQL [SQL...]\n");
			return 2;
		}
	}
	if (argc - optind < 2 || (!scripted && argc - optind != 2)) {
		fprintf(stderr, "usage: pqtool [options] DSN SQL (several SQL only with -t)\n");
		return 2;
	}
	PGconn *conn = connect_verbose(argv[optind]);
	if (PQstatus(conn) != CONNECTION_OK) {
		int rc = report(NULL, conn);
		PQfinish(conn);
		return rc;
	}
	if (show_param) {
		const char *v = PQparameterStatus(conn, show_param);
		printf("param %s %s\n", show_param, v ? v : "(none)");
	}
	if (idle_ms > 0)
		sleep_ms(idle_ms);
	if (scripted) {
		int src = script(conn, argv + optind + 1, argc - optind - 1);
		PQfinish(conn);
		return src;
	}
	const char *sql = argv[optind + 1];
	int rc = 0;
	long rows = 0, rows_after_cancel = 0;
	bool described = false;
	PGresult *res;

	if (prepared) {
		res = PQprepare(conn, "stmt", sql, nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = report(res, conn);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		res = PQdescribePrepared(conn, "stmt");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = report(res, conn);
			PQclear(res);
			goto out;
		}
		printf("params %d\n", PQnparams(res));
		if (desc) {
			describe(res);
			described = true;
		}
		PQclear(res);
	}

	int sent;
	if (prepared)
		sent = PQsendQueryPrepared(conn, "stmt", nparams, params, NULL, NULL, 0);
	else if (use_params)
		sent = PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	else
		sent = PQsendQuery(conn, sql);
	if (!sent) {
		rc = report(NULL, conn);
		goto out;
	}
	if (single && !PQsetSingleRowMode(conn)) {
		fprintf(stderr, "could not enter single-row mode\n");
		rc = 1;
		goto out;
	}
	pthread_t th;
	struct canceller canc = { .conn = conn, .after_ms = cancel_ms };
	atomic_init(&canc.sent, false);
	if (cancel_ms >= 0)
		pthread_create(&th, NULL, cancel_thread, &canc);

	while ((res = PQgetResult(conn)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
		case PGRES_TUPLES_OK:
			if (desc && !described) {
				describe(res);
				described = true;
			}
			if (verbose)
				print_rows(res);
			rows += PQntuples(res);
			if (cancel_ms >= 0 && atomic_load(&canc.sent))
				rows_after_cancel += PQntuples(res);
			if (slow_us && PQntuples(res))
				usleep((useconds_t)slow_us);
			break;
		case PGRES_COMMAND_OK:
		case PGRES_EMPTY_QUERY:
			break;
		default:
			if (!rc)
				rc = report(res, conn);
			break;
		}
		PQclear(res);
	}
	if (cancel_ms >= 0)
		pthread_join(th, NULL);
	if (!rc && PQstatus(conn) != CONNECTION_OK)
		rc = report(NULL, conn);
	if (cancel_ms >= 0)
		printf("rows_after_cancel %ld\n", rows_after_cancel);
	if (!rc)
		printf("rows %ld\n", rows);
out:
	PQfinish(conn);
	return rc;
}
