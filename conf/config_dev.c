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
	char abs[PATH_MAX], text[sizeof(dev_config_template) + 3 * PATH_MAX];
	int n;

	if (realpath(dir, abs) == NULL) {
		snprintf(err, errlen, "-D %s: directory not found", dir);
		return -1;
	}
	if (strpbrk(abs, "\"\\\n") != NULL) {
		snprintf(err, errlen, "-D %s: quotes, backslashes and newlines are not allowed", dir);
		return -1;
	}
	n = snprintf(text, sizeof(text), dev_config_template, abs);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		snprintf(err, errlen, "-D %s: path too long", dir);
		return -1;
	}
	return config_load_buffer("(built-in)", text, (size_t)n, cfg, err, errlen);
}
