/* Placeholder: the tpm backend is being written (issue). It refuses to start. */
#include "log.h"
#include "providerd.h"

static int
prov_tpm_init(const struct setup_provider *setup)
{
	log_warnx("this build has no tpm backend yet");
	return -1;
}

static void
prov_tpm_describe(struct op_provider_info *info)
{
	info->id = 3;
}

static size_t
prov_tpm_opcodes(uint32_t *ops, size_t max)
{
	return 0;
}

static void
prov_tpm_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
}

const struct prov_backend prov_tpm_backend = {
	.name = "provider-tpm",
	.provider_id = 3,
	.init = prov_tpm_init,
	.describe = prov_tpm_describe,
	.opcodes = prov_tpm_opcodes,
	.handle = prov_tpm_handle,
};
