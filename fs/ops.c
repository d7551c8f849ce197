/* fs/ops.c - the FUSE callbacks: paths in (fs/paths.h), catalog listings
 * and open files (fs/handles.h) out. Handlers return -errno.
 *
 * Each relation shows as <name>.csv (streamed, fs/csv_file.h),
 * <name>.parquet (produced on open, fs/parquet_file.h) and <name>.sql (its
 * definition, from the listing), as -o formats says, each with the
 * relation's extended attributes (fs/xattrs.h).
 * Writing "<name>.csv" loads a table, writing "<name>.sql" defines a view
 * (fs/writes.h); other names written there live in the spool only; mkdir
 * and rm make DDL (fs/backend.h). With -o ro every change is EROFS.
 */
#include "fs/mdfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "fs/backend.h"
#include "fs/csv_file.h"
#include "fs/ghosts.h"
#include "fs/handles.h"
#include "fs/paths.h"
#include "fs/parquet_file.h"
#include "fs/queries.h"
#include "fs/writes.h"
#include "fs/xattrs.h"
#include "mdclient/log.h"
#include "mdclient/str.h"

static struct mdfs *ctx(void)
{
	return fuse_get_context()->private_data;
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
		out->size = e->size;
	}
	mdfs_dir_put(m->cache, d);
	return e ? 0 : -ENOENT;
}

/* lookup(), asking the server again when the cached listing lacks the name:
 * a table created elsewhere since the listing (then appended to with >>)
 * must not look missing. One catalog query, only on a miss. */
static int lookup_fresh(struct mdfs *m, const struct mdfs_path *p, struct mdfs_entry *out)
{
	int rc = lookup(m, p, out);
	if (rc == -ENOENT && p->depth == 3) {
		mdfs_cache_invalidate(m->cache, p->db, p->schema);
		rc = lookup(m, p, out);
	}
	return rc;
}

/* A relation's .sql text, from its parent's listing: 0 and *text (malloc'd), or -errno. */
static int sql_text(struct mdfs *m, const struct mdfs_path *p, char **text)
{
	struct mdfs_dir *d;
	int rc = mdfs_cache_get(m->cache, p->db, p->schema, &d);
	if (rc < 0)
		return rc;
	const struct mdfs_entry *e = mdfs_dir_find(d, p->fname[2]);
	rc = !e || !e->rel ? -ENOENT : (*text = mdfs_entry_sql_text(e)) ? 0 : -ENOMEM;
	mdfs_dir_put(m->cache, d);
	return rc;
}

/* The kernel caches attributes for cache_timeout (warm `ls -l` is answered
 * without us), so whatever changes a path's attributes forgets them here, and
 * an answer that may change while the file is open (an open table file's
 * size: 0 until known, fs/csv_file.h) is not cached at all: forgetting them
 * while the request is in flight makes the kernel drop our reply's
 * attributes (they are older than the forgetting) and still hand it to the
 * caller. So every fstat of an opener reaches the daemon. */
static void forget_attrs(const char *path)
{
	(void)fuse_invalidate_path(fuse_get_context()->fuse, path); /* -ENOENT: not cached */
}

/* A write or a load changes path and may make or remove its NAME.csv.error. */
static void forget_written(const char *path)
{
	char err[4096];
	forget_attrs(path);
	int n = snprintf(err, sizeof err, "%s.error", path);
	if (n > 0 && (size_t)n < sizeof err)
		forget_attrs(err);
}

/* Modes that mean what they show (the mount uses default_permissions): on
 * a writable mount, database and schema directories (mkdir, create), a
 * table's CSV file (replaced whole), a view's .sql file (its definition)
 * and a ghost (written again) are writable by the mounting user; the root,
 * a view's CSV, Parquet files, a table's .sql and everything under -o ro
 * are read-only.
 * depth: of the entry (1 database, 2 schema, 3 file); fname: its name. */
