/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool: the Parsec service from the command line, compatible with
 * upstream parsec-tool 0.7 (subcommands, flags, output, exit statuses) plus
 * verify and import-key. Exit status: 0 done, 1 failed, 2 bad usage.
 */
#include "tool.h"

/*
 * A client as the command line asks: --timeout N bounds each wait for the
 * service to N seconds (0 or none: libparsec's default).
 */
static int
tool_client(parsec_client **client, long timeout)
{
	parsec_settings *settings;
	int st;

	if ((st = parsec_settings_new(&settings)) != PARSEC_SUCCESS)
		return st;
	if (timeout > 0)
		st = parsec_settings_set_timeout(settings,
		    timeout > PARSEC_TIMEOUT_MAX_MS / 1000 ? PARSEC_TIMEOUT_MAX_MS : (uint32_t)timeout * 1000);
	if (st == PARSEC_SUCCESS)
		st = parsec_client_new_with_settings(client, settings);
	parsec_settings_free(settings);
	return st;
}

int
main(int argc, char **argv)
{
	struct tool_args args;
	const struct tool_cmd *cmd;
	parsec_client *client;
	int st;

	tool_log_init();
	cmd = tool_parse(argc, argv, &args);
	if ((st = tool_client(&client, args.timeout)) != PARSEC_SUCCESS) {
		tool_error("Error spinning up the BasicClient: %s", parsec_status_str(st));
		return TOOL_EXIT_FAILED;
	}
	if (args.provider > 5) {
		tool_error("The provider ID entered does not map with an existing provider");
		parsec_client_free(client);
		return TOOL_EXIT_FAILED;
	}
	/* Core operations go to the core provider whatever --provider says. */
	if (cmd->provider_op && args.provider >= 0 &&
	    (st = parsec_client_set_provider(client, (uint32_t)args.provider)) != PARSEC_SUCCESS) {
		parsec_client_free(client);
		return tool_status(st);
	}
	st = cmd->run(client, &args);
	parsec_client_free(client);
	return st;
}
