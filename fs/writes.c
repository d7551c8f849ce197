/* fs/writes.c - files written through the mount: spooled files, their
 * kind's apply at flush and rename, error files (see writes.h for the
 * rules; each kind's apply lives with its kind). */
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
#include "fs/ghosts.h"
#include "fs/mdfs.h"
#include "fs/names.h"
#include "fs/parquet_file.h"
#include "fs/paths.h"
#include "fs/registry.h"
#include "fs/spool.h"
#include "mdclient/log.h"
#include "mdclient/str.h"

/* A spooled file: the spool behind one or more names and open handles (an
 * open handle is a reference to it). Its names are registry entries (struct
 * wname), immutable: a rename lists a new name and unlists the old one. */
struct mdfs_wfile {
	pthread_mutex_t io;     /* writes, truncates and loads, one at a time */
	pthread_mutex_t mu;     /* the fields below; never held across a load or a
				 * registry call (lock order: io, then mu) */
	int fd;                 /* unnamed spool file; fixed for the file's life */
	struct mdfs_spool_share share; /* of spool_max, while spool-only (io held) */
	unsigned refs;          /* names listing it + open handles */
	int opens;              /* open handles */
	bool dirty;             /* created, truncated or written since the last load */
	bool append;            /* `>>` to a table file: its rows are added to the
				 * table (a new one when there is none); writes go at
				 * the end (see mdfs_w_append) */
	bool ghost;             /* a loadable name the kernel holds with no table,
				 * view or query known behind it (none existed when
				 * it was opened and no apply succeeded since; a
				 * failed apply leaves what was there): when the name
				 * leaves the listing it becomes a ghost
				 * (fs/ghosts.h) (io) */
	mode_t mode;
	struct timespec mtime;
	/* Its current name (changed by a rename with io and mu held, so either
	 * lock is enough to read it): */
	char *path;             /* mount path */
	char *db, *schema;      /* decoded names of the directory */
	char *fname;            /* last path component, as shown */
	char *table;            /* decoded <name> when loadable, else NULL */
	const struct mdfs_w_kind *kind; /* when loadable, else NULL */
};

/* A name of a spooled file in the directory db/schema (all immutable). */
struct wname {
	struct mdfs_reg_entry ent;  /* key: the mount path */
	char *db, *schema, *fname;
	struct mdfs_wfile *w;       /* a reference */
};

/* "<table file>.error": the reason the last load failed (all immutable). */
struct werror {
	struct mdfs_reg_entry ent;  /* key: "<table path>.error" */
	char *db, *schema, *fname;
	char *text;
	struct timespec when;
};

static void wname_destroy(struct mdfs_reg_entry *e);
static void werror_destroy(struct mdfs_reg_entry *e);
static struct mdfs_registry files = MDFS_REGISTRY_INIT(wname_destroy);
static struct mdfs_registry errors = MDFS_REGISTRY_INIT(werror_destroy);

#define ERROR_SUFFIX ".error"
#define WRITE_BLKSIZE (1 << 20)

static const struct mdfs_w_kind *const kinds[] = { &mdfs_table_kind, &mdfs_view_kind,
						  &mdfs_query_kind };

/* The kind of a file named fname at path; NULL for hidden and other names
 * (spool-only). */
static const struct mdfs_w_kind *kind_of(const char *path, const char *fname)
{
	static const char qdir[] = "/" MDFS_QUERIES_DIR "/";
	bool queries = strncmp(path, qdir, sizeof qdir - 1) == 0;
	if (fname[0] == '.')
		return NULL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i]->queries == queries && mdc_has_suffix(fname, kinds[i]->suffix))
			return kinds[i];
	return NULL;
}

/* A loadable name whose <name> is not a valid encoding: it could never
 * load, so it is refused. */
static bool bad_table_name(const char *path, const char *fname)
{
	const struct mdfs_w_kind *k = kind_of(path, fname);
	if (!k)
		return false;
	char *t = mdfs_name_decode(fname, strlen(fname) - strlen(k->suffix));
	if (t) {
		free(t);
		return false;
	}
	if (errno != ENOENT)
		return false; /* out of memory: the caller finds out */
	mdc_log(LOG_ERR, "%s: not a valid table file name (a '%%' must start %%25, %%2F or %%2E; "
		"see mdfs(1)): refused", path);
	return true;
}

