/* fs/registry.h - the one registry of open things: path-keyed, refcounted
 * entries behind one mutex per registry.
 *
 * Users embed a struct mdfs_reg_entry in their own object (open CSV files,
 * produced Parquet spools, spooled writes, error files, catalog listings) and
 * get it back with mdfs_reg_of(). The rules that keep them race-free:
 *   - A key never changes while the entry lives: a rename is a new entry
 *     listed under the new key and the old one unlisted.
 *   - The registry's lock guards only the list, the listed flag and the
 *     reference counts. A match callback runs under it, so it may read only
 *     what never changes while the entry lives (the key and fields set
 *     before the entry was listed). Everything else in a user's object is
 *     guarded by the user's own lock, taken without the registry's.
 *   - The destructor runs when the last reference goes, always after the
 *     registry's lock is released, on the thread that dropped it: it may
 *     close a stream, drain a connection or take the user's locks.
 * Entries with the same key may coexist (the opens of one file by several
 * processes); lookups return the newest first.
 */
#ifndef MDFS_REGISTRY_H
#define MDFS_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "mdclient/common.h"

struct mdfs_reg_entry {
	char *key;                      /* immutable; owned by the entry */
	/* private (the registry's lock) */
	unsigned refs;
	bool listed;
	struct mdfs_reg_entry *next;
};

typedef void (*mdfs_reg_destroy_fn)(struct mdfs_reg_entry *e);
/* Under the registry's lock: true when e is wanted. */
typedef bool (*mdfs_reg_match_fn)(const struct mdfs_reg_entry *e, const void *ud);

struct mdfs_registry {
	pthread_mutex_t lock;
	mdfs_reg_destroy_fn destroy;    /* frees the user's object (entry included) */
	struct mdfs_reg_entry *head;    /* newest first */
};

#define MDFS_REGISTRY_INIT(destroy_fn) { PTHREAD_MUTEX_INITIALIZER, (destroy_fn), NULL }

/* The user's object around entry pointer p (type has the entry as member). */
#define mdfs_reg_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* For registries not set up with MDFS_REGISTRY_INIT. */
void mdfs_reg_init(struct mdfs_registry *r, mdfs_reg_destroy_fn destroy);
/* Unlist every entry (at unmount). Entries still referenced elsewhere live
 * on until their last mdfs_reg_put. */
void mdfs_reg_fini(struct mdfs_registry *r);

/* Set up e with a copy of key and one reference (the caller's); not listed.
 * 0 or -ENOMEM (then e holds nothing to free). */
int mdfs_reg_entry_init(struct mdfs_reg_entry *e, const char *key) MDC_MUSTCHECK;
/* Free what mdfs_reg_entry_init allocated: for destructors. */
void mdfs_reg_entry_fini(struct mdfs_reg_entry *e);

/* List e (the registry takes its own reference); e must not be listed.
 * mdfs_reg_add keeps listed entries with the same key (newest first);
 * mdfs_reg_replace unlists them; mdfs_reg_add_unique fails with -EEXIST when
 * one is listed. */
void mdfs_reg_add(struct mdfs_registry *r, struct mdfs_reg_entry *e);
void mdfs_reg_replace(struct mdfs_registry *r, struct mdfs_reg_entry *e);
int mdfs_reg_add_unique(struct mdfs_registry *r, struct mdfs_reg_entry *e) MDC_MUSTCHECK;
/* Take e out of the listing (drops the registry's reference). True when this
 * call unlisted it, false when it was not listed. */
bool mdfs_reg_unlist(struct mdfs_registry *r, struct mdfs_reg_entry *e);
bool mdfs_reg_listed(struct mdfs_registry *r, const struct mdfs_reg_entry *e) MDC_MUSTCHECK;

/* True when nothing is listed (a snapshot). */
bool mdfs_reg_empty(struct mdfs_registry *r) MDC_MUSTCHECK;
/* The newest listed entry with key for which match (NULL: any) is true, with
 * a reference for the caller (mdfs_reg_put it); NULL when there is none. */
struct mdfs_reg_entry *mdfs_reg_find(struct mdfs_registry *r, const char *key,
				     mdfs_reg_match_fn match, const void *ud) MDC_MUSTCHECK;
/* References to every listed entry for which match (NULL: any) is true,
 * newest first: 0 and *out (a malloc'd array of *n; release it with
 * mdfs_reg_put_all), or -ENOMEM. */
int mdfs_reg_snapshot(struct mdfs_registry *r, mdfs_reg_match_fn match, const void *ud,
		      struct mdfs_reg_entry ***out, size_t *n) MDC_MUSTCHECK;
void mdfs_reg_put_all(struct mdfs_registry *r, struct mdfs_reg_entry **v, size_t n);

/* One more reference to an entry the caller holds one of. */
void mdfs_reg_get(struct mdfs_registry *r, struct mdfs_reg_entry *e);
/* Drop a reference; the last one runs the destructor (without the lock). */
void mdfs_reg_put(struct mdfs_registry *r, struct mdfs_reg_entry *e);

#endif
