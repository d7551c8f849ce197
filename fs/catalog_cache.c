/* fs/catalog_cache.c - cached directory listings (see catalog_cache.h). */
#include "fs/catalog_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/backend.h"
#include "fs/names.h"
#include "fs/paths.h"
#include "mdclient/catalog.h"
#include "mdclient/clock.h"

struct mdfs_cache {
	mdc_pool *pool;
	double timeout;
	char *only_db;
	int csv, parquet, sql;  /* which files a relation shows */
	struct mdfs_registry dirs; /* few directories are live at once */
};

/* A key no two directories share: names may hold any byte but NUL. */
static char *dir_key(const char *db, const char *schema)
{
	size_t ld = db ? strlen(db) : 0, ls = schema ? strlen(schema) : 0;
	char *k = malloc(ld + ls + 32);
	if (!k)
		return NULL;
	if (!db)
		strcpy(k, "R");
	else if (!schema)
		sprintf(k, "D%s", db);
	else
		sprintf(k, "S%zu:%s%s", ld, db, schema);
	return k;
}

static void dir_free(struct mdfs_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->ents[i].fname);
		free(d->ents[i].name);
	}
	free(d->ents);
	mdc_rel_list_free(&d->rels);
	mdfs_reg_entry_fini(&d->ent);
	free(d);
}

static void dir_destroy(struct mdfs_reg_entry *e)
{
	dir_free(mdfs_reg_of(e, struct mdfs_dir, ent));
}

struct mdfs_cache *mdfs_cache_new(mdc_pool *pool, int timeout_s, const char *only_db,
				  int csv, int parquet, int sql)
{
	struct mdfs_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->pool = pool;
	c->csv = csv;
	c->parquet = parquet;
	c->sql = sql;
	c->timeout = timeout_s;
	if (only_db && !(c->only_db = strdup(only_db))) {
		free(c);
		return NULL;
	}
	mdfs_reg_init(&c->dirs, dir_destroy);
	return c;
}

void mdfs_cache_free(struct mdfs_cache *c)
{
	if (!c)
		return;
	mdfs_reg_fini(&c->dirs);
	free(c->only_db);
	free(c);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct mdfs_entry *)a)->fname, ((const struct mdfs_entry *)b)->fname);
}

/* Append one entry; fname = encode(name) + suffix; rel: its catalog row. */
static int add_entry(struct mdfs_dir *d, const char *name, const char *suffix,
		     enum mdfs_entry_kind kind, int64_t est_rows, const mdc_rel *rel)
{
	char *enc = mdfs_name_encode(name);
	if (!enc)
		return -ENOMEM;
	size_t le = strlen(enc), ls = strlen(suffix);
	char *fname = malloc(le + ls + 1);
	char *dup = strdup(name);
	if (!fname || !dup) {
		free(enc), free(fname), free(dup);
		return -ENOMEM;
	}
	memcpy(fname, enc, le);
	memcpy(fname + le, suffix, ls + 1);
	free(enc);
	off_t size = 0;
	if (rel && strcmp(suffix, MDFS_SQL_SUFFIX) == 0)
		size = (off_t)strlen(rel->definition) + 1; /* and a newline */
	d->ents[d->n++] = (struct mdfs_entry){ fname, dup, kind, est_rows, size, rel };
	return 0;
}

struct fetch_args {
	const char *db, *schema;
	struct mdfs_dir *dir;
	int csv, parquet, sql;
};

