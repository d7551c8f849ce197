/* fs/spool.h - the local spool: every spool file (a CSV file's re-read
 * copy, a produced Parquet file, a written file waiting for its load) is
 * an anonymous file in spool_dir (O_TMPFILE: never a name on disk, gone
 * with its last descriptor, so nothing is left behind after a crash). */
#ifndef MDFS_SPOOL_H
#define MDFS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mdclient/common.h"

/* The mount's spool settings (-o spool_dir, spool_head, spool_max). */
struct mdfs_spool_conf {
	const char *dir;
	off_t head;  /* bytes of an open CSV kept whatever its reader does (at most max) */
	off_t max;   /* bytes kept per open file (a CSV's reader that came back or asked
		      * its size, a Parquet file), and by all spool-only files together */
};

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

/* A spool file's share of a limit all spool-only files have together
 * (spool_max: files written under names that never load). The caller keeps
 * one share per file and serializes calls on it; the total is this module's.
 * The kernel sends a handle's RELEASE after close() has returned, so `rm
 * a.tmp` can be answered while a.tmp's last handle is still on its way out:
 * a removed file's bytes stay counted until its share is dropped (they stay
 * on disk until then), and a count that would pass the limit waits (up to
 * 2 s) for removed files to go before it fails. */
struct mdfs_spool_share {
	off_t max;      /* the limit, bytes (set once, before the first count) */
	/* private */
	off_t counted;  /* bytes counted for it */
	bool unnamed;   /* removed, its last handle not yet gone */
};

/* Count s at size bytes: 0, or -ENOSPC (nothing changed) when growing to
 * size would pass s->max. */
int mdfs_spool_share_grow(struct mdfs_spool_share *s, off_t size) MDC_MUSTCHECK;
/* Count s at size bytes, whatever the limit (what the file really holds). */
void mdfs_spool_share_set(struct mdfs_spool_share *s, off_t size);
/* Its file lost its name (rm) but may still be open. */
void mdfs_spool_share_unnamed(struct mdfs_spool_share *s);
/* Its file is gone (the last reference): nothing counted for it any more. */
void mdfs_spool_share_drop(struct mdfs_spool_share *s);

#endif
