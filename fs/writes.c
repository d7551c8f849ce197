/* fs/writes.c - the seed drop-in: spooled files, loads at flush and rename,
 * error files (see writes.h for the rules). */
#include "fs/writes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
#include "fs/names.h"
#include "fs/spool.h"
#include "mdclient/log.h"
#include "mdclient/seed.h"

struct mdfs_wfile {
	char *path;             /* mount path, the registry key */
	char *db, *schema;      /* decoded names of the directory */
	char *fname;            /* last path component, as shown */
	char *table;            /* decoded table name when loadable, else NULL */
	int fd;                 /* unnamed spool file */
	bool dirty;             /* created, truncated or written since the last load */
	bool listed;            /* in the registry (false once unlinked or replaced) */
	int refs;               /* the registry's + each open handle's */
	int opens;
	mode_t mode;
	struct timespec mtime;
	pthread_mutex_t lock;   /* I/O and loads */
	struct mdfs_wfile *next;
};

struct werror {
	char *path;             /* "<table path>.error" */
	char *db, *schema, *fname;
	char *text;
	struct timespec when;
	struct werror *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdfs_wfile *files;
static struct werror *errors;

#define CSV_SUFFIX ".csv"
#define SEED_SUFFIX ".seed"
#define ERROR_SUFFIX ".error"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

/* "<name>.csv", not hidden: the table name it loads; NULL for spool-only names. */
static char *loadable_table(const char *fname)
{
	if (fname[0] == '.' || !has_suffix(fname, CSV_SUFFIX))
		return NULL;
	return mdfs_name_decode(fname, strlen(fname) - strlen(CSV_SUFFIX));
}

/* ---- registry (callers hold reg_lock) ---------------------------------- */

static struct mdfs_wfile *find_locked(const char *path)
{
	for (struct mdfs_wfile *w = files; w; w = w->next)
		if (strcmp(w->path, path) == 0)
			return w;
	return NULL;
}

static void wfile_free(struct mdfs_wfile *w)
{
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->lock);
	free(w->path), free(w->db), free(w->schema), free(w->fname), free(w->table);
	free(w);
}

static void unref_locked(struct mdfs_wfile *w)
{
	if (--w->refs == 0)
		wfile_free(w);
}

