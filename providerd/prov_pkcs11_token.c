/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 provider's token: loading the module, choosing the slot,
 * opening the session and logging in, the mechanisms the token offers, and
 * what its return codes mean to a PSA client.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prov_p11.h"
#include "wire.h"

struct p11_token p11;

/* Failures that mean the token or the module is no longer what we opened. */
int
p11_rv_lost(CK_RV rv)
{
	switch (rv) {
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return 1;
	case CKR_USER_NOT_LOGGED_IN:
		/* Logged out under us (a token reinserted); never logged in is configuration. */
		return p11.logged_in;
	default:
		return 0;
	}
}

psa_status_t
p11_status(CK_RV rv)
{
	if (p11_rv_lost(rv)) {
		/* The PIN is gone from this process: a fresh worker logs in again. */
		prov_restart_after_reply("the token went away or the module failed");
		return PSA_ERROR_COMMUNICATION_FAILURE;
	}
	switch (rv) {
	case CKR_OK:
		return PSA_SUCCESS;
	case CKR_SIGNATURE_INVALID:
	case CKR_SIGNATURE_LEN_RANGE:
		return PSA_ERROR_INVALID_SIGNATURE;
	case CKR_ENCRYPTED_DATA_INVALID:
	case CKR_ENCRYPTED_DATA_LEN_RANGE:
		return PSA_ERROR_INVALID_PADDING;
	case CKR_DATA_INVALID:
	case CKR_DATA_LEN_RANGE:
	case CKR_ARGUMENTS_BAD:
	case CKR_ATTRIBUTE_VALUE_INVALID:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_DOMAIN_PARAMS_INVALID:
	case CKR_KEY_SIZE_RANGE:
	case CKR_WRAPPED_KEY_INVALID:
		return PSA_ERROR_INVALID_ARGUMENT;
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_FUNCTION_NOT_SUPPORTED:
	case CKR_ATTRIBUTE_TYPE_INVALID:
	case CKR_CURVE_NOT_SUPPORTED:
		return PSA_ERROR_NOT_SUPPORTED;
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_UNEXTRACTABLE:
	case CKR_USER_NOT_LOGGED_IN: /* without user_pin (p11_rv_lost takes the other case) */
	case CKR_ATTRIBUTE_SENSITIVE:
		return PSA_ERROR_NOT_PERMITTED;
	case CKR_HOST_MEMORY:
	case CKR_DEVICE_MEMORY:
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	case CKR_BUFFER_TOO_SMALL:
		return PSA_ERROR_BUFFER_TOO_SMALL;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return PSA_ERROR_DOES_NOT_EXIST;
	default:
		break;
	}
	log_warnx("token error 0x%lx", (unsigned long)rv);
	return PSA_ERROR_HARDWARE_FAILURE;
}

int
p11_has_mech(CK_MECHANISM_TYPE mech, CK_FLAGS flags)
{
	size_t i;

	for (i = 0; i < p11.mech_count; i++)
		if (p11.mechs[i] == mech)
			return (p11.mech_info[i].flags & flags) == flags;
	return 0;
}

int
p11_mech_size_ok(CK_MECHANISM_TYPE mech, unsigned long size)
{
	size_t i;

	for (i = 0; i < p11.mech_count; i++)
		if (p11.mechs[i] == mech)
			return size >= p11.mech_info[i].ulMinKeySize &&
			    size <= p11.mech_info[i].ulMaxKeySize;
	return 0;
}

/*
 * Errors that a token gives for a moment while another process uses it:
 * SoftHSM answers CKR_GENERAL_ERROR to a process reading its token file while
 * another rewrites it (two workers logging in at once). Start retries them.
 */
static const CK_RV p11_transient[] = {
	CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED, CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY,
	CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, CKR_SESSION_COUNT,
};

/* -1 for a lasting failure, PROV_INIT_RETRY for a transient one (the log says which). */
static int
p11_start_fail(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(p11_transient) / sizeof(p11_transient[0]); i++)
		if (rv == p11_transient[i])
			return PROV_INIT_RETRY;
	return -1;
}

/* 0, or PROV_INIT_RETRY: a token that is not there may be there a moment later. */
static int
p11_pick_slot(const struct setup_provider *setup)
{
	CK_SLOT_ID *slots;
	CK_ULONG count = 0, i;
	CK_TOKEN_INFO info;
	CK_RV rv;
	char serial[17];
	int found = 0;

	if ((rv = p11.module->C_GetSlotList(CK_TRUE, NULL, &count)) != CKR_OK) {
		log_warnx("provider.library_path: C_GetSlotList failed: 0x%lx", (unsigned long)rv);
		return p11_start_fail(rv);
	}
	if ((slots = calloc(count ? count : 1, sizeof(*slots))) == NULL)
		fatal("calloc");
	if ((rv = p11.module->C_GetSlotList(CK_TRUE, slots, &count)) != CKR_OK)
		count = 0;
	for (i = 0; i < count && !found; i++) {
		if (setup->has_slot_number) {
			found = slots[i] == setup->slot_number;
		} else if (setup->serial_number[0] != '\0') {
			size_t n;

			if (p11.module->C_GetTokenInfo(slots[i], &info) != CKR_OK)
				continue;
			memcpy(serial, info.serialNumber, 16);
			for (n = 16; n > 0 && serial[n - 1] == ' '; n--)
				;
			serial[n] = '\0';
			found = strcmp(serial, setup->serial_number) == 0;
		} else {
			found = 1;
		}
		if (found)
			p11.slot = slots[i];
	}
	free(slots);
	if (found)
		return 0;
	if (setup->has_slot_number)
		log_warnx("provider.slot_number: no token in slot %llu",
		    (unsigned long long)setup->slot_number);
	else if (setup->serial_number[0] != '\0')
		log_warnx("provider.serial_number: no token with serial number \"%s\"",
		    setup->serial_number);
	else
		log_warnx("provider.slot_number: the module %s shows no slot with a token",
		    setup->library_path);
	return PROV_INIT_RETRY;
}

