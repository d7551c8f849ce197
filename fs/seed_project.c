/* fs/seed_project.c - `mdfs seed --project DIR`: a dbt project's seeds, with
 * its configs and its profile, loaded like `dbt seed`. See seed_cmd.h.
 *
 * The project and profile rules live in mdclient/dbt_project.h; this file
 * picks the connection, selects the seeds and runs the loads on up to
 * `threads` connections, one transaction per seed, printing one line per
 * seed as it finishes and a summary like dbt's.
 */
#include "fs/seed_cmd.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdclient/clock.h"
#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/dbt_project.h"
#include "mdclient/ddl.h"
#include "mdclient/error.h"
#include "mdclient/log.h"
#include "mdclient/seed.h"

#define MAX_THREADS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mdfs seed --project DIR [--select NAME...] [--exclude NAME...]\n"
		"                 [--full-refresh] [--target T] [--profiles-dir D]\n"
		"                 [--source SOURCE [--schema S]] [--threads N] [-o opt=val,...] [-d]\n"
		"Loads the seeds of the dbt project in DIR as `dbt seed` would: configs from\n"
		"dbt_project.yml and seed property files, the connection from profiles.yml\n"
		"(or --source). NAME is a seed name or a dotted path (project.folder...).\n");
}

/* dbt's fqn selector: NAME equals the seed's name, or its dot-separated parts
 * are a prefix of the seed's fqn (project.folder….name). */
static int selected_by(const mdc_dbt_seed *s, const char *sel)
{
	if (strcmp(s->name, sel) == 0)
		return 1;
	size_t n = strlen(sel);
	return strncmp(s->fqn, sel, n) == 0 && (s->fqn[n] == '.' || s->fqn[n] == '\0');
}

static int in_list(const mdc_dbt_seed *s, char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (selected_by(s, list[i]))
			return 1;
	return 0;
}

struct job {
	const mdc_dbt_seed *seed;
	char *schema;               /* generate_schema_name */
	const char *table;          /* alias or name */
	int full_refresh;
	int schema_ready;           /* created (or found) before the loads */
	int done, failed;
	char reason[MDC_ERRMSG_MAX];
};

struct run {
	const mdc_config *cfg;
	const char *connect_db;     /* PostgreSQL: the database to connect to */
	const char *database;       /* the target's database (NULL: the connection's) */
	struct job *jobs;
	size_t n_jobs, next;
	int passed, errors;
	pthread_mutex_t lock;
	mdc_conn *first;            /* the connection made at start-up, for one worker */
};

static void finish(struct run *r, size_t i, int rc, const mdc_seed_result *res,
		   const mdc_error *err, double secs)
{
	struct job *j = &r->jobs[i];
	pthread_mutex_lock(&r->lock);
	j->done = 1;
	if (rc < 0) {
		j->failed = 1;
		r->errors++;
		snprintf(j->reason, sizeof j->reason, "%s", err->message);
		printf("%zu of %zu ERROR loading seed file %s.%s [ERROR in %.2fs] %s\n", i + 1,
		       r->n_jobs, j->schema, j->table, secs, err->message);
	} else {
		r->passed++;
		printf("%zu of %zu OK loaded seed file %s.%s [INSERT %lld in %.2fs]\n", i + 1,
		       r->n_jobs, j->schema, j->table, (long long)res->rows, secs);
	}
	fflush(stdout);
	pthread_mutex_unlock(&r->lock);
}

