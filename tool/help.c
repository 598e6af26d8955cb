/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Help and usage errors, laid out as upstream parsec-tool's parser lays
 * them out: a short form for -h, a long one (help under each flag) for --help.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define TOOL_HELP_INDENT "          "

static const struct tool_opt tool_help_opt = { OPT_COUNT, 'h', "help", NULL, TOOL_FLAG, 0, 0,
	"Print help", NULL };
static const struct tool_opt tool_version_opt = { OPT_COUNT, 'V', "version", NULL, TOOL_FLAG,
	0, 0, "Print version", NULL };

static void
tool_opt_spec(char *out, size_t cap, const struct tool_opt *opt)
{
	int n = opt->short_name ? snprintf(out, cap, "-%c, --%s", opt->short_name, opt->long_name) :
	    snprintf(out, cap, "    --%s", opt->long_name);

	if (opt->value_name != NULL && n > 0 && (size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, " <%s>", opt->value_name);
}

static size_t
tool_opts_width(const struct tool_opt *opts, size_t count)
{
	char spec[128];
	size_t i, width = strlen("-h, --help");

	for (i = 0; i < count; i++) {
		tool_opt_spec(spec, sizeof(spec), &opts[i]);
		if (strlen(spec) > width)
			width = strlen(spec);
	}
	return width;
}

static void
tool_help_entry(FILE *out, const char *spec, size_t width, const char *help, int long_form)
{
	if (long_form) {
		fprintf(out, "  %s\n", spec);
		if (help != NULL)
			fprintf(out, TOOL_HELP_INDENT "%s\n", help);
		fputc('\n', out);
	} else if (help != NULL) {
		fprintf(out, "  %-*s  %s\n", (int)width, spec, help);
	} else {
		fprintf(out, "  %s\n", spec);
	}
}

static void
tool_help_opts(FILE *out, const struct tool_opt *opts, size_t count, int with_version,
    int long_form)
{
	size_t i, width = tool_opts_width(opts, count);
	char spec[128];

	fprintf(out, "Options:\n");
	for (i = 0; i < count; i++) {
		tool_opt_spec(spec, sizeof(spec), &opts[i]);
		tool_help_entry(out, spec, width, long_form && opts[i].long_help ?
		    opts[i].long_help : opts[i].help, long_form);
	}
	tool_help_entry(out, "-h, --help", width, tool_help_opt.help, long_form);
	if (with_version)
		tool_help_entry(out, "-V, --version", width, tool_version_opt.help, long_form);
}

void
tool_usage_line(FILE *out, const struct tool_cmd *cmd)
{
	size_t i;
	int optional = 0;

	if (cmd == NULL) {
		fprintf(out, "Usage: parsec-tool [OPTIONS] <COMMAND>\n");
		return;
	}
	for (i = 0; i < cmd->opt_count; i++)
		optional |= !cmd->opts[i].required;
	fprintf(out, "Usage: parsec-tool %s%s", cmd->name, optional ? " [OPTIONS]" : "");
	for (i = 0; i < cmd->opt_count; i++)
		if (cmd->opts[i].required)
			fprintf(out, " --%s <%s>", cmd->opts[i].long_name, cmd->opts[i].value_name);
	if (cmd->input_name != NULL)
		fprintf(out, " <%s>", cmd->input_name);
	fputc('\n', out);
}

void
tool_help_main(FILE *out)
{
	size_t i, width = strlen("help");

	for (i = 0; i < tool_cmd_count; i++)
		if (strlen(tool_cmds[i].name) > width)
			width = strlen(tool_cmds[i].name);
	fprintf(out, "The Parsec service from the command line\n\n");
	tool_usage_line(out, NULL);
	fprintf(out, "\nCommands:\n");
	for (i = 0; i < tool_cmd_count; i++)
		fprintf(out, "  %-*s  %s\n", (int)width, tool_cmds[i].name, tool_cmds[i].about);
	fprintf(out, "  %-*s  %s\n\n", (int)width, "help",
	    "Print this message or the help of the given subcommand(s)");
	tool_help_opts(out, tool_global_opts, tool_global_opt_count, 1, 0);
	fprintf(out, "\nThe service is PARSEC_SERVICE_ENDPOINT (unix:/path), by default "
	    "unix:/run/parsec/parsec.sock.\n");
}

void
tool_help_cmd(FILE *out, const struct tool_cmd *cmd, int long_form)
{
	char spec[128];
	size_t width;

	fprintf(out, "%s\n\n", long_form && cmd->long_about ? cmd->long_about : cmd->about);
	tool_usage_line(out, cmd);
	fputc('\n', out);
	if (cmd->input_name != NULL) {
		snprintf(spec, sizeof(spec), "<%s>", cmd->input_name);
		width = tool_opts_width(cmd->opts, cmd->opt_count);
		fprintf(out, "Arguments:\n");
		tool_help_entry(out, spec, strlen(spec) > width ? strlen(spec) : width,
		    cmd->input_help, long_form);
		if (!long_form)
			fputc('\n', out);
	}
	tool_help_opts(out, cmd->opts, cmd->opt_count, 0, long_form);
}

void
tool_usage_error(const struct tool_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	tool_usage_line(stderr, cmd);
	fprintf(stderr, "\nFor more information, try '--help'.\n");
	exit(TOOL_EXIT_USAGE);
}
