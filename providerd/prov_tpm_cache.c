/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TPM backend, the keys kept loaded: a least-recently-used set over the
 * transient slots the TPM reports free, so a key used again costs one command
 * (the operation) instead of three (load, operation, flush).
 *
 * A cached key is found by its whole reference (public and wrapped private
 * part), never by a name: two applications' keys cannot share an entry. What
 * is loaded is ours alone: flushed when its key is destroyed, evicted when the
 * TPM runs out of object memory, flushed at exit; objects a killed
 * predecessor left behind are found at start by their qualified name (children
 * of this service's primary) and flushed. When the TPM stops holding what we
 * think it holds (a reset, another program flushing), nothing is flushed by
 * handle: the handles may be someone else's now (prov_tpm_cache_stale).
 */
#include <stdlib.h>
#include <string.h>

#include <psa/crypto.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

#include "log.h"
#include "prov_tpm.h"

/* The first transient handle, 0x80000000. tss2's TPM2_TRANSIENT_FIRST shifts
 * the int 0x80 left by 24, which UBSan rightly refuses. */
#define TPM_TRANSIENT_FIRST ((TPM2_HANDLE)TPM2_HT_TRANSIENT << 24)

/* More than any TPM reports; a TPM reporting more gets this many. */
#define PROV_TPM_CACHE_MAX 16

struct tpm_cached {
	uint8_t ref[PROV_TPM_BLOB_MAX];
	size_t ref_len;      /* 0: the entry is free */
	ESYS_TR obj;
	uint64_t last_use;
};

static struct {
	struct tpm_cached entry[PROV_TPM_CACHE_MAX];
	size_t capacity;
	uint64_t clock;
	int stale; /* our handles may name other objects now: flush nothing */
} cache;

/* Flushes one entry; the TPM not answering is noted by prov_tpm_flush. */
static void
tpm_cache_flush(struct tpm_cached *c)
{
	prov_tpm_flush(c->obj);
	c->obj = ESYS_TR_NONE;
	c->ref_len = 0;
}

static struct tpm_cached *
tpm_cache_find(const uint8_t *ref, size_t ref_len)
{
	size_t i;

	for (i = 0; i < cache.capacity; i++)
		if (cache.entry[i].ref_len == ref_len &&
		    memcmp(cache.entry[i].ref, ref, ref_len) == 0)
			return &cache.entry[i];
	return NULL;
}

/* The least recently used entry, or a free one; NULL only with no capacity. */
static struct tpm_cached *
tpm_cache_victim(int used_only)
{
	struct tpm_cached *best = NULL;
	size_t i;

	for (i = 0; i < cache.capacity; i++) {
		struct tpm_cached *c = &cache.entry[i];

		if (c->ref_len == 0) {
			if (used_only)
				continue;
			return c;
		}
		if (best == NULL || c->last_use < best->last_use)
			best = c;
	}
	return best;
}

int
prov_tpm_cache_evict(void)
{
	struct tpm_cached *c = tpm_cache_victim(1);

	if (c == NULL)
		return -1;
	tpm_cache_flush(c);
	return 0;
}

/* Whether a TPM handle is one of our loaded primaries (the ESAPI has objects for it). */
static int
tpm_is_primary(TPM2_HANDLE handle)
{
	ESYS_TR primaries[2] = { prov_tpm_primary(), prov_tpm_upstream_primary() };
	TPM2_HANDLE held;
	size_t i;

	for (i = 0; i < 2; i++)
		if (primaries[i] != ESYS_TR_NONE && Esys_TR_GetTpmHandle(prov_tpm_esys,
		    primaries[i], &held) == TSS2_RC_SUCCESS && held == handle)
			return 1;
	return 0;
}

/*
 * A fresh object at a TPM handle we believe holds another of ours: that one
 * is gone without our knowing (another program flushed it). Our handles can
 * no longer be trusted.
 */
static int
tpm_cache_handle_reused(ESYS_TR obj)
{
	TPM2_HANDLE fresh, held;
	size_t i;

	if (Esys_TR_GetTpmHandle(prov_tpm_esys, obj, &fresh) != TSS2_RC_SUCCESS)
		return 1;
	if (tpm_is_primary(fresh))
		return 1;
	for (i = 0; i < cache.capacity; i++)
		if (cache.entry[i].ref_len != 0 && cache.entry[i].obj != obj &&
		    Esys_TR_GetTpmHandle(prov_tpm_esys, cache.entry[i].obj, &held) ==
		    TSS2_RC_SUCCESS && held == fresh)
			return 1;
	return 0;
}

/* Loads a key into entry c, evicting others while the TPM's memory is full. */
static psa_status_t
tpm_cache_load(struct tpm_cached *c, const struct tpm_key *key)
{
	ESYS_TR parent = prov_tpm_primary();
	TPM2B_AUTH auth;
	psa_status_t st;
	TSS2_RC rc;

	if (key->upstream && (st = prov_tpm_upstream_load(&parent)) != PSA_SUCCESS)
		return st;
	for (;;) {
		rc = Esys_Load(prov_tpm_esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, &key->priv, &key->pub, &c->obj);
		if (prov_tpm_rc_base(rc) != TPM2_RC_OBJECT_MEMORY || prov_tpm_cache_evict() == -1)
			break;
	}
	if (key->upstream && !prov_tpm_rc_lost(rc))
		prov_tpm_upstream_done(parent);
	if (rc != TSS2_RC_SUCCESS) {
		c->obj = ESYS_TR_NONE;
		if (prov_tpm_rc_lost(rc) || prov_tpm_rc_base(rc) == TPM2_RC_OBJECT_MEMORY)
			return prov_tpm_fail(rc, "TPM2_Load");
		/* Not a key wrapped by this TPM's primary (another TPM, a changed blob). */
		log_warnx("TPM2_Load: %s", Tss2_RC_Decode(rc));
		return PSA_ERROR_DATA_CORRUPT;
	}
	if (tpm_cache_handle_reused(c->obj)) {
		prov_tpm_cache_stale();
		prov_restart_after_reply("a TPM handle of ours was given to a new object");
		return PSA_ERROR_COMMUNICATION_FAILURE;
	}
	if (key->upstream) {
		(void)Esys_TR_SetAuth(prov_tpm_esys, c->obj, &key->auth);
	} else if (prov_tpm_key_has_auth(&key->pub.publicArea)) {
		prov_tpm_object_auth(&auth);
		(void)Esys_TR_SetAuth(prov_tpm_esys, c->obj, &auth);
	}
	return PSA_SUCCESS;
}

/*
 * The loaded object of a key, loading it (and evicting the least recently
 * used key, also when the TPM says its memory is full) on a miss.
 */
psa_status_t
prov_tpm_cache_get(const struct tpm_key *key, ESYS_TR *obj)
{
	const uint8_t *ref = key->ref;
	size_t ref_len = key->ref_len;
	struct tpm_cached *c;
	psa_status_t st;

	*obj = ESYS_TR_NONE;
	if (ref_len > PROV_TPM_BLOB_MAX)
		return PSA_ERROR_DATA_CORRUPT;
	if ((c = tpm_cache_find(ref, ref_len)) == NULL) {
		c = tpm_cache_victim(0);
		if (c->ref_len != 0)
			tpm_cache_flush(c);
		if ((st = tpm_cache_load(c, key)) != PSA_SUCCESS)
			return st;
		memcpy(c->ref, ref, ref_len);
		c->ref_len = ref_len;
	}
	c->last_use = ++cache.clock;
	*obj = c->obj;
	return PSA_SUCCESS;
}

/* A destroyed key leaves the TPM at once. */
void
prov_tpm_cache_forget(const uint8_t *ref, size_t ref_len)
{
	struct tpm_cached *c;

	if (!cache.stale && (c = tpm_cache_find(ref, ref_len)) != NULL)
		tpm_cache_flush(c);
}

void
prov_tpm_cache_stale(void)
{
	cache.stale = 1;
}

int
prov_tpm_cache_is_stale(void)
{
	return cache.stale;
}

/* Every cached key flushed (at exit); nothing when the handles are no longer ours. */
void
prov_tpm_cache_release(void)
{
	size_t i;

	for (i = 0; i < cache.capacity && !cache.stale; i++)
		if (cache.entry[i].ref_len != 0)
			tpm_cache_flush(&cache.entry[i]);
}

/* One TPM property (GetCapability, TPM2_CAP_TPM_PROPERTIES); def if it says nothing. */
uint32_t
prov_tpm_property(TPM2_PT property, uint32_t def)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	uint32_t value = def;

	if (Esys_GetCapability(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_CAP_TPM_PROPERTIES, property, 1, &more, &cap) != TSS2_RC_SUCCESS)
		return def;
	if (cap->data.tpmProperties.count == 1 &&
	    cap->data.tpmProperties.tpmProperty[0].property == property)
		value = cap->data.tpmProperties.tpmProperty[0].value;
	Esys_Free(cap);
	return value;
}

