/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create-csr: a PKCS#10 certificate signing request for a service-held key,
 * signed through the service with the scheme the key's policy names (RSA
 * PKCS#1 v1.5, RSA-PSS, ECDSA on P-256/P-384). The subject is written in
 * upstream parsec-tool's order (CN, OU, O, L, ST, C, serialNumber) as
 * UTF8Strings; --san names go into an extensionRequest attribute.
 */
#include <arpa/inet.h>
#include <string.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>

#include "tool.h"

/* A DER writer that goes backwards, as mbedtls' writers do, and remembers a failure. */
struct tool_der {
	unsigned char *p, *start;
	int failed;
};

static size_t
der_add(struct tool_der *w, int written)
{
	if (written < 0) {
		w->failed = 1;
		return 0;
	}
	return (size_t)written;
}

/* Wraps the len bytes just written in tag. */
static size_t
der_wrap(struct tool_der *w, size_t len, unsigned char tag)
{
	len += der_add(w, mbedtls_asn1_write_len(&w->p, w->start, len));
	return len + der_add(w, mbedtls_asn1_write_tag(&w->p, w->start, tag));
}

#define DER_SEQUENCE (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define DER_SET (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define DER_OID(w, oid) der_add(w, mbedtls_asn1_write_oid(&(w)->p, (w)->start, oid, \
	MBEDTLS_OID_SIZE(oid)))

static const struct {
	enum tool_opt_id id;
	const char *oid;
	size_t oid_len;
} tool_dn_attrs[] = {
	{ OPT_CN, MBEDTLS_OID_AT_CN, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) },
	{ OPT_OU, MBEDTLS_OID_AT_ORG_UNIT, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT) },
	{ OPT_O, MBEDTLS_OID_AT_ORGANIZATION, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORGANIZATION) },
	{ OPT_L, MBEDTLS_OID_AT_LOCALITY, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_LOCALITY) },
	{ OPT_ST, MBEDTLS_OID_AT_STATE, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_STATE) },
	{ OPT_C, MBEDTLS_OID_AT_COUNTRY, MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_COUNTRY) },
	{ OPT_SERIAL, MBEDTLS_OID_AT_SERIAL_NUMBER,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_SERIAL_NUMBER) },
};

static size_t
tool_csr_subject(struct tool_der *w, const struct tool_args *args)
{
	size_t i = sizeof(tool_dn_attrs) / sizeof(tool_dn_attrs[0]), len = 0, rdn;
	const char *value;

	while (i-- > 0) {
		if ((value = args->value[tool_dn_attrs[i].id]) == NULL)
			continue;
		rdn = der_add(w, mbedtls_asn1_write_utf8_string(&w->p, w->start, value,
		    strlen(value)));
		rdn += der_add(w, mbedtls_asn1_write_oid(&w->p, w->start, tool_dn_attrs[i].oid,
		    tool_dn_attrs[i].oid_len));
		rdn = der_wrap(w, rdn, DER_SEQUENCE);
		len += der_wrap(w, rdn, DER_SET);
	}
	return der_wrap(w, len, DER_SEQUENCE);
}

/* One GeneralName: an IP address when it reads as one, else an ASCII DNS name. */
static size_t
tool_csr_general_name(struct tool_der *w, const char *name)
{
	unsigned char ip[16];
	const char *c;

	if (inet_pton(AF_INET, name, ip) == 1)
		return der_add(w, mbedtls_asn1_write_tagged_string(&w->p, w->start,
		    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, (const char *)ip, 4));
	if (inet_pton(AF_INET6, name, ip) == 1)
		return der_add(w, mbedtls_asn1_write_tagged_string(&w->p, w->start,
		    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, (const char *)ip, 16));
	for (c = name; *c != '\0'; c++)
		if ((unsigned char)*c > 0x7f)
			w->failed = 2;
	return der_add(w, mbedtls_asn1_write_tagged_string(&w->p, w->start,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2, name, strlen(name)));
}

