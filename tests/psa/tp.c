/* tp.c: transcript lines for the differential PSA programs (see tp.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

/* The status values of the PSA Cryptography API 1.0.1 (section 4.1.2), by number. */
static const struct {
	psa_status_t	 st;
	const char	*name;
} tp_names[] = {
	{ 0, "PSA_SUCCESS" },
	{ -132, "PSA_ERROR_GENERIC_ERROR" },
	{ -133, "PSA_ERROR_NOT_PERMITTED" },
	{ -134, "PSA_ERROR_NOT_SUPPORTED" },
	{ -135, "PSA_ERROR_INVALID_ARGUMENT" },
	{ -136, "PSA_ERROR_INVALID_HANDLE" },
	{ -137, "PSA_ERROR_BAD_STATE" },
	{ -138, "PSA_ERROR_BUFFER_TOO_SMALL" },
	{ -139, "PSA_ERROR_ALREADY_EXISTS" },
	{ -140, "PSA_ERROR_DOES_NOT_EXIST" },
	{ -141, "PSA_ERROR_INSUFFICIENT_MEMORY" },
	{ -142, "PSA_ERROR_INSUFFICIENT_STORAGE" },
	{ -143, "PSA_ERROR_INSUFFICIENT_DATA" },
	{ -145, "PSA_ERROR_COMMUNICATION_FAILURE" },
	{ -146, "PSA_ERROR_STORAGE_FAILURE" },
	{ -147, "PSA_ERROR_HARDWARE_FAILURE" },
	{ -148, "PSA_ERROR_INSUFFICIENT_ENTROPY" },
	{ -149, "PSA_ERROR_INVALID_SIGNATURE" },
	{ -150, "PSA_ERROR_INVALID_PADDING" },
	{ -151, "PSA_ERROR_CORRUPTION_DETECTED" },
	{ -152, "PSA_ERROR_DATA_CORRUPT" },
	{ -153, "PSA_ERROR_DATA_INVALID" },
};

const char *
tp_name(psa_status_t st)
{
	static char other[32];
	size_t i;

	for (i = 0; i < sizeof(tp_names) / sizeof(tp_names[0]); i++)
		if (tp_names[i].st == st)
			return tp_names[i].name;
	snprintf(other, sizeof(other), "status(%d)", (int)st);
	return other;
}

void
tp_case(const char *name)
{
	printf("# %s\n", name);
}

psa_status_t
tp_st(const char *call, psa_status_t st)
{
	printf("%s %s\n", call, tp_name(st));
	return st;
}

static void
tp_print_hex(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%02x", buf[i]);
}

psa_status_t
tp_hex(const char *call, psa_status_t st, const uint8_t *buf, size_t len)
{
	printf("%s %s", call, tp_name(st));
	if (st == PSA_SUCCESS) {
		printf(" ");
		tp_print_hex(buf, len);
	}
	printf("\n");
	return st;
}

psa_status_t
tp_len(const char *call, psa_status_t st, size_t len)
{
	printf("%s %s", call, tp_name(st));
	if (st == PSA_SUCCESS)
		printf(" len=%zu", len);
	printf("\n");
	return st;
}

psa_status_t
tp_sum(const char *call, psa_status_t st, const uint8_t *buf, size_t len)
{
	uint64_t sum = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
	size_t i;

	printf("%s %s", call, tp_name(st));
	if (st == PSA_SUCCESS) {
		for (i = 0; i < len; i++)
			sum = (sum ^ buf[i]) * 0x100000001b3u;
		printf(" len=%zu fnv=%016llx", len, (unsigned long long)sum);
	}
	printf("\n");
	return st;
}

psa_status_t
tp_want(const char *call, psa_status_t st, psa_status_t want)
{
	printf("%s %s", call, tp_name(st));
	if (st != want)
		printf(" (the specification says %s)", tp_name(want));
	printf("\n");
	return st;
}

void
tp_kat(const char *name, psa_status_t st, const uint8_t *got, size_t len, const char *want_hex)
{
	static uint8_t want[TP_BUF];
	size_t wlen;

	if (st != PSA_SUCCESS) {
		printf("kat %s %s\n", name, tp_name(st));
		return;
	}
	wlen = tp_unhex(want_hex, want, sizeof(want));
	if (wlen == len && memcmp(want, got, len) == 0) {
		printf("kat %s ok\n", name);
		return;
	}
	printf("kat %s MISMATCH got ", name);
	tp_print_hex(got, len);
	printf("\n");
}

void
tp_note(const char *fmt, ...)
{
	va_list ap;

	printf("note ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int
tp_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
tp_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *hex != '\0'; hex++) {
		if ((v = tp_nibble(*hex)) < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap) {
			fprintf(stderr, "tp_unhex: more than %zu bytes\n", cap);
			exit(2);
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return n;
}

void
tp_init(void)
{
	if (tp_st("psa_crypto_init", psa_crypto_init()) != PSA_SUCCESS)
		exit(1);
}

psa_key_id_t
tp_import(const char *call, psa_key_type_t type, psa_key_usage_t usage, psa_algorithm_t alg,
    const char *hex)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	static uint8_t data[TP_BUF];
	psa_key_id_t id = 0;
	size_t len;

	len = tp_unhex(hex, data, sizeof(data));
	psa_set_key_type(&attr, type);
	psa_set_key_usage_flags(&attr, usage);
	psa_set_key_algorithm(&attr, alg);
	if (tp_st(call, psa_import_key(&attr, data, len, &id)) != PSA_SUCCESS)
		id = 0;
	memset(data, 0, sizeof(data));
	return id;
}

psa_key_id_t
tp_generate(const char *call, psa_key_type_t type, size_t bits, psa_key_usage_t usage,
    psa_algorithm_t alg)
{
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t id = 0;

	psa_set_key_type(&attr, type);
	psa_set_key_bits(&attr, bits);
	psa_set_key_usage_flags(&attr, usage);
	psa_set_key_algorithm(&attr, alg);
	if (tp_st(call, psa_generate_key(&attr, &id)) != PSA_SUCCESS)
		id = 0;
	return id;
}

void
tp_policy(psa_key_id_t id)
{
	psa_key_attributes_t attrs = PSA_KEY_ATTRIBUTES_INIT;

	if (tp_st("psa_get_key_attributes", psa_get_key_attributes(id, &attrs)) == PSA_SUCCESS)
		tp_note("policy %08x", (unsigned)psa_get_key_algorithm(&attrs));
	psa_reset_key_attributes(&attrs);
}

void
tp_destroy(psa_key_id_t id)
{
	if (id != 0)
		tp_st("psa_destroy_key", psa_destroy_key(id));
}

int
tp_done(void)
{
	fflush(stdout);
	return 0;
}
