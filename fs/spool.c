/* fs/spool.c - spool files (contract in spool.h). */
#include "fs/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int mdfs_spool_read_all(int fd, size_t max, char **text, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((size_t)st.st_size > max)
		return -EFBIG;
	size_t n = (size_t)st.st_size, got = 0;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	while (got < n) {
		ssize_t r = pread(fd, s + got, n - got, (off_t)got);
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(s);
			return -e;
		}
		got += (size_t)r;
	}
	s[n] = '\0';
	*text = s;
	*len = n;
	return 0;
}