static void fill_stat(struct mdfs *m, enum mdfs_entry_kind kind, int depth, const char *fname,
		      struct stat *st)
{
	bool writable = !m->opts.ro &&
		(kind == MDFS_ENT_DIR ? depth == 1 || depth == 2
		 : kind == MDFS_ENT_TABLE ? mdc_has_suffix(fname, ".csv")
		 : kind == MDFS_ENT_VIEW ? mdc_has_suffix(fname, ".sql")
		 : kind == MDFS_ENT_GHOST);
	memset(st, 0, sizeof *st);
	st->st_uid = m->uid;
	st->st_gid = m->gid;
	st->st_atime = st->st_mtime = st->st_ctime = m->mounted;
	if (kind == MDFS_ENT_DIR) {
		st->st_mode = S_IFDIR | (writable ? 0755 : 0555);
		st->st_nlink = 2;
	} else {
		/* Size unknown until read: 0, served with direct_io (see open);
		 * fstat() of an open file asks the handle (fs/csv_file.h). */
		st->st_mode = S_IFREG | (writable ? 0644 : 0444);
		st->st_nlink = 1;
		st->st_blksize = 128 * 1024;
	}
}

/* A name the kernel may still remember after mdfs dropped it (fs/ghosts.h):
 * 0 and an empty writable file's attributes, or -ENOENT. */
static int ghost_stat(struct mdfs *m, const char *path, struct stat *st)
{
	if (!mdfs_ghost_seen(path, m->opts.cache_timeout))
		return -ENOENT;
	fill_stat(m, MDFS_ENT_GHOST, 3, NULL, st);
	return 0;
}

static int mdfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = mdfs_path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.queries) {
		/* Query files change as they are written and checked, and their
		 * results' sizes as they are read: the kernel keeps none of it. */
		rc = mdfs_queries_getattr(m, &p, path, fi, st);
		if (rc == -ENOENT)
			rc = ghost_stat(m, path, st);
		forget_attrs(path);
	} else if (p.depth == 0) {
		fill_stat(m, MDFS_ENT_DIR, 0, NULL, st);
	} else if (p.depth == 3 && mdfs_w_getattr(m, path, st) == 0) {
		/* a file being written, or an error file: it changes as it is
		 * written and loaded, so the kernel keeps none of it */
		forget_attrs(path);
	} else {
		/* fstat() arrives here by path: the opener gets its open file's
		 * size (handles.h); anyone else a produced Parquet file's, else 0.
		 * The open file is asked before the catalog: it proves the table
		 * exists, and a reader that holds a pooled connection must not
		 * queue for another one (with every connection held by such
		 * readers, none would ever come free). */
		off_t size = 0;
		int src = p.depth == 3 ? mdfs_handle_size(fi, path, fuse_get_context()->pid, &size) : 0;
		if (src != 0) {
			fill_stat(m, MDFS_ENT_TABLE, p.depth, p.fname[p.depth - 1], st);
			rc = src < 0 ? src : 0;
		} else {
			struct mdfs_entry e;
			if ((rc = lookup(m, &p, &e)) == 0) {
				fill_stat(m, e.kind, p.depth, p.fname[p.depth - 1], st);
				size = p.depth == 3 && p.fmt == MDFS_FMT_PARQUET
				       ? mdfs_parquet_known_size(path) : e.size;
			} else if (rc == -ENOENT && p.depth == 3) {
				rc = ghost_stat(m, path, st);
			}
		}
		st->st_size = size;
		if (p.depth == 3 && size == 0 && mdfs_handle_any_open() && mdfs_handle_is_open(path))
			forget_attrs(path);
	}
	mdfs_path_free(&p);
	return rc;
}

/* Names of spooled and error files in one directory, sorted. */
struct extra {
	size_t n, cap;
	char **names;
	struct stat *st;
};

static int extra_add(void *ud, const char *fname, const struct stat *st)
{
	struct extra *x = ud;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 8;
		char **names = realloc(x->names, cap * sizeof *names);
		if (!names)
			return 1;
		x->names = names;
		struct stat *sts = realloc(x->st, cap * sizeof *sts);
		if (!sts)
			return 1;
		x->st = sts;
		x->cap = cap;
	}
	if (!(x->names[x->n] = strdup(fname)))
		return 1;
	x->st[x->n++] = *st;
	return 0;
}

static bool extra_has(const struct extra *x, const char *fname)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->names[i], fname) == 0)
			return true;
	return false;
}

static void extra_free(struct extra *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->names[i]);
	free(x->names);
	free(x->st);
	memset(x, 0, sizeof *x);
}

