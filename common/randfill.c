/* SPDX-License-Identifier: Apache-2.0 */
/* Bytes from the kernel's generator, the whole count or none (randfill.h). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "randfill.h"

int
randfill(void *out, size_t len, unsigned int flags)
{
	unsigned char *p = out;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(p + got, len - got, flags);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			explicit_bzero(p, got);
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}
