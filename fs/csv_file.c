/* fs/csv_file.c - stream + spool behind one open CSV file (see csv_file.h). */
#include "fs/csv_file.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/spool.h"
#include "mdclient/log.h"
#include "mdclient/stream.h"

struct mdfs_csv_file {
	pthread_mutex_t lock;
	mdc_pool *pool;
	mdc_conn *conn;         /* borrowed while the stream runs */
	mdc_stream *stream;     /* NULL once finished */
	char *what;             /* "db.schema.rel" for log lines */
	off_t streamed;         /* bytes taken from the stream so far */
	off_t spooled;          /* bytes [0, spooled) are in the spool */
	off_t keep;             /* spool up to here: spool head, or spool_max once needed */
	off_t spool_max;
	int spool_fd;           /* -1: none yet / spooling off */
	const char *spool_dir;
	bool eof;
	bool asked;             /* the reader has asked for the size (fstat) */
	bool read_first;        /* ...and had read before it first asked */
	int error;              /* sticky -errno once the stream broke */
};

/* End the stream and give the connection back (broken unless cleanly closed). */
static void finish_stream(struct mdfs_csv_file *f)
{
	if (f->stream) {
		int rc = mdc_stream_close(f->stream);
		f->stream = NULL;
		mdc_pool_put(f->pool, f->conn, rc != 0 || !mdc_conn_is_ok(f->conn));
		f->conn = NULL;
	}
}

/* A relation's rows (sql NULL) or a query's (db NULL: the source's). */
static int csv_open(mdc_pool *pool, const char *db, const char *schema, const char *rel,
		    const char *sql, const struct mdfs_spool_conf *spool, struct mdfs_csv_file **out)
{
	struct mdfs_csv_file *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	if ((sql ? asprintf(&f->what, "query %s", rel)
		 : asprintf(&f->what, "%s.%s.%s", db, schema, rel)) < 0) {
		free(f);
		return -ENOMEM;
	}
	f->pool = pool;
	f->spool_fd = -1;
	f->spool_dir = spool->dir;
	f->spool_max = spool->max;
	f->keep = spool->head < spool->max ? spool->head : spool->max;

	mdc_error err;
	int rc = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		mdc_error_clear(&err);
		rc = mdc_pool_get(pool, db, &f->conn, &err);
		if (rc < 0)
			break;
		rc = sql ? mdc_stream_open_query(f->conn, sql, rel, &f->stream, &err)
			 : mdc_stream_open_csv(f->conn, db, schema, rel, &f->stream, &err);
		if (rc == 0)
			break;
		bool dead = !mdc_conn_is_ok(f->conn);
		mdc_pool_put(pool, f->conn, dead);
		f->conn = NULL;
		if (!(rc == -EIO && dead))
			break;
	}
	if (rc < 0) {
		/* A missing table or a reader that gave up while queueing for a
		 * connection is not the daemon's error. */
		mdc_log(rc == -ENOENT || rc == -EINTR ? LOG_INFO : LOG_ERR, "open %s: %s", f->what,
			err.message[0] ? err.message : strerror(-rc));
		free(f->what);
		free(f);
		return mdfs_fuse_errno(rc);
	}
	pthread_mutex_init(&f->lock, NULL);
	*out = f;
	return 0;
}

int mdfs_csv_open(mdc_pool *pool, const char *db, const char *schema, const char *rel,
		  const struct mdfs_spool_conf *spool, struct mdfs_csv_file **out)
{
	return csv_open(pool, db, schema, rel, NULL, spool, out);
}

int mdfs_csv_open_query(mdc_pool *pool, const char *sql, const char *name,
			const struct mdfs_spool_conf *spool, struct mdfs_csv_file **out)
{
	return csv_open(pool, NULL, NULL, name, sql, spool, out);
}

/* Keep what is still spooled up to spool_max, not only the head: the reader
 * came back or wants the size. */
static void keep_all(struct mdfs_csv_file *f)
{
	if (f->spooled == f->streamed && f->keep < f->spool_max)
		f->keep = f->spool_max;
}

/* Keep [streamed, streamed+n) in the spool while it is contiguous, up to
 * f->keep (the part that fits: the spooled prefix then ends there). */
