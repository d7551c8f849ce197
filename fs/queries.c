/* fs/queries.c - /.queries: query files (see queries.h). */
#include "fs/queries.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/csv_file.h"
#include "fs/handles.h"
#include "fs/mdfs.h"
#include "fs/names.h"
#include "fs/parquet_file.h"
#include "fs/paths.h"
#include "fs/registry.h"
#include "fs/spool.h"
#include "mdclient/log.h"
#include "mdclient/query.h"

#define ERROR_SUFFIX ".sql.error"

/* Every key below is a query's NAME as shown (encoded, without ".sql"). */

/* A query kept in memory (no queries_dir); immutable once listed. */
struct qtext {
	struct mdfs_reg_entry ent;
	char *sql;
	size_t len;
	struct timespec mtime;
};

/* Why the last write of NAME.sql was refused; immutable. */
struct qerr {
	struct mdfs_reg_entry ent;
	char *text;
	struct timespec mtime;
};

/* An open writer of NAME.sql: its own spool until its close() stores it. */
struct qwrite {
	struct mdfs_reg_entry ent;  /* listed while open, so NAME.sql shows */
	pthread_mutex_t io;         /* the fields below */
	int fd;
	bool dirty;                 /* written or truncated since the last store */
	struct mdfs *m;
	char *name;                 /* decoded, for messages */
	struct timespec mtime;
};

static void qtext_destroy(struct mdfs_reg_entry *e);
static void qerr_destroy(struct mdfs_reg_entry *e);
static void qwrite_destroy(struct mdfs_reg_entry *e);
static struct mdfs_registry stored = MDFS_REGISTRY_INIT(qtext_destroy);
static struct mdfs_registry errors = MDFS_REGISTRY_INIT(qerr_destroy);
static struct mdfs_registry writers = MDFS_REGISTRY_INIT(qwrite_destroy);

static pthread_mutex_t mem_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t mem_used;             /* bytes of listed qtexts (mem_mu) */
static char *qdir;                  /* -o queries_dir, resolved; NULL: in memory */

static void qtext_destroy(struct mdfs_reg_entry *e)
{
	struct qtext *q = mdfs_reg_of(e, struct qtext, ent);
	free(q->sql);
	mdfs_reg_entry_fini(&q->ent);
	free(q);
}

static void qerr_destroy(struct mdfs_reg_entry *e)
{
	struct qerr *q = mdfs_reg_of(e, struct qerr, ent);
	free(q->text);
	mdfs_reg_entry_fini(&q->ent);
	free(q);
}

static void qwrite_destroy(struct mdfs_reg_entry *e)
{
	struct qwrite *w = mdfs_reg_of(e, struct qwrite, ent);
	if (w->fd >= 0)
		close(w->fd);
	pthread_mutex_destroy(&w->io);
	free(w->name);
	mdfs_reg_entry_fini(&w->ent);
	free(w);
}

