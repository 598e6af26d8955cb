/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing: a request's identity is settled, its key name becomes the
 * provider's opaque reference, and key creation and destruction go through
 * the key store in two phases so a crash at any point leaves no orphan key
 * and no dangling name (start-up reconciliation settles the rest).
 */
#include <stdlib.h>
#include <string.h>

#include "broker_kim.h"
#include "brokerd.h"
#include "log.h"
#include "tree.h"

/*
 * Crash points for the fault tests: a test build (PARSEC_TEST_HOOKS) kills
 * brokerd where PARSEC_FAULT names; a normal build has no such code.
 */
#ifdef PARSEC_TEST_HOOKS
void broker_fault(const char *point);
#define BROKER_FAULT(point) broker_fault(point)
#else
#define BROKER_FAULT(point) ((void)0)
#endif

/* A client request (or a start-up task) made of one or more key operations. */
struct broker_job {
	uint64_t conn_id; /* 0: internal, nobody to answer */
	uint64_t req_id;
	uint32_t outstanding;
	uint32_t status;
};

enum broker_keyop_kind { KEYOP_CREATE, KEYOP_DESTROY };

/* One key being created or destroyed; destruction reaches every worker. */
struct broker_keyop {
	enum broker_keyop_kind kind;
	struct broker_job *job;
	uint32_t auth_type;
	char app[OP_NAME_MAX];
	char name[OP_NAME_MAX];
	uint32_t provider_id;
	uint8_t key_ref[KIM_KEY_REF_MAX];
	size_t key_ref_len;
	uint32_t acks_left;
	int succeeded;
	uint32_t failure;
	/* Creation: kept to be sent again under a fresh id if the provider holds the id. */
	struct op_request op;
	uint8_t *in_copy[OP_MAX_INPUTS];
	uint32_t retries;
};

/* Ids in a row a provider may turn down as taken before a creation gives up. */
#define BROKER_CREATE_RETRIES 16

/* A message at a provider worker, answered by prov_req_id. */
struct broker_pending {
	RB_ENTRY(broker_pending) entry;
	uint64_t prov_req_id;
	struct broker_worker *worker;
	uint64_t conn_id; /* plain operations answer the client directly */
	uint64_t req_id;
	struct broker_keyop *keyop;
};

static int
broker_pending_cmp(const struct broker_pending *a, const struct broker_pending *b)
{
	return a->prov_req_id < b->prov_req_id ? -1 : a->prov_req_id > b->prov_req_id;
}
RB_HEAD(broker_pending_tree, broker_pending);
TREE_GENERATE_STATIC(broker_pending_tree, broker_pending, entry, broker_pending_cmp)

static struct broker_pending_tree route_pending = RB_INITIALIZER(&route_pending);
static uint64_t route_next_id;
static size_t route_startup_jobs;

size_t
broker_route_startup_jobs(void)
{
	return route_startup_jobs;
}

/* The least busy live worker of a provider. */
static struct broker_worker *
broker_pick_worker(struct broker_provider *p)
{
	struct broker_worker *best = NULL;
	uint32_t i;

	for (i = 0; i < p->worker_count; i++) {
		struct broker_worker *w = &p->workers[i];

		if (w->up && (best == NULL || w->inflight < best->inflight))
			best = w;
	}
	return best;
}

static void
broker_send(struct broker_worker *w, uint64_t conn_id, uint64_t req_id,
    struct broker_keyop *keyop, const uint8_t *key_ref, size_t key_ref_len,
    const struct op_request *op)
{
	struct broker_pending *pend;

	if ((pend = calloc(1, sizeof(*pend))) == NULL)
		fatal("calloc");
	pend->prov_req_id = ++route_next_id;
	pend->worker = w;
	pend->conn_id = conn_id;
	pend->req_id = req_id;
	pend->keyop = keyop;
	RB_INSERT(broker_pending_tree, &route_pending, pend);
	w->inflight++;
	broker_worker_send(w, pend->prov_req_id, key_ref, key_ref_len, op);
}

static struct broker_job *
broker_job_new(uint64_t conn_id, uint64_t req_id)
{
	struct broker_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		fatal("calloc");
	job->conn_id = conn_id;
	job->req_id = req_id;
	job->status = ST_SUCCESS;
	return job;
}

static void
broker_job_done(struct broker_job *job)
{
	if (job->conn_id != 0) {
		broker_reply_status(job->conn_id, job->req_id, job->status);
	} else {
		route_startup_jobs--;
		broker_startup_progress();
	}
	free(job);
}

