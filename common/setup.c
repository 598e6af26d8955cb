/* SPDX-License-Identifier: Apache-2.0 */
/* Codecs for the setup messages; a decode must consume the payload exactly. */
#include <string.h>

#include "buf.h"
#include "setup.h"

size_t
setup_front_encode(const struct setup_front *s, uint8_t *out, size_t cap)
{
	struct buf_writer wr;

	buf_writer_init(&wr, out, cap);
	buf_put_str(&wr, s->user);
	buf_put_str(&wr, s->chroot_dir);
	buf_put_u32le(&wr, s->body_len_limit);
	buf_put_u32le(&wr, s->timeout_ms);
	buf_put_u32le(&wr, s->keep_alive_timeout_ms);
	buf_put_u32le(&wr, s->max_connections);
	buf_put_u32le(&wr, s->max_connections_per_uid);
	return buf_writer_ok(&wr) ? wr.off : 0;
}

int
setup_front_decode(const uint8_t *in, size_t len, struct setup_front *s)
{
	struct buf_reader rd;

	buf_reader_init(&rd, in, len);
	buf_get_str(&rd, s->user, sizeof(s->user));
	buf_get_str(&rd, s->chroot_dir, sizeof(s->chroot_dir));
	s->body_len_limit = buf_get_u32le(&rd);
	s->timeout_ms = buf_get_u32le(&rd);
	s->keep_alive_timeout_ms = buf_get_u32le(&rd);
	s->max_connections = buf_get_u32le(&rd);
	s->max_connections_per_uid = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

static void
setup_put_auth(struct buf_writer *wr, const struct setup_auth *a)
{
	uint32_t i;

	buf_put_u32le(wr, a->type);
	buf_put_u32le(wr, a->admin_count);
	for (i = 0; i < a->admin_count && i < CFG_ADMIN_MAX; i++)
		buf_put_str(wr, a->admins[i]);
	buf_put_blob(wr, a->jwt_bundle, a->jwt_bundle_len);
	buf_put_u32le(wr, a->workload_api);
}

static int
setup_get_auth(struct buf_reader *rd, struct setup_auth *a)
{
	const uint8_t *p;
	uint32_t i;

	a->type = buf_get_u32le(rd);
	a->admin_count = buf_get_u32le(rd);
	if (a->admin_count > CFG_ADMIN_MAX)
		return -1;
	for (i = 0; i < a->admin_count; i++)
		buf_get_str(rd, a->admins[i], sizeof(a->admins[i]));
	if ((p = buf_get_blob(rd, sizeof(a->jwt_bundle), &a->jwt_bundle_len)) != NULL)
		memcpy(a->jwt_bundle, p, a->jwt_bundle_len);
	a->workload_api = buf_get_u32le(rd);
	return 0;
}

size_t
setup_broker_encode(const struct setup_broker *s, uint8_t *out, size_t cap)
{
	struct buf_writer wr;
	uint32_t i;

	buf_writer_init(&wr, out, cap);
	buf_put_str(&wr, s->user);
	buf_put_u32le(&wr, s->auth_count);
	for (i = 0; i < s->auth_count && i < CFG_AUTH_MAX; i++)
		setup_put_auth(&wr, &s->auths[i]);
	buf_put_str(&wr, s->kim_path);
	buf_put_str(&wr, s->listen_addr);
	buf_put_str(&wr, s->state_dir);
	buf_put_u32le(&wr, s->provider_count);
	return buf_writer_ok(&wr) ? wr.off : 0;
}

int
setup_broker_decode(const uint8_t *in, size_t len, struct setup_broker *s)
{
	struct buf_reader rd;
	uint32_t i;

	memset(s, 0, sizeof(*s));
	buf_reader_init(&rd, in, len);
	buf_get_str(&rd, s->user, sizeof(s->user));
	s->auth_count = buf_get_u32le(&rd);
	if (s->auth_count > CFG_AUTH_MAX)
		return -1;
	for (i = 0; i < s->auth_count; i++)
		if (setup_get_auth(&rd, &s->auths[i]) == -1)
			return -1;
	buf_get_str(&rd, s->kim_path, sizeof(s->kim_path));
	buf_get_str(&rd, s->listen_addr, sizeof(s->listen_addr));
	buf_get_str(&rd, s->state_dir, sizeof(s->state_dir));
	s->provider_count = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

size_t
setup_provider_ref_encode(const struct setup_provider_ref *s, uint8_t *out, size_t cap)
{
	struct buf_writer wr;

	buf_writer_init(&wr, out, cap);
	buf_put_u32le(&wr, s->id);
	buf_put_u32le(&wr, s->worker);
	buf_put_str(&wr, s->name);
	return buf_writer_ok(&wr) ? wr.off : 0;
}

int
setup_provider_ref_decode(const uint8_t *in, size_t len, struct setup_provider_ref *s)
{
	struct buf_reader rd;

	buf_reader_init(&rd, in, len);
	s->id = buf_get_u32le(&rd);
	s->worker = buf_get_u32le(&rd);
	buf_get_str(&rd, s->name, sizeof(s->name));
	return buf_reader_done(&rd) ? 0 : -1;
}

/* A secret of at most cap bytes; a longer one fails the whole decode. */
static void
setup_get_secret(struct buf_reader *rd, uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *p = buf_get_blob(rd, cap, out_len);

	if (p == NULL) {
		*out_len = 0;
		return;
	}
	memcpy(out, p, *out_len);
}

size_t
setup_provider_encode(const struct setup_provider *s, uint8_t *out, size_t cap)
{
	struct buf_writer wr;

	buf_writer_init(&wr, out, cap);
	buf_put_str(&wr, s->user);
	buf_put_u32le(&wr, s->id);
	buf_put_str(&wr, s->name);
	buf_put_str(&wr, s->state_dir);
	buf_put_u32le(&wr, s->worker);
	buf_put_u32le(&wr, s->workers);
	buf_put_u32le(&wr, s->advertise_mac_opcodes);
	buf_put_u32le(&wr, s->relax_seccomp);
	buf_put_str(&wr, s->library_path);
	buf_put_u32le(&wr, s->has_slot_number);
	buf_put_u64le(&wr, s->slot_number);
	buf_put_str(&wr, s->serial_number);
	buf_put_u32le(&wr, s->has_user_pin);
	buf_put_blob(&wr, s->user_pin, s->user_pin_len);
	buf_put_u32le(&wr, s->software_public_operations);
	buf_put_u32le(&wr, s->allow_export);
	buf_put_str(&wr, s->tcti);
	buf_put_blob(&wr, s->owner_hierarchy_auth, s->owner_hierarchy_auth_len);
	buf_put_blob(&wr, s->endorsement_hierarchy_auth, s->endorsement_hierarchy_auth_len);
	buf_put_u32le(&wr, s->skip_if_no_tpm);
	return buf_writer_ok(&wr) ? wr.off : 0;
}

int
setup_provider_decode(const uint8_t *in, size_t len, struct setup_provider *s)
{
	struct buf_reader rd;

	buf_reader_init(&rd, in, len);
	buf_get_str(&rd, s->user, sizeof(s->user));
	s->id = buf_get_u32le(&rd);
	buf_get_str(&rd, s->name, sizeof(s->name));
	buf_get_str(&rd, s->state_dir, sizeof(s->state_dir));
	s->worker = buf_get_u32le(&rd);
	s->workers = buf_get_u32le(&rd);
	s->advertise_mac_opcodes = buf_get_u32le(&rd);
	s->relax_seccomp = buf_get_u32le(&rd);
	buf_get_str(&rd, s->library_path, sizeof(s->library_path));
	s->has_slot_number = buf_get_u32le(&rd);
	s->slot_number = buf_get_u64le(&rd);
	buf_get_str(&rd, s->serial_number, sizeof(s->serial_number));
	s->has_user_pin = buf_get_u32le(&rd);
	setup_get_secret(&rd, s->user_pin, sizeof(s->user_pin), &s->user_pin_len);
	s->software_public_operations = buf_get_u32le(&rd);
	s->allow_export = buf_get_u32le(&rd);
	buf_get_str(&rd, s->tcti, sizeof(s->tcti));
	setup_get_secret(&rd, s->owner_hierarchy_auth, sizeof(s->owner_hierarchy_auth),
	    &s->owner_hierarchy_auth_len);
	setup_get_secret(&rd, s->endorsement_hierarchy_auth,
	    sizeof(s->endorsement_hierarchy_auth), &s->endorsement_hierarchy_auth_len);
	s->skip_if_no_tpm = buf_get_u32le(&rd);
	return buf_reader_done(&rd) ? 0 : -1;
}

void
setup_provider_wipe(struct setup_provider *s)
{
	explicit_bzero(s->user_pin, sizeof(s->user_pin));
	explicit_bzero(s->owner_hierarchy_auth, sizeof(s->owner_hierarchy_auth));
	explicit_bzero(s->endorsement_hierarchy_auth, sizeof(s->endorsement_hierarchy_auth));
	s->user_pin_len = s->owner_hierarchy_auth_len = s->endorsement_hierarchy_auth_len = 0;
}
