/* Test only: a disk that is slow to sync, or fails to. Preloaded into
 * minqing-hub by 46-sync-fault. fsync and fdatasync of a file whose name
 * ends in "-wal" first sleep MINQING_SYNC_DELAY_MS, and fail with EIO while
 * the file MINQING_SYNC_FAIL_FILE exists. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

static int is_wal(int fd)
{
	char link[64], path[4096];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n < 4)
		return 0;
	path[n] = '\0';
	return strcmp(path + n - 4, "-wal") == 0;
}

/* -1 with errno set when the sync must fail. */
static int fault(int fd)
{
	const char *delay = getenv("MINQING_SYNC_DELAY_MS");
	const char *fail = getenv("MINQING_SYNC_FAIL_FILE");

	if (!is_wal(fd))
		return 0;
	if (delay) {
		long ms = strtol(delay, NULL, 10);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (fail && access(fail, F_OK) == 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	return fault(fd) ? -1 : real(fd);
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	return fault(fd) ? -1 : real(fd);
}
