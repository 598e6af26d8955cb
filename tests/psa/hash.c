/* hash.c: the hash family, one-shot and multipart, against FIPS 180-4's examples. */
#include <stdio.h>
#include <string.h>

#include "tp.h"

static const struct {
	const char	*name;
	psa_algorithm_t	 alg;
	const char	*abc;		/* the digest of "abc" */
} hash_algs[] = {
	{ "md5", PSA_ALG_MD5, "900150983cd24fb0d6963f7d28e17f72" },
	{ "ripemd160", PSA_ALG_RIPEMD160, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc" },
	{ "sha1", PSA_ALG_SHA_1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "sha224", PSA_ALG_SHA_224, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7" },
	{ "sha256", PSA_ALG_SHA_256,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "sha384", PSA_ALG_SHA_384,
	    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
	    "8086072ba1e7cc2358baeca134c825a7" },
	{ "sha512", PSA_ALG_SHA_512,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
};

static uint8_t	 hash_msg[1000];

static void
hash_oneshot(const char *name, psa_algorithm_t alg, const char *abc)
{
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0;
	char call[64];
	psa_status_t st;

	st = psa_hash_compute(alg, (const uint8_t *)"abc", 3, out, sizeof(out), &len);
	tp_hex("psa_hash_compute abc", st, out, len);
	snprintf(call, sizeof(call), "%s-abc", name);
	tp_kat(call, st, out, len, abc);
	st = psa_hash_compute(alg, hash_msg, sizeof(hash_msg), out, sizeof(out), &len);
	tp_hex("psa_hash_compute 1000", st, out, len);
	st = psa_hash_compute(alg, hash_msg, 0, out, sizeof(out), &len);
	tp_hex("psa_hash_compute empty", st, out, len);
	st = psa_hash_compute(alg, hash_msg, 10, out, PSA_HASH_LENGTH(alg) - 1, &len);
	tp_st("psa_hash_compute short-buffer", st);
}

static void
hash_compare(psa_algorithm_t alg)
{
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0;

	if (tp_st("psa_hash_compute", psa_hash_compute(alg, hash_msg, 77, out, sizeof(out),
	    &len)) != PSA_SUCCESS)
		return;
	tp_st("psa_hash_compare good", psa_hash_compare(alg, hash_msg, 77, out, len));
	out[len - 1] ^= 1;
	tp_st("psa_hash_compare flipped", psa_hash_compare(alg, hash_msg, 77, out, len));
	tp_st("psa_hash_compare short", psa_hash_compare(alg, hash_msg, 77, out, len - 1));
}

/* Updates of 1, 63, 64, 65, 127 and the rest bytes: block boundaries on both sides. */
static void
hash_multipart(psa_algorithm_t alg)
{
	static const size_t cuts[] = { 1, 63, 64, 65, 127, 1000 };
	psa_hash_operation_t op = PSA_HASH_OPERATION_INIT, copy = PSA_HASH_OPERATION_INIT;
	psa_hash_operation_t tmp = PSA_HASH_OPERATION_INIT;
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0, at = 0, i, n;
	psa_status_t st;

	if (tp_st("psa_hash_setup", psa_hash_setup(&op, alg)) != PSA_SUCCESS)
		return;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]) && at < sizeof(hash_msg); i++) {
		n = cuts[i] < sizeof(hash_msg) - at ? cuts[i] : sizeof(hash_msg) - at;
		tp_st("psa_hash_update", psa_hash_update(&op, hash_msg + at, n));
		at += n;
		if (i == 2)
			tp_st("psa_hash_clone", psa_hash_clone(&op, &copy));
	}
	tp_st("psa_hash_update zero", psa_hash_update(&op, hash_msg, 0));
	/* A failed finish leaves an operation that must be aborted: try it on a clone. */
	tp_st("psa_hash_clone", psa_hash_clone(&op, &tmp));
	tp_st("psa_hash_finish short-buffer",
	    psa_hash_finish(&tmp, out, PSA_HASH_LENGTH(alg) - 1, &len));
	tp_st("psa_hash_update after-error", psa_hash_update(&tmp, hash_msg, 1));
	tp_st("psa_hash_abort", psa_hash_abort(&tmp));
	st = psa_hash_finish(&op, out, sizeof(out), &len);
	tp_hex("psa_hash_finish", st, out, len);
	tp_st("psa_hash_update after-finish", psa_hash_update(&op, hash_msg, 1));
	tp_st("psa_hash_abort", psa_hash_abort(&op));
	/* The clone was taken after 128 bytes: finish it on a different tail. */
	tp_st("psa_hash_update clone", psa_hash_update(&copy, hash_msg, 5));
	st = psa_hash_finish(&copy, out, sizeof(out), &len);
	tp_hex("psa_hash_finish clone", st, out, len);
	tp_st("psa_hash_abort clone", psa_hash_abort(&copy));
}

