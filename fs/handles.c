/* fs/handles.c - open files by kind (see handles.h). */
#include "fs/handles.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/csv_file.h"
#include "fs/parquet_file.h"
#include "fs/registry.h"
#include "fs/writes.h"

/* ---- the kinds ------------------------------------------------------------ */

static int csv_read(void *obj, char *buf, size_t size, off_t off)
{
	return (int)mdfs_csv_read(obj, buf, size, off);
}

static int csv_size(void *obj, off_t *size)
{
	return mdfs_csv_size(obj, size);
}

static void csv_release(struct mdfs *m, void *obj)
{
	mdfs_csv_close(obj);
}

const struct mdfs_handle_ops mdfs_csv_ops = {
	.kind = "csv stream",
	.read = csv_read,
	.release = csv_release,
	.size = csv_size,
};

static int parquet_read(void *obj, char *buf, size_t size, off_t off)
{
	return mdfs_parquet_read(obj, buf, size, off);
}

static int parquet_size(void *obj, off_t *size)
{
	*size = mdfs_parquet_handle_size(obj);
	return 0;
}

static void parquet_release(struct mdfs *m, void *obj)
{
	mdfs_parquet_release(obj);
}

const struct mdfs_handle_ops mdfs_parquet_ops = {
	.kind = "parquet spool",
	.read = parquet_read,
	.release = parquet_release,
	.size = parquet_size,
};

static int w_read(void *obj, char *buf, size_t size, off_t off)
{
	return mdfs_w_read(obj, buf, size, off);
}

static int w_write(void *obj, const char *buf, size_t size, off_t off)
{
	return mdfs_w_write(obj, buf, size, off);
}

static int w_truncate(void *obj, off_t size)
{
	return mdfs_w_truncate(obj, size);
}

static int w_flush(struct mdfs *m, void *obj)
{
	return mdfs_w_flush(m, obj);
}

static void w_release(struct mdfs *m, void *obj)
{
	mdfs_w_release(m, obj);
}

static int w_size(void *obj, off_t *size)
{
	return mdfs_w_size(obj, size);
}

const struct mdfs_handle_ops mdfs_write_ops = {
	.kind = "write spool",
	.read = w_read,
	.write = w_write,
	.truncate = w_truncate,
	.flush = w_flush,
	.release = w_release,
	.size = w_size,
};

static int text_read(void *obj, char *buf, size_t size, off_t off)
{
	const char *text = obj;
	size_t len = strlen(text);
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, text + off, size);
	return (int)size;
}

static void text_release(struct mdfs *m, void *obj)
{
	free(obj);
}

static int text_size(void *obj, off_t *size)
{
	*size = (off_t)strlen(obj);
	return 0;
}

const struct mdfs_handle_ops mdfs_text_ops = {
	.kind = "text",
	.read = text_read,
	.release = text_release,
	.size = text_size,
};

/* ---- handles --------------------------------------------------------------- */

struct mdfs_handle {
	struct mdfs_reg_entry ent;  /* key: the path (listed only for table files) */
	const struct mdfs_handle_ops *ops;
	void *obj;
	struct mdfs *m;
	pid_t tid, tgid;            /* the opener's thread and process; immutable */
};

static void handle_destroy(struct mdfs_reg_entry *e)
{
	struct mdfs_handle *h = mdfs_reg_of(e, struct mdfs_handle, ent);
	h->ops->release(h->m, h->obj);
	mdfs_reg_entry_fini(&h->ent);
	free(h);
}

/* Open table files by path, for their openers. */
static struct mdfs_registry opens = MDFS_REGISTRY_INIT(handle_destroy);

