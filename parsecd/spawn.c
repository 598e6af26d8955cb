/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting children as proc_table says: which binary, which descriptors,
 * and the channels between parent, child and peer. The first start of the
 * whole service, and each provider worker's start and restart.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "parsecd.h"

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

/* Children and helpers sit next to us in a build tree, or in LIBEXECDIR once installed. */
void
parsecd_helper_path(const char *build_dir, const char *binary, char *out, size_t outsz)
{
	if ((size_t)snprintf(out, outsz, "%s/../%s/%s", pd.exe_dir, build_dir, binary) < outsz &&
	    access(out, X_OK) == 0)
		return;
	if ((size_t)snprintf(out, outsz, "%s/%s", LIBEXECDIR, binary) >= outsz)
		fatalx("path of %s too long", binary);
}

void
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
	strlcpy(pd.exe_dir, exe, sizeof(pd.exe_dir));
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
parsecd_check_helpers(void)
{
	size_t i;
	int ok = 1;

	ok &= parsecd_helper_ok(proc_table[PROC_FRONTD].binary, proc_table[PROC_FRONTD].build_dir);
	ok &= parsecd_helper_ok(proc_table[PROC_BROKERD].binary, proc_table[PROC_BROKERD].build_dir);
	for (i = 0; i < pd.cfg.provider_count; i++)
		ok &= parsecd_helper_ok(parsecd_provider_binary(pd.cfg.providers[i].kind),
		    proc_table[PROC_PROVIDER].build_dir);
	ok &= parsecd_helper_ok(PARSECD_ADOPT_BINARY, PARSECD_ADOPT_BUILD_DIR);
	return ok ? 0 : -1;
}

static void
parsecd_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
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
	enum proc_kind peer_kind = proc_table[c->kind].peer;
	struct child *peer = peer_kind == PROC_FRONTD ? &pd.front :
	    peer_kind == PROC_BROKERD ? &pd.broker : NULL;
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
static void
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
	if (pd.cfg.log_timestamp)
		argv[argc++] = "-T";
	argv[argc] = NULL;
	parsecd_socketpair(to_parent);
	fds[0] = to_parent[1];
	fds[1] = parsecd_peer_fd(c);
	fds[2] = pd.listen_fd;
	if ((c->pid = proc_spawn(path, argv, fds, proc_table[c->kind].nfds)) == -1) {
		log_warn("fork for %s", c->name);
		fatalx("cannot start %s", c->name);
	}
	log_debug("started %s (%s) as pid %d", c->name, path, (int)c->pid);
	close(fds[0]);
	close(fds[1]);
	c->ready = 0;
	c->chan = ipc_chan_new(pd.base, to_parent[0], c->name, parsecd_child_msg,
	    parsecd_child_lost, c);
}

/* Starts one provider worker; brokerd gets its end of the channel at setup. */
void
parsecd_start_provider(struct child *c)
{
	parsecd_spawn(c);
	/* A provider started after brokerd (a restart, a reload) is linked at once. */
	if (pd.broker_hello)
		parsecd_link_provider(c);
}

/*
 * A TPM serves one command at a time (and swtpm one connection): its provider
 * runs one worker. The others run [privsep] workers.
 */
uint32_t
parsecd_workers_for(enum cfg_provider_kind kind)
{
	return kind == CFG_PROVIDER_TPM ? 1 : pd.workers;
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

	for (i = 0; i < pd.provider_count && c == NULL; i++)
		if (pd.providers[i].retired && pd.providers[i].pid == 0)
			c = &pd.providers[i];
	if (c == NULL) {
		if (pd.provider_count == sizeof(pd.providers) / sizeof(pd.providers[0]))
			return NULL;
		c = &pd.providers[pd.provider_count++];
		c->restart_ev = evtimer_new(pd.base, parsecd_restart_provider, c);
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
parsecd_start(void)
{
	struct timeval tv = { SETUP_TIMEOUT_SEC, 0 };
	size_t i;
	uint32_t w;

	/* Paths a role's user cannot reach stop the start before anything is made there. */
	parsecd_check_reach(&pd.cfg);
	/* The state directory's lock first: a second instance stops before it touches a thing. */
	parsecd_prepare_dirs(&pd.cfg);
	if (parsecd_adopt(&pd.cfg, 0) == -1)
		fatalx("upstream Parsec's keys could not be adopted into the key store %s",
		    pd.cfg.key_managers[0].sqlite_db_path);
	/* From here each worker's setup reads its secrets again (secrets.c). */
	parsecd_secrets_forget(&pd.cfg);
	pd.listen_fd = parsecd_listen(&pd.cfg, &pd.activated);
	parsecd_init_child(&pd.front, PROC_FRONTD, proc_table[PROC_FRONTD].binary,
	    proc_table[PROC_FRONTD].name);
	parsecd_init_child(&pd.broker, PROC_BROKERD, proc_table[PROC_BROKERD].binary,
	    proc_table[PROC_BROKERD].name);
	parsecd_spawn(&pd.front);
	parsecd_spawn(&pd.broker);

	pd.workers = pd.cfg.workers;
	if (pd.workers == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		pd.workers = cpus < 1 ? 1 : cpus > CFG_WORKERS_MAX ? CFG_WORKERS_MAX : (uint32_t)cpus;
	}
	for (i = 0; i < pd.cfg.provider_count; i++)
		for (w = 0; w < parsecd_workers_for(pd.cfg.providers[i].kind); w++)
			parsecd_start_provider(parsecd_new_worker(&pd.cfg.providers[i], w));
	pd.setup_timer = evtimer_new(pd.base, parsecd_setup_timeout, NULL);
	evtimer_add(pd.setup_timer, &tv);
}
