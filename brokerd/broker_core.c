/* SPDX-License-Identifier: Apache-2.0 */
/* The core provider (id 0): service-level operations answered by brokerd itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kim.h"
#include "brokerd.h"
#include "log.h"

/* Upstream's core ListOpcodes leaves out the admin operations; so do we. */
static const uint32_t broker_core_opcodes[] = {
	OP_PING, OP_LIST_PROVIDERS, OP_LIST_OPCODES, OP_LIST_AUTHENTICATORS, OP_LIST_KEYS,
};

static void
broker_version(uint32_t *maj, uint32_t *min, uint32_t *rev)
{
	unsigned a = 0, b = 0, c = 0;

	sscanf(PARSEC_VERSION, "%u.%u.%u", &a, &b, &c);
	*maj = a;
	*min = b;
	*rev = c;
}

/* A list buffer that grows as items are added. */
struct broker_list {
	uint8_t *data;
	size_t cap;
	struct buf_writer wr;
	uint32_t count;
};

static void
broker_list_init(struct broker_list *l, size_t cap)
{
	if ((l->data = malloc(cap)) == NULL)
		fatal("malloc");
	l->cap = cap;
	l->count = 0;
	buf_writer_init(&l->wr, l->data, cap);
}

/* Makes room for an item of at most need bytes. */
static void
broker_list_reserve(struct broker_list *l, size_t need)
{
	size_t off = l->wr.off;
	uint8_t *p;

	if (l->cap - off >= need)
		return;
	while (l->cap - off < need)
		l->cap *= 2;
	if ((p = realloc(l->data, l->cap)) == NULL)
		fatal("realloc");
	l->data = p;
	buf_writer_init(&l->wr, l->data, l->cap);
	l->wr.off = off;
}

static int
broker_list_key(const struct kim_entry *e, void *arg)
{
	struct broker_list *l = arg;
	struct op_key_info info;

	memset(&info, 0, sizeof(info));
	info.provider_id = e->provider_id;
	strlcpy(info.name, e->name, sizeof(info.name));
	info.attrs = e->attrs;
	broker_list_reserve(l, sizeof(info) + 16);
	op_list_put_key(&l->wr, &info);
	l->count++;
	return 0;
}

static int
broker_list_client(const char *app, void *arg)
{
	struct broker_list *l = arg;

	broker_list_reserve(l, strlen(app) + 4);
	buf_put_str(&l->wr, app);
	l->count++;
	return 0;
}

static void
broker_list_finish(struct broker_list *l, struct op_result *res, uint8_t **list_buf)
{
	if (!buf_writer_ok(&l->wr))
		fatalx("core list does not fit its buffer");
	res->list.ptr = l->data;
	res->list.len = l->wr.off;
	res->list_count = l->count;
	*list_buf = l->data;
}

static void
broker_list_providers(const struct broker_ctx *b, struct op_result *res, uint8_t **list_buf)
{
	struct broker_list l;
	struct op_provider_info core;
	size_t i;

	broker_list_init(&l, (WIRE_PROVIDER_COUNT + 1) * sizeof(struct op_provider_info) * 2);
	for (i = 0; i < b->provider_count; i++) {
		const struct broker_provider *p = &b->providers[b->provider_order[i]];

		op_list_put_provider(&l.wr, &p->info);
		l.count++;
	}
	memset(&core, 0, sizeof(core));
	strlcpy(core.uuid, wire_provider_uuid(WIRE_PROVIDER_CORE), sizeof(core.uuid));
	strlcpy(core.description, "Parsec core: service discovery and key listing",
	    sizeof(core.description));
	strlcpy(core.vendor, "parsecd", sizeof(core.vendor));
	broker_version(&core.version_maj, &core.version_min, &core.version_rev);
	core.id = WIRE_PROVIDER_CORE;
	op_list_put_provider(&l.wr, &core);
	l.count++;
	broker_list_finish(&l, res, list_buf);
}

/*
 * extensions: the request's header said it knows parsecd's extension opcodes;
 * to any other client they stay unlisted (served all the same), since
 * upstream's Rust client refuses a whole answer naming an opcode it lacks.
 */
static void
broker_list_opcodes(const struct broker_ctx *b, uint64_t provider_id, int extensions,
    struct op_result *res, uint8_t **list_buf)
{
	const struct broker_provider *p = NULL;
	struct broker_list l;
	size_t i;

