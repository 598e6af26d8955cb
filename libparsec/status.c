/* SPDX-License-Identifier: Apache-2.0 */
/* Every status has a name and a sentence. */
#include <stddef.h>

#include "libparsec.h"

struct parsec_status_text {
	int status;
	const char *sentence;
};

static const struct parsec_status_text parsec_sentences[] = {
	{ 0, "The operation succeeded." },
	{ 1, "The request named the wrong provider." },
	{ 2, "The service does not accept that request content type." },
	{ 3, "The service cannot answer in the requested content type." },
	{ 4, "The service does not speak that wire protocol version." },
	{ 5, "That provider is not configured in this service." },
	{ 6, "There is no provider with that id." },
	{ 7, "The service could not decode the request body." },
	{ 8, "The service could not encode the response body." },
	{ 9, "There is no operation with that opcode." },
	{ 10, "The response was larger than allowed." },
	{ 11, "Authentication failed." },
	{ 12, "There is no authenticator of that type." },
	{ 13, "That authenticator is not configured in this service." },
	{ 14, "The service's key store failed." },
	{ 15, "The connection to the service failed or was closed." },
	{ 16, "A value was not validly encoded." },
	{ 17, "The request header was invalid." },
	{ 18, "The provider UUID did not match." },
	{ 19, "The operation needs an authenticated application." },
	{ 20, "The request body was larger than the service accepts." },
	{ 21, "Only an administrator may do that." },
	{ 22, "The operation uses a deprecated algorithm." },
	{ 1132, "The provider failed for an unspecified reason." },
	{ 1133, "The key's policy does not permit that." },
	{ 1134, "The provider does not support that." },
	{ 1135, "An argument was invalid." },
	{ 1136, "The key reference is invalid." },
	{ 1137, "The operation was called in the wrong state." },
	{ 1138, "The output buffer is too small." },
	{ 1139, "A key with that name already exists." },
	{ 1140, "There is no such key." },
	{ 1141, "There was not enough memory." },
	{ 1142, "There was not enough storage." },
	{ 1143, "There was not enough data." },
	{ 1145, "The provider could not be reached." },
	{ 1146, "Key storage failed." },
	{ 1147, "The hardware failed." },
	{ 1148, "There was not enough entropy." },
	{ 1149, "The signature, MAC or tag does not match." },
	{ 1150, "The padding was invalid." },
	{ 1151, "Tampering was detected." },
	{ 1152, "Stored data is corrupt." },
	{ 1153, "Stored data is invalid." },
	{ PARSEC_ERR_SETTING_ENDPOINT, "The endpoint setting (PARSEC_SERVICE_ENDPOINT or "
	    "parsec_settings_set_endpoint) must be unix: followed by a socket path of 1 to 107 "
	    "bytes." },
	{ PARSEC_ERR_SETTING_APP_NAME, "The application name setting (PARSEC_APP_NAME or "
	    "parsec_settings_set_app_name), used by the Direct authenticator, must be 1 to 255 "
	    "bytes." },
	{ PARSEC_ERR_SETTING_AUTHENTICATOR, "The authenticator setting "
	    "(parsec_settings_set_authenticator) must be PARSEC_AUTH_AUTO, PARSEC_AUTH_DIRECT or "
	    "PARSEC_AUTH_UNIX_PEER_CREDENTIALS; this version cannot use JWT-SVID." },
	{ PARSEC_ERR_SETTING_PROVIDER, "The provider setting (parsec_settings_set_provider) is "
	    "not a provider id (0 to 5)." },
	{ PARSEC_ERR_SETTING_TIMEOUT, "The timeout setting (parsec_settings_set_timeout) must "
	    "be 1 to 86400000 milliseconds." },
	{ PARSEC_ERR_SETTING_MAX_RESPONSE, "The maximum response setting "
	    "(parsec_settings_set_max_response) must be at least 1 byte." },
};

static const struct {
	int status;
	const char *name;
} parsec_setting_names[] = {
	{ PARSEC_ERR_SETTING_ENDPOINT, "SettingEndpoint" },
	{ PARSEC_ERR_SETTING_APP_NAME, "SettingAppName" },
	{ PARSEC_ERR_SETTING_AUTHENTICATOR, "SettingAuthenticator" },
	{ PARSEC_ERR_SETTING_PROVIDER, "SettingProvider" },
	{ PARSEC_ERR_SETTING_TIMEOUT, "SettingTimeout" },
	{ PARSEC_ERR_SETTING_MAX_RESPONSE, "SettingMaxResponse" },
};

const char *
parsec_status_name(int status)
{
	size_t i;

	for (i = 0; i < sizeof(parsec_setting_names) / sizeof(parsec_setting_names[0]); i++)
		if (parsec_setting_names[i].status == status)
			return parsec_setting_names[i].name;
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
	size_t i;

	for (i = 0; i < sizeof(parsec_sentences) / sizeof(parsec_sentences[0]); i++)
		if (parsec_sentences[i].status == status)
			return parsec_sentences[i].sentence;
	return "The service answered with a status this library does not know.";
}
