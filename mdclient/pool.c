/* mdclient/pool.c - a bounded, thread-safe connection pool. See pool.h.
 *
 * The pool is an array of `size` slots. A slot is FREE (no connection),
 * RESERVED (a connection is being made or closed for it, outside the mutex),
 * IDLE or BUSY. At most `size` connections therefore exist at any time, and
 * at most `limit` while the endpoint refuses more (53300). The mutex is never
 * held while connecting or closing. */
#include "mdclient/pool.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdclient/log.h"
#include "mdclient/clock.h"
#include "mdclient/internal/dialect.h"
#include "mdclient/internal/pqutil.h"

#define WAIT_SLICE_MS 200      /* queued borrowers look at the interrupt check this often */
#define REGROW_MS 60000        /* after a 53300, try to grow again this much later */

enum slot_state { SLOT_FREE, SLOT_RESERVED, SLOT_IDLE, SLOT_BUSY };

struct slot {
	enum slot_state state;
	mdc_conn *conn;
	unsigned gen;
	char *db;          /* the database it was asked for (PostgreSQL key) */
};

struct mdc_pool {
	const mdc_config *cfg;
	int size;
	struct slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* a slot became FREE or IDLE */
	unsigned gen;
	const mdc_dialect_impl *d; /* NULL until the first connection */
	int limit;              /* connections the endpoint allows (size until a 53300) */
	int64_t limit_until;    /* when to try `size` again (mdc_now_ms) */
	bool limit_logged;
	unsigned fail_seq;      /* bumped when making a connection failed */
	mdc_error fail;         /* that failure, for the borrowers queued meanwhile */
	int (*interrupted)(void);
};

int mdc_pool_new(const mdc_config *cfg, int size, mdc_pool **out, mdc_error *err)
{
	mdc_error_clear(err);
	if (!cfg || !out)
		return mdc_error_set(err, EINVAL, "pool: missing config");
	*out = NULL;
	if (size <= 0)
		size = 4;
	mdc_pool *p = calloc(1, sizeof *p);
	if (!p)
		return mdc_error_set(err, ENOMEM, "out of memory");
	p->slots = calloc((size_t)size, sizeof *p->slots);
	if (!p->slots) {
		free(p);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	p->cfg = cfg;
	p->size = size;
	p->limit = size;
	p->gen = 1;
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);
	if (rc == 0) {
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		rc = pthread_cond_init(&p->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (rc == 0 && (rc = pthread_mutex_init(&p->mu, NULL)) != 0)
		pthread_cond_destroy(&p->cv);
	if (rc != 0) {
		free(p->slots);
		free(p);
		return mdc_error_set(err, rc, "pool: cannot initialise locks");
	}
	*out = p;
	return 0;
}

int mdc_pool_adopt(mdc_pool *p, mdc_conn *c)
{
	char *db = strdup(mdc_config_dbname(p->cfg));
	pthread_mutex_lock(&p->mu);
	int use = -1;
	for (int i = 0; i < p->size && use < 0 && db; i++)
		if (p->slots[i].state == SLOT_FREE)
			use = i;
	if (use >= 0) {
		struct slot *s = &p->slots[use];
		s->conn = c;
		s->db = db;
		s->gen = p->gen;
		s->state = SLOT_IDLE;
		if (!p->d)
			p->d = mdc_conn_impl(c);
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	if (use < 0) {
		free(db);
		mdc_conn_close(c);
		return -ENOSPC;
	}
	return 0;
}

static void slot_clear(struct slot *s)
{
	free(s->db);
	s->db = NULL;
	s->conn = NULL;
	s->state = SLOT_FREE;
}

void mdc_pool_free(mdc_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->size; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_BUSY || s->state == SLOT_RESERVED) {
			mdc_log(LOG_WARNING, "pool freed with a connection still borrowed");
			continue; /* not ours to close: the borrower still uses it */
		}
		if (s->state == SLOT_IDLE)
			mdc_conn_close(s->conn);
		slot_clear(s);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->slots);
	free(p);
}

void mdc_pool_set_interrupt(mdc_pool *p, int (*interrupted)(void))
{
	pthread_mutex_lock(&p->mu);
	p->interrupted = interrupted;
	mdc_pq_set_interrupt(interrupted);
	pthread_mutex_unlock(&p->mu);
}

int mdc_pool_dialect(const mdc_pool *p)
{
	mdc_pool *mp = (mdc_pool *)p; /* locking does not change the logical state */
	pthread_mutex_lock(&mp->mu);
	int d = mp->d ? (int)mp->d->id : 0;
	pthread_mutex_unlock(&mp->mu);
	return d;
}

/* Under the mutex: does this idle slot serve db? */
static int slot_matches(const mdc_pool *p, const struct slot *s, const char *db)
{
	if (s->state != SLOT_IDLE || s->gen != p->gen)
		return 0;
	if (p->d && !p->d->one_db_per_conn)
		return 1; /* workspace: any connection reads every database */
	return strcmp(s->db, db) == 0;
}

/* Under the mutex: new generation; every idle connection of an older one is
 * moved to the caller's list (closed by the caller without the mutex; its slot
 * stays RESERVED until then). Returns the number moved. */
static int bump_generation(mdc_pool *p, int *victims)
{
	int n = 0;
	p->gen++;
	for (int i = 0; i < p->size; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_IDLE && s->gen != p->gen) {
			s->state = SLOT_RESERVED;
			victims[n++] = i;
		}
	}
	mdc_log(LOG_INFO, "connection pool: new generation %u, %d idle connection(s) dropped",
		p->gen, n);
	return n;
}

