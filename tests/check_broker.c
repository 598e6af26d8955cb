/* SPDX-License-Identifier: Apache-2.0 */
/*
 * brokerd's routing, fairness and key life cycle in-process: its objects
 * with the output layer replaced by tests/broker_out_stub.c, which records
 * what would have gone to frontd and the workers. A test plays frontd
 * (encoded requests into broker_dispatch_request) and the workers (encoded
 * answers into broker_route_response), as brokerd.c's handlers would.
 */
#include <sys/socket.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <psa/crypto.h>
#include <sqlite3.h>

#include "kim.h"
#include "broker_copy.h"
#include "broker_life.h"
#include "broker_out_stub.h"
#include "brokerd.h"
#include "ipc_msg.h"
#include "testlib.h"

#define PROV WIRE_PROVIDER_MBED_CRYPTO

static struct broker_ctx b;
static char kim_dir[64];

/* Provider PROV with workers workers, the first up of them up, serving what they are asked. */
static void
broker_setup_provider(uint32_t workers, uint32_t up)
{
	/* The software provider's rows and costs (prov_mbed.c), as its PROV_INFO says them. */
	static const struct ipc_prov_op ops[] = { { OP_PSA_GENERATE_KEY, 1, 2500 },
		{ OP_PSA_DESTROY_KEY, 1, 1400 }, { OP_PSA_SIGN_HASH, 1, 500 },
		{ OP_PSA_GENERATE_RANDOM, 1, 500 }, { OP_PSA_HASH_COMPUTE, 1, 500 },
		{ OP_EXT_ABORT, 1, 50 }, { OP_EXT_HASH_SETUP, 1, 50 }, { OP_EXT_HASH_UPDATE, 1, 50 },
		{ OP_EXT_HASH_CLONE, 1, 50 } };
	struct broker_provider *p = broker_prov_configure(&b, PROV, "mbed-crypto");
	uint32_t i;

	memcpy(p->ops, ops, sizeof(ops));
	p->op_count = sizeof(ops) / sizeof(ops[0]);
	p->have_info = 1;
	p->worker_count = workers;
	for (i = 0; i < workers; i++) {
		p->workers[i].provider = p;
		p->workers[i].index = i;
		p->workers[i].up = i < up;
	}
}

static void
broker_setup(void)
{
	char path[sizeof(kim_dir) + 16];

	memset(&b, 0, sizeof(b));
	memset(&stub_out, 0, sizeof(stub_out));
	ck_assert_ptr_nonnull(b.proc.base = event_base_new());
	broker_dispatch_init(&b);
	/* Applications name themselves (Direct). */
	b.setup.auth_count = 1;
	b.setup.auths[0].type = WIRE_AUTH_DIRECT;
	strlcpy(kim_dir, "/tmp/check_broker.XXXXXX", sizeof(kim_dir));
	ck_assert_ptr_nonnull(mkdtemp(kim_dir));
	snprintf(path, sizeof(path), "%s/kim.sqlite3", kim_dir);
	ck_assert_int_eq(kim_open(path), 0);
	broker_setup_provider(2, 2);
}

static void
broker_teardown(void)
{
	char cmd[80];
	uint32_t i;

	/* What a test left at the workers ends as brokerd ends it when they die. */
	for (i = 0; i < b.providers[PROV].worker_count; i++)
		broker_route_worker_down(&b, &b.providers[PROV].workers[i]);
	kim_close();
	event_free(b.fair_drain);
	if (b.group_commit != NULL)
		event_free(b.group_commit);
	event_base_free(b.proc.base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", kim_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", kim_dir);
}

/*
 * The end of brokerd's turn of the event loop after a message: the group
 * commit of the creations it queued (broker_life.c) runs, as in brokerd.
 */
static void
broker_turn_ends(void)
{
	ck_assert_int_ne(event_base_loop(b.proc.base, EVLOOP_NONBLOCK), -1);
}

/* frontd passes a request of application app on connection conn_id. */
static void
broker_request(uint64_t conn_id, uint64_t req_id, const char *app, uint32_t provider,
    const struct op_request *op)
{
	struct ipc_request m;
	uint8_t *data;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.provider = (uint8_t)provider;
	m.auth_type = WIRE_AUTH_DIRECT;
	m.auth = (const uint8_t *)app;
	m.auth_len = strlen(app);
	m.op = *op;
	data = ipc_request_encode_alloc(&m, &len);
	broker_dispatch_request(&b, conn_id, req_id, 1000, data, len);
	/* frontd's message is gone once brokerd has returned: nothing may point into it. */
	explicit_bzero(data, len);
	free(data);
	broker_turn_ends();
}

static void
broker_random(uint64_t conn_id, uint64_t req_id, const char *app)
{
	struct op_request op;

	memset(&op, 0, sizeof(op));
	op.opcode = OP_PSA_GENERATE_RANDOM;
	op.number = 16;
	broker_request(conn_id, req_id, app, PROV, &op);
}

