/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Slots (one per provider the service lists), tokens, sessions and the
 * login that needs no PIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11.h"

#define OPCODE_PING 0x01

static const char *
p11_kind(CK_SLOT_ID id)
{
	switch (id) {
	case PARSEC_PROVIDER_MBED_CRYPTO:
		return "MbedCrypto";
	case PARSEC_PROVIDER_PKCS11:
		return "Pkcs11";
	case PARSEC_PROVIDER_TPM:
		return "Tpm";
	case 4:
		return "TrustedService";
	case 5:
		return "CryptoAuthLib";
	default:
		return "Unknown";
	}
}

/* Asks the service for its providers; CKR_DEVICE_REMOVED (slots kept, none listed) if it is gone. */
CK_RV
p11_refresh_slots(void)
{
	struct parsec_provider_info providers[P11_MAX_SLOTS + 1];
	parsec_client *client;
	size_t count = 0, i;
	CK_RV rv;
	int st;

	if ((rv = p11_slot_client(0, &client)) != CKR_OK) {
		for (i = 0; i < P11_MAX_SLOTS; i++)
			p11_slots[i].listed = 0;
		return rv;
	}
	st = parsec_list_providers(client, providers, P11_MAX_SLOTS + 1, &count);
	for (i = 0; i < P11_MAX_SLOTS; i++)
		p11_slots[i].listed = 0;
	if (st != PARSEC_SUCCESS)
		return p11_status_rv(st);
	for (i = 0; i < count && i < P11_MAX_SLOTS + 1; i++) {
		struct p11_slot *sl;

		if (providers[i].id == PARSEC_PROVIDER_CORE || providers[i].id >= P11_MAX_SLOTS)
			continue;
		sl = &p11_slots[providers[i].id];
		if (sl->id != providers[i].id)
			sl->hmac = sl->aes = -1; /* first seen: not asked yet */
		sl->id = providers[i].id;
		sl->listed = 1;
		memcpy(sl->vendor, providers[i].vendor, sizeof(sl->vendor));
		memcpy(sl->uuid, providers[i].uuid, sizeof(sl->uuid));
		sl->version_maj = providers[i].version_maj;
		sl->version_min = providers[i].version_min;
	}
	return CKR_OK;
}

/* The provider's opcodes, asked once per slot. */
static void
p11_slot_opcodes(struct p11_slot *slot)
{
	parsec_client *client;

	if (slot->opcodes_known || p11_slot_client(0, &client) != CKR_OK)
		return;
	if (parsec_list_opcodes(client, (uint32_t)slot->id, slot->opcodes,
	    sizeof(slot->opcodes) / sizeof(slot->opcodes[0]), &slot->opcode_count) ==
	    PARSEC_SUCCESS)
		slot->opcodes_known = 1;
}

int
p11_slot_has_opcode(struct p11_slot *slot, uint32_t opcode)
{
	size_t i;

	p11_slot_opcodes(slot);
	for (i = 0; i < slot->opcode_count; i++) {
		if (slot->opcodes[i] == opcode)
			return 1;
	}
	return 0;
}

/* A slot id the service has listed (asking it if not yet); NULL otherwise. */
static struct p11_slot *
p11_known_slot(CK_SLOT_ID id)
{
	if (id == 0 || id >= P11_MAX_SLOTS)
		return NULL;
	if (p11_slots[id].id != id)
		(void)p11_refresh_slots();
	if (p11_slots[id].id != id)
		return NULL;
	return &p11_slots[id];
}

CK_RV
p11_enter_slot(CK_SLOT_ID id, const void *required, struct p11_slot **slot)
{
	if (!p11_initialized())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (required == NULL)
		return CKR_ARGUMENTS_BAD;
	p11_lock();
	if ((*slot = p11_known_slot(id)) == NULL) {
		p11_unlock();
		return CKR_SLOT_ID_INVALID;
	}
	return CKR_OK;
}

