/* fs/xattrs.h - a relation's metadata as extended attributes of each of its
 * files (<name>.csv, .parquet, .sql):
 *   user.mdfs.kind     "table" or "view"
 *   user.mdfs.rows     the catalog's cheap row estimate (DuckDB
 *                      estimated_size, PostgreSQL reltuples), or "unknown"
 *   user.mdfs.columns  one line per column: name, TAB, the engine's type
 *   user.mdfs.comment  the relation's comment ("" when none)
 * All come from the schema's listing (fs/catalog_cache.h): reading them
 * costs no query beyond it. Setting (or removing) user.mdfs.comment runs
 * COMMENT ON for the relation; any other set is ENOTSUP; -o ro is EROFS.
 * Other files and directories have none; a name outside user.mdfs.* is
 * answered without looking anything up, and outside user.* with ENOTSUP
 * (ls -l asks every file for security.selinux and system.posix_acl_access
 * until a file of the mount answers ENOTSUP).
 * Handlers return what FUSE expects (sizes, or -errno).
 */
#ifndef MDFS_XATTRS_H
#define MDFS_XATTRS_H

#include <stddef.h>
#include "mdclient/common.h"

struct mdfs;

int mdfs_xattr_get(struct mdfs *m, const char *path, const char *name, char *value,
		   size_t size) MDC_MUSTCHECK;
int mdfs_xattr_list(struct mdfs *m, const char *path, char *list, size_t size) MDC_MUSTCHECK;
/* value NULL: remove. */
int mdfs_xattr_set(struct mdfs *m, const char *path, const char *name, const char *value,
		   size_t size, int flags) MDC_MUSTCHECK;

#endif
