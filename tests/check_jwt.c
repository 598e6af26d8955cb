/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests: several authenticators in config.toml, the strict JSON parser,
 * JWT-SVID parsing and claim checks, JWKS bundles and Workload API responses.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "testlib.h"

#define NOW 1700000000

/* [[authenticator]]: several at once, each with its own admins, in config order. */
START_TEST(t_several_authenticators)
{
	static const char text[] =
	    "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"MbedCrypto\"\n"
	    "[[authenticator]]\nauth_type = \"UnixPeerCredentials\"\nadmins = [{ name = \"0\" }]\n"
	    "[[authenticator]]\nauth_type = \"Direct\"\n"
	    "[[authenticator]]\nauth_type = \"JwtSvid\"\n"
	    "workload_endpoint = \"unix:///run/spire/sockets/agent.sock\"\n"
	    "admins = [{ name = \"spiffe://example.org/admin\" }]\n";
	static struct parsec_config cfg;
	char err[CFG_ERR_MAX];

	ck_assert_int_eq(config_load_buffer("test.toml", text, strlen(text), &cfg, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.authenticator_count, 3);
	ck_assert_int_eq(cfg.auth_type, CFG_AUTH_UNIX_PEER_CREDENTIALS); /* the default */
	ck_assert_int_eq(cfg.authenticators[0].type, CFG_AUTH_UNIX_PEER_CREDENTIALS);
	ck_assert_uint_eq(cfg.authenticators[0].admin_count, 1);
	ck_assert_int_eq(cfg.authenticators[1].type, CFG_AUTH_DIRECT);
	ck_assert_uint_eq(cfg.authenticators[1].admin_count, 0);
	ck_assert_int_eq(cfg.authenticators[2].type, CFG_AUTH_JWT_SVID);
	ck_assert_str_eq(cfg.authenticators[2].workload_endpoint,
	    "unix:///run/spire/sockets/agent.sock");
	ck_assert_str_eq(cfg.authenticators[2].admins[0], "spiffe://example.org/admin");
}
END_TEST

static void
b64url(const char *in, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t len = strlen(in), i, o = 0;

	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)(uint8_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (uint8_t)in[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (i + 1 < len)
			out[o++] = abc[v >> 6 & 63];
		if (i + 2 < len)
			out[o++] = abc[v & 63];
	}
	out[o] = '\0';
}

/* header.payload.c2ln (the signature bytes do not matter to the parser). */
static int
parse(const char *header, const char *payload, struct jwt_token *t, const char **why)
{
	static char tok[4096];
	char h[1024], p[1024];

	b64url(header, h);
	b64url(payload, p);
	snprintf(tok, sizeof(tok), "%s.%s.c2ln", h, p);
	return jwt_parse((const uint8_t *)tok, strlen(tok), NOW, t, why);
}

#define ES256 "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
#define CLAIMS(sub, aud, exp) "{\"sub\":\"" sub "\",\"aud\":" aud ",\"exp\":" exp "}"
#define GOOD CLAIMS("spiffe://example.org/ns/web", "\"parsec\"", "2000000000")

START_TEST(t_good_token)
{
	static struct jwt_token t;
	const char *why = NULL;

	ck_assert_int_eq(parse(ES256, GOOD, &t, &why), 0);
	ck_assert_int_eq(t.alg, JWT_ALG_ES256);
	ck_assert_str_eq(t.kid, "k1");
	ck_assert_str_eq(t.sub, "spiffe://example.org/ns/web");
	ck_assert_str_eq(t.trust_domain, "example.org");
	ck_assert_int_eq(t.exp, 2000000000);
	ck_assert_uint_eq(t.sig_len, 3);
	ck_assert_int_eq(parse(ES256, CLAIMS("spiffe://example.org/w", "[\"x\",\"parsec\"]",
	    "2000000000.5"), &t, &why), 0);
}
END_TEST

static const struct {
	const char *header, *payload, *why;
} bad_tokens[] = {
	{ "{\"alg\":\"none\",\"kid\":\"k1\"}", GOOD, "alg not allowed" },
	{ "{\"alg\":\"HS256\",\"kid\":\"k1\"}", GOOD, "alg not allowed" },
	{ "{\"alg\":\"ES256\"}", GOOD, "no usable kid" },
	{ "{\"alg\":\"ES256\",\"kid\":\"\"}", GOOD, "no usable kid" },
	{ "{\"alg\":\"ES256\",\"kid\":\"k\",\"typ\":\"JWS\"}", GOOD, "typ" },
	{ "{\"alg\":\"ES256\",\"kid\":\"k\",\"crit\":[\"x\"]}", GOOD, "crit" },
	{ "{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"k\"}", GOOD, "header is not" },
	{ "[\"alg\"]", GOOD, "header is not" },
	{ ES256, CLAIMS("spiffe://example.org/w", "\"parsec\"", "1700000000"), "expired" },
	{ ES256, CLAIMS("spiffe://example.org/w", "\"parsec\"", "\"2000000000\""), "no exp" },
	{ ES256, CLAIMS("spiffe://example.org/w", "\"parsec\"", "2e9"), "no exp" },
	{ ES256, CLAIMS("spiffe://example.org/w", "\"parsecd\"", "2000000000"), "audience" },
	{ ES256, CLAIMS("spiffe://example.org/w", "[]", "2000000000"), "audience" },
	{ ES256, "{\"sub\":\"spiffe://example.org/w\",\"exp\":2000000000}", "audience" },
	{ ES256, CLAIMS("spiffe://example.org", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/a/", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/a//b", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/a/../b", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/./b", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://Example.org/w", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org:80/w", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/w?q", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("spiffe://example.org/w%20", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("SPIFFE://example.org/w", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, CLAIMS("https://example.org/w", "\"parsec\"", "2000000000"), "sub" },
	{ ES256, "{\"sub\":\"spiffe://example.org/w\",\"aud\":\"parsec\",\"exp\":2000000000,"
	    "\"nbf\":1800000000}", "not valid yet" },
};

START_TEST(t_bad_tokens)
{
	static struct jwt_token t;
	const char *why = NULL;

	ck_assert_int_eq(parse(bad_tokens[_i].header, bad_tokens[_i].payload, &t, &why), -1);
	ck_assert_msg(why != NULL && strstr(why, bad_tokens[_i].why) != NULL,
	    "case %d: reason \"%s\", wanted \"%s\"", _i, why ? why : "(none)", bad_tokens[_i].why);
}
END_TEST

START_TEST(t_token_shapes)
{
	static struct jwt_token t;
	static const char *const shapes[] = { "", ".", "..", "a.b", "a.b.c.d", "====.====.c2ln",
		"e30.e30.c2ln", "e30.e30.", "eyJ9.e30.c2ln" };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		why = NULL;
		ck_assert_msg(jwt_parse((const uint8_t *)shapes[i], strlen(shapes[i]), NOW, &t,
		    &why) == -1 && why != NULL, "\"%s\" was taken", shapes[i]);
	}
}
END_TEST

START_TEST(t_base64url)
{
	uint8_t out[8];

	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QQ", 2, out, sizeof(out)), 1);
	ck_assert_int_eq(out[0], 'A');
	/* Non-canonical (unused bits set), padding, standard base64's +/, a lone char. */
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QR", 2, out, sizeof(out)), -1);
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QQ==", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"a+/a", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QUFB", 4, out, sizeof(out)), 3);
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QUFBQ", 5, out, sizeof(out)), -1);
	ck_assert_int_eq(jwt_b64url_decode((const uint8_t *)"QUFBQUFBQUFB", 12, out, 8), -1);
}
END_TEST

