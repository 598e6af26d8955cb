/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A client's request into a front_request (its header checked, its body
 * decoded by the codec library, proto/psa_codec.h, into the op_request), and
 * an op_result into a Result: the codec's, or here Ping's and the list
 * operations' from brokerd's encoding of their items.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frontd.h"
#include "pc_ext.h"
#include "psa_codec.h"

#include "list_authenticators.pb.h"
#include "list_clients.pb.h"
#include "list_opcodes.pb.h"
#include "list_providers.pb.h"
#include "ping.pb.h"

static int
front_copy_str(char *dst, size_t dstsz, const char *src)
{
	return strlcpy(dst, src, dstsz) < dstsz ? 0 : -1;
}

/* ---- results carrying brokerd's list items, and Ping ---------------------- */

/* The version and id every provider and authenticator description carries. */
#define COPY_VERSION(d, s) ((d)->version_maj = (s)->version_maj, \
	(d)->version_min = (s)->version_min, (d)->version_rev = (s)->version_rev, (d)->id = (s)->id)

static int
provider_item(struct buf_reader *rd, void *msg, uint32_t i)
{
	list_providers_ProviderInfo *p = &((list_providers_Result *)msg)->providers[i];
	struct op_provider_info info;

	if (op_list_get_provider(rd, &info) == -1 ||
	    front_copy_str(p->uuid, sizeof(p->uuid), info.uuid) == -1 ||
	    front_copy_str(p->description, sizeof(p->description), info.description) == -1 ||
	    front_copy_str(p->vendor, sizeof(p->vendor), info.vendor) == -1)
		return -1;
	COPY_VERSION(p, &info);
	return 0;
}

static int
authenticator_item(struct buf_reader *rd, void *msg, uint32_t i)
{
	list_authenticators_AuthenticatorInfo *a =
	    &((list_authenticators_Result *)msg)->authenticators[i];
	struct op_authenticator_info info;

	if (op_list_get_authenticator(rd, &info) == -1 ||
	    front_copy_str(a->description, sizeof(a->description), info.description) == -1)
		return -1;
	COPY_VERSION(a, &info);
	return 0;
}

static int
opcode_item(struct buf_reader *rd, void *msg, uint32_t i)
{
	((list_opcodes_Result *)msg)->opcodes[i] = buf_get_u32le(rd);
	return 0;
}