static void *worker(void *ud)
{
	struct run *r = ud;
	mdc_conn *conn = NULL;
	pthread_mutex_lock(&r->lock);
	conn = r->first;
	r->first = NULL;
	pthread_mutex_unlock(&r->lock);
	for (;;) {
		pthread_mutex_lock(&r->lock);
		size_t i = r->next < r->n_jobs && !mdfs_seed_cancel ? r->next++ : r->n_jobs;
		pthread_mutex_unlock(&r->lock);
		if (i >= r->n_jobs)
			break;
		struct job *j = &r->jobs[i];
		const mdc_dbt_seed *s = j->seed;
		double t0 = mdc_now_s();
		mdc_error err;
		mdc_seed_result res;
		memset(&res, 0, sizeof res);
		int rc = 0;
		if (!conn || !mdc_conn_is_ok(conn)) {
			mdc_conn_close(conn);
			conn = NULL;
			rc = mdc_connect(r->cfg, r->connect_db, &conn, &err);
		}
		if (rc == 0) {
			mdc_seed_options so;
			memset(&so, 0, sizeof so);
			so.delimiter = s->delimiter;
			so.no_quote_columns = !s->quote_columns;
			so.column_types = s->column_types;
			so.n_column_types = s->n_column_types;
			so.create_schema = !j->schema_ready;
			so.truncate = !j->full_refresh;
			so.cancel = &mdfs_seed_cancel;
			rc = mdc_seed_load(conn, s->database ? s->database : r->database, j->schema, j->table, s->path, &so, &res,
					   &err);
		}
		finish(r, i, rc, &res, &err, mdc_now_s() - t0);
		mdc_seed_result_free(&res);
	}
	mdc_conn_close(conn);
	return NULL;
}

/* key='value' with libpq's quoting (backslash and quote escaped). */
static char *dsn_pair(const char *key, const char *value)
{
	size_t n = strlen(value);
	char *s = malloc(strlen(key) + 2 * n + 4);
	if (!s)
		return NULL;
	char *p = s + sprintf(s, "%s='", key);
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	strcpy(p, "'");
	return s;
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The profiles.yml dbt would read: --profiles-dir, $DBT_PROFILES_DIR, the
 * project directory, ~/.dbt. */
static char *profiles_path(const char *profiles_dir, const char *project_dir)
{
	char *p = NULL;
	const char *env = getenv("DBT_PROFILES_DIR");
	const char *home = getenv("HOME");
	if (profiles_dir || (env && *env))
		return asprintf(&p, "%s/profiles.yml", profiles_dir ? profiles_dir : env) < 0 ? NULL : p;
	if (asprintf(&p, "%s/profiles.yml", project_dir) < 0)
		return NULL;
	if (file_exists(p) || !home)
		return p;
	free(p);
	return asprintf(&p, "%s/.dbt/profiles.yml", home) < 0 ? NULL : p;
}

struct args {
	const char *project, *target, *profiles_dir, *source, *schema;
	char **select, **exclude;
	size_t n_select, n_exclude;
	int full_refresh, threads;
	mdc_options mo;
	char **oargs;
	size_t noargs;
};

static int push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

/* Returns 0, 1 for --help, -1 after printing an error. */
static int parse_args(int argc, char **argv, struct args *a)
{
	char ***list = NULL;   /* --select/--exclude take every following word */
	size_t *nlist = NULL;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		const char *val = NULL;
		char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
		size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
#define IS(name) (strlen(name) == klen && strncmp(arg, name, klen) == 0)
#define VALUE() (eq ? (val = eq + 1) : i + 1 < argc ? (val = argv[++i]) : NULL)
		if (arg[0] != '-' && list) {
			if (push(list, nlist, arg) < 0)
				return -1;
			continue;
		}
		list = NULL;
		if (IS("--select") || IS("-s") || IS("--exclude")) {
			int sel = !IS("--exclude");
			list = sel ? &a->select : &a->exclude;
			nlist = sel ? &a->n_select : &a->n_exclude;
			if (eq && push(list, nlist, eq + 1) < 0)
				return -1;
			continue;
		}
		if (IS("--full-refresh")) {
			a->full_refresh = 1;
			continue;
		}
		if (IS("-d")) {
			mdc_log_set_level(LOG_DEBUG);
			continue;
		}
		if (IS("-h") || IS("--help"))
			return 1;
		if (!(IS("--project") || IS("--target") || IS("--profiles-dir") || IS("--source") ||
		      IS("--schema") || IS("--threads") || IS("-o"))) {
			fprintf(stderr, "mdfs seed: unknown argument %s\n", arg);
			return -1;
		}
		int is_o = IS("-o"), is_threads = IS("--threads");
		const char **dst = IS("--project") ? &a->project : IS("--target") ? &a->target :
				   IS("--profiles-dir") ? &a->profiles_dir : IS("--source") ? &a->source :
				   IS("--schema") ? &a->schema : NULL;
		if (!VALUE()) {
			fprintf(stderr, "mdfs seed: %.*s needs a value\n", (int)klen, arg);
			return -1;
		}
		if (dst) {
			*dst = val;
		} else if (is_threads) {
			char *e;
			long t = strtol(val, &e, 10);
			if (*e || t < 1 || t > MAX_THREADS) {
				fprintf(stderr, "mdfs seed: --threads takes 1 to %d\n", MAX_THREADS);
				return -1;
			}
			a->threads = (int)t;
		} else if (is_o) {
			char *copy = strdup(val);
			if (!copy || push(&a->oargs, &a->noargs, copy) < 0) {
				free(copy);
				return -1;
			}
			if (mdfs_seed_parse_o(copy, &a->mo) < 0)
				return -1;
		}
#undef IS
#undef VALUE
	}
	if (!a->project) {
		fprintf(stderr, "mdfs seed: --project DIR is required here\n");
		return -1;
	}
	return 0;
}

