/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The settings parsecd sends each child in IPC_SETUP (and brokerd in
 * IPC_SETUP_PROVIDER), with their codecs. Secrets travel only to the
 * provider that needs them and are wiped by it after use.
 */
#ifndef PARSEC_SETUP_H
#define PARSEC_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cfg_sizes.h"

struct setup_front {
	char user[CFG_NAME_MAX];
	char chroot_dir[CFG_LONGPATH_MAX];
	uint32_t body_len_limit;
	uint32_t timeout_ms;
	uint32_t keep_alive_timeout_ms;
	uint32_t max_connections;
	uint32_t max_connections_per_uid;
	uint32_t max_output_bytes_per_uid; /* unread answers; 0 = no cap */
};

#define SETUP_JWT_BUNDLE_MAX (64u * 1024u) /* a JWKS bundle file, as read by the parent */

/* One configured authenticator, as brokerd applies it. */
struct setup_auth {
	uint32_t type; /* wire auth type */
	uint32_t admin_count;
	char admins[CFG_ADMIN_MAX][CFG_ADMIN_NAME_MAX];
	/* JwtSvid: the trust bundles (JWKS JSON, untrusted until parsed by brokerd) */
	uint8_t jwt_bundle[SETUP_JWT_BUNDLE_MAX];
	size_t jwt_bundle_len;
	uint32_t workload_api; /* JwtSvid: bundles from the Workload API (IPC_SPIFFE_CONNECT) */
};

#define SETUP_DEPLOY_ID_LEN 32 /* a deployment identity: 16 random bytes in hex */

struct setup_broker {
	char user[CFG_NAME_MAX];
	uint32_t auth_count; /* config order: the first is the default */
	struct setup_auth auths[CFG_AUTH_MAX];
	char kim_path[CFG_LONGPATH_MAX];
	char listen_addr[CFG_PATH_MAX]; /* the listener's bound address: clients' local address */
	char state_dir[CFG_LONGPATH_MAX]; /* providers' states: one deployment with the key store */
	char upstream_store[CFG_LONGPATH_MAX]; /* upstream's OnDisk mappings: not a provider's */
	uint32_t provider_count; /* IPC_SETUP_PROVIDER messages that follow: one per worker */
	uint32_t max_keys_per_application;      /* 0 = unlimited */
	uint64_t max_key_bytes_per_application; /* 0 = unlimited */
	uint32_t max_requests_per_application;  /* at the providers; 0 = unlimited */
	/* The providers' state directories, read by the parent (brokerd cannot) */
	char state_id[SETUP_DEPLOY_ID_LEN + 1];  /* the identity they carry; empty: none */
	char state_id_path[CFG_LONGPATH_MAX];     /* the first that carries it */
	char state_material_path[CFG_LONGPATH_MAX]; /* the first with files but no identity */
	char state_material[CFG_NAME_MAX];        /* one of those files */
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
	uint32_t relax_seccomp; /* [[provider]] relax_seccomp: log what the filter would kill */
	/* Pkcs11 */
	char library_path[CFG_LONGPATH_MAX];
	uint32_t has_slot_number;
	uint64_t slot_number;
	char serial_number[CFG_NAME_MAX];
	uint32_t has_user_pin;
	uint8_t user_pin[CFG_SECRET_MAX]; /* secret: wiped by the provider after login */
	size_t user_pin_len;
	uint32_t software_public_operations;
	uint32_t allow_export;
	/* Tpm */
	char tcti[CFG_LONGPATH_MAX];
	uint8_t owner_hierarchy_auth[CFG_SECRET_MAX]; /* secret */
	size_t owner_hierarchy_auth_len;
	uint8_t endorsement_hierarchy_auth[CFG_SECRET_MAX]; /* secret */
	size_t endorsement_hierarchy_auth_len;
	uint32_t skip_if_no_tpm;
};

/* A provider's exit status for "no device, and skip_if_no_tpm is set". */
#define PROV_EXIT_SKIP 3

/* Wipes the secrets a provider setup carries. */
void setup_provider_wipe(struct setup_provider *s);

/* As ipc_msg.h: encoders write into wr (sticky failure), decoders consume exactly. */
void setup_front_encode(struct buf_writer *wr, const struct setup_front *s);
int setup_front_decode(const uint8_t *in, size_t len, struct setup_front *s);
void setup_broker_encode(struct buf_writer *wr, const struct setup_broker *s);
int setup_broker_decode(const uint8_t *in, size_t len, struct setup_broker *s);
/*
 * Copies what src holds (its admins up to admin_count, its bundle up to
 * jwt_bundle_len), not the whole 80 KiB: the rest is never read, and copying it
 * would back a reloaded brokerd's unused bundle space with memory.
 */
void setup_auth_copy(struct setup_auth *dst, const struct setup_auth *src);
void setup_provider_ref_encode(struct buf_writer *wr, const struct setup_provider_ref *s);
int setup_provider_ref_decode(const uint8_t *in, size_t len, struct setup_provider_ref *s);
void setup_provider_encode(struct buf_writer *wr, const struct setup_provider *s);
int setup_provider_decode(const uint8_t *in, size_t len, struct setup_provider *s);

#endif
