/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client connections: accept, per-request deadline, header checks before the
 * body is read, one request in flight per connection. As upstream does, the
 * connection closes after each reply, unless the request asked to keep it
 * (WIRE_FLAG_KEEP_ALIVE): clients that read to EOF get their EOF at once.
 * Bad client input answers that client (or drops it); nobody else notices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "tree.h"
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "frontd.h"
#include "hoptime.h"
#include "ipc.h"
#include "ipc_msg.h"
#include "log.h"
#include "psa_codec.h"
#include "wipe.h"

#define FRONT_READ_CHUNK 4096
#define FRONT_ACCEPT_PAUSE_MS 100

enum front_state {
	CONN_READING, /* waiting for (the rest of) a request */
	CONN_WAITING, /* request at brokerd */
	CONN_WRITING, /* response being written */
};

struct front_conn {
	RB_ENTRY(front_conn) entry;
	uint64_t id;
	int fd;
	uid_t uid;
	enum front_state state;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer;
	uint8_t *in;
	size_t in_len;
	size_t in_cap;
	int hdr_checked;
	struct wire_hdr hdr;           /* decoded once, when its bytes are in */
	enum wire_hdr_check hdr_check; /* its verdict: OK, or one judged on the whole request */
	uint64_t req_id;
	uint8_t *out;
	size_t out_len;
	size_t out_off;
	size_t out_charged; /* counted against the uid (front_out.c) */
	int close_after;
	int broker_knows;   /* brokerd has seen a request of this connection */
	int broker_has_fd;  /* and its client socket (front_conn_to_broker) */
	int broker_forgets; /* its request is the last: brokerd forgets it once answered */
	/*
	 * It made a volatile key, which lives as long as the connection: no idle
	 * timeout closes it (a process may hold its key unused for hours).
	 */
	int holds_volatile;
	/* It set up a multipart operation, which lives as long as the connection: the same. */
	int holds_operations;
};

struct front_uid_count {
	RB_ENTRY(front_uid_count) entry;
	uid_t uid;
	uint32_t count;
};

static int front_conn_cmp(const struct front_conn *a, const struct front_conn *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}
static int front_uid_cmp(const struct front_uid_count *a, const struct front_uid_count *b)
{
	return a->uid < b->uid ? -1 : a->uid > b->uid;
}
RB_HEAD(front_conn_tree, front_conn);
TREE_GENERATE_STATIC(front_conn_tree, front_conn, entry, front_conn_cmp)
RB_HEAD(front_uid_tree, front_uid_count);
TREE_GENERATE_STATIC(front_uid_tree, front_uid_count, entry, front_uid_cmp)

static struct {
	struct event_base *base;
	int listen_fd;
	struct event *ev_accept;
	struct event *ev_accept_pause;
	struct ipc_chan *broker;
	struct front_settings settings;
	struct front_conn_tree conns;
	struct front_uid_tree uids;
	uint32_t conn_count;
	uint64_t next_conn_id;
	uint64_t next_req_id;
	uint64_t replies; /* answers written whole, for the line at shutdown */
	uint64_t requests, responses; /* sent to brokerd, answered by it (one each) */
} fc;

static void
front_conn_arm_timer(struct front_conn *conn, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(conn->ev_timer, &tv);
}

/* The answer is written or abandoned: its bytes no longer count against the uid. */
static void
front_conn_out_free(struct front_conn *conn)
{
	if (conn->out_charged > 0)
		front_out_give(conn->uid, conn->out_charged, fc.settings.max_output_bytes_per_uid);
	wipe_free(conn->out, conn->out_len);
	conn->out = NULL;
	conn->out_len = conn->out_off = conn->out_charged = 0;
}

