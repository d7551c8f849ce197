/* fs/parquet_file.c - produced Parquet spools (see parquet_file.h). */
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
#include "fs/spool.h"
#include "mdclient/clock.h"
#include "mdclient/log.h"

struct mdfs_pq {
	char *path;
	int fd;                 /* complete file; -1 while producing */
	off_t size;
	double produced;        /* monotonic seconds */
	double used;
	bool producing;
	bool listed;            /* still the registry's entry for path */
	int refs;               /* open handles (+1 while listed) */
	struct mdfs_pq *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static struct mdfs_pq *entries;
static struct {
	mdc_pool *pool;
	const char *spool_dir;
	off_t budget;
	double timeout;
	mdc_parquet_codec codec;
} cfg;

void mdfs_pq_setup(mdc_pool *pool, const char *spool_dir, off_t budget, int timeout_s,
		   mdc_parquet_codec codec)
{
	cfg.pool = pool;
	cfg.spool_dir = spool_dir;
	cfg.budget = budget;
	cfg.timeout = timeout_s;
	cfg.codec = codec;
}

static void unref_locked(struct mdfs_pq *e)
{
	if (--e->refs > 0)
		return;
	if (e->fd >= 0)
		close(e->fd);
	free(e->path);
	free(e);
}

static void unlist_locked(struct mdfs_pq *e)
{
	if (!e->listed)
		return;
	for (struct mdfs_pq **pp = &entries; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->listed = false;
	unref_locked(e);
}

static bool fresh(const struct mdfs_pq *e, double now)
{
	return !e->producing && e->fd >= 0 && now - e->produced < cfg.timeout;
}

/* Keep the spools nobody reads within the budget: drop stale ones, then the
 * least recently used. */
static void evict_locked(void)
{
	double now = mdc_now_s();
	off_t total = 0;
	for (struct mdfs_pq *e = entries, *next; e; e = next) {
		next = e->next;
		if (e->refs == 1 && !e->producing && !fresh(e, now))
			unlist_locked(e);
		else if (!e->producing)
			total += e->size;
	}
	while (total > cfg.budget) {
		struct mdfs_pq *lru = NULL;
		for (struct mdfs_pq *e = entries; e; e = e->next)
			if (e->refs == 1 && !e->producing && (!lru || e->used < lru->used))
				lru = e;
		if (!lru)
			break;
		total -= lru->size;
		unlist_locked(lru);
	}
}

struct export_args {
	const char *db, *schema, *rel;
	int fd;
};

static int export_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct export_args *a = arg;
	mdc_parquet_options o = { .codec = cfg.codec };
	/* A retry after a dead connection starts the file over. */
	if (ftruncate(a->fd, 0) != 0 || lseek(a->fd, 0, SEEK_SET) != 0)
		return mdc_error_set(err, errno, "spool: %s", strerror(errno));
	return mdc_parquet_export(c, a->db, a->schema, a->rel, a->fd, &o, err);
}

static int produce(const char *db, const char *schema, const char *rel, int *fdp, off_t *sizep)
{
	int fd = mdfs_spool_open(cfg.spool_dir, "parquet export");
	if (fd < 0)
		return fd;
	struct export_args a = { db, schema, rel, fd };
	int rc = mdfs_with_conn(cfg.pool, db, "parquet export", export_cb, &a, NULL);
	struct stat st;
	if (rc == 0 && fstat(fd, &st) != 0)
		rc = -errno;
	if (rc < 0) {
		close(fd); /* a partial file never reaches a reader */
		return rc == -ENOENT ? rc : -EIO;
	}
	*fdp = fd;
	*sizep = st.st_size;
	return 0;
}

int mdfs_pq_open(const char *path, const char *db, const char *schema, const char *rel,
		 struct mdfs_pq **out)
{
	pthread_mutex_lock(&lock);
	for (;;) {
		struct mdfs_pq *e = entries;
		while (e && strcmp(e->path, path) != 0)
			e = e->next;
		if (e && e->producing) {
			pthread_cond_wait(&done, &lock); /* someone else is producing it */
			continue;
		}
		if (e && fresh(e, mdc_now_s())) {
			e->refs++;
			e->used = mdc_now_s();
			pthread_mutex_unlock(&lock);
			*out = e;
			return 0;
		}
		if (e)
			unlist_locked(e); /* stale: readers that have it keep their copy */
		break;
	}
	struct mdfs_pq *n = calloc(1, sizeof *n);
	if (!n || !(n->path = strdup(path))) {
		free(n);
		pthread_mutex_unlock(&lock);
		return -ENOMEM;
	}
	n->fd = -1;
	n->producing = true;
	n->listed = true;
	n->refs = 1;
	n->next = entries;
	entries = n;
	pthread_mutex_unlock(&lock);

	int fd = -1;
	off_t size = 0;
	int rc = produce(db, schema, rel, &fd, &size);

	pthread_mutex_lock(&lock);
	n->producing = false;
	if (rc == 0) {
		n->fd = fd;
		n->size = size;
		n->produced = n->used = mdc_now_s();
		n->refs++;
		evict_locked();
		*out = n;
	} else {
		unlist_locked(n);
	}
	pthread_cond_broadcast(&done);
	pthread_mutex_unlock(&lock);
	return rc;
}

int mdfs_pq_read(struct mdfs_pq *h, char *buf, size_t size, off_t off)
{
	ssize_t n = pread(h->fd, buf, size, off);
	return n < 0 ? -EIO : (int)n;
}

off_t mdfs_pq_handle_size(const struct mdfs_pq *h)
{
	return h->size;
}

void mdfs_pq_release(struct mdfs_pq *h)
{
	pthread_mutex_lock(&lock);
	unref_locked(h);
	evict_locked();
	pthread_mutex_unlock(&lock);
}

off_t mdfs_pq_known_size(const char *path)
{
	off_t size = 0;
	double now = mdc_now_s();
	pthread_mutex_lock(&lock);
	for (struct mdfs_pq *e = entries; e; e = e->next)
		if (strcmp(e->path, path) == 0 && fresh(e, now))
			size = e->size;
	pthread_mutex_unlock(&lock);
	return size;
}

void mdfs_pq_free_all(void)
{
	pthread_mutex_lock(&lock);
	while (entries)
		unlist_locked(entries);
	pthread_mutex_unlock(&lock);
}
