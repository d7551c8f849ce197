/* fs/main.c - mdfs: mount MotherDuck (or any endpoint speaking its Postgres
 * wire protocol) as a filesystem.
 *
 * Order matters (sshfs style): parse options, build the connection settings,
 * connect once to check the token, TLS and reachability while stderr is still
 * the user's terminal, and only then mount and daemonize. main() is a
 * goto-cleanup chain.
 */
#include "fs/mdfs.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/ghosts.h"
#include "fs/parquet_file.h"
#include "fs/queries.h"
#include "fs/seed_cmd.h"
#include "fs/spool.h"
#include "fs/writes.h"
#include "mdclient/conn.h"
#include "mdclient/log.h"
#include "mdfs_version.h"

extern char **environ;

static void syslog_sink(int level, const char *msg, void *ud)
{
	syslog(level, "%s", msg);
}

/* After start-up the token must not linger in our environment, where
 * /proc/PID/environ would show it: overwrite the value in place (the kernel
 * shows the original memory) and drop the variable. */
static void scrub_env(const char *name)
{
	size_t nl = strlen(name);
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, name, nl) == 0 && (*e)[nl] == '=') {
			char *v = *e + nl + 1;
			explicit_bzero(v, strlen(v));
		}
	}
	unsetenv(name);
}

/* Can spool files be made in dir? Returns 0, or -1 after one line on
 * stderr (the spool helper's log line: the log still goes to stderr). */
