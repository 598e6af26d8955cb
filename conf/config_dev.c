/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The embedded default for `make run`: the software provider, Direct
 * authentication, socket and state under one directory.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char dev_config_template[] =
    "[core_settings]\n"
    "log_level = \"info\"\n"
    "[listener]\n"
    "listener_type = \"DomainSocket\"\n"
    "timeout = 2000\n"
    "socket_path = \"%1$s/parsec.sock\"\n"
    "[authenticator]\n"
    "auth_type = \"Direct\"\n"
    "[[key_manager]]\n"
    "name = \"sqlite-manager\"\n"
    "manager_type = \"SQLite\"\n"
    "sqlite_db_path = \"%1$s/kim/kim.sqlite3\"\n"
    "[[provider]]\n"
    "provider_type = \"MbedCrypto\"\n"
    "key_info_manager = \"sqlite-manager\"\n"
    "[privsep]\n"
    "state_dir = \"%1$s/state\"\n";

int
config_dev_load(const char *dir, struct parsec_config *cfg, char *err, size_t errlen)
{
	char *abs, *text = NULL;
	int n, r = -1;

	/* Both on the heap, as config_load_file's text: a deep stack stays resident. */
	if ((abs = realpath(dir, NULL)) == NULL)
		snprintf(err, errlen, "-D %s: directory not found", dir);
	else if (strpbrk(abs, "\"\\\n") != NULL)
		snprintf(err, errlen, "-D %s: quotes, backslashes and newlines are not allowed", dir);
	else if ((n = asprintf(&text, dev_config_template, abs)) == -1)
		snprintf(err, errlen, "-D %s: out of memory", dir);
	else
		r = config_load_buffer("(built-in)", text, (size_t)n, cfg, err, errlen);
	free(text);
	free(abs);
	return r;
}
