/* fs/options.c - the fuse_opt table and defaults for mdfs (see options.h). */
#include "fs/options.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MDFS_OPT(t, p) { t, offsetof(struct mdfs_opts, p), 1 }

enum { KEY_HELP, KEY_VERSION, KEY_FOREGROUND, KEY_DEBUG, KEY_RO, KEY_CSV, KEY_PARQUET, KEY_SQL };

static const struct fuse_opt mdfs_opt_table[] = {
	MDFS_OPT("host=%s", host),
	MDFS_OPT("region=%s", region),
	MDFS_OPT("port=%s", port),
	MDFS_OPT("user=%s", user),
	MDFS_OPT("sslmode=%s", sslmode),
	MDFS_OPT("sslrootcert=%s", sslrootcert),
	MDFS_OPT("token_file=%s", token_file),
	MDFS_OPT("connect_timeout=%d", connect_timeout),
	MDFS_OPT("statement_timeout=%d", statement_timeout),
	MDFS_OPT("io_timeout=%d", io_timeout),
	MDFS_OPT("connections=%d", connections),
	MDFS_OPT("queue_timeout=%d", queue_timeout),
	MDFS_OPT("cache_timeout=%d", cache_timeout),
	MDFS_OPT("spool_dir=%s", spool_dir),
	MDFS_OPT("spool_max=%lld", spool_max_mb),
	MDFS_OPT("spool_head=%lld", spool_head_mb),
	MDFS_OPT("queries_dir=%s", queries_dir),
	MDFS_OPT("allow_drop", allow_drop),
	MDFS_OPT("formats=%s", formats),
	MDFS_OPT("parquet_codec=%s", parquet_codec),
	FUSE_OPT_KEY("ro", KEY_RO),
	/* "-o formats=csv,parquet": the comma makes "parquet" an option of its own */
	FUSE_OPT_KEY("csv", KEY_CSV),
	FUSE_OPT_KEY("parquet", KEY_PARQUET),
	FUSE_OPT_KEY("sql", KEY_SQL),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct mdfs_opts *o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (!o->source) {
			o->source = strdup(arg);
			return 0;
		}
		if (!o->mountpoint) {
			o->mountpoint = realpath(arg, NULL);
			if (!o->mountpoint) {
				fprintf(stderr, "mdfs: bad mount point '%s': %s\n", arg, strerror(errno));
				return -1;
			}
			return 0;
		}
		fprintf(stderr, "mdfs: unexpected argument '%s'\n", arg);
		return -1;
	case KEY_RO:
		o->ro = 1;
		return 1; /* FUSE mounts read-only too */
	case KEY_CSV:
		o->more_csv = 1;
		return 0;
	case KEY_PARQUET:
		o->more_parquet = 1;
		return 0;
	case KEY_SQL:
		o->more_sql = 1;
		return 0;
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_FOREGROUND:
		o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->debug = 1;
		o->foreground = 1;
		return fuse_opt_add_arg(outargs, "-d") == 0 ? 0 : -1;
	default:
		return 1;
	}
}

void mdfs_opts_usage(const char *progname)
{
	printf("usage: %s SOURCE MOUNTPOINT [-o option[,option]...] [-f] [-d]\n"
	       "       %s seed --source SOURCE [--schema S] [options] FILE...   (see mdfs seed --help)\n"
	       "\n"
	       "SOURCE: md: (every database of the workspace), md:DB, a postgresql:// URI\n"
	       "        or a 'key=value' libpq DSN. Never put a password in SOURCE.\n"
	       "The token comes from $MOTHERDUCK_TOKEN, $motherduck_token, -o token_file or $PGPASSWORD.\n"
	       "\n"
	       "mdfs options:\n"
	       "    -o token_file=FILE     read the token from FILE (first line)\n"
	       "    -o region=REGION       MotherDuck region: us-east-1 (default), eastus, ... (AWS or Azure)\n"
	       "    -o host=HOST           endpoint host (default: the region's pg.REGION-aws|azure.motherduck.com)\n"
	       "    -o port=PORT           endpoint port (default 5432)\n"
	       "    -o user=USER           user name sent to the endpoint\n"
	       "    -o sslmode=MODE        libpq sslmode (default verify-full)\n"
	       "    -o sslrootcert=FILE    CA bundle (default the system bundle)\n"
	       "    -o connections=N       connection pool size (default 4)\n"
	       "    -o cache_timeout=S     catalog cache lifetime in seconds (default 20)\n"
	       "    -o connect_timeout=S   connect deadline in seconds (default 10)\n"
	       "    -o queue_timeout=S     wait for a busy connection of the pool (default 120)\n"
	       "    -o statement_timeout=S server-side statement deadline (default none)\n"
	       "    -o io_timeout=S        wait for an answer this long beyond statement_timeout (default 30)\n"
	       "    -o spool_dir=DIR       where re-read spools live (default $TMPDIR or /var/tmp)\n"
	       "    -o spool_max=MB        re-readable prefix kept per open file (default 1024)\n"
	       "    -o spool_head=MB       ...of a CSV read straight through (default 8)\n"
	       "    -o queries_dir=DIR     keep /.queries/NAME.sql files in DIR (default: memory)\n"
	       "    -o allow_drop          rm TABLE.csv drops the table, rm VIEW.sql the view (else EPERM)\n"
	       "    -o formats=LIST        files per table: csv,parquet,sql (default all three)\n"
	       "    -o parquet_codec=C     zstd (default), snappy or none\n"
	       "    -o ro                  read-only mount\n"
	       "    -f                     stay in the foreground, log to stderr\n"
	       "    -d                     debug: foreground, FUSE debug, log every SQL statement\n"
	       "    -h, --help             this help; -V, --version: the version\n"
	       "\n"
	       "FUSE options (see mount.fuse3(8)) are passed on.\n", progname, progname);
}

