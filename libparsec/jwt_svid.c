/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JWT-SVID a client sends with the JwtSvid authenticator: the token in
 * PARSEC_JWT_SVID, or read from the file named by PARSEC_JWT_SVID_FILE (as a
 * SPIFFE helper writes it; surrounding white space is dropped).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libparsec.h"

/* The token into out[cap]: its length, 0 if none is given, -1 if unusable. */
long
lp_jwt_svid(uint8_t *out, size_t cap)
{
	const char *env = getenv("PARSEC_JWT_SVID"), *path = getenv("PARSEC_JWT_SVID_FILE");
	size_t len = 0, start = 0;
	ssize_t n = 1;
	int fd;

	if (env != NULL && env[0] != '\0') {
		if ((len = strlen(env)) > cap)
			return -1;
		memcpy(out, env, len);
	} else if (path != NULL && path[0] != '\0') {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
		while (len < cap && (n = read(fd, out + len, cap - len)) > 0)
			len += (size_t)n;
		close(fd);
		if (n < 0 || len == cap)
			return -1;
	}
	while (len > 0 && isspace(out[len - 1]))
		len--;
	while (start < len && isspace(out[start]))
		start++;
	memmove(out, out + start, len - start);
	return (long)(len - start);
}
