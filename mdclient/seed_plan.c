/* mdclient/seed_plan.c - pass 1 of a seed load: stream the file through
 * csv_in + seed_infer for the header names (empty → a, b, …; repeats →
 * x_2, x_3), every column's type and the row count (contract in seed.h
 * and internal/seed_int.h). Knows no server. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdclient/internal/csv_in.h"
#include "mdclient/log.h"
#include "mdclient/internal/seed_int.h"

#define MAX_COLUMNS 1600
/* Pass 1 reads the second half of a file at least this big in a second
 * thread (when there is a second CPU); smaller ones are not worth a thread. */
#define SPLIT_MIN_BYTES ((int64_t)8 << 20)

char *mdc_seed_table_name(const char *filename)
{
	if (!filename)
		return NULL;
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char *r = malloc(n + 1);
	if (!r)
		return NULL;
	memcpy(r, base, n);
	r[n] = '\0';
	return r;
}

/* agate's letter_name: a..z, then aa, bb, ..., zz, aaa, ... */
static char *letter_name(size_t i)
{
	size_t reps = i / 26 + 1;
	char *r = malloc(reps + 1);
	if (!r)
		return NULL;
	memset(r, 'a' + (int)(i % 26), reps);
	r[reps] = '\0';
	return r;
}

static int name_taken(char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

int seed_plain_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '$' ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

void seed_plan_clear(seed_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->cols[i].name);
	free(p->cols);
	memset(p, 0, sizeof *p);
}

int seed_open_input(const char *path, int64_t *size, mdc_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return mdc_error_set(err, e, "cannot open %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mdc_error_set(err, EINVAL, "%s is not a regular file", path);
	}
	*size = (int64_t)st.st_size;
	return fd;
}

void seed_report(const mdc_seed_options *o, int64_t done, int64_t total, int64_t rows)
{
	if (o && o->progress)
		o->progress(o->progress_ud, done, total, rows);
}

int seed_cancelled(const mdc_seed_options *o)
{
	return o && o->cancel && *o->cancel;
}

/* ---- the second half of pass 1, in a thread ----
 *
 * The split point B is just after the first '\n' at or after the middle of
 * the file. The thread reads records from B to the end into its own
 * inference states; the main thread reads from the start and, when one of its
 * records ends exactly at B, B was a record boundary (not a newline inside a
 * quoted field): it merges the thread's states (mdc_seed_infer_merge) and is
 * done. Otherwise - a record runs across B, or the thread met anything
 * unusual (an error, a row too wide, cancel) - the thread's work is thrown
 * away and the main thread reads on to the end alone, so every error is
 * reported exactly as a single pass reports it, with its line number. */
typedef struct plan_half {
	const char *path;
	int64_t start;               /* B */
	const mdc_seed_options *o;
	size_t ncols;
	mdc_seed_col_infer *inf;     /* ncols, initialised like the plan's */
	int64_t rows;
	size_t max_record;
	int failed;                  /* not usable: the main thread reads on */
	atomic_int stop;             /* set by the main thread: give up */
	pthread_t tid;
	bool running;
} plan_half;

