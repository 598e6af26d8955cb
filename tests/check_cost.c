/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What brokerd's fair share charges for an operation (broker_cost.c): the
 * figures a provider reports in its PROV_INFO, as they come off the wire.
 */
#include <check.h>
#include <string.h>

#include "brokerd.h"
#include "testlib.h"

#define RSA_KEY_PAIR 0x7001u
#define ECC_P256_PAIR 0x7112u

/* A provider's PROV_INFO, encoded and decoded, in brokerd's provider record. */
static void
provider_from_info(struct broker_provider *p, const struct ipc_prov_op *ops, uint32_t n)
{
	static const struct ipc_rsa_cost rsa[IPC_RSA_COST_ROWS] = { { 1024, 1000, 60000 },
		{ 2048, 1200, 190000 }, { 3072, 2800, 590000 }, { 4096, 6000, 1470000 } };
	struct ipc_prov_info m, got;
	struct buf_writer wr;
	uint8_t buf[2048];

	memset(&m, 0, sizeof(m));
	memcpy(m.rsa, rsa, sizeof(rsa));
	memcpy(m.ops, ops, n * sizeof(ops[0]));
	m.op_count = n;
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &m);
	ck_assert_int_eq(ipc_prov_info_decode(buf, wr.off, &got), 0);
	memset(p, 0, sizeof(*p));
	memcpy(p->ops, got.ops, got.op_count * sizeof(got.ops[0]));
	p->op_count = got.op_count;
	memcpy(p->rsa_cost, got.rsa, sizeof(p->rsa_cost));
}

static const struct ipc_prov_op token_ops[] = {
	{ OP_PSA_GENERATE_KEY, 1, 25000 }, { OP_PSA_SIGN_HASH, 1, 400 },
	{ OP_PSA_HASH_COMPUTE, 0, 300 },
};

static uint32_t
cost_of(const struct broker_provider *p, uint32_t opcode, uint32_t type, uint32_t bits,
    size_t in_len)
{
	struct op_request op;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	op.attrs.type = type;
	op.attrs.bits = bits;
	op.in[0].len = in_len;
	return broker_cost(p, &op);
}

/* Each operation costs what its row says; RSA by its modulus; input adds to it. */
START_TEST(t_cost_from_rows)
{
	static struct broker_provider p;

	provider_from_info(&p, token_ops, 3);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_GENERATE_KEY, ECC_P256_PAIR, 256, 0), 25000);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_SIGN_HASH, ECC_P256_PAIR, 256, 32), 400 + 32 / 16);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_SIGN_HASH, RSA_KEY_PAIR, 2048, 0), 1200);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_SIGN_HASH, RSA_KEY_PAIR, 3000, 0), 2800);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_GENERATE_KEY, RSA_KEY_PAIR, 4096, 0), 1470000);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_HASH_COMPUTE, 0, 0, 1600), 300 + 100);
	ck_assert_ptr_nonnull(broker_cost_row(&p, OP_PSA_HASH_COMPUTE));
	ck_assert_ptr_null(broker_cost_row(&p, OP_PSA_VERIFY_HASH));
}
END_TEST

/*
 * An RSA generation is long whatever its figure (its time has no bound), so
 * it is kept off a worker another application waits on; a P-256 one is not.
 */
START_TEST(t_cost_long)
{
	static struct broker_provider p;
	struct op_request op;

	provider_from_info(&p, token_ops, 3);
	memset(&op, 0, sizeof(op));
	op.opcode = OP_PSA_GENERATE_KEY;
	op.attrs.type = RSA_KEY_PAIR;
	op.attrs.bits = 1024;
	ck_assert(broker_cost_is_long(&op, broker_cost(&p, &op)));
	op.attrs.type = ECC_P256_PAIR;
	op.attrs.bits = 256;
	ck_assert(!broker_cost_is_long(&op, broker_cost(&p, &op)));
}
END_TEST

/* An operation no row prices still costs something: a share must fill up. */
START_TEST(t_cost_never_zero)
{
	static struct broker_provider p;

	provider_from_info(&p, token_ops, 0);
	ck_assert_uint_eq(cost_of(&p, OP_PSA_SIGN_HASH, ECC_P256_PAIR, 256, 0), 1);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "cost", 0, NULL, NULL, {
			TEST(t_cost_from_rows), TEST(t_cost_long), TEST(t_cost_never_zero)
		} },
	};

	return test_main("cost", cases, sizeof(cases) / sizeof(cases[0]));
}