START_TEST(t_json_strict)
{
	static const char *const bad[] = { "", "{", "{}x", "{\"a\":1,\"a\":2}", "[1,]", "{\"a\"}",
		"01", "-", "1.", "1e", ".5", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"",
		"\"\\x\"", "\"a\nb\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "tru", "nul",
		"[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "{\"a\":1}{}" };
	static const char *const good[] = { "{}", " [ ] ", "-0.5e+3", "\"\\ud83d\\ude00\"",
		"{\"a\":[true,false,null,{\"b\":\"\xc3\xa9\"}]}", "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]" };
	struct json_doc d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(json_parse((const uint8_t *)bad[i], strlen(bad[i]), &d) == -1,
		    "taken: %s", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(json_parse((const uint8_t *)good[i], strlen(good[i]), &d) == 0,
		    "refused: %s", good[i]);
		json_free(&d);
	}
	ck_assert_int_eq(json_parse((const uint8_t *)"\"\\ud83d\\ude00\"", 14, &d), 0);
	ck_assert_str_eq(d.nodes[0].str, "\xf0\x9f\x98\x80");
	json_free(&d);
}
END_TEST

#define P256_X "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"
#define P256_Y "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"
#define EC_KEY(kid, use) "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" P256_X "\",\"y\":\"" \
	P256_Y "\",\"kid\":\"" kid "\"" use "}"

START_TEST(t_bundles)
{
	static struct jwt_bundle b;
	static const char good[] = "{\"example.org\":{\"keys\":[" EC_KEY("k1", ",\"use\":\"jwt-svid\"")
	    "," EC_KEY("x1", ",\"use\":\"x509-svid\"") "," EC_KEY("k2", "") ","
	    "{\"kty\":\"oct\",\"k\":\"AA\",\"kid\":\"s\"}]},\"other.org\":{\"keys\":[]}}";
	static const char *const bad[] = {
		"[]", "{\"Example.org\":{\"keys\":[]}}", "{\"example.org\":{}}",
		"{\"example.org\":{\"keys\":[" EC_KEY("k1", "") "," EC_KEY("k1", "") "]}}",
		"{\"example.org\":{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\","
		"\"kid\":\"a\"}]}}",
		"{\"example.org\":{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"r\"}]}}",
	};
	size_t i;

	ck_assert_int_eq(jwt_bundle_parse_file(&b, (const uint8_t *)good, strlen(good)), 0);
	ck_assert_uint_eq(b.count, 2);
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "example.org", "k1"));
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "example.org", "k2"));
	ck_assert_ptr_null(jwt_bundle_find(&b, "example.org", "x1"));
	ck_assert_ptr_null(jwt_bundle_find(&b, "other.org", "k1"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(jwt_bundle_parse_file(&b, (const uint8_t *)bad[i], strlen(bad[i])) == -1,
		    "taken: %s", bad[i]);
		ck_assert_uint_eq(b.count, 0);
	}
}
END_TEST

