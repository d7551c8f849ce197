/* tests/c/parquet_cli.c - export one table as Parquet with mdc_parquet_export,
 * for tests/integration/test_parquet.py and benchmarks.
 *
 * usage: parquet_cli DB SCHEMA REL OUTFILE [zstd|snappy|none] [ROW_GROUP_BYTES] [ROW_GROUP_ROWS]
 * Environment as for the C integration tests (tests/c/testutil.h):
 * MDFS_TEST_SOURCE and MOTHERDUCK_TOKEN.
 * Prints "rows N bytes B seconds S maxrss_kb K" and exits 0, or prints
 * "ERROR <errno> <message>" and exits 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "mdclient/config.h"
#include "mdclient/conn.h"
#include "mdclient/parquet.h"
#include "testutil.h"

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: parquet_cli DB SCHEMA REL OUTFILE [zstd|snappy|none] [RG_BYTES] [RG_ROWS]\n");
		return 2;
	}
	mdc_parquet_options o = { 0 };
	if (argc > 5)
		o.codec = strcmp(argv[5], "snappy") == 0 ? MDC_PARQUET_SNAPPY :
			  strcmp(argv[5], "none") == 0 ? MDC_PARQUET_NONE : MDC_PARQUET_ZSTD;
	if (argc > 6)
		o.row_group_bytes = atoll(argv[6]);
	if (argc > 7)
		o.row_group_rows = atoll(argv[7]);

	mdc_error err;
	mdc_config *cfg = NULL;
	const char *source = testutil_env("MDFS_TEST_SOURCE");
	if (mdc_config_new(source, NULL, &cfg, &err) != 0) {
		printf("ERROR %d %s\n", err.errnum, err.message);
		return 1;
	}
	mdc_conn *c = NULL;
	int rc = mdc_connect(cfg, argv[1], &c, &err);
	if (rc == 0) {
		int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			perror(argv[4]);
			return 1;
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = mdc_parquet_export(c, argv[1], argv[2], argv[3], fd, &o, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		struct stat st;
		fstat(fd, &st);
		close(fd);
		if (rc == 0) {
			struct rusage ru;
			getrusage(RUSAGE_SELF, &ru);
			printf("bytes %lld seconds %.3f maxrss_kb %ld conn_ok %d\n", (long long)st.st_size,
			       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			       ru.ru_maxrss, mdc_conn_is_ok(c));
		}
	}
	if (rc)
		printf("ERROR %d %s\n", -rc, err.message);
	mdc_conn_close(c);
	mdc_config_free(cfg);
	return rc ? 1 : 0;
}
