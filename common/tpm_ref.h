/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the TPM provider and the adoption of upstream Parsec's TPM keys
 * agree on, without the TPM's headers: the reference of an adopted key and
 * the mark that makes the provider recreate upstream's primary key.
 */
#ifndef PARSEC_TPM_REF_H
#define PARSEC_TPM_REF_H

/*
 * An adopted key's reference: TPM_REF_UPSTREAM, TPM_REF_UPSTREAM_VERSION,
 * then upstream's password, the key's public area and its wrapped private
 * part, each as the TPM marshals them (TPM2B_AUTH, TPM2B_PUBLIC, TPM2B_PRIVATE).
 * 0xff is never the first byte of a reference of ours (a TPM2B_PUBLIC's size).
 */
#define TPM_REF_UPSTREAM 0xff
#define TPM_REF_UPSTREAM_VERSION 1
/* In the provider's state directory once a key is adopted. */
#define TPM_REF_UPSTREAM_MARK "upstream-primary"

#endif