static void
broker_keyop(uint32_t opcode, uint64_t conn_id, uint64_t req_id, const char *app,
    const char *name)
{
	struct op_request op;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	strlcpy(op.key_name, name, sizeof(op.key_name));
	op.attrs.type = 0x7112; /* an ECC P-256 key pair */
	op.attrs.bits = 256;
	broker_request(conn_id, req_id, app, PROV, &op);
}

/* Worker w answers prov_req_id with status. */
static void
broker_answer_from(struct broker_worker *w, uint64_t prov_req_id, uint32_t status)
{
	struct op_result res;
	struct buf_writer wr;
	uint8_t buf[256];

	op_result_status(&res, status);
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_result_encode(&wr, &res);
	ck_assert(buf_writer_ok(&wr));
	broker_route_response(&b, w, prov_req_id, buf, wr.off);
	broker_turn_ends();
}

/* The worker that was sent the send'th operation answers it with status. */
static void
broker_worker_answers(size_t send, uint32_t status)
{
	const struct stub_send *s = &stub_out.sends[send];

	ck_assert_uint_lt(send, stub_out.send_count);
	broker_answer_from(&b.providers[s->provider].workers[s->worker], s->prov_req_id, status);
}

/* The answer to (conn_id, req_id); fails the test if there is none or more than one. */
static const struct stub_reply *
broker_reply_to(uint64_t conn_id, uint64_t req_id)
{
	const struct stub_reply *found = NULL;
	size_t i;

	for (i = 0; i < stub_out.reply_count; i++) {
		if (stub_out.replies[i].conn_id != conn_id || stub_out.replies[i].req_id != req_id)
			continue;
		ck_assert_msg(found == NULL, "request %llu answered twice",
		    (unsigned long long)req_id);
		found = &stub_out.replies[i];
	}
	ck_assert_msg(found != NULL, "request %llu of connection %llu not answered",
	    (unsigned long long)req_id, (unsigned long long)conn_id);
	return found;
}

/* Each operation goes to the least loaded worker; its answer goes back to its client. */
START_TEST(t_route_worker)
{
	struct op_request op;

	broker_random(1, 1, "alice");
	broker_random(2, 7, "bob");
	ck_assert_uint_eq(stub_out.send_count, 2);
	ck_assert_uint_eq(stub_out.sends[0].provider, PROV);
	ck_assert_uint_eq(stub_out.sends[0].opcode, OP_PSA_GENERATE_RANDOM);
	ck_assert_uint_ne(stub_out.sends[0].worker, stub_out.sends[1].worker);
	ck_assert_uint_eq(stub_out.reply_count, 0);
	broker_worker_answers(1, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.reply_count, 1);
	ck_assert_uint_eq(broker_reply_to(2, 7)->status, ST_SUCCESS);
	/* Bob's worker is free again: the next operation goes there. */
	broker_random(3, 1, "carol");
	ck_assert_uint_eq(stub_out.sends[2].worker, stub_out.sends[1].worker);
	/* An answer from a worker that was not given the request is a fault, not an answer. */
	broker_answer_from(&b.providers[PROV].workers[1 - stub_out.sends[0].worker],
	    stub_out.sends[0].prov_req_id, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.fault_count, 1);
	ck_assert_uint_eq(stub_out.reply_count, 1);
	/* A provider that is not configured is never sent anything. */
	memset(&op, 0, sizeof(op));
	op.opcode = OP_PSA_GENERATE_RANDOM;
	broker_request(4, 1, "alice", WIRE_PROVIDER_PKCS11, &op);
	ck_assert_uint_eq(broker_reply_to(4, 1)->status, ST_PROVIDER_NOT_REGISTERED);
	ck_assert_uint_eq(stub_out.send_count, 3);
	/* Nothing is left owed (the suite also runs in one process, under valgrind). */
	broker_worker_answers(0, ST_SUCCESS);
	broker_worker_answers(2, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.reply_count, 4);
}
END_TEST

/*
 * One request per application at a time: the rest are parked and go on in
 * round-robin order as answers come, with the identity they arrived with:
 * the authenticator is removed while they wait (as a reload may), and they
 * still go, where a second authentication would refuse them.
 */