static int fetch_names(struct mdfs_dir *d, mdc_name_list *l)
{
	d->ents = calloc(l->n ? l->n : 1, sizeof *d->ents);
	if (!d->ents)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		int rc = add_entry(d, l->names[i], "", MDFS_ENT_DIR, -1, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int fetch_cb(mdc_conn *conn, void *arg, mdc_error *err)
{
	struct fetch_args *a = arg;
	struct mdfs_dir *d = a->dir;
	int rc;

	if (!a->schema) {
		mdc_name_list l = { 0 };
		rc = a->db ? mdc_list_schemas(conn, a->db, &l, err) : mdc_list_databases(conn, &l, err);
		if (rc == 0)
			rc = fetch_names(d, &l);
		mdc_name_list_free(&l);
		return rc;
	}
	/* The listing keeps the catalog rows: the entries point into them. */
	mdc_rel_list *l = &d->rels;
	rc = mdc_list_relations(conn, a->db, a->schema, l, err);
	if (rc == 0) {
		d->ents = calloc(l->n ? 3 * l->n : 1, sizeof *d->ents);
		if (!d->ents)
			rc = -ENOMEM;
		for (size_t i = 0; rc == 0 && i < l->n; i++) {
			const mdc_rel *r = &l->rels[i];
			enum mdfs_entry_kind k = r->kind == MDC_REL_VIEW ? MDFS_ENT_VIEW : MDFS_ENT_TABLE;
			if (a->csv)
				rc = add_entry(d, r->name, MDFS_CSV_SUFFIX, k, r->est_rows, r);
			if (rc == 0 && a->parquet)
				rc = add_entry(d, r->name, MDFS_PARQUET_SUFFIX, k, r->est_rows, r);
			if (rc == 0 && a->sql && r->definition)
				rc = add_entry(d, r->name, MDFS_SQL_SUFFIX, k, r->est_rows, r);
		}
	}
	return rc;
}

static struct mdfs_dir *fetch(struct mdfs_cache *c, const char *db, const char *schema, int *rcp)
{
	struct mdfs_dir *d = calloc(1, sizeof *d);
	if (!d) {
		*rcp = -ENOMEM;
		return NULL;
	}
	int rc;
	if (!db && c->only_db) {
		/* A single-database source: the root is that database, no query. */
		rc = (d->ents = calloc(1, sizeof *d->ents)) ? add_entry(d, c->only_db, "", MDFS_ENT_DIR, -1, NULL)
							    : -ENOMEM;
	} else {
		struct fetch_args a = { db, schema, d, c->csv, c->parquet, c->sql };
		rc = mdfs_with_conn(c->pool, db, !db ? "list databases" : !schema ? "list schemas" : "list tables",
				    fetch_cb, &a, NULL);
	}
	if (rc < 0) {
		dir_free(d);
		*rcp = rc;
		return NULL;
	}
	qsort(d->ents, d->n, sizeof *d->ents, cmp_ent);
	return d;
}

struct freshness {
	double now, timeout;
};

/* Under the registry's lock: fetched never changes once listed. */
static bool is_fresh(const struct mdfs_reg_entry *e, const void *ud)
{
	const struct freshness *f = ud;
	return f->now - mdfs_reg_of(e, const struct mdfs_dir, ent)->fetched < f->timeout;
}

int mdfs_cache_get(struct mdfs_cache *c, const char *db, const char *schema, struct mdfs_dir **out)
{
	char *key = dir_key(db, schema);
	if (!key)
		return -ENOMEM;

	struct freshness f = { mdc_now_s(), c->timeout };
	struct mdfs_reg_entry *e = mdfs_reg_find(&c->dirs, key, is_fresh, &f);
	if (e) {
		free(key);
		*out = mdfs_reg_of(e, struct mdfs_dir, ent);
		return 0;
	}

	/* Not cached (or stale): query without holding any lock. Two threads may
	 * both fetch the same directory; the later one replaces the other. */
	int rc = 0;
	struct mdfs_dir *fresh = fetch(c, db, schema, &rc);
	if (fresh && (rc = mdfs_reg_entry_init(&fresh->ent, key)) < 0) {
		dir_free(fresh);
		fresh = NULL;
	}
	free(key);
	if (!fresh)
		return mdfs_fuse_errno(rc);
	fresh->fetched = mdc_now_s();
	mdfs_reg_replace(&c->dirs, &fresh->ent);
	*out = fresh; /* the reference mdfs_reg_entry_init gave */
	return 0;
}

void mdfs_dir_put(struct mdfs_cache *c, struct mdfs_dir *d)
{
	if (d)
		mdfs_reg_put(&c->dirs, &d->ent);
}

const struct mdfs_entry *mdfs_dir_find(const struct mdfs_dir *d, const char *fname)
{
	struct mdfs_entry key = { .fname = (char *)fname };
	return bsearch(&key, d->ents, d->n, sizeof *d->ents, cmp_ent);
}

char *mdfs_entry_sql_text(const struct mdfs_entry *e)
{
	size_t n = e->rel && e->rel->definition ? strlen(e->rel->definition) : 0;
	char *t = malloc(n + 2);
	if (t) {
		memcpy(t, e->rel ? e->rel->definition : "", n);
		memcpy(t + n, "\n", 2);
	}
	return t;
}

void mdfs_cache_invalidate(struct mdfs_cache *c, const char *db, const char *schema)
{
	char *key = dir_key(db, schema);
	if (!key)
		return;
	struct mdfs_reg_entry *e;
	while ((e = mdfs_reg_find(&c->dirs, key, NULL, NULL))) {
		(void)mdfs_reg_unlist(&c->dirs, e);
		mdfs_reg_put(&c->dirs, e);
	}
	free(key);
}
