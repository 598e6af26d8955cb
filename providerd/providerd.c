/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider core loop shared by every backend binary: setup from the
 * parent (fd 3), operations from brokerd (fd 4), one backend behind a vtable.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hoptime.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "proc.h"
#include "row.h"
#include "providerd.h"
#include "wire.h"
#include "wipe.h"

/*
 * Start attempts after transient device errors; the pause before the next
 * one starts at 100 ms and doubles (3.1 s in all, well inside the parent's
 * setup timeout).
 */
#define PROV_INIT_ATTEMPTS 6
#define PROV_INIT_FIRST_PAUSE_MS 100

/* The shared start-up (proc.h); its handlers are below. */
static struct proc_child providerd;

static struct {
	const struct prov_backend *backend;
	struct setup_provider setup;
	const char *restart_why; /* set by prov_restart_after_reply */
} pv;

void
prov_restart_after_reply(const char *why)
{
	pv.restart_why = why;
}

uint8_t *
prov_out_alloc(struct prov_out *out, struct op_result *res, int i, size_t len)
{
	if ((out->buf[i] = malloc(len ? len : 1)) == NULL)
		fatal("malloc");
	out->cap[i] = len;
	res->out[i].ptr = out->buf[i];
	res->out[i].len = len;
	return out->buf[i];
}

static void
prov_out_free(struct prov_out *out)
{
	int i;

	for (i = 0; i < OP_MAX_OUTPUTS; i++) {
		if (out->buf[i] == NULL)
			continue;
		wipe_free(out->buf[i], out->cap[i]);
	}
}

/* The row of an operation the backend serves on this device, or NULL. */
static const struct prov_op *
prov_op_served(uint32_t opcode)
{
	const struct prov_op *row = row_find(pv.backend->ops, pv.backend->op_count,
	    sizeof(*row), offsetof(struct prov_op, opcode), opcode);

	return row != NULL && (row->served == NULL || row->served()) ? row : NULL;
}

static psa_status_t
prov_dispatch(const struct ipc_prov_request *m, struct op_result *res, struct prov_out *out)
{
	const struct prov_op *row = prov_op_served(m->op.opcode);

	if (row == NULL)
		return PSA_ERROR_NOT_SUPPORTED;
	if (row->needs_key && (m->key_ref_len == 0 || (pv.backend->key_ref_len != 0 &&
	    m->key_ref_len != pv.backend->key_ref_len)))
		return PSA_ERROR_INVALID_HANDLE;
	return row->handler(&m->op, m->key_ref, m->key_ref_len, res, out);
}

#ifdef PARSEC_TEST_HOOKS
static int
prov_fault_is(const char *point)
{
	const char *want = getenv("PARSEC_FAULT");

	return want != NULL && strcmp(want, point) == 0;
}

/*
 * A worker taken over, at a PsaGenerateRandom (test build only): it breaks the
 * internal protocol towards brokerd (a garbage frame, a frame claiming a
 * descriptor it does not carry), then neither answers nor exits, so only its
 * kill ends it; or towards the parent (a second HELLO, a garbage frame), then
 * serves on.
 */
