/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parsecd --orphans, in the adoption helper: key material the providers
 * hold that no entry of the key store names (a key store lost or replaced,
 * another deployment's keys on a shared token). It only reads and lists;
 * nothing is removed. Run as root it first becomes the service user, as the
 * providers do; it parses the key store under the adoption's seccomp filter.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <sqlite3.h>

#include "adopt.h"
#include "key_ref.h"
#include "log.h"
#include "sandbox.h"
#include "wire.h"

/* Every (provider, 4-byte id) the key store names, in any state. */
struct orphans_named {
	uint32_t *provider;
	uint32_t *id;
	size_t count;
};

/* Material a provider holds, before the key store is read. */
struct orphans_held {
	uint32_t provider;
	int has_id; /* a CKA_ID of another length is none of ours */
	uint32_t id;
	char what[CFG_LONGPATH_MAX + 128];
};

static struct orphans_held *held;
static size_t held_count;

static void
orphans_hold(uint32_t provider, int has_id, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
orphans_hold(uint32_t provider, int has_id, uint32_t id, const char *fmt, ...)
{
	va_list ap;

	if ((held = reallocarray(held, held_count + 1, sizeof(*held))) == NULL)
		fatal("reallocarray");
	held[held_count].provider = provider;
	held[held_count].has_id = has_id;
	held[held_count].id = id;
	va_start(ap, fmt);
	vsnprintf(held[held_count].what, sizeof(held[held_count].what), fmt, ap);
	va_end(ap);
	held_count++;
}

static int
orphans_is_named(const struct orphans_named *n, uint32_t provider, uint32_t id)
{
	size_t i;

	for (i = 0; i < n->count; i++)
		if (n->provider[i] == provider && n->id[i] == id)
			return 1;
	return 0;
}

/* The key store as committed, its bytes only (a hot journal is left to brokerd). */
static int
orphans_snapshot(const char *path, struct adopt_snapshot *snap)
{
	int hot, r = adopt_snapshot_read(path, snap, &hot);

	if (r != 0)
		fprintf(stderr, "parsecd: key_manager.sqlite_db_path: %s: %s\n", path,
		    r == 1 ? "no such file" : "cannot be read");
	return r == 0 ? 0 : -1;
}

/* The key store's image, read as root (it is brokerd's user's), parsed after the drop. */
static int
orphans_read_kim(const char *path, struct adopt_snapshot *snap, struct orphans_named *n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_deserialize(db, "main", snap->data, (sqlite3_int64)snap->len,
	    (sqlite3_int64)snap->len, SQLITE_DESERIALIZE_READONLY) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT provider_id, key_ref FROM keys", -1, &st,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "parsecd: key_manager.sqlite_db_path: %s: %s\n", path,
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *ref = sqlite3_column_blob(st, 1);
		uint32_t id;

		if (ref == NULL || key_ref_id(ref, (size_t)sqlite3_column_bytes(st, 1), &id) == -1)
			continue; /* a TPM's wrapped key: the key store holds the material itself */
		n->provider = reallocarray(n->provider, n->count + 1, sizeof(*n->provider));
		n->id = reallocarray(n->id, n->count + 1, sizeof(*n->id));
		if (n->provider == NULL || n->id == NULL)
			fatal("reallocarray");
		n->provider[n->count] = (uint32_t)sqlite3_column_int64(st, 0);
		n->id[n->count++] = id;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "parsecd: reading the key store %s failed\n", path);
		return -1;
	}
	return 0;
}

/* The software provider: one `<16 hex>.key` file per key in its state directory. */
static int
orphans_mbed(const struct cfg_provider *p, const char *state_dir)
{
	char dir[CFG_LONGPATH_MAX + CFG_NAME_MAX + 2], *end;
	struct dirent *de;
	unsigned long long id;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", state_dir, p->name);
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "parsecd: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 20 || strcmp(de->d_name + 16, ".key") != 0)
			continue;
		id = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		orphans_hold(WIRE_PROVIDER_MBED_CRYPTO, id <= 0xffffffffULL, (uint32_t)id,
		    "%s: key id 0x%08llx: %s/%s", p->name, id, dir, de->d_name);
	}
	closedir(d);
	return 0;
}

static int
orphans_pick_slot(CK_FUNCTION_LIST *m, const struct cfg_provider *p, CK_SLOT_ID *slot)
{
	CK_SLOT_ID slots[64];
	CK_ULONG count = 64, i;
	CK_TOKEN_INFO info;
	char serial[17];
	size_t len;

	if (m->C_GetSlotList(CK_TRUE, slots, &count) != CKR_OK)
		return -1;
	for (i = 0; i < count; i++) {
		if (p->has_slot_number) {
			if (slots[i] != p->slot_number)
				continue;
		} else if (p->serial_number[0] != '\0') {
			if (m->C_GetTokenInfo(slots[i], &info) != CKR_OK)
				continue;
			memcpy(serial, info.serialNumber, 16);
			for (len = 16; len > 0 && serial[len - 1] == ' '; len--)
				;
			serial[len] = '\0';
			if (strcmp(serial, p->serial_number) != 0)
				continue;
		}
		*slot = slots[i];
		return 0;
	}
	return -1;
}

