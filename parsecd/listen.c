/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The listening socket and the service manager: systemd socket activation
 * (LISTEN_FDS) and readiness notification (NOTIFY_SOCKET), spoken directly,
 * with no libsystemd.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"

#define LISTEN_FDS_START 3

/* The socket systemd passed, if LISTEN_PID names us; -1 otherwise. */
static int
listen_activated(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type = 0, listening = 0, fd = LISTEN_FDS_START;
	socklen_t len = sizeof(type);

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strtol(fds, NULL, 10) != 1)
		fatalx("LISTEN_FDS=%s: parsecd takes exactly one socket", fds);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 || type != SOCK_STREAM)
		fatalx("the activated descriptor is not a stream socket");
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 || !listening)
		fatalx("the activated socket is not listening");
	/* Our own descriptors must not collide with the fixed child slots. */
	if ((fd = fcntl(fd, F_DUPFD_CLOEXEC, 16)) == -1)
		fatal("dup of the activated socket");
	close(LISTEN_FDS_START);
	return fd;
}

/* The socket's directory: made root's and traversable if missing, else used as it is. */
static void
listen_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	close(parsecd_dir_open("listener.socket_path", dir, 1, geteuid(), getegid(), 0755, NULL));
}

/*
 * The socket file takes its mode from the umask and its group from our
 * effective gid at bind time: nothing is changed by path afterwards.
 */
static void
listen_bind(int fd, const struct sockaddr_un *sun, const struct parsec_config *cfg)
{
	gid_t gid = getegid();
	mode_t old;
	int r, saved;

	if (cfg->socket_group[0] != '\0') {
		struct group *gr = getgrnam(cfg->socket_group);

		if (gr == NULL)
			fatalx("[privsep] socket_group %s does not exist", cfg->socket_group);
		if (setegid(gr->gr_gid) == -1)
			fatal("setegid %s for listener.socket_path", cfg->socket_group);
	}
	old = umask(~(mode_t)cfg->socket_mode & 0777);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	umask(old);
	if (cfg->socket_group[0] != '\0' && setegid(gid) == -1)
		fatal("setegid back to %u", (unsigned)gid);
	errno = saved;
	if (r == -1)
		fatal("bind %s", sun->sun_path);
}

/*
 * Our own socket is made and listening under a name of its own (the path
 * plus ".<pid>") and renamed onto listener.socket_path only once every
 * provider is up: a client that sees the path is answered, never told that
 * the service is still starting.
 */
static struct {
	char building[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int published;
} ls;

int
parsecd_listen(const struct parsec_config *cfg, int *activated)
{
	struct sockaddr_un sun;
	int fd, n;

	if ((fd = listen_activated()) != -1) {
		log_info("using the socket passed by the service manager");
		*activated = 1;
		return fd;
	}
	*activated = 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* Room for the ".<pid>" of the name it is built under (pids have at most 7 digits). */
	if (strlen(cfg->socket_path) > sizeof(sun.sun_path) - 1 - 8)
		fatalx("listener.socket_path too long: %s (at most %zu characters)",
		    cfg->socket_path, sizeof(sun.sun_path) - 1 - 8);
	strlcpy(sun.sun_path, cfg->socket_path, sizeof(sun.sun_path));
	n = snprintf(ls.building, sizeof(ls.building), "%s.%d", cfg->socket_path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(ls.building))
		fatalx("listener.socket_path too long: %s", cfg->socket_path);
	listen_parent_dir(cfg->socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("another service is already listening on %s", cfg->socket_path);
	close(fd);
	if (unlink(cfg->socket_path) == -1 && errno != ENOENT)
		fatal("unlink stale socket %s", cfg->socket_path);
	if (unlink(ls.building) == -1 && errno != ENOENT)
		fatal("unlink stale socket %s", ls.building);
	strlcpy(sun.sun_path, ls.building, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	listen_bind(fd, &sun, cfg);
	if (listen(fd, SOMAXCONN) == -1)
		fatal("listen %s", ls.building);
	return fd;
}

void
parsecd_listen_publish(const struct parsec_config *cfg)
{
	if (ls.published)
		return;
	ls.published = 1;
	if (ls.building[0] != '\0' && rename(ls.building, cfg->socket_path) == -1)
		fatal("rename %s to %s", ls.building, cfg->socket_path);
}

void
parsecd_listen_close(int fd, const struct parsec_config *cfg)
{
	const char *path = ls.published ? cfg->socket_path : ls.building;

	if (ls.building[0] == '\0') {
		/*
		 * The service manager's socket outlives us. Clients queued on it
		 * before a start that failed are let go rather than left waiting
		 * for a service that is not coming; after a normal stop they stay
		 * queued for the next start.
		 */
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int conn;

		while (!ls.published && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
		    (conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1)
			close(conn);
		close(fd);
		return;
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("unlink %s", path);
}

void
parsecd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("NOTIFY_SOCKET too long");
		return;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("socket for NOTIFY_SOCKET");
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) == -1)
		log_warn("notifying the service manager");
	close(fd);
}
