/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authenticators: who a request comes from. Direct trusts the name in the
 * auth field; UnixPeerCredentials checks the claimed uid against the one the
 * kernel reported for the connection (read here, never taken from frontd);
 * JwtSvid verifies a SPIFFE JWT-SVID (broker_jwt.c). Several may be
 * configured; the request's auth type picks one, and the key store keeps each
 * authenticator's applications apart.
 */
#include <string.h>

#include "authn.h"
#include "brokerd.h"

uint32_t
broker_authenticate(const struct broker_ctx *b, uint32_t auth_type, const uint8_t *auth,
    size_t auth_len, uid_t peer_uid, int have_peer, struct broker_identity *id)
{
	memset(id, 0, sizeof(*id));
	if (auth_type == WIRE_AUTH_NONE)
		return ST_SUCCESS;
	if (auth_type > WIRE_AUTH_JWT_SVID)
		return ST_AUTHENTICATOR_DOES_NOT_EXIST;
	if (broker_auth_find(b, auth_type) == NULL)
		return ST_AUTHENTICATOR_NOT_REGISTERED;

	switch (auth_type) {
	case WIRE_AUTH_DIRECT:
		if (authn_direct(auth, auth_len, id->app_name, sizeof(id->app_name)) == -1)
			return ST_AUTHENTICATION_ERROR;
		break;
	case WIRE_AUTH_UNIX_PEER_CREDENTIALS:
		if (!have_peer || authn_peer_uid(auth, auth_len, peer_uid, id->app_name,
		    sizeof(id->app_name)) == -1)
			return ST_AUTHENTICATION_ERROR;
		break;
	case WIRE_AUTH_JWT_SVID:
		if (broker_jwt_authenticate(auth, auth_len, id->app_name) == -1)
			return ST_AUTHENTICATION_ERROR;
		break;
	default:
		return ST_AUTHENTICATOR_NOT_REGISTERED;
	}
	id->authenticated = 1;
	id->auth_type = auth_type;
	return ST_SUCCESS;
}

const struct setup_auth *
broker_auth_find(const struct broker_ctx *b, uint32_t auth_type)
{
	uint32_t i;

	for (i = 0; i < b->setup.auth_count; i++)
		if (b->setup.auths[i].type == auth_type)
			return &b->setup.auths[i];
	return NULL;
}

/* Admins are per authenticator: Direct "0" is not the admin uid 0. */
int
broker_is_admin(const struct broker_ctx *b, const struct broker_identity *id)
{
	const struct setup_auth *a;
	uint32_t i;

	if (!id->authenticated || (a = broker_auth_find(b, id->auth_type)) == NULL)
		return 0;
	for (i = 0; i < a->admin_count; i++)
		if (strcmp(a->admins[i], id->app_name) == 0)
			return 1;
	return 0;
}

void
broker_auth_apply(struct broker_ctx *b, const struct setup_broker *next)
{
	const struct setup_auth *jwt;
	uint32_t i;

	if (&b->setup != next) {
		b->setup.auth_count = next->auth_count;
		for (i = 0; i < next->auth_count && i < CFG_AUTH_MAX; i++)
			setup_auth_copy(&b->setup.auths[i], &next->auths[i]);
	}
	jwt = broker_auth_find(b, WIRE_AUTH_JWT_SVID);
	/* Bundles from the Workload API stay until it sends others. */
	if (jwt == NULL || !jwt->workload_api)
		broker_jwt_set_bundle(jwt != NULL ? jwt->jwt_bundle : NULL,
		    jwt != NULL ? jwt->jwt_bundle_len : 0);
	broker_spiffe_apply(b, jwt != NULL && jwt->workload_api);
}
