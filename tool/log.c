/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsec-tool's messages on stderr, as upstream's tool writes them through
 * env_logger: "[INFO ] ...", "[ERROR] ...", filtered by RUST_LOG (default info).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

enum tool_level { LEVEL_OFF, LEVEL_ERROR, LEVEL_WARN, LEVEL_INFO, LEVEL_DEBUG, LEVEL_TRACE };

static enum tool_level tool_level = LEVEL_INFO;

/* RUST_LOG is a comma-separated list; a bare level word sets the level for everything. */
void
tool_log_init(void)
{
	static const char *const names[] = { "off", "error", "warn", "info", "debug", "trace" };
	const char *env = getenv("RUST_LOG"), *p;
	size_t i, len;

	for (p = env; p != NULL && *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i]) == len && strncasecmp(p, names[i], len) == 0)
				tool_level = (enum tool_level)i;
	}
}

static void
tool_log(enum tool_level level, const char *tag, const char *fmt, va_list ap)
{
	if (level > tool_level)
		return;
	fprintf(stderr, "[%s] ", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
tool_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_log(LEVEL_INFO, "INFO ", fmt, ap);
	va_end(ap);
}

void
tool_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tool_log(LEVEL_ERROR, "ERROR", fmt, ap);
	va_end(ap);
}

int
tool_status(int status)
{
	/* Statuses libparsec reports itself come from the client side, the rest from the service. */
	int local = status == PARSEC_ERR_CONNECTION || status == PARSEC_ERR_INVALID_ENCODING ||
	    status == PARSEC_ERR_RESPONSE_TOO_LARGE;

	if (status == PARSEC_SUCCESS)
		return 0;
	tool_error("Subcommand failed: %s (ParsecClientError(%s(%s)))", parsec_status_str(status),
	    local ? "Interface" : "Service", parsec_status_name(status));
	return TOOL_EXIT_FAILED;
}

int
tool_fail(enum tool_failure failure)
{
	static const struct {
		const char *text, *name;
	} failures[] = {
		[TOOL_NOT_SUPPORTED] = { "Operation not supported by the parsec-tool",
		    "ParsecToolError(NotSupported)" },
		[TOOL_WRONG_KEY_ALGORITHM] = { "The key's algorithm does not allow this operation",
		    "ParsecToolError(WrongKeyAlgorithm)" },
		[TOOL_INCORRECT_DATA] = { "Incorrect data format", "ParsecToolError(IncorrectData)" },
		[TOOL_BAD_BASE64] = { "The input is not valid base64", "Base64Decode" },
		[TOOL_BAD_NAME] = { "A subject alternative name is neither an IP address nor an "
		    "ASCII DNS name", "RcgenError" },
	};

	tool_error("Subcommand failed: %s (%s)", failures[failure].text, failures[failure].name);
	return TOOL_EXIT_FAILED;
}