/* ---- spooled files and their names -------------------------------------- */

static void wfile_get(struct mdfs_wfile *w)
{
	pthread_mutex_lock(&w->mu);
	w->refs++;
	pthread_mutex_unlock(&w->mu);
}

static void wfile_put(struct mdfs_wfile *w)
{
	pthread_mutex_lock(&w->mu);
	bool last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (!last)
		return;
	mdfs_spool_share_drop(&w->share);
	close(w->fd);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->io);
	free(w->path), free(w->db), free(w->schema), free(w->fname), free(w->table);
	free(w);
}

static void wname_destroy(struct mdfs_reg_entry *e)
{
	struct wname *n = mdfs_reg_of(e, struct wname, ent);
	wfile_put(n->w);
	free(n->db), free(n->schema), free(n->fname);
	mdfs_reg_entry_fini(&n->ent);
	free(n);
}

static void werror_destroy(struct mdfs_reg_entry *e)
{
	struct werror *x = mdfs_reg_of(e, struct werror, ent);
	free(x->db), free(x->schema), free(x->fname), free(x->text);
	mdfs_reg_entry_fini(&x->ent);
	free(x);
}

/* The spooled file named path, with a reference (wfile_put it); NULL if none. */
static struct mdfs_wfile *wfile_at(const char *path)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&files, path, NULL, NULL);
	if (!e)
		return NULL;
	struct mdfs_wfile *w = mdfs_reg_of(e, struct wname, ent)->w;
	wfile_get(w);
	mdfs_reg_put(&files, e);
	return w;
}

/* List w under path (replacing whatever had that name). 0 or -ENOMEM. */
static int name_add(struct mdfs_wfile *w, const char *path, const char *db, const char *schema,
		    const char *fname, struct wname **out)
{
	struct wname *n = calloc(1, sizeof *n);
	if (!n || mdfs_reg_entry_init(&n->ent, path) < 0) {
		free(n);
		return -ENOMEM;
	}
	if (!(n->db = strdup(db)) || !(n->schema = strdup(schema)) || !(n->fname = strdup(fname))) {
		free(n->db), free(n->schema), free(n->fname);
		mdfs_reg_entry_fini(&n->ent);
		free(n);
		return -ENOMEM;
	}
	wfile_get(w);
	n->w = w;
	mdfs_reg_replace(&files, &n->ent);
	if (out)
		*out = n; /* the creator's reference */
	else
		mdfs_reg_put(&files, &n->ent);
	return 0;
}

static bool names_w(const struct mdfs_reg_entry *e, const void *w)
{
	return mdfs_reg_of(e, const struct wname, ent)->w == w;
}

/* Is w listed under its current name? (w->io or w->mu held: the name stays.) */
static bool wfile_listed(struct mdfs_wfile *w)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&files, w->path, names_w, w);
	mdfs_reg_put(&files, e);
	return e != NULL;
}

/* Take w's current name out of the listing (w->io held, w->mu not). A name
 * with nothing applied behind it (w->ghost) is recorded as a ghost first, so
 * that no getattr finds neither. */
static void wfile_unlist(struct mdfs *m, struct mdfs_wfile *w)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&files, w->path, names_w, w);
	if (e) {
		if (w->ghost)
			mdfs_ghost_add(w->path, m->opts.cache_timeout);
		(void)mdfs_reg_unlist(&files, e);
		mdfs_reg_put(&files, e);
	}
}

static char *error_path(const char *path)
{
	char *p = NULL;
	return asprintf(&p, "%s%s", path, ERROR_SUFFIX) < 0 ? NULL : p;
}

/* Record (text != NULL) or clear the error shown beside w's table file
 * (w->io held: its name stays). */
