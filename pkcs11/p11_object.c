/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Objects: the caller's keys on a slot (ListKeys), their handles, names as
 * CKA_LABEL and CKA_ID, C_FindObjects* and C_DestroyObject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11.h"

static int
p11_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* label and CKA_ID from the key's name (p11.h says how). */
void
p11_key_parse_name(struct p11_key *k)
{
	const char *hash = strrchr(k->name, '#');
	size_t hex_len, i;
	uint8_t digest[32];

	if (hash != NULL) {
		hex_len = strlen(hash + 1);
		if (hex_len >= 2 && hex_len <= 2 * P11_MAX_ID && hex_len % 2 == 0) {
			for (i = 0; i < hex_len; i++) {
				if (p11_hexval(hash[1 + i]) < 0)
					break;
			}
			if (i == hex_len) {
				for (i = 0; i < hex_len / 2; i++)
					k->id[i] = (uint8_t)(p11_hexval(hash[1 + 2 * i]) << 4 |
					    p11_hexval(hash[2 + 2 * i]));
				k->id_len = hex_len / 2;
				k->label_len = (size_t)(hash - k->name);
				return;
			}
		}
	}
	k->label_len = strlen(k->name);
	if (p11_sha256((const uint8_t *)k->name, k->label_len, digest) == 0) {
		memcpy(k->id, digest, P11_DERIVED_ID_LEN);
		k->id_len = P11_DERIVED_ID_LEN;
	} else
		k->id_len = 0;
}

/* The key's index, added if new; the same index for the same slot and name. (size_t)-1: no room. */
size_t
p11_key_add(CK_SLOT_ID slot, const char *name, const struct parsec_key_attributes *a)
{
	struct p11_key *grown, *k;
	size_t i;

	for (i = 0; i < p11_key_count; i++) {
		k = &p11_keys[i];
		if (k->slot == slot && strcmp(k->name, name) == 0) {
			/* A key destroyed and made again under its name: its public half is new. */
			if (memcmp(&k->attr, a, sizeof(*a)) != 0 || !k->present)
				k->pub_len = 0;
			k->attr = *a;
			k->present = 1;
			return i;
		}
	}
	if (p11_key_count >= P11_MAX_KEYS * P11_MAX_SLOTS)
		return (size_t)-1;
	if ((p11_key_count & 63) == 0) {
		grown = realloc(p11_keys, (p11_key_count + 64) * sizeof(*p11_keys));
		if (grown == NULL)
			return (size_t)-1;
		p11_keys = grown;
	}
	k = &p11_keys[p11_key_count];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->slot = slot;
	k->attr = *a;
	k->present = 1;
	p11_key_parse_name(k);
	return p11_key_count++;
}

/* The slot's keys as the service lists them now. */
CK_RV
p11_refresh_keys(CK_SLOT_ID slot)
{
	struct parsec_key_info *infos;
	parsec_client *client;
	size_t count = 0, i;
	CK_RV rv;
	int st;

	if ((rv = p11_slot_client(0, &client)) != CKR_OK)
		return rv;
	if ((infos = calloc(P11_MAX_KEYS, sizeof(*infos))) == NULL)
		return CKR_HOST_MEMORY;
	st = parsec_list_keys(client, infos, P11_MAX_KEYS, &count);
	if (st != PARSEC_SUCCESS) {
		free(infos);
		return p11_status_rv(st);
	}
	for (i = 0; i < p11_key_count; i++) {
		if (p11_keys[i].slot == slot)
			p11_keys[i].present = 0;
	}
	for (i = 0; i < count && i < P11_MAX_KEYS; i++) {
		if (infos[i].provider_id == slot &&
		    p11_key_add(slot, infos[i].name, &infos[i].attributes) == (size_t)-1) {
			free(infos);
			return CKR_HOST_MEMORY;
		}
	}
	free(infos);
	return CKR_OK;
}

/* Whether the key has an object on the private handle: a key pair's private key, or a secret key. */
static int
p11_key_has_private(const struct p11_key *k)
{
	return PARSEC_PSA_KEY_TYPE_IS_KEY_PAIR(k->attr.type) || P11_KEY_IS_SECRET(k);
}

CK_RV
p11_key_by_handle(CK_SLOT_ID slot, CK_OBJECT_HANDLE h, size_t *key, int *is_private)
{
	size_t k;

	if (h == 0)
		return CKR_OBJECT_HANDLE_INVALID;
	k = (size_t)((h - 1) / 2);
	if (k >= p11_key_count || p11_keys[k].slot != slot || !p11_keys[k].present)
		return CKR_OBJECT_HANDLE_INVALID;
	*is_private = (h % 2) == 1;
	if (*is_private ? !p11_key_has_private(&p11_keys[k]) : P11_KEY_IS_SECRET(&p11_keys[k]))
		return CKR_OBJECT_HANDLE_INVALID;
	*key = k;
	return CKR_OK;
}

