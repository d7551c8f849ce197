/* Unit tests of the one registry of open things (fs/registry.h): keys,
 * references, replace/unique/add, snapshots, and destructors that run
 * without the registry's lock (they may call back into it). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include "fs/registry.h"
#include "testutil.h"

struct thing {
	struct mdfs_reg_entry ent;
	int id;
	int *destroyed;         /* counts destructions */
};

static struct mdfs_registry reg;

static void destroy(struct mdfs_reg_entry *e)
{
	struct thing *t = mdfs_reg_of(e, struct thing, ent);
	/* Without the lock: a destructor may use the registry itself. */
	struct mdfs_reg_entry *other = mdfs_reg_find(&reg, "/probe", NULL, NULL);
	mdfs_reg_put(&reg, other);
	/* Any thread may destroy any thread's entry: count atomically. */
	__atomic_fetch_add(t->destroyed, 1, __ATOMIC_RELAXED);
	mdfs_reg_entry_fini(&t->ent);
	free(t);
}

static struct thing *thing_new(const char *key, int id, int *destroyed)
{
	struct thing *t = calloc(1, sizeof *t);
	if (!t || mdfs_reg_entry_init(&t->ent, key) < 0)
		abort();
	t->id = id;
	t->destroyed = destroyed;
	return t;
}

static bool id_is(const struct mdfs_reg_entry *e, const void *ud)
{
	return mdfs_reg_of(e, const struct thing, ent)->id == *(const int *)ud;
}

static int find_id(const char *key)
{
	struct mdfs_reg_entry *e = mdfs_reg_find(&reg, key, NULL, NULL);
	int id = e ? mdfs_reg_of(e, struct thing, ent)->id : -1;
	mdfs_reg_put(&reg, e);
	return id;
}

static void test_replace_and_references(void)
{
	int gone = 0;
	struct thing *a = thing_new("/db/s/t.csv", 1, &gone);
	mdfs_reg_replace(&reg, &a->ent);
	CHECK(mdfs_reg_listed(&reg, &a->ent));
	CHECK_INT(find_id("/db/s/t.csv"), 1);
	CHECK_INT(find_id("/db/s/t.csv~"), -1);
	CHECK_INT(find_id("/db/s/t"), -1);

	/* A rename: the new name listed (replacing), the old one unlisted. */
	struct thing *b = thing_new("/db/s/t.csv", 2, &gone);
	mdfs_reg_replace(&reg, &b->ent);
	CHECK(!mdfs_reg_listed(&reg, &a->ent));
	CHECK_INT(find_id("/db/s/t.csv"), 2);
	CHECK_INT(gone, 0);             /* the creator still holds a */
	CHECK(!mdfs_reg_unlist(&reg, &a->ent));
	mdfs_reg_put(&reg, &a->ent);
	CHECK_INT(gone, 1);

	/* A reference outlives the listing. */
	struct mdfs_reg_entry *held = mdfs_reg_find(&reg, "/db/s/t.csv", NULL, NULL);
	CHECK(held == &b->ent);
	mdfs_reg_put(&reg, &b->ent);    /* the creator's */
	CHECK(mdfs_reg_unlist(&reg, &b->ent));
	CHECK_INT(gone, 1);
	CHECK_INT(find_id("/db/s/t.csv"), -1);
	CHECK_INT(mdfs_reg_of(held, struct thing, ent)->id, 2);
	mdfs_reg_put(&reg, held);
	CHECK_INT(gone, 2);
}

static void test_add_unique_and_match(void)
{
	int gone = 0;
	struct thing *x = thing_new("/f", 10, &gone), *y = thing_new("/f", 11, &gone);
	mdfs_reg_add(&reg, &x->ent);
	mdfs_reg_add(&reg, &y->ent);
	CHECK_INT(find_id("/f"), 11);   /* newest first */
	int want = 10;
	struct mdfs_reg_entry *e = mdfs_reg_find(&reg, "/f", id_is, &want);
	CHECK(e == &x->ent);
	mdfs_reg_put(&reg, e);
	want = 12;
	CHECK(mdfs_reg_find(&reg, "/f", id_is, &want) == NULL);

	struct thing *z = thing_new("/f", 12, &gone);
	CHECK_INT(mdfs_reg_add_unique(&reg, &z->ent), -EEXIST);
	CHECK(!mdfs_reg_listed(&reg, &z->ent));
	mdfs_reg_put(&reg, &z->ent);
	CHECK_INT(gone, 1);

	struct mdfs_reg_entry **v;
	size_t n = 99;
	CHECK_INT(mdfs_reg_snapshot(&reg, NULL, NULL, &v, &n), 0);
	CHECK_INT(n, 2);
	CHECK(n == 2 && v[0] == &y->ent && v[1] == &x->ent);
	mdfs_reg_put(&reg, &x->ent);
	mdfs_reg_put(&reg, &y->ent);
	mdfs_reg_fini(&reg);            /* unlists both; the snapshot keeps them */
	CHECK_INT(gone, 1);
	CHECK_INT(find_id("/f"), -1);
	mdfs_reg_put_all(&reg, v, n);
	CHECK_INT(gone, 3);

	want = 1;
	CHECK_INT(mdfs_reg_snapshot(&reg, id_is, &want, &v, &n), 0);
	CHECK_INT(n, 0);
	mdfs_reg_put_all(&reg, v, n);
}

/* Threads replacing, finding and unlisting one key at once: every entry is
 * destroyed exactly once (ASan and TSan builds check the rest). */
enum { THREADS = 4, ROUNDS = 2000 };
static int stress_gone[THREADS];

static void *stress(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		struct thing *t = thing_new("/hot", id, &stress_gone[id]);
		mdfs_reg_replace(&reg, &t->ent);
		struct mdfs_reg_entry *e = mdfs_reg_find(&reg, "/hot", NULL, NULL);
		if (e && i % 3 == 0)
			(void)mdfs_reg_unlist(&reg, e);
		mdfs_reg_put(&reg, e);
		mdfs_reg_put(&reg, &t->ent);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, stress, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	mdfs_reg_fini(&reg);
	int total = 0;
	for (int i = 0; i < THREADS; i++)
		total += stress_gone[i];
	CHECK_INT(total, THREADS * ROUNDS);
}

int main(void)
{
	mdfs_reg_init(&reg, destroy);
	test_replace_and_references();
	test_add_unique_and_match();
	test_threads();
	return testutil_finish("test_registry");
}
