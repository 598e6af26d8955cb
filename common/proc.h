/* SPDX-License-Identifier: Apache-2.0 */
/* Process plumbing shared by parsecd and its children. */
#ifndef PARSEC_PROC_H
#define PARSEC_PROC_H

#include <stdint.h>
#include <sys/types.h>

enum proc_kind { PROC_FRONTD, PROC_BROKERD, PROC_PROVIDER };

/*
 * fork + exec of path with argv; in the child, fds[i] becomes descriptor
 * 3 + i (for i < nfds) and every other descriptor above 2 is closed.
 * A negative entry leaves that slot closed. Returns the pid or -1.
 */
pid_t proc_spawn(const char *path, char *const argv[], const int *fds, int nfds);

/* Common start of every child: logging from argv (-l LEVEL -T), checks fds 3.. exist. */
void proc_child_init(const char *procname, int argc, char **argv);

/* Monotonic milliseconds. */
uint64_t proc_now_ms(void);

#endif
