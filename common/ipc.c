/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal IPC channels: framed messages over a non-blocking stream socket,
 * descriptors passed with SCM_RIGHTS alongside the first byte of their message.
 * Malformed input is fatal to the receiving process on a trusted channel; on an
 * untrusted one it closes that channel only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "hoptime.h"
#include "ipc.h"
#include "log.h"
#include "wipe.h"

#define IPC_READ_CHUNK 65536
/* A buffer grown past this by a burst is released once it is empty again. */
#define IPC_IDLE_KEEP (4u * 1024u * 1024u)

struct ipc_fd_mark {
	uint64_t pos; /* absolute output offset of the message that carries it */
	int fd;
};

struct ipc_chan {
	int fd;
	char peer[32];
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_flush; /* batched channels: writes once the loop's callbacks are done */
	ipc_msg_cb on_msg;
	ipc_close_cb on_close;
	void *arg;

	uint8_t *in;
	size_t in_len;
	size_t in_cap;
	int in_fds[IPC_MAX_FDS_IN];
	size_t in_fd_count;

	uint8_t *out;
	size_t out_off; /* first unsent byte */
	size_t out_len;
	size_t out_cap;
	uint64_t out_sent; /* absolute count of bytes written */
	struct ipc_fd_mark *out_fds;
	size_t out_fd_cap;
	size_t out_fd_count;
	int closing;   /* ipc_chan_drop: read nothing more, on_close after dispatch */
	int untrusted; /* a malformed frame drops the channel instead of stopping us */
	int dropped;   /* closed by us (a fault, ipc_chan_drop), not by the peer */
};

/* Every type, and whether its payload is empty: one with a payload is refused here. */
static const struct {
	uint32_t type;
	const char *name;
	int empty;
} ipc_types[] = {
	{ IPC_HELLO, "HELLO", 0 },
	{ IPC_SETUP, "SETUP", 0 },
	{ IPC_SETUP_PROVIDER, "SETUP_PROVIDER", 0 },
	{ IPC_SETUP_DONE, "SETUP_DONE", 1 },
	{ IPC_READY, "READY", 0 }, /* empty but from brokerd: its receiver checks */
	{ IPC_SHUTDOWN, "SHUTDOWN", 1 },
	{ IPC_PROVIDER_DOWN, "PROVIDER_DOWN", 0 },
	{ IPC_RELOAD, "RELOAD", 0 },
	{ IPC_PROVIDER_REMOVED, "PROVIDER_REMOVED", 0 },
	{ IPC_SERVE, "SERVE", 1 },
	{ IPC_SPIFFE_CONNECT, "SPIFFE_CONNECT", 1 },
	{ IPC_SPIFFE_SOCKET, "SPIFFE_SOCKET", 1 },
	{ IPC_WORKER_FAULT, "WORKER_FAULT", 0 },
	{ IPC_CONN_CLOSED, "CONN_CLOSED", 1 },
	{ IPC_REQUEST, "REQUEST", 0 },
	{ IPC_RESPONSE, "RESPONSE", 0 },
	{ IPC_FRONT_LOCAL, "FRONT_LOCAL", 0 },
	{ IPC_PROV_INFO, "PROV_INFO", 0 },
	{ IPC_PROV_REQUEST, "PROV_REQUEST", 0 },
	{ IPC_PROV_RESPONSE, "PROV_RESPONSE", 0 },
	{ IPC_PROV_FORGET, "PROV_FORGET", 0 },
	{ IPC_PROV_DROP, "PROV_DROP", 0 },
#ifdef PARSEC_TEST_HOOKS
	{ IPC_TEST_FORBIDDEN, "TEST_FORBIDDEN", 1 },
#endif
};

/* The row of type, or -1 if it is unknown. */
static int
ipc_type_row(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ipc_types) / sizeof(ipc_types[0]); i++)
		if (ipc_types[i].type == type)
			return (int)i;
	return -1;
}

const char *
ipc_type_name(uint32_t type)
{
	int row = ipc_type_row(type);

	return row == -1 ? NULL : ipc_types[row].name;
}