static void
broker_keyop_free(struct broker_keyop *k)
{
	size_t i;

	for (i = 0; i < OP_MAX_INPUTS; i++) {
		if (k->in_copy[i] == NULL)
			continue;
		explicit_bzero(k->in_copy[i], k->op.in[i].len);
		free(k->in_copy[i]);
	}
	explicit_bzero(k, sizeof(*k));
	free(k);
}

static uint32_t
broker_key_id(const uint8_t *key_ref, size_t len)
{
	return len != 4 ? 0 : (uint32_t)key_ref[0] | (uint32_t)key_ref[1] << 8 |
	    (uint32_t)key_ref[2] << 16 | (uint32_t)key_ref[3] << 24;
}

/*
 * The provider answered AlreadyExists to a creation: the name is new (the key
 * store said so), so the id is held by material this key store does not name.
 * That material is left alone and the key takes the next id. Returns 1 if the
 * creation was sent again.
 */
static int
broker_keyop_retry(struct broker_keyop *k)
{
	struct broker_provider *p = &broker.providers[k->provider_id];
	struct broker_worker *w;
	uint32_t taken = broker_key_id(k->key_ref, k->key_ref_len);

	if (k->kind != KEYOP_CREATE || k->key_ref_len != 4 || k->retries++ >= BROKER_CREATE_RETRIES ||
	    (w = broker_pick_worker(p)) == NULL)
		return 0;
	if (kim_retake_id(k->auth_type, k->app, k->name, k->provider_id, k->key_ref,
	    &k->key_ref_len) == -1)
		return 0;
	log_warnx("%s already holds key material under id 0x%08x that no key store entry "
	    "names (an orphan, left alone: parsecd --orphans lists them); the new key takes "
	    "id 0x%08x", p->name, taken, broker_key_id(k->key_ref, k->key_ref_len));
	broker_send(w, 0, 0, k, k->key_ref, k->key_ref_len, &k->op);
	return 1;
}

/* A key operation has all its answers: settle the key store, then the job. */
static void
broker_keyop_finish(struct broker_keyop *k)
{
	struct broker_job *job = k->job;
	uint32_t status = ST_SUCCESS;

	if (k->kind == KEYOP_CREATE) {
		if (k->succeeded) {
			BROKER_FAULT("create-before-commit");
			if (kim_commit_create(k->auth_type, k->app, k->name, k->key_ref,
			    k->key_ref_len) == -1)
				status = kim_full() ? ST_PSA_INSUFFICIENT_STORAGE :
				    ST_KEY_INFO_MANAGER_ERROR;
		} else if (k->failure == ST_PSA_COMMUNICATION_FAILURE) {
			/* The provider may have made the key before it died: reconciliation decides. */
			status = k->failure;
		} else {
			status = k->failure;
			if (kim_remove(k->auth_type, k->app, k->name) == -1)
				log_warnx("could not drop the pending entry of a failed creation");
		}
	} else if (k->succeeded || k->failure == ST_PSA_DOES_NOT_EXIST) {
		/* Gone from the provider (now, or already): the name goes too. */
		BROKER_FAULT("destroy-before-remove");
		if (kim_remove(k->auth_type, k->app, k->name) == -1)
			status = ST_KEY_INFO_MANAGER_ERROR;
	} else {
		/* Left as destroying: reconciliation finishes it when the provider is back. */
		status = k->failure;
	}
	if (status != ST_SUCCESS && job->status == ST_SUCCESS)
		job->status = status;
	broker_keyop_free(k);
	if (--job->outstanding == 0)
		broker_job_done(job);
}

static void
broker_keyop_ack(struct broker_keyop *k, uint32_t status, const struct op_result *res)
{
	if (status == ST_PSA_ALREADY_EXISTS && broker_keyop_retry(k))
		return;
	if (status == ST_SUCCESS) {
		k->succeeded = 1;
		/* A provider may choose its own reference (a TPM's wrapped blob). */
		if (k->kind == KEYOP_CREATE && res != NULL && res->out[1].len > 0 &&
		    res->out[1].len <= sizeof(k->key_ref)) {
			memcpy(k->key_ref, res->out[1].ptr, res->out[1].len);
			k->key_ref_len = res->out[1].len;
		}
	} else if (k->failure == ST_SUCCESS || k->failure == ST_PSA_DOES_NOT_EXIST) {
		k->failure = status;
	}
	if (--k->acks_left == 0)
		broker_keyop_finish(k);
}

