/* tests/c/fail_ftruncate.c - an LD_PRELOAD shim for the tests: while the file
 * named by $MDFS_TEST_FAIL_FTRUNCATE exists, every ftruncate(fd, 0) fails with
 * EIO (the disk refusing), so the daemon's handling of that failure can be
 * seen through a real mount. Other calls go straight to the kernel.
 * Both symbols are defined (the daemon, built with 64-bit offsets, calls
 * ftruncate64), so the headers must not rename ftruncate here. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

int ftruncate(int fd, off_t length)
{
	const char *flag = getenv("MDFS_TEST_FAIL_FTRUNCATE");
	if (length == 0 && flag && access(flag, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_ftruncate, fd, length);
}

int ftruncate64(int fd, off_t length)
{
	return ftruncate(fd, length);
}