/* Is dir/fname an open file? */
static bool open_in(const char *dir, const char *fname)
{
	char full[4096];
	int n = snprintf(full, sizeof full, "%s/%s", dir, fname);
	return n > 0 && (size_t)n < sizeof full && mdfs_handle_is_open(full);
}

/* An open directory (fi->fh from opendir): the listing its reads page
 * through, taken at its first read (and again at a rewind), so one pass
 * sees one listing. Entries are numbered: ".", "..", the catalog's, the
 * spooled and error files, then /.queries at the root; each is handed to
 * libfuse with its number + 1 as the offset of the next. Offsets are what
 * makes libfuse 3.14's high-level API send a READDIRPLUS entry's node id
 * and timeouts: with offset 0 it drops them (ino 0), and the kernel then
 * looks up every file of an `ls -l` again. */
struct dir_stream {
	struct mdfs_dir *d;     /* NULL until the first read */
	struct extra x;
	int depth;
};

static void dir_stream_clear(struct mdfs *m, struct dir_stream *ds)
{
	if (ds->d)
		mdfs_dir_put(m->cache, ds->d);
	ds->d = NULL;
	extra_free(&ds->x);
}

/* Take the listing of path (depth 0..2) into ds: 0 or -errno. */
static int dir_stream_fill(struct mdfs *m, const char *path, const struct mdfs_path *p,
			   struct dir_stream *ds)
{
	dir_stream_clear(m, ds);
	struct mdfs_entry e;
	int rc;
	/* A database must be listed at the root; a schema listing itself
	 * fails with ENOENT for a missing schema (mdc_list_relations). */
	if (p->depth == 1 && (rc = lookup(m, p, &e)) < 0)
		return rc;
	rc = mdfs_cache_get(m->cache, p->depth >= 1 ? p->db : NULL, p->depth >= 2 ? p->schema : NULL,
			    &ds->d);
	if (rc < 0) {
		ds->d = NULL;
		return rc;
	}
	ds->depth = p->depth;
	if (p->depth == 2)
		mdfs_w_list(m, p->db, p->schema, extra_add, &ds->x);
	return 0;
}

static int mdfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
			struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = mdfs_path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.depth == 3 || (p.queries && p.depth == 2)) {
		mdfs_path_free(&p);
		return -ENOTDIR;
	}
	if (p.queries) {
		rc = mdfs_queries_readdir(m, buf, filler);
		mdfs_path_free(&p);
		return rc;
	}
	struct dir_stream *ds = (struct dir_stream *)(uintptr_t)fi->fh;
	if (offset == 0 || !ds->d)
		rc = dir_stream_fill(m, path, &p, ds);
	mdfs_path_free(&p);
	if (rc < 0)
		return rc;
	const struct mdfs_dir *d = ds->d;
	const struct extra *x = &ds->x;
	size_t n = d->n, total = 2 + n + x->n + (ds->depth == 0);
	struct stat st;
	bool opens = ds->depth == 2 && mdfs_handle_any_open();
	for (size_t i = (size_t)offset; i < total; i++) {
		off_t next = (off_t)i + 1;
		int full;
		if (i < 2) {
			/* No attributes: libfuse would pass our st_ino 0 on, and
			 * readdir(3) skips entries with inode 0. */
			full = filler(buf, i == 0 ? "." : "..", NULL, next, 0);
		} else if (i < 2 + n) {
			const struct mdfs_entry *e = &d->ents[i - 2];
			if (x->n && extra_has(x, e->fname))
				continue; /* being rewritten: the spooled file shows */
			if (opens && open_in(path, e->fname)) {
				/* Its opener's size must not be shadowed by our 0 (see forget_attrs). */
				full = filler(buf, e->fname, NULL, next, 0);
			} else {
				fill_stat(m, e->kind, ds->depth + 1, e->fname, &st);
				st.st_size = e->size;
				full = filler(buf, e->fname, &st, next, FUSE_FILL_DIR_PLUS);
			}
		} else if (i < 2 + n + x->n) {
			full = filler(buf, x->names[i - 2 - n], &x->st[i - 2 - n], next, FUSE_FILL_DIR_PLUS);
		} else {
			fill_stat(m, MDFS_ENT_DIR, 1, MDFS_QUERIES_DIR, &st); /* as its getattr says */
			full = filler(buf, MDFS_QUERIES_DIR, &st, next, FUSE_FILL_DIR_PLUS); /* ls -a shows it */
		}
		if (full)
			break;
	}
	return 0;
}

