/* fs/spool.c - spool files (contract in spool.h). */
#include "fs/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "mdclient/log.h"

int mdfs_spool_open(const char *dir, const char *what)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		mdc_log(LOG_ERR, "%s: no spool file in %s: %s", what, dir, strerror(e));
		return -e;
	}
	return fd;
}