START_TEST(t_fair_parked)
{
	static const uint64_t want[] = { 1, 11, 2, 12, 3 }; /* the requests, in sent order */
	size_t i;

	b.setup.max_requests_per_application = 1;
	broker_random(1, 1, "alice");
	broker_random(1, 2, "alice");
	broker_random(1, 3, "alice");
	broker_random(2, 11, "bob");
	broker_random(2, 12, "bob");
	ck_assert_uint_eq(stub_out.send_count, 2); /* alice 1, bob 11 */
	b.setup.auth_count = 0;
	broker_worker_answers(0, ST_SUCCESS); /* alice 1: alice 2 may go */
	ck_assert_int_ne(event_base_loop(b.proc.base, EVLOOP_NONBLOCK), -1);
	ck_assert_uint_eq(stub_out.send_count, 3);
	/* bob 11 and alice 2 answered: bob 12 and alice 3 may go, bob's turn first */
	broker_worker_answers(1, ST_SUCCESS);
	broker_worker_answers(2, ST_SUCCESS);
	ck_assert_int_ne(event_base_loop(b.proc.base, EVLOOP_NONBLOCK), -1);
	ck_assert_uint_eq(stub_out.send_count, 5);
	broker_worker_answers(3, ST_SUCCESS);
	broker_worker_answers(4, ST_SUCCESS);
	/* Each send was answered in turn: the answers' order is the order they were sent in. */
	ck_assert_uint_eq(stub_out.reply_count, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(stub_out.replies[i].req_id, want[i]);
		ck_assert_uint_eq(stub_out.replies[i].status, ST_SUCCESS);
	}
}
END_TEST

/* A parked request's inputs are its own: kept until it goes on, not frontd's message. */
START_TEST(t_fair_parked_inputs)
{
	static const uint8_t input[] = "the parked request's own input";
	struct op_request op;

	b.setup.max_requests_per_application = 1;
	broker_random(1, 1, "alice");
	memset(&op, 0, sizeof(op));
	op.opcode = OP_PSA_HASH_COMPUTE;
	op.alg = 0x02000009; /* SHA-256 */
	op.in[0].ptr = input;
	op.in[0].len = sizeof(input);
	broker_request(1, 2, "alice", PROV, &op);
	ck_assert_uint_eq(stub_out.send_count, 1);
	broker_worker_answers(0, ST_SUCCESS);
	ck_assert_int_ne(event_base_loop(b.proc.base, EVLOOP_NONBLOCK), -1);
	ck_assert_uint_eq(stub_out.send_count, 2);
	ck_assert_uint_eq(stub_out.sends[1].opcode, OP_PSA_HASH_COMPUTE);
	ck_assert_uint_eq(stub_out.sends[1].in0_len, sizeof(input));
	ck_assert_mem_eq(stub_out.sends[1].in0, input, sizeof(input));
	broker_worker_answers(1, ST_SUCCESS);
	ck_assert_uint_eq(broker_reply_to(1, 2)->status, ST_SUCCESS);
}
END_TEST

/* A key is made (two phases), then destroyed: every live worker is told to forget it. */
START_TEST(t_destroy_forgotten)
{
	struct kim_entry e;
	size_t i;

	b.providers[PROV].worker_count = 3; /* the third is down */
	b.providers[PROV].workers[2].provider = &b.providers[PROV];
	b.providers[PROV].workers[2].index = 2;
	broker_keyop(OP_PSA_GENERATE_KEY, 1, 1, "alice", "k1");
	ck_assert_uint_eq(stub_out.send_count, 1);
	ck_assert_uint_eq(stub_out.sends[0].opcode, OP_PSA_GENERATE_KEY);
	/* Until the provider has answered, the name is only reserved. */
	ck_assert_int_eq(kim_get(WIRE_AUTH_DIRECT, "alice", "k1", &e), 0);
	ck_assert_int_eq(e.state, KIM_PENDING);
	broker_worker_answers(0, ST_SUCCESS);
	ck_assert_uint_eq(broker_reply_to(1, 1)->status, ST_SUCCESS);
	ck_assert_int_eq(kim_get(WIRE_AUTH_DIRECT, "alice", "k1", &e), 0);
	ck_assert_int_eq(e.state, KIM_ACTIVE);

	broker_keyop(OP_PSA_DESTROY_KEY, 1, 2, "alice", "k1");
	ck_assert_uint_eq(stub_out.send_count, 2);
	ck_assert_uint_eq(stub_out.sends[1].opcode, OP_PSA_DESTROY_KEY);
	ck_assert_uint_eq(stub_out.forget_count, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(stub_out.forgets[i].worker, i);
		ck_assert_uint_eq(stub_out.forgets[i].key_ref_len, e.key_ref_len);
		ck_assert_mem_eq(stub_out.forgets[i].key_ref, e.key_ref, e.key_ref_len);
	}
	/* The key is busy while it is destroyed: a use finds nothing. */
	broker_keyop(OP_PSA_SIGN_HASH, 1, 3, "alice", "k1");
	ck_assert_uint_eq(broker_reply_to(1, 3)->status, ST_PSA_DOES_NOT_EXIST);
	broker_worker_answers(1, ST_SUCCESS);
	ck_assert_uint_eq(broker_reply_to(1, 2)->status, ST_SUCCESS);
	ck_assert_int_eq(kim_get(WIRE_AUTH_DIRECT, "alice", "k1", &e), 1);
}
END_TEST

