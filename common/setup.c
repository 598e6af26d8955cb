/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Codecs for the setup messages, each from one table of its fields in wire
 * order; a decode must consume the payload exactly.
 */
#include <string.h>

#include "buf.h"
#include "setup.h"

static const struct buf_field setup_front_fields[] = {
	BUF_F_STR(struct setup_front, user), BUF_F_STR(struct setup_front, chroot_dir),
	BUF_F_U32(struct setup_front, body_len_limit), BUF_F_U32(struct setup_front, timeout_ms),
	BUF_F_U32(struct setup_front, keep_alive_timeout_ms),
	BUF_F_U32(struct setup_front, max_connections),
	BUF_F_U32(struct setup_front, max_connections_per_uid),
	BUF_F_U32(struct setup_front, max_output_bytes_per_uid),
};

/* brokerd's settings, then its authenticators, each of setup_auth_fields. */
static const struct buf_field setup_broker_fields[] = {
	BUF_F_STR(struct setup_broker, user), BUF_F_STR(struct setup_broker, kim_path),
	BUF_F_STR(struct setup_broker, listen_addr), BUF_F_STR(struct setup_broker, state_dir),
	BUF_F_STR(struct setup_broker, upstream_store),
	BUF_F_U32(struct setup_broker, provider_count), BUF_F_U32(struct setup_broker, auth_count),
	BUF_F_U32(struct setup_broker, max_keys_per_application),
	BUF_F_U64(struct setup_broker, max_key_bytes_per_application),
	BUF_F_U32(struct setup_broker, max_requests_per_application),
	BUF_F_STR(struct setup_broker, state_id), BUF_F_STR(struct setup_broker, state_id_path),
	BUF_F_STR(struct setup_broker, state_material_path),
	BUF_F_STR(struct setup_broker, state_material),
};

static const struct buf_field setup_auth_fields[] = {
	BUF_F_U32(struct setup_auth, type), BUF_F_STRS(struct setup_auth, admins, admin_count),
	BUF_F_COPY(struct setup_auth, jwt_bundle, jwt_bundle_len),
	BUF_F_U32(struct setup_auth, workload_api),
};

static const struct buf_field setup_provider_ref_fields[] = {
	BUF_F_U32(struct setup_provider_ref, id), BUF_F_U32(struct setup_provider_ref, worker),
	BUF_F_STR(struct setup_provider_ref, name),
};

#define PROV(kind, ...) BUF_F_##kind(struct setup_provider, __VA_ARGS__)
static const struct buf_field setup_provider_fields[] = {
	PROV(STR, user), PROV(U32, id), PROV(STR, name), PROV(STR, state_dir), PROV(U32, worker),
	PROV(U32, workers), PROV(U32, advertise_mac_opcodes), PROV(U32, relax_seccomp),
	/* Pkcs11 */
	PROV(STR, library_path), PROV(U32, has_slot_number), PROV(U64, slot_number),
	PROV(STR, serial_number), PROV(U32, has_user_pin), PROV(COPY, user_pin, user_pin_len),
	PROV(U32, software_public_operations), PROV(U32, allow_export),
	/* Tpm */
	PROV(STR, tcti), PROV(COPY, owner_hierarchy_auth, owner_hierarchy_auth_len),
	PROV(COPY, endorsement_hierarchy_auth, endorsement_hierarchy_auth_len),
	PROV(U32, skip_if_no_tpm),
};
#undef PROV

static int
setup_decode(const uint8_t *in, size_t len, void *s, size_t size, const struct buf_field *fields,
    size_t n)
{
	struct buf_reader rd;

	memset(s, 0, size);
	buf_reader_init(&rd, in, len);
	buf_get_fields(&rd, s, fields, n);
	return buf_reader_done(&rd) ? 0 : -1;
}

/* The encoder and decoder of setup message NAME, both from setup_NAME_fields. */
#define SETUP_CODEC(name)                                                                       \
	void setup_##name##_encode(struct buf_writer *wr, const struct setup_##name *s)         \
	{                                                                                       \
		buf_put_fields(wr, s, BUF_FIELDS(setup_##name##_fields));                       \
	}                                                                                       \
	int setup_##name##_decode(const uint8_t *in, size_t len, struct setup_##name *s)        \
	{                                                                                       \
		return setup_decode(in, len, s, sizeof(*s), BUF_FIELDS(setup_##name##_fields)); \
	}
SETUP_CODEC(front)
SETUP_CODEC(provider_ref)
SETUP_CODEC(provider)

void
setup_broker_encode(struct buf_writer *wr, const struct setup_broker *s)
{
	uint32_t i;

	/* More authenticators than a decoder takes: the writer fails, as when out of room. */
	if (s->auth_count > CFG_AUTH_MAX)
		wr->failed = 1;
	buf_put_fields(wr, s, BUF_FIELDS(setup_broker_fields));
	for (i = 0; i < s->auth_count && i < CFG_AUTH_MAX; i++)
		buf_put_fields(wr, &s->auths[i], BUF_FIELDS(setup_auth_fields));
}

int
setup_broker_decode(const uint8_t *in, size_t len, struct setup_broker *s)
{
	struct buf_reader rd;
	uint32_t i;

	/*
	 * No memset of the whole: every field is written below (a failed read
	 * writes zeros), and what lies past a string's NUL, a bundle's length or
	 * auth_count is never read. Clearing it would back the 240 KiB of
	 * bundle space in brokerd with memory even when no JwtSvid is configured.
	 */
	buf_reader_init(&rd, in, len);
	buf_get_fields(&rd, s, BUF_FIELDS(setup_broker_fields));
	if (s->auth_count > CFG_AUTH_MAX)
		return -1;
	for (i = 0; i < s->auth_count; i++)
		buf_get_fields(&rd, &s->auths[i], BUF_FIELDS(setup_auth_fields));
	return buf_reader_done(&rd) ? 0 : -1;
}

void
setup_auth_copy(struct setup_auth *dst, const struct setup_auth *src)
{
	uint32_t i;

	dst->type = src->type;
	dst->admin_count = src->admin_count <= CFG_ADMIN_MAX ? src->admin_count : CFG_ADMIN_MAX;
	for (i = 0; i < dst->admin_count; i++)
		strlcpy(dst->admins[i], src->admins[i], sizeof(dst->admins[i]));
	dst->jwt_bundle_len = src->jwt_bundle_len <= sizeof(dst->jwt_bundle) ?
	    src->jwt_bundle_len : sizeof(dst->jwt_bundle);
	memcpy(dst->jwt_bundle, src->jwt_bundle, dst->jwt_bundle_len);
	dst->workload_api = src->workload_api;
}

void
setup_provider_wipe(struct setup_provider *s)
{
	explicit_bzero(s->user_pin, sizeof(s->user_pin));
	explicit_bzero(s->owner_hierarchy_auth, sizeof(s->owner_hierarchy_auth));
	explicit_bzero(s->endorsement_hierarchy_auth, sizeof(s->endorsement_hierarchy_auth));
	s->user_pin_len = s->owner_hierarchy_auth_len = s->endorsement_hierarchy_auth_len = 0;
}
