/* fs/ops.c - the FUSE callbacks: paths in, catalog listings and CSV streams
 * out. Handlers return -errno.
 *
 * Tree: /                       databases
 *       /<db>                   schemas
 *       /<db>/<schema>          relations as <name>.csv
 * Names are encoded by fs/names.h. Until loading lands every write is EROFS.
 */
#include "fs/mdfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs/csv_file.h"
#include "fs/names.h"
#include "fs/open_files.h"
#include "mdclient/log.h"

#define CSV_SUFFIX ".csv"

static struct mdfs *ctx(void)
{
	return fuse_get_context()->private_data;
}

/* A path split into decoded catalog names. depth 0 = root ... 3 = relation file. */
struct mdfs_path {
	int depth;
	char *db, *schema, *rel;
	char *fname[3];          /* the raw (encoded) components */
};

static void path_free(struct mdfs_path *p)
{
	free(p->db), free(p->schema), free(p->rel);
	for (int i = 0; i < 3; i++)
		free(p->fname[i]);
	memset(p, 0, sizeof *p);
}

static int path_parse(const char *path, struct mdfs_path *p)
{
	memset(p, 0, sizeof *p);
	const char *s = path;
	while (*s == '/')
		s++;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (p->depth == 3)
			goto noent;
		if (!(p->fname[p->depth] = strndup(s, len)))
			goto nomem;
		size_t dlen = len;
		if (p->depth == 2) {
			size_t sl = strlen(CSV_SUFFIX);
			if (len <= sl || memcmp(s + len - sl, CSV_SUFFIX, sl) != 0)
				goto noent;
			dlen = len - sl;
		}
		char *name = mdfs_name_decode(s, dlen);
		if (!name) {
			if (errno == ENOMEM)
				goto nomem;
			goto noent;
		}
		char **slot = p->depth == 0 ? &p->db : p->depth == 1 ? &p->schema : &p->rel;
		*slot = name;
		p->depth++;
		s += len;
		while (*s == '/')
			s++;
	}
	return 0;
noent:
	path_free(p);
	return -ENOENT;
nomem:
	path_free(p);
	return -ENOMEM;
}

/* Find the entry for p in its parent's listing. */
static int lookup(struct mdfs *m, const struct mdfs_path *p, struct mdfs_entry *out)
{
	struct mdfs_dir *d;
	int rc = mdfs_cache_get(m->cache, p->depth > 1 ? p->db : NULL,
				p->depth > 2 ? p->schema : NULL, &d);
	if (rc < 0)
		return rc;
	const struct mdfs_entry *e = mdfs_dir_find(d, p->fname[p->depth - 1]);
	if (e) {
		out->kind = e->kind;
		out->est_rows = e->est_rows;
	}
	mdfs_dir_put(m->cache, d);
	return e ? 0 : -ENOENT;
}

static void fill_stat(struct mdfs *m, enum mdfs_entry_kind kind, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_atime = st->st_mtime = st->st_ctime = m->mounted;
	if (kind == MDFS_ENT_DIR) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		/* Size unknown until read: 0, served with direct_io (see open);
		 * fstat() of an open file gives the exact size. */
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_blksize = 128 * 1024;
	}
}

static int mdfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.depth == 0) {
		fill_stat(m, MDFS_ENT_DIR, st);
	} else if (p.depth == 3 && fi && fi->fh) {
		/* A stat through the open file: its exact size (mdfs_csv_size). */
		off_t size = 0;
		fill_stat(m, MDFS_ENT_TABLE, st);
		rc = mdfs_csv_size(mdfs_open_file((struct mdfs_open *)(uintptr_t)fi->fh), &size);
		st->st_size = size;
	} else {
		struct mdfs_entry e;
		rc = lookup(m, &p, &e);
		if (rc == 0)
			fill_stat(m, e.kind, st);
		/* fstat() arrives here by path: the opener gets the exact size. */
		off_t size = 0;
		int orc;
		if (rc == 0 && p.depth == 3 &&
		    (orc = mdfs_open_size_for(path, fuse_get_context()->pid, &size)) != 0) {
			if (orc < 0)
				rc = orc;
			st->st_size = size;
		}
	}
	path_free(&p);
	return rc;
}

