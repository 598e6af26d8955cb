/* Placeholder: the pkcs11 backend is being written (issue). It refuses to start. */
#include "log.h"
#include "providerd.h"

static int
prov_pkcs11_init(const struct setup_provider *setup)
{
	log_warnx("this build has no pkcs11 backend yet");
	return -1;
}

static void
prov_pkcs11_describe(struct op_provider_info *info)
{
	info->id = 2;
}

static size_t
prov_pkcs11_opcodes(uint32_t *ops, size_t max)
{
	return 0;
}

static void
prov_pkcs11_handle(const struct op_request *op, const uint8_t *key_ref, size_t key_ref_len,
    struct op_result *res, struct prov_out *out)
{
}

const struct prov_backend prov_pkcs11_backend = {
	.name = "provider-pkcs11",
	.provider_id = 2,
	.init = prov_pkcs11_init,
	.describe = prov_pkcs11_describe,
	.opcodes = prov_pkcs11_opcodes,
	.handle = prov_pkcs11_handle,
};
