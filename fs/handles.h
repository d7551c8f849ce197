/* fs/handles.h - what fi->fh holds: an open file of one kind, served through
 * that kind's ops table.
 *
 * Kinds: a CSV stream (fs/csv_file.h), a produced Parquet spool
 * (fs/parquet_file.h), a spooled write (fs/writes.h) and a read-only text
 * (an error file, a relation's .sql definition). Each kind has one table of
 * what it can do; the FUSE callbacks never ask which kind a handle is.
 *
 * The size of an open table file: the kernel's fstat() reaches the daemon
 * as a stat of the path, without the handle. Readers that trust st_size
 * (DuckDB's read_csv, polars) open a file and fstat it at once, so
 * table-file handles are registered under their path for the opener's
 * process (fs/registry.h), and a stat of that path from that process is
 * answered by the handle's kind (a CSV stream: fs/csv_file.h's rule). Anyone else sees what
 * the catalog shows and never waits on another's stream. A stat and a
 * release may race: the handle's object is released (a stream cancelled,
 * drained, disconnected) by whoever drops the last reference, under no lock.
 * Thread-safe.
 */
#ifndef MDFS_HANDLES_H
#define MDFS_HANDLES_H

#define FUSE_USE_VERSION 312
#include <fuse.h>
#include <stdbool.h>
#include <sys/types.h>

#include "mdclient/common.h"

struct mdfs;

struct mdfs_handle_ops {
	const char *kind;
	/* FUSE read semantics: bytes copied (possibly fewer), 0 at the end, or -errno. */
	int (*read)(void *obj, char *buf, size_t size, off_t off);
	/* NULL: the kind is read-only (-EBADF). */
	int (*write)(void *obj, const char *buf, size_t size, off_t off);
	int (*truncate)(void *obj, off_t size);
	/* Every close() of a descriptor; its result is what close() returns. NULL: 0. */
	int (*flush)(struct mdfs *m, void *obj);
	/* The last reference went: release obj. */
	void (*release)(struct mdfs *m, void *obj);
	/* The size for fstat() by the opener: 0 and *size, or -errno. */
	int (*size)(void *obj, off_t *size);
};

extern const struct mdfs_handle_ops mdfs_csv_ops;     /* obj: struct mdfs_csv_file */
extern const struct mdfs_handle_ops mdfs_parquet_ops;      /* obj: struct mdfs_parquet */
extern const struct mdfs_handle_ops mdfs_write_ops;   /* obj: struct mdfs_wfile */
extern const struct mdfs_handle_ops mdfs_text_ops;    /* obj: a malloc'd string (an error
							 * file's, a .sql definition's) */

/* Make fi->fh a handle of kind ops on obj (which it now owns), opened by
 * thread tid (0: unknown). path: register it for tid's process under path
 * (table files); NULL: don't. 0, or -ENOMEM (obj is released). */
int mdfs_handle_open(struct fuse_file_info *fi, struct mdfs *m, const struct mdfs_handle_ops *ops,
		     void *obj, const char *path, pid_t tid) MDC_MUSTCHECK;
/* Drop fi's handle (FUSE release). */
void mdfs_handle_release(struct fuse_file_info *fi);

int mdfs_handle_read(const struct fuse_file_info *fi, char *buf, size_t size, off_t off) MDC_MUSTCHECK;
int mdfs_handle_write(const struct fuse_file_info *fi, const char *buf, size_t size,
		      off_t off) MDC_MUSTCHECK;
/* A close() by thread tid: the kind's flush when tid's process opened the
 * handle (or either is unknown); 0 for a forked child's inherited copy. */
int mdfs_handle_flush(const struct fuse_file_info *fi, pid_t tid) MDC_MUSTCHECK;
/* Truncate through the handle: 1 when its kind can, 0 when it cannot (the
 * caller goes by path), or -errno. */
int mdfs_handle_truncate(const struct fuse_file_info *fi, off_t size) MDC_MUSTCHECK;

/* The size of an open file for fstat() (its kind's answer): through fi when the kernel
 * passes it, else the newest open of path by thread tid, else by its process.
 * 1 and *size, 0 when there is none, or -errno (its stream broke). */
int mdfs_handle_size(const struct fuse_file_info *fi, const char *path, pid_t tid,
		     off_t *size) MDC_MUSTCHECK;
/* Is a table file open at all / is path open, by anyone? (For the kernel's
 * attribute cache: see ops.c.) */
bool mdfs_handle_any_open(void) MDC_MUSTCHECK;
bool mdfs_handle_is_open(const char *path) MDC_MUSTCHECK;

#endif
