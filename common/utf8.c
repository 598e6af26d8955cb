/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 checks for names that cross a trust boundary (keys, applications). */
#include <string.h>

#include "utf8.h"

size_t
utf8_seq_len(const uint8_t *s, size_t len)
{
	size_t n, k;
	uint32_t cp;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (len - 1 < n)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

int
utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq_len(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

int
utf8_name_valid(const uint8_t *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && utf8_valid(s, len);
}
