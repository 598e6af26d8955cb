/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TOML subset parser. Recursive descent over one buffer; every read is
 * bounded by the end pointer, nesting is capped, duplicates are errors.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

#define TOML_MAX_DEPTH 8
#define TOML_MAX_KEY 256
#define TOML_MAX_ITEMS 4096

struct toml_parser {
	const char *p;
	const char *end;
	int line;
	char *err;
	size_t errlen;
	int failed;
};

static int
toml_fail(struct toml_parser *tp, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tp->failed)
		return -1;
	tp->failed = 1;
	n = snprintf(tp->err, tp->errlen, "%d: ", tp->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < tp->errlen)
		vsnprintf(tp->err + n, tp->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_STRING:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_BOOL:
		return "a boolean";
	case TOML_ARRAY:
		return "an array";
	case TOML_TABLE:
		return "a table";
	}
	return "a value";
}

static struct toml_node *
toml_node_new(enum toml_type type, int line)
{
	struct toml_node *n = calloc(1, sizeof(*n));

	if (n != NULL) {
		n->type = type;
		n->line = line;
	}
	return n;
}

void
toml_free(struct toml_node *node)
{
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; i < node->count; i++)
		toml_free(node->items[i]);
	free(node->items);
	free(node->key);
	if (node->str != NULL) {
		/* Strings may be PINs. */
		explicit_bzero(node->str, node->str_len);
		free(node->str);
	}
	free(node);
}

struct toml_node *
toml_get(const struct toml_node *table, const char *key)
{
	size_t i;

	for (i = 0; i < table->count; i++)
		if (table->items[i]->key != NULL && strcmp(table->items[i]->key, key) == 0)
			return table->items[i];
	return NULL;
}

static int
toml_append(struct toml_parser *tp, struct toml_node *parent, struct toml_node *child)
{
	struct toml_node **items;

	if (parent->count >= TOML_MAX_ITEMS)
		return toml_fail(tp, "too many entries");
	items = realloc(parent->items, (parent->count + 1) * sizeof(*items));
	if (items == NULL)
		return toml_fail(tp, "out of memory");
	parent->items = items;
	parent->items[parent->count++] = child;
	return 0;
}

/* A new node of type under parent, named key (taken, freed on failure; may be NULL). */
static struct toml_node *
toml_add(struct toml_parser *tp, struct toml_node *parent, enum toml_type type, char *key)
{
	struct toml_node *n;

	if ((n = toml_node_new(type, tp->line)) == NULL || toml_append(tp, parent, n) == -1) {
		free(n);
		free(key);
		return NULL;
	}
	n->key = key;
	return n;
}

/* Skips spaces and tabs, and a comment if allow_comment. */
static void
toml_skip_ws(struct toml_parser *tp)
{
	while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t'))
		tp->p++;
	if (tp->p < tp->end && *tp->p == '#')
		while (tp->p < tp->end && *tp->p != '\n')
			tp->p++;
}

/* Skips whitespace, comments and newlines (inside arrays). */
static void
toml_skip_all(struct toml_parser *tp)
{
	for (;;) {
		toml_skip_ws(tp);
		if (tp->p < tp->end && *tp->p == '\r' && tp->p + 1 < tp->end && tp->p[1] == '\n')
			tp->p++;
		if (tp->p < tp->end && *tp->p == '\n') {
			tp->p++;
			tp->line++;
			continue;
		}
		return;
	}
}

/* After a value or header: only a comment and a newline may follow. */
static int
toml_end_of_line(struct toml_parser *tp)
{
	toml_skip_ws(tp);
	if (tp->p < tp->end && *tp->p == '\r')
		tp->p++;
	if (tp->p == tp->end)
		return 0;
	if (*tp->p != '\n')
		return toml_fail(tp, "unexpected '%c' after value", *tp->p);
	tp->p++;
	tp->line++;
	return 0;
}

int
toml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
toml_put_utf8(char *out, size_t *len, uint32_t cp)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	if (cp < 0x80) {
		out[(*len)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*len)++] = (char)(0xc0 | cp >> 6);
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*len)++] = (char)(0xe0 | cp >> 12);
		out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*len)++] = (char)(0xf0 | cp >> 18);
		out[(*len)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*len)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*len)++] = (char)(0x80 | (cp & 0x3f));
	}
	return 0;
}

