/* tests/c/pqtool.c - a small libpq client the pytest suite drives to check
 * the servers' protocol behaviour as libpq itself uses it.
 *
 * usage: pqtool [options] DSN SQL
 *   -s           single-row mode (PQsendQuery + PQsetSingleRowMode)
 *   -p VALUE     add a text parameter (repeatable; uses PQexecParams / the
 *                extended protocol); with -s uses PQsendQueryParams
 *   -P           prepare as a named statement and describe it first
 *                (Parse/Describe/Sync, then Bind/Execute)
 *   -d           print "col <name> <type oid> <typmod>" for each column
 *   -v           print every row as tab-separated values (NULL as \N)
 *   -c MS        send a CancelRequest MS milliseconds after sending the query
 *   -w US        sleep US microseconds after each row (a slow reader)
 * The password comes from PGPASSWORD, as with psql.
 * Output: optional column/row lines, then "rows N". On error prints
 * "ERROR <sqlstate> <message>" and exits 1; exit 2 for usage errors.
 */
#include <libpq-fe.h>
#include <pthread.h>
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
};

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;
	char errbuf[256];
	struct timespec ts = { c->after_ms / 1000, (long)(c->after_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	PGcancel *cancel = PQgetCancel(c->conn);
	if (!cancel || !PQcancel(cancel, errbuf, sizeof errbuf))
		fprintf(stderr, "cancel failed: %s\n", cancel ? errbuf : "no cancel object");
	PQfreeCancel(cancel);
	return NULL;
}

static int report(const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(conn);
	printf("ERROR %s %s\n", state ? state : "-----", msg);
	return 1;
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

int main(int argc, char **argv)
{
	bool single = false, prepared = false, desc = false, verbose = false;
	const char *params[MAX_PARAMS];
	int nparams = 0, cancel_ms = -1, opt;
	long slow_us = 0;
	bool use_params = false;

	while ((opt = getopt(argc, argv, "sp:Pdvc:w:")) != -1) {
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
		default:
			fprintf(stderr, "usage: pqtool [-s] [-p V]... [-P] [-d] [-v] [-c MS] [-w US] DSN SQL\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: pqtool [options] DSN SQL\n");
		return 2;
	}
	PGconn *conn = PQconnectdb(argv[optind]);
	if (PQstatus(conn) != CONNECTION_OK) {
		int rc = report(NULL, conn);
		PQfinish(conn);
		return rc;
	}
	const char *sql = argv[optind + 1];
	int rc = 0;
	long rows = 0;
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
	struct canceller canc = { conn, cancel_ms };
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
	if (!rc)
		printf("rows %ld\n", rows);
out:
	PQfinish(conn);
	return rc;
}