/* How every change starts: EROFS on a read-only mount, else the parsed path
 * (a name mdfs cannot hold is EPERM, not ENOENT). */
static int begin_change(struct mdfs *m, const char *path, struct mdfs_path *p)
{
	if (m->opts.ro)
		return -EROFS;
	int rc = mdfs_path_parse(path, p);
	return rc == -ENOENT ? -EPERM : rc;
}

static int mdfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = begin_change(m, path, &p);
	if (rc < 0)
		return rc;
	if (p.queries) {
		rc = mdfs_queries_create(m, &p, path, mode, fi);
		forget_written(path);
		mdfs_path_free(&p);
		return rc;
	}
	if (p.depth != 3) {
		mdfs_path_free(&p);
		return p.depth < 3 ? -EEXIST : -EPERM;
	}
	/* The schema directory must exist. */
	struct mdfs_path dir = { .depth = 2, .db = p.db, .schema = p.schema,
				 .fname = { p.fname[0], p.fname[1] } };
	struct mdfs_entry e;
	rc = lookup(m, &dir, &e);
	struct mdfs_wfile *w = NULL;
	if (rc == 0)
		rc = mdfs_w_create(m, path, p.db, p.schema, p.fname[2], mode, (fi->flags & O_APPEND) != 0,
				   false, &w);
	if (rc == 0)
		rc = mdfs_handle_open(fi, m, &mdfs_write_ops, w, NULL, fuse_get_context()->pid);
	if (rc == 0)
		forget_written(path);
	mdfs_path_free(&p);
	return rc;
}

static int mdfs_open(const char *path, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
	pid_t tid = fuse_get_context()->pid;
	struct mdfs_path p;
	int rc = mdfs_path_parse(path, &p);
	if (rc < 0)
		return rc;
	if (p.queries) {
		rc = writing && m->opts.ro ? -EROFS : mdfs_queries_open(m, &p, path, fi);
		if (rc == -ENOENT && writing && mdfs_ghost_seen(path, m->opts.cache_timeout))
			/* a name the kernel remembers (fs/ghosts.h): made again */
			rc = mdfs_queries_create(m, &p, path, 0644, fi);
		if (rc == 0) {
			fi->direct_io = 1;
			forget_written(path); /* its opener's fstat must reach us */
		}
		mdfs_path_free(&p);
		return rc;
	}
	if (p.depth != 3) {
		mdfs_path_free(&p);
		return -EISDIR;
	}
	struct mdfs_wfile *w = NULL;
	char *text = NULL;
	struct mdfs_entry e;
	if (writing && m->opts.ro) {
		rc = -EROFS;
	} else if ((rc = mdfs_w_open(m, path, fi->flags, &w)) == 0) {
		rc = mdfs_handle_open(fi, m, &mdfs_write_ops, w, NULL, fuse_get_context()->pid);
	} else if (rc != -ENOENT) {
		/* a spooled file that cannot be opened as asked (its O_TRUNC failed) */
	} else if ((text = mdfs_w_error_text(m, path))) {
		if (writing)
			free(text), rc = -EACCES;
		else
			rc = mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
	} else if (writing) {
		/* Rewriting a table (its .csv) or a view (its .sql): only as a
		 * whole (O_TRUNC), never in place; a table's .csv may also be
		 * appended to (`>>`: O_APPEND). A table's .sql is read-only. */
		bool append = (fi->flags & O_APPEND) && !(fi->flags & O_TRUNC) && p.fmt == MDFS_FMT_CSV;
		rc = lookup(m, &p, &e);
		if (rc == 0 && p.fmt == MDFS_FMT_SQL && e.kind == MDFS_ENT_TABLE)
			rc = -EACCES;
		else if (rc == 0 && ((!(fi->flags & O_TRUNC) && !append) ||
				     (p.fmt == MDFS_FMT_CSV ? e.kind == MDFS_ENT_VIEW : p.fmt != MDFS_FMT_SQL)))
			rc = -EPERM;
		else if (rc == 0 && append)
			rc = mdfs_w_append(m, path, p.db, p.schema, p.fname[2], &w);
		else if (rc == 0 || rc == -ENOENT)
			/* A table replaced whole, or a name the kernel still
			 * remembers from before its spooled file went away
			 * (fs/ghosts.h). */
			rc = mdfs_w_create(m, path, p.db, p.schema, p.fname[2], 0644, append, rc == 0, &w);
		if (rc == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_write_ops, w, NULL, fuse_get_context()->pid);
	} else if (!p.rel) {
		rc = -ENOENT;
	} else if (mdfs_w_exists(m, path) && (rc = lookup_fresh(m, &p, &e)) < 0) {
		/* Another process is writing this table file: a reader reads the
		 * table, and a new table does not exist until its load. */
	} else if (mdfs_ghost_seen(path, m->opts.cache_timeout) && (rc = lookup(m, &p, &e)) < 0) {
		/* A name the kernel remembers (fs/ghosts.h) has no table to read. */
	} else if (p.fmt == MDFS_FMT_SQL) {
		/* The definition the listing brought: no query. */
		if ((rc = sql_text(m, &p, &text)) == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_text_ops, text, NULL, 0);
	} else if (p.fmt == MDFS_FMT_PARQUET) {
		struct mdfs_parquet *pf = NULL;
		if ((rc = lookup(m, &p, &e)) == 0 &&
		    (rc = mdfs_parquet_open(path, p.db, p.schema, p.rel, &pf)) == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_parquet_ops, pf, path, tid);
	} else {
		struct mdfs_csv_file *f = NULL;
		rc = mdfs_csv_open(m->pool, p.db, p.schema, p.rel, &m->spool, &f);
		if (rc == 0)
			rc = mdfs_handle_open(fi, m, &mdfs_csv_ops, f, path, tid);
		fi->keep_cache = 0;
	}
	/* Every kind is served with direct I/O: a table file's size is unknown
	 * (0) until read, so every reader reads to the real end; the kernel may
	 * still think a Parquet file's size is 0. */
	if (rc == 0) {
		fi->direct_io = 1;
		forget_attrs(path); /* its opener's fstat must reach us */
	}
	mdfs_path_free(&p);
	return rc;
}

