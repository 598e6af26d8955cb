/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The process table and fork + exec with fixed descriptors: what the parent
 * needs of proc.h. The start-up every child shares is proc_child.c, so the
 * parent links none of the sandbox (seccomp.c, sandbox.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

#define PROC_INFO_ROW(kind, name, binary, build_dir, peer, nfds, sandbox, restart, settings) \
	[kind] = { name, binary, build_dir, peer, nfds, sandbox, restart },
const struct proc_info proc_table[PROC_KINDS] = { PROC_TABLE(PROC_INFO_ROW) };

/*
 * Between fork and exec the child still has our handlers, and libevent's
 * writes the signal's number into our own event loop's socket: a SIGTERM
 * sent to a worker in that window (a reload retiring the worker the reload
 * before started) was read by parsecd as its own, and stopped the service.
 * So signals stay blocked across fork; the child takes the defaults before
 * it lets them in, and one sent meanwhile acts on the child alone.
 */
static void
proc_child_signals_default(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

pid_t
proc_spawn(const char *path, char *const argv[], const int *fds, int nfds)
{
	sigset_t all, old_mask;
	pid_t pid;
	int i, saved_errno;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old_mask);
	pid = fork();
	if (pid != 0) {
		saved_errno = errno;
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		errno = saved_errno;
		return pid;
	}

	/* Child: move each fd out of the way first so no dup2 clobbers another. */
	{
		int moved[16];

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
		proc_child_signals_default();
		execv(path, argv);
		_exit(127);
	}
}

uint64_t
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