/* A worker dies: everything it owed is answered CommunicationFailure, creations included. */
START_TEST(t_worker_death)
{
	struct broker_worker *w;
	struct kim_entry e;

	b.providers[PROV].workers[1].up = 0;
	broker_random(1, 1, "alice");
	broker_random(1, 2, "alice");
	broker_keyop(OP_PSA_GENERATE_KEY, 2, 1, "bob", "k1");
	ck_assert_uint_eq(stub_out.send_count, 3);
	w = &b.providers[PROV].workers[0];
	w->up = 0;
	broker_route_worker_down(&b, w);
	broker_turn_ends();
	ck_assert_uint_eq(stub_out.reply_count, 3);
	ck_assert_uint_eq(broker_reply_to(1, 1)->status, ST_PSA_COMMUNICATION_FAILURE);
	ck_assert_uint_eq(broker_reply_to(1, 2)->status, ST_PSA_COMMUNICATION_FAILURE);
	ck_assert_uint_eq(broker_reply_to(2, 1)->status, ST_PSA_COMMUNICATION_FAILURE);
	/* The worker may have made the key: it stays pending for reconciliation. */
	ck_assert_int_eq(kim_get(WIRE_AUTH_DIRECT, "bob", "k1", &e), 0);
	ck_assert_int_eq(e.state, KIM_PENDING);
	ck_assert_uint_eq(w->inflight, 0);
	/* Nothing is left to answer: a late answer from it is a fault. */
	broker_worker_answers(0, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.fault_count, 1);
	ck_assert_uint_eq(stub_out.reply_count, 3);
	/* With no worker up, a new request is answered at once. */
	broker_random(1, 3, "alice");
	ck_assert_uint_eq(broker_reply_to(1, 3)->status, ST_PSA_COMMUNICATION_FAILURE);
}
END_TEST

/*
 * A creation an interruption left half-done is settled when its provider
 * comes up: destroyed in the provider (every worker forgets it), the name
 * dropped; until then it counts as start-up work.
 */
START_TEST(t_reconcile)
{
	struct kim_entry e;

	memset(&e, 0, sizeof(e));
	e.auth_type = WIRE_AUTH_DIRECT;
	strlcpy(e.app, "alice", sizeof(e.app));
	strlcpy(e.name, "half", sizeof(e.name));
	e.provider_id = PROV;
	e.attrs.type = 0x7112;
	e.attrs.bits = 256;
	ck_assert_int_eq(kim_begin_create(&e, e.key_ref, &e.key_ref_len), 0);
	ck_assert_uint_eq(broker_life_reconcile(&b, &b.providers[PROV]), 1);
	ck_assert_uint_eq(b.startup_jobs, 1);
	ck_assert_uint_eq(stub_out.send_count, 1);
	ck_assert_uint_eq(stub_out.sends[0].opcode, OP_PSA_DESTROY_KEY);
	ck_assert_uint_eq(stub_out.forget_count, 2);
	/* The name is busy meanwhile: a client's creation of it is refused. */
	broker_keyop(OP_PSA_GENERATE_KEY, 1, 1, "alice", "half");
	ck_assert_uint_eq(broker_reply_to(1, 1)->status, ST_PSA_ALREADY_EXISTS);
	/* The provider never made it: DoesNotExist settles it as well as Success. */
	broker_worker_answers(0, ST_PSA_DOES_NOT_EXIST);
	ck_assert_uint_eq(b.startup_jobs, 0);
	ck_assert_int_eq(kim_get(WIRE_AUTH_DIRECT, "alice", "half", &e), 1);
	ck_assert_uint_eq(stub_out.reply_count, 1); /* nobody to answer for the start-up job */
}
END_TEST

/* An entry of app's, named name, reserved in the key store and, if active, committed. */
static void
kim_put(const char *app, const char *name, uint64_t conn, int active)
{
	struct kim_entry e;

	memset(&e, 0, sizeof(e));
	e.auth_type = WIRE_AUTH_DIRECT;
	strlcpy(e.app, app, sizeof(e.app));
	strlcpy(e.name, name, sizeof(e.name));
	e.provider_id = PROV;
	e.attrs.type = 0x2400; /* AES */
	e.attrs.bits = 128;
	e.bytes = 16;
	e.volatile_conn = conn;
	ck_assert_int_eq(kim_begin_create(&e, e.key_ref, &e.key_ref_len), 0);
	if (active)
		ck_assert_int_eq(kim_commit_create(WIRE_AUTH_DIRECT, app, name, e.key_ref,
		    e.key_ref_len), 0);
}

static int
kim_collect_app(const char *app, void *arg)
{
	char *out = arg;

	strlcat(out, app, 64);
	strlcat(out, " ", 64);
	return 0;
}

static int
kim_collect_name(const struct kim_entry *e, void *arg)
{
	char *out = arg;

	strlcat(out, e->name, 64);
	strlcat(out, " ", 64);
	return 0;
}

/*
 * The key store's answers that a large store serves from indexes (ListClients
 * from the per-application counts, start-up reconciliation from the pending
 * and destroying entries, volatile keys by connection) are those of the
 * scans they replace: every application with an entry in any state, the
 * unsettled entries alone, a connection's volatile keys alone; reopened, the
 * store keeps counting each application's keys.
 */