/* Whether qn is the qualified name of a child (with this name) of the parent named parent_qn. */
static int
tpm_child_of(const TPM2B_NAME *parent_qn, const TPM2B_NAME *name, const TPM2B_NAME *qn)
{
	uint8_t in[2 * sizeof(TPMU_NAME)], digest[PSA_HASH_MAX_SIZE];
	size_t len;

	if (qn->size != 2 + 32 || parent_qn->size + name->size > sizeof(in))
		return 0;
	memcpy(in, parent_qn->name, parent_qn->size);
	memcpy(in + parent_qn->size, name->name, name->size);
	if (psa_hash_compute(PSA_ALG_SHA_256, in, parent_qn->size + name->size, digest,
	    sizeof(digest), &len) != PSA_SUCCESS)
		return 0;
	return qn->name[0] == 0x00 && qn->name[1] == 0x0b && memcmp(qn->name + 2, digest, 32) == 0;
}

/*
 * Whether the transient object at handle is this service's: another copy of
 * our primary (same name) or a key loaded under it (qualified name).
 */
static int
tpm_leftover(TPM2_HANDLE handle, const TPM2B_NAME *primary_name, const TPM2B_NAME *primary_qn,
    ESYS_TR *tr)
{
	TPM2B_NAME *name = NULL, *qn = NULL;
	int ours;

	if (Esys_TR_FromTPMPublic(prov_tpm_esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    tr) != TSS2_RC_SUCCESS)
		return 0;
	if (Esys_ReadPublic(prov_tpm_esys, *tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
	    &name, &qn) != TSS2_RC_SUCCESS) {
		Esys_TR_Close(prov_tpm_esys, tr);
		return 0;
	}
	ours = (name->size == primary_name->size &&
	    memcmp(name->name, primary_name->name, name->size) == 0) ||
	    tpm_child_of(primary_qn, name, qn);
	Esys_Free(name);
	Esys_Free(qn);
	if (!ours)
		Esys_TR_Close(prov_tpm_esys, tr);
	return ours;
}

