/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-adopt: the helper parsecd execs for what touches another
 * deployment's keys, so that the root parent links no key store or device
 * library. One job a run, named by the first argument:
 *   adopt | dry-run   upstream Parsec's keys into ours (adopt.c)
 *   orphans           key material no key store entry names (orphans.c)
 *   classify PATH     what a key store file is: the exit status (adopt_snap.c),
 *                     parsed as the -u user
 *   reach             whether each role's user reaches its paths (adopt_reach.c)
 * The configuration is read again here, from the file or the -D directory
 * parsecd was given; parsecd passes the key store it chose with -s and -U.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "adopt.h"
#include "log.h"
#include "proc.h"

struct adopt_opts {
	const char *job;
	const char *config_path, *dev_dir;
	const char *store, *upstream; /* key_manager 0's, as parsecd resolved them */
	uid_t uid;
	gid_t gid;
	int level, timestamps;
};

static __attribute__((noreturn)) void
adopt_usage(void)
{
	fprintf(stderr, "usage: parsec-adopt adopt|dry-run|orphans|reach (-c config.toml | -D dir) "
	    "[-s store] [-U upstream_store] [-u uid:gid] [-l level] [-T]\n"
	    "       parsec-adopt classify [-u uid:gid] path\n"
	    "parsecd runs it; see parsecd(8), --orphans and --adopt-dry-run\n");
	exit(2);
}

static void
adopt_owner(const char *arg, struct adopt_opts *o)
{
	unsigned long uid, gid;
	char *end;

	errno = 0;
	uid = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != ':' || uid > UINT32_MAX - 1)
		adopt_usage();
	arg = end + 1;
	gid = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || gid > UINT32_MAX - 1)
		adopt_usage();
	o->uid = (uid_t)uid;
	o->gid = (gid_t)gid;
}

static void
adopt_options(int argc, char **argv, struct adopt_opts *o)
{
	int ch;

	if (argc < 2)
		adopt_usage();
	o->job = argv[1];
	o->uid = getuid();
	o->gid = getgid();
	optind = 2;
	while ((ch = getopt(argc, argv, "c:D:s:U:u:l:T")) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'D':
			o->dev_dir = optarg;
			break;
		case 's':
			o->store = optarg;
			break;
		case 'U':
			o->upstream = optarg;
			break;
		case 'u':
			adopt_owner(optarg, o);
			break;
		case 'l':
			o->level = atoi(optarg);
			break;
		case 'T':
			o->timestamps = 1;
			break;
		default:
			adopt_usage();
		}
	}
	if (strcmp(o->job, "classify") == 0 ? optind != argc - 1 :
	    optind != argc || (o->config_path == NULL) == (o->dev_dir == NULL))
		adopt_usage();
	if (o->level < LOG_LVL_ERROR || o->level > LOG_LVL_TRACE)
		o->level = LOG_LVL_INFO;
}

/* The configuration as parsecd read it, with the key store parsecd chose. */
/* adopt_keys's answer as the exit status parsecd reads (PROC_ADOPT_EXIT_ADOPTED). */
static int
adopt_exit(int r)
{
	return r == -1 ? 1 : r == 1 ? PROC_ADOPT_EXIT_ADOPTED : 0;
}

static int
adopt_config(const struct adopt_opts *o, struct parsec_config *cfg)
{
	struct cfg_key_manager *km = &cfg->key_managers[0];
	char err[CFG_ERR_MAX];
	int r;

	if (o->dev_dir != NULL)
		r = config_dev_load(o->dev_dir, cfg, err, sizeof(err));
	else if ((r = config_file_safe(o->config_path, err, sizeof(err))) == 0)
		r = config_load_file(o->config_path, cfg, err, sizeof(err));
	if (r == -1) {
		fprintf(stderr, "parsec-adopt: %s\n", err);
		return -1;
	}
	if (cfg->key_manager_count == 0)
		return 0;
	if ((o->store != NULL && strlcpy(km->sqlite_db_path, o->store,
	    sizeof(km->sqlite_db_path)) >= sizeof(km->sqlite_db_path)) ||
	    (o->upstream != NULL && strlcpy(km->upstream_db_path, o->upstream,
	    sizeof(km->upstream_db_path)) >= sizeof(km->upstream_db_path))) {
		fprintf(stderr, "parsec-adopt: key store path too long\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct parsec_config cfg;
	struct adopt_opts o;
	struct rlimit no_core = { 0, 0 };
	int r;

	memset(&o, 0, sizeof(o));
	adopt_options(argc, argv, &o);
	log_init("parsec-adopt", o.level, o.timestamps);
	/* Upstream's private keys and the providers' PINs pass through here: never into a core. */
	if (setrlimit(RLIMIT_CORE, &no_core) == -1 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("core dumps off");
	if (strcmp(o.job, "classify") == 0)
		return adopt_snap_classify(argv[argc - 1], o.uid, o.gid);
	if (adopt_config(&o, &cfg) == -1) {
		config_wipe_secrets(&cfg);
		return 1;
	}
	if (strcmp(o.job, "reach") == 0) {
		adopt_reach(&cfg); /* as root, before any sandbox: fatal if a path is out of reach */
		r = 0;
	} else if (strcmp(o.job, "orphans") == 0)
		r = orphans_list(&cfg);
	else if (strcmp(o.job, "adopt") == 0 || strcmp(o.job, "dry-run") == 0)
		r = adopt_exit(adopt_keys(&cfg, strcmp(o.job, "dry-run") == 0, o.uid, o.gid));
	else
		adopt_usage();
	config_wipe_secrets(&cfg);
	return r;
}