static int mdfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	return mdfs_handle_read(fi, buf, size, off);
}

static int mdfs_write(const char *path, const char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	/* O_APPEND: the kernel's offset is the size it last saw (a table file
	 * shows 0); the bytes go at the spool's end instead. */
	return mdfs_handle_write(fi, buf, size, (fi->flags & O_APPEND) ? -1 : off);
}

/* Every close() of a descriptor: a written "<name>.csv" loads here, and this
 * is what close() returns. */
static int mdfs_flush(const char *path, struct fuse_file_info *fi)
{
	int rc = mdfs_handle_flush(fi, fuse_get_context()->pid);
	if (path)
		forget_written(path); /* a load may have made a spooled file a table */
	return rc;
}

static int mdfs_release(const char *path, struct fuse_file_info *fi)
{
	/* The last close of a written file may take its name away (a new
	 * table's failed load): fs/writes.c records it as a ghost then. */
	mdfs_handle_release(fi);
	if (path && (fi->flags & O_ACCMODE))
		forget_written(path);
	return 0;
}

static int mdfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	if (m->opts.ro)
		return -EROFS;
	forget_attrs(path);
	int rc = fi && fi->fh ? mdfs_handle_truncate(fi, size) : 0;
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = mdfs_w_truncate_path(m, path, size);
	return rc == -ENOENT ? -EPERM : rc; /* a table is replaced whole, not truncated */
}