/* JWTBundlesResponse { map<string, bytes> bundles = 1; }, encoded here by hand. */
START_TEST(t_workload_response)
{
	static struct jwt_bundle b;
	static const char jwks[] = "{\"keys\":[" EC_KEY("k1", "") "]}";
	char refused_td[JWT_TD_MAX];
	uint8_t msg[512], *p = msg;
	size_t jl = strlen(jwks), entry = 2 + 11 + 3 + jl;

	ck_assert_uint_lt(jl, 16384);
	*p++ = 0x0a; /* field 1, length-delimited: one map entry */
	*p++ = (uint8_t)(entry | 0x80);
	*p++ = (uint8_t)(entry >> 7);
	*p++ = 0x0a; /* key */
	*p++ = 11;
	memcpy(p, "example.org", 11);
	p += 11;
	*p++ = 0x12; /* value */
	*p++ = (uint8_t)(jl | 0x80);
	*p++ = (uint8_t)(jl >> 7);
	memcpy(p, jwks, jl);
	p += jl;
	*p++ = 0x18; /* an unknown varint field: skipped */
	*p++ = 0x01;
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, (size_t)(p - msg), refused_td), 0);
	ck_assert_uint_eq(b.count, 1);
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "example.org", "k1"));
	/* Cut anywhere inside, the message is refused and nothing is kept. */
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, (size_t)(p - msg) - 3,
	    refused_td), -1);
	ck_assert_uint_eq(b.count, 0);
	msg[5] = 'E'; /* "Example.org" is no trust domain name: that entry alone is refused */
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, (size_t)(p - msg), refused_td), 1);
	ck_assert_str_eq(refused_td, "");
	ck_assert_uint_eq(b.count, 0);
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, 0, refused_td), 0);
	ck_assert_uint_eq(b.count, 0);
}
END_TEST

