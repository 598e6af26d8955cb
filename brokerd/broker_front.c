/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What frontd may answer without brokerd: the software provider's
 * PsaGenerateRandom, for the auth types whose verdict needs nothing brokerd
 * holds but the set of authenticators. Sent whenever that set, the provider's
 * presence or its workers' state changes, on the channel brokerd's answers
 * take, so frontd stops at the point brokerd's own answer would change.
 */
#include "brokerd.h"
#include "log.h"

static uint32_t
broker_front_random_auths(const struct broker_ctx *b)
{
	const struct broker_provider *p = &b->providers[WIRE_PROVIDER_MBED_CRYPTO];
	uint32_t auths;

	/* dispatch_admit and broker_route_servable, for this one request. */
	if (!p->configured || broker_route_servable(p, OP_PSA_GENERATE_RANDOM) != ST_SUCCESS)
		return 0;
	auths = 1u << WIRE_AUTH_NONE; /* it needs no authentication */
	if (broker_auth_find(b, WIRE_AUTH_DIRECT) != NULL)
		auths |= 1u << WIRE_AUTH_DIRECT;
	if (broker_auth_find(b, WIRE_AUTH_UNIX_PEER_CREDENTIALS) != NULL)
		auths |= 1u << WIRE_AUTH_UNIX_PEER_CREDENTIALS;
	return auths;
}

void
broker_front_update(struct broker_ctx *b)
{
	uint32_t auths = broker_front_random_auths(b);

	if (b->front_told && auths == b->front_random_auths)
		return;
	b->front_told = 1;
	b->front_random_auths = auths;
	log_debug("frontd answers PsaGenerateRandom alone for auth types 0x%x", auths);
	broker_out_front_local(b, auths);
}