static int
client_item(struct buf_reader *rd, void *msg, uint32_t i)
{
	char **name = &((list_clients_Result *)msg)->clients[i];

	if ((*name = malloc(OP_NAME_MAX)) == NULL)
		return -1;
	return buf_get_str(rd, *name, OP_NAME_MAX);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A list Result: item puts item i into msg; the count field is at count_off;
 * a heap array (item_size != 0: pb_release frees it with the message) has its
 * pointer at array_off, a fixed one holds cap items.
 */
struct front_list {
	uint32_t opcode;
	int (*item)(struct buf_reader *rd, void *msg, uint32_t i);
	size_t cap, count_off, array_off, item_size;
};

#define FIXED_LIST(op, T, arr, fn) \
	{ op, fn, NELEM(((T *)0)->arr), offsetof(T, arr##_count), 0, 0 }
#define HEAP_LIST(op, T, arr, fn) \
	{ op, fn, PB_SIZE_MAX, offsetof(T, arr##_count), offsetof(T, arr), sizeof(*((T *)0)->arr) }

static const struct front_list front_lists[] = {
	FIXED_LIST(OP_LIST_PROVIDERS, list_providers_Result, providers, provider_item),
	FIXED_LIST(OP_LIST_AUTHENTICATORS, list_authenticators_Result, authenticators,
	    authenticator_item),
	FIXED_LIST(OP_LIST_OPCODES, list_opcodes_Result, opcodes, opcode_item),
	HEAP_LIST(OP_LIST_CLIENTS, list_clients_Result, clients, client_item),
};

/* Puts each of res's list items into msg as l says. */
static int
front_list_fill(const struct front_list *l, const struct op_result *res, void *msg)
{
	pb_size_t count = (pb_size_t)res->list_count;
	struct buf_reader rd;
	uint32_t i;

	if (res->list_count > l->cap)
		return -1;
	if (l->item_size != 0) {
		void *arr = calloc(res->list_count + 1, l->item_size);

		if (arr == NULL)
			return -1;
		memcpy((uint8_t *)msg + l->array_off, &arr, sizeof(arr));
	}
	memcpy((uint8_t *)msg + l->count_off, &count, sizeof(count));
	buf_reader_init(&rd, res->list.ptr, res->list.len);
	for (i = 0; i < res->list_count; i++)
		if (l->item(&rd, msg, i) == -1)
			return -1;
	return buf_reader_done(&rd) ? 0 : -1;
}

/* The Result filler for opcode: Ping's, a list's, else the codec's own. */
static int
front_result_fill(const struct pc_codec *codec, const struct op_result *res, void *msg)
{
	size_t i;

	if (codec->opcode == OP_PING) {
		((ping_Result *)msg)->wire_protocol_version_maj = WIRE_VERSION_MAJ;
		((ping_Result *)msg)->wire_protocol_version_min = WIRE_VERSION_MIN;
		return 0;
	}
	for (i = 0; i < NELEM(front_lists); i++)
		if (front_lists[i].opcode == codec->opcode)
			return front_list_fill(&front_lists[i], res, msg);
	return pc_result_fill(codec, res, msg);
}

/* ---- requests and results ------------------------------------------------ */

uint32_t
front_encode_result(uint32_t opcode, const struct op_result *res, uint8_t **body, size_t *len)
{
	const struct pc_codec *codec = pc_codec_find(opcode);
	void *msg;
	int rc;

	*body = NULL;
	*len = 0;
	if (opcode == OP_LIST_KEYS)
		return front_encode_list_keys(res, body, len) == 0 ? ST_SUCCESS :
		    ST_SERIALIZING_BODY_FAILED;
	if (pc_ext_carries(opcode))
		return pc_ext_result_encode(opcode, res, body, len);
	if (codec == NULL)
		return ST_SERIALIZING_BODY_FAILED;
	if ((msg = calloc(1, codec->res_size)) == NULL)
		return ST_PSA_INSUFFICIENT_MEMORY;
	rc = front_result_fill(codec, res, msg);
	if (rc == 0)
		rc = pc_encode(codec->res_fields, msg, body, len);
	pc_release_wiped(codec->res_fields, msg, codec->res_size);
	free(msg);
	return rc == 0 ? ST_SUCCESS : ST_SERIALIZING_BODY_FAILED;
}

uint32_t
front_parse_request(const struct wire_hdr *hdr, enum wire_hdr_check check, const uint8_t *buf,
    size_t len, struct front_request *req)
{
	const struct pc_codec *codec;
	const uint8_t *body;

	memset(req, 0, sizeof(*req));
	req->hdr = *hdr;
	/*
	 * Upstream's Request::read_from_stream (parsec-interface 0.27): every
	 * fault up to the provider id comes before it has a request header.
	 */
	req->unattributed = 1;
	if (check != WIRE_HDR_OK)
		return wire_hdr_check_status(check);
	if (len < WIRE_HDR_LEN ||
	    len - WIRE_HDR_LEN != (size_t)req->hdr.body_len + req->hdr.auth_len)
		return ST_CONNECTION_ERROR;
	if (req->hdr.auth_type > WIRE_AUTH_JWT_SVID)
		return ST_AUTHENTICATOR_DOES_NOT_EXIST;
	if (!wire_opcode_known(req->hdr.opcode))
		return ST_OPCODE_DOES_NOT_EXIST;
	if (req->hdr.provider >= WIRE_PROVIDER_COUNT)
		return ST_PROVIDER_DOES_NOT_EXIST;
	req->unattributed = 0;
	body = buf + WIRE_HDR_LEN;
	req->auth = body + req->hdr.body_len;
	req->auth_len = req->hdr.auth_len;
	/* The body holds the whole operation: the header adds only what routes it. */
	req->op.opcode = req->hdr.opcode;
	/* parsecd's extensions have a codec of their own; their bytes point into body. */
	if (pc_ext_carries(req->hdr.opcode))
		return pc_ext_request_decode(req->hdr.opcode, body, req->hdr.body_len, &req->op);
	if ((codec = pc_codec_find(req->hdr.opcode)) == NULL)
		return ST_PSA_NOT_SUPPORTED;
	return pc_request_decode(codec, body, req->hdr.body_len, &req->op, &req->storage);
}
