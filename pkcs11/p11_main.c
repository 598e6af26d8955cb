/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-pkcs11.so: the module's state, C_Initialize / C_Finalize /
 * C_GetInfo, its lock (pthreads or the application's callbacks), the
 * connection per slot, and what a child after fork() must not share.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11.h"

struct p11_slot p11_slots[P11_MAX_SLOTS];
struct p11_key *p11_keys;
size_t p11_key_count;
struct p11_session p11_sessions[P11_MAX_SESSIONS];

static int p11_init_done;
static pid_t p11_pid;      /* the process the connections belong to */
static pid_t p11_init_pid; /* the process that called C_Initialize */
static pthread_once_t p11_atfork_once = PTHREAD_ONCE_INIT;
/* Guards p11_init_done's changes, so C_Initialize racing C_Finalize stays sane. */
static pthread_mutex_t p11_init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t p11_os_lock = PTHREAD_MUTEX_INITIALIZER;
/* The application's mutex when it gave callbacks without CKF_OS_LOCKING_OK. */
static CK_C_INITIALIZE_ARGS p11_app_locking;
static void *p11_app_mutex;

extern CK_FUNCTION_LIST p11_function_list;

/*
 * In a child after fork() the parent's connections are the parent's: a
 * request sent on them would mix with the parent's. They are forgotten (the
 * descriptor closed in the child only) and made again on use.
 */
static void
p11_drop_connections(void)
{
	struct p11_slot *sl;
	size_t i, j;

	for (i = 0; i < P11_MAX_SLOTS; i++) {
		sl = &p11_slots[i];
		/* In a child this closes its copy of the socket only; the parent's stays. */
		if (sl->client != NULL)
			parsec_client_free(sl->client);
		sl->client = NULL;
		for (j = 0; j < sl->pool_count; j++)
			parsec_client_free(sl->pool[j]);
		memset(sl->pool, 0, sizeof(sl->pool));
		memset(sl->pool_users, 0, sizeof(sl->pool_users));
		sl->pool_count = 0;
	}
}

int
p11_initialized(void)
{
	return p11_init_done;
}

/* The module's lock; taken first thing in a new process, it also drops the parent's connections. */
void
p11_lock(void)
{
	if (p11_app_mutex != NULL)
		p11_app_locking.LockMutex(p11_app_mutex);
	else
		pthread_mutex_lock(&p11_os_lock);
	if (p11_pid != getpid()) {
		p11_drop_connections();
		p11_pid = getpid();
	}
}

/*
 * fork() while another thread holds the lock would leave the child's copy
 * locked for ever: the lock is taken across fork(). (Application mutexes are
 * the application's to keep across its fork().)
 */
static void
p11_atfork_prepare(void)
{
	pthread_mutex_lock(&p11_os_lock);
}

static void
p11_atfork_release(void)
{
	pthread_mutex_unlock(&p11_os_lock);
}

static void
p11_atfork_register(void)
{
	(void)pthread_atfork(p11_atfork_prepare, p11_atfork_release, p11_atfork_release);
}

void
p11_unlock(void)
{
	if (p11_app_mutex != NULL)
		p11_app_locking.UnlockMutex(p11_app_mutex);
	else
		pthread_mutex_unlock(&p11_os_lock);
}

void
p11_pad(CK_UTF8CHAR *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	memset(dst, ' ', size);
	memcpy(dst, src, len < size ? len : size);
}

/* A new connection for the slot (0: core operations), with libparsec's settings. */
static CK_RV
p11_client_make(CK_SLOT_ID slot, parsec_client **client)
{
	parsec_settings *settings;
	int st;

	*client = NULL;
	if ((st = parsec_settings_new(&settings)) != PARSEC_SUCCESS)
		return CKR_HOST_MEMORY;
	if (slot != 0)
		st = parsec_settings_set_provider(settings, (uint32_t)slot);
	if (st == PARSEC_SUCCESS)
		st = parsec_client_new_with_settings(client, settings);
	parsec_settings_free(settings);
	if (st != PARSEC_SUCCESS) {
		*client = NULL;
		return p11_status_rv(st);
	}
	return CKR_OK;
}

/* The slot's own connection, made on first use: listings, attributes, key life cycle. */
CK_RV
p11_slot_client(CK_SLOT_ID slot, parsec_client **client)
{
	struct p11_slot *sl;
	CK_RV rv;

	if (slot >= P11_MAX_SLOTS)
		return CKR_SLOT_ID_INVALID;
	sl = &p11_slots[slot];
	if (sl->client == NULL && (rv = p11_client_make(slot, &sl->client)) != CKR_OK)
		return rv;
	*client = sl->client;
	return CKR_OK;
}

/*
 * A connection for one cryptographic call made without the lock: an idle
 * one of the slot's pool, a new one while the pool is not full, else the
 * least used (libparsec then queues the calls on it). Threads signing at
 * once so reach the service's workers side by side. *idx says what to give
 * back to p11_pool_put.
 */
CK_RV
p11_pool_get(CK_SLOT_ID slot, parsec_client **client, size_t *idx)
{
	struct p11_slot *sl;
	size_t i, least = 0;
	CK_RV rv;

	if (slot == 0 || slot >= P11_MAX_SLOTS)
		return CKR_SLOT_ID_INVALID;
	sl = &p11_slots[slot];
	for (i = 0; i < sl->pool_count; i++) {
		if (sl->pool_users[i] < sl->pool_users[least])
			least = i;
	}
	if ((sl->pool_count == 0 || sl->pool_users[least] > 0) && sl->pool_count < P11_POOL_MAX) {
		if ((rv = p11_client_make(slot, &sl->pool[sl->pool_count])) != CKR_OK) {
			if (sl->pool_count == 0)
				return rv;
		} else
			least = sl->pool_count++;
	}
	sl->pool_users[least]++;
	*client = sl->pool[least];
	*idx = least;
	return CKR_OK;
}

void
p11_pool_put(CK_SLOT_ID slot, size_t idx)
{
	struct p11_slot *sl = &p11_slots[slot];

	if (idx < sl->pool_count && sl->pool_users[idx] > 0)
		sl->pool_users[idx]--;
}

/* A Parsec status as the PKCS#11 return value a caller can act on. */
CK_RV
p11_status_rv(int status)
{
	switch (status) {
	case PARSEC_SUCCESS:
		return CKR_OK;
	case PARSEC_ERR_NOT_PERMITTED:
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	case PARSEC_ERR_NOT_SUPPORTED:
		return CKR_MECHANISM_INVALID;
	case PARSEC_ERR_INVALID_ARGUMENT:
		return CKR_ARGUMENTS_BAD;
	case PARSEC_ERR_DOES_NOT_EXIST:
		return CKR_KEY_HANDLE_INVALID;
	case PARSEC_ERR_ALREADY_EXISTS:
		return CKR_TEMPLATE_INCONSISTENT;
	case PARSEC_ERR_INSUFFICIENT_MEMORY:
		return CKR_DEVICE_MEMORY;
	case 1142: /* PsaErrorInsufficientStorage */
		return CKR_DEVICE_MEMORY;
	case PARSEC_ERR_INVALID_SIGNATURE:
		return CKR_SIGNATURE_INVALID;
	case 1150: /* PsaErrorInvalidPadding */
		return CKR_ENCRYPTED_DATA_INVALID;
	case PARSEC_ERR_BUFFER_TOO_SMALL:
		return CKR_BUFFER_TOO_SMALL;
	case PARSEC_ERR_CONNECTION:
	case 1145: /* PsaErrorCommunicationFailure */
		return CKR_DEVICE_REMOVED;
	case 1147: /* PsaErrorHardwareFailure */
		return CKR_DEVICE_ERROR;
	default:
		return CKR_FUNCTION_FAILED;
	}
}

CK_RV
p11_enter_session(CK_SESSION_HANDLE h, struct p11_session **s)
{
	if (!p11_init_done)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	p11_lock();
	if (h == 0 || h > P11_MAX_SESSIONS || !p11_sessions[h - 1].open) {
		p11_unlock();
		return CKR_SESSION_HANDLE_INVALID;
	}
	*s = &p11_sessions[h - 1];
	return CKR_OK;
}

/* A session handle's validity alone, for calls that need nothing else of it. */
CK_RV
p11_check_session(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	CK_RV rv;

	if ((rv = p11_enter_session(h, &s)) == CKR_OK)
		p11_unlock();
	return rv;
}

/* The session's operation of that kind, started (and, if single, not yet updated). */
CK_RV
p11_op_enter(CK_SESSION_HANDLE h, int kind, int single, struct p11_session **s)
{
	CK_RV rv;

	if ((rv = p11_enter_session(h, s)) != CKR_OK)
		return rv;
	if (!(*s)->op[kind].active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else if (single && (*s)->op[kind].updated)
		rv = CKR_OPERATION_ACTIVE;
	if (rv != CKR_OK)
		p11_unlock();
	return rv;
}

/* The locking the arguments ask for: ours, theirs, or CKR_ARGUMENTS_BAD if half given. */
static CK_RV
p11_init_locking(const CK_C_INITIALIZE_ARGS *args)
{
	int given;

	p11_app_mutex = NULL;
	if (args == NULL)
		return CKR_OK;
	if (args->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	given = (args->CreateMutex != NULL) + (args->DestroyMutex != NULL) +
	    (args->LockMutex != NULL) + (args->UnlockMutex != NULL);
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	if (given == 0 || (args->flags & CKF_OS_LOCKING_OK))
		return CKR_OK;
	p11_app_locking = *args;
	if (args->CreateMutex(&p11_app_mutex) != CKR_OK) {
		p11_app_mutex = NULL;
		return CKR_CANT_LOCK;
	}
	return CKR_OK;
}

static void
p11_free_state(void)
{
	size_t i;

	for (i = 0; i < P11_MAX_SESSIONS; i++)
		p11_session_reset(&p11_sessions[i]);
	memset(p11_sessions, 0, sizeof(p11_sessions));
	p11_drop_connections();
	memset(p11_slots, 0, sizeof(p11_slots));
	if (p11_keys != NULL)
		explicit_bzero(p11_keys, p11_key_count * sizeof(*p11_keys));
	free(p11_keys);
	p11_keys = NULL;
	p11_key_count = 0;
}

CK_RV
C_Initialize(CK_VOID_PTR init_args)
{
	CK_RV rv;

	pthread_mutex_lock(&p11_init_lock);
	/* A child after fork() starts afresh, as the specification asks of it. */
	if (p11_init_done && p11_init_pid != getpid()) {
		p11_free_state();
		p11_init_done = 0;
	}
	if (p11_init_done) {
		pthread_mutex_unlock(&p11_init_lock);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	if ((rv = p11_init_locking(init_args)) == CKR_OK) {
		(void)pthread_once(&p11_atfork_once, p11_atfork_register);
		p11_pid = p11_init_pid = getpid();
		p11_init_done = 1;
	}
	pthread_mutex_unlock(&p11_init_lock);
	return rv;
}

CK_RV
C_Finalize(CK_VOID_PTR reserved)
{
	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&p11_init_lock);
	if (!p11_init_done) {
		pthread_mutex_unlock(&p11_init_lock);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	p11_lock();
	p11_free_state();
	p11_init_done = 0;
	p11_unlock();
	if (p11_app_mutex != NULL)
		p11_app_locking.DestroyMutex(p11_app_mutex);
	p11_app_mutex = NULL;
	pthread_mutex_unlock(&p11_init_lock);
	return CKR_OK;
}

CK_RV
C_GetInfo(CK_INFO_PTR info)
{
	if (!p11_init_done)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	p11_pad(info->manufacturerID, sizeof(info->manufacturerID), "Parsec");
	p11_pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "Parsec service PKCS#11 module");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	return CKR_OK;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &p11_function_list;
	return CKR_OK;
}