static void
p11_load_mechanisms(void)
{
	CK_ULONG count = 0, i;

	free(p11.mechs);
	free(p11.mech_info);
	if (p11.module->C_GetMechanismList(p11.slot, NULL, &count) != CKR_OK)
		count = 0;
	p11.mechs = calloc(count ? count : 1, sizeof(*p11.mechs));
	p11.mech_info = calloc(count ? count : 1, sizeof(*p11.mech_info));
	if (p11.mechs == NULL || p11.mech_info == NULL)
		fatal("calloc");
	if (p11.module->C_GetMechanismList(p11.slot, p11.mechs, &count) != CKR_OK)
		count = 0;
	for (i = 0; i < count; i++)
		if (p11.module->C_GetMechanismInfo(p11.slot, p11.mechs[i], &p11.mech_info[i]) !=
		    CKR_OK)
			memset(&p11.mech_info[i], 0, sizeof(p11.mech_info[i]));
	p11.mech_count = count;
}

/* Logs in with the PIN; a PIN the token refuses is never tried again. */
static int
p11_login(const struct setup_provider *setup)
{
	CK_RV rv;

	rv = p11.module->C_Login(p11.session, CKU_USER, (CK_UTF8CHAR *)setup->user_pin,
	    setup->user_pin_len);
	p11.logged_in = rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN;
	if (p11.logged_in)
		return 0;
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
		log_warnx("provider.user_pin: the token in slot %lu refused the PIN (%s)",
		    (unsigned long)p11.slot, rv == CKR_PIN_INCORRECT ? "CKR_PIN_INCORRECT" :
		    rv == CKR_PIN_LOCKED ? "CKR_PIN_LOCKED" : "the PIN is invalid or expired");
		return -1;
	case CKR_USER_PIN_NOT_INITIALIZED:
		/*
		 * SoftHSM also says so when it reads its token file while another
		 * process rewrites it; a token that really has no user PIN costs a
		 * few seconds of retries, and no PIN attempt is counted.
		 */
		log_warnx("provider.user_pin: the token in slot %lu has no user PIN (yet?)",
		    (unsigned long)p11.slot);
		return PROV_INIT_RETRY;
	default:
		log_warnx("provider.user_pin: login to the token in slot %lu failed: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
}

/* One attempt at the token: initialise the module, find the token, open a session, log in. */
static int
p11_open_token(const struct setup_provider *setup)
{
	CK_TOKEN_INFO info;
	CK_RV rv;
	int r;

	if ((rv = p11_kit_module_initialize(p11.module)) != CKR_OK) {
		log_warnx("provider.library_path: the module %s failed to initialise: 0x%lx (%s)",
		    setup->library_path, (unsigned long)rv, p11_kit_message());
		return p11_start_fail(rv);
	}
	if ((r = p11_pick_slot(setup)) != 0)
		return r;
	if ((rv = p11.module->C_GetTokenInfo(p11.slot, &info)) != CKR_OK) {
		log_warnx("provider.slot_number: cannot read the token in slot %lu: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
	p11.has_rng = (info.flags & CKF_RNG) != 0;
	p11_load_mechanisms();
	if ((rv = p11.module->C_OpenSession(p11.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	    NULL, &p11.session)) != CKR_OK) {
		log_warnx("provider.slot_number: cannot open a session on slot %lu: 0x%lx",
		    (unsigned long)p11.slot, (unsigned long)rv);
		return p11_start_fail(rv);
	}
	if (setup->has_user_pin)
		return p11_login(setup);
	log_warnx("no provider.user_pin: only public objects can be used");
	return 0;
}

int
p11_token_open(const struct setup_provider *setup)
{
	int r;

	if (p11.module == NULL && (p11.module = p11_kit_module_load(setup->library_path,
	    P11_KIT_MODULE_UNMANAGED | P11_KIT_MODULE_CRITICAL)) == NULL) {
		log_warnx("provider.library_path: cannot load the PKCS#11 module %s: %s",
		    setup->library_path, p11_kit_message());
		return -1;
	}
	if ((r = p11_open_token(setup)) != 0) {
		/* Finalizing closes any session; the next attempt starts afresh. */
		(void)p11_kit_module_finalize(p11.module);
		p11.session = CK_INVALID_HANDLE;
		p11.logged_in = 0;
	}
	return r;
}
