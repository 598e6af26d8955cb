/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stamps of hoptime.h, kept in memory (a stamp costs a vDSO clock read and
 * a store) and written to stderr, one "hop PROCESS PID WHAT NS" line each, at
 * exit or when the ring is full. bench/hops.py reads them from the log.
 */
#include "hoptime.h"

#ifdef PARSEC_HOPTIME
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define HOPTIME_RING (1u << 18)

static struct {
	const char *what;
	uint64_t ns;
} hop_ring[HOPTIME_RING];
static size_t hop_count;
static int hop_registered;

static void
hoptime_dump(void)
{
	char buf[65536];
	size_t used = 0, i;
	int n;

	for (i = 0; i < hop_count; i++) {
		n = snprintf(buf + used, sizeof(buf) - used, "hop %s %ld %s %llu\n", log_procname(),
		    (long)getpid(), hop_ring[i].what, (unsigned long long)hop_ring[i].ns);
		if (n < 0 || (size_t)n >= sizeof(buf) - used) {
			(void)!write(STDERR_FILENO, buf, used);
			used = 0;
			i--;
			continue;
		}
		used += (size_t)n;
	}
	(void)!write(STDERR_FILENO, buf, used);
	hop_count = 0;
}

void
hoptime_stamp(const char *what)
{
	struct timespec ts;

	if (!hop_registered) {
		hop_registered = 1;
		atexit(hoptime_dump);
	}
	if (hop_count == HOPTIME_RING)
		hoptime_dump();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hop_ring[hop_count].what = what;
	hop_ring[hop_count].ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	hop_count++;
}
#else
/* ISO C wants a declaration in every translation unit. */
typedef int hoptime_unused;
#endif
