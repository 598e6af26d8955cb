/*
 * The settings parsecd sends each child in IPC_SETUP (and brokerd in
 * IPC_SETUP_PROVIDER), with their codecs. Secrets travel only to the
 * provider that needs them and are wiped by it after use.
 */
#ifndef PARSEC_SETUP_H
#define PARSEC_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct setup_front {
	char user[CFG_NAME_MAX];
	char chroot_dir[CFG_LONGPATH_MAX];
	uint32_t body_len_limit;
	uint32_t timeout_ms;
	uint32_t max_connections;
	uint32_t max_connections_per_uid;
};

struct setup_broker {
	char user[CFG_NAME_MAX];
	uint32_t auth_type; /* wire auth type */
	uint32_t admin_count;
	char admins[CFG_ADMIN_MAX][CFG_ADMIN_NAME_MAX];
	char kim_path[CFG_LONGPATH_MAX];
	uint32_t provider_count; /* IPC_SETUP_PROVIDER messages that follow: one per worker */
};

/* To brokerd, one per provider, with the broker's end of its channel. */
struct setup_provider_ref {
	uint32_t id;
	uint32_t worker;
	char name[CFG_NAME_MAX];
};

struct setup_provider {
	char user[CFG_NAME_MAX];
	uint32_t id;
	char name[CFG_NAME_MAX];
	char state_dir[CFG_LONGPATH_MAX];
	uint32_t worker;  /* this process's index */
	uint32_t workers; /* processes serving this provider */
	uint32_t advertise_mac_opcodes;
};

size_t setup_front_encode(const struct setup_front *s, uint8_t *out, size_t cap);
int setup_front_decode(const uint8_t *in, size_t len, struct setup_front *s);
size_t setup_broker_encode(const struct setup_broker *s, uint8_t *out, size_t cap);
int setup_broker_decode(const uint8_t *in, size_t len, struct setup_broker *s);
size_t setup_provider_ref_encode(const struct setup_provider_ref *s, uint8_t *out, size_t cap);
int setup_provider_ref_decode(const uint8_t *in, size_t len, struct setup_provider_ref *s);
size_t setup_provider_encode(const struct setup_provider *s, uint8_t *out, size_t cap);
int setup_provider_decode(const uint8_t *in, size_t len, struct setup_provider *s);

#endif
