/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an operation costs a provider worker, known before it is queued, for
 * the fair share of the workers (broker_wq.c): microseconds of the worker's
 * time, by provider, operation and key.
 *
 * The figures are medians of bench/cost.py (make bench-cost: one client,
 * one request at a time, through the service) on the project's 2-core
 * machine, 2026-12-07, at a load average of 3 to 4 from other builds; Mbed
 * Crypto, SoftHSMv2 2.6.1 (its token in /tmp) and swtpm 0.7.1. Where two
 * runs differed, the median of the runs is taken. RSA-1024 generation was
 * not measured (every RSA generation is long whatever its figure). They are
 * estimates: what matters is their order of size, which the fair share turns
 * into a bound on how much of one application's work another's request can
 * wait behind.
 */
#include <sys/param.h>

#include "brokerd.h"
#include "wire.h"

#define PSA_KEY_TYPE_RSA_KEY_PAIR 0x7001u

/* Private-key RSA operations and RSA generations, by modulus size. */
struct cost_rsa {
	uint32_t bits;
	uint32_t private_op; /* a signature or decryption (CRT) */
	uint32_t generate;
};

struct cost_table {
	uint32_t base;     /* anything else: ECC signatures, public-key operations, exports */
	uint32_t create;   /* a generation other than RSA's, an import */
	uint32_t destroy;
	struct cost_rsa rsa[4];
};

/* Indexed by wire provider id; a provider without a row costs as Mbed Crypto. */
static const struct cost_table cost_tables[WIRE_PROVIDER_COUNT] = {
	[WIRE_PROVIDER_MBED_CRYPTO] = {
		/* P-256 sign 0.48-0.55 ms, generate 1.6-3.7 ms, destroy 0.7-1.4 ms */
		.base = 500, .create = 2500, .destroy = 1400,
		/* sign and decrypt: 0.77, 2.8, 7.5, 16.2 ms; generate 70, 470, 750-1670 ms */
		.rsa = { { 1024, 800, 20000 }, { 2048, 2800, 70000 }, { 3072, 7500, 470000 },
		    { 4096, 16200, 1200000 } },
	},
	[WIRE_PROVIDER_PKCS11] = {
		/*
		 * SoftHSMv2: P-256 sign 0.35 ms; a token object made is a file
		 * written: P-256 generate 10-50 ms, RSA import 13-48 ms; destroy 1.3-3.5 ms
		 */
		.base = 400, .create = 25000, .destroy = 3000,
		/* sign and decrypt: 1.0, 1.2, 2.8, 6.0 ms; generate 180, 630, 1470-2460 ms */
		.rsa = { { 1024, 1000, 60000 }, { 2048, 1200, 190000 }, { 3072, 2800, 590000 },
		    { 4096, 6000, 1470000 } },
	},
	[WIRE_PROVIDER_TPM] = {
		/* swtpm: P-256 sign 0.55-0.70 ms, generate 3.8-5.9 ms, destroy 3.5 ms */
		.base = 700, .create = 4800, .destroy = 3500,
		/* RSA 2048 measured (sign 2.3-2.8 ms, generate 213-236 ms); other sizes as it */
		.rsa = { { 1024, 2800, 236000 }, { 2048, 2800, 236000 }, { 3072, 2800, 236000 },
		    { 4096, 2800, 236000 } },
	},
};

/*
 * Bytes of input per microsecond: SHA-256 of 512 KiB took 31.6 ms through
 * the service (the copies on the way included) at a load average of 6.
 */
#define COST_BYTES_PER_US 16

static const struct cost_table *
cost_table_of(const struct broker_provider *p)
{
	const struct cost_table *t = &cost_tables[p->id < WIRE_PROVIDER_COUNT ? p->id : 0];

	return t->base != 0 ? t : &cost_tables[WIRE_PROVIDER_MBED_CRYPTO];
}

/* The row for a modulus: the first as large; past the last, that row's cost grows as bits^3. */
static uint32_t
cost_rsa(const struct cost_table *t, uint32_t bits, int generate)
{
	const struct cost_rsa *r = &t->rsa[3];
	uint64_t c, scale;
	size_t i;

	for (i = 0; i < 4; i++)
		if (bits <= t->rsa[i].bits)
			return generate ? t->rsa[i].generate : t->rsa[i].private_op;
	c = generate ? r->generate : r->private_op;
	/* RSA keys are bounded (PSA_VENDOR_RSA_MAX_KEY_BITS, 4096 in mbedtls): a guard only. */
	scale = bits / r->bits + 1;
	c *= scale * scale * scale;
	return c > BROKER_COST_MAX ? BROKER_COST_MAX : (uint32_t)c;
}

static int
cost_is_rsa_private(const struct op_request *op)
{
	if (op->attrs.type != PSA_KEY_TYPE_RSA_KEY_PAIR)
		return 0;
	switch (op->opcode) {
	case OP_PSA_SIGN_HASH:
	case OP_PSA_SIGN_MESSAGE:
	case OP_PSA_ASYMMETRIC_DECRYPT:
		return 1;
	default:
		return 0;
	}
}

uint32_t
broker_cost(const struct broker_provider *p, const struct op_request *op)
{
	const struct cost_table *t = cost_table_of(p);
	uint64_t cost, bytes = 0;
	size_t i;

	if (op->opcode == OP_PSA_GENERATE_KEY && op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR)
		cost = cost_rsa(t, op->attrs.bits, 1);
	else if (cost_is_rsa_private(op))
		cost = cost_rsa(t, op->attrs.bits, 0);
	else if (op->opcode == OP_PSA_GENERATE_KEY)
		cost = t->create;
	else if (op->opcode == OP_PSA_IMPORT_KEY)
		/* an RSA pair is checked with a private-key operation */
		cost = op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR ?
		    MAX(t->create, cost_rsa(t, op->attrs.bits, 0)) : t->create;
	else if (op->opcode == OP_PSA_DESTROY_KEY)
		cost = t->destroy;
	else
		cost = t->base;
	for (i = 0; i < OP_MAX_INPUTS; i++)
		bytes += op->in[i].len;
	cost += bytes / COST_BYTES_PER_US;
	return cost > BROKER_COST_MAX ? BROKER_COST_MAX : (uint32_t)cost;
}

int
broker_cost_is_long(const struct op_request *op, uint32_t cost)
{
	/* An RSA generation searches for primes: its time has no bound its median shows. */
	return cost >= BROKER_COST_LONG ||
	    (op->opcode == OP_PSA_GENERATE_KEY && op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR);
}