/* The key's public half in the service's export format, fetched once. */
CK_RV
p11_key_public(size_t key, uint8_t *out, size_t *len)
{
	struct p11_key *k = &p11_keys[key];
	parsec_client *client;
	CK_RV rv;
	int st;

	if (k->pub_len == 0) {
		if ((rv = p11_slot_client(k->slot, &client)) != CKR_OK)
			return rv;
		st = parsec_export_public_key(client, k->name, k->pub, sizeof(k->pub), &k->pub_len);
		if (st != PARSEC_SUCCESS) {
			k->pub_len = 0;
			return p11_status_rv(st);
		}
	}
	memcpy(out, k->pub, k->pub_len);
	*len = k->pub_len;
	return CKR_OK;
}

/* Adds h to the find result when it matches. */
static CK_RV
p11_find_add(struct p11_op *op, size_t key, int is_private, const CK_ATTRIBUTE *tmpl,
    CK_ULONG count)
{
	CK_OBJECT_HANDLE *grown;

	if (!p11_attr_match(key, is_private, tmpl, count))
		return CKR_OK;
	if ((op->found_count & 63) == 0) {
		grown = realloc(op->found, (op->found_count + 64) * sizeof(*grown));
		if (grown == NULL)
			return CKR_HOST_MEMORY;
		op->found = grown;
	}
	op->found[op->found_count++] = is_private ? P11_HANDLE_PRIV(key) : P11_HANDLE_PUB(key);
	return CKR_OK;
}

CK_RV
C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	struct p11_session *s;
	struct p11_op *op;
	size_t i;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_FIND];
	if (op->active)
		rv = CKR_OPERATION_ACTIVE;
	else if (tmpl == NULL && count > 0)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = p11_refresh_keys(s->slot);
	for (i = 0; rv == CKR_OK && i < p11_key_count; i++) {
		if (p11_keys[i].slot != s->slot || !p11_keys[i].present)
			continue;
		if (p11_key_has_private(&p11_keys[i]))
			rv = p11_find_add(op, i, 1, tmpl, count);
		if (rv == CKR_OK && !P11_KEY_IS_SECRET(&p11_keys[i]))
			rv = p11_find_add(op, i, 0, tmpl, count);
	}
	if (rv == CKR_OK)
		op->active = 1;
	else if (rv != CKR_OPERATION_ACTIVE)
		p11_op_end(op);
	p11_unlock();
	return rv;
}

CK_RV
C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR count)
{
	struct p11_session *s;
	struct p11_op *op;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_FIND, 0, &s)) != CKR_OK)
		return rv;
	op = &s->op[P11_OP_FIND];
	if (count == NULL || (out == NULL && max > 0))
		rv = CKR_ARGUMENTS_BAD;
	else {
		while (n < max && op->found_pos < op->found_count)
			out[n++] = op->found[op->found_pos++];
		*count = n;
	}
	p11_unlock();
	return rv;
}

CK_RV
C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_op_enter(h, P11_OP_FIND, 0, &s)) != CKR_OK)
		return rv;
	p11_op_end(&s->op[P11_OP_FIND]);
	p11_unlock();
	return rv;
}

/* The public half of a pair goes with its private key; it cannot go alone. */
CK_RV
C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object)
{
	struct p11_session *s;
	parsec_client *client;
	size_t key;
	int is_private, st;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	if ((rv = p11_key_by_handle(s->slot, object, &key, &is_private)) != CKR_OK)
		goto out;
	if (!is_private && p11_key_has_private(&p11_keys[key])) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((rv = p11_slot_client(s->slot, &client)) != CKR_OK)
		goto out;
	st = parsec_destroy_key(client, p11_keys[key].name);
	if (st == PARSEC_SUCCESS || st == PARSEC_ERR_DOES_NOT_EXIST)
		p11_keys[key].present = 0;
	rv = st == PARSEC_ERR_DOES_NOT_EXIST ? CKR_OBJECT_HANDLE_INVALID : p11_status_rv(st);
out:
	p11_unlock();
	return rv;
}

CK_RV
C_GetObjectSize(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE object, CK_ULONG_PTR size)
{
	struct p11_session *s;
	size_t key;
	int is_private;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) != CKR_OK)
		return rv;
	rv = p11_key_by_handle(s->slot, object, &key, &is_private);
	if (rv == CKR_OK && size == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK)
		*size = CK_UNAVAILABLE_INFORMATION;
	p11_unlock();
	return rv;
}