static int check_spool_dir(const char *dir)
{
	int fd = mdfs_spool_open(dir, "spool_dir");
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* "-o fsname=...,subtype=mdfs": what /proc/mounts shows. The display form
 * never holds a secret; commas would split the option, so they go. */
static int add_fsname(struct fuse_args *args, const char *display)
{
	size_t n = strlen(display);
	char *opt = malloc(n + 32);
	if (!opt)
		return -1;
	char *p = opt + sprintf(opt, "-ofsname=");
	for (const char *s = display; *s; s++)
		*p++ = (*s == ',' || *s == ' ') ? '_' : *s;
	strcpy(p, ",subtype=mdfs");
	int rc = fuse_opt_add_arg(args, opt);
	free(opt);
	return rc;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct mdfs m;
	struct fuse *fuse = NULL;
	struct fuse_loop_config *loop_cfg = NULL;
	mdc_error err;
	int ret = 1;

	/* FUSE runs requests on up to ten threads; glibc would give each its own
	 * arena and keep what a load freed there. Two arenas keep the daemon's
	 * memory bounded by its buffers, not by how many threads have loaded. */
	mallopt(M_ARENA_MAX, 2);

	/* `mdfs seed ...`: the same loader as the mount, without one. */
	if (argc > 1 && strcmp(argv[1], "seed") == 0)
		return mdfs_seed_main(argc - 1, argv + 1);

	memset(&m, 0, sizeof m);
	if (mdfs_opts_parse(&args, &m.opts) < 0)
		goto out_opts;
	if (m.opts.show_version) {
		printf("mdfs %s (libfuse %d)\n", MDFS_VERSION, fuse_version());
		ret = 0;
		goto out_opts;
	}
	if (m.opts.show_help) {
		mdfs_opts_usage(argv[0]);
		ret = 0;
		goto out_opts;
	}
	mdc_log_set_level(m.opts.debug ? LOG_DEBUG : LOG_NOTICE);

	/* Every read spool and every write lives in spool_dir: a mount that
	 * cannot use it would fail later, file by file. */
	m.spool.dir = m.opts.spool_dir ? m.opts.spool_dir
		    : getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	if (check_spool_dir(m.spool.dir) < 0 || mdfs_queries_setup(&m) < 0)
		goto out_opts;

	mdc_options mo = {
		.host = m.opts.host, .region = m.opts.region, .port = m.opts.port,
		.user = m.opts.user, .sslmode = m.opts.sslmode, .sslrootcert = m.opts.sslrootcert,
		.token_file = m.opts.token_file, .connect_timeout_s = m.opts.connect_timeout,
		.statement_timeout_ms = m.opts.statement_timeout * 1000,
		.io_timeout_s = m.opts.io_timeout,
		.queue_timeout_s = m.opts.queue_timeout,
	};
	if (mdc_config_new(m.opts.source, &mo, &m.cfg, &err) < 0) {
		fprintf(stderr, "mdfs: %s\n", err.message);
		goto out_opts;
	}
	/* The config holds its own copy of the token: clear every variable it
	 * may have come from. */
	scrub_env("MOTHERDUCK_TOKEN");
	scrub_env("motherduck_token");
	scrub_env("PGPASSWORD");

	/* Check credentials, TLS and reachability now, while the user sees stderr:
	 * one line says why, so mdclient's own log of the failure is held back. */
	mdc_conn *probe = NULL;
	if (!m.opts.debug)
		mdc_log_set_level(LOG_CRIT);
	int prc = mdc_connect(m.cfg, NULL, &probe, &err);
	mdc_log_set_level(m.opts.debug ? LOG_DEBUG : LOG_NOTICE);
	if (prc == 0)
		mdc_conn_say_held_notes(); /* e.g. a refused SET TimeZone */
	if (prc < 0) {
		fprintf(stderr, "mdfs: cannot connect to '%s': %s\n", mdc_config_display(m.cfg), err.message);
		goto out_cfg;
	}
	/* A PostgreSQL source without dbname: libpq picked one; the tree shows
	 * that database by its name. */
	prc = mdc_config_settle_dbname(m.cfg, mdc_conn_dbname(probe));
	if (prc < 0) {
		mdc_conn_close(probe);
		fprintf(stderr, "mdfs: out of memory\n");
		goto out_cfg;
	}

	if (mdc_pool_new(m.cfg, m.opts.connections, &m.pool, &err) < 0) {
		mdc_conn_close(probe);
		fprintf(stderr, "mdfs: %s\n", err.message);
		goto out_cfg;
	}
	/* The checked connection is the pool's first: the first ls after mount
	 * pays no new connection (TLS, authentication). fuse_daemonize() forks;
	 * the parent only _exit()s, never touching it, and the child goes on
	 * with the very same socket and TLS session. */
	if (mdc_pool_adopt(m.pool, probe) < 0) /* cannot happen: the pool is new */
		mdc_log(LOG_WARNING, "the start-up connection could not be pooled");
	/* A reader that gives up (Ctrl-C) stops queueing for a connection. */
	mdc_pool_set_interrupt(m.pool, fuse_interrupted);
	const char *db = mdc_config_dbname(m.cfg);
	m.cache = mdfs_cache_new(m.pool, m.opts.cache_timeout,
				 mdc_config_is_motherduck(m.cfg) && !*db ? NULL : db,
				 m.opts.show_csv, m.opts.show_parquet, m.opts.show_sql);
	if (!m.cache) {
		fprintf(stderr, "mdfs: out of memory\n");
		goto out_pool;
	}
	m.uid = getuid();
	m.gid = getgid();
	m.mounted = time(NULL);
	m.spool.max = (off_t)m.opts.spool_max_mb * 1024 * 1024;
	m.spool.head = (off_t)m.opts.spool_head_mb * 1024 * 1024;
	mdfs_parquet_setup(m.pool, m.spool.dir, m.spool.max, m.opts.cache_timeout,
		      !m.opts.parquet_codec || strcmp(m.opts.parquet_codec, "zstd") == 0 ? MDC_PARQUET_ZSTD
		      : strcmp(m.opts.parquet_codec, "snappy") == 0 ? MDC_PARQUET_SNAPPY : MDC_PARQUET_NONE);

	if (add_fsname(&args, mdc_config_display(m.cfg)) < 0 ||
	    /* the kernel checks the modes fs/ops.c shows (other users too,
	     * with allow_other) */
	    fuse_opt_add_arg(&args, "-odefault_permissions") < 0 ||
	    (m.opts.ro && fuse_opt_add_arg(&args, "-oro") < 0)) {
		fprintf(stderr, "mdfs: out of memory\n");
		goto out_cache;
	}
	fuse = fuse_new(&args, &mdfs_ops, sizeof mdfs_ops, &m);
	if (!fuse)
		goto out_cache; /* libfuse printed why */
	if (fuse_mount(fuse, m.opts.mountpoint) != 0)
		goto out_fuse;
	if (fuse_daemonize(m.opts.foreground) != 0)
		goto out_unmount;
	if (!m.opts.foreground) {
		openlog("mdfs", LOG_PID, LOG_DAEMON);
		mdc_log_set_sink(syslog_sink, NULL);
	}
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	mdc_log(LOG_INFO, "mounted %s on %s", mdc_config_display(m.cfg), m.opts.mountpoint);

	loop_cfg = fuse_loop_cfg_create();
	if (!loop_cfg)
		goto out_signals;
	fuse_loop_cfg_set_clone_fd(loop_cfg, 0);
	fuse_loop_cfg_set_idle_threads(loop_cfg, 10);
	ret = fuse_loop_mt(fuse, loop_cfg) == 0 ? 0 : 1;
	mdc_log(LOG_INFO, "unmounted %s", m.opts.mountpoint);

	fuse_loop_cfg_destroy(loop_cfg);
out_signals:
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_fuse:
	fuse_destroy(fuse);
out_cache:
	mdfs_w_free_all(&m);
	mdfs_ghosts_fini();
	mdfs_parquet_free_all();
	mdfs_cache_free(m.cache);
out_pool:
	mdc_pool_free(m.pool);
out_cfg:
	mdc_config_free(m.cfg);
out_opts:
	mdfs_queries_free_all();
	mdfs_opts_free(&m.opts);
	fuse_opt_free_args(&args);
	return ret;
}