static int mdfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.depth == 3) {
		path_free(&p);
		return -ENOTDIR;
	}
	if (p.depth > 0) {
		struct mdfs_entry e;
		/* A database must be listed at the root; a schema listing itself
		 * fails with ENOENT for a missing schema (mdc_list_relations). */
		if (p.depth == 1 && (rc = lookup(m, &p, &e)) < 0)
			goto out;
	}
	struct mdfs_dir *d;
	rc = mdfs_cache_get(m->cache, p.depth >= 1 ? p.db : NULL, p.depth >= 2 ? p.schema : NULL, &d);
	if (rc < 0)
		goto out;
	struct stat st;
	fill_stat(m, MDFS_ENT_DIR, &st);
	filler(buf, ".", &st, 0, FUSE_FILL_DIR_PLUS);
	filler(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < d->n; i++) {
		fill_stat(m, d->ents[i].kind, &st);
		if (filler(buf, d->ents[i].fname, &st, 0, FUSE_FILL_DIR_PLUS))
			break;
	}
	mdfs_dir_put(m->cache, d);
out:
	path_free(&p);
	return rc;
}

static int mdfs_open(const char *path, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	struct mdfs_path p;
	int rc = path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.depth != 3) {
		path_free(&p);
		return -EISDIR;
	}
	struct mdfs_csv_file *f = NULL;
	rc = mdfs_csv_open(m->pool, p.db, p.schema, p.rel, m->spool_dir, m->spool_max, &f);
	path_free(&p);
	if (rc < 0)
		return rc;
	struct mdfs_open *o = mdfs_open_add(path, fuse_get_context()->pid, f);
	if (!o)
		return -ENOMEM;
	fi->fh = (uint64_t)(uintptr_t)o;
	fi->direct_io = 1;  /* size unknown: every reader reads to the real end */
	fi->keep_cache = 0;
	return 0;
}

static int mdfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct mdfs_csv_file *f = mdfs_open_file((struct mdfs_open *)(uintptr_t)fi->fh);
	ssize_t n = mdfs_csv_read(f, buf, size, off);
	return (int)n;
}

static int mdfs_release(const char *path, struct fuse_file_info *fi)
{
	mdfs_open_release((struct mdfs_open *)(uintptr_t)fi->fh);
	return 0;
}

static int mdfs_statfs(const char *path, struct statvfs *sv)
{
	memset(sv, 0, sizeof *sv);
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_namemax = 255;
	return 0;
}

static int mdfs_opendir(const char *path, struct fuse_file_info *fi)
{
	return 0;
}

/* Every change is refused until the seed loader lands. */
static int erofs_path(const char *path, mode_t mode) { return -EROFS; }
static int erofs_create(const char *path, mode_t mode, struct fuse_file_info *fi) { return -EROFS; }
static int erofs_unlink(const char *path) { return -EROFS; }
static int erofs_rename(const char *from, const char *to, unsigned int flags) { return -EROFS; }
static int erofs_link(const char *from, const char *to) { return -EROFS; }
static int erofs_truncate(const char *path, off_t size, struct fuse_file_info *fi) { return -EROFS; }
static int erofs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) { return -EROFS; }
static int erofs_chown(const char *path, uid_t u, gid_t g, struct fuse_file_info *fi) { return -EROFS; }
static int erofs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return -EROFS;
}
static int erofs_mknod(const char *path, mode_t mode, dev_t dev) { return -EROFS; }

static void *mdfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct mdfs *m = ctx();
	cfg->entry_timeout = m->opts.cache_timeout;
	/* Attributes are not cached by the kernel, so that fstat() of an open
	 * file reaches getattr (exact size). A stat costs no query: our own
	 * catalog cache answers it. */
	cfg->attr_timeout = 0;
	cfg->negative_timeout = m->opts.cache_timeout > 0 ? 1 : 0;
	cfg->kernel_cache = 0;
	cfg->use_ino = 0;
	conn->max_read = 0;
	return m;
}

const struct fuse_operations mdfs_ops = {
	.init = mdfs_init,
	.getattr = mdfs_getattr,
	.opendir = mdfs_opendir,
	.readdir = mdfs_readdir,
	.open = mdfs_open,
	.read = mdfs_read,
	.release = mdfs_release,
	.statfs = mdfs_statfs,
	.mkdir = erofs_path,
	.rmdir = erofs_unlink,
	.create = erofs_create,
	.mknod = erofs_mknod,
	.unlink = erofs_unlink,
	.rename = erofs_rename,
	.link = erofs_link,
	.symlink = erofs_link,
	.truncate = erofs_truncate,
	.chmod = erofs_chmod,
	.chown = erofs_chown,
	.utimens = erofs_utimens,
};