static void set_error(const struct mdfs_wfile *w, const char *text)
{
	char *ep = error_path(w->path);
	if (!ep)
		return;
	if (!text) {
		struct mdfs_reg_entry *e;
		while ((e = mdfs_reg_find(&errors, ep, NULL, NULL))) {
			(void)mdfs_reg_unlist(&errors, e);
			mdfs_reg_put(&errors, e);
		}
		free(ep);
		return;
	}
	struct werror *x = calloc(1, sizeof *x);
	if (!x || mdfs_reg_entry_init(&x->ent, ep) < 0) {
		free(x), free(ep);
		return;
	}
	free(ep);
	if (!(x->db = strdup(w->db)) || !(x->schema = strdup(w->schema)) ||
	    asprintf(&x->fname, "%s%s", w->fname, ERROR_SUFFIX) < 0 || !(x->text = strdup(text))) {
		x->fname = NULL;
		werror_destroy(&x->ent);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &x->when);
	mdfs_reg_replace(&errors, &x->ent);
	mdfs_reg_put(&errors, &x->ent);
}

/* ---- loading ------------------------------------------------------------ */

/* Loads in progress, by table: two loads of one table run one after the
 * other, never at once (a waiter holds no lock another operation needs). */
struct busy {
	const struct mdfs_wfile *w;
	struct busy *next;
};
static pthread_mutex_t busy_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cv = PTHREAD_COND_INITIALIZER;
static struct busy *busy_head;

static bool same_table(const struct mdfs_wfile *a, const struct mdfs_wfile *b)
{
	return strcmp(a->db, b->db) == 0 && strcmp(a->schema, b->schema) == 0 &&
	       strcmp(a->table, b->table) == 0;
}

/* Wait until no other load of w's table runs, then mark it running (w->io held). */
static void table_claim(const struct mdfs_wfile *w, struct busy *me)
{
	pthread_mutex_lock(&busy_mu);
	for (;;) {
		const struct busy *b = busy_head;
		while (b && !same_table(b->w, w))
			b = b->next;
		if (!b)
			break;
		pthread_cond_wait(&busy_cv, &busy_mu);
	}
	me->w = w;
	me->next = busy_head;
	busy_head = me;
	pthread_mutex_unlock(&busy_mu);
}

static void table_release(struct busy *me)
{
	pthread_mutex_lock(&busy_mu);
	for (struct busy **pp = &busy_head; *pp; pp = &(*pp)->next)
		if (*pp == me) {
			*pp = me->next;
			break;
		}
	pthread_cond_broadcast(&busy_cv);
	pthread_mutex_unlock(&busy_mu);
}

static int load_one(struct mdfs *m, struct mdfs_wfile *w);

/* Load w (w->io held). Returns 0 or -errno; the outcome is logged and
 * shown in the error file. */
static int load(struct mdfs *m, struct mdfs_wfile *w)
{
	struct busy me;
	table_claim(w, &me);
	int rc = load_one(m, w);
	table_release(&me);
	if (rc == 0)
		w->ghost = false; /* a failed load leaves what was there */
	return rc;
}

static int load_one(struct mdfs *m, struct mdfs_wfile *w)
{
	mdc_error err;
	mdc_error_clear(&err);
	struct mdfs_w_target t = { w->fd, w->path, w->db, w->schema, w->fname, w->table,
				   w->append };
	int rc = w->kind->apply(m, &t, &err);
	/* A schema directory's table or view changed, or may have: even a
	 * failed apply may have committed (a connection lost at COMMIT). */
	if (!w->kind->queries) {
		mdfs_cache_invalidate(m->cache, w->db, w->schema);
		mdfs_parquet_forget(w->db);
	}
	if (rc == 0) {
		set_error(w, NULL);
		return 0;
	}
	const char *msg = err.message[0] ? err.message : strerror(-rc);
	char stamp[32], *text = NULL;
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (rc != -err.errnum) /* mdfs_with_conn logged the load's own failures */
		mdc_log(LOG_ERR, "load %s: %s", w->path, msg);
	if (asprintf(&text, "%s %s: not %s: %s\n", stamp, w->fname, w->kind->done, msg) >= 0) {
		set_error(w, text);
		free(text);
	}
	return mdfs_fuse_errno(rc);
}

/* ---- the API ------------------------------------------------------------ */

