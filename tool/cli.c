/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line parsing as upstream parsec-tool's parser does it: global
 * options before the subcommand, the subcommand's options and its one
 * positional argument in any order after it, "--" ending options, and
 * usage errors in its format with exit status 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

struct tool_cursor {
	int argc;
	char **argv;
	int i;
};

static void
tool_version(void)
{
	printf("parsec-tool %s\n", PARSEC_VERSION);
	exit(0);
}

static const struct tool_opt *
tool_opt_match(const struct tool_opt *opts, size_t count, const char *arg, const char **inline_value)
{
	size_t i, len;

	*inline_value = NULL;
	for (i = 0; i < count; i++) {
		if (arg[1] != '-') {
			if (opts[i].short_name != 0 && arg[1] == opts[i].short_name) {
				if (arg[2] != '\0')
					*inline_value = arg[2] == '=' ? arg + 3 : arg + 2;
				return &opts[i];
			}
			continue;
		}
		len = strlen(opts[i].long_name);
		if (strncmp(arg + 2, opts[i].long_name, len) == 0 &&
		    (arg[2 + len] == '\0' || arg[2 + len] == '=')) {
			if (arg[2 + len] == '=')
				*inline_value = arg + 3 + len;
			return &opts[i];
		}
	}
	return NULL;
}

static void
tool_opt_label(char *out, size_t cap, const struct tool_opt *opt)
{
	if (opt->value_name != NULL)
		snprintf(out, cap, "--%s <%s>", opt->long_name, opt->value_name);
	else
		snprintf(out, cap, "--%s", opt->long_name);
}

static void
tool_store_number(const struct tool_cmd *cmd, const struct tool_opt *opt, const char *value,
    struct tool_args *args)
{
	char label[128], *end;
	unsigned long n;

	tool_opt_label(label, sizeof(label), opt);
	errno = 0;
	n = strtoul(value, &end, 10);
	if (value[0] == '\0')
		tool_usage_error(cmd, "invalid value '' for '%s': cannot parse integer from empty "
		    "string", label);
	if (*end != '\0' || value[0] == '-' || value[0] == '+')
		tool_usage_error(cmd, "invalid value '%s' for '%s': invalid digit found in string",
		    value, label);
	if (errno == ERANGE || n > opt->max)
		tool_usage_error(cmd, "invalid value '%s' for '%s': %s is not in 0..=%lu", value,
		    label, value, opt->max);
	args->number[opt->id] = n;
}

static void
tool_store(const struct tool_cmd *cmd, const struct tool_opt *opt, const char *value,
    struct tool_args *args)
{
	char label[128];

	if (args->given[opt->id] && opt->kind != TOOL_LIST) {
		tool_opt_label(label, sizeof(label), opt);
		tool_usage_error(cmd, "the argument '%s' cannot be used multiple times", label);
	}
	args->given[opt->id] = 1;
	args->value[opt->id] = value;
	if (opt->kind == TOOL_NUMBER)
		tool_store_number(cmd, opt, value, args);
	if (opt->kind == TOOL_LIST) {
		if (args->san_count == TOOL_SAN_MAX)
			tool_usage_error(cmd, "at most %d values for '--%s'", TOOL_SAN_MAX,
			    opt->long_name);
		args->san[args->san_count++] = value;
	}
}

/* One option at cur->i; returns 0, or -1 when the word is no option of these. */
static int
tool_take_option(const struct tool_cmd *cmd, const struct tool_opt *opts, size_t count,
    struct tool_cursor *cur, struct tool_args *args)
{
	const char *arg = cur->argv[cur->i], *value;
	const struct tool_opt *opt = tool_opt_match(opts, count, arg, &value);
	char label[128];

	if (opt == NULL)
		return -1;
	if (opt->kind == TOOL_FLAG) {
		if (value != NULL)
			tool_usage_error(cmd, "unexpected value '%s' for '--%s' found; no more were "
			    "expected", value, opt->long_name);
		tool_store(cmd, opt, "true", args);
		cur->i++;
		return 0;
	}
	if (value == NULL) {
		if (cur->i + 1 >= cur->argc || (cur->argv[cur->i + 1][0] == '-' &&
		    cur->argv[cur->i + 1][1] != '\0')) {
			tool_opt_label(label, sizeof(label), opt);
			tool_usage_error(cmd, "a value is required for '%s' but none was supplied",
			    label);
		}
		value = cur->argv[++cur->i];
	}
	tool_store(cmd, opt, value, args);
	cur->i++;
	return 0;
}

