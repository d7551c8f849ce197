/* fs/paths.h - the path model of the mount: a path split into decoded
 * catalog names.
 *
 * Tree: /                       databases              (depth 0)
 *       /<db>                   schemas                (depth 1)
 *       /<db>/<schema>          relations and spooled files  (depth 2)
 *       /<db>/<schema>/<file>   a file                 (depth 3)
 * Directory components are encoded names (fs/names.h). Any file name may be
 * spooled in a schema directory; only "<encoded name>.csv" and
 * "<encoded name>.parquet" name a relation (rel, fmt).
 */
#ifndef MDFS_PATHS_H
#define MDFS_PATHS_H

#include "mdclient/common.h"

#define MDFS_CSV_SUFFIX ".csv"
#define MDFS_PARQUET_SUFFIX ".parquet"

enum mdfs_format { MDFS_FMT_NONE = 0, MDFS_FMT_CSV, MDFS_FMT_PARQUET };

struct mdfs_path {
	int depth;               /* 0 = root ... 3 = a file in a schema directory */
	enum mdfs_format fmt;    /* of rel */
	char *db, *schema;       /* decoded; NULL above their depth */
	char *rel;               /* decoded relation name of a file; NULL when the
				  * file name names none */
	char *fname[3];          /* the raw (encoded) components */
};

/* Split path ("/db/schema/file", extra slashes allowed) into *p. Returns 0
 * (release with mdfs_path_free), -ENOENT for a path deeper than a file or a
 * directory name that is not a valid encoding, or -ENOMEM; on failure *p
 * holds nothing. */
int mdfs_path_parse(const char *path, struct mdfs_path *p) MDC_MUSTCHECK;
void mdfs_path_free(struct mdfs_path *p);

#endif
