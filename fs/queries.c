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
#include "fs/writes.h"
#include "mdclient/log.h"
#include "mdclient/query.h"
#include "mdclient/str.h"


/* Every key below is a query's NAME as shown (encoded, without ".sql"). */

/* A query kept in memory (no queries_dir); immutable once listed. */
struct qtext {
	struct mdfs_reg_entry ent;
	char *sql;
	size_t len;
	struct timespec mtime;
};

static void qtext_destroy(struct mdfs_reg_entry *e);
static struct mdfs_registry stored = MDFS_REGISTRY_INIT(qtext_destroy);

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

/* The mount path of NAME<suffix> in /.queries, malloc'd, or NULL. */
static char *mount_path(const char *name, const char *suffix)
{
	char *p;
	return asprintf(&p, "/%s/%s%s", MDFS_QUERIES_DIR, name, suffix) < 0 ? NULL : p;
}

/* Remove NAME.sql.error (fs/writes.h keeps it): 0, or -ENOENT. */
static int clear_error(struct mdfs *m, const char *name)
{
	char *path = mount_path(name, MDFS_SQL_SUFFIX ".error");
	int rc = path ? mdfs_w_unlink(m, path) : -ENOMEM;
	free(path);
	return rc;
}

/* ---- a file name in /.queries --------------------------------------------- */

enum qkind { Q_NONE, Q_SQL, Q_CSV, Q_PARQUET };

/* What p names, with *name (malloc'd: NAME as shown) for every kind but
 * Q_NONE (spooled files, error files and other names are fs/writes.h's). */