static int mdfs_unlink(const char *path)
{
	struct mdfs *m = ctx();
	if (m->opts.ro)
		return -EROFS;
	forget_written(path);
	bool ghost = mdfs_ghost_forget(path);
	if (mdfs_w_unlink(m, path) == 0)
		return 0;
	struct mdfs_path p;
	int rc = mdfs_path_parse(path, &p);
	if (rc < 0)
		return rc;
	struct mdfs_entry e;
	if (p.queries)
		rc = mdfs_queries_unlink(m, &p);
	else if (p.depth != 3)
		rc = -EISDIR;
	else if ((rc = lookup(m, &p, &e)) < 0)
		; /* nothing there */
	else if (!m->opts.allow_drop)
		rc = -EPERM; /* only with -o allow_drop: */
	else if (e.kind == MDFS_ENT_TABLE && p.fmt == MDFS_FMT_CSV)
		rc = mdfs_drop_table(m->pool, m->cache, p.db, p.schema, p.rel); /* rm TABLE.csv */
	else if (e.kind == MDFS_ENT_VIEW && p.fmt == MDFS_FMT_SQL)
		rc = mdfs_drop_view(m->pool, m->cache, p.db, p.schema, p.rel); /* rm VIEW.sql */
	else
		rc = -EPERM;
	mdfs_path_free(&p);
	return rc == -ENOENT && ghost ? 0 : rc; /* the kernel forgets it too */
}

static int mdfs_rename(const char *from, const char *to, unsigned int flags)
{
	struct mdfs *m = ctx();
	if (flags & RENAME_EXCHANGE)
		return m->opts.ro ? -EROFS : -EINVAL;
	forget_written(from);
	forget_written(to);
	struct mdfs_path pt;
	int rc = begin_change(m, to, &pt);
	if (rc < 0)
		return rc;
	/* Spooled files are renamed within a schema directory or /.queries,
	 * as editors save: onto a table, view or query file, it applies. */
	bool from_queries = strncmp(from, "/" MDFS_QUERIES_DIR "/", strlen(MDFS_QUERIES_DIR) + 2) == 0;
	if (pt.depth != (pt.queries ? 2 : 3))
		rc = -EPERM;
	else if (pt.queries != from_queries)
		rc = -EXDEV;
	else if ((flags & RENAME_NOREPLACE) && mdfs_w_exists(m, to))
		rc = -EEXIST;
	else
		/* a failed load at the rename takes the source's name away,
		 * which the kernel keeps: fs/writes.c records it as a ghost */
		rc = mdfs_w_rename(m, from, to, pt.queries ? "" : pt.db,
				   pt.queries ? MDFS_QUERIES_DIR : pt.schema, pt.fname[pt.depth - 1]);
	if (rc == -ENOENT) {
		/* Not a spooled file: a table, view or query, which is never
		 * renamed, or nothing. */
		struct mdfs_path pf;
		struct mdfs_entry e;
		if (mdfs_path_parse(from, &pf) == 0) {
			rc = pf.queries ? (mdfs_queries_exists(m, &pf) ? -EPERM : -ENOENT)
			     : pf.depth == 3 && lookup(m, &pf, &e) == 0 ? -EPERM : -ENOENT;
			mdfs_path_free(&pf);
		}
	}
	mdfs_path_free(&pt);
	return rc;
}

static int mdfs_mkdir(const char *path, mode_t mode)
{
	struct mdfs *m = ctx();
	struct mdfs_path p;
	int rc = begin_change(m, path, &p);
	if (rc < 0)
		return rc;
	if (p.queries)
		rc = p.depth == 1 ? -EEXIST : -EPERM;
	else if (p.depth == 2)
		rc = mdfs_create_schema(m->pool, m->cache, p.db, p.schema);
	else
		rc = -EPERM; /* databases are made in MotherDuck; tables are files */
	mdfs_path_free(&p);
	return rc;
}

static int mdfs_rmdir(const char *path)
{
	return ctx()->opts.ro ? -EROFS : -EPERM;
}

/* Attributes: spooled files, views' and queries' .sql files accept what
 * cp -p and mv set; tables and directories take times silently and refuse
 * the rest. */
static int mdfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	if (m->opts.ro)
		return -EROFS;
	if (mdfs_w_exists(m, path))
		return 0;
	/* A view's or a query's .sql is rewritten by editors and cp -p, which
	 * set its mode after writing it: a no-op. */
	struct mdfs_path p;
	struct mdfs_entry e;
	int rc = mdfs_path_parse(path, &p);
	if (rc < 0)
		return -EPERM;
	bool sql = p.fmt == MDFS_FMT_SQL && p.rel;
	rc = sql && p.queries ? (mdfs_queries_exists(m, &p) ? 0 : -EPERM)
	     : sql && p.depth == 3 && lookup(m, &p, &e) == 0 && e.kind == MDFS_ENT_VIEW ? 0 : -EPERM;
	mdfs_path_free(&p);
	return rc;
}

