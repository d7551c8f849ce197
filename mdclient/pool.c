/* mdclient/pool.c - a bounded, thread-safe connection pool. See pool.h.
 *
 * The pool is an array of `size` slots. A slot is FREE (no connection),
 * RESERVED (a connection is being made or closed for it, outside the mutex),
 * IDLE or BUSY. At most `size` connections therefore exist at any time. The
 * mutex is never held while connecting or closing. */
#include "mdclient/pool.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdclient/log.h"

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
	int dialect;            /* 0 until the first connection */
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

int mdc_pool_dialect(const mdc_pool *p)
{
	mdc_pool *mp = (mdc_pool *)p; /* locking does not change the logical state */
	pthread_mutex_lock(&mp->mu);
	int d = mp->dialect;
	pthread_mutex_unlock(&mp->mu);
	return d;
}

/* Under the mutex: does this idle slot serve db? */
static int slot_matches(const mdc_pool *p, const struct slot *s, const char *db)
{
	if (s->state != SLOT_IDLE || s->gen != p->gen)
		return 0;
	if (p->dialect == MDC_DIALECT_DUCKDB)
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
	mdc_log(LOG_NOTICE, "connection pool: new generation %u, %d idle connection(s) dropped",
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

int mdc_pool_get(mdc_pool *p, const char *dbname, mdc_conn **out, mdc_error *err)
{
	mdc_error_clear(err);
	if (!p || !out)
		return mdc_error_set(err, EINVAL, "pool: missing argument");
	*out = NULL;
	const char *db = (dbname && *dbname) ? dbname : mdc_config_dbname(p->cfg);
	int timeout_s = mdc_config_connect_timeout(p->cfg);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;

	int *victims = malloc((size_t)p->size * sizeof *victims);
	if (!victims)
		return mdc_error_set(err, ENOMEM, "out of memory");
	char *dbcopy = strdup(db);
	if (!dbcopy) {
		free(victims);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}

	int rc = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
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
			/* A server that went away has closed the socket: reading what is
			 * there (never blocks) (and parsing it) turns that into a dead
			 * connection now rather than in the borrower's next query. */
			PGconn *pg = mdc_conn_pg(s->conn);
			if (PQconsumeInput(pg))
				(void)PQisBusy(pg); /* parses: a FATAL marks the conn dead */
			if (mdc_conn_is_ok(s->conn)) {
				*out = s->conn;
				break;
			}
			/* Found dead while idle: the endpoint probably went away. */
			mdc_log(LOG_WARNING, "pool: idle connection found dead, reconnecting");
			mdc_conn_close(s->conn);
			pthread_mutex_lock(&p->mu);
			slot_clear(s);
			int n = bump_generation(p, victims);
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			close_victims(p, victims, n);
			pthread_mutex_lock(&p->mu);
			continue;
		}

		int use = free_slot >= 0 ? free_slot : steal;
		if (use >= 0) {
			struct slot *s = &p->slots[use];
			mdc_conn *old = s->state == SLOT_IDLE ? s->conn : NULL;
			free(s->db);
			s->db = dbcopy;
			dbcopy = NULL;
			s->conn = NULL;
			s->state = SLOT_RESERVED;
			/* DuckDB (or md:): connect to the source's database; any reads all. */
			int shared = p->dialect == MDC_DIALECT_DUCKDB ||
				     mdc_config_is_motherduck(p->cfg);
			pthread_mutex_unlock(&p->mu);

			if (old) {
				mdc_log(LOG_DEBUG, "pool: closing an idle connection to make room");
				mdc_conn_close(old);
			}
			mdc_conn *c = NULL;
			rc = mdc_connect(p->cfg, shared ? NULL : s->db, &c, err);

			pthread_mutex_lock(&p->mu);
			if (rc < 0) {
				slot_clear(s);
				pthread_cond_broadcast(&p->cv);
				pthread_mutex_unlock(&p->mu);
				break;
			}
			s->conn = c;
			s->gen = p->gen;
			s->state = SLOT_BUSY;
			if (!p->dialect)
				p->dialect = mdc_conn_dialect(c);
			pthread_mutex_unlock(&p->mu);
			*out = c;
			break;
		}

		/* Every slot is busy or being (dis)connected: wait, bounded. */
		int w = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
		if (w == ETIMEDOUT) {
			pthread_mutex_unlock(&p->mu);
			rc = mdc_error_set(err, ETIMEDOUT,
					   "pool: all %d connections busy for %d s", p->size, timeout_s);
			mdc_log(LOG_WARNING, "%s", err ? err->message : "pool: timed out");
			break;
		}
	}
	free(dbcopy);
	free(victims);
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
		if (broken || dead) {
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
