/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr with snprintf + write only: stdio may be forbidden by seccomp. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_name = "parsec";
static int log_level = LOG_LVL_INFO;
static int log_timestamps;

static const char *const log_level_names[] = { "error", "warn", "info", "debug", "trace" };

void
log_init(const char *procname, int level, int timestamps)
{
	log_name = procname;
	log_level = level;
	log_timestamps = timestamps;
	/*
	 * glibc reads the time zone (TZ, /etc/localtime) at the first time
	 * conversion, gmtime_r's included: done here, at start, and not at the
	 * first stamped line after a chroot and under a filter that kills a
	 * process for an open (frontd's first was the one a SIGHUP writes).
	 */
	if (timestamps)
		tzset();
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

const char *
log_procname(void)
{
	return log_name;
}

static void
log_vwrite(int level, const char *func, int with_errno, const char *fmt, va_list ap)
{
	char line[1024];
	size_t used = 0;
	int saved_errno = errno;
	int n;

	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	n = snprintf(line + used, sizeof(line) - used, "%s[%d]: %s: %s: ", log_name,
	    (int)getpid(), log_level_names[level], func);
	if (n > 0)
		used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	if (n > 0)
		used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	if (with_errno && used < sizeof(line) - 1) {
		n = snprintf(line + used, sizeof(line) - used, ": %s", strerror(saved_errno));
		if (n > 0)
			used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	}
	if (used >= sizeof(line) - 1)
		used = sizeof(line) - 2;
	line[used++] = '\n';
	(void)!write(STDERR_FILENO, line, used);
	errno = saved_errno;
}

void
log_do(int level, const char *func, int with_errno, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	log_vwrite(level, func, with_errno, fmt, ap);
	va_end(ap);
}

void
fatal_do(const char *func, int with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, func, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}
