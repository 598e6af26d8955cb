/* SPDX-License-Identifier: Apache-2.0 */
/* The check brokerd makes on every client descriptor frontd hands it. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "peer.h"

static int
peer_int_opt(int fd, int opt, int *value)
{
	socklen_t len = sizeof(*value);

	return getsockopt(fd, SOL_SOCKET, opt, value, &len) == 0 && len == sizeof(*value) ? 0 : -1;
}

int
peer_is_client(int fd, const char *listen_path, char *why, size_t why_len)
{
	struct sockaddr_un local;
	socklen_t len = sizeof(local);
	int domain, type, listening;
	size_t path_len;

	if (peer_int_opt(fd, SO_DOMAIN, &domain) == -1 || domain != AF_UNIX ||
	    peer_int_opt(fd, SO_TYPE, &type) == -1 || type != SOCK_STREAM) {
		snprintf(why, why_len, "not a Unix stream socket");
		return -1;
	}
	if (peer_int_opt(fd, SO_ACCEPTCONN, &listening) == -1 || listening != 0) {
		snprintf(why, why_len, "a listening socket");
		return -1;
	}
	memset(&local, 0, sizeof(local));
	if (getsockname(fd, (struct sockaddr *)&local, &len) == -1 ||
	    len <= offsetof(struct sockaddr_un, sun_path)) {
		snprintf(why, why_len, "a socket without an address (a socketpair or a client end)");
		return -1;
	}
	path_len = strnlen(local.sun_path, len - offsetof(struct sockaddr_un, sun_path));
	if (listen_path[0] == '\0' || path_len != strlen(listen_path) ||
	    memcmp(local.sun_path, listen_path, path_len) != 0) {
		snprintf(why, why_len, "a socket of another listener (%.*s)", (int)path_len,
		    local.sun_path);
		return -1;
	}
	return 0;
}
