/*
 * The software provider (id 1, "MbedCrypto"): PSA Crypto from mbedtls 2.28.
 * Keys live in the provider's own state directory, its working directory.
 */
#include <string.h>

#include <psa/crypto.h>
#include <mbedtls/version.h>

#include "log.h"
#include "providerd.h"
#include "wire.h"

#define PROV_MBED_MAX_RANDOM (1024u * 1024u)

static const uint32_t prov_mbed_ops[] = {
	OP_PSA_GENERATE_RANDOM,
};

static uint32_t
prov_mbed_status(psa_status_t st)
{
	/* PSA error -N is wire status 1000 + N, for the published range. */
	if (st == PSA_SUCCESS)
		return ST_SUCCESS;
	if (st <= -132 && st >= -153)
		return (uint32_t)(ST_PSA_GENERIC_ERROR + (uint32_t)(-132 - st));
	return ST_PSA_GENERIC_ERROR;
}

static int
prov_mbed_init(const struct setup_provider *setup)
{
	psa_status_t st = psa_crypto_init();

	if (st != PSA_SUCCESS) {
		log_warnx("psa_crypto_init failed: %d", (int)st);
		return -1;
	}
	log_info("%s ready in %s", setup->name, setup->state_dir);
	return 0;
}

static void
prov_mbed_describe(struct op_provider_info *info)
{
	strlcpy(info->uuid, wire_provider_uuid(WIRE_PROVIDER_MBED_CRYPTO), sizeof(info->uuid));
	strlcpy(info->description,
	    "Software provider: PSA Crypto from mbedtls " MBEDTLS_VERSION_STRING,
	    sizeof(info->description));
	strlcpy(info->vendor, "parsecd", sizeof(info->vendor));
	info->version_maj = MBEDTLS_VERSION_MAJOR;
	info->version_min = MBEDTLS_VERSION_MINOR;
	info->version_rev = MBEDTLS_VERSION_PATCH;
	info->id = WIRE_PROVIDER_MBED_CRYPTO;
}

static size_t
prov_mbed_opcodes(uint32_t *ops, size_t max)
{
	size_t n = sizeof(prov_mbed_ops) / sizeof(prov_mbed_ops[0]);

	if (n > max)
		n = max;
	memcpy(ops, prov_mbed_ops, n * sizeof(ops[0]));
	return n;
}

static void
prov_mbed_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
	switch (op->opcode) {
	case OP_PSA_GENERATE_RANDOM: {
		uint8_t *p;

		if (op->number > PROV_MBED_MAX_RANDOM) {
			op_result_status(res, ST_PSA_INVALID_ARGUMENT);
			return;
		}
		p = prov_out_alloc(out, res, 0, (size_t)op->number);
		res->status = prov_mbed_status(psa_generate_random(p, (size_t)op->number));
		return;
	}
	default:
		op_result_status(res, ST_PSA_NOT_SUPPORTED);
	}
}

const struct prov_backend prov_mbed_backend = {
	.name = "provider-mbed",
	.provider_id = WIRE_PROVIDER_MBED_CRYPTO,
	.init = prov_mbed_init,
	.describe = prov_mbed_describe,
	.opcodes = prov_mbed_opcodes,
	.handle = prov_mbed_handle,
};
