/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PSA internal trusted storage API as mbedtls 2.28 calls it (Debian does
 * not install its header); prov_mbed_its.c implements it.
 */
#ifndef PROV_MBED_ITS_H
#define PROV_MBED_ITS_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h>

typedef uint64_t psa_storage_uid_t;
typedef uint32_t psa_storage_create_flags_t;
struct psa_storage_info_t {
	uint32_t size;
	psa_storage_create_flags_t flags;
};
#define PROV_ITS_FLAG_WRITE_ONCE ((psa_storage_create_flags_t)1)

psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *info);
psa_status_t psa_its_get(psa_storage_uid_t uid, uint32_t offset, uint32_t length, void *data,
    size_t *data_length);
psa_status_t psa_its_set(psa_storage_uid_t uid, uint32_t length, const void *data,
    psa_storage_create_flags_t flags);
psa_status_t psa_its_remove(psa_storage_uid_t uid);

/*
 * The provider's own files beside PSA's, framed and written (durably, whole
 * or not at all) as PSA's are; name is a plain file name in the state
 * directory that no PSA file takes. get fails DATA_CORRUPT on more than cap.
 */
psa_status_t prov_its_file_set(const char *name, const void *data, uint32_t length);
psa_status_t prov_its_file_get(const char *name, void *data, uint32_t cap, size_t *length);
psa_status_t prov_its_file_remove(const char *name);

/*
 * The cause of the last failed write or removal (PSA_SUCCESS if none), and
 * forgets it: mbedtls turns every storage failure into DATA_INVALID.
 */
psa_status_t prov_its_take_error(void);

#endif
