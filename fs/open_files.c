/* fs/open_files.c - registry of open CSV files (see open_files.h). */
#include "fs/open_files.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mdfs_open {
	char *path;
	pid_t tgid;             /* the opener's process */
	struct mdfs_csv_file *f;
	int refs;               /* the open handle's + stats in progress */
	bool released;
	struct mdfs_open *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdfs_open *head;

/* The process (thread group) a thread belongs to; the tid itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = tid;
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return tid;
	while (fgets(line, sizeof line, fp)) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)atoi(line + 5);
			break;
		}
	}
	fclose(fp);
	return tgid;
}

/* Drop one reference (the caller holds the lock); free when it was the last. */
static void unref_locked(struct mdfs_open *o)
{
	if (--o->refs > 0)
		return;
	for (struct mdfs_open **pp = &head; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	mdfs_csv_close(o->f);
	free(o->path);
	free(o);
}

struct mdfs_open *mdfs_open_add(const char *path, pid_t tid, struct mdfs_csv_file *f)
{
	struct mdfs_open *o = calloc(1, sizeof *o);
	if (!o || !(o->path = strdup(path))) {
		free(o);
		mdfs_csv_close(f);
		return NULL;
	}
	o->tgid = tgid_of(tid);
	o->f = f;
	o->refs = 1;
	pthread_mutex_lock(&lock);
	o->next = head;
	head = o;
	pthread_mutex_unlock(&lock);
	return o;
}

struct mdfs_csv_file *mdfs_open_file(struct mdfs_open *o)
{
	return o->f;
}

void mdfs_open_release(struct mdfs_open *o)
{
	pthread_mutex_lock(&lock);
	o->released = true;
	unref_locked(o);
	pthread_mutex_unlock(&lock);
}

int mdfs_open_size_for(const char *path, pid_t tid, off_t *size)
{
	struct mdfs_open *found = NULL;
	bool any = false;

	pthread_mutex_lock(&lock);
	for (struct mdfs_open *o = head; o; o = o->next)
		any |= !o->released && strcmp(o->path, path) == 0;
	pthread_mutex_unlock(&lock);
	if (!any)
		return 0; /* the common case: nobody has it open, no /proc read */

	pid_t tgid = tgid_of(tid);
	pthread_mutex_lock(&lock);
	for (struct mdfs_open *o = head; o; o = o->next) {
		if (!o->released && o->tgid == tgid && strcmp(o->path, path) == 0) {
			found = o; /* the newest such open: the list is newest first */
			found->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (!found)
		return 0;
	int rc = mdfs_csv_size(found->f, size);
	pthread_mutex_lock(&lock);
	unref_locked(found);
	pthread_mutex_unlock(&lock);
	return rc < 0 ? rc : 1;
}