CK_RV
C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = 0, i;
	CK_RV rv = CKR_OK;

	if (!p11_initialized())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	p11_lock();
	(void)p11_refresh_slots();
	for (i = 1; i < P11_MAX_SLOTS; i++) {
		if (p11_slots[i].id != i || (token_present && !p11_slots[i].listed))
			continue;
		if (list != NULL && n < *count)
			list[n] = i;
		n++;
	}
	if (list != NULL && n > *count)
		rv = CKR_BUFFER_TOO_SMALL;
	*count = n;
	p11_unlock();
	return rv;
}

CK_RV
C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	struct p11_slot *sl;
	char desc[64];
	CK_RV rv;

	if ((rv = p11_enter_slot(id, info, &sl)) != CKR_OK)
		return rv;
	(void)p11_refresh_slots();
	memset(info, 0, sizeof(*info));
	snprintf(desc, sizeof(desc), "Parsec service, %s provider", p11_kind(id));
	p11_pad(info->slotDescription, sizeof(info->slotDescription), desc);
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID), sl->vendor);
	info->flags = CKF_REMOVABLE_DEVICE | (sl->listed ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion.major = (CK_BYTE)sl->version_maj;
	info->hardwareVersion.minor = (CK_BYTE)sl->version_min;
	p11_unlock();
	return CKR_OK;
}

static void
p11_token_fill(struct p11_slot *sl, CK_TOKEN_INFO *info)
{
	char label[64], serial[17];
	size_t i, n = 0;

	memset(info, 0, sizeof(*info));
	snprintf(label, sizeof(label), "Parsec %s", p11_kind(sl->id));
	p11_pad(info->label, sizeof(info->label), label);
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID), sl->vendor);
	p11_pad(info->model, sizeof(info->model), p11_kind(sl->id));
	for (i = 0; sl->uuid[i] != '\0' && n < 16; i++) {
		if (sl->uuid[i] != '-')
			serial[n++] = sl->uuid[i];
	}
	serial[n] = '\0';
	p11_pad(info->serialNumber, sizeof(info->serialNumber), serial);
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
	if (p11_slot_has_opcode(sl, 0x0D)) /* PsaGenerateRandom */
		info->flags |= CKF_RNG;
	info->ulMaxSessionCount = P11_MAX_SESSIONS;
	info->ulMaxRwSessionCount = P11_MAX_SESSIONS;
	info->ulSessionCount = CK_UNAVAILABLE_INFORMATION;
	info->ulRwSessionCount = CK_UNAVAILABLE_INFORMATION;
	info->ulMaxPinLen = 0;
	info->ulMinPinLen = 0;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.major = (CK_BYTE)sl->version_maj;
	info->hardwareVersion.minor = (CK_BYTE)sl->version_min;
	info->firmwareVersion = info->hardwareVersion;
	p11_pad(info->utcTime, sizeof(info->utcTime), "");
}

CK_RV
C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	struct p11_slot *sl;
	CK_RV rv;

	if ((rv = p11_enter_slot(id, info, &sl)) != CKR_OK)
		return rv;
	(void)p11_refresh_slots();
	if (!sl->listed) {
		p11_unlock();
		return CKR_TOKEN_NOT_PRESENT;
	}
	p11_token_fill(sl, info);
	p11_unlock();
	return CKR_OK;
}

CK_RV
C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	if (!p11_initialized())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV
C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	CK_MECHANISM_TYPE mechs[64];
	struct p11_slot *sl;
	size_t n = 0;
	CK_RV rv;

	if ((rv = p11_enter_slot(id, count, &sl)) != CKR_OK)
		return rv;
	rv = p11_mech_list(sl, mechs, sizeof(mechs) / sizeof(mechs[0]), &n);
	p11_unlock();
	if (rv != CKR_OK)
		return rv;
	if (list != NULL) {
		if (*count < n) {
			*count = n;
			return CKR_BUFFER_TOO_SMALL;
		}
		memcpy(list, mechs, n * sizeof(mechs[0]));
	}
	*count = n;
	return CKR_OK;
}

CK_RV
C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	struct p11_slot *sl;
	CK_RV rv;

	if ((rv = p11_enter_slot(id, info, &sl)) != CKR_OK)
		return rv;
	rv = p11_mech_info(sl, type, info);
	p11_unlock();
	return rv;
}

