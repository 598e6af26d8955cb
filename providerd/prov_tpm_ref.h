/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the TPM provider and parsecd's adoption of upstream Parsec's TPM keys
 * agree on, without the TPM's headers: the reference of an adopted key and
 * the mark that makes the provider recreate upstream's primary key.
 */
#ifndef PROV_TPM_REF_H
#define PROV_TPM_REF_H

/*
 * An adopted key's reference: PROV_TPM_UPSTREAM, PROV_TPM_UPSTREAM_VERSION,
 * then upstream's password, the key's public area and its wrapped private
 * part, each as the TPM marshals them (TPM2B_AUTH, TPM2B_PUBLIC, TPM2B_PRIVATE).
 * 0xff is never the first byte of a reference of ours (a TPM2B_PUBLIC's size).
 */
#define PROV_TPM_UPSTREAM 0xff
#define PROV_TPM_UPSTREAM_VERSION 1
/* In the provider's state directory once a key is adopted. */
#define PROV_TPM_UPSTREAM_MARK "upstream-primary"

#endif