START_TEST(t_kim_indexed_answers)
{
	char got[64] = "", path[sizeof(kim_dir) + 16];
	uint64_t keys, bytes;

	kim_put("alice", "k1", 0, 1);
	kim_put("alice", "k2", 0, 1);
	kim_put("bob", "half", 0, 0);
	kim_put("carol", "gone", 0, 1);
	kim_put("dave", "vol", 7, 1);
	ck_assert_int_eq(kim_remove(WIRE_AUTH_DIRECT, "carol", "gone"), 0);
	ck_assert_int_eq(kim_mark_destroying(WIRE_AUTH_DIRECT, "alice", "k2"), 0);
	ck_assert_int_eq(kim_list_clients(WIRE_AUTH_DIRECT, kim_collect_app, got), 0);
	ck_assert_str_eq(got, "alice bob dave ");
	got[0] = '\0';
	ck_assert_int_eq(kim_list_clients(WIRE_AUTH_UNIX_PEER_CREDENTIALS, kim_collect_app, got), 0);
	ck_assert_str_eq(got, "");
	ck_assert_int_eq(kim_list_unsettled(PROV, kim_collect_name, got), 0);
	ck_assert(strcmp(got, "half k2 ") == 0 || strcmp(got, "k2 half ") == 0);
	ck_assert_int_eq(kim_count_volatile(7), 1);
	ck_assert_int_eq(kim_count_volatile(8), 0);
	got[0] = '\0';
	ck_assert_int_eq(kim_list_volatile(7, kim_collect_name, got), 0);
	ck_assert_str_eq(got, "vol ");
	kim_close();
	snprintf(path, sizeof(path), "%s/kim.sqlite3", kim_dir);
	ck_assert_int_eq(kim_open(path), 0);
	kim_put("alice", "k3", 0, 1);
	ck_assert_int_eq(kim_usage(WIRE_AUTH_DIRECT, "alice", &keys, &bytes), 0);
	ck_assert_uint_eq(keys, 3);
	ck_assert_uint_eq(bytes, 48);
	ck_assert_int_eq(kim_drop_volatile(), 1);
	ck_assert_int_eq(kim_count_volatile(7), 0);
	got[0] = '\0';
	ck_assert_int_eq(kim_list_unsettled(PROV, kim_collect_name, got), 0);
	ck_assert_uint_eq(strlen(got), strlen("half k2 vol "));
}
END_TEST

/*
 * Every statement the key store keeps prepared finds its rows through an
 * index (EXPLAIN QUERY PLAN): none walks the keys table, which at a million
 * keys takes a second of brokerd's only thread. A walk bounded by LIMIT is
 * allowed (whether the store is empty).
 */
START_TEST(t_kim_no_scan)
{
	sqlite3 *db = kim_sqlite();
	sqlite3_stmt *st = NULL, *plan;
	char sql[2048];
	int n = 0;

	while ((st = sqlite3_next_stmt(db, st)) != NULL) {
		if (strstr(sqlite3_sql(st), "LIMIT") != NULL)
			continue;
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &plan, NULL), SQLITE_OK);
		while (sqlite3_step(plan) == SQLITE_ROW) {
			const char *detail = (const char *)sqlite3_column_text(plan, 3);

			ck_assert_msg(detail == NULL || strncmp(detail, "SCAN keys", 9) != 0,
			    "%s: %s", sqlite3_sql(st), detail);
		}
		sqlite3_finalize(plan);
		n++;
	}
	ck_assert_int_ge(n, 15);
}
END_TEST

/*
 * One case of the copy rule: a source policy, a requested one, and the key
 * (type, bits, material) they are about.
 */
struct copy_case {
	psa_key_type_t type;
	size_t bits;
	psa_key_usage_t source_usage, want_usage;
	psa_algorithm_t source_alg, want_alg;
	psa_key_type_t want_type;
	size_t want_bits;
};

/* mbedtls 2.28's psa_copy_key on volatile keys: its status, and the copy's policy. */
static uint32_t
copy_by_mbedtls(const struct copy_case *c, struct op_key_attrs *got)
{
	static const uint8_t material[32] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15 };
	psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT, t = PSA_KEY_ATTRIBUTES_INIT;
	psa_key_id_t source, target = 0;
	psa_status_t st;

	psa_set_key_type(&a, c->type);
	psa_set_key_usage_flags(&a, c->source_usage);
	psa_set_key_algorithm(&a, c->source_alg);
	ck_assert_int_eq(psa_import_key(&a, material, c->bits / 8, &source), PSA_SUCCESS);
	psa_set_key_type(&t, c->want_type);
	psa_set_key_bits(&t, c->want_bits);
	psa_set_key_usage_flags(&t, c->want_usage);
	psa_set_key_algorithm(&t, c->want_alg);
	st = psa_copy_key(source, &t, &target);
	if (st == PSA_SUCCESS) {
		ck_assert_int_eq(psa_get_key_attributes(target, &t), PSA_SUCCESS);
		*got = (struct op_key_attrs){ psa_get_key_type(&t), (uint32_t)psa_get_key_bits(&t),
			psa_get_key_usage_flags(&t), psa_get_key_algorithm(&t) };
		psa_destroy_key(target);
	}
	psa_reset_key_attributes(&t);
	psa_destroy_key(source);
	return wire_status_of_psa(st);
}

