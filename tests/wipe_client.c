/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libparsec application whose memory tests/e2e_wipe.py reads between its
 * steps: it imports the private key given on stdin, exports it, makes a
 * shared secret with it, draws random bytes and destroys the key. It reports
 * the secrets it got (hex, on stdout) and wipes its own copies, so that any
 * copy left in this process is libparsec's. After each step it writes "step"
 * and waits for a line on stdin; no stdio buffer ever holds a secret (read(2)
 * and write(2) only).
 *
 * Usage: wipe_client SOCKET   (stdin: 32 key bytes, then one line per step)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <parsec/client.h>
#include <parsec/psa.h>

#define KEY_NAME "wipe-key"
#define RANDOM_LEN 48

static void
die(const char *what, int st)
{
	dprintf(2, "wipe_client: %s: %s\n", what, parsec_status_name(st));
	exit(1);
}

/* Exactly len bytes of stdin. */
static void
read_exact(uint8_t *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = read(0, p + got, len - got)) <= 0)
			exit(1);
		got += (size_t)n;
	}
}

/* "name hex\n" on stdout through a stack buffer wiped afterwards. */
static void
report(const char *name, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char line[64 + 2 * 512];
	size_t n = strlen(name), i;

	memcpy(line, name, n);
	line[n++] = ' ';
	for (i = 0; i < len && n + 3 < sizeof(line); i++) {
		line[n++] = digits[p[i] >> 4];
		line[n++] = digits[p[i] & 15];
	}
	line[n++] = '\n';
	if (write(1, line, n) != (ssize_t)n)
		exit(1);
	explicit_bzero(line, sizeof(line));
}

/* Tells the test this step is done and waits for its line. */
static void
step(void)
{
	char c;

	report("step", (const uint8_t *)"", 0);
	do {
		if (read(0, &c, 1) != 1)
			exit(1);
	} while (c != '\n');
}

/* Each call, then a "step" line, then the test's line before the next one. */
static void
secrets(parsec_client *c)
{
	struct parsec_key_attributes a = {
		.type = PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1),
		.bits = 256,
		.usage = PARSEC_PSA_KEY_USAGE_EXPORT | PARSEC_PSA_KEY_USAGE_DERIVE,
		.alg = PARSEC_PSA_ALG_ECDH,
	};
	uint8_t key[32], exported[64], pub[128], shared[64], random[RANDOM_LEN];
	size_t len, pub_len;
	int st;

	read_exact(key, sizeof(key));
	if ((st = parsec_import_key(c, KEY_NAME, &a, key, sizeof(key))) != PARSEC_SUCCESS)
		die("import", st);
	explicit_bzero(key, sizeof(key));
	step();
	if ((st = parsec_export_key(c, KEY_NAME, exported, sizeof(exported), &len)) != 0)
		die("export", st);
	report("exported", exported, len);
	explicit_bzero(exported, sizeof(exported));
	step();
	if ((st = parsec_export_public_key(c, KEY_NAME, pub, sizeof(pub), &pub_len)) != 0)
		die("export public", st);
	if ((st = parsec_raw_key_agreement(c, KEY_NAME, PARSEC_PSA_ALG_ECDH, pub, pub_len, shared,
	    sizeof(shared), &len)) != PARSEC_SUCCESS)
		die("raw key agreement", st);
	report("shared", shared, len);
	explicit_bzero(shared, sizeof(shared));
	step();
	if ((st = parsec_generate_random(c, random, sizeof(random))) != PARSEC_SUCCESS)
		die("generate random", st);
	report("random", random, sizeof(random));
	explicit_bzero(random, sizeof(random));
	step();
	if ((st = parsec_destroy_key(c, KEY_NAME)) != PARSEC_SUCCESS)
		die("destroy", st);
	step();
}

int
main(int argc, char **argv)
{
	parsec_settings *s;
	parsec_client *c;
	char endpoint[512];
	int st;

	if (argc != 2)
		return 2;
	snprintf(endpoint, sizeof(endpoint), "unix:%s", argv[1]);
	if ((st = parsec_settings_new(&s)) != 0 || (st = parsec_settings_set_endpoint(s, endpoint)) ||
	    (st = parsec_settings_set_app_name(s, "wipe-app")) ||
	    (st = parsec_settings_set_provider(s, PARSEC_PROVIDER_MBED_CRYPTO)) ||
	    (st = parsec_client_new_with_settings(&c, s)) != 0)
		die("connect", st);
	parsec_settings_free(s);
	secrets(c);
	parsec_client_free(c);
	return 0;
}
