/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool: the Parsec service from the command line, compatible with
 * upstream parsec-tool 0.7 (subcommands, flags, output, exit statuses) plus
 * verify and import-key. Exit status: 0 done, 1 failed, 2 bad usage.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static void
tool_timed_out(int sig)
{
	static const char msg[] = "[ERROR] Subcommand failed: the service did not answer within "
	    "--timeout\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(TOOL_EXIT_FAILED);
	_exit(TOOL_EXIT_FAILED);
}

/*
 * --timeout bounds the whole subcommand here; 0 sets no bound of the tool's
 * own. libparsec still gives up on a service silent for 30 s.
 */
static void
tool_arm_timeout(long seconds)
{
	struct sigaction sa;

	if (seconds <= 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tool_timed_out;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)seconds);
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
	tool_arm_timeout(args.timeout);
	if ((st = parsec_client_new(&client, NULL)) != PARSEC_SUCCESS) {
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
