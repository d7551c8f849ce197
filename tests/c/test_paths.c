/* Unit tests of the mount's path model (fs/paths.h). */
#include <errno.h>
#include <stdlib.h>
#include "fs/paths.h"
#include "testutil.h"

static void dir(const char *path, int depth, const char *db, const char *schema)
{
	struct mdfs_path p;
	CHECK_INT(mdfs_path_parse(path, &p), 0);
	CHECK_INT(p.depth, depth);
	if (db)
		CHECK_STR(p.db, db);
	else
		CHECK(p.db == NULL);
	if (schema)
		CHECK_STR(p.schema, schema);
	else
		CHECK(p.schema == NULL);
	CHECK(p.rel == NULL);
	CHECK_INT(p.fmt, MDFS_FMT_NONE);
	mdfs_path_free(&p);
}

static void file(const char *path, const char *fname, const char *rel, enum mdfs_format fmt)
{
	struct mdfs_path p;
	CHECK_INT(mdfs_path_parse(path, &p), 0);
	CHECK_INT(p.depth, 3);
	CHECK_STR(p.fname[2], fname);
	if (rel)
		CHECK_STR(p.rel, rel);
	else
		CHECK(p.rel == NULL);
	CHECK_INT(p.fmt, fmt);
	mdfs_path_free(&p);
}

static void noent(const char *path)
{
	struct mdfs_path p;
	CHECK_INT(mdfs_path_parse(path, &p), -ENOENT);
	CHECK(p.db == NULL && p.schema == NULL && p.rel == NULL && p.fname[0] == NULL);
}

int main(void)
{
	dir("/", 0, NULL, NULL);
	dir("", 0, NULL, NULL);
	dir("/shop", 1, "shop", NULL);
	dir("//shop//", 1, "shop", NULL);
	dir("/shop/main", 2, "shop", "main");
	dir("/a%2Fb/%2E%2E", 2, "a/b", "..");
	dir("/%/%25", 2, "", "%");

	struct mdfs_path p;
	CHECK_INT(mdfs_path_parse("/sh%2Fop/ma%25in/orders.csv", &p), 0);
	CHECK_STR(p.fname[0], "sh%2Fop");
	CHECK_STR(p.fname[1], "ma%25in");
	CHECK_STR(p.db, "sh/op");
	CHECK_STR(p.schema, "ma%in");
	mdfs_path_free(&p);
	CHECK(p.db == NULL && p.fname[0] == NULL);

	file("/shop/main/orders.csv", "orders.csv", "orders", MDFS_FMT_CSV);
	file("/shop/main/orders.parquet", "orders.parquet", "orders", MDFS_FMT_PARQUET);
	file("/shop/main/a%2Fb.csv", "a%2Fb.csv", "a/b", MDFS_FMT_CSV);
	file("/shop/main/%2E.csv", "%2E.csv", ".", MDFS_FMT_CSV);
	file("/shop/main/%.parquet", "%.parquet", "", MDFS_FMT_PARQUET);
	file("/shop/main/x.csv.parquet", "x.csv.parquet", "x.csv", MDFS_FMT_PARQUET);
	file("/shop/main/orders.sql", "orders.sql", "orders", MDFS_FMT_SQL);
	file("/shop/main/we%22ird.sql", "we%22ird.sql", NULL, MDFS_FMT_NONE);
	/* Spool-only names: any file name, but no relation. */
	file("/shop/main/notes.txt", "notes.txt", NULL, MDFS_FMT_NONE);
	file("/shop/main/.csv", ".csv", NULL, MDFS_FMT_NONE);
	file("/shop/main/.parquet", ".parquet", NULL, MDFS_FMT_NONE);
	file("/shop/main/bad%41.csv", "bad%41.csv", NULL, MDFS_FMT_NONE);
	file("/shop/main/t.csv~", "t.csv~", NULL, MDFS_FMT_NONE);
	file("/shop/main/t.CSV", "t.CSV", NULL, MDFS_FMT_NONE);
	file("/shop/main/t.csv/", "t.csv", "t", MDFS_FMT_CSV);

	noent("/shop/main/t.csv/more");
	noent("/bad%41");
	noent("/shop/%2e");
	noent("/./main");
	return testutil_finish("test_paths");
}
