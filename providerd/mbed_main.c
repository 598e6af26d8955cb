/* SPDX-License-Identifier: Apache-2.0 */
/* parsec-provider-mbed: the provider core loop with the mbedtls backend. */
#include "providerd.h"

int
main(int argc, char **argv)
{
	return providerd_main(&prov_mbed_backend, argc, argv);
}