/* [0] attributes: empty, or an extensionRequest holding subjectAltName. */
static size_t
tool_csr_attributes(struct tool_der *w, const struct tool_args *args, int empty_subject)
{
	size_t len = 0, i = args->san_count;

	if (i == 0)
		return der_wrap(w, 0, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED);
	while (i-- > 0)
		len += tool_csr_general_name(w, args->san[i]);
	len = der_wrap(w, len, DER_SEQUENCE);
	len = der_wrap(w, len, MBEDTLS_ASN1_OCTET_STRING);
	/* RFC 5280: the names are critical when they are all there is of the subject. */
	if (empty_subject)
		len += der_add(w, mbedtls_asn1_write_bool(&w->p, w->start, 1));
	len += DER_OID(w, MBEDTLS_OID_SUBJECT_ALT_NAME);
	len = der_wrap(w, der_wrap(w, len, DER_SEQUENCE), DER_SEQUENCE);
	len = der_wrap(w, len, DER_SET);
	len += DER_OID(w, MBEDTLS_OID_PKCS9_CSR_EXT_REQ);
	len = der_wrap(w, len, DER_SEQUENCE);
	return der_wrap(w, len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED);
}

static int
tool_csr_subject_empty(const struct tool_args *args)
{
	size_t i;

	for (i = 0; i < sizeof(tool_dn_attrs) / sizeof(tool_dn_attrs[0]); i++)
		if (args->value[tool_dn_attrs[i].id] != NULL)
			return 0;
	return 1;
}

/* CertificationRequestInfo: version 0, subject, the key, attributes. */
static size_t
tool_csr_info(struct tool_der *w, const struct tool_args *args, const uint8_t *spki,
    size_t spki_len)
{
	size_t len = tool_csr_attributes(w, args, tool_csr_subject_empty(args));

	len += der_add(w, mbedtls_asn1_write_raw_buffer(&w->p, w->start, spki, spki_len));
	len += tool_csr_subject(w, args);
	len += der_add(w, mbedtls_asn1_write_int(&w->p, w->start, 0));
	return der_wrap(w, len, DER_SEQUENCE);
}

static size_t
tool_csr_hash_id(struct tool_der *w, mbedtls_md_type_t md)
{
	const char *oid;
	size_t oid_len;

	if (mbedtls_oid_get_oid_by_md(md, &oid, &oid_len) != 0) {
		w->failed = 1;
		return 0;
	}
	return der_add(w, mbedtls_asn1_write_algorithm_identifier(&w->p, w->start, oid, oid_len,
	    0));
}

/* RSASSA-PSS-params: the hash, MGF1 with the same hash, the salt as long as the hash. */
static size_t
tool_csr_pss_id(struct tool_der *w, mbedtls_md_type_t md)
{
	size_t len, mgf;

	len = der_add(w, mbedtls_asn1_write_int(&w->p, w->start, md == MBEDTLS_MD_SHA384 ? 48 :
	    32));
	len = der_wrap(w, len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 2);
	mgf = tool_csr_hash_id(w, md);
	mgf += DER_OID(w, MBEDTLS_OID_MGF1);
	len += der_wrap(w, der_wrap(w, mgf, DER_SEQUENCE),
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 1);
	len += der_wrap(w, tool_csr_hash_id(w, md),
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0);
	len = der_wrap(w, len, DER_SEQUENCE);
	len += DER_OID(w, MBEDTLS_OID_RSASSA_PSS);
	return der_wrap(w, len, DER_SEQUENCE);
}

/* The AlgorithmIdentifier of the signature the key makes. */
static size_t
tool_csr_sig_id(struct tool_der *w, uint32_t alg, mbedtls_md_type_t md)
{
	const char *oid;
	size_t oid_len, len;

	if ((alg & ~0xffu) == TOOL_PSA_ALG_RSA_PSS_BASE)
		return tool_csr_pss_id(w, md);
	if (mbedtls_oid_get_oid_by_sig_alg(tool_is_ecdsa(alg) ? MBEDTLS_PK_ECDSA : MBEDTLS_PK_RSA,
	    md, &oid, &oid_len) != 0) {
		w->failed = 1;
		return 0;
	}
	if (!tool_is_ecdsa(alg)) /* RSA PKCS#1 v1.5: NULL parameters */
		return der_add(w, mbedtls_asn1_write_algorithm_identifier(&w->p, w->start, oid,
		    oid_len, 0));
	len = der_add(w, mbedtls_asn1_write_oid(&w->p, w->start, oid, oid_len));
	return der_wrap(w, len, DER_SEQUENCE);
}