/*
 * The escape whose backslash *s points at, appended to buf; *s is left on
 * its last character.
 */
static int
toml_escape(struct toml_parser *tp, const char **s, char *buf, size_t *len)
{
	static const char names[] = "\"\\ntrbf", chars[] = "\"\\\n\t\r\b\f";
	const char *start = ++*s, *hit;
	char c = *start;
	uint32_t cp = 0;
	int i, digits;

	if (c != '\0' && (hit = strchr(names, c)) != NULL) {
		buf[(*len)++] = chars[hit - names];
		return 0;
	}
	if (c != 'u' && c != 'U')
		return toml_fail(tp, "bad escape '\\%c'", c);
	digits = c == 'u' ? 4 : 8;
	if (tp->p - start - 1 < digits)
		return toml_fail(tp, "short \\%c escape", c);
	for (i = 1; i <= digits; i++) {
		int h = toml_hex(start[i]);

		if (h < 0 || cp > 0x10ffff)
			return toml_fail(tp, "bad \\%c escape", c);
		cp = cp << 4 | (uint32_t)h;
	}
	if (toml_put_utf8(buf, len, cp) == -1)
		return toml_fail(tp, "escape is not a valid character");
	*s = start + digits;
	return 0;
}

/* A basic "..." or literal '...' string on one line; *out is malloc'd. */
static int
toml_string(struct toml_parser *tp, char **out, size_t *out_len)
{
	char quote = *tp->p++;
	const char *start = tp->p;
	char *buf;
	size_t len = 0;

	while (tp->p < tp->end && *tp->p != quote && *tp->p != '\n') {
		if (quote == '"' && *tp->p == '\\' && tp->p + 1 < tp->end)
			tp->p++;
		tp->p++;
	}
	if (tp->p >= tp->end || *tp->p != quote)
		return toml_fail(tp, "unterminated string");
	/* Escapes only shrink, except \u which needs at most 4 bytes for 6 chars. */
	if ((buf = malloc((size_t)(tp->p - start) + 1)) == NULL)
		return toml_fail(tp, "out of memory");
	for (; start < tp->p; start++) {
		char c = *start;

		if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
			free(buf);
			return toml_fail(tp, "control character in string");
		}
		if (quote == '\'' || c != '\\') {
			buf[len++] = c;
		} else if (toml_escape(tp, &start, buf, &len) == -1) {
			free(buf);
			return -1;
		}
	}
	tp->p++;
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static int
toml_key_part(struct toml_parser *tp, char **out)
{
	size_t len;

	toml_skip_ws(tp);
	if (tp->p < tp->end && (*tp->p == '"' || *tp->p == '\'')) {
		if (toml_string(tp, out, &len) == -1)
			return -1;
		if (len == 0 || len >= TOML_MAX_KEY) {
			free(*out);
			return toml_fail(tp, "bad key length");
		}
		return 0;
	}
	{
		const char *start = tp->p;

		while (tp->p < tp->end && (*tp->p == '_' || *tp->p == '-' ||
		    (*tp->p >= 'a' && *tp->p <= 'z') || (*tp->p >= 'A' && *tp->p <= 'Z') ||
		    (*tp->p >= '0' && *tp->p <= '9')))
			tp->p++;
		len = (size_t)(tp->p - start);
		if (len == 0)
			return toml_fail(tp, "expected a key");
		if (len >= TOML_MAX_KEY)
			return toml_fail(tp, "key too long");
		if ((*out = strndup(start, len)) == NULL)
			return toml_fail(tp, "out of memory");
	}
	return 0;
}

/*
 * Walks (creating as needed) the dotted path from table; the last part is
 * returned in *last for the caller to use.
 */
