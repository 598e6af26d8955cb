/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The authenticators brokerd applies: types and admins from config.toml, and
 * for JwtSvid with jwt_bundle_path the bundle file's bytes, read here (as the
 * config is) and parsed only by brokerd. Read again on every reload.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"
#include "setup.h"

/* The whole file, or an empty bundle (every token refused) and a warning. */
static size_t
parsecd_read_bundle(const char *path, uint8_t *out, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("jwt_bundle_path %s: JwtSvid tokens are refused until it loads", path);
		return 0;
	}
	while (len < cap && (n = read(fd, out + len, cap - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		len += (size_t)n;
	}
	if (len == cap || n == -1) {
		log_warnx("jwt_bundle_path %s: unreadable or over %u bytes; JwtSvid tokens are "
		    "refused until it loads", path, SETUP_JWT_BUNDLE_MAX - 1);
		len = 0;
	}
	close(fd);
	return len;
}

void
parsecd_auth_setup(const struct parsec_config *cfg, struct setup_broker *s)
{
	size_t i, k;

	s->auth_count = (uint32_t)cfg->authenticator_count;
	for (i = 0; i < cfg->authenticator_count; i++) {
		const struct cfg_authenticator *a = &cfg->authenticators[i];
		struct setup_auth *o = &s->auths[i];

		o->type = (uint32_t)a->type;
		o->admin_count = (uint32_t)a->admin_count;
		for (k = 0; k < a->admin_count; k++)
			strlcpy(o->admins[k], a->admins[k], sizeof(o->admins[k]));
		o->jwt_bundle_len = 0;
		o->workload_api = a->type == CFG_AUTH_JWT_SVID && a->workload_endpoint[0] != '\0';
		if (a->type == CFG_AUTH_JWT_SVID && a->jwt_bundle_path[0] != '\0')
			o->jwt_bundle_len = parsecd_read_bundle(a->jwt_bundle_path, o->jwt_bundle,
			    sizeof(o->jwt_bundle));
	}
}

/*
 * brokerd asks for a connection to the Workload API: connected here, where
 * the agent's socket is reachable, and handed over; brokerd alone reads it.
 */
void
parsecd_spiffe_connect(const struct parsec_config *cfg, struct ipc_chan *broker)
{
	const struct cfg_authenticator *a = NULL;
	struct sockaddr_un sun;
	const char *path;
	size_t i;
	int fd = -1;

	for (i = 0; i < cfg->authenticator_count; i++)
		if (cfg->authenticators[i].type == CFG_AUTH_JWT_SVID)
			a = &cfg->authenticators[i];
	if (a == NULL || a->workload_endpoint[0] == '\0') {
		ipc_send_ctl(broker, IPC_SPIFFE_SOCKET, 0, -1, NULL, 0);
		return;
	}
	/* unix:///path, unix:/path (upstream's and the SPIFFE spec's forms) */
	path = a->workload_endpoint;
	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	else if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' || strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		log_warnx("workload_endpoint %s: not unix:///absolute/path", a->workload_endpoint);
	else if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("workload_endpoint %s", a->workload_endpoint);
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	ipc_send_ctl(broker, IPC_SPIFFE_SOCKET, 0, fd, NULL, 0);
}
