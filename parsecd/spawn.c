/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The children as the parent keeps them, and their start as proc_table says:
 * which binary, which descriptors, and the channels between parent, child
 * and peer. What a child's messages and exit mean is supervise.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "parsecd.h"

/* Where the children run from, what they are given, and who hears them. */
static struct {
	struct event_base *base;
	const struct parsec_config *cfg;
	int listen_fd;
	char exe_dir[PATH_MAX]; /* our own folder, read at the first use */
	ipc_msg_cb child_msg;
	ipc_close_cb child_lost;
	uint32_t workers; /* per provider */
	struct child single[PROC_KINDS]; /* one per row with a binary of its own */
	struct child providers[CFG_PROVIDER_MAX * CFG_WORKERS_MAX]; /* every worker */
	size_t provider_count;
} sp;

const char *
parsecd_provider_binary(enum cfg_provider_kind kind)
{
	switch (kind) {
	case CFG_PROVIDER_MBED_CRYPTO:
		return "parsec-provider-mbed";
	case CFG_PROVIDER_PKCS11:
		return "parsec-provider-pkcs11";
	case CFG_PROVIDER_TPM:
		return "parsec-provider-tpm";
	}
	return "parsec-provider-unknown";
}

static void
parsecd_exe_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	strlcpy(sp.exe_dir, exe, sizeof(sp.exe_dir));
}

/* Children and helpers sit next to us in a build tree, or in LIBEXECDIR once installed. */
void
parsecd_helper_path(const char *build_dir, const char *binary, char *out, size_t outsz)
{
	if (sp.exe_dir[0] == '\0')
		parsecd_exe_dir();
	if ((size_t)snprintf(out, outsz, "%s/../%s/%s", sp.exe_dir, build_dir, binary) < outsz &&
	    access(out, X_OK) == 0)
		return;
	if ((size_t)snprintf(out, outsz, "%s/%s", LIBEXECDIR, binary) >= outsz)
		fatalx("path of %s too long", binary);
}

static int
parsecd_helper_ok(const char *binary, const char *build_dir)
{
	char path[PATH_MAX];

	parsecd_helper_path(build_dir, binary, path, sizeof(path));
	if (access(path, X_OK) == 0)
		return 1;
	fprintf(stderr, "parsecd: helper %s: %s\n", path, strerror(errno));
	return 0;
}

int
parsecd_check_helpers(const struct parsec_config *cfg)
{
	enum proc_kind kind;
	size_t i;
	int ok = 1;

	for (kind = 0; kind < PROC_KINDS; kind++) {
		if (proc_table[kind].binary != NULL) {
			ok &= parsecd_helper_ok(proc_table[kind].binary, proc_table[kind].build_dir);
			continue;
		}
		for (i = 0; i < cfg->provider_count; i++)
			ok &= parsecd_helper_ok(parsecd_provider_binary(cfg->providers[i].kind),
			    proc_table[kind].build_dir);
	}
	ok &= parsecd_helper_ok(PARSECD_ADOPT_BINARY, PARSECD_ADOPT_BUILD_DIR);
	return ok ? 0 : -1;
}

static void
parsecd_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
}

struct child *
parsecd_child_of(enum proc_kind kind)
{
	return proc_table[kind].binary != NULL ? &sp.single[kind] : NULL;
}

struct child *
parsecd_child(size_t i)
{
	enum proc_kind kind;

	for (kind = 0; kind < PROC_KINDS; kind++) {
		if (proc_table[kind].binary == NULL)
			continue;
		if (i-- == 0)
			return &sp.single[kind];
	}
	return i < sp.provider_count ? &sp.providers[i] : NULL;
}

/*
 * c's end of the channel to its peer: the end its peer holds for it if the
 * peer started first and made one, else one end of a new pair whose other
 * end c holds until the peer takes it (brokerd: at its exec from frontd; a
 * provider's: in IPC_SETUP_PROVIDER).
 */
static int
parsecd_peer_fd(struct child *c)
{
	struct child *peer = parsecd_child_of(proc_table[c->kind].peer);
	int sv[2], fd;

	if (peer != NULL && peer->peer_end != -1 && proc_table[peer->kind].peer == c->kind) {
		fd = peer->peer_end;
		peer->peer_end = -1;
		return fd;
	}
	parsecd_socketpair(sv);
	c->peer_end = sv[0];
	return sv[1];
}

