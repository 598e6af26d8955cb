/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fault hooks for the crash tests, linked only into the test build of brokerd
 * (tests/faults/brokerd/parsec-brokerd): dies with SIGKILL at the point named
 * by PARSEC_FAULT, as a power cut would.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void broker_fault(const char *point);

void
broker_fault(const char *point)
{
	const char *want = getenv("PARSEC_FAULT");

	if (want != NULL && strcmp(want, point) == 0)
		kill(getpid(), SIGKILL);
}