#define SIGN_USAGE (PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE)
#define ALL_USAGE (SIGN_USAGE | PSA_KEY_USAGE_EXPORT | PSA_KEY_USAGE_COPY | \
	PSA_KEY_USAGE_ENCRYPT | PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_VERIFY_HASH | \
	PSA_KEY_USAGE_VERIFY_MESSAGE)
#define P256 PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)
#define GCM_MIN(n) PSA_ALG_AEAD_WITH_AT_LEAST_THIS_LENGTH_TAG(PSA_ALG_GCM, n)
#define HMAC256 PSA_ALG_HMAC(PSA_ALG_SHA_256)
#define HMAC_MIN(n) PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(HMAC256, n)

/*
 * brokerd's copy rule (broker_copy.c) gives what mbedtls's psa_copy_key
 * gives, status and policy, for wildcards of each family, narrowing,
 * refusals and type or size mismatches.
 */
START_TEST(t_copy_policy_as_mbedtls)
{
	const struct copy_case cases[] = {
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_EXPORT, ALL_USAGE, PSA_ALG_CTR, PSA_ALG_CTR,
		    0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT, ALL_USAGE,
		    PSA_ALG_CTR, PSA_ALG_CTR, 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, PSA_ALG_CTR,
		    PSA_ALG_CBC_NO_PADDING, 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, PSA_ALG_CTR, 0, 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, 0, PSA_ALG_CTR, 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, PSA_ALG_CTR,
		    PSA_ALG_CTR, PSA_KEY_TYPE_AES, 256 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, PSA_ALG_CTR,
		    PSA_ALG_CTR, PSA_KEY_TYPE_HMAC, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY, PSA_KEY_USAGE_COPY, PSA_ALG_CTR,
		    PSA_ALG_CTR, PSA_KEY_TYPE_AES, 128 },
		{ P256, 256, SIGN_USAGE | PSA_KEY_USAGE_COPY, SIGN_USAGE,
		    PSA_ALG_ECDSA(PSA_ALG_ANY_HASH), PSA_ALG_ECDSA(PSA_ALG_SHA_384), 0, 0 },
		{ P256, 256, SIGN_USAGE | PSA_KEY_USAGE_COPY, SIGN_USAGE | PSA_KEY_USAGE_COPY,
		    PSA_ALG_ECDSA(PSA_ALG_SHA_256), PSA_ALG_ECDSA(PSA_ALG_ANY_HASH), 0, 0 },
		{ P256, 256, SIGN_USAGE | PSA_KEY_USAGE_COPY, SIGN_USAGE,
		    PSA_ALG_ECDSA(PSA_ALG_SHA_256), PSA_ALG_ECDSA(PSA_ALG_SHA_384), 0, 0 },
		{ P256, 256, SIGN_USAGE | PSA_KEY_USAGE_COPY, SIGN_USAGE,
		    PSA_ALG_ECDSA(PSA_ALG_ANY_HASH), PSA_ALG_DETERMINISTIC_ECDSA(PSA_ALG_SHA_256),
		    0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT,
		    PSA_KEY_USAGE_ENCRYPT, GCM_MIN(8), GCM_MIN(12), 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT,
		    PSA_KEY_USAGE_ENCRYPT, GCM_MIN(12), PSA_ALG_AEAD_WITH_SHORTENED_TAG(PSA_ALG_GCM,
		    8), 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY | PSA_KEY_USAGE_ENCRYPT,
		    PSA_KEY_USAGE_ENCRYPT, GCM_MIN(8), PSA_ALG_GCM, 0, 0 },
		{ PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_COPY | SIGN_USAGE, SIGN_USAGE, HMAC_MIN(16),
		    HMAC_MIN(20), 0, 0 },
		{ PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_COPY | SIGN_USAGE, SIGN_USAGE, HMAC_MIN(16),
		    PSA_ALG_TRUNCATED_MAC(HMAC256, 24), 0, 0 },
		{ PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_COPY | SIGN_USAGE, SIGN_USAGE, HMAC_MIN(24),
		    PSA_ALG_TRUNCATED_MAC(HMAC256, 16), 0, 0 },
		{ PSA_KEY_TYPE_HMAC, 256, PSA_KEY_USAGE_COPY | SIGN_USAGE, SIGN_USAGE, HMAC256,
		    PSA_ALG_TRUNCATED_MAC(HMAC256, 32), 0, 0 },
		{ PSA_KEY_TYPE_AES, 128, PSA_KEY_USAGE_COPY | SIGN_USAGE, SIGN_USAGE, PSA_ALG_CMAC,
		    PSA_ALG_AT_LEAST_THIS_LENGTH_MAC(PSA_ALG_CMAC, 8), 0, 0 },
	};
	size_t i;

	ck_assert_int_eq(psa_crypto_init(), PSA_SUCCESS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct copy_case *c = &cases[i];
		struct op_key_attrs source = { c->type, (uint32_t)c->bits, c->source_usage,
			c->source_alg };
		struct op_key_attrs ours = { c->want_type, (uint32_t)c->want_bits, c->want_usage,
			c->want_alg };
		struct op_key_attrs theirs = { 0, 0, 0, 0 };
		uint32_t want = copy_by_mbedtls(c, &theirs), got = broker_copy_policy(&source, &ours);

		ck_assert_msg(got == want, "case %zu: %u, mbedtls %u", i, got, want);
		if (want != ST_SUCCESS)
			continue;
		ck_assert_msg(ours.type == theirs.type && ours.bits == theirs.bits &&
		    ours.usage == theirs.usage && ours.alg == theirs.alg,
		    "case %zu: %x/%u/%x/%x, mbedtls %x/%u/%x/%x", i, ours.type, ours.bits,
		    ours.usage, ours.alg, theirs.type, theirs.bits, theirs.usage, theirs.alg);
	}
	mbedtls_psa_crypto_free();
}
END_TEST