int mdfs_opts_parse(struct fuse_args *args, struct mdfs_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout = 10;
	o->io_timeout = 30;
	o->connections = 4;
	o->queue_timeout = 120;
	o->cache_timeout = 20;
	o->spool_max_mb = 1024;
	o->spool_head_mb = 8;
	o->show_csv = o->show_parquet = o->show_sql = 1;
	if (fuse_opt_parse(args, o, mdfs_opt_table, opt_proc) == -1)
		return -1;
	if (o->show_help || o->show_version)
		return 0;
	if (!o->source || !o->mountpoint) {
		fprintf(stderr, "mdfs: missing %s (see mdfs --help)\n", o->source ? "MOUNTPOINT" : "SOURCE");
		return -1;
	}
	if (o->connections < 1 || o->connections > 64) {
		fprintf(stderr, "mdfs: connections must be between 1 and 64\n");
		return -1;
	}
	if (o->formats) {
		char *dup = strdup(o->formats), *save = NULL;
		o->show_csv = o->show_parquet = o->show_sql = 0;
		for (char *t = dup ? strtok_r(dup, ":+", &save) : NULL; t; t = strtok_r(NULL, ":+", &save)) {
			if (strcmp(t, "csv") == 0)
				o->show_csv = 1;
			else if (strcmp(t, "parquet") == 0)
				o->show_parquet = 1;
			else if (strcmp(t, "sql") == 0)
				o->show_sql = 1;
			else
				o->show_csv = o->show_parquet = o->show_sql = -1;
		}
		free(dup);
		if (o->show_csv >= 0) {
			o->show_csv |= o->more_csv;
			o->show_parquet |= o->more_parquet;
			o->show_sql |= o->more_sql;
		}
		if (o->show_csv < 0 || (!o->show_csv && !o->show_parquet && !o->show_sql)) {
			fprintf(stderr, "mdfs: formats takes csv, parquet and/or sql, e.g. formats=csv:sql\n");
			return -1;
		}
	}
	if (o->parquet_codec && strcmp(o->parquet_codec, "zstd") && strcmp(o->parquet_codec, "snappy") &&
	    strcmp(o->parquet_codec, "none")) {
		fprintf(stderr, "mdfs: parquet_codec is zstd, snappy or none\n");
		return -1;
	}
	if (o->connect_timeout < 1 || o->io_timeout < 1 || o->queue_timeout < 1 || o->cache_timeout < 0 ||
	    o->statement_timeout < 0 || o->spool_max_mb < 0 ||
	    o->spool_head_mb < 0) {
		fprintf(stderr, "mdfs: timeouts and sizes must not be negative "
			"(connect_timeout, io_timeout and queue_timeout >= 1)\n");
		return -1;
	}
	/* They become milliseconds and bytes: keep them where that fits. */
	if (o->connect_timeout > MDFS_MAX_TIMEOUT_S || o->io_timeout > MDFS_MAX_TIMEOUT_S ||
	    o->queue_timeout > MDFS_MAX_TIMEOUT_S ||
	    o->statement_timeout > MDFS_MAX_TIMEOUT_S || o->cache_timeout > MDFS_MAX_TIMEOUT_S) {
		fprintf(stderr, "mdfs: timeouts must be at most %d s (a day)\n", MDFS_MAX_TIMEOUT_S);
		return -1;
	}
	if (o->spool_max_mb > MDFS_MAX_SPOOL_MB || o->spool_head_mb > MDFS_MAX_SPOOL_MB) {
		fprintf(stderr, "mdfs: spool_max and spool_head must be at most %lld MB\n",
			(long long)MDFS_MAX_SPOOL_MB);
		return -1;
	}
	return 0;
}

void mdfs_opts_free(struct mdfs_opts *o)
{
	char **strs[] = { &o->source, &o->mountpoint, &o->host, &o->region, &o->port, &o->user,
			  &o->sslmode, &o->sslrootcert, &o->token_file, &o->spool_dir, &o->queries_dir,
			  &o->formats, &o->parquet_codec };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}
