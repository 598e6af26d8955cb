/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM 2.0 provider (id 3, "Tpm") through tpm2-tss ESAPI. Keys are created
 * under a storage primary derived from a fixed template in the owner
 * hierarchy, so the same primary (and every key) comes back after a restart.
 * The key reference brokerd stores is the wrapped key (prov_tpm_key.c).
 *
 * The primary stays loaded for the worker's life and the keys used last stay
 * loaded beside it (prov_tpm_cache.c). Our objects carry the service's
 * object password (prov_tpm_object_auth), so a handle of ours that now holds
 * another program's object (the TPM was reset, or that program flushed ours
 * and loaded its own) fails authorization instead of signing with another
 * object's key. It is a binding, not a secret: HMAC sessions would bind
 * names too, but the ESAPI's session crypto costs milliseconds per command.
 * There may be no resource manager (swtpm, a raw device): at exit everything
 * is flushed, and a worker that was killed leaves objects its successor
 * flushes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "log.h"
#include "prov_tpm.h"
#include "providerd.h"
#include "wire.h"

/*
 * What an operation costs a worker here, for brokerd's fair share of the
 * workers (broker_cost.c): medians of bench/cost.py through the service on
 * the project's 2-core machine, 2026-12-07, at a load average of 3 to 4,
 * swtpm 0.7.1. P-256 sign 0.55-0.70 ms, generate 3.8-5.9 ms, destroy 3.5 ms.
 */
#define PROV_TPM_COST 700
#define PROV_TPM_COST_CREATE 4800
#define PROV_TPM_COST_DESTROY 3500
/*
 * A multipart hash step (four TPM commands): its whole round trip through the
 * service, 64 bytes on swtpm, measured 0.44 ms median (load average 3,
 * 2026-12-07).
 */
#define PROV_TPM_COST_STEP 440

/*
 * Every operation, in the order ListOpcodes names them. A key's reference is
 * the TPM's wrapped key, which the provider makes: a creation needs none.
 */
