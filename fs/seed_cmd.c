/* fs/seed_cmd.c - the `mdfs seed` command. See seed_cmd.h. */
#include "fs/seed_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mdclient/clock.h"
#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/error.h"
#include "mdclient/log.h"
#include "mdclient/seed.h"

volatile int mdfs_seed_cancel;

static void on_signal(int sig)
{
	(void)sig;
	mdfs_seed_cancel = 1;
}

void mdfs_seed_catch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mdfs seed --source SOURCE [--schema S] [--database D] [-o opt=val,...]\n"
		"                 [--delimiter X] [--column-type col=type]... [--no-quote-columns]\n"
		"                 FILE...\n"
		"       mdfs seed --project DIR [--select NAME...] [--full-refresh] ... (--project --help)\n"
		"Loads each CSV FILE into table <schema>.<file name without extension> exactly as\n"
		"`dbt seed --full-refresh` would (one transaction per file; never a partial table).\n"
		"  --source SOURCE      md:, md:DB, a postgresql:// URI or a key=value DSN\n"
		"  --schema S           target schema (default: main on MotherDuck, public on PostgreSQL)\n"
		"  --database D         target database (default: the source's)\n"
		"  -o opts              host, port, region, user, sslmode, sslrootcert, token_file,\n"
		"                       connect_timeout, statement_timeout, io_timeout (as for the mount)\n"
		"  --delimiter X        one-character field delimiter (default ,)\n"
		"  --column-type c=t    dbt column_types: column c is read as text and created as type t\n"
		"  --no-quote-columns   dbt quote_columns: false (names must be plain identifiers)\n"
		"  -d                   debug: log every SQL statement\n");
}

struct progress_state {
	const char *name;
	double last;
	int shown;
};

static void progress(void *ud, int64_t done, int64_t total, int64_t rows)
{
	struct progress_state *ps = ud;
	if (total < ((int64_t)16 << 20))
		return;
	double t = mdc_now_s();
	if (t - ps->last < 0.25 && done < total)
		return;
	ps->last = t;
	ps->shown = 1;
	fprintf(stderr, "\r%s: %s %3d%% (%lld rows)\033[K", ps->name,
		done * 2 <= total ? "reading" : "loading",
		(int)(total > 0 ? done * 100 / total : 100), (long long)rows);
	fflush(stderr);
}

/* A whole number of seconds in [0, a day]; -1 after a message otherwise
 * (the value becomes milliseconds: no overflow). */
static int parse_seconds(const char *name, const char *v)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > MDC_MAX_TIMEOUT_S) {
		fprintf(stderr, "mdfs seed: %s takes whole seconds from 0 to %d\n", name,
			MDC_MAX_TIMEOUT_S);
		return -1;
	}
	return (int)n;
}

static int parse_o(char *arg, mdc_options *mo)
{
	char *save = NULL;
	for (char *tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			fprintf(stderr, "mdfs seed: option %s needs a value\n", tok);
			return -1;
		}
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(tok, "host") == 0)
			mo->host = v;
		else if (strcmp(tok, "port") == 0)
			mo->port = v;
		else if (strcmp(tok, "region") == 0)
			mo->region = v;
		else if (strcmp(tok, "user") == 0)
			mo->user = v;
		else if (strcmp(tok, "sslmode") == 0)
			mo->sslmode = v;
		else if (strcmp(tok, "sslrootcert") == 0)
			mo->sslrootcert = v;
		else if (strcmp(tok, "token_file") == 0)
			mo->token_file = v;
		else if (strcmp(tok, "connect_timeout") == 0 || strcmp(tok, "statement_timeout") == 0 ||
			 strcmp(tok, "io_timeout") == 0) {
			int s = parse_seconds(tok, v);
			if (s < 0)
				return -1;
			if (tok[0] == 'c')
				mo->connect_timeout_s = s;
			else if (tok[0] == 's')
				mo->statement_timeout_ms = s * 1000;
			else
				mo->io_timeout_s = s;
		} else {
			fprintf(stderr, "mdfs seed: unknown option %s\n", tok);
			return -1;
		}
	}
	return 0;
}

int mdfs_seed_parse_o(char *arg, mdc_options *mo)
{
	return parse_o(arg, mo);
}