static void
front_conn_close(struct front_conn *conn)
{
	struct front_uid_count key = { .uid = conn->uid }, *uc;

	if (conn->broker_knows)
		ipc_send_ctl(fc.broker, IPC_CONN_CLOSED, conn->id, -1, NULL, 0);
	RB_REMOVE(front_conn_tree, &fc.conns, conn);
	if ((uc = RB_FIND(front_uid_tree, &fc.uids, &key)) != NULL && --uc->count == 0) {
		RB_REMOVE(front_uid_tree, &fc.uids, uc);
		free(uc);
	}
	fc.conn_count--;
	event_free(conn->ev_read);
	event_free(conn->ev_write);
	event_free(conn->ev_timer);
	close(conn->fd);
	/* Requests and answers carry keys: what is left of them goes wiped (wipe.h). */
	wipe_free(conn->in, conn->in_len);
	front_conn_out_free(conn);
	free(conn);
	/* A slot is free again: accept if we had paused at the cap. */
	if (fc.ev_accept != NULL && !event_pending(fc.ev_accept, EV_READ, NULL) &&
	    !event_pending(fc.ev_accept_pause, EV_TIMEOUT, NULL))
		event_add(fc.ev_accept, NULL);
}

/*
 * Writes what the socket takes now; the rest waits for EV_WRITE. Returns -1
 * if the connection is gone (closed here), else 0; once the answer is written
 * the connection reads again, and its caller looks at what is buffered.
 */
static int
front_conn_flush(struct front_conn *conn)
{
	while (conn->out_off < conn->out_len) {
		ssize_t n;

		HOPTIME("f.send");
		n = send(conn->fd, conn->out + conn->out_off, conn->out_len - conn->out_off,
		    MSG_NOSIGNAL);
		HOPTIME("f.sent");

		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR) {
				event_add(conn->ev_write, NULL);
				return 0;
			}
			log_debug("connection %llu: write: %s", (unsigned long long)conn->id,
			    strerror(errno));
			front_conn_close(conn);
			return -1;
		}
		conn->out_off += (size_t)n;
	}
	front_conn_out_free(conn);
	fc.replies++;
	if (conn->close_after) {
		front_conn_close(conn);
		return -1;
	}
	conn->state = CONN_READING;
	conn->hdr_checked = 0;
	event_add(conn->ev_read, NULL);
	if (conn->holds_volatile || conn->holds_operations)
		evtimer_del(conn->ev_timer);
	else
		front_conn_arm_timer(conn, fc.settings.keep_alive_timeout_ms);
	return 0;
}

/* Queues a response header (and body) and starts writing it; -1: the connection is gone. */
static int
front_conn_reply(struct front_conn *conn, const struct wire_hdr *req_hdr, uint32_t status,
    const uint8_t *body, size_t body_len, int close_after)
{
	struct wire_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	if (req_hdr != NULL) {
		hdr.provider = req_hdr->provider;
		hdr.session = req_hdr->session;
		hdr.opcode = req_hdr->opcode;
		if (!(req_hdr->flags & WIRE_FLAG_KEEP_ALIVE))
			close_after = 1;
		if (!close_after)
			hdr.flags = WIRE_FLAG_KEEP_ALIVE;
	} else {
		hdr.opcode = OP_PING; /* upstream's answer to a request it could not read */
	}
	if (front_out_take(conn->uid, WIRE_HDR_LEN + body_len,
	    fc.settings.max_output_bytes_per_uid, body_len == 0) == -1) {
		/* Too much of this uid's answers is unread already: a status instead. */
		status = ST_PSA_INSUFFICIENT_MEMORY;
		body_len = 0;
		front_out_take(conn->uid, WIRE_HDR_LEN, 0, 1);
	}
	conn->out_charged = WIRE_HDR_LEN + body_len;
	hdr.status = (uint16_t)status;
	hdr.body_len = (uint32_t)body_len;
	if ((conn->out = malloc(WIRE_HDR_LEN + body_len)) == NULL)
		fatal("malloc");
	wire_encode_hdr(&hdr, conn->out);
	if (body_len > 0)
		memcpy(conn->out + WIRE_HDR_LEN, body, body_len);
	conn->out_len = WIRE_HDR_LEN + body_len;
	conn->out_off = 0;
	conn->close_after = close_after;
	conn->state = CONN_WRITING;
	/* The answer must be read within the listener timeout too: unread, it goes. */
	front_conn_arm_timer(conn, fc.settings.timeout_ms);
	return front_conn_flush(conn);
}

/* Answers the request in conn->hdr with res; -1: the connection is gone. */
static int
front_conn_answer(struct front_conn *conn, const struct op_result *res)
{
	uint8_t *body = NULL;
	size_t body_len = 0;
	uint32_t status = res->status;
	int rc;

	if (status == ST_SUCCESS)
		status = front_encode_result(conn->hdr.opcode, res, &body, &body_len);
	rc = front_conn_reply(conn, &conn->hdr, status, body, body_len, 0);
	wipe_free(body, body_len);
	return rc;
}