static const struct prov_op prov_tpm_ops[] = {
	{ OP_PSA_GENERATE_KEY, 0, PROV_TPM_COST_CREATE, prov_tpm_op_generate, NULL, NULL },
	{ OP_PSA_DESTROY_KEY, 1, PROV_TPM_COST_DESTROY, prov_tpm_op_destroy, NULL, NULL },
	{ OP_PSA_SIGN_HASH, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_VERIFY_HASH, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_IMPORT_KEY, 0, PROV_TPM_COST_CREATE, prov_tpm_op_import, NULL, NULL },
	{ OP_PSA_EXPORT_PUBLIC_KEY, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_ASYMMETRIC_ENCRYPT, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_ASYMMETRIC_DECRYPT, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_GENERATE_RANDOM, 0, PROV_TPM_COST, prov_tpm_op_random, NULL, NULL },
	{ OP_PSA_SIGN_MESSAGE, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	{ OP_PSA_VERIFY_MESSAGE, 1, PROV_TPM_COST, prov_tpm_op_use, NULL, NULL },
	/* Served only when the TPM can do it (prov_tpm_attest_init). */
	{ OP_PREPARE_KEY_ATTESTATION, 1, PROV_TPM_COST, prov_tpm_op_attest,
	    prov_tpm_attest_ready, NULL },
	/* A TPM key is not copied without duplication: no ExtCopyKey row. */
	{ OP_EXT_GENERATE_VOLATILE, 0, PROV_TPM_COST_CREATE, prov_tpm_op_generate, NULL, NULL },
	{ OP_EXT_IMPORT_VOLATILE, 0, PROV_TPM_COST_CREATE, prov_tpm_op_import, NULL, NULL },
	{ OP_ATTEST_KEY, 1, PROV_TPM_COST, prov_tpm_op_attest, prov_tpm_attest_ready, NULL },
	/*
	 * parsecd's extensions (prov_tpm_multi.c): multipart hash only. A step
	 * loads the sequence's saved context, runs and saves it again.
	 */
	{ OP_EXT_ABORT, 0, PROV_TPM_COST_STEP, prov_tpm_multi_abort, NULL, NULL },
	{ OP_EXT_HASH_SETUP, 0, PROV_TPM_COST_STEP, prov_tpm_multi_hash_setup, NULL, NULL },
	{ OP_EXT_HASH_UPDATE, 0, PROV_TPM_COST_STEP, prov_tpm_multi_hash_update, NULL, NULL },
	{ OP_EXT_HASH_FINISH, 0, PROV_TPM_COST_STEP, prov_tpm_multi_hash_finish, NULL, NULL },
	{ OP_EXT_HASH_VERIFY, 0, PROV_TPM_COST_STEP, prov_tpm_multi_hash_finish, NULL, NULL },
	{ OP_EXT_HASH_CLONE, 0, PROV_TPM_COST_STEP, prov_tpm_multi_hash_setup, NULL, NULL },
};

ESYS_CONTEXT *prov_tpm_esys;

static struct {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_TR primary; /* resident storage primary */
	struct op_provider_info info;
} tpm = { .primary = ESYS_TR_NONE };

ESYS_TR
prov_tpm_primary(void)
{
	return tpm.primary;
}

/* The TPM response code without its handle, session or parameter number. */
TSS2_RC
prov_tpm_rc_base(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return rc;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

/*
 * Whether rc means the TPM cannot be reached or is no longer in the state we
 * knew: the transport failed, an answer was cut, or the TPM was restarted
 * and wants TPM2_Startup again.
 */
int
prov_tpm_rc_gone(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK, base = rc & 0xffffu;

	if (layer == TSS2_TCTI_RC_LAYER)
		return 1;
	if (layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER)
		return base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
		    base == TSS2_BASE_RC_MALFORMED_RESPONSE ||
		    base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE;
	return rc == TPM2_RC_INITIALIZE;
}

/*
 * Whether rc says a handle of ours no longer names the object we loaded
 * there: not loaded at all, or another object's password. No password of
 * ours is ever wrong, so an authorization failure means that.
 */
static int
prov_tpm_rc_stale(TSS2_RC rc)
{
	TSS2_RC base = prov_tpm_rc_base(rc);

	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return 0;
	if (base >= TPM2_RC_REFERENCE_H0 && base <= TPM2_RC_REFERENCE_S0 + 6)
		return 1;
	return base == TPM2_RC_HANDLE || base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH;
}

int
prov_tpm_rc_lost(TSS2_RC rc)
{
	return prov_tpm_rc_gone(rc) || prov_tpm_rc_stale(rc);
}

/*
 * Whether a start-up command may succeed a moment later: the TPM asks to be
 * asked again (self-test, yielded, cancelled), its object or session memory
 * is full while another worker holds a context (there may be no resource
 * manager), or the connection broke after the TPM had answered.
 */
static int
prov_tpm_rc_transient(TSS2_RC rc)
{
	if (prov_tpm_rc_gone(rc))
		return 1;
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return (rc & 0xffffu) == TSS2_BASE_RC_TRY_AGAIN;
	switch (prov_tpm_rc_base(rc)) {
	case TPM2_RC_RETRY:
	case TPM2_RC_YIELDED:
	case TPM2_RC_CANCELED:
	case TPM2_RC_TESTING:
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_MEMORY:
		return 1;
	default:
		return 0;
	}
}

/* What init returns for a failed start-up command: retried when transient. */
static int
prov_tpm_start_fail(TSS2_RC rc)
{
	return prov_tpm_rc_transient(rc) ? PROV_INIT_RETRY : -1;
}

/*
 * Turns a failed TPM command into a PSA status. A lost TPM also ends this
 * worker after the answer: a fresh one reconnects when the TPM is back.
 */
psa_status_t
prov_tpm_fail(TSS2_RC rc, const char *what)
{
	TSS2_RC base = prov_tpm_rc_base(rc);

	if (prov_tpm_rc_lost(rc)) {
		/* What our handles name is unknown from here: nothing is flushed by them. */
		prov_tpm_cache_stale();
		log_warnx("%s: %s", what, Tss2_RC_Decode(rc));
		prov_restart_after_reply(prov_tpm_rc_gone(rc) ? "the TPM cannot be reached" :
		    "the TPM no longer holds our objects (reset, or flushed by another program)");
		return PSA_ERROR_COMMUNICATION_FAILURE;
	}
	log_debug("%s: %s", what, Tss2_RC_Decode(rc));
	switch (base) {
	case TPM2_RC_OBJECT_MEMORY:
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	case TPM2_RC_HASH:
	case TPM2_RC_SCHEME:
	case TPM2_RC_CURVE:
	case TPM2_RC_KEY_SIZE:
		return PSA_ERROR_NOT_SUPPORTED;
	default:
		return PSA_ERROR_HARDWARE_FAILURE;
	}
}

void
prov_tpm_flush(ESYS_TR handle)
{
	TSS2_RC rc;

	/* Once our handles may name others' objects, none is flushed by them. */
	if (handle == ESYS_TR_NONE || prov_tpm_cache_is_stale())
		return;
	if ((rc = Esys_FlushContext(prov_tpm_esys, handle)) != TSS2_RC_SUCCESS)
		(void)prov_tpm_fail(rc, "TPM2_FlushContext");
}

/* Manufacturer and firmware for the description; a TPM that says nothing is fine. */
static void
prov_tpm_identify(void)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TPMS_TAGGED_PROPERTY *prop;
	char maker[5] = "", vendor[17] = "";
	uint32_t fw1 = 0, fw2 = 0, v;
	size_t i, k;

	if (Esys_GetCapability(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 8, &more, &cap) != TSS2_RC_SUCCESS)
		return;
	for (i = 0; i < cap->data.tpmProperties.count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
		prop = &cap->data.tpmProperties.tpmProperty[i];
		v = prop->value;
		if (prop->property == TPM2_PT_MANUFACTURER) {
			for (k = 0; k < 4; k++)
				maker[k] = (char)(v >> (24 - 8 * k));
		} else if (prop->property >= TPM2_PT_VENDOR_STRING_1 &&
		    prop->property < TPM2_PT_VENDOR_STRING_1 + 4) {
			for (k = 0; k < 4; k++)
				vendor[(prop->property - TPM2_PT_VENDOR_STRING_1) * 4 + k] =
				    (char)(v >> (24 - 8 * k));
		} else if (prop->property == TPM2_PT_FIRMWARE_VERSION_1)
			fw1 = v;
		else if (prop->property == TPM2_PT_FIRMWARE_VERSION_2)
			fw2 = v;
	}
	Esys_Free(cap);
	/* Vendor strings are ASCII padded with zeros or spaces; keep them printable. */
	for (k = 0; k < sizeof(maker) - 1; k++)
		if (maker[k] != '\0' && (maker[k] < 0x20 || maker[k] > 0x7e))
			maker[k] = '?';
	for (k = 0; k < sizeof(vendor) - 1; k++)
		if (vendor[k] != '\0' && (vendor[k] < 0x20 || vendor[k] > 0x7e))
			vendor[k] = '?';
	snprintf(tpm.info.description, sizeof(tpm.info.description),
	    "TPM 2.0 provider: %s %s, firmware %08x.%08x", maker, vendor, fw1, fw2);
}

/*
 * The ESAPI builds the password session on its stack: what the calls below
 * init left there is overwritten before any client is served.
 */
static void __attribute__((noinline))
prov_tpm_scrub_stack(void)
{
	uint8_t stack[32 * 1024];

	explicit_bzero(stack, sizeof(stack));
}

/*
 * Creates a primary key with the owner hierarchy's password, which the ESAPI
 * holds only for this one command; it stays loaded, with our object password.
 */
int
prov_tpm_create_primary(const struct setup_provider *setup, const TPM2B_PUBLIC *tmpl,
    ESYS_TR *out)
{
	TPM2B_AUTH auth;
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TSS2_RC rc, base;

	if (setup->owner_hierarchy_auth_len > sizeof(auth.buffer)) {
		log_warnx("provider.owner_hierarchy_auth: longer than the TPM's %zu bytes",
		    sizeof(auth.buffer));
		return -1;
	}
	memset(&auth, 0, sizeof(auth));
	auth.size = (UINT16)setup->owner_hierarchy_auth_len;
	memcpy(auth.buffer, setup->owner_hierarchy_auth, setup->owner_hierarchy_auth_len);
	rc = Esys_TR_SetAuth(prov_tpm_esys, ESYS_TR_RH_OWNER, &auth);
	explicit_bzero(&auth, sizeof(auth));
	if (rc != TSS2_RC_SUCCESS) {
		log_warnx("Esys_TR_SetAuth: %s", Tss2_RC_Decode(rc));
		return -1;
	}
	memset(&sensitive, 0, sizeof(sensitive));
	prov_tpm_object_auth(&sensitive.sensitive.userAuth);
	memset(&outside, 0, sizeof(outside));
	memset(&pcrs, 0, sizeof(pcrs));
	rc = Esys_CreatePrimary(prov_tpm_esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &sensitive, tmpl, &outside, &pcrs, out, NULL, NULL, NULL, NULL);
	/*
	 * The ESAPI's copy of the password: overwritten whole with a filler (an
	 * empty value might copy no bytes), then emptied.
	 */
	auth.size = sizeof(auth.buffer);
	memset(auth.buffer, 0xa5, sizeof(auth.buffer));
	(void)Esys_TR_SetAuth(prov_tpm_esys, ESYS_TR_RH_OWNER, &auth);
	explicit_bzero(&auth, sizeof(auth));
	(void)Esys_TR_SetAuth(prov_tpm_esys, ESYS_TR_RH_OWNER, &auth);
	prov_tpm_scrub_stack();
	if (rc != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		base = prov_tpm_rc_base(rc);
		if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL)
			log_warnx("provider.owner_hierarchy_auth: the TPM refused the owner "
			    "hierarchy password");
		else if (base == TPM2_RC_LOCKOUT)
			log_warnx("provider.owner_hierarchy_auth: the TPM is in dictionary "
			    "attack lockout");
		else
			log_warnx("provider.tcti: %s: cannot create the primary key: %s",
			    setup->tcti, Tss2_RC_Decode(rc));
		return prov_tpm_start_fail(rc);
	}
	return Esys_TR_SetAuth(prov_tpm_esys, *out, &sensitive.sensitive.userAuth) ==
	    TSS2_RC_SUCCESS ? 0 : -1;
}