/*
 * Flushes what a worker of ours left loaded (killed before it could): copies
 * of the primary and keys under it. The number flushed.
 */
size_t
prov_tpm_cache_sweep(ESYS_TR primary)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPM2B_NAME *name = NULL, *qn = NULL;
	TPMI_YES_NO more;
	ESYS_TR tr;
	size_t i, swept = 0;

	if (primary == ESYS_TR_NONE || Esys_ReadPublic(prov_tpm_esys, primary, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, NULL, &name, &qn) != TSS2_RC_SUCCESS)
		return 0;
	if (Esys_GetCapability(prov_tpm_esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_CAP_HANDLES, TPM_TRANSIENT_FIRST, TPM2_MAX_CAP_HANDLES, &more, &cap) ==
	    TSS2_RC_SUCCESS) {
		for (i = 0; i < cap->data.handles.count; i++) {
			if (tpm_is_primary(cap->data.handles.handle[i]) ||
			    !tpm_leftover(cap->data.handles.handle[i], name, qn, &tr))
				continue;
			prov_tpm_flush(tr);
			swept++;
		}
		Esys_Free(cap);
	}
	Esys_Free(name);
	Esys_Free(qn);
	return swept;
}

/*
 * After the primary is loaded: leftovers flushed, then as many keys kept as
 * the TPM has transient slots free. A command that needs a slot of its own
 * (TPM2_Create, an endorsement key) evicts one when the TPM is full.
 */
int
prov_tpm_cache_init(const struct setup_provider *setup)
{
	uint32_t avail;
	size_t swept;
	int r;

	if ((swept = prov_tpm_cache_sweep(prov_tpm_primary())) > 0)
		log_info("flushed %zu objects a previous worker left in the TPM", swept);
	/* Upstream's primary once ours has room: it sweeps its own leftovers. */
	if ((r = prov_tpm_upstream_init(setup)) != 0)
		return r;
	avail = prov_tpm_property(TPM2_PT_HR_TRANSIENT_AVAIL, 2);
	cache.capacity = avail > 1 ? avail : 1;
	if (cache.capacity > PROV_TPM_CACHE_MAX)
		cache.capacity = PROV_TPM_CACHE_MAX;
	log_info("up to %zu keys stay loaded in the TPM (%u transient slots free)",
	    cache.capacity, avail);
	return 0;
}
