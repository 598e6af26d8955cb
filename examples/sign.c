/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An application's view of parsecd: create a signing key, sign a message,
 * verify the signature, remove the key. Build it the way an application
 * would:  cc sign.c $(pkg-config --cflags --libs libparsec)
 */
#include <stdio.h>
#include <string.h>

#include <parsec/client.h>

int
main(void)
{
	const char *message = "a message worth signing";
	parsec_client *client;
	uint8_t signature[512];
	size_t len;
	int st;

	if ((st = parsec_client_new(&client, "example-signer")) != PARSEC_SUCCESS) {
		fprintf(stderr, "cannot reach the service: %s\n", parsec_status_str(st));
		return 1;
	}
	{
		/* Ask first: may this provider make such a key? */
		struct parsec_key_attributes p256 = { 0x7112, 256, 0x3C00, 0x06000609 };

		st = parsec_can_do_crypto(client, 2, &p256);
	}
	if (st == PARSEC_SUCCESS)
		st = parsec_create_ecc_signing_key(client, "example-key", 256);
	if (st == PARSEC_SUCCESS)
		st = parsec_sign(client, "example-key", (const uint8_t *)message, strlen(message),
		    signature, sizeof(signature), &len);
	if (st == PARSEC_SUCCESS)
		st = parsec_verify(client, "example-key", (const uint8_t *)message,
		    strlen(message), signature, len);
	if (st == PARSEC_SUCCESS)
		printf("signed and verified: %zu-byte signature\n", len);
	else
		fprintf(stderr, "failed: %s (%s)\n", parsec_status_str(st), parsec_status_name(st));
	parsec_destroy_key(client, "example-key");
	parsec_client_free(client);
	return st == PARSEC_SUCCESS ? 0 : 1;
}