static void
front_conn_consume(struct front_conn *conn, size_t len)
{
	wipe_consume(conn->in, &conn->in_len, len);
	front_in_release_idle(&conn->in, &conn->in_cap, conn->in_len);
}

/*
 * A request that never arrived whole (the client stopped sending, or closed
 * its side): upstream's read fails with ConnectionError, which it answers
 * with a header it has nothing of (wire.h); the connection closes.
 */
static void
front_conn_cut(struct front_conn *conn)
{
	front_conn_consume(conn, conn->in_len);
	front_conn_reply(conn, NULL, ST_CONNECTION_ERROR, NULL, 0, 1);
}

/*
 * A duplicate of the client socket for brokerd, which reads the peer's
 * identity from it itself; -1 if none can be made.
 */
static int
front_conn_client_dup(struct front_conn *conn)
{
	int dupfd;

#ifdef PARSEC_TEST_HOOKS
	/* A compromised frontd's move: its (root-made) listener passed off as the client. */
	if (getenv("PARSEC_FAULT") != NULL && strcmp(getenv("PARSEC_FAULT"), "pass-listener") == 0)
		return fcntl(fc.listen_fd, F_DUPFD_CLOEXEC, 0);
#endif
	if ((dupfd = fcntl(conn->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		log_warn("connection %llu: dup", (unsigned long long)conn->id);
	return dupfd;
}

/*
 * Sends the request of total bytes to brokerd. The client socket travels with
 * the connection's first request that needs to know who is connected (one
 * authenticated by UnixPeerCredentials): brokerd learns it in the same message
 * and reads it from the kernel itself. Others need nobody's uid (Direct names
 * its application, JwtSvid carries a signed one), so passing the socket and
 * asking the kernel about it would be work for nothing on each new connection.
 * Returns -1 if the connection is gone.
 */
static int
front_conn_to_broker(struct front_conn *conn, struct front_request *req, size_t total)
{
	struct ipc_request m = { .provider = req->hdr.provider, .auth_type = req->hdr.auth_type,
		.flags = req->hdr.flags & WIRE_FLAG_EXTENSIONS, .auth = req->auth,
		.auth_len = req->auth_len, .op = req->op };
	size_t len;
	uint8_t *buf = ipc_request_encode_alloc(&m, &len);
	/* Without keep-alive the answer closes the connection: brokerd needs no CONN_CLOSED. */
	uint32_t flags = req->hdr.flags & WIRE_FLAG_KEEP_ALIVE ? 0 : IPC_F_LAST;
	int fd = -1, sent;

	pc_msg_free(req->storage);
	front_conn_consume(conn, total);
	if (!conn->broker_has_fd && req->hdr.auth_type == WIRE_AUTH_UNIX_PEER_CREDENTIALS &&
	    (fd = front_conn_client_dup(conn)) == -1)
		sent = -1;
	else
		sent = ipc_send_flags(fc.broker, IPC_REQUEST, conn->id, ++fc.next_req_id, fd, flags,
		    buf, len);
	wipe_free(buf, len);
	if (sent == -1 && len > IPC_MAX_PAYLOAD) {
		/* Too large for the IPC: the client is answered, never left waiting. */
		log_info("connection %llu: %s request too large to forward",
		    (unsigned long long)conn->id, wire_opcode_name(req->hdr.opcode));
		return front_conn_reply(conn, &req->hdr, ST_BODY_SIZE_EXCEEDS_LIMIT, NULL, 0, 0);
	}
	if (sent == -1) {
		/* brokerd cannot learn who this is: the client goes. */
		front_conn_close(conn);
		return -1;
	}
	HOPTIME("f.fwd");
	fc.requests++;
	conn->broker_knows = 1;
	conn->broker_has_fd |= fd != -1;
	conn->broker_forgets = flags == IPC_F_LAST;
	conn->req_id = fc.next_req_id;
	conn->state = CONN_WAITING;
	evtimer_del(conn->ev_timer);
	return 0;
}

/* One whole request of total bytes: answered here or sent on. -1: the connection is gone. */
static int
front_conn_forward(struct front_conn *conn, size_t total)
{
	struct front_request req;
	struct op_result res;
	uint8_t scratch[FRONT_LOCAL_RANDOM_MAX];
	uint32_t status;
	int rc;

	status = front_parse_request(&conn->hdr, conn->hdr_check, conn->in, total, &req);
	HOPTIME("f.parsed");
	if (status != ST_SUCCESS) {
		front_conn_consume(conn, total);
		log_debug("connection %llu: %s request answered %s", (unsigned long long)conn->id,
		    wire_opcode_name(req.hdr.opcode), wire_status_name(status));
		if (req.unattributed)
			return front_conn_reply(conn, NULL, status, NULL, 0, 1);
		return front_conn_reply(conn, &req.hdr, status, NULL, 0, 0);
	}
	if (front_local_answer(&req, conn->uid, &res, scratch)) {
		pc_msg_free(req.storage);
		front_conn_consume(conn, total);
		rc = front_conn_answer(conn, &res);
		/* The client's random bytes leave no copy behind. */
		explicit_bzero(scratch, res.out[0].len);
		return rc;
	}
	return front_conn_to_broker(conn, &req, total);
}

/*
 * Looks at what has arrived: header faults are answered before any body is
 * read. Requests answered at once (errors, local answers) let the next
 * buffered one in, in this loop rather than by recursion. Returns -1 if the
 * connection is gone.
 */
static int
front_conn_process(struct front_conn *conn)
{
	size_t total;

	while (conn->state == CONN_READING && conn->in_len > 0) {
		if (!conn->hdr_checked) {
			enum wire_hdr_check check;
			size_t need;

			check = wire_peek_request_hdr(conn->in, conn->in_len, &need);
			if (check == WIRE_HDR_OK && conn->in_len < need)
				return 0;
			if (check == WIRE_HDR_OK)
				check = wire_decode_request_hdr(conn->in, WIRE_HDR_LEN,
				    fc.settings.body_len_limit, &conn->hdr);
			/* Upstream judges these two only once the whole request is read. */
			if (check != WIRE_HDR_OK && check != WIRE_HDR_BAD_CONTENT_TYPE &&
			    check != WIRE_HDR_BAD_ACCEPT_TYPE) {
				log_info("connection %llu (uid %u): %s; answering and closing",
				    (unsigned long long)conn->id, (unsigned)conn->uid,
				    wire_hdr_check_str(check));
				front_conn_consume(conn, conn->in_len);
				return front_conn_reply(conn, NULL, wire_hdr_check_status(check),
				    NULL, 0, 1);
			}
			conn->hdr_check = check;
			conn->hdr_checked = 1;
		}
		total = WIRE_HDR_LEN + (size_t)conn->hdr.body_len + conn->hdr.auth_len;
		if (conn->in_len < total)
			return 0;
		if (front_conn_forward(conn, total) == -1)
			return -1;
	}
	return 0;
}

static void
front_conn_read(evutil_socket_t fd, short events, void *arg)
{
	struct front_conn *conn = arg;
	size_t room;
	ssize_t n;
	int was_idle = conn->in_len == 0;

	/*
	 * Reading is registered only once a client makes us wait for its bytes,
	 * and stays while a request is answered: a client that waits for its
	 * answer costs no epoll_ctl, one that sends on meanwhile is read later.
	 */
	if (conn->state != CONN_READING) {
		event_del(conn->ev_read);
		return;
	}
	/*
	 * The buffer grows with what actually arrives, up to the announced request:
	 * a client announcing a large body costs memory only once it sends it.
	 */
	if (conn->in_cap - conn->in_len < FRONT_READ_CHUNK) {
		size_t want = conn->in_len + FRONT_READ_CHUNK;
		uint8_t *p;

		if (conn->hdr_checked) {
			size_t total = WIRE_HDR_LEN + (size_t)conn->hdr.body_len + conn->hdr.auth_len;

			want = conn->in_cap * 2 > want ? conn->in_cap * 2 : want;
			if (want > total)
				want = total > conn->in_cap ? total : conn->in_cap;
		}
		if (want > conn->in_cap) {
			if ((p = wipe_grow(conn->in, conn->in_len, want)) == NULL)
				fatal("malloc");
			conn->in = p;
			conn->in_cap = want;
		}
	}
	room = conn->in_cap - conn->in_len;
	if (room == 0) {
		/* Pipelined bytes beyond this request wait until it is answered. */
		event_del(conn->ev_read);
		return;
	}
	n = recv(fd, conn->in + conn->in_len, room, 0);
	HOPTIME("f.recv");
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR) {
			event_add(conn->ev_read, NULL);
			return;
		}
		front_conn_close(conn);
		return;
	}
	if (n == 0) {
		if (conn->in_len > 0) {
			/* The client gave up mid-request: say so if it still listens. */
			log_info("connection %llu: request truncated (%zu bytes)",
			    (unsigned long long)conn->id, conn->in_len);
			front_conn_cut(conn);
			return;
		}
		front_conn_close(conn);
		return;
	}
	conn->in_len += (size_t)n;
	ipc_activity_note();
	if (was_idle)
		front_conn_arm_timer(conn, fc.settings.timeout_ms);
	if (front_conn_process(conn) == 0 && conn->state == CONN_READING)
		event_add(conn->ev_read, NULL);
}

static void
front_conn_write(evutil_socket_t fd, short events, void *arg)
{
	if (front_conn_flush(arg) == 0)
		front_conn_process(arg);
}

static void
front_conn_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct front_conn *conn = arg;

	if (conn->state == CONN_READING && conn->in_len > 0) {
		log_info("connection %llu (uid %u): request not complete within %u ms, answering "
		    "and closing", (unsigned long long)conn->id, (unsigned)conn->uid,
		    fc.settings.timeout_ms);
		front_conn_cut(conn);
		return;
	}
	if (conn->state == CONN_WRITING)
		log_info("connection %llu (uid %u): answer not read within %u ms, closing",
		    (unsigned long long)conn->id, (unsigned)conn->uid, fc.settings.timeout_ms);
	front_conn_close(conn);
}

