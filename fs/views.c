/* fs/views.c - a view written as a file (see views.h): the view kind of
 * written files (fs/writes.h). */
#include "fs/views.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
#include "fs/names.h"
#include "fs/paths.h"
#include "fs/spool.h"
#include "fs/writes.h"
#include "mdclient/ddl.h"
#include "mdclient/log.h"

struct view_args {
	const char *db, *schema, *name, *text;
	size_t len;
	bool may_exist;
};

static int define_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct view_args *a = arg;
	return mdc_define_view(c, a->db, a->schema, a->name, a->text, a->len, a->may_exist, err);
}

/* What the schema's listing says of view db.schema.name against text (len
 * bytes). */
enum listed { LISTED_NONE, LISTED_OTHER, LISTED_SAME };

/* LISTED_SAME: text is the view's definition as listed, with or without
 * its final newline (writing it back changes nothing); LISTED_NONE: no
 * relation has the name (nothing to keep); LISTED_OTHER otherwise, or when
 * the listing cannot be had. */
static enum listed as_listed(struct mdfs *m, const char *db, const char *schema, const char *name,
			     const char *text, size_t len)
{
	char *enc = mdfs_name_encode(name), *fname = NULL;
	if (!enc || asprintf(&fname, "%s%s", enc, MDFS_SQL_SUFFIX) < 0)
		fname = NULL;
	free(enc);
	struct mdfs_dir *d;
	if (!fname || mdfs_cache_get(m->cache, db, schema, &d) < 0) {
		free(fname);
		return LISTED_OTHER;
	}
	const struct mdfs_entry *e = mdfs_dir_find(d, fname);
	free(fname);
	enum listed l = e ? LISTED_OTHER : LISTED_NONE;
	if (e && e->rel && e->rel->kind == MDC_REL_VIEW && e->rel->definition) {
		size_t n = strlen(e->rel->definition);
		if ((len == n || (len == n + 1 && text[n] == '\n')) &&
		    memcmp(text, e->rel->definition, n) == 0)
			l = LISTED_SAME;
	}
	mdfs_dir_put(m->cache, d);
	return l;
}

/* Create or replace view db.schema.name from the text in fd, on a pooled
 * connection. 0, or -errno with err saying why (-EFBIG past MDFS_VIEW_MAX). */
static int view_define(struct mdfs *m, int fd, const char *db, const char *schema,
		       const char *name, mdc_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = mdfs_spool_read_all(fd, MDFS_VIEW_MAX, &text, &len);
	if (rc == -EFBIG)
		return mdc_error_set(err, EFBIG, "a view definition of more than %zu bytes",
				     MDFS_VIEW_MAX);
	if (rc < 0)
		return mdc_error_set(err, -rc, "view: reading the spool: %s", strerror(-rc));
	/* bash's > closes its copy before the program writes: no connection
	 * for that. What was read, written back: nothing to do (a CREATE OR
	 * REPLACE could lose what the engine keeps only with the old view,
	 * e.g. its comment on DuckDB). */
	enum listed l = len ? as_listed(m, db, schema, name, text, len) : LISTED_OTHER;
	if (len == 0) {
		rc = mdc_error_set(err, EINVAL, "no query: the file is empty");
	} else if (l != LISTED_SAME) {
		/* A name the listing does not show has nothing to keep. */
		struct view_args a = { db, schema, name, text, len, l != LISTED_NONE };
		rc = mdfs_with_conn(m->pool, db, "define view", define_cb, &a, err);
	}
	free(text);
	return rc;
}

static int view_apply(struct mdfs *m, const struct mdfs_w_target *t, mdc_error *err)
{
	int rc = view_define(m, t->fd, t->db, t->schema, t->name, err);
	if (rc == 0)
		mdc_log(LOG_NOTICE, "defined view %s", t->path);
	return rc;
}

const struct mdfs_w_kind mdfs_view_kind = {
	.suffix = MDFS_SQL_SUFFIX,
	.queries = false,
	.done = "defined",
	.apply = view_apply,
};