static void *plan_half_run(void *arg)
{
	plan_half *h = arg;
	mdc_error e;
	mdc_csv_reader *r = NULL;
	h->failed = 1;
	int fd = open(h->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (lseek(fd, (off_t)h->start, SEEK_SET) != (off_t)h->start ||
	    mdc_csv_open_fd(fd, h->o ? h->o->delimiter : 0, h->o ? h->o->max_field : 0, &r, &e) < 0)
		goto out;
	mdc_csv_mid_file(r);
	for (;;) {
		const mdc_csv_field *f;
		size_t n;
		int blank;
		if ((h->rows & 1023) == 0 && (atomic_load(&h->stop) || seed_cancelled(h->o)))
			goto out;
		int rc = mdc_csv_next(r, &f, &n, &blank, &e);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		h->rows++;
		if (n > h->ncols)
			goto out;
		size_t rec = 0;
		for (size_t i = 0; i < n; i++) {
			mdc_seed_infer_add(&h->inf[i], f[i].ptr, f[i].len);
			rec += f[i].len + 1;
		}
		if (rec > h->max_record)
			h->max_record = rec;
	}
	h->failed = 0;
out:
	mdc_csv_close(r);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Start the second half when the file is big enough, a second CPU is there
 * and a split point exists after the header (at header_end). */
static void plan_half_start(plan_half *h, const char *path, int fd, int64_t size,
			    int64_t header_end, const seed_plan *p, const mdc_seed_options *o)
{
	memset(h, 0, sizeof *h);
	if (size < SPLIT_MIN_BYTES || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	int64_t mid = size / 2 > header_end ? size / 2 : header_end;
	char win[65536];
	ssize_t k = pread(fd, win, sizeof win, (off_t)mid);
	const char *nl = k > 0 ? memchr(win, '\n', (size_t)k) : NULL;
	if (!nl || mid + (nl - win) + 1 >= size)
		return;
	h->start = mid + (nl - win) + 1;
	h->path = path;
	h->o = o;
	h->ncols = p->n;
	h->inf = malloc(p->n * sizeof *h->inf);
	if (!h->inf)
		return;
	for (size_t i = 0; i < p->n; i++)
		h->inf[i] = p->cols[i].inf;
	atomic_init(&h->stop, 0);
	if (pthread_create(&h->tid, NULL, plan_half_run, h) != 0) {
		free(h->inf);
		h->inf = NULL;
		return;
	}
	h->running = true;
}

/* Stop (when give_up) and wait for the thread. True when its half is usable. */
static bool plan_half_join(plan_half *h, bool give_up)
{
	if (!h->running)
		return false;
	if (give_up)
		atomic_store(&h->stop, 1);
	pthread_join(h->tid, NULL);
	h->running = false;
	return !give_up && !h->failed;
}

static void plan_half_free(plan_half *h)
{
	(void)plan_half_join(h, true);
	free(h->inf);
	h->inf = NULL;
}

/* The header's names, renamed as dbt does (empty → a, b, …; repeats → x_2). */
static int header_names(const mdc_csv_field *f, size_t n, char ***out, mdc_error *err)
{
	char **names = calloc(n, sizeof *names);
	if (!names)
		return mdc_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char *nm = f[i].len ? strndup(f[i].ptr, f[i].len) : letter_name(i);
		if (nm && name_taken(names, i, nm)) {
			size_t base = strlen(nm);
			char *cand = malloc(base + 24);
			for (unsigned k = 2; cand; k++) {
				snprintf(cand, base + 24, "%s_%u", nm, k);
				if (!name_taken(names, i, cand))
					break;
			}
			free(nm);
			nm = cand;
		}
		if (!nm) {
			for (size_t j = 0; j < i; j++)
				free(names[j]);
			free(names);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
		names[i] = nm;
	}
	*out = names;
	return 0;
}

static int copy_names(const mdc_column_list *given, char ***out, mdc_error *err)
{
	char **names = calloc(given->n, sizeof *names);
	for (size_t i = 0; names && i < given->n; i++) {
		if (!(names[i] = strdup(given->cols[i].name))) {
			for (size_t j = 0; j < i; j++)
				free(names[j]);
			free(names);
			names = NULL;
		}
	}
	if (!names)
		return mdc_error_set(err, ENOMEM, "out of memory");
	*out = names;
	return 0;
}

/* The first record equals the given names. */
static int equals_names(const mdc_csv_field *f, size_t n, const mdc_column_list *names)
{
	if (n != names->n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].len != strlen(names->cols[i].name) || memcmp(f[i].ptr, names->cols[i].name, f[i].len) != 0)
			return 0;
	return 1;
}

/* Pass 1 (limit 0), or its guess from the records in the first limit bytes. */
static int plan_read(const char *path, const mdc_seed_options *o, const mdc_column_list *given,
		     int64_t limit, seed_plan *p, mdc_error *err)
{
	plan_half half;
	memset(&half, 0, sizeof half);
	memset(p, 0, sizeof *p);
	int64_t size = 0;
	int fd = seed_open_input(path, &size, err);
	if (fd < 0)
		return fd;
	p->size = size;
	mdc_csv_reader *r = NULL;
	int rc = mdc_csv_open_fd(fd, o ? o->delimiter : 0, o ? o->max_field : 0, &r, err);
	if (rc < 0)
		goto out;
	const mdc_csv_field *f;
	size_t n;
	int blank;
	rc = mdc_csv_next(r, &f, &n, &blank, err);
	if (rc < 0)
		goto out;
	size_t nf = n; /* fields of the first record */
	int first_is_row = 0;
	char **names = NULL;
	if (given) {
		/* An append: the table's columns; a first line equal to them is a header. */
		if (given->n == 0 || given->n > MAX_COLUMNS) {
			rc = mdc_error_set(err, EINVAL, "the table has %zu columns", given->n);
			goto out;
		}
		p->has_header = rc == 1 && equals_names(f, nf, given);
		first_is_row = rc == 1 && !p->has_header;
		n = given->n;
		rc = copy_names(given, &names, err);
	} else {
		p->has_header = 1;
		if (rc == 0) {
			rc = mdc_error_set(err, EINVAL, "the file is empty (a seed needs at least a header line)");
			goto out;
		}
		if (n == 0) {
			rc = mdc_error_set(err, EINVAL, "the header line (line 1) is empty");
			goto out;
		}
		if (n > MAX_COLUMNS) {
			rc = mdc_error_set(err, EINVAL, "the header has %zu columns (at most %d)", n, MAX_COLUMNS);
			goto out;
		}
		rc = header_names(f, n, &names, err);
	}
	if (rc < 0)
		goto out;
	p->cols = calloc(n, sizeof *p->cols);
	if (!p->cols) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		rc = mdc_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		seed_column *c = &p->cols[i];
		c->name = names[i];
		for (size_t k = 0; o && k < o->n_column_types; k++) {
			if (o->column_types[k].column && o->column_types[k].sql_type &&
			    strcmp(o->column_types[k].column, c->name) == 0) {
				c->overridden = 1;
				c->sql_type = o->column_types[k].sql_type;
			}
		}
		mdc_seed_infer_init(&c->inf, c->overridden);
	}
	free(names);
	for (size_t k = 0; o && k < o->n_column_types; k++) {
		const char *key = o->column_types[k].column;
		if (key) {
			int found = 0;
			for (size_t i = 0; i < n; i++)
				found |= strcmp(p->cols[i].name, key) == 0;
			if (!found)
				mdc_log(LOG_WARNING, "seed %s: column_types names \"%s\", which is not a column of the file (ignored)",
					path, key);
		}
	}

	int pending_cr;
	int64_t header_end = mdc_csv_consumed(r, &pending_cr);
	if (!limit)
		plan_half_start(&half, path, fd, size, header_end, p, o);
	int64_t next_report = SEED_PROGRESS_STEP;
	for (;;) {
		if (first_is_row) {
			first_is_row = 0; /* f still holds it */
			n = nf;
		} else {
			if (seed_cancelled(o)) {
				rc = mdc_error_set(err, ECANCELED, "cancelled");
				goto out;
			}
			rc = mdc_csv_next(r, &f, &n, &blank, err);
			if (rc < 0)
				goto out;
			if (rc == 0)
				break;
		}
		p->rows++;
		if (n > p->n) {
			rc = mdc_error_set(err, EINVAL, "row %lld (line %lld) has %zu values, but the %s has %zu columns",
					   (long long)p->rows, (long long)mdc_csv_record_line(r), n,
					   given ? "table" : "header", p->n);
			goto out;
		}
		size_t rec = 0;
		for (size_t i = 0; i < n; i++) {
			mdc_seed_infer_add(&p->cols[i].inf, f[i].ptr, f[i].len);
			rec += f[i].len + 1;
		}
		if (rec > p->max_record)
			p->max_record = rec;
		if (limit && mdc_csv_bytes_read(r) >= limit)
			break;
		if (half.running) {
			int64_t at = mdc_csv_consumed(r, &pending_cr);
			if (at == half.start || (at == half.start - 1 && pending_cr)) {
				/* A record ends exactly where the thread began. */
				if (plan_half_join(&half, false)) {
					mdc_log(LOG_DEBUG, "seed %s: pass 1 read bytes %lld.. in a second thread",
						path, (long long)half.start);
					for (size_t i = 0; i < p->n; i++)
						mdc_seed_infer_merge(&p->cols[i].inf, &half.inf[i]);
					p->rows += half.rows;
					if (half.max_record > p->max_record)
						p->max_record = half.max_record;
					break;
				}
			} else if (at > half.start) {
				(void)plan_half_join(&half, true); /* B was inside a record */
			}
		}
		if (mdc_csv_bytes_read(r) >= next_report) {
			seed_report(o, mdc_csv_bytes_read(r), 2 * size, p->rows);
			next_report = mdc_csv_bytes_read(r) + SEED_PROGRESS_STEP;
		}
	}
	seed_plan_decide(p);
	seed_report(o, size, 2 * size, p->rows);
	rc = 0;
out:
	plan_half_free(&half);
	mdc_csv_close(r);
	close(fd);
	if (rc < 0)
		seed_plan_clear(p);
	return rc;
}

int seed_plan_read(const char *path, const mdc_seed_options *o, const mdc_column_list *given,
		   seed_plan *p, mdc_error *err)
{
	return plan_read(path, o, given, 0, p, err);
}

int seed_plan_guess(const char *path, const mdc_seed_options *o, int64_t limit, seed_plan *p,
		    mdc_error *err)
{
	return plan_read(path, o, NULL, limit > 0 ? limit : 1, p, err);
}

void seed_plan_decide(seed_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		seed_column *c = &p->cols[i];
		c->kind = mdc_seed_infer_kind(&c->inf);
		if (!c->overridden)
			c->sql_type = mdc_seed_infer_sql_type(&c->inf);
	}
}