static int
prov_tpm_make_primary(const struct setup_provider *setup)
{
	TPM2B_PUBLIC tmpl;

	prov_tpm_primary_template(&tmpl);
	return prov_tpm_create_primary(setup, &tmpl, &tpm.primary);
}

/* At exit, and before another start attempt: nothing of ours stays in the TPM. */
static void
prov_tpm_release(void)
{
	if (prov_tpm_esys == NULL)
		return;
	if (!prov_tpm_cache_is_stale()) {
		prov_tpm_cache_release();
		prov_tpm_flush(tpm.primary);
		prov_tpm_flush(prov_tpm_upstream_primary());
	}
	tpm.primary = ESYS_TR_NONE;
	prov_tpm_upstream_forget();
}

/* A TPM that is not there: skipped if the configuration says so. */
static int
prov_tpm_absent(const struct setup_provider *setup, TSS2_RC rc)
{
	log_warnx("provider.tcti: cannot connect to %s: %s", setup->tcti, Tss2_RC_Decode(rc));
	return setup->skip_if_no_tpm ? PROV_INIT_SKIP : -1;
}

/*
 * One attempt at the TPM. A TPM that cannot be reached at all is absent
 * (skipped or refused at once); errors after it has answered may be
 * transient and are retried by the core.
 */