static size_t
pb_varint_put(uint8_t *out, size_t v)
{
	size_t o = 0;

	for (; v >= 0x80; v >>= 7)
		out[o++] = (uint8_t)(v | 0x80);
	out[o++] = (uint8_t)v;
	return o;
}

/* Appends one bundles map entry, key -> value, to msg at o; returns the new end. */
static size_t
pb_entry(uint8_t *msg, size_t o, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	uint8_t lk[10], lv[10];
	size_t nk = pb_varint_put(lk, kl), nv = pb_varint_put(lv, vl);

	msg[o++] = 0x0a;
	o += pb_varint_put(msg + o, 1 + nk + kl + 1 + nv + vl);
	msg[o++] = 0x0a;
	memcpy(msg + o, lk, nk);
	o += nk;
	memcpy(msg + o, key, kl);
	o += kl;
	msg[o++] = 0x12;
	memcpy(msg + o, lv, nv);
	o += nv;
	memcpy(msg + o, value, vl);
	return o + vl;
}

#define JWKS_OF(kid) "{\"keys\":[" EC_KEY(kid, "") "]}"

/*
 * The map's key: SPIRE's agent writes the trust domain's SPIFFE ID, go-spiffe's
 * fakes the bare name; both are taken, nothing else, and a bad key costs only
 * its own entry (other.org beside it stays).
 */
START_TEST(t_workload_key_forms)
{
	static struct jwt_bundle b;
	static const char *const good[] = { "example.org", "spiffe://example.org" };
	static const char *const bad[] = { "Example.org", "spiffe://Example.org", "spiffe://", "",
		"spiffe://example.org/", "spiffe://example.org/ns", "SPIFFE://example.org",
		"spiffe:/example.org", "spiffe:example.org", "spiffe://example.org:80",
		"spiffe://user@example.org", "https://example.org", "example.org/",
		"spiffe://spiffe://example.org", "//example.org", " example.org", "example.org\n",
		"spiffe://example.org%2e" };
	static uint8_t msg[4096];
	char refused_td[JWT_TD_MAX], long_td[JWT_TD_MAX + 1];
	size_t i, o;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		o = pb_entry(msg, 0, good[i], JWKS_OF("k1"));
		ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, o, refused_td), 0);
		ck_assert_msg(b.count == 1 && jwt_bundle_find(&b, "example.org", "k1") != NULL,
		    "key \"%s\" not taken as example.org", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = pb_entry(msg, 0, bad[i], JWKS_OF("k1"));
		o = pb_entry(msg, o, "spiffe://other.org", JWKS_OF("o1"));
		ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, o, refused_td), 1);
		ck_assert_msg(b.count == 1 && jwt_bundle_find(&b, "other.org", "o1") != NULL,
		    "key \"%s\": other.org lost or the key taken", bad[i]);
		ck_assert_str_eq(refused_td, "");
	}
	/* A name of 255 bytes is a trust domain; of 256, not. */
	memset(long_td, 'a', sizeof(long_td) - 1);
	long_td[JWT_TD_MAX - 1] = '\0';
	o = pb_entry(msg, 0, long_td, JWKS_OF("k1"));
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, o, refused_td), 0);
	long_td[JWT_TD_MAX - 1] = 'a';
	long_td[JWT_TD_MAX] = '\0';
	o = pb_entry(msg, 0, long_td, JWKS_OF("k1"));
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, o, refused_td), 1);
}
END_TEST

/*
 * One malformed JWKS in an update: the other trust domains take their new
 * keys, and that one keeps what it had. Two entries of one trust domain:
 * the last wins, as for any protobuf map.
 */