void
p11_op_end(struct p11_op *op)
{
	p11_md_free(op);
	free(op->found);
	if (op->nonce != NULL)
		explicit_bzero(op->nonce, op->nonce_len);
	if (op->aad != NULL)
		explicit_bzero(op->aad, op->aad_len);
	free(op->nonce);
	free(op->aad);
	explicit_bzero(op, sizeof(*op));
}

void
p11_session_reset(struct p11_session *s)
{
	size_t i;

	for (i = 0; i < P11_OP_COUNT; i++)
		p11_op_end(&s->op[i]);
	s->open = 0;
}

CK_RV
C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
    CK_SESSION_HANDLE_PTR session)
{
	struct p11_slot *sl;
	size_t i;
	CK_RV rv;

	if ((rv = p11_enter_slot(id, session, &sl)) != CKR_OK)
		return rv;
	if (!(flags & CKF_SERIAL_SESSION) || !sl->listed) {
		p11_unlock();
		return sl->listed ? CKR_SESSION_PARALLEL_NOT_SUPPORTED : CKR_TOKEN_NOT_PRESENT;
	}
	for (i = 0; i < P11_MAX_SESSIONS; i++) {
		if (!p11_sessions[i].open)
			break;
	}
	if (i == P11_MAX_SESSIONS) {
		p11_unlock();
		return CKR_SESSION_COUNT;
	}
	memset(&p11_sessions[i], 0, sizeof(p11_sessions[i]));
	p11_sessions[i].open = 1;
	p11_sessions[i].slot = id;
	p11_sessions[i].flags = flags;
	*session = i + 1;
	p11_unlock();
	return CKR_OK;
}

/* With its last session closed a token's login ends (specification 5.6). */
static void
p11_slot_session_closed(CK_SLOT_ID id)
{
	size_t i;

	for (i = 0; i < P11_MAX_SESSIONS; i++) {
		if (p11_sessions[i].open && p11_sessions[i].slot == id)
			return;
	}
	p11_slots[id].logged_in = 0;
}

CK_RV
C_CloseSession(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	CK_SLOT_ID slot;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	slot = s->slot;
	p11_session_reset(s);
	p11_slot_session_closed(slot);
	p11_unlock();
	return CKR_OK;
}

CK_RV
C_CloseAllSessions(CK_SLOT_ID id)
{
	struct p11_slot *sl;
	size_t i;
	CK_RV rv;

	if ((rv = p11_enter_slot(id, &id, &sl)) != CKR_OK)
		return rv;
	for (i = 0; i < P11_MAX_SESSIONS; i++) {
		if (p11_sessions[i].open && p11_sessions[i].slot == id)
			p11_session_reset(&p11_sessions[i]);
	}
	sl->logged_in = 0;
	p11_unlock();
	return CKR_OK;
}

CK_RV
C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct p11_session *s;
	int rw, user;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if (info == NULL) {
		p11_unlock();
		return CKR_ARGUMENTS_BAD;
	}
	info->slotID = s->slot;
	info->flags = s->flags;
	rw = (s->flags & CKF_RW_SESSION) != 0;
	user = p11_slots[s->slot].logged_in;
	info->state = user ? (rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS) :
	    (rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION);
	info->ulDeviceError = 0;
	p11_unlock();
	return CKR_OK;
}

/* No PIN exists: a PIN given is not looked at, let alone kept. */
CK_RV
C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	sl = &p11_slots[s->slot];
	if (user == CKU_CONTEXT_SPECIFIC)
		rv = sl->logged_in ? CKR_OK : CKR_USER_NOT_LOGGED_IN;
	else if (user != CKU_USER)
		rv = CKR_USER_TYPE_INVALID; /* CKU_SO: there is no security officer either */
	else if (sl->logged_in)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else
		sl->logged_in = 1;
	p11_unlock();
	return rv;
}

CK_RV
C_Logout(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if (!p11_slots[s->slot].logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	p11_slots[s->slot].logged_in = 0;
	p11_unlock();
	return rv;
}
