/*
 * detach.c - a task in a detached process (see detach.h).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <unistd.h>

#include "base/detach.h"

#define DETACH_FD_MAX	4096    /* descriptors closed past stderr */

static void
close_inherited(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	int fd;

	if (max < 0 || max > DETACH_FD_MAX)
		max = DETACH_FD_MAX;
	for (fd = 3; fd < max; fd++)
		(void)close(fd);
}

int
hub_detach(void (*task)(void *), void *arg)
{
	pid_t mid, pid, got;
	int st = 0;

	if ((mid = fork()) < 0)
		return -1;
	if (mid == 0) {
		/* The intermediate child: start the task, leave at once. */
		if ((pid = fork()) < 0)
			_exit(1);
		if (pid > 0)
			_exit(0);
		close_inherited();
		task(arg);
		_exit(0);
	}
	while ((got = waitpid(mid, &st, 0)) < 0 && errno == EINTR)
		;
	return got == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