/* Take w out of the registry (drops the registry's reference). */
static void unlist_locked(struct mdfs_wfile *w)
{
	if (!w->listed)
		return;
	for (struct mdfs_wfile **pp = &files; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->listed = false;
	unref_locked(w);
}

static struct werror *find_error_locked(const char *path)
{
	for (struct werror *e = errors; e; e = e->next)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

static void drop_error_locked(const char *path)
{
	for (struct werror **pp = &errors; *pp; pp = &(*pp)->next) {
		struct werror *e = *pp;
		if (strcmp(e->path, path) == 0) {
			*pp = e->next;
			free(e->path), free(e->db), free(e->schema), free(e->fname), free(e->text);
			free(e);
			return;
		}
	}
}

static char *error_path(const char *path)
{
	char *p = NULL;
	return asprintf(&p, "%s%s", path, ERROR_SUFFIX) < 0 ? NULL : p;
}

/* Record (text != NULL) or clear the error shown beside a table file. */
static void set_error(const struct mdfs_wfile *w, const char *text)
{
	char *ep = error_path(w->path);
	if (!ep)
		return;
	pthread_mutex_lock(&reg_lock);
	drop_error_locked(ep);
	if (text) {
		struct werror *e = calloc(1, sizeof *e);
		if (e && (e->db = strdup(w->db)) && (e->schema = strdup(w->schema)) &&
		    asprintf(&e->fname, "%s%s", w->fname, ERROR_SUFFIX) >= 0 &&
		    (e->text = strdup(text))) {
			e->path = ep;
			ep = NULL;
			clock_gettime(CLOCK_REALTIME, &e->when);
			e->next = errors;
			errors = e;
		} else if (e) {
			free(e->db), free(e->schema), free(e->fname), free(e);
		}
	}
	pthread_mutex_unlock(&reg_lock);
	free(ep);
}

/* ---- loading ------------------------------------------------------------ */

/* Read "<name>.seed" beside the CSV (if spooled). Returns 0 or -EINVAL with
 * the reason in msg. */
static int read_sidecar(const struct mdfs_wfile *w, mdc_seed_settings *so, char *msg, size_t msglen)
{
	char *sidecar = NULL;
	size_t dirlen = strlen(w->path) - strlen(w->fname);
	if (asprintf(&sidecar, "%.*s%.*s%s", (int)dirlen, w->path,
		     (int)(strlen(w->fname) - strlen(CSV_SUFFIX)), w->fname, SEED_SUFFIX) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *sc = find_locked(sidecar);
	int fd = sc ? dup(sc->fd) : -1;
	pthread_mutex_unlock(&reg_lock);
	free(sidecar);
	if (fd < 0)
		return 0;

	int rc = 0, lineno = 0;
	FILE *fp = fdopen(fd, "r");
	if (!fp) {
		close(fd);
		return -errno;
	}
	rewind(fp);
	char line[1024];
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		mdc_error e;
		mdc_error_clear(&e);
		rc = mdc_seed_setting_parse(so, line, &e);
		if (rc == -EINVAL)
			snprintf(msg, msglen, "%.*s%s line %d: expected delimiter=X, quote_columns=true|false, "
				 "full_refresh=true|false or column_type.NAME=TYPE", (int)(strlen(w->fname) - strlen(CSV_SUFFIX)),
				 w->fname, SEED_SUFFIX, lineno);
		if (rc)
			break;
	}
	fclose(fp);
	return rc;
}

struct load_args {
	struct mdfs_wfile *w;
	const mdc_seed_options *o;
	mdc_seed_result res;
	char path[64];
};

static int load_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct load_args *a = arg;
	mdc_seed_result_free(&a->res);
	return mdc_seed_load(c, a->w->db, a->w->schema, a->w->table, a->path, a->o, &a->res, err);
}

/* Load w (its lock held). Returns 0 or -errno; the outcome is logged and
 * shown in the error file. */
static int load(struct mdfs *m, struct mdfs_wfile *w)
{
	mdc_seed_settings so;
	mdc_seed_options o;
	char msg[MDC_ERRMSG_MAX + 256] = "";
	mdc_error err;
	mdc_error_clear(&err);
	memset(&so, 0, sizeof so);
	memset(&o, 0, sizeof o);

	int rc = read_sidecar(w, &so, msg, sizeof msg);
	if (rc == 0) {
		mdc_seed_settings_apply(&so, &o);
		struct load_args a = { .w = w, .o = &o };
		snprintf(a.path, sizeof a.path, "/proc/self/fd/%d", w->fd);
		char what[256];
		snprintf(what, sizeof what, "load %.240s", w->path);
		rc = mdfs_with_conn(m->pool, w->db, what, load_cb, &a, &err);
		if (rc == 0)
			mdc_log(LOG_NOTICE, "loaded %s (%s)", w->path, a.res.summary ? a.res.summary : "");
		else
			snprintf(msg, sizeof msg, "%s", err.message[0] ? err.message : strerror(-rc));
		mdc_seed_result_free(&a.res);
	} else if (!msg[0]) {
		snprintf(msg, sizeof msg, "%s", strerror(-rc));
	}
	mdc_seed_settings_free(&so);

	if (rc == 0) {
		set_error(w, NULL);
	} else {
		char stamp[32], *text = NULL;
		time_t now = time(NULL);
		struct tm tm;
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		if (rc != -err.errnum) /* mdfs_with_conn logged the load's own failures */
			mdc_log(LOG_ERR, "load %s: %s", w->path, msg);
		if (asprintf(&text, "%s %s: not loaded: %s\n", stamp, w->fname, msg) >= 0) {
			set_error(w, text);
			free(text);
		}
		rc = mdfs_fuse_errno(rc);
	}
	mdfs_cache_invalidate(m->cache, w->db, w->schema);
	return rc;
}

/* ---- the API ------------------------------------------------------------ */

int mdfs_w_create(struct mdfs *m, const char *path, const char *db, const char *schema,
		  const char *fname, mode_t mode, struct mdfs_wfile **out)
{
	int fd = mdfs_spool_open(m->spool_dir, "write");
	if (fd < 0)
		return fd;
	struct mdfs_wfile *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path)) || !(w->db = strdup(db)) ||
	    !(w->schema = strdup(schema)) || !(w->fname = strdup(fname))) {
		if (w)
			free(w->path), free(w->db), free(w->schema), free(w->fname);
		free(w);
		close(fd);
		return -ENOMEM;
	}
	w->table = loadable_table(fname);
	w->fd = fd;
	w->dirty = true;
	w->mode = mode & 07777;
	clock_gettime(CLOCK_REALTIME, &w->mtime);
	pthread_mutex_init(&w->lock, NULL);
	w->refs = 2; /* registry + this open */
	w->opens = 1;
	w->listed = true;

	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *old = find_locked(path);
	if (old)
		unlist_locked(old); /* O_CREAT|O_TRUNC over a spooled file: a new one */
	w->next = files;
	files = w;
	pthread_mutex_unlock(&reg_lock);
	*out = w;
	return 0;
}