static const struct buf_field ipc_hdr_fields[] = {
	BUF_F_U32(struct ipc_hdr, type), BUF_F_U32(struct ipc_hdr, len),
	BUF_F_U64(struct ipc_hdr, req_id), BUF_F_U64(struct ipc_hdr, conn_id),
	BUF_F_U32(struct ipc_hdr, flags), BUF_F_U32(struct ipc_hdr, version),
};

void
ipc_hdr_encode(const struct ipc_hdr *hdr, uint8_t out[IPC_HDR_LEN])
{
	struct buf_writer wr;

	buf_writer_init(&wr, out, IPC_HDR_LEN);
	buf_put_fields(&wr, hdr, BUF_FIELDS(ipc_hdr_fields));
}

int
ipc_hdr_decode(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *hdr, const char **why)
{
	struct buf_reader rd;
	int row;

	buf_reader_init(&rd, in, IPC_HDR_LEN);
	buf_get_fields(&rd, hdr, BUF_FIELDS(ipc_hdr_fields));
	if (hdr->version != IPC_PROTOCOL_VERSION) {
		*why = "IPC protocol version mismatch";
		return -1;
	}
	if ((row = ipc_type_row(hdr->type)) == -1) {
		*why = "unknown message type";
		return -1;
	}
	/* Their receivers read no payload, so none may come: every one is refused here. */
	if (ipc_types[row].empty && hdr->len != 0) {
		*why = "a payload on an empty message";
		return -1;
	}
	if ((hdr->flags & ~(IPC_F_FD | IPC_F_LAST)) != 0 ||
	    ((hdr->flags & IPC_F_LAST) && hdr->type != IPC_REQUEST)) {
		*why = "unknown flags";
		return -1;
	}
	if (hdr->len > IPC_MAX_PAYLOAD) {
		*why = "payload over the size cap";
		return -1;
	}
	return 0;
}

long
ipc_frame_len(const uint8_t *data, size_t len, const char **why)
{
	struct ipc_hdr hdr;

	if (len < IPC_HDR_LEN)
		return 0;
	if (ipc_hdr_decode(data, &hdr, why) == -1)
		return -1;
	if (len - IPC_HDR_LEN < hdr.len)
		return 0;
	return (long)(IPC_HDR_LEN + hdr.len);
}

static unsigned long ipc_arrivals;

void
ipc_activity_note(void)
{
	ipc_arrivals++;
}

unsigned long
ipc_activity(void)
{
	return ipc_arrivals;
}

static void ipc_chan_read(evutil_socket_t fd, short events, void *arg);
static void ipc_chan_write(evutil_socket_t fd, short events, void *arg);

