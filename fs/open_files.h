/* fs/open_files.h - the CSV files open right now, by path and by opener.
 *
 * The kernel's fstat() reaches the daemon as a stat of the path, without the
 * file handle. Readers that trust st_size (DuckDB's read_csv, Arrow, polars)
 * open a file and fstat it at once, so a stat of a path from the process
 * that has the path open is answered with that open file's exact size
 * (mdfs_csv_size). Anyone else sees 0 and never waits on another's stream.
 * Thread-safe: each open is an entry of the registry (fs/registry.h), so a
 * stat and a release may race, and the stream is closed (cancel, drain,
 * disconnect) by whoever drops the last reference, under no lock.
 */
#ifndef MDFS_OPEN_FILES_H
#define MDFS_OPEN_FILES_H

#include <sys/types.h>
#include "fs/csv_file.h"

struct mdfs_open;

/* Register f (now owned by the registry) opened at path by thread tid.
 * Returns the entry to keep in fi->fh, or NULL (ENOMEM: f is closed). */
struct mdfs_open *mdfs_open_add(const char *path, pid_t tid, struct mdfs_csv_file *f);
struct mdfs_csv_file *mdfs_open_file(struct mdfs_open *o);
/* Forget the entry; the file is closed once no stat uses it. */
void mdfs_open_release(struct mdfs_open *o);
/* If the process of thread tid has path open: 1 and *size (exact, or 0 when
 * unknown), or -errno when its stream broke. 0 when it has not. */
int mdfs_open_size_for(const char *path, pid_t tid, off_t *size);

#endif