static void spool_append(struct mdfs_csv_file *f, const char *buf, size_t n)
{
	if (f->spooled != f->streamed || f->spooled >= f->keep)
		return;
	if ((off_t)n > f->keep - f->spooled)
		n = (size_t)(f->keep - f->spooled);
	if (f->spool_fd < 0) {
		f->spool_fd = mdfs_spool_open(f->spool_dir, f->what);
		if (f->spool_fd < 0) { /* then without a re-read copy */
			f->spool_fd = -1;
			f->spool_max = f->keep = 0;
			return;
		}
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(f->spool_fd, buf + done, n - done, f->spooled + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			mdc_log(LOG_WARNING, "%s: spool write failed: %s", f->what,
				w < 0 ? strerror(errno) : "short write");
			f->spool_max = f->keep = f->spooled; /* stop spooling; what is there stays valid */
			return;
		}
		done += (size_t)w;
	}
	f->spooled += (off_t)n;
}

/* Take up to size bytes from the stream into buf (at f->streamed). */
static ssize_t pull(struct mdfs_csv_file *f, char *buf, size_t size)
{
	if (f->error)
		return f->error;
	if (f->eof)
		return 0;
	mdc_error err;
	mdc_error_clear(&err);
	/* direct_io: a short read is fine, so hand over whatever is ready (head
	 * gets its first lines at once). */
	ssize_t n = mdc_stream_read_some(f->stream, buf, size, &err);
	if (n > 0) {
		spool_append(f, buf, (size_t)n);
		f->streamed += n;
	} else if (n == 0) {
		f->eof = true;
		finish_stream(f);
	} else {
		mdc_log(LOG_ERR, "read %s: stream broke after %lld bytes: %s", f->what,
			(long long)f->streamed, err.message[0] ? err.message : strerror((int)-n));
		f->error = -EIO;
		finish_stream(f);
	}
	return n < 0 ? f->error : n;
}

ssize_t mdfs_csv_read(struct mdfs_csv_file *f, char *buf, size_t size, off_t off)
{
	ssize_t rc;
	pthread_mutex_lock(&f->lock);
	if (!f->asked)
		f->read_first = true;
	if (off < f->streamed) {
		/* A re-read: serve it from the spool, and keep the rest too. */
		keep_all(f);
		if (off >= f->spooled) {
			mdc_log(LOG_ERR, "read %s: offset %lld is behind the %lld-byte re-read spool "
				"(spool_head, or spool_max)", f->what, (long long)off, (long long)f->spooled);
			rc = -EIO;
			goto out;
		}
		size_t n = size;
		if ((off_t)n > f->spooled - off)
			n = (size_t)(f->spooled - off);
		rc = pread(f->spool_fd, buf, n, off);
		if (rc < 0)
			rc = -EIO;
		goto out;
	}
	/* A forward seek: stream on (into the spool) up to off. */
	while (off > f->streamed) {
		size_t want = size;
		if ((off_t)want > off - f->streamed)
			want = (size_t)(off - f->streamed);
		rc = pull(f, buf, want);
		if (rc <= 0)
			goto out;
	}
	rc = pull(f, buf, size);
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int mdfs_csv_size(struct mdfs_csv_file *f, off_t *size)
{
	enum { CHUNK = 256 * 1024 };
	char *buf = NULL;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	/* Streaming first: the first question, or any from a reader that read
	 * before it asked, is answered with what is known now. Only a reader
	 * that asks again before reading (see csv_file.h) waits for the exact size. */
	bool exact = f->asked && !f->read_first;
	f->asked = true;
	if (exact)
		keep_all(f);
	/* Only a spooled byte can be read again, so stop at spool_max. */
	while (exact && !f->eof && !f->error && f->spooled == f->streamed &&
	       f->streamed < f->spool_max) {
		if (!buf && !(buf = malloc(CHUNK))) {
			rc = -ENOMEM;
			goto out;
		}
		size_t want = CHUNK;
		if ((off_t)want > f->spool_max - f->streamed)
			want = (size_t)(f->spool_max - f->streamed);
		ssize_t n = pull(f, buf, want);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
	}
	if (f->error) {
		rc = f->error;
	} else if (f->eof) {
		*size = f->streamed;
	} else if (!exact) {
		*size = 0;
	} else {
		/* A reader that trusts st_size would read an empty or short file:
		 * fail its stat instead (EFBIG), every time it asks. */
		mdc_log(LOG_ERR, "%s: larger than spool_max (%lld MB): its exact size cannot be given "
			"(EFBIG); read it as a stream, or read its .parquet file", f->what,
			(long long)(f->spool_max >> 20));
		rc = -EFBIG;
	}
out:
	pthread_mutex_unlock(&f->lock);
	free(buf);
	return rc;
}

void mdfs_csv_close(struct mdfs_csv_file *f)
{
	if (!f)
		return;
	finish_stream(f);
	if (f->spool_fd >= 0)
		close(f->spool_fd);
	pthread_mutex_destroy(&f->lock);
	free(f->what);
	free(f);
}
