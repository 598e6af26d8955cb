/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Answers to clients: the one way out for them. An answer stops counting for
 * fairness, closes a connection whose last request it answers, and goes to
 * frontd through the output layer.
 */
#include "brokerd.h"
#include "log.h"

void
broker_answer(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct op_result *res)
{
	struct op_result too_large;

	if (broker_out_reply(b, conn_id, req_id, res) == -1) {
		op_result_status(&too_large, ST_RESPONSE_TOO_LARGE);
		if (broker_out_reply(b, conn_id, req_id, &too_large) == -1)
			fatalx("cannot answer connection %llu", (unsigned long long)conn_id);
	}
	broker_fair_done(b, conn_id, req_id);
	broker_conn_answered(b, conn_id, req_id);
}

void
broker_answer_status(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id, uint32_t status)
{
	struct op_result res;

	op_result_status(&res, status);
	broker_answer(b, conn_id, req_id, &res);
}