	if (provider_id >= WIRE_PROVIDER_COUNT) {
		op_result_status(res, ST_PROVIDER_DOES_NOT_EXIST);
		return;
	} else if (provider_id != WIRE_PROVIDER_CORE) {
		p = &b->providers[provider_id];
		if (!p->configured) {
			op_result_status(res, ST_PROVIDER_NOT_REGISTERED);
			return;
		}
	}
	broker_list_init(&l, 4 * BROKER_MAX_OPCODES);
	for (i = 0; p == NULL && i < sizeof(broker_core_opcodes) / sizeof(broker_core_opcodes[0]);
	    i++) {
		buf_put_u32le(&l.wr, broker_core_opcodes[i]);
		l.count++;
	}
	/*
	 * A provider's rows: some are served without being listed (its PROV_INFO
	 * says); parsecd's extensions only to a client that says it knows them, as
	 * upstream's clients refuse a whole list that holds an opcode they do not know.
	 */
	for (i = 0; p != NULL && i < p->op_count; i++) {
		if (!p->ops[i].listed || (!extensions && wire_opcode_is_ext(p->ops[i].opcode)))
			continue;
		buf_put_u32le(&l.wr, p->ops[i].opcode);
		l.count++;
	}
	broker_list_finish(&l, res, list_buf);
}

/* Every configured authenticator, in config order: clients take the first as the default. */
static void
broker_list_authenticators(const struct broker_ctx *b, struct op_result *res,
    uint8_t **list_buf)
{
	static const char *const descriptions[] = {
		[WIRE_AUTH_DIRECT] = "Direct: the application names itself in the authentication field",
		[WIRE_AUTH_UNIX_PEER_CREDENTIALS] =
		    "Unix peer credentials: the application is the uid the kernel reports",
		[WIRE_AUTH_JWT_SVID] = "JWT-SVID: the application is the SPIFFE ID of a verified "
		    "JWT SPIFFE Verifiable Identity Document",
	};
	struct broker_list l;
	struct op_authenticator_info info;
	uint32_t i;

	broker_list_init(&l, sizeof(info) * (CFG_AUTH_MAX + 1));
	for (i = 0; i < b->setup.auth_count; i++) {
		uint32_t type = b->setup.auths[i].type;

		memset(&info, 0, sizeof(info));
		if (type <= WIRE_AUTH_JWT_SVID && descriptions[type] != NULL)
			strlcpy(info.description, descriptions[type], sizeof(info.description));
		broker_version(&info.version_maj, &info.version_min, &info.version_rev);
		info.id = type;
		op_list_put_authenticator(&l.wr, &info);
		l.count++;
	}
	broker_list_finish(&l, res, list_buf);
}

void
broker_core_handle(const struct broker_ctx *b, const struct op_request *op, uint16_t wire_flags,
    const struct broker_identity *id, struct op_result *res, uint8_t **list_buf)
{
	struct broker_list l;

	op_result_status(res, ST_SUCCESS);
	*list_buf = NULL;
	switch (op->opcode) {
	case OP_PING:
		break;
	case OP_LIST_PROVIDERS:
		broker_list_providers(b, res, list_buf);
		break;
	case OP_LIST_OPCODES:
		broker_list_opcodes(b, op->number, (wire_flags & WIRE_FLAG_EXTENSIONS) != 0, res,
		    list_buf);
		break;
	case OP_LIST_AUTHENTICATORS:
		broker_list_authenticators(b, res, list_buf);
		break;
	case OP_LIST_KEYS:
		broker_list_init(&l, 4096);
		if (kim_list_keys(id->auth_type, id->app_name, broker_list_key, &l) == -1) {
			free(l.data);
			op_result_status(res, ST_KEY_INFO_MANAGER_ERROR);
			break;
		}
		broker_list_finish(&l, res, list_buf);
		break;
	case OP_LIST_CLIENTS:
		broker_list_init(&l, 4096);
		if (kim_list_clients(id->auth_type, broker_list_client, &l) == -1) {
			free(l.data);
			op_result_status(res, ST_KEY_INFO_MANAGER_ERROR);
			break;
		}
		broker_list_finish(&l, res, list_buf);
		break;
	default:
		op_result_status(res, ST_PSA_NOT_SUPPORTED);
		break;
	}
}