int mdfs_w_open(struct mdfs *m, const char *path, int flags, struct mdfs_wfile **out)
{
	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *w = find_locked(path);
	if (w) {
		w->refs++;
		w->opens++;
	}
	pthread_mutex_unlock(&reg_lock);
	if (!w)
		return -ENOENT;
	if (flags & O_TRUNC) {
		/* A truncation that did not happen would leave the old bytes
		 * behind the new ones: the open fails instead. */
		pthread_mutex_lock(&w->lock);
		int rc = ftruncate(w->fd, 0) == 0 ? 0 : -errno;
		if (rc == 0)
			w->dirty = true;
		pthread_mutex_unlock(&w->lock);
		if (rc < 0) {
			mdc_log(LOG_ERR, "%s: truncate of the spool failed: %s", path, strerror(-rc));
			pthread_mutex_lock(&reg_lock);
			w->opens--;
			unref_locked(w);
			pthread_mutex_unlock(&reg_lock);
			return rc;
		}
	}
	*out = w;
	return 0;
}

int mdfs_w_read(struct mdfs_wfile *w, char *buf, size_t size, off_t off)
{
	ssize_t n = pread(w->fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

int mdfs_w_write(struct mdfs_wfile *w, const char *buf, size_t size, off_t off)
{
	pthread_mutex_lock(&w->lock);
	ssize_t n = pwrite(w->fd, buf, size, off);
	int rc = n < 0 ? -errno : (int)n;
	if (n > 0) {
		w->dirty = true;
		clock_gettime(CLOCK_REALTIME, &w->mtime);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int mdfs_w_truncate(struct mdfs_wfile *w, off_t size)
{
	pthread_mutex_lock(&w->lock);
	int rc = ftruncate(w->fd, size) == 0 ? 0 : -errno;
	if (rc == 0)
		w->dirty = true;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int mdfs_w_flush(struct mdfs *m, struct mdfs_wfile *w)
{
	int rc = 0;
	pthread_mutex_lock(&w->lock);
	if (w->dirty && w->table && w->listed) {
		w->dirty = false;
		rc = load(m, w);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void mdfs_w_release(struct mdfs *m, struct mdfs_wfile *w)
{
	/* A writer that never flushed (it cannot close without one, but be sure). */
	(void)mdfs_w_flush(m, w);
	pthread_mutex_lock(&reg_lock);
	w->opens--;
	if (w->opens == 0 && w->table)
		unlist_locked(w); /* the table (or its .error file) is what remains */
	unref_locked(w);
	pthread_mutex_unlock(&reg_lock);
}

static void fill_file_stat(struct mdfs *m, struct stat *st, mode_t mode, off_t size,
			   const struct timespec *mtime)
{
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFREG | mode;
	st->st_nlink = 1;
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_size = size;
	st->st_mtim = st->st_ctim = st->st_atim = *mtime;
}

int mdfs_w_getattr(struct mdfs *m, const char *path, struct stat *st)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *w = find_locked(path);
	if (w) {
		struct stat sp;
		rc = fstat(w->fd, &sp) == 0 ? 0 : -errno;
		if (rc == 0)
			fill_file_stat(m, st, w->mode, sp.st_size, &w->mtime);
	} else {
		struct werror *e = find_error_locked(path);
		if (e) {
			fill_file_stat(m, st, 0444, (off_t)strlen(e->text), &e->when);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

bool mdfs_w_exists(struct mdfs *m, const char *path)
{
	pthread_mutex_lock(&reg_lock);
	bool found = find_locked(path) || find_error_locked(path);
	pthread_mutex_unlock(&reg_lock);
	return found;
}

int mdfs_w_truncate_path(struct mdfs *m, const char *path, off_t size)
{
	struct mdfs_wfile *w;
	int rc = mdfs_w_open(m, path, 0, &w);
	if (rc < 0)
		return rc;
	rc = mdfs_w_truncate(w, size);
	pthread_mutex_lock(&reg_lock);
	w->opens--;
	unref_locked(w);
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int mdfs_w_unlink(struct mdfs *m, const char *path)
{
	int rc = -ENOENT;
	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *w = find_locked(path);
	if (w) {
		unlist_locked(w);
		rc = 0;
	} else if (find_error_locked(path)) {
		drop_error_locked(path);
		rc = 0;
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int mdfs_w_rename(struct mdfs *m, const char *from, const char *to, const char *to_db,
		  const char *to_schema, const char *to_fname)
{
	char *p = strdup(to), *d = strdup(to_db), *s = strdup(to_schema), *f = strdup(to_fname);
	if (!p || !d || !s || !f) {
		free(p), free(d), free(s), free(f);
		return -ENOMEM;
	}
	char *t = loadable_table(to_fname);

	pthread_mutex_lock(&reg_lock);
	struct mdfs_wfile *w = find_locked(from);
	if (!w) {
		pthread_mutex_unlock(&reg_lock);
		free(p), free(d), free(s), free(f), free(t);
		return -ENOENT;
	}
	struct mdfs_wfile *old = find_locked(to);
	if (old && old != w)
		unlist_locked(old); /* rename replaces the target */
	w->refs++;
	pthread_mutex_unlock(&reg_lock);

	pthread_mutex_lock(&w->lock);
	free(w->path), free(w->db), free(w->schema), free(w->fname), free(w->table);
	w->path = p, w->db = d, w->schema = s, w->fname = f, w->table = t;
	int rc = 0;
	if (w->table) {
		w->dirty = false;
		rc = load(m, w);
	}
	pthread_mutex_unlock(&w->lock);

	pthread_mutex_lock(&reg_lock);
	if (w->table && w->opens == 0)
		unlist_locked(w);
	unref_locked(w);
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

char *mdfs_w_error_text(struct mdfs *m, const char *path)
{
	pthread_mutex_lock(&reg_lock);
	struct werror *e = find_error_locked(path);
	char *text = e ? strdup(e->text) : NULL;
	pthread_mutex_unlock(&reg_lock);
	return text;
}

struct listed {
	char *fname;
	struct stat st;
};

/* Append a copy of (fname, st); false when out of memory. */
static bool push(struct listed **list, size_t *n, size_t *cap, const char *fname,
		 const struct stat *st)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 8;
		struct listed *nl = realloc(*list, ncap * sizeof *nl);
		if (!nl)
			return false;
		*list = nl, *cap = ncap;
	}
	if (!((*list)[*n].fname = strdup(fname)))
		return false;
	(*list)[(*n)++].st = *st;
	return true;
}

void mdfs_w_list(struct mdfs *m, const char *db, const char *schema,
		 int (*fn)(void *ud, const char *fname, const struct stat *st), void *ud)
{
	struct listed *list = NULL;
	size_t n = 0, cap = 0;
	struct stat st, sp;

	/* Copy under the lock, call back without it. */
	pthread_mutex_lock(&reg_lock);
	for (struct mdfs_wfile *w = files; w; w = w->next) {
		if (strcmp(w->db, db) || strcmp(w->schema, schema) || fstat(w->fd, &sp) != 0)
			continue;
		fill_file_stat(m, &st, w->mode, sp.st_size, &w->mtime);
		if (!push(&list, &n, &cap, w->fname, &st))
			break;
	}
	for (struct werror *e = errors; e; e = e->next) {
		if (strcmp(e->db, db) || strcmp(e->schema, schema))
			continue;
		fill_file_stat(m, &st, 0444, (off_t)strlen(e->text), &e->when);
		if (!push(&list, &n, &cap, e->fname, &st))
			break;
	}
	pthread_mutex_unlock(&reg_lock);
	bool stop = false;
	for (size_t i = 0; i < n; i++) {
		if (!stop && fn(ud, list[i].fname, &list[i].st))
			stop = true;
		free(list[i].fname);
	}
	free(list);
}

void mdfs_w_free_all(struct mdfs *m)
{
	pthread_mutex_lock(&reg_lock);
	while (files)
		unlist_locked(files);
	while (errors)
		drop_error_locked(errors->path);
	pthread_mutex_unlock(&reg_lock);
}