static int
tool_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void
tool_take_input(const struct tool_cmd *cmd, const char *arg, struct tool_args *args)
{
	if (cmd->input_name == NULL || args->input != NULL)
		tool_usage_error(cmd, "unexpected argument '%s' found", arg);
	args->input = arg;
}

static void
tool_check_required(const struct tool_cmd *cmd, const struct tool_args *args)
{
	char missing[1024] = "", label[128];
	size_t i;

	for (i = 0; i < cmd->opt_count; i++) {
		if (!cmd->opts[i].required || args->given[cmd->opts[i].id])
			continue;
		tool_opt_label(label, sizeof(label), &cmd->opts[i]);
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "\n  %s",
		    label);
	}
	if (cmd->input_name != NULL && args->input == NULL)
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "\n  <%s>",
		    cmd->input_name);
	if (missing[0] != '\0')
		tool_usage_error(cmd, "the following required arguments were not provided:%s",
		    missing);
}

static void
tool_parse_cmd(const struct tool_cmd *cmd, struct tool_cursor *cur, struct tool_args *args)
{
	int only_inputs = 0;
	const char *arg;

	while (cur->i < cur->argc) {
		arg = cur->argv[cur->i];
		if (!only_inputs && tool_is_help(arg)) {
			tool_help_cmd(stdout, cmd, strcmp(arg, "--help") == 0);
			exit(0);
		}
		if (!only_inputs && strcmp(arg, "--") == 0) {
			only_inputs = 1;
			cur->i++;
			continue;
		}
		if (!only_inputs && arg[0] == '-' && arg[1] != '\0') {
			if (tool_take_option(cmd, cmd->opts, cmd->opt_count, cur, args) == -1)
				tool_usage_error(cmd, "unexpected argument '%s' found", arg);
			continue;
		}
		tool_take_input(cmd, arg, args);
		cur->i++;
	}
	tool_check_required(cmd, args);
}

/* "help [SUBCOMMAND]", as upstream's parser offers it. */
static void
tool_help_subcommand(struct tool_cursor *cur)
{
	const struct tool_cmd *cmd;

	if (cur->i >= cur->argc || strcmp(cur->argv[cur->i], "help") == 0) {
		tool_help_main(stdout);
		exit(0);
	}
	if ((cmd = tool_cmd_find(cur->argv[cur->i])) == NULL)
		tool_usage_error(NULL, "unrecognized subcommand '%s'", cur->argv[cur->i]);
	tool_help_cmd(stdout, cmd, 1);
	exit(0);
}

static void
tool_parse_globals(struct tool_cursor *cur, struct tool_args *args)
{
	struct tool_args globals;
	const char *arg;

	memset(&globals, 0, sizeof(globals));
	while (cur->i < cur->argc && cur->argv[cur->i][0] == '-') {
		arg = cur->argv[cur->i];
		if (tool_is_help(arg)) {
			tool_help_main(stdout);
			exit(0);
		}
		if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0)
			tool_version();
		if (tool_take_option(NULL, tool_global_opts, tool_global_opt_count, cur,
		    &globals) == -1)
			tool_usage_error(NULL, "unexpected argument '%s' found", arg);
	}
	args->provider = globals.given[OPT_PROVIDER] ? (int)globals.number[OPT_PROVIDER] : -1;
	args->timeout = globals.given[OPT_TIMEOUT] ? (long)globals.number[OPT_TIMEOUT] : -1;
}

const struct tool_cmd *
tool_parse(int argc, char **argv, struct tool_args *args)
{
	struct tool_cursor cur = { argc, argv, 1 };
	const struct tool_cmd *cmd;

	memset(args, 0, sizeof(*args));
	tool_parse_globals(&cur, args);
	if (cur.i >= argc) {
		/* No subcommand: the help, as an error. */
		tool_help_main(stderr);
		exit(TOOL_EXIT_USAGE);
	}
	if (strcmp(argv[cur.i], "help") == 0) {
		cur.i++;
		tool_help_subcommand(&cur);
	}
	if ((cmd = tool_cmd_find(argv[cur.i])) == NULL)
		tool_usage_error(NULL, "unrecognized subcommand '%s'", argv[cur.i]);
	cur.i++;
	tool_parse_cmd(cmd, &cur, args);
	return cmd;
}
