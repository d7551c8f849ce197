/* fs/spool.h - the local spool: every spool file (a CSV file's re-read
 * copy, a produced Parquet file, a written file waiting for its load) is
 * an anonymous file in spool_dir (O_TMPFILE: never a name on disk, gone
 * with its last descriptor, so nothing is left behind after a crash). */
#ifndef MDFS_SPOOL_H
#define MDFS_SPOOL_H

#include "mdclient/common.h"

/* A new empty spool file in dir, open for reading and writing
 * (close-on-exec). Returns the descriptor, or -errno after logging once
 * (LOG_ERR) what it was for and why not; the caller decides what a
 * missing spool means (the CSV re-read copy does without, a Parquet file
 * or a write fails). */
int mdfs_spool_open(const char *dir, const char *what) MDC_MUSTCHECK;

#endif
