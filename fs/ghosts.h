/* fs/ghosts.h - names the kernel may still remember after mdfs dropped them.
 *
 * The kernel keeps names for cache_timeout (entry_timeout, see mdfs_init in
 * fs/ops.c). mdfs itself makes some names go without the kernel seeing an
 * unlink or a rename: the spooled file of a new table (or view, or query)
 * whose load failed leaves the spool at its last close, and so does the
 * source of a rename whose load failed (fs/writes.c records them then, before
 * the name leaves its listing; a failed rewrite of an existing table is
 * recorded too, and shows only if the table goes). A name whose last apply
 * succeeded is never one. The kernel still holds those names,
 * and with default_permissions it asks getattr before any open of a name it
 * holds: an ENOENT there would fail every re-open (`cp good.csv t.csv`)
 * until the name expires, and the libfuse high-level API cannot make the
 * kernel forget one name (it hides the parent's node id).
 *
 * So such a name is a ghost for as long as the kernel may remember it:
 * where the catalog and the spool say ENOENT, getattr shows it as an empty
 * writable file, an open for writing creates it (fs/ops.c), an open for
 * reading and readdir still say it is not there, and unlink forgets it.
 * Each answer keeps it for another cache_timeout (the kernel may have
 * cached that answer). Thread-safe; no network, one short lock.
 */
#ifndef MDFS_GHOSTS_H
#define MDFS_GHOSTS_H

#include "mdclient/common.h"

#include <stdbool.h>

/* The kernel may remember path for seconds from now. Out of memory: not
 * recorded (the name fails re-opens until it expires, as it would anyway). */
void mdfs_ghost_add(const char *path, int seconds);
/* True when path is a ghost; then it stays one for seconds from now. */
bool mdfs_ghost_seen(const char *path, int seconds) MDC_MUSTCHECK;
/* Forget path (made again, or removed); true when it was a ghost. */
bool mdfs_ghost_forget(const char *path);
/* Forget them all (at unmount). */
void mdfs_ghosts_fini(void);

#endif
