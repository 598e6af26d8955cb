/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's subcommands about the service itself: ping, the lists,
 * delete-client and generate-random, printed as upstream's tool prints them.
 */
#include <stdlib.h>

#include "tool.h"

#define TOOL_MAX_KEYS 4096
#define TOOL_MAX_CLIENTS 4096

/* Logs a listing's heading, or that it is empty; returns 0 when there is nothing to print. */
static int
tool_list_heading(size_t count, const char *empty, const char *heading)
{
	tool_info("%s", count == 0 ? empty : heading);
	return count != 0;
}

int
tool_ping(parsec_client *client, const struct tool_args *args)
{
	uint8_t major, minor;
	int st = parsec_ping(client, &major, &minor);

	(void)args;
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Service wire protocol version");
	printf("%u.%u\n", major, minor);
	return 0;
}

int
tool_list_providers(parsec_client *client, const struct tool_args *args)
{
	static struct parsec_provider_info providers[16];
	size_t count, i;
	int st = parsec_list_providers(client, providers, 16, &count);

	(void)args;
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Available providers:");
	for (i = 0; i < count; i++) {
		printf("ID: 0x%02x (%s)\nDescription: %s\nVersion: %u.%u.%u\nVendor: %s\nUUID: %s\n\n",
		    providers[i].id, tool_provider_name(providers[i].id), providers[i].description,
		    providers[i].version_maj, providers[i].version_min, providers[i].version_rev,
		    providers[i].vendor[0] != '\0' ? providers[i].vendor : "Unspecified",
		    providers[i].uuid);
	}
	return 0;
}

int
tool_list_authenticators(parsec_client *client, const struct tool_args *args)
{
	struct parsec_authenticator_info auths[8];
	size_t count, i;
	int st = parsec_list_authenticators(client, auths, 8, &count);

	(void)args;
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Available authenticators:");
	for (i = 0; i < count; i++)
		printf("ID: 0x%02x (%s)\nDescription: %s\nVersion: %u.%u.%u\n\n", auths[i].id,
		    tool_auth_name(auths[i].id), auths[i].description, auths[i].version_maj,
		    auths[i].version_min, auths[i].version_rev);
	return 0;
}

int
tool_list_opcodes(parsec_client *client, const struct tool_args *args)
{
	uint32_t opcodes[64], provider;
	size_t count, i;
	int st;

	/* Its own --provider, else the global one, else the core provider. */
	if (args->given[OPT_PROVIDER])
		provider = (uint32_t)args->number[OPT_PROVIDER];
	else
		provider = args->provider >= 0 ? (uint32_t)args->provider : PARSEC_PROVIDER_CORE;
	if (provider > 5)
		return tool_status(6); /* ProviderDoesNotExist */
	if ((st = parsec_list_opcodes(client, provider, opcodes, 64, &count)) != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Available opcodes for %s:", tool_provider_name(provider));
	for (i = 0; i < count; i++)
		printf("0x%02x (%s)\n", opcodes[i], tool_opcode_name(opcodes[i]));
	return 0;
}

int
tool_list_keys(parsec_client *client, const struct tool_args *args)
{
	static struct parsec_key_info keys[TOOL_MAX_KEYS];
	char type[96], alg[128];
	size_t count, i;
	int st = parsec_list_keys(client, keys, TOOL_MAX_KEYS, &count);

	(void)args;
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	if (!tool_list_heading(count, "No keys currently available.", "Available keys:"))
		return 0;
	for (i = 0; i < count; i++) {
		tool_type_name(type, sizeof(type), keys[i].attributes.type);
		tool_alg_name(alg, sizeof(alg), keys[i].attributes.alg);
		printf("* %s (%s, %s, %u bits, permitted algorithm: %s)\n", keys[i].name,
		    tool_provider_name(keys[i].provider_id), type, keys[i].attributes.bits, alg);
	}
	return 0;
}

int
tool_list_clients(parsec_client *client, const struct tool_args *args)
{
	static char names[TOOL_MAX_CLIENTS][PARSEC_NAME_MAX + 1];
	size_t count, i;
	int st = parsec_list_clients(client, names, TOOL_MAX_CLIENTS, &count);

	(void)args;
	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	if (!tool_list_heading(count, "No clients in the service.", "Parsec clients:"))
		return 0;
	for (i = 0; i < count; i++)
		printf("%s\n", names[i]);
	return 0;
}

int
tool_delete_client(parsec_client *client, const struct tool_args *args)
{
	int st = parsec_delete_client(client, args->value[OPT_CLIENT]);

	if (st != PARSEC_SUCCESS)
		return tool_status(st);
	tool_info("Client \"%s\" deleted.", args->value[OPT_CLIENT]);
	return 0;
}

int
tool_generate_random(parsec_client *client, const struct tool_args *args)
{
	size_t n = (size_t)args->number[OPT_NBYTES], i;
	uint8_t *bytes = malloc(n + 1);
	int st;

	if (bytes == NULL)
		return tool_fail(TOOL_INCORRECT_DATA);
	tool_info("Generating %zu random bytes...", n);
	st = parsec_generate_random(client, bytes, n);
	if (st == PARSEC_SUCCESS) {
		tool_info("Random bytes:");
		for (i = 0; i < n; i++)
			printf("%02X ", bytes[i]);
		printf("\n");
	}
	free(bytes);
	return tool_status(st);
}
