/* fs/registry.c - path-keyed, refcounted entries (see registry.h). */
#include "fs/registry.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mdfs_reg_init(struct mdfs_registry *r, mdfs_reg_destroy_fn destroy)
{
	pthread_mutex_init(&r->lock, NULL);
	r->destroy = destroy;
	r->head = NULL;
}

int mdfs_reg_entry_init(struct mdfs_reg_entry *e, const char *key)
{
	memset(e, 0, sizeof *e);
	if (!(e->key = strdup(key)))
		return -ENOMEM;
	e->refs = 1;
	return 0;
}

void mdfs_reg_entry_fini(struct mdfs_reg_entry *e)
{
	free(e->key);
	e->key = NULL;
}

/* Drop one reference with the lock held; true when it was the last (the
 * caller destroys e once the lock is released). */
static bool unref_locked(struct mdfs_reg_entry *e)
{
	return --e->refs == 0;
}

/* Take e off the list with the lock held; the caller drops the registry's
 * reference (unref_locked) and destroys after unlocking if it was the last. */
static void unlink_locked(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	for (struct mdfs_reg_entry **pp = &r->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	e->next = NULL;
	e->listed = false;
}

void mdfs_reg_fini(struct mdfs_registry *r)
{
	for (;;) {
		pthread_mutex_lock(&r->lock);
		struct mdfs_reg_entry *e = r->head;
		bool last = false;
		if (e) {
			unlink_locked(r, e);
			last = unref_locked(e);
		}
		pthread_mutex_unlock(&r->lock);
		if (!e)
			break;
		if (last)
			r->destroy(e);
	}
}

enum mode { ADD, REPLACE, UNIQUE };

static int insert(struct mdfs_registry *r, struct mdfs_reg_entry *e, enum mode mode)
{
	struct mdfs_reg_entry *dead = NULL; /* replaced entries whose last reference went */
	int rc = 0;

	assert(!e->listed);
	pthread_mutex_lock(&r->lock);
	if (mode != ADD) {
		for (struct mdfs_reg_entry **pp = &r->head; *pp;) {
			struct mdfs_reg_entry *o = *pp;
			if (strcmp(o->key, e->key) != 0) {
				pp = &o->next;
				continue;
			}
			if (mode == UNIQUE) {
				rc = -EEXIST;
				goto out;
			}
			*pp = o->next;
			o->listed = false;
			o->next = NULL;
			if (unref_locked(o)) {
				o->next = dead;
				dead = o;
			}
		}
	}
	e->refs++;
	e->listed = true;
	e->next = r->head;
	r->head = e;
out:
	pthread_mutex_unlock(&r->lock);
	while (dead) {
		struct mdfs_reg_entry *next = dead->next;
		r->destroy(dead);
		dead = next;
	}
	return rc;
}

void mdfs_reg_add(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	(void)insert(r, e, ADD);
}

void mdfs_reg_replace(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	(void)insert(r, e, REPLACE);
}

int mdfs_reg_add_unique(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	return insert(r, e, UNIQUE);
}

bool mdfs_reg_unlist(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	bool was = false, last = false;
	pthread_mutex_lock(&r->lock);
	if (e->listed) {
		unlink_locked(r, e);
		was = true;
		last = unref_locked(e);
	}
	pthread_mutex_unlock(&r->lock);
	if (last)
		r->destroy(e);
	return was;
}

bool mdfs_reg_listed(struct mdfs_registry *r, const struct mdfs_reg_entry *e)
{
	pthread_mutex_lock(&r->lock);
	bool listed = e->listed;
	pthread_mutex_unlock(&r->lock);
	return listed;
}

bool mdfs_reg_empty(struct mdfs_registry *r)
{
	pthread_mutex_lock(&r->lock);
	bool empty = r->head == NULL;
	pthread_mutex_unlock(&r->lock);
	return empty;
}

struct mdfs_reg_entry *mdfs_reg_find(struct mdfs_registry *r, const char *key,
				     mdfs_reg_match_fn match, const void *ud)
{
	struct mdfs_reg_entry *found = NULL;
	pthread_mutex_lock(&r->lock);
	for (struct mdfs_reg_entry *e = r->head; e; e = e->next) {
		if (strcmp(e->key, key) == 0 && (!match || match(e, ud))) {
			e->refs++;
			found = e;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

int mdfs_reg_snapshot(struct mdfs_registry *r, mdfs_reg_match_fn match, const void *ud,
		      struct mdfs_reg_entry ***out, size_t *n)
{
	struct mdfs_reg_entry **v = NULL;
	size_t count = 0;

	pthread_mutex_lock(&r->lock);
	for (struct mdfs_reg_entry *e = r->head; e; e = e->next)
		count += !match || match(e, ud);
	if (count && !(v = malloc(count * sizeof *v))) {
		pthread_mutex_unlock(&r->lock);
		return -ENOMEM;
	}
	size_t i = 0;
	for (struct mdfs_reg_entry *e = r->head; e && i < count; e = e->next) {
		if (!match || match(e, ud)) {
			e->refs++;
			v[i++] = e;
		}
	}
	pthread_mutex_unlock(&r->lock);
	*out = v;
	*n = i;
	return 0;
}

void mdfs_reg_put_all(struct mdfs_registry *r, struct mdfs_reg_entry **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mdfs_reg_put(r, v[i]);
	free(v);
}

void mdfs_reg_get(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	pthread_mutex_lock(&r->lock);
	e->refs++;
	pthread_mutex_unlock(&r->lock);
}

void mdfs_reg_put(struct mdfs_registry *r, struct mdfs_reg_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&r->lock);
	bool last = unref_locked(e);
	pthread_mutex_unlock(&r->lock);
	if (last)
		r->destroy(e);
}