int mdfs_queries_setup(struct mdfs *m)
{
	const char *dir = m->opts.queries_dir;
	if (!dir)
		return 0;
	char *real = realpath(dir, NULL);
	struct stat st;
	int e = !real ? errno : stat(real, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR
		: access(real, m->opts.ro ? R_OK | X_OK : R_OK | W_OK | X_OK) != 0 ? errno : 0;
	if (e) {
		fprintf(stderr, "mdfs: queries_dir %s: %s%s\n", dir, strerror(e),
			e == EACCES ? (m->opts.ro ? " (it must be readable)" : " (it must be readable and writable)")
				    : "");
		free(real);
		return -1;
	}
	qdir = real;
	return 0;
}

void mdfs_queries_free_all(void)
{
	mdfs_reg_fini(&writers);
	mdfs_reg_fini(&errors);
	mdfs_reg_fini(&stored);
	free(qdir);
	qdir = NULL;
}

/* ---- where the .sql files are ------------------------------------------ */

/* "DIR/NAME.sql", malloc'd, or NULL. */
static char *dir_file(const char *name)
{
	char *p;
	return asprintf(&p, "%s/%s%s", qdir, name, MDFS_SQL_SUFFIX) < 0 ? NULL : p;
}

/* The stored text of query name: malloc'd (NUL-terminated), or NULL with
 * errno (ENOENT: none). */
static char *load(const char *name)
{
	if (!qdir) {
		struct mdfs_reg_entry *e = mdfs_reg_find(&stored, name, NULL, NULL);
		if (!e) {
			errno = ENOENT;
			return NULL;
		}
		char *s = strdup(mdfs_reg_of(e, struct qtext, ent)->sql);
		mdfs_reg_put(&stored, e);
		return s;
	}
	char *path = dir_file(name);
	if (!path)
		return NULL;
	/* Only regular files are queries (a symbolic link is not followed). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int e = errno;
	free(path);
	if (fd < 0) {
		errno = e == ELOOP ? ENOENT : e;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENOENT;
		return NULL;
	}
	if (st.st_size > MDC_QUERY_MAX_BYTES) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	char *s = malloc((size_t)st.st_size + 1);
	ssize_t n = s ? read(fd, s, (size_t)st.st_size) : -1;
	e = errno;
	close(fd);
	if (n < 0) {
		free(s);
		errno = e;
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* Size and time of stored query name: 0, or -ENOENT. */
static int stat_stored(const char *name, off_t *size, struct timespec *mtime)
{
	if (!qdir) {
		struct mdfs_reg_entry *e = mdfs_reg_find(&stored, name, NULL, NULL);
		if (!e)
			return -ENOENT;
		struct qtext *q = mdfs_reg_of(e, struct qtext, ent);
		*size = (off_t)q->len;
		*mtime = q->mtime;
		mdfs_reg_put(&stored, e);
		return 0;
	}
	char *path = dir_file(name);
	if (!path)
		return -ENOMEM;
	struct stat st;
	int rc = lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -ENOENT;
	free(path);
	if (rc == 0) {
		*size = st.st_size;
		*mtime = st.st_mtim;
	}
	return rc;
}

/* Store text as query name (replacing it): 0 or -errno. */
static int store(const char *name, const char *text, size_t len)
{
	if (!qdir) {
		struct qtext *q = calloc(1, sizeof *q);
		if (!q || mdfs_reg_entry_init(&q->ent, name) < 0 || !(q->sql = malloc(len + 1))) {
			if (q && q->ent.key)
				mdfs_reg_entry_fini(&q->ent);
			free(q);
			return -ENOMEM;
		}
		memcpy(q->sql, text, len);
		q->sql[len] = '\0';
		q->len = len;
		clock_gettime(CLOCK_REALTIME, &q->mtime);
		off_t old_size = 0;
		struct timespec ignored;
		pthread_mutex_lock(&mem_mu);
		if (stat_stored(name, &old_size, &ignored) < 0)
			old_size = 0;
		bool full = mem_used - (size_t)old_size + len > MDFS_QUERIES_MEM_MAX;
		if (!full) {
			mem_used = mem_used - (size_t)old_size + len;
			mdfs_reg_replace(&stored, &q->ent);
		}
		pthread_mutex_unlock(&mem_mu);
		mdfs_reg_put(&stored, &q->ent);
		return full ? -ENOSPC : 0;
	}
	/* A new file renamed over the old one: a crash leaves either. */
	char *tmp = NULL, *path = dir_file(name);
	if (!path || asprintf(&tmp, "%s/.mdfs-query-XXXXXX", qdir) < 0) {
		free(path);
		return -ENOMEM;
	}
	int rc = 0, fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
	} else {
		size_t done = 0;
		while (rc == 0 && done < len) {
			ssize_t n = write(fd, text + done, len - done);
			if (n < 0 && errno != EINTR)
				rc = -errno;
			else if (n > 0)
				done += (size_t)n;
		}
		if (rc == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
			rc = -errno;
		if (close(fd) != 0 && rc == 0)
			rc = -errno;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -errno;
		if (rc < 0)
			unlink(tmp);
	}
	if (rc < 0)
		mdc_log(LOG_ERR, "query %s: cannot store it in %s: %s", name, qdir, strerror(-rc));
	free(tmp);
	free(path);
	return rc;
}

static int remove_stored(const char *name)
{
	if (!qdir) {
		struct mdfs_reg_entry *e = mdfs_reg_find(&stored, name, NULL, NULL);
		if (!e)
			return -ENOENT;
		pthread_mutex_lock(&mem_mu);
		if (mdfs_reg_unlist(&stored, e))
			mem_used -= mdfs_reg_of(e, struct qtext, ent)->len;
		pthread_mutex_unlock(&mem_mu);
		mdfs_reg_put(&stored, e);
		return 0;
	}
	char *path = dir_file(name);
	if (!path)
		return -ENOMEM;
	int rc = unlink(path) == 0 ? 0 : -errno;
	free(path);
	return rc;
}

/* ---- error files --------------------------------------------------------- */

static void set_error(const char *name, const char *why)
{
	struct qerr *q = calloc(1, sizeof *q);
	if (!q || mdfs_reg_entry_init(&q->ent, name) < 0) {
		free(q);
		return;
	}
	if (asprintf(&q->text, "%s\n", why) < 0) {
		mdfs_reg_entry_fini(&q->ent);
		free(q);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &q->mtime);
	mdfs_reg_replace(&errors, &q->ent);
	mdfs_reg_put(&errors, &q->ent);
}

static int clear_error(const char *name)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&errors, name, NULL, NULL);
	if (!e)
		return -ENOENT;
	(void)mdfs_reg_unlist(&errors, e);
	mdfs_reg_put(&errors, e);
	return 0;
}

