/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key life cycle: creation and destruction go through the key store in
 * two phases so a crash at any point leaves no orphan key and no dangling
 * name; start-up reconciliation settles what an interruption left half-done.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <psa/crypto.h>

#include "kim.h"
#include "broker_copy.h"
#include "broker_life.h"
#include "ipc.h"
#include "key_ref.h"
#include "log.h"
#include "tree.h"
#include "wipe.h"

/*
 * Crash points for the fault tests: a test build (PARSEC_TEST_HOOKS) kills
 * brokerd where PARSEC_FAULT names; a normal build has no such code.
 */
#ifdef PARSEC_TEST_HOOKS
void broker_fault(const char *point);
#define BROKER_FAULT(point) broker_fault(point)
/*
 * "group-answered": the answers of a group commit of several answered
 * creations are sent to frontd, which passes them on, before brokerd dies.
 */
static void
broker_fault_answered(struct broker_ctx *b)
{
	const char *want = getenv("PARSEC_FAULT");

	if (want == NULL || strcmp(want, "group-answered") != 0)
		return;
	ipc_chan_flush_now(b->proc.peer);
	broker_fault("group-answered");
}
#define BROKER_FAULT_ANSWERED(b) broker_fault_answered(b)
#else
#define BROKER_FAULT(point) ((void)0)
#define BROKER_FAULT_ANSWERED(b) ((void)0)
#endif

/* A client request (or a start-up task) made of one or more key operations. */
struct broker_job {
	struct broker_ctx *b;
	uint64_t conn_id; /* 0: internal, nobody to answer */
	uint64_t req_id;
	int startup; /* internal, counted in b->startup_jobs */
	uint32_t outstanding;
	uint32_t status;
};

enum broker_keyop_kind { KEYOP_CREATE, KEYOP_DESTROY };

/* One key being created or destroyed. */
struct broker_keyop {
	RB_ENTRY(broker_keyop) by_name;
	uint64_t seq; /* from 1, in order of creation */
	enum broker_keyop_kind kind;
	struct broker_job *job;
	struct kim_entry key; /* its name, provider and reference */
	uint32_t acks_left;
	int succeeded;
	uint32_t failure;
	/* Creation: kept to be sent again under a fresh id if the provider holds the id. */
	struct op_request op;
	uint8_t *in_copy[OP_MAX_INPUTS];
	uint32_t retries;
	/*
	 * Creation: waiting in b->group_first for the group commit, which reserves
	 * the name (the provider not asked yet) or settles the provider's answer.
	 */
	struct broker_keyop *group_next;
	int asked; /* the provider was asked: the group commit settles its answer */
	uint32_t group_status;
	struct broker_identity id; /* who asks, for the quota check at the reservation */
	uint64_t conn_id, req_id;
};

/* Ids in a row a provider may turn down as taken before a creation gives up. */
#define BROKER_CREATE_RETRIES 16

/*
 * Key operations under way by (authenticator, application, name), then by
 * age: a lookup with seq 0 finds the oldest of a name.
 */