bool seed_plan_same(const seed_plan *a, const seed_plan *b)
{
	if (a->n != b->n || a->has_header != b->has_header)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const seed_column *x = &a->cols[i], *y = &b->cols[i];
		if (x->kind != y->kind || strcmp(x->name, y->name) != 0 ||
		    strcmp(x->sql_type, y->sql_type) != 0)
			return false;
	}
	return true;
}

int mdc_seed_plan_file(const char *path, const mdc_seed_options *o, mdc_seed_plan *out,
		       mdc_error *err)
{
	memset(out, 0, sizeof *out);
	seed_plan p;
	int rc = seed_plan_read(path, o, NULL, &p, err);
	if (rc < 0)
		return rc;
	out->names = calloc(p.n, sizeof *out->names);
	out->sql_types = calloc(p.n, sizeof *out->sql_types);
	if (!out->names || !out->sql_types) {
		free(out->names);
		free(out->sql_types);
		out->names = out->sql_types = NULL;
		seed_plan_clear(&p);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	out->n = p.n;
	out->rows = p.rows;
	for (size_t i = 0; i < p.n; i++) {
		out->names[i] = p.cols[i].name;
		p.cols[i].name = NULL;
		out->sql_types[i] = strdup(p.cols[i].sql_type);
		if (!out->sql_types[i]) {
			seed_plan_clear(&p);
			mdc_seed_plan_free(out);
			return mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	seed_plan_clear(&p);
	return 0;
}

void mdc_seed_plan_free(mdc_seed_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->names)
			free(p->names[i]);
		if (p->sql_types)
			free(p->sql_types[i]);
	}
	free(p->names);
	free(p->sql_types);
	memset(p, 0, sizeof *p);
}

void mdc_seed_result_free(mdc_seed_result *res)
{
	if (!res)
		return;
	free(res->summary);
	memset(res, 0, sizeof *res);
}