/* ---- a file name in /.queries --------------------------------------------- */

enum qkind { Q_NONE, Q_SQL, Q_CSV, Q_PARQUET, Q_ERROR };

/* What p names, with *name (malloc'd: NAME as shown) for every kind but
 * Q_NONE. */
static enum qkind kind_of(const struct mdfs_path *p, char **name)
{
	const char *f = p->fname[1];
	size_t fl = strlen(f), el = strlen(ERROR_SUFFIX);
	*name = NULL;
	if (fl > el && strcmp(f + fl - el, ERROR_SUFFIX) == 0) {
		char *dec = mdfs_name_decode(f, fl - el);
		if (!dec)
			return Q_NONE;
		free(dec);
		*name = strndup(f, fl - el);
		return *name ? Q_ERROR : Q_NONE;
	}
	if (!p->rel)
		return Q_NONE;
	const char *suffix = p->fmt == MDFS_FMT_SQL ? MDFS_SQL_SUFFIX
			   : p->fmt == MDFS_FMT_CSV ? MDFS_CSV_SUFFIX : MDFS_PARQUET_SUFFIX;
	if (!(*name = strndup(f, fl - strlen(suffix))))
		return Q_NONE;
	return p->fmt == MDFS_FMT_SQL ? Q_SQL : p->fmt == MDFS_FMT_CSV ? Q_CSV : Q_PARQUET;
}

static bool shown(const struct mdfs *m, enum qkind k)
{
	return k == Q_CSV ? m->opts.show_csv : k == Q_PARQUET ? m->opts.show_parquet : true;
}

static void fill(const struct mdfs *m, struct stat *st, mode_t mode, off_t size,
		 const struct timespec *mtime)
{
	memset(st, 0, sizeof *st);
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_size = size;
	st->st_blksize = 128 * 1024;
	if (mtime) {
		st->st_mtim = *mtime;
		st->st_ctim = *mtime;
		st->st_atim = *mtime;
	} else {
		st->st_atime = st->st_mtime = st->st_ctime = m->mounted;
	}
}

/* The size of writer name's spool: 0 and *size, or -ENOENT. */
static int writer_size(const char *name, off_t *size, struct timespec *mtime)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&writers, name, NULL, NULL);
	if (!e)
		return -ENOENT;
	struct qwrite *w = mdfs_reg_of(e, struct qwrite, ent);
	struct stat st;
	pthread_mutex_lock(&w->io);
	int rc = fstat(w->fd, &st) == 0 ? 0 : -errno;
	*mtime = w->mtime;
	pthread_mutex_unlock(&w->io);
	mdfs_reg_put(&writers, e);
	if (rc == 0)
		*size = st.st_size;
	return rc;
}