/* Set w's current name (w->io held, or w not yet shared). */
static int set_name(struct mdfs_wfile *w, const char *path, const char *db, const char *schema,
		    const char *fname)
{
	char *p = strdup(path), *d = strdup(db), *s = strdup(schema), *f = strdup(fname);
	const struct mdfs_w_kind *k = kind_of(path, fname);
	char *t = k ? mdfs_name_decode(fname, strlen(fname) - strlen(k->suffix)) : NULL;
	if (!p || !d || !s || !f) {
		free(p), free(d), free(s), free(f), free(t);
		return -ENOMEM;
	}
	pthread_mutex_lock(&w->mu);
	char *old[] = { w->path, w->db, w->schema, w->fname, w->table };
	w->path = p, w->db = d, w->schema = s, w->fname = f, w->table = t, w->kind = t ? k : NULL;
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
		free(old[i]);
	return 0;
}

/* A new spooled file named path, open once; listed when asked; replaces: a
 * relation or query exists behind the name. */
static int wfile_new(struct mdfs *m, const char *path, const char *db, const char *schema,
		     const char *fname, mode_t mode, bool append, bool listed, bool replaces,
		     struct mdfs_wfile **out)
{
	if (bad_table_name(path, fname))
		return -EINVAL;
	int fd = mdfs_spool_open(m->spool.dir, "write");
	if (fd < 0)
		return fd;
	struct mdfs_wfile *w = calloc(1, sizeof *w);
	if (!w) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->io, NULL);
	pthread_mutex_init(&w->mu, NULL);
	w->fd = fd;
	w->share.max = m->spool.max;
	w->refs = 1; /* this open's */
	w->opens = 1;
	w->dirty = true;
	w->ghost = !replaces; /* the kernel made the name; nothing applied yet */
	w->mode = mode & 07777;
	clock_gettime(CLOCK_REALTIME, &w->mtime);
	int rc = set_name(w, path, db, schema, fname);
	w->append = append && w->kind == &mdfs_table_kind; /* only a table file appends */
	if (rc == 0 && listed)
		rc = name_add(w, path, db, schema, fname, NULL); /* over a spooled file: a new one */
	if (rc < 0) {
		wfile_put(w);
		return rc;
	}
	(void)mdfs_ghost_forget(path); /* made again: a name with a spool is none */
	*out = w;
	return 0;
}

int mdfs_w_create(struct mdfs *m, const char *path, const char *db, const char *schema,
		  const char *fname, mode_t mode, bool append, bool replaces, struct mdfs_wfile **out)
{
	return wfile_new(m, path, db, schema, fname, mode, append, true, replaces, out);
}

int mdfs_w_append(struct mdfs *m, const char *path, const char *db, const char *schema,
		  const char *fname, struct mdfs_wfile **out)
{
	return wfile_new(m, path, db, schema, fname, 0644, true, false, true, out);
}

static void drop_open(struct mdfs *m, struct mdfs_wfile *w, bool flush);

int mdfs_w_open(struct mdfs *m, const char *path, int flags, struct mdfs_wfile **out)
{
	struct mdfs_wfile *w = wfile_at(path);
	if (!w)
		return -ENOENT;
	pthread_mutex_lock(&w->mu);
	/* A table file being written is its writer's alone: another open
	 * reads the table or writes a spool of its own. */
	bool own = w->table != NULL;
	if (!own)
		w->opens++;
	pthread_mutex_unlock(&w->mu);
	if (own) {
		wfile_put(w);
		return -ENOENT;
	}
	if (flags & O_TRUNC) {
		/* A truncation that did not happen would leave the old bytes
		 * behind the new ones: the open fails instead. */
		int rc = mdfs_w_truncate(w, 0);
		if (rc < 0) {
			mdc_log(LOG_ERR, "%s: truncate of the spool failed: %s", path, strerror(-rc));
			drop_open(m, w, false);
			return rc;
		}
	}
	*out = w;
	return 0;
}

int mdfs_w_size(struct mdfs_wfile *w, off_t *size)
{
	struct stat st;
	if (fstat(w->fd, &st) != 0)
		return -errno;
	*size = st.st_size;
	return 0;
}

