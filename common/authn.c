/* SPDX-License-Identifier: Apache-2.0 */
/* The pure checks of the Direct and UnixPeerCredentials auth fields (authn.h). */
#include <stdio.h>
#include <string.h>

#include "authn.h"
#include "utf8.h"

int
authn_direct(const uint8_t *auth, size_t auth_len, char *name, size_t name_size)
{
	if (auth_len == 0 || auth_len >= name_size || !utf8_name_valid(auth, auth_len))
		return -1;
	if (name != NULL) {
		memcpy(name, auth, auth_len);
		name[auth_len] = '\0';
	}
	return 0;
}

int
authn_peer_uid(const uint8_t *auth, size_t auth_len, uid_t peer_uid, char *name,
    size_t name_size)
{
	uint32_t claimed;

	if (auth_len != 4)
		return -1;
	claimed = (uint32_t)auth[0] | (uint32_t)auth[1] << 8 | (uint32_t)auth[2] << 16 |
	    (uint32_t)auth[3] << 24;
	if (claimed != (uint32_t)peer_uid)
		return -1;
	if (name != NULL)
		snprintf(name, name_size, "%u", claimed);
	return 0;
}
