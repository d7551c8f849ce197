/* fs/spool.c - spool files (contract in spool.h). */
#include "fs/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mdclient/clock.h"
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

/* All shares together, and how many are unnamed (share_mu). */
static pthread_mutex_t share_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t share_cv = PTHREAD_COND_INITIALIZER;
static off_t shares_total;
static unsigned shares_unnamed;

#define UNNAMED_WAIT_MS 2000

/* Wait on share_cv (share_mu held) for at most ms, in slices of 100 ms
 * (CLOCK_REALTIME, the condition variable's; the caller's deadline is kept
 * on the one clock). */
static void share_wait(int64_t ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	if (ms > 100)
		ms = 100;
	until.tv_nsec += (long)ms * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&share_cv, &share_mu, &until);
}

static int share_count(struct mdfs_spool_share *s, off_t size, bool check)
{
	int64_t deadline = 0;
	pthread_mutex_lock(&share_mu);
	for (;;) {
		off_t total = shares_total - s->counted + size;
		bool over = check && size > s->counted && total > s->max;
		if (!over) {
			if (total < shares_total)
				pthread_cond_broadcast(&share_cv);
			shares_total = total;
			s->counted = size;
			break;
		}
		int64_t now = mdc_now_ms();
		if (!deadline)
			deadline = now + UNNAMED_WAIT_MS;
		if (shares_unnamed == 0 || now >= deadline) {
			pthread_mutex_unlock(&share_mu);
			return -ENOSPC;
		}
		share_wait(deadline - now);
	}
	pthread_mutex_unlock(&share_mu);
	return 0;
}

int mdfs_spool_share_grow(struct mdfs_spool_share *s, off_t size)
{
	return share_count(s, size, true);
}

void mdfs_spool_share_set(struct mdfs_spool_share *s, off_t size)
{
	(void)share_count(s, size, false);
}

void mdfs_spool_share_unnamed(struct mdfs_spool_share *s)
{
	pthread_mutex_lock(&share_mu);
	if (!s->unnamed) {
		s->unnamed = true;
		shares_unnamed++;
	}
	pthread_mutex_unlock(&share_mu);
}

void mdfs_spool_share_drop(struct mdfs_spool_share *s)
{
	mdfs_spool_share_set(s, 0);
	pthread_mutex_lock(&share_mu);
	if (s->unnamed) {
		s->unnamed = false;
		shares_unnamed--;
		pthread_cond_broadcast(&share_cv);
	}
	pthread_mutex_unlock(&share_mu);
}