static void
front_accept_resume(evutil_socket_t fd, short events, void *arg)
{
	event_add(fc.ev_accept, NULL);
}

static void
front_accept(evutil_socket_t lfd, short events, void *arg)
{
	struct front_conn *conn;
	struct front_uid_count key, *uc;
	struct ucred cred;
	socklen_t credlen = sizeof(cred);
	int fd;

	HOPTIME("f.accept");
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	HOPTIME("f.accepted");
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct timeval tv = { 0, FRONT_ACCEPT_PAUSE_MS * 1000 };

			log_warn("accept; pausing new connections for %d ms", FRONT_ACCEPT_PAUSE_MS);
			event_del(fc.ev_accept);
			evtimer_add(fc.ev_accept_pause, &tv);
		}
		return;
	}
	ipc_activity_note();
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		close(fd);
		return;
	}
	if (fc.conn_count >= fc.settings.max_connections) {
		log_warnx("connection cap (%u) reached; refusing uid %u",
		    fc.settings.max_connections, (unsigned)cred.uid);
		close(fd);
		return;
	}
	key.uid = cred.uid;
	uc = RB_FIND(front_uid_tree, &fc.uids, &key);
	if (uc != NULL && uc->count >= fc.settings.max_connections_per_uid) {
		log_warnx("per-uid connection cap (%u) reached for uid %u; refusing",
		    fc.settings.max_connections_per_uid, (unsigned)cred.uid);
		close(fd);
		return;
	}
	if (uc == NULL) {
		if ((uc = calloc(1, sizeof(*uc))) == NULL)
			fatal("calloc");
		uc->uid = cred.uid;
		RB_INSERT(front_uid_tree, &fc.uids, uc);
	}
	uc->count++;
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		fatal("calloc");
	conn->id = ++fc.next_conn_id;
	conn->fd = fd;
	conn->uid = cred.uid;
	conn->state = CONN_READING;
	conn->ev_read = event_new(fc.base, fd, EV_READ | EV_PERSIST, front_conn_read, conn);
	conn->ev_write = event_new(fc.base, fd, EV_WRITE, front_conn_write, conn);
	conn->ev_timer = evtimer_new(fc.base, front_conn_timeout, conn);
	if (conn->ev_read == NULL || conn->ev_write == NULL || conn->ev_timer == NULL)
		fatalx("event_new failed");
	RB_INSERT(front_conn_tree, &fc.conns, conn);
	fc.conn_count++;
	front_conn_arm_timer(conn, fc.settings.keep_alive_timeout_ms);
	if (fc.conn_count >= fc.settings.max_connections)
		event_del(fc.ev_accept);
	/*
	 * A client writes its request as soon as it is connected: it is usually
	 * here already, and a connection served at once never enters epoll.
	 */
	front_conn_read(fd, EV_READ, conn);
}

