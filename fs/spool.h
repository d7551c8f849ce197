/* fs/spool.h - the local spool: every spool file (a CSV file's re-read
 * copy, a produced Parquet file, a written file waiting for its load) is
 * an anonymous file in spool_dir (O_TMPFILE: never a name on disk, gone
 * with its last descriptor, so nothing is left behind after a crash). */
#ifndef MDFS_SPOOL_H
#define MDFS_SPOOL_H

#include <stddef.h>

#include "mdclient/common.h"

/* A new empty spool file in dir, open for reading and writing
 * (close-on-exec). Returns the descriptor, or -errno after logging once
 * (LOG_ERR) what it was for and why not; the caller decides what a
 * missing spool means (the CSV re-read copy does without, a Parquet file
 * or a write fails). */
int mdfs_spool_open(const char *dir, const char *what) MDC_MUSTCHECK;

/* The whole of spool fd as text (read from offset 0): 0 with *text
 * (malloc'd, NUL-terminated; the caller frees) and *len, -EFBIG when it
 * holds more than max bytes, or -errno. */
int mdfs_spool_read_all(int fd, size_t max, char **text, size_t *len) MDC_MUSTCHECK;

#endif