int mdfs_seed_project_main(int argc, char **argv)
{
	struct args a;
	mdc_dbt_project *proj = NULL;
	mdc_dbt_target tgt;
	mdc_config *cfg = NULL;
	mdc_error err;
	char *profiles = NULL, *source = NULL;
	struct run r;
	int status = 2;

	memset(&a, 0, sizeof a);
	memset(&tgt, 0, sizeof tgt);
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	int pr = parse_args(argc, argv, &a);
	if (pr != 0) {
		usage(pr > 0 ? stdout : stderr);
		status = pr > 0 ? 0 : 2;
		goto out;
	}
	status = 1;
	if (mdc_dbt_project_load(a.project, &proj, &err) < 0) {
		fprintf(stderr, "mdfs seed: %s\n", err.message);
		goto out;
	}
	const char *target_schema = a.schema;
	int threads = a.threads;
	if (!a.source) {
		if (!proj->profile) {
			fprintf(stderr, "mdfs seed: %s/dbt_project.yml names no profile: give --source\n",
				a.project);
			goto out;
		}
		if (!(profiles = profiles_path(a.profiles_dir, a.project)))
			goto out;
		if (mdc_dbt_target_load(profiles, proj->profile, a.target, &tgt, &err) < 0) {
			fprintf(stderr, "mdfs seed: %s\n", err.message);
			goto out;
		}
		if (strcmp(tgt.type, "postgres") == 0) {
			source = dsn_pair("dbname", tgt.dbname);
			/* -o options override the profile's. */
			if (!a.mo.host)
				a.mo.host = tgt.host;
			if (!a.mo.port)
				a.mo.port = tgt.port;
			if (!a.mo.user)
				a.mo.user = tgt.user;
			if (!a.mo.sslmode)
				a.mo.sslmode = tgt.sslmode;
			if (!a.mo.sslrootcert)
				a.mo.sslrootcert = tgt.sslrootcert;
		} else {
			/* duckdb, path md:DB: MotherDuck's endpoint; the region from -o
			 * region=, else $MOTHERDUCK_REGION, else us-east-1. */
			if (asprintf(&source, "md:%s", tgt.database) < 0)
				source = NULL;
			r.database = tgt.database[0] ? tgt.database : NULL;
			if (!a.mo.region)
				a.mo.region = getenv("MOTHERDUCK_REGION");
		}
		if (!source)
			goto out;
		a.mo.token = tgt.token;
		if (!target_schema)
			target_schema = tgt.schema;
		if (!threads)
			threads = tgt.threads;
	} else if (!(source = strdup(a.source))) {
		goto out;
	}
	if (!threads)
		threads = 4;

	/* Which seeds: enabled ones, selected, not excluded. */
	r.jobs = calloc(proj->n_seeds ? proj->n_seeds : 1, sizeof *r.jobs);
	if (!r.jobs)
		goto out;
	for (size_t i = 0; i < proj->n_seeds; i++) {
		const mdc_dbt_seed *s = &proj->seeds[i];
		if (!s->enabled || (a.n_select && !in_list(s, a.select, a.n_select)) ||
		    in_list(s, a.exclude, a.n_exclude))
			continue;
		r.jobs[r.n_jobs].seed = s;
		r.jobs[r.n_jobs].table = s->alias ? s->alias : s->name;
		r.jobs[r.n_jobs++].full_refresh = s->full_refresh >= 0 ? s->full_refresh :
						  a.full_refresh;
	}
	if (r.n_jobs == 0) {
		printf("Nothing to do. No seeds in %s match the selection.\n", a.project);
		status = 0;
		goto out;
	}

	if (mdc_config_new(source, &a.mo, &cfg, &err) < 0) {
		fprintf(stderr, "mdfs seed: %s\n", err.message);
		goto out;
	}
	r.cfg = cfg;
	if (mdc_connect(cfg, NULL, &r.first, &err) < 0) {
		fprintf(stderr, "mdfs seed: %s\n", err.message);
		goto out;
	}
	if (!target_schema)
		target_schema = mdc_conn_default_schema(r.first);
	for (size_t i = 0; i < r.n_jobs; i++)
		if (!(r.jobs[i].schema = mdc_dbt_schema_name(target_schema, r.jobs[i].seed->schema)))
			goto out;

	/* Schemas first, one at a time, as dbt does: concurrent CREATE SCHEMA of
	 * one name conflict on DuckDB and PostgreSQL. */
	for (size_t i = 0; i < r.n_jobs; i++) {
		const char *db = r.jobs[i].seed->database ? r.jobs[i].seed->database : r.database;
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			if (strcmp(r.jobs[k].schema, r.jobs[i].schema) == 0 &&
			    r.jobs[k].seed->database == r.jobs[i].seed->database) {
				seen = 1;
				r.jobs[i].schema_ready = r.jobs[k].schema_ready;
			}
		if (!seen) {
			int rc = mdc_create_schema(r.first, db, r.jobs[i].schema, &err);
			r.jobs[i].schema_ready = rc == 0 || rc == -EEXIST;
			if (!mdc_conn_is_ok(r.first))
				break;
		}
	}

	struct sigaction old_int, old_term;
	mdfs_seed_catch_signals(&old_int, &old_term);

	size_t nt = (size_t)threads < r.n_jobs ? (size_t)threads : r.n_jobs;
	pthread_t tids[MAX_THREADS];
	size_t started = 0;
	double t0 = mdc_now_s();
	for (; started < nt; started++)
		if (pthread_create(&tids[started], NULL, worker, &r) != 0)
			break;
	if (started == 0)
		worker(&r);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	double secs = mdc_now_s() - t0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	size_t skipped = r.n_jobs - (size_t)r.passed - (size_t)r.errors;
	printf("\nFinished running %zu seed%s in %.2fs.\n", r.n_jobs, r.n_jobs == 1 ? "" : "s", secs);
	if (r.errors == 0 && skipped == 0) {
		printf("Completed successfully\n");
	} else {
		printf("Completed with %d error%s%s\n", r.errors, r.errors == 1 ? "" : "s",
		       mdfs_seed_cancel ? " (interrupted)" : "");
		for (size_t i = 0; i < r.n_jobs; i++)
			if (r.jobs[i].failed)
				printf("  seed %s (%s): %s\n", r.jobs[i].seed->name, r.jobs[i].seed->path,
				       r.jobs[i].reason);
	}
	printf("Done. PASS=%d WARN=0 ERROR=%d SKIP=%zu TOTAL=%zu\n", r.passed, r.errors, skipped,
	       r.n_jobs);
	fflush(stdout);
	status = r.errors || skipped ? 1 : 0;   /* interrupted: never 0 */
out:
	mdc_conn_close(r.first);
	if (r.jobs)
		for (size_t i = 0; i < r.n_jobs; i++)
			free(r.jobs[i].schema);
	free(r.jobs);
	pthread_mutex_destroy(&r.lock);
	mdc_config_free(cfg);
	mdc_dbt_target_free(&tgt);
	mdc_dbt_project_free(proj);
	free(profiles);
	free(source);
	for (size_t i = 0; i < a.noargs; i++)
		free(a.oargs[i]);
	free(a.oargs);
	free(a.select);
	free(a.exclude);
	return status;
}
