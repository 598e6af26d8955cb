/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A client made from settings rather than defaults: an endpoint from the
 * command line (else PARSEC_SERVICE_ENDPOINT or the default), a 5 s
 * timeout, the Mbed Crypto provider when the service has it. It lists the
 * providers and asks for random bytes. Build it the way an application would:
 *   cc settings.c $(pkg-config --cflags --libs libparsec)
 */
#include <stdio.h>

#include <parsec/client.h>

static int
fail(const char *what, int st)
{
	fprintf(stderr, "%s: %s (%s)\n", what, parsec_strerror(st), parsec_status_name(st));
	return 1;
}

/* Whether the service lists the provider. */
static int
has_provider(parsec_client *client, uint32_t id)
{
	struct parsec_provider_info providers[8];
	size_t count, i;

	if (parsec_list_providers(client, providers, 8, &count) != PARSEC_SUCCESS)
		return 0;
	for (i = 0; i < count && i < 8; i++) {
		printf("provider %u: %s\n", (unsigned)providers[i].id, providers[i].description);
		if (providers[i].id == id)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	parsec_settings *settings;
	parsec_client *client;
	uint8_t random[16];
	size_t i;
	int st;

	if ((st = parsec_settings_new(&settings)) != PARSEC_SUCCESS)
		return fail("settings", st);
	if (argc > 1 && (st = parsec_settings_set_endpoint(settings, argv[1])) != PARSEC_SUCCESS) {
		parsec_settings_free(settings);
		return fail(argv[1], st);
	}
	if ((st = parsec_settings_set_timeout(settings, 5000)) != PARSEC_SUCCESS ||
	    (st = parsec_settings_set_app_name(settings, "example-settings")) != PARSEC_SUCCESS ||
	    (st = parsec_client_new_with_settings(&client, settings)) != PARSEC_SUCCESS) {
		parsec_settings_free(settings);
		return fail("cannot reach the service", st);
	}
	parsec_settings_free(settings);
	printf("authenticator %u\n", (unsigned)parsec_client_authenticator(client));
	if (has_provider(client, PARSEC_PROVIDER_MBED_CRYPTO))
		parsec_client_set_provider(client, PARSEC_PROVIDER_MBED_CRYPTO);
	st = parsec_generate_random(client, random, sizeof(random));
	parsec_client_free(client);
	if (st != PARSEC_SUCCESS)
		return fail("random bytes", st);
	printf("random:");
	for (i = 0; i < sizeof(random); i++)
		printf(" %02x", random[i]);
	printf("\n");
	return 0;
}