static void
hash_verify(psa_algorithm_t alg)
{
	psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0;

	if (tp_st("psa_hash_compute", psa_hash_compute(alg, hash_msg, 300, out, sizeof(out),
	    &len)) != PSA_SUCCESS)
		return;
	tp_st("psa_hash_setup", psa_hash_setup(&op, alg));
	tp_st("psa_hash_update", psa_hash_update(&op, hash_msg, 300));
	tp_st("psa_hash_verify good", psa_hash_verify(&op, out, len));
	tp_st("psa_hash_setup", psa_hash_setup(&op, alg));
	tp_st("psa_hash_update", psa_hash_update(&op, hash_msg, 299));
	tp_st("psa_hash_verify bad", psa_hash_verify(&op, out, len));
	tp_st("psa_hash_abort", psa_hash_abort(&op));
	tp_st("psa_hash_setup", psa_hash_setup(&op, alg));
	tp_st("psa_hash_update", psa_hash_update(&op, hash_msg, 300));
	tp_st("psa_hash_verify short", psa_hash_verify(&op, out, len - 1));
	tp_st("psa_hash_abort", psa_hash_abort(&op));
}

/* FIPS 180-4's two-block examples (the 448-bit and 896-bit messages). */
static void
hash_long_kats(void)
{
	static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0;
	psa_status_t st;

	tp_case("hash fips-180-4 two-block");
	st = psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)m448, strlen(m448), out,
	    sizeof(out), &len);
	tp_kat("sha256-448bit", st, out, len,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	st = psa_hash_compute(PSA_ALG_SHA_512, (const uint8_t *)m896, strlen(m896), out,
	    sizeof(out), &len);
	tp_kat("sha512-896bit", st, out, len,
	    "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
	    "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

/* What the specification says of operations in the wrong state or with a wrong algorithm. */
static void
hash_errors(void)
{
	psa_hash_operation_t op = PSA_HASH_OPERATION_INIT, copy = PSA_HASH_OPERATION_INIT;
	uint8_t out[PSA_HASH_MAX_SIZE];
	size_t len = 0;

	tp_case("hash errors");
	tp_want("psa_hash_update inactive", psa_hash_update(&op, hash_msg, 1), PSA_ERROR_BAD_STATE);
	tp_want("psa_hash_finish inactive", psa_hash_finish(&op, out, sizeof(out), &len),
	    PSA_ERROR_BAD_STATE);
	tp_want("psa_hash_verify inactive", psa_hash_verify(&op, out, 32), PSA_ERROR_BAD_STATE);
	tp_want("psa_hash_clone inactive", psa_hash_clone(&op, &copy), PSA_ERROR_BAD_STATE);
	tp_want("psa_hash_abort inactive", psa_hash_abort(&op), PSA_SUCCESS);
	tp_want("psa_hash_setup not-a-hash", psa_hash_setup(&op, PSA_ALG_HMAC(PSA_ALG_SHA_256)),
	    PSA_ERROR_INVALID_ARGUMENT);
	tp_want("psa_hash_setup", psa_hash_setup(&op, PSA_ALG_SHA_256), PSA_SUCCESS);
	tp_want("psa_hash_setup again", psa_hash_setup(&op, PSA_ALG_SHA_256), PSA_ERROR_BAD_STATE);
	tp_st("psa_hash_abort", psa_hash_abort(&op));
	tp_want("psa_hash_setup", psa_hash_setup(&op, PSA_ALG_SHA_256), PSA_SUCCESS);
	tp_want("psa_hash_setup", psa_hash_setup(&copy, PSA_ALG_SHA_256), PSA_SUCCESS);
	tp_want("psa_hash_clone onto-active", psa_hash_clone(&op, &copy), PSA_ERROR_BAD_STATE);
	tp_st("psa_hash_abort", psa_hash_abort(&op));
	tp_st("psa_hash_abort", psa_hash_abort(&copy));
	tp_want("psa_hash_compute not-a-hash", psa_hash_compute(PSA_ALG_CMAC, hash_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_ARGUMENT);
	tp_want("psa_hash_compute any-hash", psa_hash_compute(PSA_ALG_ANY_HASH, hash_msg, 3, out,
	    sizeof(out), &len), PSA_ERROR_INVALID_ARGUMENT);
	/* The specification leaves these to the implementation: Mbed TLS's answer is the one. */
	tp_st("psa_hash_compare any-hash", psa_hash_compare(PSA_ALG_ANY_HASH, hash_msg, 3, out,
	    32));
	tp_st("psa_hash_setup any-hash", psa_hash_setup(&op, PSA_ALG_ANY_HASH));
	tp_st("psa_hash_abort", psa_hash_abort(&op));
}

int
main(void)
{
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(hash_msg); i++)
		hash_msg[i] = (uint8_t)(i * 7 % 251);
	tp_init();
	for (i = 0; i < sizeof(hash_algs) / sizeof(hash_algs[0]); i++) {
		snprintf(name, sizeof(name), "hash %s one-shot", hash_algs[i].name);
		tp_case(name);
		hash_oneshot(hash_algs[i].name, hash_algs[i].alg, hash_algs[i].abc);
		hash_compare(hash_algs[i].alg);
		snprintf(name, sizeof(name), "hash %s multipart", hash_algs[i].name);
		tp_case(name);
		hash_multipart(hash_algs[i].alg);
		snprintf(name, sizeof(name), "hash %s verify", hash_algs[i].name);
		tp_case(name);
		hash_verify(hash_algs[i].alg);
	}
	hash_long_kats();
	hash_errors();
	return tp_done();
}