START_TEST(t_workload_bad_entry_alone)
{
	static struct jwt_bundle prev, b;
	static uint8_t msg[4096];
	char refused_td[JWT_TD_MAX];
	size_t o;

	o = pb_entry(msg, 0, "spiffe://example.org", JWKS_OF("k1"));
	o = pb_entry(msg, o, "spiffe://other.org", JWKS_OF("o1"));
	ck_assert_int_eq(jwt_bundle_parse_workload(&prev, NULL, msg, o, refused_td), 0);
	ck_assert_uint_eq(prev.count, 2);

	o = pb_entry(msg, 0, "spiffe://example.org", JWKS_OF("k2"));
	o = pb_entry(msg, o, "spiffe://other.org", "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"o2\"}]}");
	o = pb_entry(msg, o, "spiffe://third.org", JWKS_OF("t1"));
	o = pb_entry(msg, o, "spiffe://Bad.org", JWKS_OF("b1"));
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, &prev, msg, o, refused_td), 2);
	ck_assert_str_eq(refused_td, "other.org");
	ck_assert_uint_eq(b.count, 3);
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "example.org", "k2"));
	ck_assert_ptr_null(jwt_bundle_find(&b, "example.org", "k1"));
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "other.org", "o1"));
	ck_assert_ptr_null(jwt_bundle_find(&b, "other.org", "o2"));
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "third.org", "t1"));

	/* Not JSON, and no value at all: refused the same way. */
	o = pb_entry(msg, 0, "spiffe://other.org", "{\"keys\":");
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, &prev, msg, o, refused_td), 1);
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "other.org", "o1"));
	ck_assert_ptr_null(jwt_bundle_find(&b, "example.org", "k1"));

	o = pb_entry(msg, 0, "example.org", JWKS_OF("k1"));
	o = pb_entry(msg, o, "spiffe://example.org", JWKS_OF("k2"));
	ck_assert_int_eq(jwt_bundle_parse_workload(&b, NULL, msg, o, refused_td), 0);
	ck_assert_uint_eq(b.count, 1);
	ck_assert_ptr_nonnull(jwt_bundle_find(&b, "example.org", "k2"));
}
END_TEST

/* A JSON object of n distinct members, "m0": 0, ..., "first" member first if not NULL. */
static char *
json_members(size_t n, const char *first)
{
	char *s = malloc(n * 16 + 64), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	*p++ = '{';
	if (first != NULL)
		p += sprintf(p, "%s,", first);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s\"m%zx\":0", i ? "," : "", i);
	strcpy(p, "}");
	return s;
}

