/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec's client settings: each value checked when it is set, so that a
 * wrong one is reported as that setting (PARSEC_ERR_SETTING_*), and the
 * defaults (environment, then built in) filled in when a client is made.
 */
#include <stdlib.h>
#include <string.h>

#include "libparsec.h"
#include "utf8.h"

#define PARSEC_DEFAULT_ENDPOINT "unix:/run/parsec/parsec.sock"
#define PARSEC_DEFAULT_MAX_RESPONSE (16u * 1024u * 1024u)

extern char *program_invocation_short_name;

static void
parsec_settings_init(parsec_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->auth = PARSEC_AUTH_AUTO;
	s->timeout_ms = PARSEC_TIMEOUT_DEFAULT_MS;
	s->max_response = PARSEC_DEFAULT_MAX_RESPONSE;
}

int
parsec_settings_new(parsec_settings **out)
{
	if ((*out = malloc(sizeof(**out))) == NULL)
		return PARSEC_ERR_INSUFFICIENT_MEMORY;
	parsec_settings_init(*out);
	return PARSEC_SUCCESS;
}

void
parsec_settings_free(parsec_settings *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, sizeof(*s));
	free(s);
}

/* unix: and a socket path that fits a sockaddr_un, into path. */
static int
parsec_endpoint_path(const char *endpoint, char *path, size_t size)
{
	size_t len;

	if (endpoint == NULL || strncmp(endpoint, "unix:", 5) != 0)
		return PARSEC_ERR_SETTING_ENDPOINT;
	len = strlen(endpoint + 5);
	if (len == 0 || len >= size)
		return PARSEC_ERR_SETTING_ENDPOINT;
	memcpy(path, endpoint + 5, len + 1);
	return PARSEC_SUCCESS;
}

int
parsec_settings_set_endpoint(parsec_settings *s, const char *endpoint)
{
	return parsec_endpoint_path(endpoint, s->path, sizeof(s->path));
}

int
parsec_settings_set_authenticator(parsec_settings *s, uint32_t auth_id)
{
	if (auth_id != PARSEC_AUTH_AUTO && auth_id != PARSEC_AUTH_DIRECT &&
	    auth_id != PARSEC_AUTH_UNIX_PEER_CREDENTIALS)
		return PARSEC_ERR_SETTING_AUTHENTICATOR;
	s->auth = auth_id;
	return PARSEC_SUCCESS;
}

static int
parsec_name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strlen(name) <= PARSEC_NAME_MAX &&
	    utf8_valid((const uint8_t *)name, strlen(name));
}

int
parsec_settings_set_app_name(parsec_settings *s, const char *app_name)
{
	if (!parsec_name_ok(app_name))
		return PARSEC_ERR_SETTING_APP_NAME;
	memcpy(s->app_name, app_name, strlen(app_name) + 1);
	return PARSEC_SUCCESS;
}

int
parsec_settings_set_provider(parsec_settings *s, uint32_t provider_id)
{
	if (provider_id >= WIRE_PROVIDER_COUNT)
		return PARSEC_ERR_SETTING_PROVIDER;
	s->provider = provider_id;
	s->provider_set = 1;
	return PARSEC_SUCCESS;
}

int
parsec_settings_set_timeout(parsec_settings *s, uint32_t milliseconds)
{
	if (milliseconds == 0 || milliseconds > PARSEC_TIMEOUT_MAX_MS)
		return PARSEC_ERR_SETTING_TIMEOUT;
	s->timeout_ms = milliseconds;
	return PARSEC_SUCCESS;
}

int
parsec_settings_set_max_response(parsec_settings *s, size_t bytes)
{
	if (bytes == 0)
		return PARSEC_ERR_SETTING_MAX_RESPONSE;
	s->max_response = bytes;
	return PARSEC_SUCCESS;
}

int
parsec_settings_resolve(const parsec_settings *given, parsec_settings *s)
{
	const char *env;

	if (given != NULL)
		*s = *given;
	else
		parsec_settings_init(s);
	if (s->path[0] == '\0') {
		env = getenv("PARSEC_SERVICE_ENDPOINT");
		if (parsec_endpoint_path(env != NULL && env[0] != '\0' ? env :
		    PARSEC_DEFAULT_ENDPOINT, s->path, sizeof(s->path)) != PARSEC_SUCCESS)
			return PARSEC_ERR_SETTING_ENDPOINT;
	}
	if (s->app_name[0] == '\0') {
		env = getenv("PARSEC_APP_NAME");
		if (env == NULL || env[0] == '\0')
			env = program_invocation_short_name;
		/* Left empty when unfit: an error only if Direct is used. */
		(void)parsec_settings_set_app_name(s, env);
	}
	return PARSEC_SUCCESS;
}
