/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an operation costs a provider worker, known before it is queued, for
 * the fair share of the workers (broker_wq.c): microseconds of the worker's
 * time, by provider, operation and key.
 *
 * The figures are the provider's own: each backend's table has a cost per
 * operation and RSA costs by modulus (make bench-cost measures them), and its
 * PROV_INFO brings them here at start-up. The provider reports them rather
 * than both processes linking one table because what a provider serves is
 * known only once its device is open (a token's mechanisms, a TPM's
 * attestation, the configuration), because the handlers beside the costs
 * live in a process brokerd must not link (mbedtls, p11-kit, tss), and so a
 * backend's figures sit next to the code they measure. They are estimates:
 * what matters is their order of size, which the fair share turns into a
 * bound on how much of one application's work another's request can wait
 * behind.
 */
#include <stddef.h>
#include <sys/param.h>

#include "brokerd.h"
#include "row.h"
#include "wire.h"

#define PSA_KEY_TYPE_RSA_KEY_PAIR 0x7001u

/*
 * Bytes of input per microsecond: SHA-256 of 512 KiB took 31.6 ms through
 * the service (the copies on the way included) at a load average of 6.
 */
#define COST_BYTES_PER_US 16

const struct ipc_prov_op *
broker_cost_row(const struct broker_provider *p, uint32_t opcode)
{
	return row_find(p->ops, p->op_count, sizeof(p->ops[0]),
	    offsetof(struct ipc_prov_op, opcode), opcode);
}

/* The row for a modulus: the first as large; past the last, that row's cost grows as bits^3. */
static uint32_t
cost_rsa(const struct ipc_rsa_cost *rsa, uint32_t bits, int generate)
{
	const struct ipc_rsa_cost *r = &rsa[IPC_RSA_COST_ROWS - 1];
	uint64_t c, scale;
	size_t i;

	for (i = 0; i < IPC_RSA_COST_ROWS; i++)
		if (bits <= rsa[i].bits)
			return generate ? rsa[i].generate : rsa[i].private_op;
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
	const struct ipc_prov_op *row = broker_cost_row(p, op->opcode);
	uint64_t cost = row != NULL ? row->cost : 0, bytes = 0;
	uint32_t base = wire_opcode_base(op->opcode);
	size_t i;

	if (base == OP_PSA_GENERATE_KEY && op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR)
		cost = cost_rsa(p->rsa_cost, op->attrs.bits, 1);
	else if (cost_is_rsa_private(op))
		cost = cost_rsa(p->rsa_cost, op->attrs.bits, 0);
	else if (base == OP_PSA_IMPORT_KEY && op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR)
		/* an RSA pair is checked with a private-key operation */
		cost = MAX(cost, cost_rsa(p->rsa_cost, op->attrs.bits, 0));
	for (i = 0; i < OP_MAX_INPUTS; i++)
		bytes += op->in[i].len;
	cost += bytes / COST_BYTES_PER_US;
	if (cost == 0)
		return 1;
	return cost > BROKER_COST_MAX ? BROKER_COST_MAX : (uint32_t)cost;
}

int
broker_cost_is_long(const struct op_request *op, uint32_t cost)
{
	/* An RSA generation searches for primes: its time has no bound its median shows. */
	return cost >= BROKER_COST_LONG ||
	    (wire_opcode_base(op->opcode) == OP_PSA_GENERATE_KEY &&
	    op->attrs.type == PSA_KEY_TYPE_RSA_KEY_PAIR);
}
