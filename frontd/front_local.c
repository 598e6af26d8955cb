/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Requests frontd answers alone, so they cost no trip to brokerd: a Ping,
 * which needs no identity, key store or provider, and the software
 * provider's PsaGenerateRandom while brokerd says it would admit it (its
 * FRONT_LOCAL message): then brokerd's verdict needs only the auth field,
 * judged here by the same checks (authn.h), and the bytes come from the
 * kernel's generator, which also seeds the provider's.
 */
#include <string.h>
#include <sys/random.h>

#include "authn.h"
#include "frontd.h"
#include "log.h"
#include "randfill.h"

/* Bit (1 << auth type): the auth types brokerd would admit a random request with. */
static uint32_t front_local_random_auths;

void
front_local_set(uint32_t random_auths)
{
	if (random_auths != front_local_random_auths)
		log_debug("PsaGenerateRandom answered here for auth types 0x%x", random_auths);
	front_local_random_auths = random_auths;
}

/* Whether brokerd would admit req's auth field for a request that needs no authentication. */
static int
front_local_admitted(const struct front_request *req, uid_t peer_uid)
{
	uint32_t type = req->hdr.auth_type;

	if (type >= 32 || !(front_local_random_auths & (1u << type)))
		return 0;
	switch (type) {
	case WIRE_AUTH_NONE:
		return 1;
	case WIRE_AUTH_DIRECT:
		return authn_direct(req->auth, req->auth_len, NULL, OP_NAME_MAX) == 0;
	case WIRE_AUTH_UNIX_PEER_CREDENTIALS:
		return authn_peer_uid(req->auth, req->auth_len, peer_uid, NULL, 0) == 0;
	default:
		return 0;
	}
}

static int
front_local_generate_random(const struct front_request *req, uid_t peer_uid,
    struct op_result *res, uint8_t *scratch)
{
	/*
	 * Size 0 and sizes past FRONT_LOCAL_RANDOM_MAX go to the worker, which
	 * judges them by its own limits; larger answers would hold every other
	 * client of frontd while they are made.
	 */
	if (req->hdr.provider != WIRE_PROVIDER_MBED_CRYPTO || req->op.number == 0 ||
	    req->op.number > FRONT_LOCAL_RANDOM_MAX || !front_local_admitted(req, peer_uid))
		return 0;
	/* The kernel's generator not yet seeded at boot: the provider's worker waits instead. */
	if (randfill(scratch, (size_t)req->op.number, GRND_NONBLOCK) == -1)
		return 0;
	op_result_status(res, ST_SUCCESS);
	res->out[0].ptr = scratch;
	res->out[0].len = (size_t)req->op.number;
	return 1;
}

int
front_local_answer(const struct front_request *req, uid_t peer_uid, struct op_result *res,
    uint8_t *scratch)
{
	if (req->hdr.opcode == OP_PSA_GENERATE_RANDOM)
		return front_local_generate_random(req, peer_uid, res, scratch);
	/*
	 * A Ping with an auth field still goes to brokerd, whose authenticator
	 * judges the field (a bad one answers AuthenticationError, as upstream
	 * does).
	 */
	if (req->hdr.opcode != OP_PING || req->hdr.provider != WIRE_PROVIDER_CORE ||
	    req->hdr.auth_type != WIRE_AUTH_NONE)
		return 0;
	op_result_status(res, ST_SUCCESS);
	return 1;
}