static struct toml_node *
toml_walk(struct toml_parser *tp, struct toml_node *table, char **last, int *depth)
{
	char *part;

	if (toml_key_part(tp, &part) == -1)
		return NULL;
	for (;;) {
		struct toml_node *next;

		toml_skip_ws(tp);
		if (tp->p >= tp->end || *tp->p != '.') {
			*last = part;
			return table;
		}
		tp->p++;
		if (++*depth > TOML_MAX_DEPTH) {
			free(part);
			toml_fail(tp, "nesting too deep");
			return NULL;
		}
		if ((next = toml_get(table, part)) == NULL) {
			if ((next = toml_add(tp, table, TOML_TABLE, part)) == NULL)
				return NULL;
		} else {
			free(part);
			if (next->type == TOML_ARRAY && next->array_of_tables && next->count > 0)
				next = next->items[next->count - 1];
			else if (next->type != TOML_TABLE) {
				toml_fail(tp, "'%s' is not a table", next->key);
				return NULL;
			}
		}
		table = next;
		if (toml_key_part(tp, &part) == -1)
			return NULL;
	}
}

static struct toml_node *toml_value(struct toml_parser *tp, int depth);
static int toml_keyval(struct toml_parser *tp, struct toml_node *table, int depth);

static int
toml_int(struct toml_parser *tp, struct toml_node *n)
{
	int neg = 0, base = 10, digits = 0;
	const char *first;
	uint64_t v = 0, limit;

	if (*tp->p == '+' || *tp->p == '-')
		neg = *tp->p++ == '-';
	if (tp->end - tp->p > 2 && tp->p[0] == '0' && tp->p[1] == 'x') {
		base = 16;
		tp->p += 2;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	first = tp->p;
	while (tp->p < tp->end) {
		int d = toml_hex(*tp->p);

		if (*tp->p == '_' && digits > 0 && tp->p + 1 < tp->end && toml_hex(tp->p[1]) >= 0) {
			tp->p++;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		if (v > (limit - (uint64_t)d) / (uint64_t)base)
			return toml_fail(tp, "integer out of range");
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
		tp->p++;
	}
	if (digits == 0)
		return toml_fail(tp, "expected a value");
	if (base == 10 && digits > 1 && *first == '0')
		return toml_fail(tp, "leading zeros are not allowed");
	if (tp->p < tp->end && (*tp->p == '.' || *tp->p == 'e' || *tp->p == 'E'))
		return toml_fail(tp, "floating point values are not supported");
	n->num = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* An array [a, b] (across lines) or an inline table {k = v, ...} (on one line). */
static struct toml_node *
toml_container(struct toml_parser *tp, char c, int depth)
{
	char close = c == '[' ? ']' : '}';
	struct toml_node *n;

	if ((n = toml_node_new(c == '[' ? TOML_ARRAY : TOML_TABLE, tp->line)) == NULL)
		return NULL;
	tp->p++;
	for (;;) {
		if (c == '[')
			toml_skip_all(tp);
		else
			toml_skip_ws(tp);
		if (tp->p < tp->end && *tp->p == close) {
			tp->p++;
			return n;
		}
		if (c == '[') {
			struct toml_node *item = toml_value(tp, depth + 1);

			if (item == NULL || toml_append(tp, n, item) == -1) {
				toml_free(item);
				toml_free(n);
				return NULL;
			}
			toml_skip_all(tp);
		} else if (toml_keyval(tp, n, depth + 1) == -1) {
			toml_free(n);
			return NULL;
		} else {
			toml_skip_ws(tp);
		}
		if (tp->p < tp->end && *tp->p == ',') {
			tp->p++;
			continue;
		}
		if (tp->p < tp->end && *tp->p == close)
			continue;
		toml_free(n);
		toml_fail(tp, "expected ',' or '%c'", close);
		return NULL;
	}
}

static struct toml_node *
toml_value(struct toml_parser *tp, int depth)
{
	struct toml_node *n;
	char c;

	if (depth > TOML_MAX_DEPTH) {
		toml_fail(tp, "nesting too deep");
		return NULL;
	}
	toml_skip_ws(tp);
	if (tp->p >= tp->end) {
		toml_fail(tp, "expected a value");
		return NULL;
	}
	c = *tp->p;
	if (c == '"' || c == '\'') {
		if ((n = toml_node_new(TOML_STRING, tp->line)) == NULL)
			return NULL;
		if (tp->end - tp->p >= 3 && tp->p[1] == c && tp->p[2] == c) {
			free(n);
			toml_fail(tp, "multi-line strings are not supported");
			return NULL;
		}
		if (toml_string(tp, &n->str, &n->str_len) == -1) {
			free(n);
			return NULL;
		}
		return n;
	}
	if (c == '[' || c == '{')
		return toml_container(tp, c, depth);
	if ((n = toml_node_new(TOML_INT, tp->line)) == NULL)
		return NULL;
	if (tp->end - tp->p >= 4 && strncmp(tp->p, "true", 4) == 0) {
		n->type = TOML_BOOL;
		n->num = 1;
		tp->p += 4;
	} else if (tp->end - tp->p >= 5 && strncmp(tp->p, "false", 5) == 0) {
		n->type = TOML_BOOL;
		tp->p += 5;
	} else if (toml_int(tp, n) == -1) {
		free(n);
		return NULL;
	}
	return n;
}

static int
toml_keyval(struct toml_parser *tp, struct toml_node *table, int depth)
{
	struct toml_node *owner, *value;
	char *key;

	if ((owner = toml_walk(tp, table, &key, &depth)) == NULL)
		return -1;
	if (toml_get(owner, key) != NULL) {
		toml_fail(tp, "duplicate key '%s'", key);
		free(key);
		return -1;
	}
	toml_skip_ws(tp);
	if (tp->p >= tp->end || *tp->p != '=') {
		free(key);
		return toml_fail(tp, "expected '=' after key");
	}
	tp->p++;
	if ((value = toml_value(tp, depth)) == NULL || toml_append(tp, owner, value) == -1) {
		toml_free(value);
		free(key);
		return -1;
	}
	value->key = key;
	return 0;
}

static struct toml_node *
toml_header(struct toml_parser *tp, struct toml_node *root)
{
	int array = tp->end - tp->p >= 2 && tp->p[1] == '[';
	struct toml_node *owner, *node;
	int depth = 0;
	char *key;

	tp->p += array ? 2 : 1;
	if ((owner = toml_walk(tp, root, &key, &depth)) == NULL)
		return NULL;
	toml_skip_ws(tp);
	if (tp->end - tp->p < (array ? 2 : 1) || *tp->p != ']' || (array && tp->p[1] != ']')) {
		free(key);
		toml_fail(tp, "expected '%s' to close the header", array ? "]]" : "]");
		return NULL;
	}
	tp->p += array ? 2 : 1;
	node = toml_get(owner, key);
	if (array) {
		if (node == NULL) {
			if ((node = toml_add(tp, owner, TOML_ARRAY, key)) == NULL)
				return NULL;
			node->array_of_tables = 1;
		} else {
			free(key);
			if (!node->array_of_tables) {
				toml_fail(tp, "'%s' is not an array of tables", node->key);
				return NULL;
			}
		}
		return toml_add(tp, node, TOML_TABLE, NULL);
	}
	if (node != NULL) {
		if (node->type != TOML_TABLE || node->header_defined) {
			toml_fail(tp, "table '%s' defined twice", key);
			free(key);
			return NULL;
		}
		free(key);
	} else if ((node = toml_add(tp, owner, TOML_TABLE, key)) == NULL) {
		return NULL;
	}
	node->header_defined = 1;
	node->line = tp->line;
	return node;
}

struct toml_node *
toml_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct toml_parser tp = { text, text + len, 1, err, errlen, 0 };
	struct toml_node *root, *current;

	if (len > TOML_MAX_INPUT) {
		snprintf(err, errlen, "0: file larger than %d bytes", TOML_MAX_INPUT);
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "0: NUL byte in file");
		return NULL;
	}
	if ((root = toml_node_new(TOML_TABLE, 0)) == NULL) {
		snprintf(err, errlen, "0: out of memory");
		return NULL;
	}
	current = root;
	while (!tp.failed) {
		toml_skip_all(&tp);
		if (tp.p >= tp.end)
			break;
		if (*tp.p == '[') {
			if ((current = toml_header(&tp, root)) == NULL)
				break;
		} else if (toml_keyval(&tp, current, 0) == -1) {
			break;
		}
		toml_end_of_line(&tp);
	}
	if (tp.failed) {
		toml_free(root);
		return NULL;
	}
	return root;
}
