/* fs/paths.c - the mount's path model (see paths.h). */
#include "fs/paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/names.h"

void mdfs_path_free(struct mdfs_path *p)
{
	free(p->db), free(p->schema), free(p->rel);
	for (int i = 0; i < 3; i++)
		free(p->fname[i]);
	memset(p, 0, sizeof *p);
}

/* The relation (or query) a file name names, if any: 0 with p->rel and
 * p->fmt set (or left NULL), or -ENOMEM. */
static int parse_file(const char *s, size_t len, struct mdfs_path *p)
{
	static const struct { const char *suffix; enum mdfs_format fmt; } kinds[] = {
		{ MDFS_CSV_SUFFIX, MDFS_FMT_CSV }, { MDFS_PARQUET_SUFFIX, MDFS_FMT_PARQUET },
		{ MDFS_SQL_SUFFIX, MDFS_FMT_SQL } };
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t sl = strlen(kinds[k].suffix);
		if (len <= sl || memcmp(s + len - sl, kinds[k].suffix, sl) != 0)
			continue;
		if ((p->rel = mdfs_name_decode(s, len - sl)))
			p->fmt = kinds[k].fmt;
		else if (errno == ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

int mdfs_path_parse(const char *path, struct mdfs_path *p)
{
	int rc = 0;
	memset(p, 0, sizeof *p);
	const char *s = path;
	while (*s == '/')
		s++;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (p->depth == 0 && len == strlen(MDFS_QUERIES_DIR) &&
		    memcmp(s, MDFS_QUERIES_DIR, len) == 0)
			p->queries = true;
		if (p->depth == (p->queries ? 2 : 3)) {
			rc = -ENOENT;
			break;
		}
		if (!(p->fname[p->depth] = strndup(s, len))) {
			rc = -ENOMEM;
			break;
		}
		if (p->depth == (p->queries ? 1 : 2)) {
			if ((rc = parse_file(s, len, p)) < 0)
				break;
		} else if (p->queries) {
			/* the directory itself: no catalog name */
		} else {
			char *name = mdfs_name_decode(s, len);
			if (!name) {
				rc = errno == ENOMEM ? -ENOMEM : -ENOENT;
				break;
			}
			*(p->depth == 0 ? &p->db : &p->schema) = name;
		}
		p->depth++;
		s += len;
		while (*s == '/')
			s++;
	}
	if (rc < 0)
		mdfs_path_free(p);
	return rc;
}