/* Close the victims' connections without the mutex, then free their slots. */
static void close_victims(mdc_pool *p, const int *victims, int n)
{
	for (int i = 0; i < n; i++)
		mdc_conn_close(p->slots[victims[i]].conn); /* slot RESERVED: nobody else touches it */
	if (n == 0)
		return;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < n; i++)
		slot_clear(&p->slots[victims[i]]);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Under the mutex: connections that exist or are being made. */
static int live_count(const mdc_pool *p)
{
	int n = 0;
	for (int i = 0; i < p->size; i++)
		n += p->slots[i].state != SLOT_FREE;
	return n;
}

/* Under the mutex: wait for a slot to change, at most one slice and never
 * past deadline. Returns 0 (look again), -ETIMEDOUT or -EINTR. */
static int wait_slice(mdc_pool *p, const struct timespec *deadline)
{
	struct timespec now, until;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > deadline->tv_sec ||
	    (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
		return -ETIMEDOUT;
	until = now;
	until.tv_nsec += (long)WAIT_SLICE_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (until.tv_sec > deadline->tv_sec ||
	    (until.tv_sec == deadline->tv_sec && until.tv_nsec > deadline->tv_nsec))
		until = *deadline;
	(void)pthread_cond_timedwait(&p->cv, &p->mu, &until);
	if (p->interrupted && p->interrupted())
		return -EINTR;
	return 0;
}

static struct timespec deadline_in(int seconds)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	return t;
}