struct ipc_chan *
ipc_chan_new(struct event_base *base, int fd, const char *peer_name, ipc_msg_cb on_msg,
    ipc_close_cb on_close, void *arg)
{
	struct ipc_chan *chan;
	int flags;

	if ((chan = calloc(1, sizeof(*chan))) == NULL)
		fatal("calloc");
	chan->fd = fd;
	strlcpy(chan->peer, peer_name, sizeof(chan->peer));
	chan->on_msg = on_msg;
	chan->on_close = on_close;
	chan->arg = arg;
	if ((flags = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl on channel to %s", peer_name);
	chan->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, ipc_chan_read, chan);
	chan->ev_write = event_new(base, fd, EV_WRITE, ipc_chan_write, chan);
	if (chan->ev_read == NULL || chan->ev_write == NULL)
		fatalx("event_new failed");
	event_add(chan->ev_read, NULL);
	return chan;
}

void
ipc_chan_free(struct ipc_chan *chan)
{
	size_t i;

	if (chan == NULL)
		return;
	event_free(chan->ev_read);
	event_free(chan->ev_write);
	if (chan->ev_flush != NULL)
		event_free(chan->ev_flush);
	close(chan->fd);
	for (i = 0; i < chan->in_fd_count; i++)
		close(chan->in_fds[i]);
	for (i = 0; i < chan->out_fd_count; i++)
		close(chan->out_fds[i].fd);
	/* Messages carry keys and PINs: what is left of them goes wiped (wipe.h). */
	wipe_free(chan->in, chan->in_len);
	wipe_free(chan->out, chan->out_len);
	free(chan->out_fds);
	free(chan);
}

void
ipc_chan_set_untrusted(struct ipc_chan *chan)
{
	chan->untrusted = 1;
}

void
ipc_chan_drop(struct ipc_chan *chan)
{
	chan->closing = 1;
	chan->dropped = 1;
}

int
ipc_chan_dropped(const struct ipc_chan *chan)
{
	return chan->dropped;
}

/* The peer broke the protocol: fatal on a trusted channel, else that channel goes. */
static void
ipc_chan_fault(struct ipc_chan *chan, const char *what)
{
	if (!chan->untrusted)
		fatalx("%s from %s", what, chan->peer);
	log_warnx("%s from %s; dropping it", what, chan->peer);
	chan->closing = 1;
	chan->dropped = 1;
}

const char *
ipc_chan_peer(const struct ipc_chan *chan)
{
	return chan->peer;
}

size_t
ipc_pending(const struct ipc_chan *chan)
{
	return chan->out_len - chan->out_off;
}

static void
ipc_chan_lost(struct ipc_chan *chan)
{
	event_del(chan->ev_read);
	event_del(chan->ev_write);
	if (chan->ev_flush != NULL)
		event_del(chan->ev_flush);
	if (chan->on_close != NULL)
		chan->on_close(chan, chan->arg);
	else
		fatalx("channel to %s closed", chan->peer);
}

/*
 * The descriptors that go with the next write (at most IPC_FDS_PER_WRITE, all
 * whose messages start in the unsent bytes), and how many bytes that write
 * takes: up to the message of the first descriptor left for a later write.
 * Returns the count; a write without descriptors stops at the first message
 * that has one, so each descriptor arrives with its message's first byte.
 */
static size_t
ipc_flush_fds(const struct ipc_chan *chan, int fds[IPC_FDS_PER_WRITE], size_t *want)
{
	size_t k = 0;

	while (k < chan->out_fd_count && chan->out_fds[k].pos - chan->out_sent < *want) {
		if (k == IPC_FDS_PER_WRITE || (k == 0 && chan->out_fds[0].pos != chan->out_sent)) {
			*want = (size_t)(chan->out_fds[k].pos - chan->out_sent);
			break;
		}
		fds[k] = chan->out_fds[k].fd;
		k++;
	}
	return k;
}

/* Writes as much as the socket takes; fds go with the first byte of their message. */
static int
ipc_flush(struct ipc_chan *chan)
{
	while (chan->out_off < chan->out_len) {
		size_t want = chan->out_len - chan->out_off, nfds, i;
		int fds[IPC_FDS_PER_WRITE];
		struct msghdr mh;
		struct iovec iov;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_PER_WRITE)];
		} cmsgbuf;
		ssize_t n;

		nfds = ipc_flush_fds(chan, fds, &want);
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = chan->out + chan->out_off;
		iov.iov_len = want;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds > 0) {
			struct cmsghdr *cm;

			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = cmsgbuf.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
		HOPTIME(chan->fd == IPC_FD_PEER ? "ipc.send.peer" : "ipc.send.other");
		n = sendmsg(chan->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		/* Sent with the first byte written: the peer holds its copies now. */
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (nfds > 0) {
			chan->out_fd_count -= nfds;
			memmove(chan->out_fds, chan->out_fds + nfds,
			    chan->out_fd_count * sizeof(chan->out_fds[0]));
		}
		chan->out_off += (size_t)n;
		chan->out_sent += (uint64_t)n;
	}
	/* Sent messages may have carried keys or PINs: nothing of them stays behind. */
	wipe_consume(chan->out, &chan->out_len, chan->out_len);
	chan->out_off = 0;
	if (chan->out_cap > IPC_IDLE_KEEP) {
		free(chan->out);
		chan->out = NULL;
		chan->out_cap = 0;
	}
	return 0;
}

