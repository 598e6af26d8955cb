/* SPDX-License-Identifier: Apache-2.0 */
/* parsec-provider-tpm: the provider core loop with the TPM 2.0 backend. */
#include "providerd.h"

int
main(int argc, char **argv)
{
	return providerd_main(&prov_tpm_backend, argc, argv);
}