static int mdfs_chown(const char *path, uid_t u, gid_t g, struct fuse_file_info *fi)
{
	struct mdfs *m = ctx();
	return m->opts.ro ? -EROFS : mdfs_w_exists(m, path) ? 0 : -EPERM;
}

static int mdfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return ctx()->opts.ro ? -EROFS : 0;
}

static int mdfs_getxattr(const char *path, const char *name, char *value, size_t size)
{
	return mdfs_xattr_get(ctx(), path, name, value, size);
}

static int mdfs_listxattr(const char *path, char *list, size_t size)
{
	return mdfs_xattr_list(ctx(), path, list, size);
}

static int mdfs_setxattr(const char *path, const char *name, const char *value, size_t size,
			 int flags)
{
	return mdfs_xattr_set(ctx(), path, name, value, size, flags);
}

static int mdfs_removexattr(const char *path, const char *name)
{
	return mdfs_xattr_set(ctx(), path, name, NULL, 0, 0);
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
	struct dir_stream *ds = calloc(1, sizeof *ds);
	if (!ds)
		return -ENOMEM;
	fi->fh = (uintptr_t)ds;
	return 0;
}

static int mdfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct dir_stream *ds = (struct dir_stream *)(uintptr_t)fi->fh;
	if (ds) {
		dir_stream_clear(ctx(), ds);
		free(ds);
	}
	return 0;
}

static int erofs_link(const char *from, const char *to)
{
	return ctx()->opts.ro ? -EROFS : -EPERM;
}

static int erofs_mknod(const char *path, mode_t mode, dev_t dev)
{
	return ctx()->opts.ro ? -EROFS : -EPERM;
}

static void *mdfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct mdfs *m = ctx();
	/* The kernel keeps names as long as listings (a readdirplus fills
	 * them with their attributes), so a warm `ls -l` of 10,000 tables
	 * sends no request per file. A name mdfs drops behind the kernel's
	 * back (a new table whose first load failed) would then fail every
	 * re-open with ENOENT until it expires (default_permissions makes the
	 * kernel getattr it before any open), and the high-level API cannot
	 * make the kernel forget one name (fuse_lowlevel_notify_inval_entry
	 * needs the parent's node id, which only the low-level API knows; the
	 * root's (1) with the top directory's name would drop whole subtrees
	 * and, still referenced by the failing close(), keeps that very name:
	 * d_invalidate only prunes unused children). So such a name is a
	 * ghost as long as the kernel may hold it: fs/ghosts.h. */
	cfg->entry_timeout = m->opts.cache_timeout;
	/* Attributes are cached as long as listings (what changes them forgets
	 * them: see forget_attrs). */
	cfg->attr_timeout = m->opts.cache_timeout;
	/* Names come and go as files are written and loaded. */
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	cfg->use_ino = 0;
	cfg->hard_remove = 1;
	conn->max_read = 0;
	return m;
}

const struct fuse_operations mdfs_ops = {
	.init = mdfs_init,
	.getattr = mdfs_getattr,
	.opendir = mdfs_opendir,
	.releasedir = mdfs_releasedir,
	.readdir = mdfs_readdir,
	.create = mdfs_create,
	.open = mdfs_open,
	.read = mdfs_read,
	.write = mdfs_write,
	.flush = mdfs_flush,
	.release = mdfs_release,
	.truncate = mdfs_truncate,
	.unlink = mdfs_unlink,
	.rename = mdfs_rename,
	.mkdir = mdfs_mkdir,
	.rmdir = mdfs_rmdir,
	.chmod = mdfs_chmod,
	.chown = mdfs_chown,
	.utimens = mdfs_utimens,
	.statfs = mdfs_statfs,
	.getxattr = mdfs_getxattr,
	.listxattr = mdfs_listxattr,
	.setxattr = mdfs_setxattr,
	.removexattr = mdfs_removexattr,
	.mknod = erofs_mknod,
	.link = erofs_link,
	.symlink = erofs_link,
};
