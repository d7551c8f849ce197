/* fs/views.c - a view written as a file (see views.h). */
#include "fs/views.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
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
	struct view_args a = { db, schema, name, text, len };
	int rc = mdfs_with_conn(m->pool, db, "define view", define_cb, &a, err);
	free(text);
	return rc;
}
