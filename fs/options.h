/* fs/options.h - mdfs's command line: one options struct filled by a
 * fuse_opt table (sshfs style). FUSE's own options stay in args. */
#ifndef MDFS_OPTIONS_H
#define MDFS_OPTIONS_H

#include "mdclient/common.h"

#include <fuse_opt.h>
#include "mdclient/config.h"

struct mdfs_opts {
	char *source;           /* SOURCE (first non-option argument) */
	char *mountpoint;       /* MOUNTPOINT */
	/* connection (passed to mdclient) */
	char *host, *region, *port, *user, *sslmode, *sslrootcert, *token_file;
	int connect_timeout;    /* seconds, default 10 */
	int statement_timeout;  /* seconds, default 0 = none */
	int io_timeout;         /* seconds to wait for an answer beyond statement_timeout, default 30 */
	/* daemon */
	int connections;        /* pool size, default 4 */
	int queue_timeout;      /* seconds a borrower queues for a busy connection, default 120 */
	int cache_timeout;      /* catalog cache, seconds, default 20 */
	char *spool_dir;        /* default $TMPDIR or /var/tmp */
	char *queries_dir;      /* -o queries_dir: where /.queries keeps its .sql files */
	long long spool_max_mb; /* re-read spool per open file, MiB, default 1024 */
	long long spool_head_mb; /* ...of a CSV read straight through, MiB, default 8 */
	int ro;                 /* -o ro: every write is EROFS */
	int allow_drop;         /* -o allow_drop: rm <table>.csv drops the table */
	char *formats;          /* -o formats=csv,parquet,sql (the default): what each schema shows */
	char *parquet_codec;    /* zstd (default), snappy, none */
	int show_csv, show_parquet, show_sql; /* from formats */
	int more_csv, more_parquet, more_sql; /* "csv" / "parquet" / "sql" after a comma in formats= */
	int foreground;         /* -f */
	int debug;              /* -d: FUSE debug + SQL at LOG_DEBUG */
	int show_help, show_version;
};

/* Upper bounds of the numeric options (larger values are refused: they
 * would overflow once turned into milliseconds or bytes). */
#define MDFS_MAX_TIMEOUT_S MDC_MAX_TIMEOUT_S
#define MDFS_MAX_SPOOL_MB (1LL << 30)   /* 1 PiB */

/* Parse argv into *o; args receives what FUSE must see (fsname/subtype are
 * added later). Returns 0, or -1 after printing a one-line error. */
int mdfs_opts_parse(struct fuse_args *args, struct mdfs_opts *o) MDC_MUSTCHECK;
void mdfs_opts_usage(const char *progname);
void mdfs_opts_free(struct mdfs_opts *o);

#endif