static void
ipc_chan_write(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan *chan = arg;

	if (ipc_flush(chan) == -1) {
		log_warn("write to %s", chan->peer);
		ipc_chan_lost(chan);
		return;
	}
	if (chan->out_off < chan->out_len)
		event_add(chan->ev_write, NULL);
}

void
ipc_chan_set_batched(struct ipc_chan *chan, struct event_base *base)
{
	chan->ev_flush = event_new(base, -1, 0, ipc_chan_write, chan);
	if (chan->ev_flush == NULL)
		fatalx("event_new failed");
}

void
ipc_chan_flush_now(struct ipc_chan *chan)
{
	if (chan->ev_flush == NULL || event_pending(chan->ev_write, EV_WRITE, NULL))
		return;
	if (ipc_flush(chan) == -1)
		log_debug("write to %s failed", chan->peer);
	else if (chan->out_off < chan->out_len)
		event_add(chan->ev_write, NULL);
}

static void
ipc_out_reserve(struct ipc_chan *chan, size_t more)
{
	size_t need;

	/* Drop what has been sent before growing. */
	if (chan->out_off > 0) {
		wipe_consume(chan->out, &chan->out_len, chan->out_off);
		chan->out_off = 0;
	}
	need = chan->out_len + more;
	if (need > chan->out_cap) {
		size_t cap = chan->out_cap ? chan->out_cap : 4096;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		if ((p = wipe_grow(chan->out, chan->out_len, cap)) == NULL)
			fatal("malloc");
		chan->out = p;
		chan->out_cap = cap;
	}
}

static int
ipc_sendv_flags(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    uint32_t flags, const struct iovec *iov, int iovcnt)
{
	struct ipc_hdr hdr;
	size_t total = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > IPC_MAX_PAYLOAD) {
		log_warnx("%s message to %s too large (%zu bytes)", ipc_type_name(type), chan->peer,
		    total);
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (fd != -1 && chan->out_fd_count == chan->out_fd_cap) {
		size_t cap = chan->out_fd_cap ? chan->out_fd_cap * 2 : 16;
		struct ipc_fd_mark *p;

		if (cap > IPC_MAX_FDS_OUT) {
			log_warnx("too many descriptors queued to %s", chan->peer);
			close(fd);
			return -1;
		}
		if ((p = reallocarray(chan->out_fds, cap, sizeof(*p))) == NULL)
			fatal("reallocarray");
		chan->out_fds = p;
		chan->out_fd_cap = cap;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)total;
	hdr.req_id = req_id;
	hdr.conn_id = conn_id;
	hdr.flags = flags | (fd != -1 ? IPC_F_FD : 0);
	hdr.version = IPC_PROTOCOL_VERSION;

	ipc_out_reserve(chan, IPC_HDR_LEN + total);
	if (fd != -1) {
		chan->out_fds[chan->out_fd_count].pos = chan->out_sent + chan->out_len - chan->out_off;
		chan->out_fds[chan->out_fd_count].fd = fd;
		chan->out_fd_count++;
	}
	ipc_hdr_encode(&hdr, chan->out + chan->out_len);
	chan->out_len += IPC_HDR_LEN;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0)
			memcpy(chan->out + chan->out_len, iov[i].iov_base, iov[i].iov_len);
		chan->out_len += iov[i].iov_len;
	}
	if (chan->ev_flush != NULL) {
		/* Written once this loop iteration's callbacks have queued theirs too. */
		if (!event_pending(chan->ev_write, EV_WRITE, NULL))
			event_active(chan->ev_flush, EV_WRITE, 0);
		return 0;
	}
	if (ipc_flush(chan) == -1) {
		/* The read side sees the hang-up and reports it. */
		log_debug("write to %s failed", chan->peer);
		return 0;
	}
	if (chan->out_off < chan->out_len)
		event_add(chan->ev_write, NULL);
	return 0;
}

int
ipc_sendv(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    const struct iovec *iov, int iovcnt)
{
	return ipc_sendv_flags(chan, type, conn_id, req_id, fd, 0, iov, iovcnt);
}

