/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec-psa's connections to parsecd: psa_crypto_init, a small pool of
 * libparsec clients so that threads' calls run side by side, and fork(): the
 * child closes what it inherited (a volatile key lives as long as the
 * connection that made it, so the child must not keep the parent's open) and
 * opens its own on first use.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpsa.h"
#include "wire.h"

struct lpsa_conn {
	pthread_mutex_t lock;	/* held for a whole call */
	parsec_client *client;	/* NULL until first used */
	uint32_t generation;	/* a new one with each client: operations' refs name it */
	int alone;		/* one call's own (lpsa_begin_sized), freed at its end */
};

static struct {
	pthread_mutex_t lock;	/* psa_crypto_init against itself and fork */
	atomic_int ready;
	atomic_int pid;		/* the process that owns the connections */
	atomic_uint next;	/* the connection the next new thread starts with */
	uint32_t provider;
	parsec_settings *settings;
	struct lpsa_conn conns[LPSA_CONN_COUNT];
} lpsa = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t lpsa_once = PTHREAD_ONCE_INIT;

/* fork(): no call may be half-way through a connection the child must close. */
static void
lpsa_conn_prepare(void)
{
	size_t i;

	pthread_mutex_lock(&lpsa.lock);
	for (i = 0; i < LPSA_CONN_COUNT; i++)
		pthread_mutex_lock(&lpsa.conns[i].lock);
}

static void
lpsa_conn_parent(void)
{
	size_t i;

	for (i = LPSA_CONN_COUNT; i-- > 0;)
		pthread_mutex_unlock(&lpsa.conns[i].lock);
	pthread_mutex_unlock(&lpsa.lock);
}

/* The child's connections are its own; its operations' handles from the parent mean nothing. */
static void
lpsa_conn_child(void)
{
	size_t i;

	for (i = LPSA_CONN_COUNT; i-- > 0;) {
		struct lpsa_conn *conn = &lpsa.conns[i];

		parsec_client_free(conn->client);
		conn->client = NULL;
		conn->generation++;
		pthread_mutex_unlock(&conn->lock);
	}
	if (atomic_load(&lpsa.ready))
		lpsa_name_forked();
	atomic_store(&lpsa.pid, (int)getpid());
	pthread_mutex_unlock(&lpsa.lock);
}

static void
lpsa_conn_once(void)
{
	size_t i;

	for (i = 0; i < LPSA_CONN_COUNT; i++)
		pthread_mutex_init(&lpsa.conns[i].lock, NULL);
	pthread_atfork(lpsa_conn_prepare, lpsa_conn_parent, lpsa_conn_child);
}

/* The settings every connection uses: libparsec's environment, and PARSEC_PSA_PROVIDER. */
static psa_status_t
lpsa_conn_settings(void)
{
	const char *env = getenv("PARSEC_PSA_PROVIDER");
	char *end;
	unsigned long id;

	if (lpsa.settings != NULL)
		return PSA_SUCCESS;
	if (parsec_settings_new(&lpsa.settings) != PARSEC_SUCCESS)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if (env == NULL || env[0] == '\0')
		return PSA_SUCCESS;
	id = strtoul(env, &end, 10);
	if (*end != '\0' || id == PARSEC_PROVIDER_CORE || id > UINT32_MAX ||
	    parsec_settings_set_provider(lpsa.settings, (uint32_t)id) != PARSEC_SUCCESS) {
		parsec_settings_free(lpsa.settings);
		lpsa.settings = NULL;
		return PSA_ERROR_INVALID_ARGUMENT;
	}
	return PSA_SUCCESS;
}

/* conn's client, connected and settled on the provider; conn is locked. */
static psa_status_t
lpsa_conn_open(struct lpsa_conn *conn)
{
	int st;

	if (conn->client != NULL)
		return PSA_SUCCESS;
	st = parsec_client_new_with_settings(&conn->client, lpsa.settings);
	if (st != PARSEC_SUCCESS) {
		conn->client = NULL;
		return lpsa_status(st);
	}
	conn->generation++;
	return PSA_SUCCESS;
}

/*
 * The provider the first connection settled on, which every later one takes:
 * one the service has (a PARSEC_PSA_PROVIDER it does not is refused here
 * rather than at every later call).
 */
static psa_status_t
lpsa_conn_provider(parsec_client *client)
{
	uint32_t opcodes[128];
	size_t count;
	int st;

	lpsa.provider = parsec_client_provider(client);
	st = parsec_list_opcodes(client, lpsa.provider, opcodes, 128, &count);
	if (st == ST_PROVIDER_NOT_REGISTERED || st == ST_PROVIDER_DOES_NOT_EXIST)
		return PSA_ERROR_COMMUNICATION_FAILURE;
	if (st != PARSEC_SUCCESS && st != PARSEC_ERR_BUFFER_TOO_SMALL)
		return lpsa_status(st);
	parsec_settings_set_provider(lpsa.settings, lpsa.provider);
	return PSA_SUCCESS;
}

psa_status_t
psa_crypto_init(void)
{
	struct lpsa_conn *first = &lpsa.conns[0];
	psa_status_t st;

	pthread_once(&lpsa_once, lpsa_conn_once);
	if (lpsa_ready() == PSA_SUCCESS)
		return PSA_SUCCESS;
	pthread_mutex_lock(&lpsa.lock);
	if (atomic_load(&lpsa.ready)) {
		pthread_mutex_unlock(&lpsa.lock);
		return PSA_SUCCESS;
	}
	if ((st = lpsa_conn_settings()) == PSA_SUCCESS && lpsa_name_init() != 0)
		st = PSA_ERROR_INSUFFICIENT_ENTROPY;
	if (st == PSA_SUCCESS) {
		pthread_mutex_lock(&first->lock);
		if ((st = lpsa_conn_open(first)) == PSA_SUCCESS &&
		    (st = lpsa_conn_provider(first->client)) != PSA_SUCCESS) {
			parsec_client_free(first->client);
			first->client = NULL;
		}
		pthread_mutex_unlock(&first->lock);
	}
	if (st == PSA_SUCCESS) {
		atomic_store(&lpsa.pid, (int)getpid());
		atomic_store(&lpsa.ready, 1);
	} else {
		/* The next try reads the environment afresh. */
		parsec_settings_free(lpsa.settings);
		lpsa.settings = NULL;
	}
	pthread_mutex_unlock(&lpsa.lock);
	return st;
}

psa_status_t
lpsa_ready(void)
{
	if (!atomic_load_explicit(&lpsa.ready, memory_order_acquire))
		return PSA_ERROR_BAD_STATE;
	/* A child made without the fork handlers (clone, vfork): drop the parent's connections. */
	if (atomic_load_explicit(&lpsa.pid, memory_order_relaxed) != (int)getpid()) {
		lpsa_conn_prepare();
		if (atomic_load(&lpsa.pid) != (int)getpid())
			lpsa_conn_child();
		else
			lpsa_conn_parent();
	}
	return PSA_SUCCESS;
}

uint32_t
lpsa_provider(void)
{
	return lpsa.provider;
}

/*
 * The connection this thread used last, if free: a thread keeps to one
 * connection and threads spread over them. Else a free one, else the
 * thread's own (waited for). Locked.
 */
static struct lpsa_conn *
lpsa_conn_take(void)
{
	static _Thread_local unsigned hint = UINT32_MAX;
	size_t i;

	if (hint == UINT32_MAX)
		hint = atomic_fetch_add_explicit(&lpsa.next, 1, memory_order_relaxed) %
		    LPSA_CONN_COUNT;
	for (i = 0; i < LPSA_CONN_COUNT; i++) {
		unsigned at = (unsigned)((hint + i) % LPSA_CONN_COUNT);

		if (pthread_mutex_trylock(&lpsa.conns[at].lock) == 0) {
			hint = at;
			return &lpsa.conns[at];
		}
	}
	pthread_mutex_lock(&lpsa.conns[hint].lock);
	return &lpsa.conns[hint];
}

static psa_status_t
lpsa_begin_on(struct lpsa_call *call, struct lpsa_conn *conn)
{
	psa_status_t st = lpsa_conn_open(conn);

	if (st != PSA_SUCCESS) {
		pthread_mutex_unlock(&conn->lock);
		return st;
	}
	call->conn = conn;
	call->client = conn->client;
	call->need = 0;
	call->alg = PSA_ALG_NONE;
	return PSA_SUCCESS;
}

/* A call's own connection's end: closed, and the service forgets it. */
static void
lpsa_conn_alone_free(struct lpsa_conn *conn)
{
	parsec_client_free(conn->client);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

/* A connection for one call, locked; NULL without memory. */
static struct lpsa_conn *
lpsa_conn_alone(void)
{
	struct lpsa_conn *conn;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return NULL;
	pthread_mutex_init(&conn->lock, NULL);
	pthread_mutex_lock(&conn->lock);
	conn->alone = 1;
	return conn;
}

psa_status_t
lpsa_begin_sized(struct lpsa_call *call, psa_key_id_t key, size_t len, size_t len2)
{
	struct lpsa_conn *conn;
	psa_status_t st;

	call->conn = NULL;
	call->client = NULL;
	call->names_key = key != LPSA_NO_KEY;
	call->name[0] = '\0';
	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if (call->names_key && (st = lpsa_key_name(key, call->name)) != PSA_SUCCESS)
		return st;
	if (len <= LPSA_ONESHOT_MAX && len2 <= LPSA_ONESHOT_MAX - len)
		return lpsa_begin_on(call, lpsa_conn_take());
	if ((conn = lpsa_conn_alone()) == NULL)
		return PSA_ERROR_INSUFFICIENT_MEMORY;
	if ((st = lpsa_begin_on(call, conn)) != PSA_SUCCESS)
		lpsa_conn_alone_free(conn);
	return st;
}

psa_status_t
lpsa_begin(struct lpsa_call *call, psa_key_id_t key)
{
	return lpsa_begin_sized(call, key, 0, 0);
}

psa_status_t
lpsa_begin_ref(struct lpsa_call *call, uint32_t ref)
{
	struct lpsa_conn *conn;
	psa_status_t st;

	call->conn = NULL;
	call->client = NULL;
	call->names_key = 0;
	call->name[0] = '\0';
	if ((st = lpsa_ready()) != PSA_SUCCESS)
		return st;
	if ((ref & 0xffu) >= LPSA_CONN_COUNT)
		return PSA_ERROR_BAD_STATE;
	conn = &lpsa.conns[ref & 0xffu];
	pthread_mutex_lock(&conn->lock);
	if (conn->client == NULL || (conn->generation & 0xffffffu) != ref >> 8) {
		pthread_mutex_unlock(&conn->lock);
		return PSA_ERROR_BAD_STATE;
	}
	return lpsa_begin_on(call, conn);
}

void
lpsa_call_policy(struct lpsa_call *call, psa_key_usage_t need, psa_algorithm_t alg)
{
	call->need = need;
	call->alg = alg;
}

uint32_t
lpsa_call_ref(const struct lpsa_call *call)
{
	return (uint32_t)(call->conn - lpsa.conns) | (call->conn->generation & 0xffffffu) << 8;
}

psa_status_t
lpsa_end(struct lpsa_call *call, int wire)
{
	psa_status_t st = lpsa_status(wire);

	/*
	 * Only the provider's refusal: a body over the service's limit is
	 * NOT_SUPPORTED too, for the caller to take another way, and the
	 * service may have hung up after it.
	 */
	if (call->conn != NULL && call->names_key && (wire == PARSEC_ERR_NOT_SUPPORTED ||
	    wire == LPSA_WIRE_NO_OPCODE))
		st = lpsa_key_refusal(call, lpsa_provider());
	if (call->conn != NULL)
		pthread_mutex_unlock(&call->conn->lock);
	if (call->conn != NULL && call->conn->alone)
		lpsa_conn_alone_free(call->conn);
	call->conn = NULL;
	/* A name that the service does not know is an id that names no key. */
	if (call->names_key && st == PSA_ERROR_DOES_NOT_EXIST)
		st = PSA_ERROR_INVALID_HANDLE;
	return st;
}
