/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire statuses as PSA statuses: the service's PSA errors pass through
 * unchanged (PsaErrorX = 1000 - PSA_ERROR_X); the wire protocol's own
 * statuses and the library's become the PSA error nearest in meaning.
 */
#include "lpsa.h"

#define LPSA_WIRE_PSA_MIN 1132
#define LPSA_WIRE_PSA_MAX 1153

static const struct {
	int wire;
	psa_status_t psa;
} lpsa_status_table[] = {
	{ 1, PSA_ERROR_GENERIC_ERROR },		/* WrongProviderId */
	{ 2, PSA_ERROR_NOT_SUPPORTED },		/* ContentTypeNotSupported */
	{ 3, PSA_ERROR_NOT_SUPPORTED },		/* AcceptTypeNotSupported */
	{ 4, PSA_ERROR_NOT_SUPPORTED },		/* WireProtocolVersionNotSupported */
	{ 5, PSA_ERROR_GENERIC_ERROR },		/* ProviderNotRegistered: the library's provider is gone */
	{ 6, PSA_ERROR_GENERIC_ERROR },		/* ProviderDoesNotExist */
	{ 7, PSA_ERROR_INVALID_ARGUMENT },	/* DeserializingBodyFailed: a value out of its range */
	{ 8, PSA_ERROR_GENERIC_ERROR },		/* SerializingBodyFailed */
	/* OpcodeDoesNotExist: a service without the extensions */
	{ LPSA_WIRE_NO_OPCODE, PSA_ERROR_NOT_SUPPORTED },
	{ 10, PSA_ERROR_INSUFFICIENT_MEMORY },	/* ResponseTooLarge */
	{ 11, PSA_ERROR_NOT_PERMITTED },	/* AuthenticationError */
	{ 12, PSA_ERROR_NOT_PERMITTED },	/* AuthenticatorDoesNotExist */
	{ 13, PSA_ERROR_NOT_PERMITTED },	/* AuthenticatorNotRegistered */
	{ 14, PSA_ERROR_STORAGE_FAILURE },	/* KeyInfoManagerError */
	{ 15, PSA_ERROR_COMMUNICATION_FAILURE },	/* ConnectionError */
	{ 16, PSA_ERROR_INVALID_ARGUMENT },	/* InvalidEncoding */
	{ 17, PSA_ERROR_COMMUNICATION_FAILURE },	/* InvalidHeader */
	{ 18, PSA_ERROR_GENERIC_ERROR },	/* WrongProviderUuid */
	{ 19, PSA_ERROR_NOT_PERMITTED },	/* NotAuthenticated */
	/*
	 * BodySizeExceedsLimit: an input longer than the service takes in one
	 * request, where no multipart operation could carry it; an operation
	 * parsecd cannot do is NOT_SUPPORTED, as where a provider lacks one.
	 */
	{ 20, PSA_ERROR_NOT_SUPPORTED },
	{ 21, PSA_ERROR_NOT_PERMITTED },	/* AdminOperation */
	{ 22, PSA_ERROR_NOT_SUPPORTED },	/* DeprecatedPrimitive: refused by the service's policy */
	{ PARSEC_ERR_SETTING_ENDPOINT, PSA_ERROR_COMMUNICATION_FAILURE },
	{ PARSEC_ERR_SETTING_PROVIDER, PSA_ERROR_INVALID_ARGUMENT },
};

psa_status_t
lpsa_status(int wire)
{
	size_t i;

	if (wire == PARSEC_SUCCESS)
		return PSA_SUCCESS;
	if (wire >= LPSA_WIRE_PSA_MIN && wire <= LPSA_WIRE_PSA_MAX && wire != 1144)
		return (psa_status_t)(1000 - wire);
	for (i = 0; i < sizeof(lpsa_status_table) / sizeof(lpsa_status_table[0]); i++)
		if (lpsa_status_table[i].wire == wire)
			return lpsa_status_table[i].psa;
	return PSA_ERROR_GENERIC_ERROR;
}
