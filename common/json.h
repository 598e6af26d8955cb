/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small strict JSON parser (RFC 8259) for JWT-SVID headers, claims and JWKS
 * bundles: untrusted input, so no duplicate keys, no trailing data, bounded
 * depth and members, strings checked and decoded to UTF-8 without NULs, and
 * time linear in the input (no quadratic duplicate check for an attacker to fill).
 */
#ifndef PARSEC_JSON_H
#define PARSEC_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 16     /* levels of nesting: 16 arrays or objects, one in another */
#define JSON_MEMBERS_MAX 64   /* members of one object (a JWT-SVID header holds 3) */
#define JSON_NODES_MAX 65536u /* values in one document */
#define JSON_NONE UINT32_MAX

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_node {
	enum json_type type;
	uint32_t next;     /* next member or element of the parent, or JSON_NONE */
	uint32_t first;    /* first member or element, or JSON_NONE */
	uint32_t count;    /* members or elements */
	const char *key;   /* object member: decoded key, NUL-terminated */
	const char *str;   /* string: decoded, NUL-terminated; number: its text */
	size_t str_len;
	int boolean;
};

struct json_doc {
	struct json_node *nodes; /* nodes[0] is the root */
	uint32_t count;
	char *arena;             /* decoded strings */
};

/* 0, or -1 on anything that is not one strict JSON value (doc left empty). */
int json_parse(const uint8_t *in, size_t len, struct json_doc *doc);
void json_free(struct json_doc *doc);

/* The member named key of object obj, or JSON_NONE. */
uint32_t json_get(const struct json_doc *doc, uint32_t obj, const char *key);
/* The member's string, or NULL if it is absent or not a string. */
const char *json_get_str(const struct json_doc *doc, uint32_t obj, const char *key,
    size_t *len);
/*
 * A number's integer part (a fraction is dropped, an exponent refused) in
 * *out: 0, or -1 if it is not such a number or out of int64 range.
 */
int json_int(const struct json_node *n, int64_t *out);

#endif
