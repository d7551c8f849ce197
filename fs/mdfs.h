/* fs/mdfs.h - the daemon's state, shared by main.c and the FUSE callbacks. */
#ifndef MDFS_MDFS_H
#define MDFS_MDFS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>
#include <sys/types.h>
#include <time.h>

#include "fs/catalog_cache.h"
#include "fs/spool.h"
#include "fs/options.h"
#include "mdclient/config.h"
#include "mdclient/pool.h"

struct mdfs {
	struct mdfs_opts opts;
	mdc_config *cfg;
	mdc_pool *pool;
	struct mdfs_cache *cache;
	uid_t uid;
	gid_t gid;
	time_t mounted;          /* times shown on every file */
	struct mdfs_spool_conf spool;
};

/* The FUSE callbacks (fs/ops.c). private_data is the struct mdfs. */
extern const struct fuse_operations mdfs_ops;

#endif
