/* SPDX-License-Identifier: Apache-2.0 */
/* The provider core loop and the vtable each backend fills in. */
#ifndef PROVIDERD_H
#define PROVIDERD_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

#include "ipc_msg.h"
#include "op.h"
#include "setup.h"

/* Output space a backend may fill for one result; freed (wiped) by the core. */
struct prov_out {
	uint8_t *buf[OP_MAX_OUTPUTS];
	size_t cap[OP_MAX_OUTPUTS];
};

/* Allocates out->buf[i] of len bytes and points res->out[i] at it. */
uint8_t *prov_out_alloc(struct prov_out *out, struct op_result *res, int i, size_t len);

/* What init returns when there is no device and the setup says to skip then. */
#define PROV_INIT_SKIP 1
/*
 * What init returns on a transient device error (a token busy with another
 * process, a TPM asking to retry), after releasing what it opened: the core
 * calls init again after a pause, a bounded number of times. Never for a
 * refused PIN or password: tokens and TPMs lock after a few wrong ones.
 */
#define PROV_INIT_RETRY 2

/*
 * Runs one operation: a PSA status, which the core alone turns into the
 * wire's. key_ref is the broker's opaque reference, never empty if the row
 * says the operation needs a key.
 */
typedef psa_status_t prov_op_handler(const struct op_request *op, const uint8_t *key_ref,
    size_t key_ref_len, struct op_result *res, struct prov_out *out);

/*
 * One operation a backend serves. The same rows say what the provider serves
 * (and lists in ListOpcodes) and which handler a request runs, so the two
 * cannot disagree; brokerd learns them from PROV_INFO at start-up.
 */
struct prov_op {
	uint32_t opcode;
	/* Set: the request carries the broker's key reference (creation, use, destruction). */
	int needs_key;
	/*
	 * Microseconds of a worker's time for one such operation on a key that is
	 * not RSA (or on no key), measured on this backend: what brokerd's fair
	 * share of the workers charges (its RSA figures are the backend's rsa_cost).
	 */
	uint32_t cost;
	prov_op_handler *handler;
	/* NULL: always served; else whether the device, as opened, serves it. */
	int (*served)(void);
	/* NULL: listed whenever served; else whether ListOpcodes names it. */
	int (*listed)(void);
};

/* A backend's whole table of rows. */
#define PROV_OPS(rows) .ops = (rows), .op_count = sizeof(rows) / sizeof((rows)[0])

struct prov_backend {
	const char *name;
	uint32_t provider_id;
	/*
	 * Set: init runs as root and the process is then chrooted into its state
	 * directory. Clear: the process drops to the service user first (a
	 * module or a device is opened as that user) and keeps the file system.
	 */
	int chroot_state_dir;
	/*
	 * Set: runs with the service user's supplementary groups, which is how
	 * Debian grants a device or a token (tss, softhsm). Clear: none.
	 */
	int device_groups;
	/* System calls this backend needs beyond the provider list, NULL-terminated. */
	const char *const *seccomp_extra;
	/* System calls its libraries attempt that fail with EACCES rather than kill. */
	const char *const *seccomp_refused;
	/*
	 * Opens the backend, inside its state directory (cwd), before the seccomp
	 * filter: 0, -1 (the log says why), PROV_INIT_SKIP or PROV_INIT_RETRY.
	 * The secrets in setup are wiped by the core once the backend is open.
	 */
	int (*init)(const struct setup_provider *setup);
	void (*describe)(struct op_provider_info *info);
	/* Every operation this backend can serve, one row each (PROV_OPS). */
	const struct prov_op *ops;
	size_t op_count;
	/* The length of every key reference here (0: they vary); others are invalid handles. */
	size_t key_ref_len;
	/* What RSA private-key operations and generations cost here, by growing modulus. */
	struct ipc_rsa_cost rsa_cost[IPC_RSA_COST_ROWS];
	/*
	 * Another worker destroys the key: drop what this worker keeps of it in
	 * memory, never its storage. NULL: nothing is kept.
	 */
	void (*forget)(const uint8_t *key_ref, size_t key_ref_len);
	/*
	 * A client connection closed: end the multipart operations it holds
	 * here (op->conn of their requests). NULL: this backend keeps none.
	 */
	void (*drop)(uint64_t conn_id);
};

/*
 * The device behind the backend is gone (or in an unknown state): the core
 * sends the current answer, then the process exits and parsecd starts a
 * fresh one with backoff, which reconnects when the device is back.
 */
void prov_restart_after_reply(const char *why);

extern const struct prov_backend prov_mbed_backend;
extern const struct prov_backend prov_pkcs11_backend;
extern const struct prov_backend prov_tpm_backend;

/* Entry of a backend binary: runs the core loop with that backend. */
int providerd_main(const struct prov_backend *backend, int argc, char **argv);

#endif
