/* fs/ghosts.c - names the kernel may still remember (see ghosts.h). */
#include "fs/ghosts.h"

#include "mdclient/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ghost {
	struct ghost *next;
	time_t until;           /* CLOCK_MONOTONIC seconds */
	char path[];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct ghost *ghosts; /* mu */

/* Whole seconds of the one clock: ghosts live for cache_timeout seconds. */
static time_t now(void)
{
	return (time_t)(mdc_now_ms() / 1000);
}

/* Unlink and free every expired ghost and the one at path (any when NULL is
 * given for path); true when the one at path was alive (mu held). */
static bool sweep(const char *path, time_t t)
{
	bool found = false;
	for (struct ghost **g = &ghosts; *g;) {
		bool match = path && strcmp((*g)->path, path) == 0;
		if (match || (*g)->until < t) {
			found = found || (match && (*g)->until >= t);
			struct ghost *dead = *g;
			*g = dead->next;
			free(dead);
		} else {
			g = &(*g)->next;
		}
	}
	return found;
}

void mdfs_ghost_add(const char *path, int seconds)
{
	size_t n = strlen(path) + 1;
	struct ghost *g = malloc(sizeof *g + n);
	if (!g)
		return;
	memcpy(g->path, path, n);
	time_t t = now();
	g->until = t + (seconds > 0 ? seconds : 0);
	pthread_mutex_lock(&mu);
	(void)sweep(path, t);
	g->next = ghosts;
	ghosts = g;
	pthread_mutex_unlock(&mu);
}

bool mdfs_ghost_seen(const char *path, int seconds)
{
	bool found = false;
	time_t t = now();
	pthread_mutex_lock(&mu);
	for (struct ghost *g = ghosts; g && !found; g = g->next) {
		if (g->until >= t && strcmp(g->path, path) == 0) {
			found = true;
			if (g->until < t + seconds)
				g->until = t + seconds;
		}
	}
	pthread_mutex_unlock(&mu);
	return found;
}

bool mdfs_ghost_forget(const char *path)
{
	pthread_mutex_lock(&mu);
	bool found = ghosts && sweep(path, now());
	pthread_mutex_unlock(&mu);
	return found;
}

void mdfs_ghosts_fini(void)
{
	pthread_mutex_lock(&mu);
	while (ghosts) {
		struct ghost *g = ghosts;
		ghosts = g->next;
		free(g);
	}
	pthread_mutex_unlock(&mu);
}
