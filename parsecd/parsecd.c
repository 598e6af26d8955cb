/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd: the parent. Reads config.toml, creates the listening socket,
 * fork+execs frontd, brokerd and one process per provider worker as
 * proc_table says (spawn.c), finishes the setup handshake (settings.c) and
 * then only supervises (supervise.c) and reloads (reload.c). It never reads
 * client data. This file: the command line, what comes before the children
 * (the checks, the directories, the adoption, the socket), the signals and
 * the loop. It owns the running configuration, which reload.c replaces.
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "parsecd.h"

static struct parsec_config cfg;
static const char *config_path; /* NULL for the built-in config */

struct parsecd_opts {
	const char *config_path;
	const char *dev_dir;
	int check_only;
	int orphans;
	int adopt_dry_run;
	int verbose;
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: parsecd [-t] [-v] -c config.toml\n"
			"       parsecd [-v] -D directory   (built-in development config)\n"
			"       parsecd --orphans -c config.toml\n"
			"       parsecd --adopt-dry-run -c config.toml\n"
			"       parsecd -V | --version\n");
	exit(2);
}

#ifdef PARSEC_TEST_HOOKS
/* Test build: make the child named in PARSEC_FORBIDDEN (a proc_table name) break its sandbox. */
static void
parsecd_test_forbidden(void)
{
	const char *target = getenv("PARSEC_FORBIDDEN");
	struct child *c;
	size_t i;

	for (i = 0; target != NULL && (c = parsecd_child(i)) != NULL; i++) {
		if (strcmp(proc_table[c->kind].name, target) != 0)
			continue;
		if (c->chan != NULL)
			ipc_send_ctl(c->chan, IPC_TEST_FORBIDDEN, 0, -1, NULL, 0);
		return;
	}
}
#endif

static void
parsecd_signal(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGCHLD:
		parsecd_reap();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		parsecd_stop(0);
		break;
	case SIGHUP:
		parsecd_reload(&cfg, config_path);
		break;
#ifdef PARSEC_TEST_HOOKS
	case SIGUSR1:
		parsecd_test_forbidden();
		break;
#endif
	}
}

static void
parsecd_options(int argc, char **argv, struct parsecd_opts *o)
{
	static const struct option longopts[] = {
		{ "orphans", no_argument, NULL, 'O' },
		{ "adopt-dry-run", no_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:D:tvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'D':
			o->dev_dir = optarg;
			break;
		case 't':
			o->check_only = 1;
			break;
		case 'O':
			o->orphans = 1;
			break;
		case 'A':
			o->adopt_dry_run = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'V':
			printf("parsecd %s\n", PARSEC_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc || (o->config_path == NULL) == (o->dev_dir == NULL))
		usage();
}

static int
parsecd_load(const struct parsecd_opts *o, char *err, size_t errlen)
{
	if (o->config_path == NULL)
		return config_dev_load(o->dev_dir, &cfg, err, errlen);
	if (config_file_safe(o->config_path, err, errlen) == -1)
		return -1;
	return config_load_file(o->config_path, &cfg, err, errlen);
}

/*
 * -t: the configuration loaded; every role's user exists and reaches its
 * paths; every helper it would exec is there and executable.
 */
static int
parsecd_check(void)
{
	users_init(&cfg); /* as root: every role's user exists (fatal if not) */
	if (parsecd_check_helpers(&cfg) == -1) {
		fprintf(stderr, "parsecd: configuration %s OK, but a helper cannot be "
		    "executed (installed helpers belong in %s)\n",
		    config_path ? config_path : "(built-in)", LIBEXECDIR);
		return 1;
	}
	if (parsecd_check_reach(&cfg) == -1) /* the helper said which path and why */
		return 1;
	printf("parsecd: configuration %s OK\n", config_path ? config_path : "(built-in)");
	return 0;
}

/* Everything the children need before they start, then the children. */
static void
parsecd_start(struct event_base *base)
{
	int listen_fd, activated;

	/* Paths a role's user cannot reach stop the start before anything is made there. */
	if (parsecd_check_reach(&cfg) == -1)
		fatalx("the service's users cannot reach the paths they need");
	/* The state directory's lock first: a second instance stops before it touches a thing. */
	parsecd_prepare_dirs(&cfg);
	if (parsecd_adopt(&cfg, 0) == -1)
		fatalx("upstream Parsec's keys could not be adopted into the key store %s",
		    cfg.key_managers[0].sqlite_db_path);
	/* From here each worker's setup reads its secrets again (secrets.c). */
	parsecd_secrets_forget(&cfg, config_path);
	listen_fd = parsecd_listen(&cfg, &activated);
	parsecd_settings_init(&cfg, listen_fd);
	parsecd_supervise(base, &cfg, listen_fd, activated);
}

/* Starts the children and supervises them until the service stops. */
static void
parsecd_run(void)
{
	static const int signums[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP,
#ifdef PARSEC_TEST_HOOKS
		SIGUSR1,
#endif
	};
	struct event *sigs[sizeof(signums) / sizeof(signums[0])];
	struct event_base *base;
	size_t i;

	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(signums) / sizeof(signums[0]); i++) {
		sigs[i] = evsignal_new(base, signums[i], parsecd_signal, NULL);
		evsignal_add(sigs[i], NULL);
	}
	parsecd_start(base);
	event_base_dispatch(base);
	for (i = 0; i < sizeof(signums) / sizeof(signums[0]); i++)
		event_free(sigs[i]);
}

int
main(int argc, char **argv)
{
	struct parsecd_opts o = { 0 };
	char err[CFG_ERR_MAX];
	int r, level;

	/*
	 * The parent lives as long as the service and its big buffers (a
	 * configuration read again, a child's setup) are short-lived: mapped
	 * and unmapped whole, they do not stay resident in a heap that never
	 * shrinks below them.
	 */
	log_init("parsecd", LOG_LVL_INFO, 0);
	if (mallopt(M_MMAP_THRESHOLD, 8192) == 0)
		log_warnx("mallopt M_MMAP_THRESHOLD failed");
	parsecd_options(argc, argv, &o);
	config_path = o.config_path;
	parsecd_adopt_source(o.config_path, o.dev_dir);
	if (parsecd_load(&o, err, sizeof(err)) == -1) {
		fprintf(stderr, "parsecd: %s\n", err);
		return 1;
	}
	/* Upstream's SQLite store at sqlite_db_path is read only: ours moves beside it. */
	if (!o.check_only && parsecd_adopt_resolve(&cfg) == -1) {
		config_wipe_secrets(&cfg);
		return 1;
	}
	if (o.orphans || o.check_only || o.adopt_dry_run) {
		if (o.adopt_dry_run)
			r = parsecd_adopt(&cfg, 1) == 0 ? 0 : 1;
		else
			r = o.orphans ? parsecd_orphans(&cfg) : parsecd_check();
		config_wipe_secrets(&cfg);
		return r;
	}
	level = (int)cfg.log_level + o.verbose;
	log_init("parsecd", level > LOG_LVL_TRACE ? LOG_LVL_TRACE : level, cfg.log_timestamp);
	/* Secrets stay here only until the service starts (parsecd_start, secrets.c). */
	parsecd_run();
	log_info("stopped%s", parsecd_exit_code() ? " after a failure" : "");
	return parsecd_exit_code();
}
