/* fs/parquet_file.c - produced Parquet spools (see parquet_file.h): one
 * registry entry per path, replaced when stale; an entry's production state
 * is guarded by its own lock, so a stat never waits for an export. */
#include "fs/parquet_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/registry.h"
#include "fs/spool.h"
#include "mdclient/clock.h"
#include "mdclient/log.h"

struct mdfs_parquet {
	struct mdfs_reg_entry ent;  /* key: the path */
	char *db;                   /* its database (immutable) */
	pthread_mutex_t lock;       /* guards the fields below */
	pthread_cond_t done;        /* production finished */
	bool producing;
	int error;                  /* the failed production's -errno (0: none) */
	int fd;                     /* complete file; -1 while producing or after a failure */
	off_t size;
	double produced;            /* monotonic seconds */
	double used;
	int opens;                  /* open handles */
};

static void destroy(struct mdfs_reg_entry *e)
{
	struct mdfs_parquet *p = mdfs_reg_of(e, struct mdfs_parquet, ent);
	if (p->fd >= 0)
		close(p->fd);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	mdfs_reg_entry_fini(&p->ent);
	free(p->db);
	free(p);
}

static struct mdfs_registry spools = MDFS_REGISTRY_INIT(destroy);
/* One eviction pass at a time, so two passes never count the same budget. */
static pthread_mutex_t evict_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	mdc_pool *pool;
	const char *spool_dir;
	off_t budget;
	double timeout;
	mdc_parquet_codec codec;
} cfg;

void mdfs_parquet_setup(mdc_pool *pool, const char *spool_dir, off_t budget, int timeout_s,
		   mdc_parquet_codec codec)
{
	cfg.pool = pool;
	cfg.spool_dir = spool_dir;
	cfg.budget = budget;
	cfg.timeout = timeout_s;
	cfg.codec = codec;
}

/* The entry's lock held. */
static bool fresh_locked(const struct mdfs_parquet *p, double now)
{
	return !p->producing && p->fd >= 0 && now - p->produced < cfg.timeout;
}

/* Keep the spools nobody reads within the budget: drop stale ones, then the
 * least recently used. A spool someone opens meanwhile stays theirs. */
struct cand {
	struct mdfs_reg_entry *e;
	double used;
	off_t size;
	bool idle;
};

static int by_use(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return (x->used > y->used) - (x->used < y->used);
}

static void evict(void)
{
	struct mdfs_reg_entry **v;
	size_t n;
	pthread_mutex_lock(&evict_lock);
	if (mdfs_reg_snapshot(&spools, NULL, NULL, &v, &n) < 0) {
		pthread_mutex_unlock(&evict_lock);
		return;
	}
	struct cand *c = calloc(n ? n : 1, sizeof *c);
	if (!c)
		goto out;
	double now = mdc_now_s();
	off_t total = 0;
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		struct mdfs_parquet *p = mdfs_reg_of(v[i], struct mdfs_parquet, ent);
		pthread_mutex_lock(&p->lock);
		bool producing = p->producing;
		bool idle = p->opens == 0 && !producing;
		bool stale = idle && !fresh_locked(p, now);
		struct cand k = { v[i], p->used, p->size, idle };
		pthread_mutex_unlock(&p->lock);
		if (stale) {
			(void)mdfs_reg_unlist(&spools, v[i]);
		} else if (!producing) {
			total += k.size;
			if (idle)
				c[nc++] = k;
		}
	}
	qsort(c, nc, sizeof *c, by_use);
	for (size_t i = 0; i < nc && total > cfg.budget; i++) {
		total -= c[i].size;
		(void)mdfs_reg_unlist(&spools, c[i].e);
	}
	free(c);
out:
	pthread_mutex_unlock(&evict_lock);
	mdfs_reg_put_all(&spools, v, n);
}

struct export_args {
	const char *db, *schema, *rel;
	const char *sql;            /* a query file's query (rel: its name), else NULL */
	int fd;
};

static int export_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct export_args *a = arg;
	mdc_parquet_options o = { .codec = cfg.codec };
	/* A retry after a dead connection starts the file over. */
	if (ftruncate(a->fd, 0) != 0 || lseek(a->fd, 0, SEEK_SET) != 0)
		return mdc_error_set(err, errno, "spool: %s", strerror(errno));
	if (a->sql)
		return mdc_parquet_export_query(c, a->sql, a->rel, a->fd, &o, err);
	return mdc_parquet_export(c, a->db, a->schema, a->rel, a->fd, &o, err);
}

static int produce(const char *db, const char *schema, const char *rel, const char *sql, int *fdp,
		   off_t *sizep)
{
	int fd = mdfs_spool_open(cfg.spool_dir, "parquet export");
	if (fd < 0)
		return fd;
	struct export_args a = { db, schema, rel, sql, fd };
	int rc = mdfs_with_conn(cfg.pool, db, sql ? "parquet export of a query" : "parquet export",
				export_cb, &a, NULL);
	struct stat st;
	if (rc == 0 && fstat(fd, &st) != 0)
		rc = -errno;
	if (rc < 0) {
		close(fd); /* a partial file never reaches a reader */
		if (sql) /* the query's own failure (refused, a missing table) is not EIO */
			return rc == -EINVAL || rc == -EACCES || rc == -ENOENT ? rc : -EIO;
		return rc == -ENOENT ? rc : -EIO;
	}
	*fdp = fd;
	*sizep = st.st_size;
	return 0;
}

/* A fresh listed spool of path, waiting for a production under way: 1 with
 * *out (an open of it), 0 when there is none (a stale one is unlisted:
 * readers that have it keep their copy), or the -errno of the production it
 * waited for: the waiters of one production share its failure instead of
 * each redoing it (an open after the failed entry is gone tries again). */
