/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An application's view of parsecd: create a signing key, sign a message,
 * verify the signature, remove the key. Build it the way an application
 * would:  cc sign.c $(pkg-config --cflags --libs libparsec)
 */
#include <stdio.h>
#include <string.h>

#include <parsec/client.h>
#include <parsec/psa.h>

int
main(void)
{
	const char *message = "a message worth signing";
	parsec_client *client;
	uint8_t signature[512];
	size_t len;
	int st;

	if ((st = parsec_client_new(&client, "example-signer")) != PARSEC_SUCCESS) {
		fprintf(stderr, "cannot reach the service: %s\n", parsec_strerror(st));
		return 1;
	}
	{
		/* Ask first: may this provider make such a key? */
		struct parsec_key_attributes p256 = {
			.type = PARSEC_PSA_KEY_TYPE_ECC_KEY_PAIR(PARSEC_PSA_ECC_FAMILY_SECP_R1),
			.bits = 256,
			.usage = PARSEC_PSA_KEY_USAGE_SIGN_HASH | PARSEC_PSA_KEY_USAGE_VERIFY_HASH |
			    PARSEC_PSA_KEY_USAGE_SIGN_MESSAGE | PARSEC_PSA_KEY_USAGE_VERIFY_MESSAGE,
			.alg = PARSEC_PSA_ALG_ECDSA(PARSEC_PSA_ALG_SHA_256),
		};

		st = parsec_can_do_crypto(client, PARSEC_CHECK_GENERATE, &p256);
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
		fprintf(stderr, "failed: %s (%s)\n", parsec_strerror(st), parsec_status_name(st));
	parsec_destroy_key(client, "example-key");
	parsec_client_free(client);
	return st == PARSEC_SUCCESS ? 0 : 1;
}
