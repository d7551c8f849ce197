/* fs/catalog_cache.h - directory listings of the mount, from one catalog
 * query each, kept for cache_timeout seconds.
 *
 * A directory is the root (databases), a database (schemas) or a schema
 * (relations as "<name>.csv", "<name>.parquet" and "<name>.sql", as -o
 * formats says). Listing one costs at most one catalog query, which also
 * brings each relation's definition, comment and columns (mdc_rel); stat,
 * a .sql file's text and the relation's extended attributes cost none. Entries are sorted by file name.
 * Thread-safe. A directory handed out is reference-counted (an entry of the
 * cache's registry): release it with mdfs_dir_put(). A listing never changes
 * once fetched; a newer fetch replaces it.
 */
#ifndef MDFS_CATALOG_CACHE_H
#define MDFS_CATALOG_CACHE_H

#include "mdclient/common.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "fs/registry.h"
#include "mdclient/catalog.h"
#include "mdclient/pool.h"

/* MDFS_ENT_GHOST is never listed: a name the kernel may still remember with
 * nothing behind it (fs/ghosts.h), which getattr shows as an empty writable
 * file. */
enum mdfs_entry_kind { MDFS_ENT_DIR = 1, MDFS_ENT_TABLE = 2, MDFS_ENT_VIEW = 3, MDFS_ENT_GHOST = 4 };

struct mdfs_entry {
	char *fname;            /* file name as shown (encoded, with ".csv"/".parquet"/".sql" for relations) */
	char *name;             /* catalog name (decoded) */
	enum mdfs_entry_kind kind;
	int64_t est_rows;       /* -1 unknown; relations only */
	off_t size;             /* the exact size when known (a .sql file), else 0 */
	const mdc_rel *rel;     /* a relation's catalog row (the directory's); else NULL */
};

struct mdfs_dir {
	size_t n;
	struct mdfs_entry *ents; /* sorted by fname (strcmp) */
	/* private */
	mdc_rel_list rels;      /* what the entries' rel point to */
	struct mdfs_reg_entry ent; /* key: the directory (see dir_key) */
	double fetched;         /* monotonic seconds; set before it is listed */
};

struct mdfs_cache;

/* only_db: when not NULL, the root lists only that database (md:<db> and
 * DSN sources); NULL lists every database the endpoint shows. csv/parquet/sql:
 * which files each relation shows. */
struct mdfs_cache *mdfs_cache_new(mdc_pool *pool, int timeout_s, const char *only_db,
				  int csv, int parquet, int sql) MDC_MUSTCHECK;
void mdfs_cache_free(struct mdfs_cache *c);

/* Get the listing of a directory: db == NULL → root; schema == NULL → the
 * database's schemas; else the schema's relations. Returns 0 and *out (a
 * reference: mdfs_dir_put it), or -errno (-ENOENT when the parent does not
 * list it, -EIO when the endpoint cannot be reached). */
int mdfs_cache_get(struct mdfs_cache *c, const char *db, const char *schema, struct mdfs_dir **out) MDC_MUSTCHECK;
void mdfs_dir_put(struct mdfs_cache *c, struct mdfs_dir *d);
/* Binary search by file name; NULL when absent. */
const struct mdfs_entry *mdfs_dir_find(const struct mdfs_dir *d, const char *fname) MDC_MUSTCHECK;
/* A .sql file's text: the relation's definition and a newline (size bytes
 * of the entry). malloc'd, or NULL (ENOMEM). */
char *mdfs_entry_sql_text(const struct mdfs_entry *e) MDC_MUSTCHECK;
/* Forget a directory's listing (after a change made through the mount). */
void mdfs_cache_invalidate(struct mdfs_cache *c, const char *db, const char *schema);

#endif