static int
broker_keyop_cmp(const struct broker_keyop *a, const struct broker_keyop *b)
{
	int c;

	if (a->key.auth_type != b->key.auth_type)
		return a->key.auth_type < b->key.auth_type ? -1 : 1;
	if ((c = strcmp(a->key.app, b->key.app)) != 0 ||
	    (c = strcmp(a->key.name, b->key.name)) != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}
TREE_GENERATE_STATIC(broker_keyop_tree, broker_keyop, by_name, broker_keyop_cmp)

static void broker_life_ack(void *arg, uint32_t status, const struct op_result *res);
static void broker_volatile_destroy(struct broker_ctx *b, const struct kim_entry *e, size_t n);

int
broker_life_busy(struct broker_ctx *b, uint32_t auth_type, const char *app, const char *name)
{
	static struct broker_keyop want; /* large (a key reference): not on the stack */
	struct broker_keyop *k;

	want.key.auth_type = auth_type;
	strlcpy(want.key.app, app, sizeof(want.key.app));
	strlcpy(want.key.name, name, sizeof(want.key.name));
	k = RB_NFIND(broker_keyop_tree, &b->keyops, &want);
	return k != NULL && k->key.auth_type == auth_type && strcmp(k->key.app, app) == 0 &&
	    strcmp(k->key.name, name) == 0;
}

static struct broker_job *
broker_job_new(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id)
{
	struct broker_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		fatal("calloc");
	job->b = b;
	job->conn_id = conn_id;
	job->req_id = req_id;
	job->status = ST_SUCCESS;
	return job;
}

static void
broker_job_done(struct broker_job *job)
{
	/* An internal job's end is seen by brokerd.c's handlers, which drive start-up. */
	if (job->conn_id != 0)
		broker_answer_status(job->b, job->conn_id, job->req_id, job->status);
	else if (job->startup)
		job->b->startup_jobs--;
	free(job);
}

/* Drops the hold a job's starter keeps while it sends; ends the job if nothing is left. */
static void
broker_job_release(struct broker_job *job)
{
	if (--job->outstanding == 0)
		broker_job_done(job);
}

static struct broker_keyop *
broker_keyop_new(enum broker_keyop_kind kind, struct broker_job *job, const struct kim_entry *e)
{
	struct broker_keyop *k = calloc(1, sizeof(*k));

	if (k == NULL)
		fatal("calloc");
	k->kind = kind;
	k->job = job;
	k->key = *e;
	k->failure = ST_SUCCESS;
	k->seq = ++job->b->keyop_last_seq;
	job->outstanding++;
	RB_INSERT(broker_keyop_tree, &job->b->keyops, k);
	return k;
}

static void
broker_keyop_free(struct broker_keyop *k)
{
	size_t i;

	RB_REMOVE(broker_keyop_tree, &k->job->b->keyops, k);
	for (i = 0; i < OP_MAX_INPUTS; i++)
		wipe_free(k->in_copy[i], k->op.in[i].len);
	wipe_free(k, sizeof(*k));
}

static uint32_t
broker_key_id(const uint8_t *key_ref, size_t len)
{
	uint32_t id;

	return key_ref_id(key_ref, len, &id) == 0 ? id : 0;
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
	struct kim_entry *e = &k->key;
	struct broker_ctx *b = k->job->b;
	struct broker_provider *p = &b->providers[e->provider_id];
	uint32_t taken = broker_key_id(e->key_ref, e->key_ref_len);

	if (k->kind != KEYOP_CREATE || e->key_ref_len != 4 || k->retries++ >= BROKER_CREATE_RETRIES ||
	    !broker_prov_up(p))
		return 0;
	if (kim_retake_id(e->auth_type, e->app, e->name, e->provider_id, e->key_ref,
	    &e->key_ref_len) == -1)
		return 0;
	log_warnx("%s already holds key material under id 0x%08x that no key store entry "
	    "names (an orphan, left alone: parsecd --orphans lists them); the new key takes "
	    "id 0x%08x", p->name, taken, broker_key_id(e->key_ref, e->key_ref_len));
	broker_route_submit(b, p, e->auth_type, e->app, 0, 0, broker_life_ack, k, e->key_ref,
	    e->key_ref_len, &k->op);
	return 1;
}

/* A creation has its answer: the key store entry becomes active, or goes. */
static uint32_t
broker_keyop_settle_create(struct broker_keyop *k)
{
	struct kim_entry *e = &k->key;

	if (k->succeeded) {
		BROKER_FAULT("create-before-commit");
		if (kim_commit_create(e->auth_type, e->app, e->name, e->key_ref,
		    e->key_ref_len) == -1)
			return kim_full() ? ST_PSA_INSUFFICIENT_STORAGE : ST_KEY_INFO_MANAGER_ERROR;
		return ST_SUCCESS;
	}
	/* The provider may have made the key before it died: reconciliation decides. */
	if (k->failure != ST_PSA_COMMUNICATION_FAILURE &&
	    kim_remove(e->auth_type, e->app, e->name) == -1)
		log_warnx("could not drop the pending entry of a failed creation");
	return k->failure;
}

static void broker_group_add(struct broker_keyop *k);

/*
 * A key operation has all its answers and, for a creation, its group commit
 * is done (status its outcome): the job is settled.
 */
static void
broker_keyop_finish(struct broker_keyop *k, uint32_t status)
{
	struct broker_job *job = k->job;
	struct kim_entry *orphan = NULL;

	if (k->kind == KEYOP_CREATE) {
		/* A volatile key whose connection closed while it was made goes at once. */
		if (status == ST_SUCCESS && k->key.volatile_conn != 0 &&
		    broker_conn_find(job->b, k->key.volatile_conn) == NULL) {
			if ((orphan = malloc(sizeof(*orphan))) == NULL)
				fatal("malloc");
			*orphan = k->key;
		}
	} else if (k->succeeded || k->failure == ST_PSA_DOES_NOT_EXIST) {
		/* Gone from the provider (now, or already): the name goes too. */
		BROKER_FAULT("destroy-before-remove");
		if (kim_remove(k->key.auth_type, k->key.app, k->key.name) == -1)
			status = ST_KEY_INFO_MANAGER_ERROR;
	} else {
		/* Left as destroying: reconciliation finishes it when the provider is back. */
		status = k->failure;
	}
	if (status != ST_SUCCESS && job->status == ST_SUCCESS)
		job->status = status;
	broker_keyop_free(k);
	if (orphan != NULL) {
		broker_volatile_destroy(job->b, orphan, 1);
		wipe_free(orphan, sizeof(*orphan));
	}
	broker_job_release(job);
}

/* A worker's answer to a key operation (res NULL if no worker will answer). */
static void
broker_life_ack(void *arg, uint32_t status, const struct op_result *res)
{
	struct broker_keyop *k = arg;

	if (status == ST_PSA_ALREADY_EXISTS && broker_keyop_retry(k))
		return;
	if (status == ST_SUCCESS) {
		k->succeeded = 1;
		/* A provider may choose its own reference (a TPM's wrapped blob). */
		if (k->kind == KEYOP_CREATE && res != NULL && res->out[1].len > 0 &&
		    res->out[1].len <= sizeof(k->key.key_ref)) {
			memcpy(k->key.key_ref, res->out[1].ptr, res->out[1].len);
			k->key.key_ref_len = res->out[1].len;
		}
	} else if (k->failure == ST_SUCCESS || k->failure == ST_PSA_DOES_NOT_EXIST) {
		k->failure = status;
	}
	if (--k->acks_left != 0)
		return;
	/* A creation's answer waits for the group commit of its key store entry. */
	if (k->kind == KEYOP_CREATE)
		broker_group_add(k);
	else
		broker_keyop_finish(k, ST_SUCCESS);
}

/*
 * Destroys a key in one live worker, in its application's turn (broker_wq.c);
 * every worker is told at once to forget it (each may hold it parsed in
 * memory) without waiting for them.
 */
static void
broker_destroy_everywhere(struct broker_job *job, const struct kim_entry *e)
{
	struct broker_provider *p = &job->b->providers[e->provider_id];
	struct broker_keyop *k = broker_keyop_new(KEYOP_DESTROY, job, e);

	k->acks_left = 1;
	k->op.opcode = OP_PSA_DESTROY_KEY;
	k->op.attrs = e->attrs;
	broker_route_submit(job->b, p, e->auth_type, e->app, 0, 0, broker_life_ack, k,
	    k->key.key_ref, k->key.key_ref_len, &k->op);
}

struct broker_entries {
	struct kim_entry *entries;
	size_t count;
	size_t cap;
};

static int
broker_collect(const struct kim_entry *e, void *arg)
{
	struct broker_entries *rc = arg;

	if (rc->count == rc->cap) {
		size_t cap = rc->cap ? rc->cap * 2 : 16;
		/* An entry's key reference may carry the key's auth value (TPM). */
		struct kim_entry *p = wipe_grow(rc->entries, rc->count * sizeof(*p), cap * sizeof(*p));

		if (p == NULL)
			fatal("malloc");
		rc->entries = p;
		rc->cap = cap;
	}
	rc->entries[rc->count++] = *e;
	return 0;
}

static void
broker_entries_free(struct broker_entries *rc)
{
	wipe_free(rc->entries, rc->count * sizeof(*rc->entries));
}

size_t
broker_life_reconcile(struct broker_ctx *b, struct broker_provider *p)
{
	struct broker_entries rc;
	size_t i, started = 0;

	memset(&rc, 0, sizeof(rc));
	if (kim_list_unsettled(p->id, broker_collect, &rc) == -1)
		fatalx("cannot read the key store to reconcile %s", p->name);
	for (i = 0; i < rc.count; i++) {
		struct kim_entry *e = &rc.entries[i];
		struct broker_job *job;

		if (broker_life_busy(b, e->auth_type, e->app, e->name))
			continue;
		log_info("%s: settling %s key of application entry %zu left by an interruption",
		    p->name, e->state == KIM_PENDING ? "a half-created" : "a half-destroyed", i);
		job = broker_job_new(b, 0, 0);
		job->outstanding = 1; /* held until every destroy is sent */
		job->startup = 1;
		b->startup_jobs++;
		started++;
		broker_destroy_everywhere(job, e);
		broker_job_release(job);
	}
	broker_entries_free(&rc);
	return started;
}

static int
broker_life_is_volatile(const struct op_request *op)
{
	return op->opcode == OP_EXT_GENERATE_VOLATILE || op->opcode == OP_EXT_IMPORT_VOLATILE ||
	    (op->opcode == OP_EXT_COPY_KEY && op->number == 1) ||
	    (op->opcode == OP_EXT_KDF_OUTPUT_KEY && op->number2 == 1);
}

/*
 * Keys PSA calls invalid on any implementation (PSA Crypto API 1.0.1,
 * sections 9.2 and 9.6): no data, a public key to generate, a key of raw
 * bytes of a size its type has not. The client hears INVALID_ARGUMENT before
 * a provider that makes no such key at all says NOT_SUPPORTED, as from
 * mbedtls, which checks these first. bits 0 on import means the data's.
 */
static uint32_t
broker_life_size_check(const struct op_request *op)
{
	uint32_t type = op->attrs.type, bits = op->attrs.bits;
	int import = wire_opcode_base(op->opcode) == OP_PSA_IMPORT_KEY;
	int generate = wire_opcode_base(op->opcode) == OP_PSA_GENERATE_KEY;

	if (import && op->in[0].len == 0)
		return ST_PSA_INVALID_ARGUMENT;
	if (type > 0xffff || (!import && !generate))
		return ST_SUCCESS;
	if (generate && PSA_KEY_TYPE_IS_PUBLIC_KEY((psa_key_type_t)type))
		return ST_PSA_INVALID_ARGUMENT;
	if (!PSA_KEY_TYPE_IS_UNSTRUCTURED((psa_key_type_t)type))
		return ST_SUCCESS;
	if (import) {
		if (op->in[0].len > UINT32_MAX / 8 ||
		    (bits != 0 && bits != 8 * (uint32_t)op->in[0].len))
			return ST_PSA_INVALID_ARGUMENT;
		bits = 8 * (uint32_t)op->in[0].len;
	}
	if (bits == 0 || bits % 8 != 0)
		return ST_PSA_INVALID_ARGUMENT;
	switch (type) {
	case PSA_KEY_TYPE_AES:
	case PSA_KEY_TYPE_CAMELLIA:
		return bits == 128 || bits == 192 || bits == 256 ? ST_SUCCESS :
		    ST_PSA_INVALID_ARGUMENT;
	case PSA_KEY_TYPE_CHACHA20:
		return bits == 256 ? ST_SUCCESS : ST_PSA_INVALID_ARGUMENT;
	default:
		return ST_SUCCESS;
	}
}

/*
 * A volatile key lives as long as its connection: one that closes after
 * this answer (no keep-alive) cannot hold one, and one holds at most
 * BROKER_VOLATILE_PER_CONN. The entry is tied to the connection.
 */
static uint32_t
broker_volatile_admit(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    struct kim_entry *e)
{
	struct broker_conn *conn = broker_conn_find(b, conn_id);
	long held;

	if (conn == NULL || conn->last_req_id == req_id)
		return ST_PSA_BAD_STATE;
	if ((held = kim_count_volatile(conn_id)) == -1)
		return ST_KEY_INFO_MANAGER_ERROR;
	if (held >= BROKER_VOLATILE_PER_CONN) {
		log_info("connection %llu: at its bound of %d volatile keys",
		    (unsigned long long)conn_id, BROKER_VOLATILE_PER_CONN);
		return ST_PSA_INSUFFICIENT_MEMORY;
	}
	conn->has_volatile = 1;
	e->volatile_conn = conn_id;
	return ST_SUCCESS;
}

/*
 * Phase one of a creation, inside the group's transaction: the checks that
 * read the key store (so earlier creations of the group count), then the
 * name reserved as a pending entry with a fresh key id.
 */
static uint32_t
broker_group_reserve(struct broker_keyop *k)
{
	struct broker_ctx *b = k->job->b;
	struct kim_entry *e = &k->key;
	uint32_t r;
	int found;

	if (!broker_prov_up(&b->providers[e->provider_id]))
		return ST_PSA_COMMUNICATION_FAILURE;
	if ((r = broker_quota_check(b, &k->id, &k->op)) != ST_SUCCESS)
		return r;
	if (broker_life_is_volatile(&k->op) &&
	    (r = broker_volatile_admit(b, k->conn_id, k->req_id, e)) != ST_SUCCESS)
		return r;
	if ((found = kim_begin_create(e, e->key_ref, &e->key_ref_len)) != 0)
		return found == 1 ? ST_PSA_ALREADY_EXISTS :
		    kim_full() ? ST_PSA_INSUFFICIENT_STORAGE : ST_KEY_INFO_MANAGER_ERROR;
	return ST_SUCCESS;
}

/* After the group commit: a reserved creation goes to its provider, a refused one ends. */
static void
broker_group_ask(struct broker_keyop *k, uint32_t status)
{
	struct broker_job *job = k->job;
	struct broker_ctx *b = job->b;
	struct kim_entry *e = &k->key;

	if (status != ST_SUCCESS) {
		job->status = status;
		broker_keyop_free(k);
		broker_job_release(job);
		return;
	}
	BROKER_FAULT("create-after-pending");
	k->asked = 1;
	broker_route_submit(b, &b->providers[e->provider_id], e->auth_type, e->app, 0, 0,
	    broker_life_ack, k, e->key_ref, e->key_ref_len, &k->op);
}

/*
 * The group commit, once per turn of the event loop that queued creations:
 * the reservations of new creations and the settlements of answered ones
 * share one transaction, made durable by one sync. Only then does a
 * reserved creation go to its provider and an answered one to its client,
 * so a crash still leaves nothing unreserved at a provider and nothing
 * answered that the key store lacks.
 */
static void
broker_group_commit(evutil_socket_t fd, short events, void *arg)
{
	struct broker_ctx *b = arg;
	struct broker_keyop *k, *next, *list = b->group_first;
	int open, full = 0, answered = 0;
	uint32_t failed = ST_KEY_INFO_MANAGER_ERROR;

	b->group_first = NULL;
	b->group_last = &b->group_first;
	open = kim_group_begin() == 0;
	for (k = list; k != NULL; k = k->group_next) {
		/* SQLite may have ended the transaction on a failure: nothing more is written. */
		if (!kim_in_group())
			k->group_status = ST_KEY_INFO_MANAGER_ERROR;
		else
			k->group_status = k->asked ? broker_keyop_settle_create(k) :
			    broker_group_reserve(k);
	}
	if (!open || kim_group_commit(&full) == -1) {
		open = 0;
		failed = full ? ST_PSA_INSUFFICIENT_STORAGE : ST_KEY_INFO_MANAGER_ERROR;
		log_warnx("the key store could not commit %s creations",
		    list != NULL && list->group_next != NULL ? "a group of" : "a");
	}
	for (k = list; k != NULL; k = next) {
		uint32_t status = k->group_status;

		next = k->group_next;
		/* Rolled back: nothing reserved; a provider's key stays pending for reconciliation. */
		if (!open && status == ST_SUCCESS)
			status = failed;
		answered += k->asked && status == ST_SUCCESS;
		if (k->asked)
			broker_keyop_finish(k, status);
		else
			broker_group_ask(k, status);
	}
	if (answered > 1)
		BROKER_FAULT_ANSWERED(b);
}

static void
broker_group_add(struct broker_keyop *k)
{
	struct broker_ctx *b = k->job->b;

	if (b->group_commit == NULL &&
	    (b->group_commit = event_new(b->proc.base, -1, 0, broker_group_commit, b)) == NULL)
		fatalx("event_new failed");
	if (b->group_first == NULL) {
		b->group_last = &b->group_first;
		event_active(b->group_commit, EV_TIMEOUT, 0);
	}
	k->group_next = NULL;
	*b->group_last = k;
	b->group_last = &k->group_next;
}

void
broker_life_create(struct broker_ctx *b, struct broker_provider *p, uint64_t conn_id,
    uint64_t req_id, const struct broker_identity *id, struct op_request *op)
{
	struct kim_entry e;
	struct broker_keyop *k;
	size_t i;
	uint32_t r;

	if (!broker_prov_up(p)) {
		broker_answer_status(b, conn_id, req_id, ST_PSA_COMMUNICATION_FAILURE);
		return;
	}
	if ((r = broker_life_size_check(op)) != ST_SUCCESS) {
		broker_answer_status(b, conn_id, req_id, r);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.auth_type = id->auth_type;
	strlcpy(e.app, id->app_name, sizeof(e.app));
	strlcpy(e.name, op->key_name, sizeof(e.name));
	e.provider_id = p->id;
	e.attrs = op->attrs;
	e.bytes = broker_quota_bytes(op);
	k = broker_keyop_new(KEYOP_CREATE, broker_job_new(b, conn_id, req_id), &e);
	explicit_bzero(&e, sizeof(e));
	k->acks_left = 1;
	k->id = *id;
	k->conn_id = conn_id;
	k->req_id = req_id;
	op->key_name[0] = '\0';
	k->op = *op;
	/* The request's buffer is gone after this turn of the loop: its inputs are kept. */
	for (i = 0; i < OP_MAX_INPUTS; i++) {
		if (op->in[i].len == 0)
			continue;
		if ((k->in_copy[i] = malloc(op->in[i].len)) == NULL)
			fatal("malloc");
		memcpy(k->in_copy[i], op->in[i].ptr, op->in[i].len);
		k->op.in[i].ptr = k->in_copy[i];
	}
	broker_group_add(k);
}

void
broker_life_destroy(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct kim_entry *e)
{
	struct broker_job *job;

	if (kim_mark_destroying(e->auth_type, e->app, e->name) == -1) {
		broker_answer_status(b, conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	BROKER_FAULT("destroy-after-mark");
	job = broker_job_new(b, conn_id, req_id);
	job->outstanding = 1;
	broker_destroy_everywhere(job, e);
	broker_job_release(job);
}

void
broker_life_delete_client(struct broker_ctx *b, uint64_t conn_id, uint64_t req_id,
    const struct broker_identity *id, const char *client)
{
	struct broker_entries rc;
	struct broker_job *job;
	size_t i;

	memset(&rc, 0, sizeof(rc));
	if (kim_list_all_of(id->auth_type, client, broker_collect, &rc) == -1) {
		broker_answer_status(b, conn_id, req_id, ST_KEY_INFO_MANAGER_ERROR);
		return;
	}
	job = broker_job_new(b, conn_id, req_id);
	job->outstanding = 1;
	for (i = 0; i < rc.count; i++) {
		struct kim_entry *e = &rc.entries[i];

		if (broker_life_busy(b, e->auth_type, e->app, e->name) ||
		    kim_mark_destroying(e->auth_type, e->app, e->name) == -1) {
			job->status = ST_KEY_INFO_MANAGER_ERROR;
			continue;
		}
		broker_destroy_everywhere(job, e);
	}
	broker_entries_free(&rc);
	broker_job_release(job);
}

/*
 * Destroys n volatile keys whose connection is gone, through the normal
 * path (marked destroying, the provider, then the key store), nobody to
 * answer. One under way already is left to finish.
 */
static void
broker_volatile_destroy(struct broker_ctx *b, const struct kim_entry *e, size_t n)
{
	struct broker_job *job = broker_job_new(b, 0, 0);
	size_t i;

	job->outstanding = 1;
	for (i = 0; i < n; i++) {
		if (broker_life_busy(b, e[i].auth_type, e[i].app, e[i].name))
			continue;
		if (!b->providers[e[i].provider_id].configured ||
		    kim_mark_destroying(e[i].auth_type, e[i].app, e[i].name) == -1) {
			log_warnx("a volatile key of a closed connection could not be destroyed "
			    "now; the next start of the service destroys it");
			continue;
		}
		broker_destroy_everywhere(job, &e[i]);
	}
	broker_job_release(job);
}

void
broker_life_volatile_gone(struct broker_ctx *b, uint64_t conn_id)
{
	struct broker_entries rc;

	memset(&rc, 0, sizeof(rc));
	if (kim_list_volatile(conn_id, broker_collect, &rc) == -1) {
		log_warnx("connection %llu closed: cannot read its volatile keys; the next "
		    "start of the service destroys them", (unsigned long long)conn_id);
	} else if (rc.count > 0) {
		log_debug("connection %llu closed: destroying its %zu volatile keys",
		    (unsigned long long)conn_id, rc.count);
		broker_volatile_destroy(b, rc.entries, rc.count);
	}
	broker_entries_free(&rc);
}

void
broker_life_copy(struct broker_ctx *b, struct broker_provider *p, uint64_t conn_id,
    uint64_t req_id, const struct broker_identity *id, struct op_request *op)
{
	static struct kim_entry src; /* large (a key reference): not on the stack */
	uint32_t status = ST_SUCCESS;
	int r;

	if (op->client[0] == '\0')
		status = ST_PSA_INVALID_ARGUMENT;
	else if ((r = kim_get(id->auth_type, id->app_name, op->client, &src)) == -1)
		status = ST_KEY_INFO_MANAGER_ERROR;
	/* As any use: only the application's own active key, on this provider. */
	else if (r == 1 || src.state != KIM_ACTIVE || src.provider_id != p->id ||
	    broker_life_busy(b, src.auth_type, src.app, src.name))
		status = ST_PSA_DOES_NOT_EXIST;
	else
		status = broker_copy_policy(&src.attrs, &op->attrs);
	if (status != ST_SUCCESS) {
		broker_answer_status(b, conn_id, req_id, status);
		explicit_bzero(&src, sizeof(src));
		return;
	}
	/* The provider finds the source by its reference, which brokerd alone gives. */
	memset(op->in, 0, sizeof(op->in));
	op->in[0] = (struct op_bytes){ src.key_ref, src.key_ref_len };
	op->client[0] = '\0';
	broker_life_create(b, p, conn_id, req_id, id, op);
	explicit_bzero(&src, sizeof(src));
}