static int
prov_tpm_open(const struct setup_provider *setup)
{
	char sizes[64];
	TSS2_RC rc;
	psa_status_t st;
	int r;

	if ((rc = Tss2_TctiLdr_Initialize(setup->tcti, &tpm.tcti)) != TSS2_RC_SUCCESS)
		return prov_tpm_absent(setup, rc);
	if ((rc = Esys_Initialize(&prov_tpm_esys, tpm.tcti, NULL)) != TSS2_RC_SUCCESS) {
		log_warnx("provider.tcti: %s: Esys_Initialize: %s", setup->tcti,
		    Tss2_RC_Decode(rc));
		return -1;
	}
	/* Always: a TPM already started answers TPM2_RC_INITIALIZE, and that is fine. */
	rc = Esys_Startup(prov_tpm_esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
		if (prov_tpm_rc_gone(rc))
			return prov_tpm_absent(setup, rc);
		log_warnx("provider.tcti: %s: TPM2_Startup: %s", setup->tcti, Tss2_RC_Decode(rc));
		return prov_tpm_start_fail(rc);
	}
	if ((st = psa_crypto_init()) != PSA_SUCCESS) {
		log_warnx("psa_crypto_init failed: %d", (int)st);
		return -1;
	}
	prov_tpm_identify();
	if ((r = prov_tpm_make_primary(setup)) != 0)
		return r;
	prov_tpm_attest_init(setup);
	if ((r = prov_tpm_cache_init(setup)) != 0)
		return r;
	prov_tpm_probe(sizes, sizeof(sizes));
	log_info("%s ready on %s: %s; makes %s keys", setup->name, setup->tcti,
	    tpm.info.description, sizes);
	return 0;
}