/* Whether a successful answer to opcode leaves a volatile key tied to the connection. */
static int
front_makes_volatile(uint32_t opcode)
{
	/* A persistent copy too: which it was is in the body, and one kept connection costs little. */
	return opcode == OP_EXT_GENERATE_VOLATILE || opcode == OP_EXT_IMPORT_VOLATILE ||
	    opcode == OP_EXT_COPY_KEY;
}

void
front_conn_response(uint64_t conn_id, uint64_t req_id, const uint8_t *data, size_t len)
{
	struct front_conn key = { .id = conn_id }, *conn;
	struct op_result res;

	HOPTIME("f.resp");
	fc.responses++;
	if (ipc_result_decode(data, len, &res) == -1)
		fatalx("malformed response from brokerd");
	conn = RB_FIND(front_conn_tree, &fc.conns, &key);
	if (conn == NULL || conn->state != CONN_WAITING || conn->req_id != req_id)
		return; /* the client left; nothing to answer */
	if (conn->broker_forgets)
		conn->broker_knows = conn->broker_has_fd = 0;
	if (res.status == ST_SUCCESS && front_makes_volatile(conn->hdr.opcode))
		conn->holds_volatile = 1;
	if (res.status == ST_SUCCESS && wire_opcode_mp_role(conn->hdr.opcode) == WIRE_MP_START)
		conn->holds_operations = 1;
	/* A client may already have sent its next request. */
	if (front_conn_answer(conn, &res) == 0)
		front_conn_process(conn);
}