/* A token: every object on it whose CKA_ID no entry names. */
static int
orphans_pkcs11(const struct cfg_provider *p)
{
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
	CK_OBJECT_HANDLE objs[64];
	CK_FUNCTION_LIST *m;
	CK_SESSION_HANDLE session;
	CK_SLOT_ID slot;
	CK_ULONG got, i;
	int r = -1;

	if ((m = p11_kit_module_load(p->library_path, P11_KIT_MODULE_UNMANAGED |
	    P11_KIT_MODULE_CRITICAL)) == NULL || p11_kit_module_initialize(m) != CKR_OK) {
		fprintf(stderr, "parsecd: provider.library_path: cannot use %s: %s\n",
		    p->library_path, p11_kit_message());
		return -1;
	}
	if (orphans_pick_slot(m, p, &slot) == -1) {
		fprintf(stderr, "parsecd: provider %s: its token is not there\n", p->name);
		goto done;
	}
	if (m->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &session) != CKR_OK)
		goto done;
	if (p->has_user_pin && m->C_Login(session, CKU_USER, (CK_UTF8CHAR *)p->user_pin,
	    p->user_pin_len) != CKR_OK)
		fprintf(stderr, "parsecd: provider %s: login refused, private objects not seen\n",
		    p->name);
	if (m->C_FindObjectsInit(session, tmpl, 1) != CKR_OK)
		goto done;
	while (m->C_FindObjects(session, objs, 64, &got) == CKR_OK && got > 0) {
		for (i = 0; i < got; i++) {
			uint8_t id[64];
			CK_OBJECT_CLASS cls = 0;
			CK_ATTRIBUTE a[] = { { CKA_ID, id, sizeof(id) }, { CKA_CLASS, &cls, sizeof(cls) } };
			uint32_t v;

			if (m->C_GetAttributeValue(session, objs[i], a, 2) != CKR_OK)
				continue;
			if (key_ref_id(id, a[0].ulValueLen, &v) == 0) {
				orphans_hold(WIRE_PROVIDER_PKCS11, 1, v, "%s: key id 0x%08x: token "
				    "object of class %lu, CKA_ID %02x%02x%02x%02x", p->name, v,
				    (unsigned long)cls, id[0], id[1], id[2], id[3]);
			} else {
				orphans_hold(WIRE_PROVIDER_PKCS11, 0, 0, "%s: token object of class "
				    "%lu with a CKA_ID of %lu bytes (not one of parsecd's)", p->name,
				    (unsigned long)cls, (unsigned long)a[0].ulValueLen);
			}
		}
	}
	(void)m->C_FindObjectsFinal(session);
	r = 0;
done:
	(void)p11_kit_module_finalize(m);
	p11_kit_module_release(m);
	return r;
}

/* As root: the service user, with its groups (a token or device may be theirs). */
static void
orphans_drop(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("[privsep] user %s does not exist", user);
	if (adopt_priv_drop(user, pw->pw_uid, pw->pw_gid) == -1)
		fatalx("becoming %s", user);
}

int
orphans_list(const struct parsec_config *cfg)
{
	struct orphans_named named = { NULL, NULL, 0 };
	struct adopt_snapshot snap = { NULL, 0 };
	const struct cfg_provider *p;
	size_t i, found = 0;
	int r = 0;

	/*
	 * Providers first, the key store after: a key is named there before its
	 * material is made, so a creation under way is never taken for an orphan.
	 * Each role's files are its own user's: the software provider's file
	 * names and the key store's bytes are read as root, the token as the
	 * PKCS#11 provider's user, with its groups.
	 */
	if ((p = config_provider(cfg, CFG_PROVIDER_MBED_CRYPTO)) != NULL)
		r |= orphans_mbed(p, cfg->state_dir);
	if (cfg->key_manager_count == 0 || orphans_snapshot(cfg->key_managers[0].sqlite_db_path,
	    &snap) == -1)
		return 1;
	orphans_drop(cfg->user);
	if ((p = config_provider(cfg, CFG_PROVIDER_PKCS11)) != NULL)
		r |= orphans_pkcs11(p);
	/* The key store's bytes, a file anybody's process may have written, parsed under the filter. */
	sandbox_seccomp_adopt();
	adopt_priv_forbidden("orphans");
	if (orphans_read_kim(cfg->key_managers[0].sqlite_db_path, &snap, &named) == -1) {
		adopt_snapshot_free(&snap);
		return 1;
	}
	adopt_snapshot_free(&snap);
	for (i = 0; i < held_count; i++) {
		if (held[i].has_id && orphans_is_named(&named, held[i].provider, held[i].id))
			continue;
		printf("%s\n", held[i].what);
		found++;
	}
	printf("parsecd: %zu orphan%s\n", found, found == 1 ? "" : "s");
	free(named.provider);
	free(named.id);
	free(held);
	return r == 0 ? 0 : 1;
}