static struct broker_keyop *
broker_keyop_new(enum broker_keyop_kind kind, struct broker_job *job, const struct kim_entry *e)
{
	struct broker_keyop *k = calloc(1, sizeof(*k));

	if (k == NULL)
		fatal("calloc");
	k->kind = kind;
	k->job = job;
	k->auth_type = e->auth_type;
	strlcpy(k->app, e->app, sizeof(k->app));
	strlcpy(k->name, e->name, sizeof(k->name));
	k->provider_id = e->provider_id;
	memcpy(k->key_ref, e->key_ref, e->key_ref_len);
	k->key_ref_len = e->key_ref_len;
	k->failure = ST_SUCCESS;
	job->outstanding++;
	return k;
}

/* Destroys a key in every live worker (each may hold it parsed in memory). */
static void
broker_destroy_everywhere(struct broker_job *job, const struct kim_entry *e)
{
	struct broker_provider *p = &broker.providers[e->provider_id];
	struct broker_keyop *k = broker_keyop_new(KEYOP_DESTROY, job, e);
	struct op_request op;
	uint32_t i, sent = 0;

	memset(&op, 0, sizeof(op));
	op.opcode = OP_PSA_DESTROY_KEY;
	op.attrs = e->attrs;
	for (i = 0; i < p->worker_count; i++)
		sent += p->workers[i].up != 0;
	if (sent == 0) {
		k->acks_left = 1;
		broker_keyop_ack(k, ST_PSA_COMMUNICATION_FAILURE, NULL);
		return;
	}
	k->acks_left = sent;
	for (i = 0; i < p->worker_count; i++)
		if (p->workers[i].up)
			broker_send(&p->workers[i], 0, 0, k, e->key_ref, e->key_ref_len, &op);
}

static int
broker_keyop_in_flight(uint32_t auth_type, const char *app, const char *name)
{
	struct broker_pending *pend;

	RB_FOREACH(pend, broker_pending_tree, &route_pending) {
		const struct broker_keyop *k = pend->keyop;

		if (k != NULL && k->auth_type == auth_type && strcmp(k->app, app) == 0 &&
		    strcmp(k->name, name) == 0)
			return 1;
	}
	return 0;
}

struct broker_reconcile_ctx {
	struct broker_job *job;
	struct kim_entry *entries;
	size_t count;
	size_t cap;
};

static int
broker_collect(const struct kim_entry *e, void *arg)
{
	struct broker_reconcile_ctx *rc = arg;

	if (rc->count == rc->cap) {
		size_t cap = rc->cap ? rc->cap * 2 : 16;
		struct kim_entry *p = reallocarray(rc->entries, cap, sizeof(*p));

		if (p == NULL)
			fatal("reallocarray");
		rc->entries = p;
		rc->cap = cap;
	}
	rc->entries[rc->count++] = *e;
	return 0;
}

size_t
broker_route_reconcile(struct broker_provider *p)
{
	struct broker_reconcile_ctx rc;
	size_t i, started = 0;

	memset(&rc, 0, sizeof(rc));
	if (kim_list_unsettled(p->id, broker_collect, &rc) == -1)
		fatalx("cannot read the key store to reconcile %s", p->name);
	for (i = 0; i < rc.count; i++) {
		struct kim_entry *e = &rc.entries[i];
		struct broker_job *job;

		if (broker_keyop_in_flight(e->auth_type, e->app, e->name))
			continue;
		log_info("%s: settling %s key of application entry %zu left by an interruption",
		    p->name, e->state == KIM_PENDING ? "a half-created" : "a half-destroyed", i);
		job = broker_job_new(0, 0);
		job->outstanding = 1; /* held until every destroy is sent */
		route_startup_jobs++;
		started++;
		broker_destroy_everywhere(job, e);
		if (--job->outstanding == 0)
			broker_job_done(job);
	}
	if (rc.entries != NULL)
		explicit_bzero(rc.entries, rc.cap * sizeof(*rc.entries));
	free(rc.entries);
	return started;
}