/* Starts c with its descriptors as its proc_table row says; the channel to us is up after. */
void
parsecd_spawn(struct child *c)
{
	char path[PATH_MAX], level[16];
	char *argv[6];
	int argc = 0, to_parent[2], fds[3];

	parsecd_helper_path(proc_table[c->kind].build_dir, c->binary, path, sizeof(path));
	/* The child's exec failure is only an exit status 127; name the file here. */
	if (access(path, X_OK) == -1)
		log_warn("%s: cannot execute %s", c->name, path);
	snprintf(level, sizeof(level), "%d", log_getlevel());
	argv[argc++] = (char *)c->binary;
	argv[argc++] = "-l";
	argv[argc++] = level;
	if (sp.cfg->log_timestamp)
		argv[argc++] = "-T";
	argv[argc] = NULL;
	parsecd_socketpair(to_parent);
	fds[0] = to_parent[1];
	fds[1] = parsecd_peer_fd(c);
	fds[2] = sp.listen_fd;
	if ((c->pid = proc_spawn(path, argv, fds, proc_table[c->kind].nfds)) == -1) {
		log_warn("fork for %s", c->name);
		fatalx("cannot start %s", c->name);
	}
	log_debug("started %s (%s) as pid %d", c->name, path, (int)c->pid);
	close(fds[0]);
	close(fds[1]);
	c->ready = 0;
	c->hello = 0;
	c->chan = ipc_chan_new(sp.base, to_parent[0], c->name, sp.child_msg, sp.child_lost, c);
	/* What a child sends can cost it its life, never the parent's. */
	ipc_chan_set_untrusted(c->chan);
}

/*
 * A TPM serves one command at a time (and swtpm one connection): its provider
 * runs one worker. The others run [privsep] workers.
 */
uint32_t
parsecd_workers_for(enum cfg_provider_kind kind)
{
	return kind == CFG_PROVIDER_TPM ? 1 : sp.workers;
}

static void
parsecd_init_child(struct child *c, enum proc_kind kind, const char *binary, const char *name)
{
	c->kind = kind;
	c->binary = binary;
	strlcpy(c->name, name, sizeof(c->name));
	c->peer_end = -1;
}

/* A slot for a worker of p: a retired worker's that has exited, or a new one. */
struct child *
parsecd_new_worker(const struct cfg_provider *p, uint32_t worker)
{
	struct child *c = NULL;
	char name[CFG_NAME_MAX + 16];
	size_t i;

	for (i = 0; i < sp.provider_count && c == NULL; i++)
		if (sp.providers[i].retired && sp.providers[i].pid == 0)
			c = &sp.providers[i];
	if (c == NULL) {
		if (sp.provider_count == sizeof(sp.providers) / sizeof(sp.providers[0]))
			return NULL;
		c = &sp.providers[sp.provider_count++];
	}
	snprintf(name, sizeof(name), "provider %s/%u", p->name, worker);
	parsecd_init_child(c, PROC_PROVIDER, parsecd_provider_binary(p->kind), name);
	c->retired = 0;
	c->backoff_ms = 0;
	c->provider = p;
	strlcpy(c->provider_dir, p->name, sizeof(c->provider_dir));
	c->provider_kind = p->kind;
	c->worker = worker;
	return c;
}

void
parsecd_spawn_init(struct event_base *base, const struct parsec_config *cfg, int listen_fd,
    ipc_msg_cb child_msg, ipc_close_cb child_lost)
{
	enum proc_kind kind;

	sp.base = base;
	sp.cfg = cfg;
	sp.listen_fd = listen_fd;
	sp.child_msg = child_msg;
	sp.child_lost = child_lost;
	for (kind = 0; kind < PROC_KINDS; kind++)
		if (proc_table[kind].binary != NULL)
			parsecd_init_child(&sp.single[kind], kind, proc_table[kind].binary,
			    proc_table[kind].name);
	sp.workers = cfg->workers;
	if (sp.workers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		sp.workers = cpus < 1 ? 1 : cpus > CFG_WORKERS_MAX ? CFG_WORKERS_MAX : (uint32_t)cpus;
	}
}