static int reuse(const char *path, struct mdfs_parquet **out)
{
	for (;;) {
		struct mdfs_reg_entry *e = mdfs_reg_find(&spools, path, NULL, NULL);
		if (!e)
			return 0;
		struct mdfs_parquet *p = mdfs_reg_of(e, struct mdfs_parquet, ent);
		pthread_mutex_lock(&p->lock);
		while (p->producing)
			pthread_cond_wait(&p->done, &p->lock); /* someone else is producing it */
		double now = mdc_now_s();
		bool ok = fresh_locked(p, now);
		int error = p->error;
		if (ok) {
			p->opens++;
			p->used = now;
		}
		pthread_mutex_unlock(&p->lock);
		if (ok) {
			*out = p; /* the reference found is the handle's */
			return 1;
		}
		if (error) {
			mdfs_reg_put(&spools, e); /* its producer unlists it */
			return error;
		}
		(void)mdfs_reg_unlist(&spools, e);
		mdfs_reg_put(&spools, e);
	}
}

int mdfs_parquet_open(const char *path, const char *db, const char *schema, const char *rel,
		 struct mdfs_parquet **out)
{
	struct mdfs_parquet *n;
	for (;;) {
		int rc = reuse(path, out);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		if (!(n = calloc(1, sizeof *n)) || mdfs_reg_entry_init(&n->ent, path) < 0) {
			free(n);
			return -ENOMEM;
		}
		if (!(n->db = strdup(db))) {
			mdfs_reg_entry_fini(&n->ent);
			free(n);
			return -ENOMEM;
		}
		pthread_mutex_init(&n->lock, NULL);
		pthread_cond_init(&n->done, NULL);
		n->fd = -1;
		n->producing = true;
		n->opens = 1;
		if (mdfs_reg_add_unique(&spools, &n->ent) == 0)
			break;
		mdfs_reg_put(&spools, &n->ent); /* another open started a production first */
	}

	int fd = -1;
	off_t size = 0;
	int rc = produce(db, schema, rel, NULL, &fd, &size);

	pthread_mutex_lock(&n->lock);
	n->producing = false;
	if (rc == 0) {
		n->fd = fd;
		n->size = size;
		n->produced = n->used = mdc_now_s();
	} else {
		n->opens--;
		n->error = rc;
	}
	pthread_cond_broadcast(&n->done);
	pthread_mutex_unlock(&n->lock);
	if (rc < 0) {
		(void)mdfs_reg_unlist(&spools, &n->ent);
		mdfs_reg_put(&spools, &n->ent);
		return rc;
	}
	evict();
	*out = n;
	return 0;
}

int mdfs_parquet_open_query(const char *path, const char *sql, const char *name,
			    struct mdfs_parquet **out)
{
	struct mdfs_parquet *n = calloc(1, sizeof *n);
	if (!n || mdfs_reg_entry_init(&n->ent, path) < 0) {
		free(n);
		return -ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->done, NULL);
	n->fd = -1;
	n->opens = 1;
	int rc = produce(NULL, NULL, name, sql, &n->fd, &n->size);
	if (rc < 0) {
		n->opens = 0;
		mdfs_reg_put(&spools, &n->ent);
		return rc;
	}
	n->produced = n->used = mdc_now_s();
	/* Listed (replacing the last one) only so that a stat by path shows
	 * the size of the newest result, as readers that stat before they open
	 * need; opens never reuse it (mdfs_parquet_open_query runs afresh). */
	mdfs_reg_replace(&spools, &n->ent);
	evict();
	*out = n;
	return 0;
}

int mdfs_parquet_read(struct mdfs_parquet *h, char *buf, size_t size, off_t off)
{
	ssize_t n = pread(h->fd, buf, size, off); /* fd is set for good before a handle exists */
	return n < 0 ? -EIO : (int)n;
}

off_t mdfs_parquet_handle_size(const struct mdfs_parquet *h)
{
	return h->size; /* as fd: fixed before a handle exists */
}

void mdfs_parquet_release(struct mdfs_parquet *h)
{
	pthread_mutex_lock(&h->lock);
	h->opens--;
	pthread_mutex_unlock(&h->lock);
	mdfs_reg_put(&spools, &h->ent);
	evict();
}

static bool in_db(const struct mdfs_reg_entry *e, const void *db)
{
	return strcmp(mdfs_reg_of(e, const struct mdfs_parquet, ent)->db, db) == 0;
}

void mdfs_parquet_forget(const char *db)
{
	struct mdfs_reg_entry **v;
	size_t n;
	if (mdfs_reg_snapshot(&spools, in_db, db, &v, &n) < 0)
		return; /* out of memory: they go stale within cache_timeout */
	for (size_t i = 0; i < n; i++)
		(void)mdfs_reg_unlist(&spools, v[i]);
	mdfs_reg_put_all(&spools, v, n);
}

off_t mdfs_parquet_known_size(const char *path)
{
	off_t size = 0;
	struct mdfs_reg_entry *e = mdfs_reg_find(&spools, path, NULL, NULL);
	if (!e)
		return 0;
	struct mdfs_parquet *p = mdfs_reg_of(e, struct mdfs_parquet, ent);
	pthread_mutex_lock(&p->lock);
	if (fresh_locked(p, mdc_now_s()))
		size = p->size;
	pthread_mutex_unlock(&p->lock);
	mdfs_reg_put(&spools, e);
	return size;
}

void mdfs_parquet_free_all(void)
{
	mdfs_reg_fini(&spools);
}
