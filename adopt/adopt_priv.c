/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The adoption helper's one way to give up root (adoption, the dry run,
 * classify, reach, orphans), and the test build's way to break its filter.
 */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adopt.h"
#include "log.h"

int
adopt_priv_drop(const char *user, uid_t uid, gid_t gid)
{
	if (geteuid() != 0)
		return 0;
	/* Groups first, while we may still set them: the user's, or none. */
	if ((user != NULL ? initgroups(user, gid) : setgroups(0, NULL)) == -1 ||
	    setresgid(gid, gid, gid) == -1 || setresuid(uid, uid, uid) == -1) {
		log_warn("dropping to uid %u", (unsigned)uid);
		return -1;
	}
	return 0;
}

void
adopt_priv_forbidden(const char *job)
{
#ifdef PARSEC_TEST_HOOKS
	const char *target = getenv("PARSEC_FORBIDDEN");

	if (target != NULL && strcmp(target, job) == 0)
		(void)chown(".", (uid_t)-1, (gid_t)-1); /* a no-op, were it allowed */
#else
	(void)job;
#endif
}