/* The hash a request signed with this key uses, as upstream picks it; -1 when there is none. */
static int
tool_csr_md(const struct parsec_key_attributes *a, mbedtls_md_type_t *md)
{
	uint32_t base = a->alg & ~0xffu, hash = a->alg & 0xff;

	if (!tool_is_sign_alg(a->alg)) {
		tool_error("Specified key is not an asymmetric signing key, which is needed for "
		    "certificate requests.");
		return -1;
	}
	*md = hash == 0x0a ? MBEDTLS_MD_SHA384 : hash == 0x0b ? MBEDTLS_MD_SHA512 :
	    MBEDTLS_MD_SHA256;
	if (base == TOOL_PSA_ALG_RSA_PKCS1V15_SIGN_BASE && (hash == TOOL_PSA_HASH_ANY ||
	    (hash >= 0x09 && hash <= 0x0b)))
		return 0;
	if (base == TOOL_PSA_ALG_RSA_PSS_BASE && (hash == TOOL_PSA_HASH_ANY || hash == 0x09 ||
	    hash == 0x0a))
		return 0;
	if (base == TOOL_PSA_ALG_ECDSA_BASE && a->type == TOOL_PSA_ECC_PAIR_SECP_R1 &&
	    (((hash == 0x09 || hash == TOOL_PSA_HASH_ANY) && a->bits == 256) ||
	    (hash == 0x0a && a->bits == 384)))
		return 0;
	tool_error("The key's type, size and algorithm make no signature certificate requests "
	    "can carry.");
	return -1;
}

static int
tool_csr_write(const uint8_t *info, size_t info_len,
    uint32_t alg, mbedtls_md_type_t md, const uint8_t *sig, size_t sig_len)
{
	static unsigned char buf[3 * TOOL_BUF];
	struct tool_der w = { buf + sizeof(buf), buf, 0 };
	size_t len;

	len = der_add(&w, mbedtls_asn1_write_bitstring(&w.p, w.start, sig, 8 * sig_len));
	len += tool_csr_sig_id(&w, alg, md);
	len += der_add(&w, mbedtls_asn1_write_raw_buffer(&w.p, w.start, info, info_len));
	len = der_wrap(&w, len, DER_SEQUENCE);
	if (w.failed || tool_print_pem("CERTIFICATE REQUEST", w.p, len) != 0)
		return tool_fail(TOOL_INCORRECT_DATA);
	printf("\n");
	return 0;
}

int
tool_create_csr(parsec_client *client, const struct tool_args *args)
{
	static unsigned char buf[2 * TOOL_BUF];
	const char *key_name = args->value[OPT_KEY_NAME];
	struct tool_der w = { buf + sizeof(buf), buf, 0 };
	struct parsec_key_attributes attrs;
	uint8_t spki[TOOL_BUF], sig[1100];
	size_t spki_len, info_len, sig_len;
	mbedtls_md_type_t md;
	int st;

	if ((st = parsec_export_public_key_der(client, key_name, spki, sizeof(spki),
	    &spki_len)) != PARSEC_SUCCESS || (st = parsec_key_attributes(client, key_name,
	    &attrs)) != PARSEC_SUCCESS)
		return tool_status(st);
	if (tool_csr_md(&attrs, &md) == -1)
		return tool_fail(TOOL_NOT_SUPPORTED);
	info_len = tool_csr_info(&w, args, spki, spki_len);
	if (w.failed)
		return tool_fail(w.failed == 2 ? TOOL_BAD_NAME : TOOL_INCORRECT_DATA);
	st = tool_sign_with_policy(client, key_name, w.p, info_len, TOOL_PSA_ALG_SHA_256, sig,
	    sizeof(sig), &sig_len);
	if (st != 0)
		return st;
	return tool_csr_write(w.p, info_len, (attrs.alg & ~0xffu) | (md ==
	    MBEDTLS_MD_SHA384 ? 0x0a : md == MBEDTLS_MD_SHA512 ? 0x0b : 0x09), md, sig, sig_len);
}