static void
prov_fault_hooks(const struct ipc_prov_request *m)
{
	struct ipc_hdr hdr = { .type = IPC_PROV_RESPONSE, .flags = IPC_F_FD,
		.version = IPC_PROTOCOL_VERSION };
	uint8_t frame[IPC_HDR_LEN];
	int fd = -1;

	if (m->op.opcode != OP_PSA_GENERATE_RANDOM)
		return;
	memset(frame, 0xff, sizeof(frame));
	if (prov_fault_is("claim-fd-broker"))
		ipc_hdr_encode(&hdr, frame);
	if (prov_fault_is("bad-frame-broker") || prov_fault_is("claim-fd-broker"))
		fd = IPC_FD_PEER;
	else if (prov_fault_is("bad-frame-parent"))
		fd = IPC_FD_PARENT;
	else if (prov_fault_is("hello-parent"))
		ipc_send_hello(providerd.parent);
	if (fd == -1)
		return;
	if (write(fd, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
		fatal("fault write");
	if (fd == IPC_FD_PEER)
		for (;;)
			sleep(1);
}
#endif

static void
prov_request(uint64_t req_id, const uint8_t *data, size_t len)
{
	struct buf_writer wr;
	struct ipc_prov_request m;
	struct op_result res;
	struct prov_out out;
	size_t res_len;
	uint8_t *buf;

	HOPTIME("p.request");
	if (ipc_prov_request_decode(data, len, &m) == -1)
		fatalx("malformed request from brokerd");
#ifdef PARSEC_TEST_HOOKS
	prov_fault_hooks(&m);
#endif
	memset(&out, 0, sizeof(out));
	op_result_status(&res, ST_SUCCESS);
	/* Every backend answers in PSA's terms; this is where they become the wire's. */
	res.status = wire_status_of_psa(prov_dispatch(&m, &res, &out));
	HOPTIME("p.handled");
	if (res.status != ST_SUCCESS)
		memset(res.out, 0, sizeof(res.out));
	buf = ipc_result_encode_alloc(&res, &res_len);
#ifdef PARSEC_TEST_HOOKS
	/* A provider gone wrong: answers PsaGenerateRandom under a request id it never got. */
	if (getenv("PARSEC_FAULT") != NULL && strcmp(getenv("PARSEC_FAULT"), "answer-unknown") == 0 &&
	    m.op.opcode == OP_PSA_GENERATE_RANDOM)
		req_id += 1000000;
#endif
	if (ipc_send(providerd.peer, IPC_PROV_RESPONSE, 0, req_id, -1, buf, res_len) == -1) {
		op_result_status(&res, ST_PSA_INSUFFICIENT_MEMORY);
		buf_writer_init(&wr, buf, res_len);
		ipc_result_encode(&wr, &res);
		if (ipc_send(providerd.peer, IPC_PROV_RESPONSE, 0, req_id, -1, buf, wr.off) == -1)
			fatalx("cannot send a status result");
	}
	wipe_free(buf, res_len);
	prov_out_free(&out);
	if (pv.restart_why != NULL) {
		log_warnx("%s; exiting so that a fresh worker reconnects", pv.restart_why);
		exit(1);
	}
}

static void
prov_broker_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	struct ipc_prov_forget forget;
	struct ipc_prov_drop drop;

	switch (msg->hdr.type) {
	case IPC_PROV_REQUEST:
		prov_request(msg->hdr.req_id, msg->data, msg->hdr.len);
		break;
	case IPC_PROV_FORGET:
		if (ipc_prov_forget_decode(msg->data, msg->hdr.len, &forget) == -1)
			fatalx("malformed %s from brokerd", ipc_type_name(msg->hdr.type));
		if (pv.backend->forget != NULL)
			pv.backend->forget(forget.key_ref, forget.key_ref_len);
		break;
	case IPC_PROV_DROP:
		if (ipc_prov_drop_decode(msg->data, msg->hdr.len, &drop) == -1)
			fatalx("malformed %s from brokerd", ipc_type_name(msg->hdr.type));
		if (pv.backend->drop != NULL)
			pv.backend->drop(drop.conn_id);
		break;
	default:
		fatalx("unexpected %s from brokerd", ipc_type_name(msg->hdr.type));
	}
}

/* Tells brokerd who we are, what we serve on this device and what it costs. */
static void
prov_send_info(void)
{
	uint8_t buf[4096];
	struct buf_writer wr;
	struct ipc_prov_info m;
	const struct prov_op *row;
	size_t i;

	memset(&m, 0, sizeof(m));
	pv.backend->describe(&m.info);
	memcpy(m.rsa, pv.backend->rsa_cost, sizeof(m.rsa));
	for (i = 0; i < pv.backend->op_count; i++) {
		row = &pv.backend->ops[i];
		if (row->served != NULL && !row->served())
			continue;
		if (m.op_count == IPC_MSG_MAX_OPCODES)
			fatalx("%s serves more than %d operations", pv.backend->name,
			    IPC_MSG_MAX_OPCODES);
		m.ops[m.op_count++] = (struct ipc_prov_op){ row->opcode,
			row->listed == NULL || row->listed(), row->cost };
	}
	buf_writer_init(&wr, buf, sizeof(buf));
	ipc_prov_info_encode(&wr, &m);
	if (!buf_writer_ok(&wr) || ipc_send(providerd.peer, IPC_PROV_INFO, 0, 0, -1, buf, wr.off) == -1)
		fatalx("provider info does not fit");
}

/* The state directory is ours alone: created 0700, and our working directory. */
static void
prov_enter_state_dir(const char *dir)
{
	char path[CFG_LONGPATH_MAX];
	char *p;

	strlcpy(path, dir, sizeof(path));
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", path);
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", path);
	if (chdir(path) == -1)
		fatal("chdir %s", path);
	umask(077);
}

/* Opens the backend, again after a pause while the device reports transient errors. */
static int
prov_init_backend(void)
{
	struct timespec pause;
	long pause_ms = PROV_INIT_FIRST_PAUSE_MS;
	int attempt, r;

	for (attempt = 1;; attempt++) {
		if ((r = pv.backend->init(&pv.setup)) != PROV_INIT_RETRY)
			return r;
		if (attempt == PROV_INIT_ATTEMPTS) {
			log_warnx("the device still failed after %d attempts", attempt);
			return -1;
		}
		log_info("transient device error; attempt %d of %d in %ld ms", attempt + 1,
		    PROV_INIT_ATTEMPTS, pause_ms);
		pause.tv_sec = pause_ms / 1000;
		pause.tv_nsec = (pause_ms % 1000) * 1000000L;
		while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
			;
		pause_ms *= 2;
	}
}

/* The backend opened; the settings' secrets (a PIN, hierarchy auths) wiped once it has them. */
static void
prov_open_backend(void)
{
	int r = prov_init_backend();

	setup_provider_wipe(&pv.setup);
	if (r == PROV_INIT_SKIP)
		exit(PROV_EXIT_SKIP);
	if (r != 0)
		fatalx("%s backend failed to start", pv.backend->name);
}

/* The state directory, made as root and entered before the drop. */
static void
prov_open_as_root(void)
{
	prov_enter_state_dir(pv.setup.state_dir);
	if (pv.backend->chroot_state_dir)
		prov_open_backend();
}

/*
 * A backend with files of its own opens them as root, then its state
 * directory becomes the whole file system; one that opens a device or a
 * module does so as the service user, with its groups, and keeps the paths.
 */
static void
prov_sandbox(struct proc_sandbox *sb)
{
	sb->user = pv.setup.user;
	sb->groups = pv.backend->device_groups ? SANDBOX_USER_GROUPS : SANDBOX_NO_GROUPS;
	sb->extra = pv.backend->seccomp_extra;
	sb->refused = pv.backend->seccomp_refused;
	sb->relaxed = pv.setup.relax_seccomp;
	sb->open_as_root = prov_open_as_root;
	if (pv.backend->chroot_state_dir)
		sb->chroot_dir = pv.setup.state_dir;
	else
		sb->open_as_user = prov_open_backend;
}

static void
prov_parent_msg(struct ipc_chan *chan, struct ipc_msg *msg, void *arg)
{
	switch (msg->hdr.type) {
	case IPC_SETUP:
		if (setup_provider_decode(msg->data, msg->hdr.len, &pv.setup) == -1 ||
		    pv.setup.id != pv.backend->provider_id)
			fatalx("malformed setup from parent");
		break;
	case IPC_SETUP_DONE: /* in its sandbox now (proc_child_enter) */
		prov_send_info();
		ipc_send_ctl(chan, IPC_READY, 0, -1, NULL, 0);
		break;
	default:
		fatalx("unexpected %s from parent", ipc_type_name(msg->hdr.type));
	}
}

static struct proc_child providerd = { .kind = PROC_PROVIDER, .parent_msg = prov_parent_msg,
	.peer_msg = prov_broker_msg, .sandbox = prov_sandbox };

int
providerd_main(const struct prov_backend *backend, int argc, char **argv)
{
	pv.backend = backend;
	providerd.name = backend->name;
	proc_child_start(&providerd, argc, argv);
	proc_child_run(&providerd);
	return 0;
}