int mdfs_w_read(struct mdfs_wfile *w, char *buf, size_t size, off_t off)
{
	ssize_t n = pread(w->fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

int mdfs_w_write(struct mdfs_wfile *w, const char *buf, size_t size, off_t off)
{
	pthread_mutex_lock(&w->io);
	off_t cur = 0;
	int rc = w->table && off >= 0 && !w->append ? 0 : mdfs_w_size(w, &cur);
	if (rc == 0 && (off < 0 || w->append))
		off = cur; /* O_APPEND: at the end, whatever offset the kernel guessed */
	if (w->kind && w->kind->max && off + (off_t)size > w->kind->max)
		rc = -EFBIG;
	if (rc == 0 && !w->table) {
		off_t end = off + (off_t)size;
		rc = mdfs_spool_share_grow(&w->share, end > cur ? end : cur);
		if (rc < 0)
			mdc_log(LOG_ERR, "%s: spool-only files would pass spool_max (%lld MB)", w->path,
				(long long)(w->share.max >> 20));
	}
	if (rc < 0) {
		pthread_mutex_unlock(&w->io);
		return rc;
	}
	ssize_t n = pwrite(w->fd, buf, size, off);
	rc = n < 0 ? -errno : (int)n;
	if (!w->table && mdfs_w_size(w, &cur) == 0)
		mdfs_spool_share_set(&w->share, cur);
	if (n > 0) {
		pthread_mutex_lock(&w->mu);
		w->dirty = true;
		clock_gettime(CLOCK_REALTIME, &w->mtime);
		pthread_mutex_unlock(&w->mu);
	}
	pthread_mutex_unlock(&w->io);
	return rc;
}

int mdfs_w_truncate(struct mdfs_wfile *w, off_t size)
{
	pthread_mutex_lock(&w->io);
	int rc = w->kind && w->kind->max && size > w->kind->max ? -EFBIG
		 : w->table ? 0 : mdfs_spool_share_grow(&w->share, size);
	if (rc == 0)
		rc = ftruncate(w->fd, size) == 0 ? 0 : -errno;
	off_t cur;
	if (!w->table && mdfs_w_size(w, &cur) == 0)
		mdfs_spool_share_set(&w->share, cur);
	if (rc == 0) {
		pthread_mutex_lock(&w->mu);
		w->dirty = true;
		pthread_mutex_unlock(&w->mu);
	}
	pthread_mutex_unlock(&w->io);
	return rc;
}

/* Load w if it is dirty, loadable and still listed under its name (an
 * append: never listed, and an empty one adds nothing yet) (w->io held). */
static int flush_locked(struct mdfs *m, struct mdfs_wfile *w)
{
	if (!w->table)
		return 0;
	off_t size;
	if (w->append && mdfs_w_size(w, &size) == 0 && size == 0)
		return 0; /* bash's `>>` closes a duplicate before the program writes */
	bool listed = w->append || wfile_listed(w);
	pthread_mutex_lock(&w->mu);
	bool dirty = w->dirty;
	w->dirty = false;
	pthread_mutex_unlock(&w->mu);
	if (!dirty)
		return 0;
	if (!listed) {
		/* Another open of the same name started writing after this one:
		 * the later writer's file is the one that loads. */
		mdc_log(LOG_ERR, "load %s: not loaded: another process opened it for writing "
			"after this writer; its file replaces the table", w->path);
		return -EBUSY;
	}
	int rc = load(m, w);
	if (rc < 0 && mdfs_w_size(w, &size) == 0 && size == 0) {
		/* An empty file is never a table: every close() says so (bash's
		 * `: > t.csv` closes twice and reports only the second). */
		pthread_mutex_lock(&w->mu);
		w->dirty = true;
		pthread_mutex_unlock(&w->mu);
	}
	return rc;
}

int mdfs_w_flush(struct mdfs *m, struct mdfs_wfile *w)
{
	pthread_mutex_lock(&w->io);
	int rc = flush_locked(m, w);
	pthread_mutex_unlock(&w->io);
	return rc;
}

/* Drop an open handle of w (and its reference), loading first if asked. */
static void drop_open(struct mdfs *m, struct mdfs_wfile *w, bool flush)
{
	pthread_mutex_lock(&w->io);
	if (flush)
		(void)flush_locked(m, w);
	pthread_mutex_lock(&w->mu);
	bool last = --w->opens == 0;
	pthread_mutex_unlock(&w->mu);
	if (last && w->table)
		wfile_unlist(m, w); /* the table (or its .error file) is what remains */
	pthread_mutex_unlock(&w->io);
	wfile_put(w);
}

void mdfs_w_release(struct mdfs *m, struct mdfs_wfile *w)
{
	/* A writer that never flushed (it cannot close without one, but be sure). */
	drop_open(m, w, true);
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
	/* A writer's buffer follows st_blksize (cp: max(128 KiB, it)); one
	 * FUSE request per write(), and the kernel takes up to 1 MiB each. */
	st->st_blksize = WRITE_BLKSIZE;
	st->st_mtim = st->st_ctim = st->st_atim = *mtime;
}

/* The attributes of a spooled file (never waits for a load). */
static int wfile_stat(struct mdfs *m, struct mdfs_wfile *w, struct stat *st)
{
	struct stat sp;
	if (fstat(w->fd, &sp) != 0)
		return -errno;
	pthread_mutex_lock(&w->mu);
	fill_file_stat(m, st, w->mode, sp.st_size, &w->mtime);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void werror_stat(struct mdfs *m, const struct werror *x, struct stat *st)
{
	fill_file_stat(m, st, 0444, (off_t)strlen(x->text), &x->when);
}

int mdfs_w_getattr(struct mdfs *m, const char *path, struct stat *st)
{
	struct mdfs_wfile *w = wfile_at(path);
	if (w) {
		int rc = wfile_stat(m, w, st);
		wfile_put(w);
		return rc;
	}
	struct mdfs_reg_entry *e = mdfs_reg_find(&errors, path, NULL, NULL);
	if (!e)
		return -ENOENT;
	werror_stat(m, mdfs_reg_of(e, struct werror, ent), st);
	mdfs_reg_put(&errors, e);
	return 0;
}

bool mdfs_w_exists(struct mdfs *m, const char *path)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&files, path, NULL, NULL);
	if (e) {
		mdfs_reg_put(&files, e);
		return true;
	}
	e = mdfs_reg_find(&errors, path, NULL, NULL);
	mdfs_reg_put(&errors, e);
	return e != NULL;
}

int mdfs_w_truncate_path(struct mdfs *m, const char *path, off_t size)
{
	struct mdfs_wfile *w = wfile_at(path);
	if (!w)
		return -ENOENT;
	pthread_mutex_lock(&w->mu);
	bool own = w->table != NULL; /* its writer's alone (ftruncate goes by handle) */
	pthread_mutex_unlock(&w->mu);
	int rc = own ? -ENOENT : mdfs_w_truncate(w, size);
	wfile_put(w);
	return rc;
}

/* Unlist the entry named path in r; -ENOENT when there is none. */
static int unlist_path(struct mdfs_registry *r, const char *path)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(r, path, NULL, NULL);
	if (!e)
		return -ENOENT;
	(void)mdfs_reg_unlist(r, e);
	mdfs_reg_put(r, e);
	return 0;
}