int mdc_pool_get(mdc_pool *p, const char *dbname, mdc_conn **out, mdc_error *err)
{
	mdc_error_clear(err);
	if (!p || !out)
		return mdc_error_set(err, EINVAL, "pool: missing argument");
	*out = NULL;
	const char *db = (dbname && *dbname) ? dbname : mdc_config_dbname(p->cfg);
	int queue_s = mdc_config_queue_timeout(p->cfg);
	int connect_s = mdc_config_connect_timeout(p->cfg);
	/* Queueing for a busy connection is bounded by queue_timeout; retrying a
	 * refused (53300) connect with nothing to queue for, by connect_timeout. */
	struct timespec queue_deadline = deadline_in(queue_s);
	struct timespec connect_deadline = deadline_in(connect_s);

	char *dbcopy = strdup(db);
	if (!dbcopy)
		return mdc_error_set(err, ENOMEM, "out of memory");

	int rc = 0;
	pthread_mutex_lock(&p->mu);
	unsigned fail_seq = p->fail_seq;
	for (;;) {
		/* Someone else's connect failed while we queued: so would ours. */
		if (p->fail_seq != fail_seq) {
			if (err)
				*err = p->fail;
			rc = p->fail.errnum ? -p->fail.errnum : -EIO;
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if (p->limit < p->size && mdc_now_ms() >= p->limit_until)
			p->limit = p->size; /* try to grow again; a 53300 lowers it back */
		int found = -1, free_slot = -1, steal = -1;
		for (int i = 0; i < p->size; i++) {
			struct slot *s = &p->slots[i];
			if (slot_matches(p, s, db)) {
				found = i;
				break;
			}
			if (s->state == SLOT_FREE && free_slot < 0)
				free_slot = i;
			if (s->state == SLOT_IDLE && steal < 0)
				steal = i;
		}

		if (found >= 0) {
			struct slot *s = &p->slots[found];
			s->state = SLOT_BUSY;
			pthread_mutex_unlock(&p->mu);
			/* A server that closed the connection while it was idle (an
			 * idle timeout, a restart) has sent FATAL and closed the
			 * socket: reading what is there (never blocks) and parsing
			 * it turns that into a dead connection now rather than in
			 * the borrower's next query. */
			PGconn *pg = mdc_conn_pg(s->conn);
			if (PQconsumeInput(pg))
				(void)PQisBusy(pg); /* parses: a FATAL marks the conn dead */
			if (mdc_conn_is_ok(s->conn)) {
				*out = s->conn;
				break;
			}
			/* Replace it, quietly: the other idle ones are checked the
			 * same way when their turn comes. */
			mdc_log(LOG_INFO, "pool: an idle connection was closed by the server; replacing it");
			mdc_conn_close(s->conn);
			pthread_mutex_lock(&p->mu);
			slot_clear(s);
			pthread_cond_broadcast(&p->cv);
			continue;
		}

		if (free_slot >= 0 && live_count(p) >= p->limit)
			free_slot = -1; /* the endpoint allows no more: queue (or steal) */
		int use = free_slot >= 0 ? free_slot : steal;
		if (use >= 0) {
			struct slot *s = &p->slots[use];
			mdc_conn *old = s->state == SLOT_IDLE ? s->conn : NULL;
			free(s->db);
			s->db = strdup(dbcopy);
			s->conn = NULL;
			s->state = SLOT_RESERVED;
			/* A workspace (or md:): connect to the source's database; any
			 * connection reads them all. */
			int shared = (p->d && !p->d->one_db_per_conn) ||
				     mdc_config_is_motherduck(p->cfg);
			pthread_mutex_unlock(&p->mu);

			if (old) {
				mdc_log(LOG_DEBUG, "pool: closing an idle connection to make room");
				mdc_conn_close(old);
			}
			mdc_conn *c = NULL;
			mdc_error cerr;
			rc = s->db ? mdc_connect(p->cfg, shared ? NULL : s->db, &c, &cerr)
				   : mdc_error_set(&cerr, ENOMEM, "out of memory");

			pthread_mutex_lock(&p->mu);
			if (rc < 0 && strcmp(cerr.sqlstate, "53300") == 0) {
				/* Too many connections: work with the ones we have. */
				slot_clear(s);
				int have = live_count(p);
				p->limit = have > 0 ? have : 1; /* with none, retry one at a time */
				p->limit_until = mdc_now_ms() + REGROW_MS;
				if (!p->limit_logged) {
					p->limit_logged = true;
					mdc_log(LOG_NOTICE, "the endpoint allows fewer connections than "
						"connections=%d (%s); working with %d", p->size,
						cerr.message, have);
				}
				pthread_cond_broadcast(&p->cv);
				if (have > 0) {
					rc = 0;
					continue; /* queue for one of them */
				}
				/* None of ours to wait for (another client holds them):
				 * retry until connect_timeout. */
				int w = wait_slice(p, &connect_deadline);
				if (w < 0) {
					pthread_mutex_unlock(&p->mu);
					if (w == -EINTR)
						rc = mdc_error_set(err, EINTR, "pool: interrupted");
					else if (err)
						*err = cerr;
					mdc_log(LOG_ERR, "%s", cerr.message);
					break;
				}
				rc = 0;
				continue;
			}
			if (rc < 0) {
				slot_clear(s);
				if (rc == -EIO || rc == -ETIMEDOUT) { /* the endpoint, not this db */
					p->fail = cerr;
					p->fail_seq++;
				}
				pthread_cond_broadcast(&p->cv);
				pthread_mutex_unlock(&p->mu);
				if (err)
					*err = cerr;
				break;
			}
			s->conn = c;
			s->gen = p->gen;
			s->state = SLOT_BUSY;
			if (!p->d)
				p->d = mdc_conn_impl(c);
			pthread_mutex_unlock(&p->mu);
			*out = c;
			break;
		}

		/* Every connection is busy or being (dis)connected: queue. */
		int w = wait_slice(p, &queue_deadline);
		if (w < 0) {
			pthread_mutex_unlock(&p->mu);
			if (w == -EINTR) {
				rc = mdc_error_set(err, EINTR, "pool: interrupted while waiting for a connection");
				mdc_log(LOG_INFO, "%s", err ? err->message : "pool: interrupted");
			} else {
				rc = mdc_error_set(err, ETIMEDOUT,
						   "pool: every connection stayed busy for %d s (queue_timeout)",
						   queue_s);
				mdc_log(LOG_WARNING, "%s", err ? err->message : "pool: timed out");
			}
			break;
		}
	}
	free(dbcopy);
	return rc;
}

void mdc_pool_put(mdc_pool *p, mdc_conn *c, bool broken)
{
	if (!c)
		return;
	if (!p) {
		mdc_conn_close(c);
		return;
	}
	int idx = -1;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->size; i++)
		if (p->slots[i].state == SLOT_BUSY && p->slots[i].conn == c)
			idx = i;
	pthread_mutex_unlock(&p->mu);
	if (idx < 0) {
		mdc_log(LOG_WARNING, "pool: returned connection is not from this pool; closing it");
		mdc_conn_close(c);
		return;
	}

	/* The slot is BUSY and ours: inspect the connection without the mutex. */
	PGconn *pg = mdc_conn_pg(c);
	bool dead = !mdc_conn_is_ok(c);
	bool busy = !dead && (PQisBusy(pg) || PQtransactionStatus(pg) != PQTRANS_IDLE);
	struct slot *s = &p->slots[idx];

	if (broken || dead || busy) {
		if (busy && !broken)
			mdc_log(LOG_WARNING, "pool: connection returned inside a transaction or "
				"query; closing it");
		mdc_conn_close(c);
	}

	int *victims = NULL, n = 0;
	pthread_mutex_lock(&p->mu);
	if (broken || dead || busy) {
		slot_clear(s);
		/* Only a dead connection says the endpoint may have gone away; one
		 * given up mid-query (a cancel the server ignored) says nothing
		 * about the others. */
		if (dead) {
			victims = malloc((size_t)p->size * sizeof *victims);
			if (victims) {
				n = bump_generation(p, victims);
			} else {
				p->gen++; /* the stale idle ones are skipped by slot_matches */
			}
		}
	} else if (s->gen != p->gen) {
		s->state = SLOT_RESERVED; /* older generation: close it below */
		victims = malloc(sizeof *victims);
		if (victims) {
			victims[0] = idx;
			n = 1;
		} else {
			s->state = SLOT_IDLE; /* never matched again; reclaimed as "steal" */
		}
	} else {
		s->state = SLOT_IDLE;
	}
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	close_victims(p, victims ? victims : &idx, n);
	free(victims);
}