int
ipc_send_flags(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    uint32_t flags, const void *data, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)data, len };

	return ipc_sendv_flags(chan, type, conn_id, req_id, fd, flags, &iov, 1);
}

int
ipc_send(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    const void *data, size_t len)
{
	return ipc_send_flags(chan, type, conn_id, req_id, fd, 0, data, len);
}

/* Fails (the channel is faulted) on more descriptors than a peer may have waiting. */
static void
ipc_take_fds(struct ipc_chan *chan, struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (chan->in_fd_count == IPC_MAX_FDS_IN) {
				close(fd); /* the rest of them too, one by one */
				if (!chan->dropped)
					ipc_chan_fault(chan, "too many descriptors");
				continue;
			}
			chan->in_fds[chan->in_fd_count++] = fd;
		}
	}
	if ((mh->msg_flags & MSG_CTRUNC) && !chan->dropped)
		ipc_chan_fault(chan, "truncated descriptors");
}

/* Hands every complete message to the handler; garbage faults the channel. */
static void
ipc_dispatch(struct ipc_chan *chan)
{
	size_t off = 0;

	while (!chan->closing) {
		const char *why = NULL;
		long frame = ipc_frame_len(chan->in + off, chan->in_len - off, &why);
		struct ipc_msg msg;

		if (frame == -1) {
			ipc_chan_fault(chan, why);
			break;
		}
		if (frame == 0)
			break;
		ipc_hdr_decode(chan->in + off, &msg.hdr, &why);
		msg.data = chan->in + off + IPC_HDR_LEN;
		msg.fd = -1;
		if (msg.hdr.flags & IPC_F_FD) {
			if (chan->in_fd_count == 0) {
				ipc_chan_fault(chan, "a message lacking its descriptor");
				break;
			}
			msg.fd = chan->in_fds[0];
			chan->in_fd_count--;
			memmove(chan->in_fds, chan->in_fds + 1, chan->in_fd_count * sizeof(int));
		}
		off += (size_t)frame;
		chan->on_msg(chan, &msg, chan->arg);
		/* A handler that keeps the descriptor sets msg.fd to -1. */
		if (msg.fd != -1)
			close(msg.fd);
	}
	wipe_consume(chan->in, &chan->in_len, off);
	if (chan->in_len == 0 && chan->in_cap > IPC_IDLE_KEEP) {
		free(chan->in);
		chan->in = NULL;
		chan->in_cap = 0;
	}
	/* Last: on_close may free the channel. */
	if (chan->closing)
		ipc_chan_lost(chan);
}

static void
ipc_chan_read(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan *chan = arg;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * IPC_FDS_PER_WRITE)];
	} cmsgbuf;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;

	if (chan->in_cap - chan->in_len < IPC_READ_CHUNK) {
		size_t cap = chan->in_cap ? chan->in_cap * 2 : 2 * IPC_READ_CHUNK;
		uint8_t *p;

		if (cap > 2 * (IPC_MAX_PAYLOAD + IPC_HDR_LEN) + IPC_READ_CHUNK) {
			ipc_chan_fault(chan, "input over the buffer cap");
			ipc_chan_lost(chan);
			return;
		}
		if ((p = wipe_grow(chan->in, chan->in_len, cap)) == NULL)
			fatal("malloc");
		chan->in = p;
		chan->in_cap = cap;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = chan->in + chan->in_len;
	iov.iov_len = chan->in_cap - chan->in_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	n = recvmsg(chan->fd, &mh, MSG_CMSG_CLOEXEC);
	HOPTIME(chan->fd == IPC_FD_PEER ? "ipc.recv.peer" : "ipc.recv.other");
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_warn("read from %s", chan->peer);
		ipc_chan_lost(chan);
		return;
	}
	ipc_take_fds(chan, &mh);
	if (n == 0 || chan->dropped) {
		ipc_chan_lost(chan);
		return;
	}
	chan->in_len += (size_t)n;
	ipc_arrivals++;
	ipc_dispatch(chan);
}