void
front_conn_init(struct event_base *base, int listen_fd, struct ipc_chan *broker,
    const struct front_settings *settings)
{
	fc.base = base;
	fc.listen_fd = listen_fd;
	fc.broker = broker;
	fc.settings = *settings;
	RB_INIT(&fc.conns);
	RB_INIT(&fc.uids);
}

void
front_conn_reconfigure(const struct front_settings *settings)
{
	fc.settings = *settings;
	/* A raised cap takes effect at once, also when accepting had paused at the old one. */
	if (fc.ev_accept != NULL && fc.conn_count < fc.settings.max_connections &&
	    !event_pending(fc.ev_accept, EV_READ, NULL) &&
	    !event_pending(fc.ev_accept_pause, EV_TIMEOUT, NULL))
		event_add(fc.ev_accept, NULL);
	log_info("reloaded: body limit %u, timeout %u ms, keep-alive %u ms, %u connections "
	    "(%u per uid)", settings->body_len_limit, settings->timeout_ms,
	    settings->keep_alive_timeout_ms, settings->max_connections,
	    settings->max_connections_per_uid);
}

void
front_conn_start(void)
{
	fc.ev_accept = event_new(fc.base, fc.listen_fd, EV_READ | EV_PERSIST, front_accept, NULL);
	fc.ev_accept_pause = evtimer_new(fc.base, front_accept_resume, NULL);
	if (fc.ev_accept == NULL || fc.ev_accept_pause == NULL)
		fatalx("event_new failed");
	event_add(fc.ev_accept, NULL);
}

int
front_conn_awaiting(void)
{
	return fc.responses != fc.requests;
}

void
front_conn_log_totals(void)
{
	log_info("stopping: %llu replies written on %llu connections",
	    (unsigned long long)fc.replies, (unsigned long long)fc.next_conn_id);
}

void
front_conn_shutdown(void)
{
	struct front_conn *conn, *next;

	if (fc.ev_accept != NULL)
		event_del(fc.ev_accept);
	RB_FOREACH_SAFE(conn, front_conn_tree, &fc.conns, next)
		front_conn_close(conn);
	front_conn_log_totals();
}