/*
 * The swtpm TCTI opens a new connection to the TPM's socket for every
 * command (strace -f: socket, connect, then close, per command), so the
 * socket's path must stay reachable: no chroot; the process drops to the
 * service user before init. What the filter allows follows the TCTI (set by
 * prov_tpm_seccomp_for before init): a device needs no socket at all, a
 * socket path only AF_UNIX, a host and port (mssim, or swtpm without a path)
 * only AF_INET and AF_INET6.
 */
static const char *prov_tpm_seccomp[3];

static void
prov_tpm_seccomp_for(const char *tcti)
{
	if (strncmp(tcti, "device", 6) == 0) {
		prov_tpm_seccomp[0] = NULL;
		return;
	}
	prov_tpm_seccomp[0] = strstr(tcti, "path=") != NULL ? "socket:unix" : "socket:inet";
	prov_tpm_seccomp[1] = "connect";
	prov_tpm_seccomp[2] = NULL;
}

static int
prov_tpm_init(const struct setup_provider *setup)
{
	static int registered;
	int r;

	/*
	 * The library's own log would repeat ours on stderr and, at its trace
	 * level, show command buffers with the owner password: always off.
	 */
	setenv("TSS2_LOG", "all+none", 1);
	prov_tpm_seccomp_for(setup->tcti);
	strlcpy(tpm.info.description, "TPM 2.0 provider", sizeof(tpm.info.description));
	if ((r = prov_tpm_open(setup)) != 0) {
		/* The next attempt (or the exit) starts from nothing. */
		prov_tpm_release();
		if (prov_tpm_esys != NULL)
			Esys_Finalize(&prov_tpm_esys);
		if (tpm.tcti != NULL)
			Tss2_TctiLdr_Finalize(&tpm.tcti);
	} else if (!registered) {
		/* Every way out of the worker (a stop, a restart, fatal) flushes what it holds. */
		atexit(prov_tpm_release);
		registered = 1;
	}
	return r;
}

static void
prov_tpm_describe(struct op_provider_info *info)
{
	*info = tpm.info;
	strlcpy(info->uuid, wire_provider_uuid(WIRE_PROVIDER_TPM), sizeof(info->uuid));
	strlcpy(info->vendor, "Trusted Computing Group", sizeof(info->vendor));
	info->id = WIRE_PROVIDER_TPM;
}


const struct prov_backend prov_tpm_backend = {
	.name = "provider-tpm",
	.provider_id = WIRE_PROVIDER_TPM,
	.chroot_state_dir = 0,
	.device_groups = 1,
	.seccomp_extra = prov_tpm_seccomp,
	.init = prov_tpm_init,
	.describe = prov_tpm_describe,
	PROV_OPS(prov_tpm_ops),
	.drop = prov_tpm_multi_drop,
	/* RSA 2048 measured (sign 2.3-2.8 ms, generate 213-236 ms); the other sizes as it. */
	.rsa_cost = { { 1024, 2800, 236000 }, { 2048, 2800, 236000 }, { 3072, 2800, 236000 },
	    { 4096, 2800, 236000 } },
};
