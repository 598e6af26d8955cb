/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parent's side of the adoption helper (parsec-adopt): which key store
 * is ours when sqlite_db_path is upstream Parsec's, whether each role's user
 * reaches its paths, the adoption before any child starts, and --orphans and
 * --adopt-dry-run. The helper reads key stores, key files and tokens, and
 * paths as other users; the parent only execs it and waits.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "parsecd.h"
#include "proc.h"

#define ADOPT_ARGS 16

/* Where the configuration came from, for the helper to read it again. */
static const char *adoption_config_path, *adoption_dev_dir;

void
parsecd_adopt_source(const char *config_path, const char *dev_dir)
{
	adoption_config_path = config_path;
	adoption_dev_dir = dev_dir;
}

/* Runs the helper with argv[1..] and waits: its exit status, or -1 (said) if it died or never ran. */
static int
adoption_exec(const char **argv)
{
	char path[PATH_MAX];
	int status;
	pid_t pid;

	parsecd_helper_path(PARSECD_ADOPT_BUILD_DIR, PARSECD_ADOPT_BINARY, path, sizeof(path));
	argv[0] = PARSECD_ADOPT_BINARY;
	fflush(stdout);
	fflush(stderr);
	if ((pid = proc_spawn(path, (char *const *)argv, NULL, 0)) == -1) {
		log_warn("%s", path);
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		log_warnx("the adoption process (pid %ld) was killed by signal %d", (long)pid,
		    WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		log_warnx("%s could not be executed", path);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The helper's arguments for a job on the configuration: key manager 0's
 * store as resolved and, given an owner, who writes it.
 */
static void
adoption_args(const char **argv, const char *job, const struct parsec_config *cfg,
    const char *owner, char *level)
{
	size_t n = 1;

	argv[n++] = job;
	argv[n++] = adoption_config_path != NULL ? "-c" : "-D";
	argv[n++] = adoption_config_path != NULL ? adoption_config_path : adoption_dev_dir;
	argv[n++] = "-s";
	argv[n++] = cfg->key_managers[0].sqlite_db_path;
	if (cfg->key_managers[0].upstream_db_path[0] != '\0') {
		argv[n++] = "-U";
		argv[n++] = cfg->key_managers[0].upstream_db_path;
	}
	if (owner != NULL) {
		argv[n++] = "-u";
		argv[n++] = owner;
	}
	level[0] = (char)('0' + log_getlevel());
	level[1] = '\0';
	argv[n++] = "-l";
	argv[n++] = level;
	if (cfg->log_timestamp)
		argv[n++] = "-T"; /* the parent's lines and the helper's alike */
	argv[n] = NULL;
}

/* brokerd's user, who owns our key store, with its uid:gid as the helper's -u takes it. */
static const struct users_entry *
adoption_owner(const struct parsec_config *cfg, char *out, size_t outsz)
{
	const struct users_entry *u;

	users_init(cfg);
	u = users_get(USERS_ROLE_BROKERD);
	snprintf(out, outsz, "%u:%u", (unsigned)u->uid, (unsigned)u->gid);
	return u;
}

int
parsecd_adopt(const struct parsec_config *cfg, int dry_run)
{
	const struct users_entry *u;
	const char *argv[ADOPT_ARGS];
	char owner[32], level[2];
	int r;

	if (cfg->key_manager_count == 0)
		return 0;
	/* brokerd's user reads our key store, a dry run's too; only an adoption borrows dirs. */
	u = adoption_owner(cfg, owner, sizeof(owner));
	if (!dry_run)
		parsecd_lend_provider_dirs(cfg, u->uid, u->gid);
	adoption_args(argv, dry_run ? "dry-run" : "adopt", cfg, owner, level);
	r = adoption_exec(argv);
	if (!dry_run)
		parsecd_settle_provider_dirs(cfg, r != 0);
	return r == 0 || (!dry_run && r == PROC_ADOPT_EXIT_ADOPTED) ? 0 : -1;
}

int
parsecd_check_reach(const struct parsec_config *cfg)
{
	const char *argv[ADOPT_ARGS];
	char level[2];

	adoption_args(argv, "reach", cfg, NULL, level);
	return adoption_exec(argv) == 0 ? 0 : -1;
}

int
parsecd_orphans(const struct parsec_config *cfg)
{
	const char *argv[ADOPT_ARGS];
	char level[2];

	if (cfg->key_manager_count == 0)
		return 1;
	adoption_args(argv, "orphans", cfg, NULL, level);
	return adoption_exec(argv) == 0 ? 0 : 1;
}

int
parsecd_adopt_resolve(struct parsec_config *cfg)
{
	char own[CFG_LONGPATH_MAX], owner[32];
	/* A file brokerd's user may write: the helper parses it as that user. */
	const char *argv[] = { NULL, "classify", "-u", owner, NULL, NULL };
	struct cfg_key_manager *km;
	size_t i;
	int v;

	if (cfg->key_manager_count > 0)
		adoption_owner(cfg, owner, sizeof(owner));
	for (i = 0; i < cfg->key_manager_count; i++) {
		km = &cfg->key_managers[i];
		if (km->upstream_db_path[0] != '\0')
			continue;
		argv[4] = km->sqlite_db_path;
		if ((v = adoption_exec(argv)) == -1)
			return -1;
		if (v != CFG_STORE_ABSENT && v != CFG_STORE_OURS && v != CFG_STORE_UPSTREAM) {
			log_warnx("key_manager.sqlite_db_path: %s is not an SQLite file parsecd can "
			    "read, so neither parsecd's key store nor upstream Parsec's: refused",
			    km->sqlite_db_path);
			return -1;
		}
		if (v != CFG_STORE_UPSTREAM)
			continue;
		if ((size_t)snprintf(own, sizeof(own), "%s/%s", cfg->state_dir, CFG_OWN_STORE) >=
		    sizeof(own)) {
			log_warnx("privsep.state_dir: too long for the key store %s", CFG_OWN_STORE);
			return -1;
		}
		strlcpy(km->upstream_db_path, km->sqlite_db_path, sizeof(km->upstream_db_path));
		strlcpy(km->sqlite_db_path, own, sizeof(km->sqlite_db_path));
		log_debug("key store %s is upstream Parsec's: read, never written; parsecd's is %s",
		    km->upstream_db_path, own);
	}
	return 0;
}
