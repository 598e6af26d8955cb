/* brokerd internals: connections, providers, authentication, core operations. */
#ifndef BROKERD_H
#define BROKERD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "op.h"
#include "setup.h"
#include "wire.h"

#define BROKER_MAX_OPCODES 64

struct ipc_chan;

struct broker_provider {
	int configured;
	int up; /* channel open and PROV_INFO received */
	uint32_t id;
	char name[CFG_NAME_MAX];
	struct ipc_chan *chan;
	struct op_provider_info info;
	uint32_t opcodes[BROKER_MAX_OPCODES];
	size_t opcode_count;
};

/* Who sent a request, as brokerd established it. */
struct broker_identity {
	int authenticated;
	uint32_t auth_type;
	char app_name[OP_NAME_MAX];
};

struct broker_ctx {
	struct setup_broker setup;
	struct broker_provider providers[WIRE_PROVIDER_COUNT];
	uint32_t provider_order[WIRE_PROVIDER_COUNT]; /* config order */
	size_t provider_count;
};

extern struct broker_ctx broker;

/* broker_auth.c: fills id from the auth field and the connection's kernel identity. */
uint32_t broker_authenticate(uint32_t auth_type, const uint8_t *auth, size_t auth_len,
    uid_t peer_uid, int have_peer, struct broker_identity *id);
int broker_is_admin(const struct broker_identity *id);

/* broker_core.c: answers a provider-0 operation into res (its list in *list_buf). */
void broker_core_handle(const struct op_request *op, const struct broker_identity *id,
    struct op_result *res, uint8_t **list_buf);

#endif