int mdfs_queries_getattr(struct mdfs *m, const struct mdfs_path *p, const char *path,
			 struct fuse_file_info *fi, struct stat *st)
{
	if (p->depth == 1) {
		fill(m, st, S_IFDIR | (m->opts.ro ? 0555 : 0755), 0, NULL);
		return 0;
	}
	char *name = NULL;
	enum qkind k = kind_of(p, &name);
	off_t size = 0;
	struct timespec mtime;
	int rc = -ENOENT;
	mode_t rw = m->opts.ro ? 0444 : 0644;
	switch (k) {
	case Q_SQL:
		rc = writer_size(name, &size, &mtime);
		if (rc < 0)
			rc = stat_stored(name, &size, &mtime);
		if (rc == 0)
			fill(m, st, S_IFREG | rw, size, &mtime);
		break;
	case Q_ERROR: {
		struct mdfs_reg_entry *e = mdfs_reg_find(&errors, name, NULL, NULL);
		if (e) {
			struct qerr *q = mdfs_reg_of(e, struct qerr, ent);
			fill(m, st, S_IFREG | rw, (off_t)strlen(q->text), &q->mtime);
			mdfs_reg_put(&errors, e);
			rc = 0;
		}
		break;
	}
	case Q_CSV:
	case Q_PARQUET:
		if (!shown(m, k))
			break;
		/* The opener's fstat(): its open result's exact size. */
		rc = mdfs_handle_size(fi, path, fuse_get_context()->pid, &size);
		if (rc == 0) {
			off_t ignored;
			rc = stat_stored(name, &ignored, &mtime) == 0 ? 0 : -ENOENT;
			if (rc == 0 && k == Q_PARQUET)
				size = mdfs_parquet_known_size(path); /* the newest result's */
		} else if (rc > 0) {
			rc = 0;
		}
		if (rc == 0)
			fill(m, st, S_IFREG | 0444, size, NULL);
		break;
	case Q_NONE:
		break;
	}
	free(name);
	return rc;
}

struct lister {
	struct mdfs *m;
	void *buf;
	fuse_fill_dir_t filler;
	bool full;
};

static void add(struct lister *l, const char *name, const char *suffix)
{
	char *f;
	if (l->full || asprintf(&f, "%s%s", name, suffix) < 0)
		return;
	l->full = l->filler(l->buf, f, NULL, 0, 0) != 0;
	free(f);
}

/* One stored query's three files. */
static void add_query(struct lister *l, const char *name)
{
	add(l, name, MDFS_SQL_SUFFIX);
	if (l->m->opts.show_csv)
		add(l, name, MDFS_CSV_SUFFIX);
	if (l->m->opts.show_parquet)
		add(l, name, MDFS_PARQUET_SUFFIX);
}

static bool valid_name(const char *s, size_t len)
{
	char *dec = mdfs_name_decode(s, len);
	free(dec);
	return dec != NULL;
}