/* Members and depth are bounded, and a repeated key is found wherever it is. */
START_TEST(t_json_bounds)
{
	static const char nested_dup[] = "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}";
	static const char apart[] = "{\"a\":{\"b\":1},\"c\":{\"b\":1}}";
	struct json_doc d;
	char *s;

	s = json_members(JSON_MEMBERS_MAX, NULL);
	ck_assert_int_eq(json_parse((const uint8_t *)s, strlen(s), &d), 0);
	ck_assert_uint_eq(d.nodes[0].count, JSON_MEMBERS_MAX);
	json_free(&d);
	free(s);
	s = json_members(JSON_MEMBERS_MAX + 1, NULL);
	ck_assert_int_eq(json_parse((const uint8_t *)s, strlen(s), &d), -1);
	free(s);
	s = json_members(4900, NULL);
	ck_assert_int_eq(json_parse((const uint8_t *)s, strlen(s), &d), -1);
	free(s);
	/* "m0" first and "m0" last of 64; and the same in a nested object. */
	s = json_members(JSON_MEMBERS_MAX - 1, "\"m3e\":1");
	ck_assert_int_eq(json_parse((const uint8_t *)s, strlen(s), &d), -1);
	free(s);
	ck_assert_int_eq(json_parse((const uint8_t *)nested_dup, strlen(nested_dup), &d), -1);
	ck_assert_int_eq(json_parse((const uint8_t *)apart, strlen(apart), &d), 0);
	json_free(&d);
}
END_TEST

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* header.payload.sig of any size (the test's parse() is for small ones). */
static char *
big_token(const char *header, const char *payload)
{
	size_t hl = strlen(header), pl = strlen(payload);
	char *tok = malloc((hl + pl) * 4 / 3 + 32);

	ck_assert_ptr_nonnull(tok);
	b64url(header, tok);
	strcat(tok, ".");
	b64url(payload, tok + strlen(tok));
	strcat(tok, ".c2ln");
	return tok;
}

/*
 * A 59 KB header of 4,900 members (with alg and kid, or without) is refused
 * on its size before it is decoded, and a claims set of 4,900 members at its
 * 65th: 200 of each under 5 ms apiece of CPU, a bound loose enough for a
 * loaded machine (each takes well under 1 ms alone) that comparing every member
 * with every earlier one (about 36 ms each) still misses by far.
 */
START_TEST(t_jwt_cost)
{
	static struct jwt_token t;
	char *hdr[2], *claims, *tok[3];
	const char *why;
	double start;
	int i, k;

	hdr[0] = json_members(4900, "\"alg\":\"ES256\",\"kid\":\"k1\"");
	hdr[1] = json_members(4900, NULL);
	claims = json_members(4900, "\"sub\":\"spiffe://example.org/w\",\"aud\":\"parsec\","
	    "\"exp\":2000000000");
	tok[0] = big_token(hdr[0], GOOD);
	tok[1] = big_token(hdr[1], GOOD);
	tok[2] = big_token(ES256, claims);
	ck_assert_uint_gt(strlen(tok[0]), 55000);
	for (k = 0; k < 3; k++) {
		why = NULL;
		ck_assert_int_eq(jwt_parse((const uint8_t *)tok[k], strlen(tok[k]), NOW, &t, &why), -1);
		ck_assert_str_eq(why, k < 2 ? "header larger than a JWT-SVID's" :
		    "payload is not a base64url JSON object");
		start = cpu_seconds();
		for (i = 0; i < 200; i++)
			(void)jwt_parse((const uint8_t *)tok[k], strlen(tok[k]), NOW, &t, &why);
		ck_assert_msg(cpu_seconds() - start < 1.0, "token %d: %.1f ms of CPU each", k,
		    (cpu_seconds() - start) * 1000 / 200);
		free(tok[k]);
	}
	free(hdr[0]);
	free(hdr[1]);
	free(claims);
}
END_TEST

/* The header bound: JWT_HEADER_MAX bytes of JSON are read, one more is not. */
START_TEST(t_jwt_header_max)
{
	static struct jwt_token t;
	char header[JWT_HEADER_MAX + 2], *tok;
	const char *why = NULL;
	size_t fill;

	fill = JWT_HEADER_MAX - strlen(ES256);
	memcpy(header, ES256, strlen(ES256) - 1);
	memset(header + strlen(ES256) - 1, ' ', fill);
	strcpy(header + JWT_HEADER_MAX - 1, "}");
	ck_assert_uint_eq(strlen(header), JWT_HEADER_MAX);
	tok = big_token(header, GOOD);
	ck_assert_int_eq(jwt_parse((const uint8_t *)tok, strlen(tok), NOW, &t, &why), 0);
	free(tok);
	memmove(header + 1, header, JWT_HEADER_MAX + 1);
	header[0] = ' ';
	tok = big_token(header, GOOD);
	ck_assert_int_eq(jwt_parse((const uint8_t *)tok, strlen(tok), NOW, &t, &why), -1);
	ck_assert_str_eq(why, "header larger than a JWT-SVID's");
	free(tok);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "parse", 0, NULL, NULL, {
			TEST(t_several_authenticators), TEST(t_good_token),
			TEST_LOOP(t_bad_tokens, sizeof(bad_tokens) / sizeof(bad_tokens[0])),
			TEST(t_token_shapes), TEST(t_base64url), TEST(t_json_strict), TEST(t_bundles),
			TEST(t_workload_response), TEST(t_workload_key_forms),
			TEST(t_workload_bad_entry_alone), TEST(t_json_bounds), TEST(t_jwt_cost),
			TEST(t_jwt_header_max)
		} },
	};

	log_init("check_jwt", LOG_LVL_ERROR, 0);
	return test_main("jwt", cases, sizeof(cases) / sizeof(cases[0]));
}