/*
 * Connection conn_id, as its first request would bring it (a socketpair is no
 * client of the service: it gets no identity, which these tests do not need).
 */
static void
broker_open(uint64_t conn_id)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_ptr_nonnull(broker_conn_get(&b, conn_id, sv[0]));
	close(sv[0]);
	close(sv[1]);
}

/* A multipart opcode of application app on connection conn_id, naming handle. */
static void
broker_mp(uint64_t conn_id, uint64_t req_id, const char *app, uint32_t opcode, uint32_t handle)
{
	struct op_request op;

	memset(&op, 0, sizeof(op));
	op.opcode = opcode;
	op.alg = 0x02000009; /* SHA-256 */
	op.handle = handle;
	broker_request(conn_id, req_id, app, PROV, &op);
}

/*
 * A setup's operation lives in the worker that ran it: every step goes there,
 * however loaded, and only from its own connection; it dies with that worker.
 */
/*
 * Whether brokerd routes a Direct random request to a worker now (it would
 * answer it Success), against what it tells frontd: the two must agree.
 */
static int
broker_random_routed(uint64_t req_id)
{
	size_t sends = stub_out.send_count, replies = stub_out.reply_count;

	broker_random(1, req_id, "app");
	if (stub_out.send_count > sends)
		return 1;
	ck_assert_uint_eq(stub_out.reply_count, replies + 1);
	ck_assert_uint_ne(stub_out.replies[replies].status, ST_SUCCESS);
	return 0;
}

START_TEST(t_front_local)
{
	const uint32_t none = 1u << WIRE_AUTH_NONE, direct = 1u << WIRE_AUTH_DIRECT;
	const uint32_t peer = 1u << WIRE_AUTH_UNIX_PEER_CREDENTIALS;
	struct broker_provider *p = &b.providers[PROV];

	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_local_count, 1);
	ck_assert_uint_eq(stub_out.front_random_auths, none | direct);
	ck_assert_int_eq(broker_random_routed(1), 1);
	/* Told again only when it changes. */
	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_local_count, 1);
	b.setup.auths[1].type = WIRE_AUTH_UNIX_PEER_CREDENTIALS;
	b.setup.auth_count = 2;
	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_random_auths, none | direct | peer);
	/* A reload without Direct: frontd stops answering Direct requests, brokerd refuses them. */
	b.setup.auths[0].type = WIRE_AUTH_UNIX_PEER_CREDENTIALS;
	b.setup.auth_count = 1;
	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_random_auths, none | peer);
	ck_assert_int_eq(broker_random_routed(2), 0);
	b.setup.auths[0].type = WIRE_AUTH_DIRECT;
	/* One worker of two down: the provider still serves. */
	p->workers[0].up = 0;
	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_random_auths, none | direct);
	ck_assert_int_eq(broker_random_routed(3), 1);
	/* Both down: brokerd answers CommunicationFailure, so frontd answers nothing. */
	p->workers[1].up = 0;
	broker_front_update(&b);
	ck_assert_uint_eq(stub_out.front_random_auths, 0);
	ck_assert_int_eq(broker_random_routed(4), 0);
	ck_assert_uint_eq(stub_out.front_local_count, 5);
}
END_TEST

