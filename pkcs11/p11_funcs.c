/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The module's function list, and the functions a Parsec key has no use
 * for (PINs, copies, wrapping, recovery, dual-function updates, parallel
 * functions), which answer as the specification says for them.
 */
#include "p11.h"

static CK_RV
p11_not_supported(void)
{
	return p11_initialized() ? CKR_FUNCTION_NOT_SUPPORTED : CKR_CRYPTOKI_NOT_INITIALIZED;
}

#define P11_UNSUPPORTED(name, args) \
	CK_RV name args { return p11_not_supported(); }

P11_UNSUPPORTED(C_InitToken, (CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len,
    CK_UTF8CHAR_PTR label))
P11_UNSUPPORTED(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len))
P11_UNSUPPORTED(C_SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
    CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len))
P11_UNSUPPORTED(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state,
    CK_ULONG_PTR state_len))
P11_UNSUPPORTED(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state,
    CK_ULONG state_len, CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key))
P11_UNSUPPORTED(C_CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR copy))
P11_UNSUPPORTED(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key))
P11_UNSUPPORTED(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key))
P11_UNSUPPORTED(C_SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len,
    CK_BYTE_PTR sig, CK_ULONG_PTR sig_len))
P11_UNSUPPORTED(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key))
P11_UNSUPPORTED(C_VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len,
    CK_BYTE_PTR data, CK_ULONG_PTR len))
P11_UNSUPPORTED(C_DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len))
P11_UNSUPPORTED(C_DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len))
P11_UNSUPPORTED(C_SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len))
P11_UNSUPPORTED(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len))
P11_UNSUPPORTED(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
    CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR out_len))
P11_UNSUPPORTED(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE unwrapping, CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR tmpl,
    CK_ULONG count, CK_OBJECT_HANDLE_PTR key))
P11_UNSUPPORTED(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key))

/* Legacy functions: every session here is serial (specification 5.16). */
static CK_RV
p11_not_parallel(CK_SESSION_HANDLE h)
{
	CK_RV rv = p11_check_session(h);

	return rv == CKR_OK ? CKR_FUNCTION_NOT_PARALLEL : rv;
}

CK_RV
C_GetFunctionStatus(CK_SESSION_HANDLE h)
{
	return p11_not_parallel(h);
}

CK_RV
C_CancelFunction(CK_SESSION_HANDLE h)
{
	return p11_not_parallel(h);
}

CK_FUNCTION_LIST p11_function_list = {
	{ 2, 40 },
	C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,
	C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN,
	C_SetPIN, C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,
	C_GetOperationState, C_SetOperationState, C_Login, C_Logout, C_CreateObject,
	C_CopyObject, C_DestroyObject, C_GetObjectSize, C_GetAttributeValue,
	C_SetAttributeValue, C_FindObjectsInit, C_FindObjects, C_FindObjectsFinal,
	C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_DecryptInit, C_Decrypt,
	C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest, C_DigestUpdate, C_DigestKey,
	C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit,
	C_SignRecover, C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,
	C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate, C_DecryptDigestUpdate,
	C_SignEncryptUpdate, C_DecryptVerifyUpdate, C_GenerateKey, C_GenerateKeyPair,
	C_WrapKey, C_UnwrapKey, C_DeriveKey, C_SeedRandom, C_GenerateRandom,
	C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent,
};