int mdfs_w_unlink(struct mdfs *m, const char *path)
{
	struct mdfs_wfile *w = wfile_at(path);
	int rc = unlist_path(&files, path);
	if (w) {
		pthread_mutex_lock(&w->mu);
		bool spool_only = !w->table && strcmp(w->path, path) == 0; /* not renamed */
		pthread_mutex_unlock(&w->mu);
		if (rc == 0 && spool_only)
			mdfs_spool_share_unnamed(&w->share);
		wfile_put(w);
	}
	return rc == 0 ? 0 : unlist_path(&errors, path);
}

int mdfs_w_rename(struct mdfs *m, const char *from, const char *to, const char *to_db,
		  const char *to_schema, const char *to_fname)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&files, from, NULL, NULL);
	if (!e)
		return -ENOENT;
	if (bad_table_name(to, to_fname)) {
		mdfs_reg_put(&files, e);
		return -EINVAL;
	}
	if (strcmp(from, to) == 0) {
		mdfs_reg_put(&files, e);
		return 0;
	}
	struct mdfs_wfile *w = mdfs_reg_of(e, struct wname, ent)->w;
	wfile_get(w);

	/* The new name is listed (replacing the target) before the old one goes,
	 * as rename(2) never shows neither. The old name's entry is untouched:
	 * whoever is looking it up reads only its own immutable key. Onto a
	 * loadable name the old one goes after the load: a failed load fails
	 * the rename, so the kernel keeps the old name, which has lost its
	 * spool: a ghost (fs/ghosts.h), recorded before it goes. */
	pthread_mutex_lock(&w->io);
	struct wname *n = NULL;
	int rc = set_name(w, to, to_db, to_schema, to_fname);
	off_t cur = 0;
	if (rc == 0 && (rc = mdfs_w_size(w, &cur)) == 0)
		mdfs_spool_share_set(&w->share, w->table ? 0 : cur);
	if (rc == 0)
		rc = name_add(w, to, to_db, to_schema, to_fname, &n);
	if (rc == 0) {
		(void)mdfs_ghost_forget(to); /* the kernel moved a name onto it */
		if (w->table) {
			pthread_mutex_lock(&w->mu);
			w->dirty = false;
			pthread_mutex_unlock(&w->mu);
			rc = load(m, w);
			if (rc < 0) {
				mdfs_ghost_add(from, m->opts.cache_timeout);
				w->ghost = false; /* the kernel never had the new name */
			}
		}
		(void)mdfs_reg_unlist(&files, e);
		pthread_mutex_lock(&w->mu);
		bool idle = w->opens == 0;
		pthread_mutex_unlock(&w->mu);
		if (w->table && idle)
			(void)mdfs_reg_unlist(&files, &n->ent); /* the table is what remains */
		mdfs_reg_put(&files, &n->ent);
	}
	pthread_mutex_unlock(&w->io);
	wfile_put(w);
	mdfs_reg_put(&files, e);
	return rc;
}

