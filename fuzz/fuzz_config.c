/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: config.toml text through the TOML parser and the loader. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct parsec_config cfg;
	static int initialised;
	char err[CFG_ERR_MAX];

	if (!initialised) {
		log_init("fuzz", LOG_LVL_ERROR, 0);
		initialised = 1;
	}
	if (config_load_buffer("fuzz.toml", (const char *)data, size, &cfg, err, sizeof(err)) == 0)
		config_wipe_secrets(&cfg);
	return 0;
}
