/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec's key extension calls (parsec/ext_key.h) as a program makes
 * them, for tests/e2e_ext_key.py: a volatile AES key generated, one
 * imported, a persistent copy of the first (its type and size left to the
 * service). It prints each status and whether the copy exports as its
 * source, then "ready", and keeps its connection until stdin closes.
 *
 * Usage: PARSEC_SERVICE_ENDPOINT=unix:SOCKET ext_key_client APP (the
 * service's first provider must be Mbed Crypto).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <parsec/client.h>
#include <parsec/ext_key.h>
#include <parsec/psa.h>

int
main(int argc, char **argv)
{
	struct parsec_key_attributes aes = { PARSEC_PSA_KEY_TYPE_AES, 128,
		PARSEC_PSA_KEY_USAGE_EXPORT | PARSEC_PSA_KEY_USAGE_COPY |
		PARSEC_PSA_KEY_USAGE_ENCRYPT, PARSEC_PSA_ALG_CTR };
	struct parsec_key_attributes copy = { 0, 0, PARSEC_PSA_KEY_USAGE_EXPORT, PARSEC_PSA_ALG_CTR };
	static const uint8_t material[16] = { 0x2b, 0x7e, 0x15, 0x16 };
	uint8_t a[32], b[32], line[64];
	size_t a_len = 0, b_len = 0;
	parsec_client *c;
	int st;

	if (argc != 2)
		return 2;
	if ((st = parsec_client_new(&c, argv[1])) != 0) {
		fprintf(stderr, "ext_key_client: connect: %s\n", parsec_status_name(st));
		return 1;
	}
	printf("generate %d\n", parsec_ext_generate_volatile(c, "lib-vol", &aes));
	printf("import %d\n", parsec_ext_import_volatile(c, "lib-imp", &aes, material,
	    sizeof(material)));
	printf("copy %d\n", parsec_ext_copy_key(c, "lib-vol", "lib-copy", &copy, 0));
	printf("same %d\n", parsec_export_key(c, "lib-vol", a, sizeof(a), &a_len) == 0 &&
	    parsec_export_key(c, "lib-copy", b, sizeof(b), &b_len) == 0 && a_len == 16 &&
	    b_len == a_len && memcmp(a, b, a_len) == 0);
	printf("ready\n");
	fflush(stdout);
	while (read(0, line, sizeof(line)) > 0)
		;
	parsec_client_free(c);
	return 0;
}
