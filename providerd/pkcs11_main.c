/* SPDX-License-Identifier: Apache-2.0 */
/* parsec-provider-pkcs11: the provider core loop with the PKCS#11 backend. */
#include "providerd.h"

int
main(int argc, char **argv)
{
	return providerd_main(&prov_pkcs11_backend, argc, argv);
}