static void
broker_create(struct broker_provider *p, uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, struct op_request *op)
{
	struct broker_worker *w = broker_pick_worker(p);
	struct kim_entry e;
	struct broker_keyop *k;
	struct broker_job *job;
	size_t i;
	int r;

	if (w == NULL) {
		broker_reply_status(conn_id, req_id, ST_PSA_COMMUNICATION_FAILURE);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.auth_type = id->auth_type;
	strlcpy(e.app, id->app_name, sizeof(e.app));
	strlcpy(e.name, op->key_name, sizeof(e.name));
	e.provider_id = p->id;
	e.attrs = op->attrs;
	r = kim_begin_create(&e, e.key_ref, &e.key_ref_len);
	if (r != 0) {
		broker_reply_status(conn_id, req_id, r == 1 ? ST_PSA_ALREADY_EXISTS :
		    kim_full() ? ST_PSA_INSUFFICIENT_STORAGE : ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	BROKER_FAULT("create-after-pending");
	job = broker_job_new(conn_id, req_id);
	k = broker_keyop_new(KEYOP_CREATE, job, &e);
	k->acks_left = 1;
	op->key_name[0] = '\0';
	k->op = *op;
	for (i = 0; i < OP_MAX_INPUTS; i++) {
		if (op->in[i].len == 0)
			continue;
		if ((k->in_copy[i] = malloc(op->in[i].len)) == NULL)
			fatal("malloc");
		memcpy(k->in_copy[i], op->in[i].ptr, op->in[i].len);
		k->op.in[i].ptr = k->in_copy[i];
	}
	broker_send(w, 0, 0, k, e.key_ref, e.key_ref_len, op);
}

static void
broker_destroy(uint64_t conn_id, uint64_t req_id, const struct kim_entry *e)
{
	struct broker_job *job;

	if (kim_mark_destroying(e->auth_type, e->app, e->name) == -1) {
		broker_reply_status(conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	BROKER_FAULT("destroy-after-mark");
	job = broker_job_new(conn_id, req_id);
	job->outstanding = 1;
	broker_destroy_everywhere(job, e);
	if (--job->outstanding == 0)
		broker_job_done(job);
}

static void
broker_delete_client(uint64_t conn_id, uint64_t req_id, const struct broker_identity *id,
    const char *client)
{
	struct broker_reconcile_ctx rc;
	struct broker_job *job;
	size_t i;

	memset(&rc, 0, sizeof(rc));
	if (kim_list_all_of(id->auth_type, client, broker_collect, &rc) == -1) {
		broker_reply_status(conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	job = broker_job_new(conn_id, req_id);
	job->outstanding = 1;
	for (i = 0; i < rc.count; i++) {
		struct kim_entry *e = &rc.entries[i];

		if (broker_keyop_in_flight(e->auth_type, e->app, e->name) ||
		    kim_mark_destroying(e->auth_type, e->app, e->name) == -1) {
			job->status = ST_KEY_INFO_MANAGER_ERROR;
			continue;
		}
		broker_destroy_everywhere(job, e);
	}
	free(rc.entries);
	if (--job->outstanding == 0)
		broker_job_done(job);
}

void
broker_route_request(uint64_t conn_id, uint64_t req_id, uid_t peer_uid, const uint8_t *data,
    size_t len)
{
	struct broker_identity id;
	struct ipc_request m;
	struct op_request op;
	struct broker_provider *p;
	struct kim_entry e;
	uint32_t provider_id, status;
	int r;

	if (ipc_request_decode(data, len, &m) == -1)
		fatalx("malformed request from frontd");
	provider_id = m.provider;
	op = m.op;

	if (provider_id >= WIRE_PROVIDER_COUNT) {
		broker_reply_status(conn_id, req_id, ST_PROVIDER_DOES_NOT_EXIST);
		return;
	}
	if (provider_id != WIRE_PROVIDER_CORE && !broker.providers[provider_id].configured) {
		broker_reply_status(conn_id, req_id, ST_PROVIDER_NOT_REGISTERED);
		return;
	}
	if ((provider_id == WIRE_PROVIDER_CORE) != (wire_opcode_is_core(op.opcode) != 0)) {
		broker_reply_status(conn_id, req_id, ST_PSA_NOT_SUPPORTED);
		return;
	}
	status = broker_authenticate(m.auth_type, m.auth, m.auth_len, peer_uid, 1, &id);
	if (status != ST_SUCCESS) {
		log_info("connection %llu (uid %u): %s refused: %s", (unsigned long long)conn_id,
		    (unsigned)peer_uid, wire_opcode_name(op.opcode), wire_status_name(status));
		broker_reply_status(conn_id, req_id, status);
		return;
	}
	if (wire_opcode_needs_auth(op.opcode) && !id.authenticated) {
		broker_reply_status(conn_id, req_id, ST_NOT_AUTHENTICATED);
		return;
	}
	if (wire_opcode_is_admin(op.opcode) && !broker_is_admin(&id)) {
		broker_reply_status(conn_id, req_id, ST_ADMIN_OPERATION);
		return;
	}

	if (provider_id == WIRE_PROVIDER_CORE) {
		struct op_result res;
		uint8_t *list_buf;

		if (op.opcode == OP_DELETE_CLIENT) {
			broker_delete_client(conn_id, req_id, &id, op.client);
			return;
		}
		broker_core_handle(&op, &id, &res, &list_buf);
		broker_reply(conn_id, req_id, &res);
		free(list_buf);
		return;
	}

	p = &broker.providers[provider_id];
	if (!broker_provider_up(p)) {
		broker_reply_status(conn_id, req_id, ST_PSA_COMMUNICATION_FAILURE);
		return;
	}
	if (!p->have_info) {
		broker_reply_status(conn_id, req_id, ST_PSA_COMMUNICATION_FAILURE);
		return;
	}
	{
		size_t i;

		for (i = 0; i < p->opcode_count && p->opcodes[i] != op.opcode; i++)
			;
		/* Served but not advertised (MAC): the provider itself says what it serves. */
		if (i == p->opcode_count && op.opcode != OP_PSA_MAC_COMPUTE &&
		    op.opcode != OP_PSA_MAC_VERIFY) {
			broker_reply_status(conn_id, req_id, ST_PSA_NOT_SUPPORTED);
			return;
		}
	}

	switch (wire_opcode_key_use(op.opcode)) {
	case WIRE_KEY_NONE:
		broker_send(broker_pick_worker(p), conn_id, req_id, NULL, NULL, 0, &op);
		return;
	case WIRE_KEY_CREATE:
		if (op.key_name[0] == '\0') {
			broker_reply_status(conn_id, req_id, ST_PSA_INVALID_ARGUMENT);
			return;
		}
		broker_create(p, conn_id, req_id, &id, &op);
		return;
	case WIRE_KEY_DESTROY:
	case WIRE_KEY_USE:
		break;
	}
	/* A key is found only in its own application's namespace, in this provider. */
	r = kim_get(id.auth_type, id.app_name, op.key_name, &e);
	if (r == -1) {
		broker_reply_status(conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	if (r == 1 || e.state != KIM_ACTIVE || e.provider_id != provider_id ||
	    broker_keyop_in_flight(e.auth_type, e.app, e.name)) {
		broker_reply_status(conn_id, req_id, ST_PSA_DOES_NOT_EXIST);
		return;
	}
	if (wire_opcode_key_use(op.opcode) == WIRE_KEY_DESTROY) {
		broker_destroy(conn_id, req_id, &e);
		return;
	}
	op.key_name[0] = '\0';
	/* The key's attributes travel with each use: a device keeps no PSA policy of its own. */
	op.attrs = e.attrs;
	broker_send(broker_pick_worker(p), conn_id, req_id, NULL, e.key_ref, e.key_ref_len, &op);
	explicit_bzero(e.key_ref, sizeof(e.key_ref));
}

void
broker_route_response(struct broker_worker *w, uint64_t prov_req_id, const uint8_t *data,
    size_t len)
{
	struct broker_pending key = { .prov_req_id = prov_req_id }, *pend;
	struct buf_reader rd;
	struct op_result res;

	pend = RB_FIND(broker_pending_tree, &route_pending, &key);
	if (pend == NULL || pend->worker != w) {
		broker_worker_fault(w, "answered a request it was not given");
		return;
	}
	buf_reader_init(&rd, data, len);
	if (op_result_decode(&rd, &res) == -1 || !buf_reader_done(&rd)) {
		broker_worker_fault(w, "sent a malformed result");
		return;
	}
	RB_REMOVE(broker_pending_tree, &route_pending, pend);
	w->inflight--;
	if (pend->keyop != NULL) {
		broker_keyop_ack(pend->keyop, res.status, &res);
	} else {
		/* The reference a provider may return is for the key store, not the client. */
		res.out[1].ptr = NULL;
		res.out[1].len = 0;
		broker_reply(pend->conn_id, pend->req_id, &res);
	}
	free(pend);
}

/* Answers one pending request that no provider will answer. */
static void
broker_pending_fail(struct broker_pending *pend, uint32_t status)
{
	RB_REMOVE(broker_pending_tree, &route_pending, pend);
	if (pend->keyop != NULL)
		broker_keyop_ack(pend->keyop, status, NULL);
	else
		broker_reply_status(pend->conn_id, pend->req_id, status);
	free(pend);
}

void
broker_route_worker_down(struct broker_worker *w)
{
	struct broker_pending *pend, *next;

	RB_FOREACH_SAFE(pend, broker_pending_tree, &route_pending, next)
		if (pend->worker == w)
			broker_pending_fail(pend, ST_PSA_COMMUNICATION_FAILURE);
	w->inflight = 0;
}

void
broker_route_send_failed(uint64_t prov_req_id, uint32_t status)
{
	struct broker_pending key = { .prov_req_id = prov_req_id }, *pend;

	/* Gone already if its worker died in between. */
	if ((pend = RB_FIND(broker_pending_tree, &route_pending, &key)) == NULL)
		return;
	pend->worker->inflight--;
	broker_pending_fail(pend, status);
}
