/* SPDX-License-Identifier: Apache-2.0 */
/* Strict JSON into a flat node array; see json.h. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

struct json_parser {
	const uint8_t *p, *end;
	struct json_doc *doc;
	uint32_t cap;   /* nodes the input could hold at most */
	uint32_t alloc; /* nodes allocated so far */
	size_t arena_off;
};

static void
json_ws(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
	    *jp->p == '\r'))
		jp->p++;
}

static uint32_t
json_new(struct json_parser *jp, enum json_type type)
{
	struct json_node *n;

	if (jp->doc->count >= jp->cap)
		return JSON_NONE;
	if (jp->doc->count == jp->alloc) {
		/*
		 * Grown as values arrive, not sized to the input: a large token
		 * refused at its 65th member costs what it read, not its length.
		 */
		uint32_t grown = jp->alloc > jp->cap / 2 ? jp->cap : jp->alloc * 2;

		n = reallocarray(jp->doc->nodes, grown, sizeof(*n));
		if (n == NULL)
			return JSON_NONE;
		jp->doc->nodes = n;
		jp->alloc = grown;
	}
	n = &jp->doc->nodes[jp->doc->count];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->next = n->first = JSON_NONE;
	return jp->doc->count++;
}

static void
json_put_utf8(char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int
json_hex4(struct json_parser *jp, uint32_t *out)
{
	int i;

	*out = 0;
	if (jp->end - jp->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		uint8_t c = *jp->p++;

		*out <<= 4;
		if (c >= '0' && c <= '9')
			*out |= (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*out |= (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* After a backslash: one escape, as a code point (surrogate pairs joined). */
static int
json_escape(struct json_parser *jp, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	uint32_t lo;

	if (jp->p >= jp->end)
		return -1;
	if (*jp->p != 'u') {
		if (*jp->p == '\0' || (e = strchr(from, *jp->p)) == NULL)
			return -1;
		jp->p++;
		*cp = (uint8_t)to[e - from];
		return 0;
	}
	jp->p++;
	if (json_hex4(jp, cp) == -1 || (*cp >= 0xdc00 && *cp <= 0xdfff))
		return -1;
	if (*cp < 0xd800 || *cp > 0xdbff)
		return 0;
	if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u')
		return -1;
	jp->p += 2;
	if (json_hex4(jp, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* One UTF-8 sequence starting at jp->p (strict), copied through. */
static int
json_utf8(struct json_parser *jp, char *out, size_t *o)
{
	size_t n = utf8_seq_len(jp->p, (size_t)(jp->end - jp->p));

	if (n < 2)
		return -1;
	memcpy(out + *o, jp->p, n);
	*o += n;
	jp->p += n;
	return 0;
}

/* A string at jp->p (its opening quote), decoded into the arena. */
static const char *
json_string(struct json_parser *jp, size_t *len)
{
	char *out = jp->doc->arena + jp->arena_off;
	size_t o = 0;
	uint32_t cp;

	if (jp->p >= jp->end || *jp->p != '"')
		return NULL;
	jp->p++;
	for (;;) {
		if (jp->p >= jp->end || *jp->p < 0x20)
			return NULL;
		if (*jp->p == '"')
			break;
		if (*jp->p == '\\') {
			jp->p++;
			if (json_escape(jp, &cp) == -1 || cp == 0)
				return NULL;
			json_put_utf8(out, &o, cp);
		} else if (*jp->p < 0x80) {
			out[o++] = (char)*jp->p++;
		} else if (json_utf8(jp, out, &o) == -1) {
			return NULL;
		}
	}
	jp->p++;
	out[o] = '\0';
	jp->arena_off += o + 1;
	*len = o;
	return out;
}

static int
json_digits(struct json_parser *jp)
{
	const uint8_t *s = jp->p;

	while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
		jp->p++;
	return jp->p > s ? 0 : -1;
}

/* The grammar of a number; its text is copied to the arena (the input may go first). */
static int
json_number(struct json_parser *jp, struct json_node *n)
{
	char *out = jp->doc->arena + jp->arena_off;
	const uint8_t *s = jp->p;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p < jp->end && *jp->p == '0')
		jp->p++;
	else if (json_digits(jp) == -1)
		return -1;
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if (json_digits(jp) == -1)
			return -1;
	}
	if (jp->p < jp->end && (*jp->p | 0x20) == 'e') {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (json_digits(jp) == -1)
			return -1;
	}
	n->str_len = (size_t)(jp->p - s);
	memcpy(out, s, n->str_len);
	out[n->str_len] = '\0';
	n->str = out;
	jp->arena_off += n->str_len + 1;
	return 0;
}

static int
json_word(struct json_parser *jp, const char *w)
{
	size_t l = strlen(w);

	if ((size_t)(jp->end - jp->p) < l || memcmp(jp->p, w, l) != 0)
		return -1;
	jp->p += l;
	return 0;
}

static uint32_t json_value(struct json_parser *jp, int depth);

/* Appends child to parent's list. */
static void
json_link(struct json_parser *jp, uint32_t parent, uint32_t *last, uint32_t child)
{
	struct json_node *nodes = jp->doc->nodes;

	if (*last == JSON_NONE)
		nodes[parent].first = child;
	else
		nodes[*last].next = child;
	*last = child;
	nodes[parent].count++;
}

static int
json_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A repeated key refuses the object. Its keys are sorted and neighbours
 * compared: m log m for m members, where comparing each member with every
 * earlier one would let one large object cost the square of its size.
 */
static int
json_unique_keys(const struct json_doc *doc, uint32_t obj)
{
	const char *keys[JSON_MEMBERS_MAX];
	uint32_t i, n = 0;

	for (i = doc->nodes[obj].first; i != JSON_NONE; i = doc->nodes[i].next)
		keys[n++] = doc->nodes[i].key;
	if (n < 2)
		return 0;
	qsort(keys, n, sizeof(keys[0]), json_key_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			return -1;
	return 0;
}

static uint32_t
json_container(struct json_parser *jp, int depth, enum json_type type)
{
	uint32_t self, last = JSON_NONE, child;
	const char *key = NULL;
	size_t key_len;

	if ((self = json_new(jp, type)) == JSON_NONE || depth >= JSON_DEPTH_MAX)
		return JSON_NONE;
	jp->p++;
	json_ws(jp);
	if (jp->p < jp->end && *jp->p == (type == JSON_OBJECT ? '}' : ']')) {
		jp->p++;
		return self;
	}
	for (;;) {
		json_ws(jp);
		if (type == JSON_OBJECT) {
			/* Refused at its first member too many, before that is read. */
			if (jp->doc->nodes[self].count >= JSON_MEMBERS_MAX ||
			    (key = json_string(jp, &key_len)) == NULL)
				return JSON_NONE;
			json_ws(jp);
			if (jp->p >= jp->end || *jp->p++ != ':')
				return JSON_NONE;
		}
		if ((child = json_value(jp, depth + 1)) == JSON_NONE)
			return JSON_NONE;
		jp->doc->nodes[child].key = key;
		json_link(jp, self, &last, child);
		json_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p >= jp->end || *jp->p++ != (type == JSON_OBJECT ? '}' : ']'))
			return JSON_NONE;
		if (type == JSON_OBJECT && json_unique_keys(jp->doc, self) == -1)
			return JSON_NONE;
		return self;
	}
}

static uint32_t
json_value(struct json_parser *jp, int depth)
{
	uint32_t n;

	json_ws(jp);
	if (jp->p >= jp->end)
		return JSON_NONE;
	switch (*jp->p) {
	case '{':
		return json_container(jp, depth, JSON_OBJECT);
	case '[':
		return json_container(jp, depth, JSON_ARRAY);
	case '"':
		if ((n = json_new(jp, JSON_STRING)) == JSON_NONE)
			return JSON_NONE;
		jp->doc->nodes[n].str = json_string(jp, &jp->doc->nodes[n].str_len);
		return jp->doc->nodes[n].str == NULL ? JSON_NONE : n;
	case 't':
	case 'f':
		if ((n = json_new(jp, JSON_BOOL)) == JSON_NONE)
			return JSON_NONE;
		jp->doc->nodes[n].boolean = *jp->p == 't';
		return json_word(jp, *jp->p == 't' ? "true" : "false") == -1 ? JSON_NONE : n;
	case 'n':
		if ((n = json_new(jp, JSON_NULL)) == JSON_NONE)
			return JSON_NONE;
		return json_word(jp, "null") == -1 ? JSON_NONE : n;
	default:
		if ((n = json_new(jp, JSON_NUMBER)) == JSON_NONE)
			return JSON_NONE;
		return json_number(jp, &jp->doc->nodes[n]) == -1 ? JSON_NONE : n;
	}
}

int
json_parse(const uint8_t *in, size_t len, struct json_doc *doc)
{
	struct json_parser jp = { in, in + len, doc, 0, 0, 0 };

	memset(doc, 0, sizeof(*doc));
	if (len == 0 || len > 16u * 1024u * 1024u)
		return -1;
	/*
	 * Every value takes at least one input byte; a decoded string or a
	 * number's text with its NUL never takes more than twice its input.
	 */
	jp.cap = len + 1 < JSON_NODES_MAX ? (uint32_t)len + 1 : JSON_NODES_MAX;
	jp.alloc = jp.cap < 32 ? jp.cap : 32;
	doc->nodes = calloc(jp.alloc, sizeof(*doc->nodes));
	doc->arena = malloc(2 * len + 2);
	if (doc->nodes == NULL || doc->arena == NULL || json_value(&jp, 0) != 0) {
		json_free(doc);
		return -1;
	}
	json_ws(&jp);
	if (jp.p != jp.end) {
		json_free(doc);
		return -1;
	}
	return 0;
}

void
json_free(struct json_doc *doc)
{
	free(doc->nodes);
	free(doc->arena);
	memset(doc, 0, sizeof(*doc));
}

uint32_t
json_get(const struct json_doc *doc, uint32_t obj, const char *key)
{
	uint32_t i;

	if (obj >= doc->count || doc->nodes[obj].type != JSON_OBJECT)
		return JSON_NONE;
	for (i = doc->nodes[obj].first; i != JSON_NONE; i = doc->nodes[i].next)
		if (strcmp(doc->nodes[i].key, key) == 0)
			return i;
	return JSON_NONE;
}

const char *
json_get_str(const struct json_doc *doc, uint32_t obj, const char *key, size_t *len)
{
	uint32_t i = json_get(doc, obj, key);

	if (i == JSON_NONE || doc->nodes[i].type != JSON_STRING)
		return NULL;
	if (len != NULL)
		*len = doc->nodes[i].str_len;
	return doc->nodes[i].str;
}

int
json_int(const struct json_node *n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0;

	if (n->type != JSON_NUMBER)
		return -1;
	if (n->str[0] == '-')
		neg = 1, i = 1;
	for (; i < n->str_len && n->str[i] >= '0' && n->str[i] <= '9'; i++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return -1;
		v = v * 10 + (uint64_t)(n->str[i] - '0');
		if (v > (uint64_t)INT64_MAX)
			return -1;
	}
	if (i < n->str_len && n->str[i] != '.')
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}
