/* fs/xattrs.c - relation metadata as extended attributes (see xattrs.h). */
#include "fs/xattrs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs/backend.h"
#include "fs/mdfs.h"
#include "fs/paths.h"
#include "mdclient/ddl.h"

#define PREFIX "user.mdfs."

static const char *const names[] = { PREFIX "kind", PREFIX "rows", PREFIX "columns",
				     PREFIX "comment" };
enum { X_KIND, X_ROWS, X_COLUMNS, X_COMMENT, X_N };

/* The listing entry of a relation file at path: 0 with *d (a reference:
 * mdfs_dir_put it) and *e, -ENODATA for anything that is not a relation
 * file, or -errno. p is filled (free it) when 0 is returned. */
static int relation_at(struct mdfs *m, const char *path, struct mdfs_path *p, struct mdfs_dir **d,
		       const struct mdfs_entry **e)
{
	int rc = mdfs_path_parse(path, p);
	if (rc < 0)
		return rc == -ENOENT ? -ENODATA : rc;
	if (p->depth != 3 || !p->rel) {
		mdfs_path_free(p);
		return -ENODATA;
	}
	rc = mdfs_cache_get(m->cache, p->db, p->schema, d);
	if (rc == 0 && (!(*e = mdfs_dir_find(*d, p->fname[2])) || !(*e)->rel)) {
		mdfs_dir_put(m->cache, *d);
		rc = -ENODATA;
	}
	if (rc < 0)
		mdfs_path_free(p);
	return rc == -ENOENT ? -ENODATA : rc;
}

/* Copy what (len bytes) out as getxattr/listxattr do: size 0 asks the size. */
static int give(const char *what, size_t len, char *out, size_t size)
{
	if (len > (size_t)INT32_MAX)
		return -E2BIG;
	if (size == 0)
		return (int)len;
	if (len > size)
		return -ERANGE;
	memcpy(out, what, len);
	return (int)len;
}

int mdfs_xattr_get(struct mdfs *m, const char *path, const char *name, char *value, size_t size)
{
	/* ls -l asks for security.selinux and system.posix_acl_access. Only
	 * user.* is served here: other namespaces are not supported, the
	 * answer the kernel gives for a namespace no handler takes. ls then
	 * stops asking for the rest of the mount (coreutils remembers a device
	 * that answered ENOTSUP), instead of a round trip per name per file. */
	if (strncmp(name, "user.", 5) != 0)
		return -ENOTSUP;
	if (strncmp(name, PREFIX, sizeof PREFIX - 1) != 0)
		return -ENODATA;
	int which = 0;
	while (which < X_N && strcmp(name, names[which]) != 0)
		which++;
	if (which == X_N)
		return -ENODATA;
	struct mdfs_path p;
	struct mdfs_dir *d;
	const struct mdfs_entry *e;
	int rc = relation_at(m, path, &p, &d, &e);
	if (rc < 0)
		return rc;
	const mdc_rel *r = e->rel;
	char rows[32];
	const char *v = "";
	switch (which) {
	case X_KIND:
		v = r->kind == MDC_REL_VIEW ? "view" : "table";
		break;
	case X_ROWS:
		if (r->est_rows >= 0)
			snprintf(rows, sizeof rows, "%" PRId64, r->est_rows);
		else
			strcpy(rows, "unknown");
		v = rows;
		break;
	case X_COLUMNS:
		v = r->columns ? r->columns : "";
		break;
	default:
		v = r->comment ? r->comment : "";
		break;
	}
	rc = give(v, strlen(v), value, size);
	mdfs_dir_put(m->cache, d);
	mdfs_path_free(&p);
	return rc;
}

int mdfs_xattr_list(struct mdfs *m, const char *path, char *list, size_t size)
{
	struct mdfs_path p;
	struct mdfs_dir *d;
	const struct mdfs_entry *e;
	int rc = relation_at(m, path, &p, &d, &e);
	if (rc == -ENODATA)
		return 0; /* not a relation file: none */
	if (rc < 0)
		return rc;
	mdfs_dir_put(m->cache, d);
	mdfs_path_free(&p);
	char all[128];
	size_t len = 0;
	for (int i = 0; i < X_N; i++) {
		size_t n = strlen(names[i]) + 1;
		memcpy(all + len, names[i], n);
		len += n;
	}
	return give(all, len, list, size);
}

struct comment_args {
	const char *db, *schema, *rel, *object_type, *text;
};

static int comment_cb(mdc_conn *c, void *arg, mdc_error *err)
{
	struct comment_args *a = arg;
	return mdc_set_comment(c, a->db, a->schema, a->rel, a->object_type, a->text, err);
}

int mdfs_xattr_set(struct mdfs *m, const char *path, const char *name, const char *value,
		   size_t size, int flags)
{
	if (strcmp(name, names[X_COMMENT]) != 0)
		return -ENOTSUP;
	if (m->opts.ro)
		return -EROFS;
	struct mdfs_path p;
	struct mdfs_dir *d;
	const struct mdfs_entry *e;
	int rc = relation_at(m, path, &p, &d, &e);
	if (rc == -ENODATA)
		return -ENOTSUP; /* not a relation file */
	if (rc < 0)
		return rc;
	char *object_type = e->rel->object_type ? strdup(e->rel->object_type) : NULL;
	mdfs_dir_put(m->cache, d);
	char *text = value ? strndup(value, size) : NULL;
	if (flags & XATTR_CREATE)
		rc = -EEXIST; /* every relation file has one, "" when there is no comment */
	else if (!object_type || (value && !text))
		rc = object_type ? -ENOMEM : -ENOTSUP;
	else if (text && strlen(text) != size)
		rc = -EINVAL; /* a NUL byte: no SQL string holds one */
	if (rc == 0) {
		struct comment_args a = { p.db, p.schema, p.rel, object_type, text };
		rc = mdfs_fuse_errno(mdfs_with_conn(m->pool, p.db, "comment", comment_cb, &a, NULL));
		mdfs_cache_invalidate(m->cache, p.db, p.schema);
	}
	free(text);
	free(object_type);
	mdfs_path_free(&p);
	return rc;
}