START_TEST(t_opstate_pinned)
{
	uint32_t handle, worker, i;

	broker_open(1);
	broker_open(2);
	broker_mp(1, 1, "alice", OP_EXT_HASH_SETUP, 0);
	ck_assert_uint_eq(stub_out.send_count, 1);
	handle = stub_out.sends[0].handle2;
	worker = stub_out.sends[0].worker;
	ck_assert_uint_ne(handle, 0);
	ck_assert_uint_eq(stub_out.sends[0].conn, 1);
	broker_worker_answers(0, ST_SUCCESS);
	ck_assert_uint_eq(broker_reply_to(1, 1)->status, ST_SUCCESS);
	/* Unanswered steps load that worker: the least loaded one is the other. */
	for (i = 0; i < 3; i++) {
		broker_mp(1, 2 + i, "alice", OP_EXT_HASH_UPDATE, handle);
		ck_assert_uint_eq(stub_out.sends[1 + i].worker, worker);
		ck_assert_uint_eq(stub_out.sends[1 + i].handle, handle);
	}
	/* A clone is made where its source is. */
	broker_mp(1, 5, "alice", OP_EXT_HASH_CLONE, handle);
	ck_assert_uint_eq(stub_out.sends[4].worker, worker);
	ck_assert_uint_ne(stub_out.sends[4].handle2, handle);
	/* Another connection of the same application may not use it. */
	broker_mp(2, 1, "alice", OP_EXT_HASH_UPDATE, handle);
	ck_assert_uint_eq(broker_reply_to(2, 1)->status, ST_PSA_BAD_STATE);
	ck_assert_uint_eq(stub_out.send_count, 5);
	/* Its worker dies: the operation is lost; an abort of it still succeeds. */
	b.providers[PROV].workers[worker].up = 0;
	broker_route_worker_down(&b, &b.providers[PROV].workers[worker]);
	broker_mp(1, 6, "alice", OP_EXT_HASH_UPDATE, handle);
	ck_assert_uint_eq(broker_reply_to(1, 6)->status, ST_PSA_BAD_STATE);
	broker_mp(1, 7, "alice", OP_EXT_ABORT, handle);
	ck_assert_uint_eq(broker_reply_to(1, 7)->status, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.send_count, 5);
	broker_conn_closed(&b, 1);
	broker_conn_closed(&b, 2);
	ck_assert(RB_EMPTY(&b.opstates));
}
END_TEST

/*
 * 32 operations per application, over its connections; a closed connection's
 * go, and its workers are told, also of a setup answered after the close.
 */
START_TEST(t_opstate_bound_and_close)
{
	uint32_t i;

	for (i = 4; i <= 6; i++)
		broker_open(i);
	/* A connection brokerd does not know (closed meanwhile) makes nothing. */
	broker_mp(9, 1, "bob", OP_EXT_HASH_SETUP, 0);
	ck_assert_uint_eq(broker_reply_to(9, 1)->status, ST_PSA_BAD_STATE);
	ck_assert_uint_eq(stub_out.send_count, 0);
	stub_out.reply_count = 0;
	for (i = 0; i < BROKER_OPS_PER_APP; i++)
		broker_mp(4, 1 + i, "bob", OP_EXT_HASH_SETUP, 0);
	broker_mp(5, 1, "bob", OP_EXT_HASH_SETUP, 0);
	ck_assert_uint_eq(broker_reply_to(5, 1)->status, ST_PSA_INSUFFICIENT_MEMORY);
	broker_mp(6, 1, "carol", OP_EXT_HASH_SETUP, 0);
	ck_assert_uint_eq(stub_out.reply_count, 1);
	/* Bob's connection closes with every setup still at its worker. */
	broker_conn_closed(&b, 4);
	ck_assert_uint_ge(stub_out.drop_count, 1);
	broker_mp(5, 2, "bob", OP_EXT_HASH_SETUP, 0);
	ck_assert_uint_eq(stub_out.reply_count, 1);
	stub_out.drop_count = 0;
	/* The first setup is answered now: the worker made it for nobody, and is told. */
	broker_worker_answers(0, ST_SUCCESS);
	ck_assert_uint_eq(stub_out.drop_count, 1);
	ck_assert_uint_eq(broker_reply_to(4, 1)->status, ST_SUCCESS);
	broker_conn_closed(&b, 5);
	broker_conn_closed(&b, 6);
	ck_assert(RB_EMPTY(&b.opstates));
	ck_assert(RB_EMPTY(&b.opstate_apps));
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "broker", 30, broker_setup, broker_teardown, {
			TEST(t_route_worker), TEST(t_fair_parked), TEST(t_fair_parked_inputs),
			TEST(t_destroy_forgotten),
			TEST(t_worker_death), TEST(t_reconcile), TEST(t_kim_indexed_answers),
			TEST(t_kim_no_scan),
			TEST(t_copy_policy_as_mbedtls),
			TEST(t_opstate_pinned), TEST(t_opstate_bound_and_close),
			TEST(t_front_local)
		} },
	};

	return test_main("broker", cases, sizeof(cases) / sizeof(cases[0]));
}