int mdfs_w_spool_dup(const char *path)
{
	struct mdfs_wfile *w = wfile_at(path);
	int fd = w ? dup(w->fd) : -1;
	if (w)
		wfile_put(w);
	return fd;
}

char *mdfs_w_error_text(struct mdfs *m, const char *path)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&errors, path, NULL, NULL);
	if (!e)
		return NULL;
	char *text = strdup(mdfs_reg_of(e, struct werror, ent)->text);
	mdfs_reg_put(&errors, e);
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

struct dir_key {
	const char *db, *schema;
};

static bool file_in_dir(const struct mdfs_reg_entry *e, const void *ud)
{
	const struct dir_key *k = ud;
	const struct wname *n = mdfs_reg_of(e, const struct wname, ent);
	return strcmp(n->db, k->db) == 0 && strcmp(n->schema, k->schema) == 0;
}

static bool error_in_dir(const struct mdfs_reg_entry *e, const void *ud)
{
	const struct dir_key *k = ud;
	const struct werror *x = mdfs_reg_of(e, const struct werror, ent);
	return strcmp(x->db, k->db) == 0 && strcmp(x->schema, k->schema) == 0;
}

void mdfs_w_list(struct mdfs *m, const char *db, const char *schema,
		 int (*fn)(void *ud, const char *fname, const struct stat *st), void *ud)
{
	struct listed *list = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	struct dir_key k = { db, schema };
	struct mdfs_reg_entry **v;
	size_t nv;

	/* References under the registry's lock; attributes and callbacks without it. */
	if (mdfs_reg_snapshot(&files, file_in_dir, &k, &v, &nv) == 0) {
		for (size_t i = 0; i < nv; i++) {
			const struct wname *wn = mdfs_reg_of(v[i], struct wname, ent);
			if (wfile_stat(m, wn->w, &st) == 0 && !push(&list, &n, &cap, wn->fname, &st))
				break;
		}
		mdfs_reg_put_all(&files, v, nv);
	}
	if (mdfs_reg_snapshot(&errors, error_in_dir, &k, &v, &nv) == 0) {
		for (size_t i = 0; i < nv; i++) {
			const struct werror *x = mdfs_reg_of(v[i], struct werror, ent);
			werror_stat(m, x, &st);
			if (!push(&list, &n, &cap, x->fname, &st))
				break;
		}
		mdfs_reg_put_all(&errors, v, nv);
	}
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
	mdfs_reg_fini(&files);
	mdfs_reg_fini(&errors);
}