int mdfs_seed_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "schema", required_argument, NULL, 'S' },
		{ "database", required_argument, NULL, 'D' },
		{ "delimiter", required_argument, NULL, 'l' },
		{ "column-type", required_argument, NULL, 'c' },
		{ "no-quote-columns", no_argument, NULL, 'q' },
		{ "method", required_argument, NULL, 'm' },
		{ "batch-rows", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = NULL, *schema = NULL, *database = NULL;
	mdc_options mo;
	mdc_seed_options so;
	mdc_seed_settings ss;
	char **oargs = NULL;
	size_t noargs = 0;
	int status = 2;
	mdc_config *cfg = NULL;
	mdc_conn *conn = NULL;
	mdc_error err;

	/* `--project DIR`: a dbt project (seed_project.c). */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--project") == 0 || strncmp(argv[i], "--project=", 10) == 0)
			return mdfs_seed_project_main(argc, argv);

	memset(&mo, 0, sizeof mo);
	memset(&so, 0, sizeof so);
	memset(&ss, 0, sizeof ss);
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "o:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			source = optarg;
			break;
		case 'S':
			schema = optarg;
			break;
		case 'D':
			database = optarg;
			break;
		case 'l':
			if (mdc_seed_setting_set(&ss, "delimiter", optarg, &err) != 0) {
				fprintf(stderr, "mdfs seed: --delimiter: %s\n", err.message);
				goto out;
			}
			break;
		case 'c': {
			/* column=type: the last '=' ends the column name */
			char *eq = strrchr(optarg, '=');
			if (eq)
				*eq = '\0';
			if (!eq || mdc_seed_setting_column_type(&ss, optarg, eq + 1, &err) != 0) {
				fprintf(stderr, "mdfs seed: --column-type takes column=type\n");
				goto out;
			}
			break;
		}
		case 'q':
			if (mdc_seed_setting_set(&ss, "quote_columns", "false", &err) != 0)
				goto out;
			break;
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				so.method = MDC_SEED_AUTO;
			else if (strcmp(optarg, "split") == 0)
				so.method = MDC_SEED_SPLIT;
			else if (strcmp(optarg, "values") == 0)
				so.method = MDC_SEED_VALUES;
			else if (strcmp(optarg, "copy") == 0)
				so.method = MDC_SEED_COPY;
			else {
				fprintf(stderr, "mdfs seed: --method is auto, split, values or copy\n");
				goto out;
			}
			break;
		case 'b':
			so.batch_rows = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'o': {
			char **n = realloc(oargs, (noargs + 1) * sizeof *n);
			if (!n)
				goto out;
			oargs = n;
			oargs[noargs] = strdup(optarg);
			if (!oargs[noargs] || parse_o(oargs[noargs++], &mo) < 0)
				goto out;
			break;
		}
		case 'd':
			mdc_log_set_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!source || optind >= argc) {
		fprintf(stderr, "mdfs seed: %s\n", !source ? "--source is required" : "no FILE given");
		usage(stderr);
		goto out;
	}
	mdc_seed_settings_apply(&ss, &so);
	so.create_schema = 1;
	so.cancel = &mdfs_seed_cancel;

	struct sigaction old_int, old_term;
	mdfs_seed_catch_signals(&old_int, &old_term);

	status = 1;
	if (mdc_config_new(source, &mo, &cfg, &err) < 0) {
		fprintf(stderr, "mdfs seed: %s\n", err.message);
		goto restore;
	}
	/* PostgreSQL: --database picks the database to connect to. */
	const char *connect_db = database;
	if (mdc_connect(cfg, connect_db, &conn, &err) < 0) {
		fprintf(stderr, "mdfs seed: %s\n", err.message);
		goto restore;
	}
	if (!schema)
		schema = mdc_conn_default_schema(conn);

	int failed = 0;
	int tty = isatty(2);
	for (int i = optind; i < argc; i++) {
		const char *file = argv[i];
		char *table = mdc_seed_table_name(file);
		if (!table || !*table) {
			fprintf(stderr, "mdfs seed: %s: no table name in the file name\n", file);
			free(table);
			failed = 1;
			continue;
		}
		if (!conn || !mdc_conn_is_ok(conn)) {
			mdc_conn_close(conn);
			conn = NULL;
			if (mdc_connect(cfg, connect_db, &conn, &err) < 0) {
				fprintf(stderr, "mdfs seed: %s: %s\n", file, err.message);
				free(table);
				failed = 1;
				continue;
			}
		}
		struct progress_state ps = { file, 0, 0 };
		so.progress = tty ? progress : NULL;
		so.progress_ud = &ps;
		mdc_seed_result res;
		int rc = mdc_seed_load(conn, database, schema, table, file, &so, &res, &err);
		if (ps.shown)
			fprintf(stderr, "\r\033[K");
		if (rc < 0) {
			fprintf(stderr, "mdfs seed: %s: %s\n", file, err.message);
			failed = 1;
		} else {
			printf("%s\n", res.summary ? res.summary : table);
			fflush(stdout);
		}
		mdc_seed_result_free(&res);
		free(table);
		if (mdfs_seed_cancel) {
			/* Interrupted: never exit 0, and say what was not loaded. */
			failed = 1;
			for (int j = rc < 0 ? i : i + 1; j < argc; j++)
				fprintf(stderr, "mdfs seed: %s: not loaded (interrupted)\n", argv[j]);
			break;
		}
	}
	status = failed ? 1 : 0;
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	mdc_conn_close(conn);
	mdc_config_free(cfg);
	for (size_t i = 0; i < noargs; i++)
		free(oargs[i]);
	free(oargs);
	mdc_seed_settings_free(&ss);
	return status;
}
