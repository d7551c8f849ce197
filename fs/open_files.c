/* fs/open_files.c - the CSV files open right now (see open_files.h): entries
 * of one registry keyed by path, one per open, so a stat never waits for a
 * release and a release (cancel, drain, disconnect) never runs under a lock
 * a stat takes. */
#include "fs/open_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/registry.h"

struct mdfs_open {
	struct mdfs_reg_entry ent;  /* key: the path */
	pid_t tgid;                 /* the opener's process; immutable */
	struct mdfs_csv_file *f;    /* closed by the last reference */
};

static void destroy(struct mdfs_reg_entry *e)
{
	struct mdfs_open *o = mdfs_reg_of(e, struct mdfs_open, ent);
	mdfs_csv_close(o->f);
	mdfs_reg_entry_fini(&o->ent);
	free(o);
}

static struct mdfs_registry opens = MDFS_REGISTRY_INIT(destroy);

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

struct mdfs_open *mdfs_open_add(const char *path, pid_t tid, struct mdfs_csv_file *f)
{
	struct mdfs_open *o = calloc(1, sizeof *o);
	if (!o || mdfs_reg_entry_init(&o->ent, path) < 0) {
		free(o);
		mdfs_csv_close(f);
		return NULL;
	}
	o->tgid = tgid_of(tid);
	o->f = f;
	mdfs_reg_add(&opens, &o->ent);
	return o; /* the caller's reference is the open handle's */
}

struct mdfs_csv_file *mdfs_open_file(struct mdfs_open *o)
{
	return o->f;
}

void mdfs_open_release(struct mdfs_open *o)
{
	(void)mdfs_reg_unlist(&opens, &o->ent);
	mdfs_reg_put(&opens, &o->ent); /* closes the stream unless a stat still uses it */
}

static bool same_process(const struct mdfs_reg_entry *e, const void *ud)
{
	return mdfs_reg_of(e, const struct mdfs_open, ent)->tgid == *(const pid_t *)ud;
}

int mdfs_open_size_for(const char *path, pid_t tid, off_t *size)
{
	struct mdfs_reg_entry *any = mdfs_reg_find(&opens, path, NULL, NULL);
	if (!any)
		return 0; /* the common case: nobody has it open, no /proc read */
	mdfs_reg_put(&opens, any);

	pid_t tgid = tgid_of(tid);
	struct mdfs_reg_entry *e = mdfs_reg_find(&opens, path, same_process, &tgid);
	if (!e)
		return 0;
	int rc = mdfs_csv_size(mdfs_reg_of(e, struct mdfs_open, ent)->f, size);
	mdfs_reg_put(&opens, e);
	return rc < 0 ? rc : 1;
}
