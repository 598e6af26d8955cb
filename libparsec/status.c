/* SPDX-License-Identifier: Apache-2.0 */
/* Every status has a name and a sentence. */
#include <stddef.h>

#include "libparsec.h"
#include "row.h"

struct parsec_status_text {
	int status;
	const char *sentence;
	const char *name; /* for the library's own statuses; the wire's are named by wire.c */
};

static const struct parsec_status_text parsec_sentences[] = {
	{ 0, "The operation succeeded.", NULL },
	{ 1, "The request named the wrong provider.", NULL },
	{ 2, "The service does not accept that request content type.", NULL },
	{ 3, "The service cannot answer in the requested content type.", NULL },
	{ 4, "The service does not speak that wire protocol version.", NULL },
	{ 5, "That provider is not configured in this service.", NULL },
	{ 6, "There is no provider with that id.", NULL },
	{ 7, "The service could not decode the request body.", NULL },
	{ 8, "The service could not encode the response body.", NULL },
	{ 9, "There is no operation with that opcode.", NULL },
	{ 10, "The response was larger than allowed.", NULL },
	{ 11, "Authentication failed.", NULL },
	{ 12, "There is no authenticator of that type.", NULL },
	{ 13, "That authenticator is not configured in this service.", NULL },
	{ 14, "The service's key store failed.", NULL },
	{ 15, "The connection to the service failed or was closed.", NULL },
	{ 16, "A value was not validly encoded.", NULL },
	{ 17, "The request header was invalid.", NULL },
	{ 18, "The provider UUID did not match.", NULL },
	{ 19, "The operation needs an authenticated application.", NULL },
	{ 20, "The request body was larger than the service accepts.", NULL },
	{ 21, "Only an administrator may do that.", NULL },
	{ 22, "The operation uses a deprecated algorithm.", NULL },
	{ 1132, "The provider failed for an unspecified reason.", NULL },
	{ 1133, "The key's policy does not permit that.", NULL },
	{ 1134, "The provider does not support that.", NULL },
	{ 1135, "An argument was invalid.", NULL },
	{ 1136, "The key reference is invalid.", NULL },
	{ 1137, "The operation was called in the wrong state.", NULL },
	{ 1138, "The output buffer is too small.", NULL },
	{ 1139, "A key with that name already exists.", NULL },
	{ 1140, "There is no such key.", NULL },
	{ 1141, "There was not enough memory.", NULL },
	{ 1142, "There was not enough storage.", NULL },
	{ 1143, "There was not enough data.", NULL },
	{ 1145, "The provider could not be reached.", NULL },
	{ 1146, "Key storage failed.", NULL },
	{ 1147, "The hardware failed.", NULL },
	{ 1148, "There was not enough entropy.", NULL },
	{ 1149, "The signature, MAC or tag does not match.", NULL },
	{ 1150, "The padding was invalid.", NULL },
	{ 1151, "Tampering was detected.", NULL },
	{ 1152, "Stored data is corrupt.", NULL },
	{ 1153, "Stored data is invalid.", NULL },
	{ PARSEC_ERR_SETTING_ENDPOINT, "The endpoint setting (PARSEC_SERVICE_ENDPOINT or "
	    "parsec_settings_set_endpoint) must be unix: followed by a socket path of 1 to 107 "
	    "bytes.", "SettingEndpoint" },
	{ PARSEC_ERR_SETTING_APP_NAME, "The application name setting (PARSEC_APP_NAME or "
	    "parsec_settings_set_app_name), used by the Direct authenticator, must be 1 to 255 "
	    "bytes of UTF-8.", "SettingAppName" },
	{ PARSEC_ERR_SETTING_AUTHENTICATOR, "The authenticator setting "
	    "(parsec_settings_set_authenticator) must be PARSEC_AUTH_AUTO, PARSEC_AUTH_DIRECT or "
	    "PARSEC_AUTH_UNIX_PEER_CREDENTIALS; this version cannot use JWT-SVID.",
	    "SettingAuthenticator" },
	{ PARSEC_ERR_SETTING_PROVIDER, "The provider setting (parsec_settings_set_provider) is "
	    "not a provider id (0 to 5).", "SettingProvider" },
	{ PARSEC_ERR_SETTING_TIMEOUT, "The timeout setting (parsec_settings_set_timeout) must "
	    "be 1 to 86400000 milliseconds.", "SettingTimeout" },
	{ PARSEC_ERR_SETTING_MAX_RESPONSE, "The maximum response setting "
	    "(parsec_settings_set_max_response) must be at least 1 byte.", "SettingMaxResponse" },
};

/* The entry for status, or NULL. */
static const struct parsec_status_text *
parsec_status_find(int status)
{
	return ROW_FIND(parsec_sentences, struct parsec_status_text, status, status);
}

const char *
parsec_status_name(int status)
{
	const struct parsec_status_text *t = parsec_status_find(status);

	if (t != NULL && t->name != NULL)
		return t->name;
	return status < 0 ? "unknown status" : wire_status_name((uint32_t)status);
}

const char *
parsec_status_str(int status)
{
	return parsec_strerror(status);
}

const char *
parsec_strerror(int status)
{
	const struct parsec_status_text *t = parsec_status_find(status);

	return t != NULL ? t->sentence :
	    "The service answered with a status this library does not know.";
}