static enum qkind kind_of(const struct mdfs_path *p, char **name)
{
	const char *f = p->fname[1];
	*name = NULL;
	if (!p->rel)
		return Q_NONE;
	const char *suffix = p->fmt == MDFS_FMT_SQL ? MDFS_SQL_SUFFIX
			   : p->fmt == MDFS_FMT_CSV ? MDFS_CSV_SUFFIX : MDFS_PARQUET_SUFFIX;
	if (!(*name = strndup(f, strlen(f) - strlen(suffix))))
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

int mdfs_queries_getattr(struct mdfs *m, const struct mdfs_path *p, const char *path,
			 struct fuse_file_info *fi, struct stat *st)
{
	if (p->depth == 1) {
		fill(m, st, S_IFDIR | (m->opts.ro ? 0555 : 0755), 0, NULL);
		return 0;
	}
	if (mdfs_w_getattr(m, path, st) == 0)
		return 0; /* being written, an error file, or a spool-only name */
	char *name = NULL;
	enum qkind k = kind_of(p, &name);
	off_t size = 0;
	struct timespec mtime;
	int rc = -ENOENT;
	switch (k) {
	case Q_SQL:
		rc = stat_stored(name, &size, &mtime);
		if (rc == 0)
			fill(m, st, S_IFREG | (m->opts.ro ? 0444 : 0644), size, &mtime);
		break;
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

/* One stored query's three files (its .sql from the spooled files when
 * one is being written). */
static void add_query(struct lister *l, const char *name)
{
	char *path = mount_path(name, MDFS_SQL_SUFFIX);
	if (path && !mdfs_w_exists(l->m, path))
		add(l, name, MDFS_SQL_SUFFIX);
	free(path);
	if (l->m->opts.show_csv)
		add(l, name, MDFS_CSV_SUFFIX);
	if (l->m->opts.show_parquet)
		add(l, name, MDFS_PARQUET_SUFFIX);
}

static int add_spooled(void *ud, const char *fname, const struct stat *st)
{
	struct lister *l = ud;
	add(l, fname, "");
	return l->full;
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
	/* Files being written (new queries, temporary names) and error files. */
	mdfs_w_list(m, "", MDFS_QUERIES_DIR, add_spooled, &l);
	return 0;
}

/* ---- the query kind of written files (fs/writes.h) ------------------------ */

static int check_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	return mdc_query_check(c, arg, err);
}

/* At the writer's close(): check the text with the endpoint, then store it. */
static int query_apply(struct mdfs *m, const struct mdfs_w_target *t, mdc_error *err)
{
	char *text = NULL;
	size_t n = 0;
	int rc = mdfs_spool_read_all(t->fd, MDC_QUERY_MAX_BYTES, &text, &n);
	if (rc < 0) {
		mdc_error_set(err, -rc, "%s", strerror(-rc));
	} else if (n == 0) {
		/* e.g. bash's `>` closing its copy before the program writes: no
		 * connection for that */
		rc = mdc_error_set(err, EINVAL, "empty query: a query file holds one SELECT statement");
	} else if (memchr(text, '\0', n)) {
		rc = mdc_error_set(err, EINVAL, "a query file holds text (this one has a NUL byte)");
	} else {
		char *what = NULL;
		if (asprintf(&what, "query %s", t->name) < 0)
			what = NULL;
		rc = mdfs_with_conn(m->pool, NULL, what ? what : "query", check_cb, text, err);
		free(what);
	}
	char *key = rc == 0 ? strndup(t->fname, strlen(t->fname) - strlen(MDFS_SQL_SUFFIX)) : NULL;
	if (rc == 0)
		rc = key ? store(key, text, n) : -ENOMEM;
	if (rc < 0 && key)
		mdc_error_set(err, -rc, "cannot store the query: %s", strerror(-rc));
	free(key);
	free(text);
	/* The query's own fault is EINVAL (a missing table too); the
	 * endpoint's is EIO. */
	if (rc == -ENOENT || rc == -ENOTSUP || rc == -EEXIST)
		rc = -(err->errnum = EINVAL);
	return mdfs_fuse_errno(rc);
}

const struct mdfs_w_kind mdfs_query_kind = {
	.suffix = MDFS_SQL_SUFFIX,
	.queries = true,
	.done = "stored",
	.max = MDC_QUERY_MAX_BYTES,
	.apply = query_apply,
};

/* ---- the FUSE callbacks ---------------------------------------------------- */

/* A name that is not NAME.sql of a valid NAME, but looks like a query's
 * file: only NAME.sql is written. */
static bool not_writable(const struct mdfs_path *p)
{
	const char *f = p->fname[1];
	static const char *const sfx[] = { MDFS_SQL_SUFFIX, MDFS_CSV_SUFFIX, MDFS_PARQUET_SUFFIX };
	if (f[0] == '.' || (p->rel && p->fmt == MDFS_FMT_SQL))
		return false;
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
		if (mdc_has_suffix(f, sfx[i]))
			return true;
	return false;
}

/* A new writer of path (its spool, listed: the newest writer's is the one
 * that is stored), starting from text (NULL: empty); exists: a query is
 * stored under the name. */
static int open_writer(struct mdfs *m, const struct mdfs_path *p, const char *path, mode_t mode,
		       const char *text, bool exists, struct fuse_file_info *fi)
{
	struct mdfs_wfile *w = NULL;
	int rc = mdfs_w_create(m, path, "", MDFS_QUERIES_DIR, p->fname[1], mode, false, exists, &w);
	size_t len = text ? strlen(text) : 0;
	if (rc == 0 && len) {
		int n = mdfs_w_write(w, text, len, 0);
		rc = n < 0 ? n : (size_t)n == len ? 0 : -EIO;
	}
	if (rc == 0)
		return mdfs_handle_open(fi, m, &mdfs_write_ops, w, NULL, fuse_get_context()->pid);
	if (w) {
		int gone = mdfs_w_unlink(m, path); /* no load of a half-made file */
		(void)gone;
		mdfs_w_release(m, w);
	}
	return rc;
}

int mdfs_queries_create(struct mdfs *m, const struct mdfs_path *p, const char *path, mode_t mode,
			struct fuse_file_info *fi)
{
	if (p->depth != 2)
		return -EEXIST;
	return not_writable(p) ? -EPERM : open_writer(m, p, path, mode, NULL, false, fi);
}

int mdfs_queries_open(struct mdfs *m, const struct mdfs_path *p, const char *path,
		      struct fuse_file_info *fi)
{
	if (p->depth != 2)
		return -EISDIR;
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	pid_t tid = fuse_get_context()->pid;
	struct mdfs_wfile *w = NULL;
	char *name = NULL, *text = NULL;
	int rc = mdfs_w_open(m, path, fi->flags, &w);
	if (rc == 0)
		return mdfs_handle_open(fi, m, &mdfs_write_ops, w, NULL, tid);
	if (rc != -ENOENT)
		return rc;
	if ((text = mdfs_w_error_text(m, path))) {
		if (writing) {
			free(text);
			return -EACCES;
		}
		return mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
	}
	enum qkind k = kind_of(p, &name);
	if (k == Q_NONE) {
		rc = -ENOENT;
	} else if (k != Q_SQL && !shown(m, k)) {
		rc = -ENOENT;
	} else if (!(text = load(name)) && !(k == Q_SQL && writing && errno == ENOENT)) {
		rc = errno == ENOMEM ? -ENOMEM : errno == EFBIG ? -EFBIG : -ENOENT;
	} else if (k == Q_SQL && writing) {
		rc = open_writer(m, p, path, 0644, fi->flags & O_TRUNC ? NULL : text, text != NULL, fi);
	} else if (writing) {
		rc = -EACCES;
	} else if (k == Q_SQL) {
		rc = mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
		text = NULL;
	} else if (k == Q_CSV) {
		struct mdfs_csv_file *f = NULL;
		rc = mdfs_csv_open_query(m->pool, text, p->rel, &m->spool, &f);
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

bool mdfs_queries_exists(struct mdfs *m, const struct mdfs_path *p)
{
	char *name = NULL;
	off_t size;
	struct timespec t;
	bool found = p->depth == 2 && kind_of(p, &name) == Q_SQL && stat_stored(name, &size, &t) == 0;
	free(name);
	return found;
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
		if (clear_error(m, name) == 0 && rc == -ENOENT)
			rc = 0;
	} else {
		rc = k == Q_NONE ? -ENOENT : -EPERM; /* rm NAME.sql removes the query */
	}
	free(name);
	return rc;
}