int mdfs_queries_readdir(struct mdfs *m, void *buf, fuse_fill_dir_t filler)
{
	struct lister l = { m, buf, filler, false };
	struct mdfs_reg_entry **v;
	size_t n;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	if (qdir) {
		DIR *d = opendir(qdir);
		if (!d)
			return -EIO;
		struct dirent *de;
		while (!l.full && (de = readdir(d))) {
			size_t len = strlen(de->d_name), sl = strlen(MDFS_SQL_SUFFIX);
			if (len <= sl || strcmp(de->d_name + len - sl, MDFS_SQL_SUFFIX) != 0 ||
			    (de->d_type != DT_REG && de->d_type != DT_UNKNOWN) ||
			    !valid_name(de->d_name, len - sl))
				continue;
			de->d_name[len - sl] = '\0';
			add_query(&l, de->d_name);
		}
		closedir(d);
	} else if (mdfs_reg_snapshot(&stored, NULL, NULL, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			add_query(&l, v[i]->key);
		mdfs_reg_put_all(&stored, v, n);
	}
	/* New queries being written, then the error files. */
	if (mdfs_reg_snapshot(&writers, NULL, NULL, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			off_t size;
			struct timespec t;
			if (stat_stored(v[i]->key, &size, &t) < 0)
				add(&l, v[i]->key, MDFS_SQL_SUFFIX);
		}
		mdfs_reg_put_all(&writers, v, n);
	}
	if (mdfs_reg_snapshot(&errors, NULL, NULL, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			add(&l, v[i]->key, ERROR_SUFFIX);
		mdfs_reg_put_all(&errors, v, n);
	}
	return 0;
}

/* ---- writers ------------------------------------------------------------- */

static int qw_read(void *obj, char *buf, size_t size, off_t off)
{
	struct qwrite *w = obj;
	ssize_t n = pread(w->fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int qw_write(void *obj, const char *buf, size_t size, off_t off)
{
	struct qwrite *w = obj;
	if (off < 0 || (uint64_t)off + size > MDC_QUERY_MAX_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&w->io);
	ssize_t n = pwrite(w->fd, buf, size, off);
	int rc = n < 0 ? -errno : (int)n;
	if (n > 0) {
		w->dirty = true;
		clock_gettime(CLOCK_REALTIME, &w->mtime);
	}
	pthread_mutex_unlock(&w->io);
	return rc;
}

static int qw_truncate(void *obj, off_t size)
{
	struct qwrite *w = obj;
	if (size > MDC_QUERY_MAX_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&w->io);
	int rc = ftruncate(w->fd, size) == 0 ? 0 : -errno;
	if (rc == 0) {
		w->dirty = true;
		clock_gettime(CLOCK_REALTIME, &w->mtime);
	}
	pthread_mutex_unlock(&w->io);
	return rc;
}

static int check_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	return mdc_query_check(c, arg, err);
}

/* The writer's close(): check the text with the endpoint, then store it,
 * or say why not in NAME.sql.error. */
static int qw_flush(struct mdfs *m, void *obj)
{
	struct qwrite *w = obj;
	const char *key = w->ent.key;
	int rc = 0;
	pthread_mutex_lock(&w->io);
	if (!w->dirty)
		goto out;
	w->dirty = false;
	struct stat st;
	char *text = NULL;
	ssize_t n = -1;
	if (fstat(w->fd, &st) == 0 && (text = malloc((size_t)st.st_size + 1)))
		n = pread(w->fd, text, (size_t)st.st_size, 0);
	if (n < 0 || n != st.st_size) {
		free(text);
		rc = -EIO;
		goto out;
	}
	text[n] = '\0';
	mdc_error err;
	mdc_error_clear(&err);
	if (n == 0) {
		/* e.g. bash's `>` closing its copy before the program writes: no
		 * connection for that */
		rc = mdc_error_set(&err, EINVAL, "empty query: a query file holds one SELECT statement");
	} else if (memchr(text, '\0', (size_t)n)) {
		rc = mdc_error_set(&err, EINVAL, "a query file holds text (this one has a NUL byte)");
	} else {
		char *what = NULL;
		if (asprintf(&what, "query %s", w->name) < 0)
			what = NULL;
		rc = mdfs_with_conn(m->pool, NULL, what ? what : "query", check_cb, text, &err);
		free(what);
	}
	if (rc == 0) {
		rc = store(key, text, (size_t)n);
		if (rc < 0)
			mdc_error_set(&err, -rc, "cannot store the query: %s", strerror(-rc));
	}
	free(text);
	if (rc == 0) {
		(void)clear_error(key);
	} else {
		set_error(key, err.message[0] ? err.message : strerror(-rc));
		/* The query's own fault is EINVAL (a missing table too); the
		 * endpoint's is EIO. */
		rc = rc == -ENOENT || rc == -ENOTSUP || rc == -EEXIST ? -EINVAL : mdfs_fuse_errno(rc);
	}
out:
	pthread_mutex_unlock(&w->io);
	return rc;
}

static void qw_release(struct mdfs *m, void *obj)
{
	struct qwrite *w = obj;
	(void)mdfs_reg_unlist(&writers, &w->ent);
	mdfs_reg_put(&writers, &w->ent);
}

static int qw_size(void *obj, off_t *size)
{
	struct qwrite *w = obj;
	struct stat st;
	if (fstat(w->fd, &st) != 0)
		return -errno;
	*size = st.st_size;
	return 0;
}

static const struct mdfs_handle_ops query_write_ops = {
	.kind = "query write",
	.read = qw_read,
	.write = qw_write,
	.truncate = qw_truncate,
	.flush = qw_flush,
	.release = qw_release,
	.size = qw_size,
};

/* A writer of name (decoded: dec), starting from text (NULL: empty). */
static int open_writer(struct mdfs *m, const char *name, const char *dec, const char *text,
		       struct fuse_file_info *fi)
{
	struct qwrite *w = calloc(1, sizeof *w);
	if (!w || mdfs_reg_entry_init(&w->ent, name) < 0) {
		free(w);
		return -ENOMEM;
	}
	pthread_mutex_init(&w->io, NULL);
	w->m = m;
	w->dirty = true;
	clock_gettime(CLOCK_REALTIME, &w->mtime);
	w->fd = mdfs_spool_open(m->spool_dir, "query file");
	int rc = w->fd < 0 ? w->fd : !(w->name = strdup(dec)) ? -ENOMEM : 0;
	size_t len = text ? strlen(text) : 0;
	if (rc == 0 && len && pwrite(w->fd, text, len, 0) != (ssize_t)len)
		rc = -EIO;
	if (rc < 0) {
		if (w->fd < 0)
			w->fd = -1;
		qwrite_destroy(&w->ent);
		return rc;
	}
	mdfs_reg_add(&writers, &w->ent);
	return mdfs_handle_open(fi, m, &query_write_ops, w, NULL, fuse_get_context()->pid);
}

int mdfs_queries_create(struct mdfs *m, const struct mdfs_path *p, struct fuse_file_info *fi)
{
	if (p->depth != 2)
		return -EEXIST;
	char *name = NULL;
	enum qkind k = kind_of(p, &name);
	int rc = k == Q_SQL ? open_writer(m, name, p->rel, NULL, fi) : -EPERM;
	free(name);
	return rc;
}

int mdfs_queries_open(struct mdfs *m, const struct mdfs_path *p, const char *path,
		      struct fuse_file_info *fi)
{
	if (p->depth != 2)
		return -EISDIR;
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	pid_t tid = fuse_get_context()->pid;
	char *name = NULL, *text = NULL;
	enum qkind k = kind_of(p, &name);
	int rc = 0;
	if (k == Q_NONE) {
		rc = -ENOENT;
	} else if (k == Q_ERROR) {
		struct mdfs_reg_entry *e = mdfs_reg_find(&errors, name, NULL, NULL);
		if (!e) {
			rc = -ENOENT;
		} else {
			text = strdup(mdfs_reg_of(e, struct qerr, ent)->text);
			mdfs_reg_put(&errors, e);
			if (writing || !text)
				rc = writing ? -EACCES : -ENOMEM;
			else
				rc = mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
			if (!writing)
				text = NULL; /* the handle's */
		}
	} else if (k != Q_SQL && !shown(m, k)) {
		rc = -ENOENT;
	} else if (!(text = load(name)) && !(k == Q_SQL && writing && errno == ENOENT)) {
		rc = errno == ENOMEM ? -ENOMEM : errno == EFBIG ? -EFBIG : -ENOENT;
	} else if (k == Q_SQL && writing) {
		rc = open_writer(m, name, p->rel, fi->flags & O_TRUNC ? NULL : text, fi);
	} else if (writing) {
		rc = -EACCES;
	} else if (k == Q_SQL) {
		rc = mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
		text = NULL;
	} else if (k == Q_CSV) {
		struct mdfs_csv_file *f = NULL;
		rc = mdfs_csv_open_query(m->pool, text, p->rel, m->spool_dir, m->spool_max, &f);
		if (rc == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_csv_ops, f, path, tid);
		fi->keep_cache = 0;
	} else {
		struct mdfs_parquet *pf = NULL;
		rc = mdfs_parquet_open_query(path, text, p->rel, &pf);
		if (rc == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_parquet_ops, pf, path, tid);
	}
	free(text);
	free(name);
	return rc;
}

int mdfs_queries_truncate(struct mdfs *m, const struct mdfs_path *p, off_t size)
{
	char *name = NULL;
	enum qkind k = p->depth == 2 ? kind_of(p, &name) : Q_NONE;
	struct mdfs_reg_entry *e = k == Q_SQL ? mdfs_reg_find(&writers, name, NULL, NULL) : NULL;
	free(name);
	if (!e)
		return -EPERM; /* a stored query is replaced by writing it */
	int rc = qw_truncate(mdfs_reg_of(e, struct qwrite, ent), size);
	mdfs_reg_put(&writers, e);
	return rc;
}

int mdfs_queries_unlink(struct mdfs *m, const struct mdfs_path *p)
{
	if (p->depth != 2)
		return -EPERM;
	char *name = NULL;
	enum qkind k = kind_of(p, &name);
	int rc;
	if (k == Q_SQL) {
		rc = remove_stored(name);
		if (clear_error(name) == 0 && rc == -ENOENT)
			rc = 0;
	} else if (k == Q_ERROR) {
		rc = clear_error(name);
	} else {
		rc = k == Q_NONE ? -ENOENT : -EPERM; /* rm NAME.sql removes the query */
	}
	free(name);
	return rc;
}
