/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, strict TOML subset: tables, arrays of tables, strings, integers,
 * booleans, arrays and inline tables. Enough for config.toml; every value
 * remembers its line for error messages.
 */
#ifndef PARSEC_TOML_H
#define PARSEC_TOML_H

#include <stddef.h>
#include <stdint.h>

enum toml_type { TOML_STRING, TOML_INT, TOML_BOOL, TOML_ARRAY, TOML_TABLE };

struct toml_node {
	enum toml_type type;
	int line;
	char *key; /* name within its parent table; NULL for array elements */
	char *str; /* TOML_STRING: NUL-terminated (no NUL inside) */
	size_t str_len;
	int64_t num; /* TOML_INT, TOML_BOOL */
	struct toml_node **items; /* array elements or table members, in file order */
	size_t count;
	int array_of_tables; /* an array made by [[...]] headers */
	int header_defined;  /* a [table] header named it */
};

#define TOML_ERR_MAX 256
#define TOML_MAX_INPUT (1024 * 1024)

/* Parses text; on failure returns NULL with "LINE: what is wrong" in err. */
struct toml_node *toml_parse(const char *text, size_t len, char *err, size_t errlen);
void toml_free(struct toml_node *node);
/* Member of a table by key, or NULL. */
struct toml_node *toml_get(const struct toml_node *table, const char *key);
const char *toml_type_name(enum toml_type type);

/* The value of a hexadecimal digit, or -1. */
int toml_hex(char c);

#endif