/* The process (thread group) a thread belongs to; the tid itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = tid;
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return tid;
	while (fgets(line, sizeof line, fp)) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)atoi(line + 5);
			break;
		}
	}
	fclose(fp);
	return tgid;
}

static struct mdfs_handle *handle_of(const struct fuse_file_info *fi)
{
	return (struct mdfs_handle *)(uintptr_t)fi->fh;
}

int mdfs_handle_open(struct fuse_file_info *fi, struct mdfs *m, const struct mdfs_handle_ops *ops,
		     void *obj, const char *path, pid_t tid)
{
	struct mdfs_handle *h = calloc(1, sizeof *h);
	if (!h || mdfs_reg_entry_init(&h->ent, path ? path : "") < 0) {
		free(h);
		ops->release(m, obj);
		return -ENOMEM;
	}
	h->ops = ops;
	h->obj = obj;
	h->m = m;
	if (tid) {
		h->tid = tid;
		h->tgid = tgid_of(tid);
	}
	if (path)
		mdfs_reg_add(&opens, &h->ent);
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

void mdfs_handle_release(struct fuse_file_info *fi)
{
	struct mdfs_handle *h = handle_of(fi);
	fi->fh = 0;
	(void)mdfs_reg_unlist(&opens, &h->ent);
	mdfs_reg_put(&opens, &h->ent); /* releases obj unless a stat still sizes it */
}

int mdfs_handle_read(const struct fuse_file_info *fi, char *buf, size_t size, off_t off)
{
	struct mdfs_handle *h = handle_of(fi);
	return h->ops->read(h->obj, buf, size, off);
}

int mdfs_handle_write(const struct fuse_file_info *fi, const char *buf, size_t size, off_t off)
{
	struct mdfs_handle *h = handle_of(fi);
	return h->ops->write ? h->ops->write(h->obj, buf, size, off) : -EBADF;
}

int mdfs_handle_flush(const struct fuse_file_info *fi, pid_t tid)
{
	struct mdfs_handle *h = handle_of(fi);
	/* A forked child closing the descriptor it inherited (at its exec or
	 * exit) is not the opener finishing its file. */
	if (h->tgid && tid && tgid_of(tid) != h->tgid)
		return 0;
	return h->ops->flush ? h->ops->flush(h->m, h->obj) : 0;
}

int mdfs_handle_truncate(const struct fuse_file_info *fi, off_t size)
{
	struct mdfs_handle *h = handle_of(fi);
	if (!h->ops->truncate)
		return 0;
	int rc = h->ops->truncate(h->obj, size);
	return rc < 0 ? rc : 1;
}

bool mdfs_handle_any_open(void)
{
	return !mdfs_reg_empty(&opens);
}

bool mdfs_handle_is_open(const char *path)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&opens, path, NULL, NULL);
	if (e)
		mdfs_reg_put(&opens, e);
	return e != NULL;
}

static bool same_thread(const struct mdfs_reg_entry *e, const void *ud)
{
	return mdfs_reg_of(e, const struct mdfs_handle, ent)->tid == *(const pid_t *)ud;
}

static bool same_process(const struct mdfs_reg_entry *e, const void *ud)
{
	return mdfs_reg_of(e, const struct mdfs_handle, ent)->tgid == *(const pid_t *)ud;
}

int mdfs_handle_size(const struct fuse_file_info *fi, const char *path, pid_t tid, off_t *size)
{
	if (fi && fi->fh) {
		struct mdfs_handle *h = handle_of(fi);
		int rc = h->ops->size(h->obj, size);
		return rc < 0 ? rc : 1;
	}
	struct mdfs_reg_entry *any = mdfs_reg_find(&opens, path, NULL, NULL);
	if (!any)
		return 0; /* the common case: nobody has it open, no /proc read */
	mdfs_reg_put(&opens, any);

	/* The asking thread's newest open of path (open() then fstat() is one
	 * thread's), else its process's: another thread's open of the same
	 * file, which may have read already, must not answer for it. */
	struct mdfs_reg_entry *e = tid ? mdfs_reg_find(&opens, path, same_thread, &tid) : NULL;
	if (!e) {
		pid_t tgid = tgid_of(tid);
		e = mdfs_reg_find(&opens, path, same_process, &tgid);
	}
	if (!e)
		return 0;
	struct mdfs_handle *h = mdfs_reg_of(e, struct mdfs_handle, ent);
	int rc = h->ops->size(h->obj, size);
	mdfs_reg_put(&opens, e);
	return rc < 0 ? rc : 1;
}
