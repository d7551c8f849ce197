/* fs/views.c - a view written as a file (see views.h). */
#include "fs/views.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
#include "fs/names.h"
#include "fs/paths.h"
#include "mdclient/ddl.h"

struct view_args {
	const char *db, *schema, *name, *text;
	size_t len;
};

static int define_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct view_args *a = arg;
	return mdc_define_view(c, a->db, a->schema, a->name, a->text, a->len, err);
}

/* Is text (len bytes) view db.schema.name's definition as listed, with or
 * without its final newline? Then writing it back changes nothing. */
static bool unchanged(struct mdfs *m, const char *db, const char *schema, const char *name,
		      const char *text, size_t len)
{
	char *enc = mdfs_name_encode(name), *fname = NULL;
	if (!enc || asprintf(&fname, "%s%s", enc, MDFS_SQL_SUFFIX) < 0)
		fname = NULL;
	free(enc);
	struct mdfs_dir *d;
	if (!fname || mdfs_cache_get(m->cache, db, schema, &d) < 0) {
		free(fname);
		return false;
	}
	const struct mdfs_entry *e = mdfs_dir_find(d, fname);
	free(fname);
	bool same = false;
	if (e && e->rel && e->rel->kind == MDC_REL_VIEW && e->rel->definition) {
		size_t n = strlen(e->rel->definition);
		same = (len == n || (len == n + 1 && text[n] == '\n')) &&
		       memcmp(text, e->rel->definition, n) == 0;
	}
	mdfs_dir_put(m->cache, d);
	return same;
}

int mdfs_view_define(struct mdfs *m, int fd, const char *db, const char *schema, const char *name,
		     mdc_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return mdc_error_set(err, errno, "view: %s", strerror(errno));
	if ((size_t)st.st_size > MDFS_VIEW_MAX)
		return mdc_error_set(err, EFBIG, "a view definition of more than %zu bytes",
				     MDFS_VIEW_MAX);
	size_t len = (size_t)st.st_size;
	if (len == 0) /* bash's > closes its copy before the program writes: no connection for that */
		return mdc_error_set(err, EINVAL, "no query: the file is empty");
	char *text = malloc(len + 1);
	if (!text)
		return mdc_error_set(err, ENOMEM, "out of memory");
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, text + got, len - got, (off_t)got);
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(text);
			return mdc_error_set(err, e, "view: reading the spool: %s", strerror(e));
		}
		got += (size_t)n;
	}
	text[len] = '\0';
	/* What was read, written back: nothing to do (a CREATE OR REPLACE
	 * could lose what the engine keeps only with the old view, e.g. its
	 * comment on DuckDB). */
	if (unchanged(m, db, schema, name, text, len)) {
		free(text);
		return 0;
	}
	struct view_args a = { db, schema, name, text, len };
	int rc = mdfs_with_conn(m->pool, db, "define view", define_cb, &a, err);
	free(text);
	return rc;
}
