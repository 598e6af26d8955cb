/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adoption of upstream Parsec's TPM keys. Upstream 1.x (tss-esapi 7's
 * transient key context) keeps of a key only its public key, the private
 * part the TPM wrapped under upstream's primary, and the key's password. The
 * TPM checks the wrapped part against the name of the whole public area, so
 * that area is rebuilt here exactly as upstream's template made it (from the
 * key's attributes); the key stays where it is, a child of upstream's primary,
 * which our TPM provider recreates (the TPM derives it from the owner seed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tpm_ref.h"
#include "adopt.h"
#include "buf.h"
#include "log.h"

/* TPM 2.0 algorithm ids and object attributes (TPM 2.0 Part 2). */
#define TPM_ALG_RSA 0x0001
#define TPM_ALG_SHA256 0x000b
#define TPM_ALG_NULL 0x0010
#define TPM_ALG_RSASSA 0x0014
#define TPM_ALG_RSAPSS 0x0016
#define TPM_ALG_ECDSA 0x0018
#define TPM_ALG_ECC 0x0023
/* fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, sign; decrypt */
#define TPM_KEY_ATTRS 0x00040072u
#define TPM_DECRYPT 0x00020000u

#define PSA_SIGN_BASE(alg) ((alg) & ~0xffu)

/* What upstream's template of a key says beyond its public key. */
struct tpm_shape {
	uint16_t type, scheme, hash, curve, bits;
	uint32_t attrs;
};

/* A PSA hash to the TPM's (upstream's convert_hash_to_tpm), 0 if upstream has none. */
static uint16_t
tpm_hash(uint32_t alg)
{
	static const struct {
		uint8_t psa;
		uint16_t tpm;
	} map[] = { { 0x05, 0x0004 }, { 0x09, 0x000b }, { 0x0a, 0x000c }, { 0x0b, 0x000d },
		{ 0x10, 0x0027 }, { 0x11, 0x0028 }, { 0x12, 0x0029 } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((alg & 0xffu) == map[i].psa)
			return map[i].tpm;
	return 0;
}

/*
 * upstream's parsec_to_tpm_params and get_public_from_params: a signing key
 * carries its scheme (RSASSA, RSAPSS, ECDSA with the policy's hash); a
 * decryption key (PKCS#1 v1.5 or OAEP) has none and may decrypt. Only what
 * parsecd's provider serves: RSA 1024 to 4096, NIST P-256 and P-384.
 */
static const char *
tpm_shape(const struct op_key_attrs *a, struct tpm_shape *s)
{
	uint32_t base = PSA_SIGN_BASE(a->alg);

	memset(s, 0, sizeof(*s));
	s->attrs = TPM_KEY_ATTRS;
	s->scheme = TPM_ALG_NULL;
	if ((a->type & 0xcfffu) == 0x4001u) { /* RSA key pair or public key */
		s->type = TPM_ALG_RSA;
		s->bits = (uint16_t)a->bits;
		if (base == 0x06000200u || base == 0x06000300u) {
			s->scheme = base == 0x06000200u ? TPM_ALG_RSASSA : TPM_ALG_RSAPSS;
			s->hash = tpm_hash(a->alg);
		} else if (a->alg == 0x07000200u || base == 0x07000300u) {
			s->attrs |= TPM_DECRYPT;
		} else
			return "a policy upstream's TPM provider does not give RSA keys";
		if (a->bits != 1024 && a->bits != 2048 && a->bits != 3072 && a->bits != 4096)
			return "an RSA size parsecd's TPM provider does not serve";
	} else if ((a->type & 0xcf00u) == 0x4100u && (a->type & 0xffu) == 0x12u) { /* SECP R1 */
		s->type = TPM_ALG_ECC;
		s->bits = (uint16_t)a->bits;
		s->scheme = TPM_ALG_ECDSA;
		s->hash = base == 0x06000600u ? tpm_hash(a->alg) : 0;
		s->curve = a->bits == 256 ? 0x0003 : a->bits == 384 ? 0x0004 : 0;
		if (s->curve == 0)
			return "a curve parsecd's TPM provider does not serve";
	} else
		return "a key type upstream's TPM provider does not make";
	if (s->scheme != TPM_ALG_NULL && s->hash == 0)
		return "a policy upstream's TPM provider does not give its keys";
	return NULL;
}

static void
put16(struct buf_writer *w, size_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	buf_put_bytes(w, b, 2);
}

static void
put_tpm2b(struct buf_writer *w, const uint8_t *p, size_t len)
{
	put16(w, len);
	buf_put_bytes(w, p, len);
}

/* The marshalled TPMT_PUBLIC of the key, as the TPM made it. */
static void
tpm_public(struct buf_writer *w, const struct tpm_shape *s, const struct adopt_tpm_id *id)
{
	uint8_t attrs[4];

	put16(w, s->type);
	put16(w, TPM_ALG_SHA256);
	attrs[0] = (uint8_t)(s->attrs >> 24);
	attrs[1] = (uint8_t)(s->attrs >> 16);
	attrs[2] = (uint8_t)(s->attrs >> 8);
	attrs[3] = (uint8_t)s->attrs;
	buf_put_bytes(w, attrs, 4);
	put16(w, 0); /* no policy */
	put16(w, TPM_ALG_NULL); /* no symmetric algorithm */
	put16(w, s->scheme);
	if (s->scheme != TPM_ALG_NULL)
		put16(w, s->hash);
	if (s->type == TPM_ALG_RSA) {
		put16(w, s->bits);
		buf_put_bytes(w, (const uint8_t[4]){ 0, 0, 0, 0 }, 4); /* the default exponent */
		put_tpm2b(w, id->x, id->x_len);
	} else {
		put16(w, s->curve);
		put16(w, TPM_ALG_NULL); /* no KDF */
		put_tpm2b(w, id->x, id->x_len);
		put_tpm2b(w, id->y, id->y_len);
	}
}

/* Our key reference (tpm_ref.h): marker, version, password, public, private. */
static int
tpm_ref(const struct tpm_shape *s, const struct adopt_tpm_id *id, struct kim_entry *e)
{
	struct buf_writer w, area;
	uint8_t pub[1024];

	buf_writer_init(&area, pub, sizeof(pub));
	tpm_public(&area, s, id);
	buf_writer_init(&w, e->key_ref, sizeof(e->key_ref));
	buf_put_bytes(&w, (const uint8_t[2]){ TPM_REF_UPSTREAM, TPM_REF_UPSTREAM_VERSION }, 2);
	put_tpm2b(&w, id->auth, id->auth_len);
	put_tpm2b(&w, pub, area.off);
	put_tpm2b(&w, id->priv, id->priv_len);
	explicit_bzero(pub, sizeof(pub));
	if (!buf_writer_ok(&area) || !buf_writer_ok(&w))
		return -1;
	e->key_ref_len = w.off;
	return 0;
}

/* What the key id says cannot be served: a reason, or NULL. */
static const char *
tpm_check(const struct adopt_tpm_id *id, const struct tpm_shape *s, int pair)
{
	size_t cb = s->bits / 8u;

	if (id->legacy)
		return "a TPM key in the format of upstream's releases before 1.0 (a saved "
		    "context): use it once with upstream 1.x, which converts it";
	if (id->auth_len > 64 || (pair != (id->priv_len > 0)))
		return "a TPM key id that does not match its attributes";
	if (s->type == TPM_ALG_RSA ? !id->rsa || id->x_len != cb :
	    id->rsa || id->x_len == 0 || id->x_len > cb || id->y_len == 0 || id->y_len > cb)
		return "a public key that does not match its attributes";
	return NULL;
}

/* In the provider's directory: its worker makes upstream's primary at start. */
static int
tpm_mark(int dirfd)
{
	static const char text[] = "keys adopted from upstream Parsec are children of its "
	    "primary key: the TPM provider makes it at start while this file is here\n";
	int fd, ok;

	fd = openat(dirfd, TPM_REF_UPSTREAM_MARK, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	ok = write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1 && fsync(fd) == 0;
	close(fd);
	return ok && fsync(dirfd) == 0 ? 0 : -1;
}

int
adopt_tpm(struct adopt_run *run, const struct adopt_key *k, const struct cfg_provider *p)
{
	struct adopt_tpm_id id;
	struct tpm_shape s;
	struct kim_entry e;
	char source[CFG_LONGPATH_MAX + 96];
	const char *why = NULL;
	int dirfd, r;

	memset(&e, 0, sizeof(e));
	if (adopt_bincode_tpm(k->key_id, k->key_id_len, &id) == -1)
		why = "a key id that is not a TPM provider's";
	else if (adopt_bincode_attrs(k->attributes, k->attributes_len, &e.attrs) == -1)
		why = "key attributes this build cannot read";
	else if ((why = tpm_shape(&e.attrs, &s)) == NULL)
		why = tpm_check(&id, &s, (e.attrs.type & 0x7000u) == 0x7000u);
	if (why == NULL && tpm_ref(&s, &id, &e) == -1)
		why = "a TPM key id too large";
	if (why != NULL) {
		adopt_count_skip(run, k, why, "");
		explicit_bzero(&e, sizeof(e));
		return 1;
	}
	if (run->dry_run) {
		printf("adopt %s %s %s: %s, a key under upstream's primary key\n", adopt_auth(k),
		    k->app, k->name, p->name);
		explicit_bzero(&e, sizeof(e));
		return 0;
	}
	adopt_entry(&e, k, p);
	snprintf(source, sizeof(source), "%s %s, a TPM key under upstream's primary key",
	    run->source_kind, run->source);
	if ((dirfd = adopt_state_dir(run, p)) == -1 || tpm_mark(dirfd) == -1) {
		log_warn("%s/%s/%s", run->cfg->state_dir, p->name, TPM_REF_UPSTREAM_MARK);
		r = -1;
	} else
		r = kim_adopt_insert(&e, source, 0);
	if (dirfd != -1)
		close(dirfd);
	explicit_bzero(&e, sizeof(e));
	return r;
}
