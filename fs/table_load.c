/* fs/table_load.c - the table kind of written files (fs/writes.h):
 * "<name>.csv" in a schema directory loads as table <name> the way
 * `dbt seed --full-refresh` does (mdclient/seed.h), with the options in
 * "<name>.seed" beside it (if spooled). */
#include "fs/writes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
#include "mdclient/log.h"
#include "mdclient/seed.h"

#define CSV_SUFFIX ".csv"
#define SEED_SUFFIX ".seed"

/* Read "<name>.seed" beside the CSV (if spooled). Returns 0 or -errno with
 * the reason in err. */
static int read_sidecar(const struct mdfs_w_target *t, mdc_seed_settings *so, mdc_error *err)
{
	char *sidecar = NULL;
	size_t dirlen = strlen(t->path) - strlen(t->fname);
	int base = (int)(strlen(t->fname) - strlen(CSV_SUFFIX));
	if (asprintf(&sidecar, "%.*s%.*s%s", (int)dirlen, t->path, base, t->fname, SEED_SUFFIX) < 0)
		return mdc_error_set(err, ENOMEM, "out of memory");
	int fd = mdfs_w_spool_dup(sidecar);
	free(sidecar);
	if (fd < 0)
		return 0;

	int rc = 0, lineno = 0;
	FILE *fp = fdopen(fd, "r");
	if (!fp) {
		int e = errno;
		close(fd);
		return mdc_error_set(err, e, "%s", strerror(e));
	}
	rewind(fp);
	char line[1024];
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		mdc_error e;
		mdc_error_clear(&e);
		rc = mdc_seed_setting_parse(so, line, &e);
		if (rc == -EINVAL)
			mdc_error_set(err, EINVAL, "%.*s%s line %d: expected delimiter=X, quote_columns=true|false, "
				      "full_refresh=true|false or column_type.NAME=TYPE", base, t->fname,
				      SEED_SUFFIX, lineno);
		else if (rc)
			mdc_error_set(err, -rc, "%s", strerror(-rc));
		if (rc)
			break;
	}
	fclose(fp);
	if (rc)
		mdc_log(LOG_ERR, "load %s: %s", t->path, err->message);
	return rc;
}

struct load_args {
	const struct mdfs_w_target *t;
	const mdc_seed_options *o;
	mdc_seed_result res;
	char path[64];
};

static int load_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct load_args *a = arg;
	mdc_seed_result_free(&a->res);
	return mdc_seed_load(c, a->t->db, a->t->schema, a->t->name, a->path, a->o, &a->res, err);
}

static int table_load(struct mdfs *m, const struct mdfs_w_target *t, mdc_error *err)
{
	mdc_seed_settings so;
	mdc_seed_options o;
	memset(&so, 0, sizeof so);
	memset(&o, 0, sizeof o);
	int rc = read_sidecar(t, &so, err);
	if (rc == 0) {
		mdc_seed_settings_apply(&so, &o);
		o.append = t->append;
		struct load_args a = { .t = t, .o = &o };
		snprintf(a.path, sizeof a.path, "/proc/self/fd/%d", t->fd);
		char what[256];
		snprintf(what, sizeof what, "load %.240s", t->path);
		rc = mdfs_with_conn(m->pool, t->db, what, load_cb, &a, err);
		if (rc == 0)
			mdc_log(LOG_NOTICE, "loaded %s (%s)", t->path, a.res.summary ? a.res.summary : "");
		mdc_seed_result_free(&a.res);
	}
	mdc_seed_settings_free(&so);
	return rc;
}

const struct mdfs_w_kind mdfs_table_kind = {
	.suffix = CSV_SUFFIX,
	.queries = false,
	.done = "loaded",
	.apply = table_load,
};
