/* SPDX-License-Identifier: Apache-2.0 */
/* fork + exec with fixed descriptors, and the common start of a child. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"

pid_t
proc_spawn(const char *path, char *const argv[], const int *fds, int nfds)
{
	pid_t pid;
	int i;

	pid = fork();
	if (pid != 0)
		return pid;

	/* Child: move each fd out of the way first so no dup2 clobbers another. */
	{
		int moved[16];
		sigset_t none;

		if (nfds > 16)
			_exit(127);
		for (i = 0; i < nfds; i++) {
			moved[i] = -1;
			if (fds[i] >= 0 && (moved[i] = fcntl(fds[i], F_DUPFD, 64)) == -1)
				_exit(127);
		}
		for (i = 0; i < nfds; i++) {
			if (moved[i] >= 0 && dup2(moved[i], 3 + i) == -1)
				_exit(127);
		}
		/* Everything past our fixed slots goes, including the moved copies. */
		if (syscall(SYS_close_range, (unsigned)(3 + nfds), ~0u, 0) == -1) {
			int fd, max = (int)sysconf(_SC_OPEN_MAX);

			for (fd = 3 + nfds; fd < max; fd++)
				close(fd);
		}
		for (i = 0; i < nfds; i++)
			if (moved[i] < 0)
				close(3 + i);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(path, argv);
		_exit(127);
	}
}

void
proc_child_init(const char *procname, int argc, char **argv)
{
	int level = LOG_LVL_INFO, timestamps = 0, ch;

	while ((ch = getopt(argc, argv, "l:T")) != -1) {
		switch (ch) {
		case 'l':
			level = atoi(optarg);
			if (level < LOG_LVL_ERROR || level > LOG_LVL_TRACE)
				level = LOG_LVL_INFO;
			break;
		case 'T':
			timestamps = 1;
			break;
		default:
			break;
		}
	}
	log_init(procname, level, timestamps);
	if (fcntl(3, F_GETFD) == -1)
		fatalx("must be started by parsecd (no channel on fd 3)");
	signal(SIGPIPE, SIG_IGN);
	/* The parent decides when we stop; a terminal's ^C must not race it. */
	signal(SIGINT, SIG_IGN);
}

uint64_t
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
