/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal IPC: every message between parsecd, frontd, brokerd and the
 * providers is one fixed header plus a payload, over a stream socketpair.
 * The enum below is the whole vocabulary, with explicit numbers in blocks.
 */
#ifndef PARSEC_IPC_H
#define PARSEC_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_base;

#define IPC_PROTOCOL_VERSION 6
#define IPC_MAX_PAYLOAD (16u * 1024u * 1024u) /* checked on send and on receive */
/*
 * The largest client request body the IPC can carry: the cap less 1 MiB kept
 * for the authentication field (at most 64 KiB) and the decoded operation's
 * framing. The config loader refuses a body_len_limit above it.
 */
#define IPC_MAX_BODY_LEN (IPC_MAX_PAYLOAD - 1024u * 1024u)
#define IPC_HDR_LEN 32
#define IPC_MAX_FDS_IN 64    /* received, waiting for the rest of their message */
#define IPC_FDS_PER_WRITE 32 /* descriptors one write carries (and one read takes) */
#define IPC_MAX_FDS_OUT 8192 /* queued to send: a burst of new clients waits here */

/* Fixed descriptors in every child. */
#define IPC_FD_PARENT 3   /* channel to parsecd */
#define IPC_FD_PEER 4     /* frontd: brokerd; brokerd: frontd; provider: brokerd */
#define IPC_FD_LISTENER 5 /* frontd: the listening socket */

enum ipc_type {
	/*
	 * Payload layouts: integers little-endian; "blob" is a u32 length and
	 * that many bytes. Codecs: setup.h for the setup messages, ipc_msg.h
	 * (ipc_NAME_encode/decode) for every other one with a payload.
	 */
	/* 1..99: parent <-> child control */
	IPC_HELLO = 1,        /* child -> parent, started: u32 ipc version (ipc_hello) */
	IPC_SETUP = 2,        /* parent -> child: settings for its kind (setup.h) */
	IPC_SETUP_PROVIDER = 3, /* parent -> brokerd: one provider (setup_provider_ref);
				   fd = channel to it */
	IPC_SETUP_DONE = 4,   /* parent -> child: no more setup; empty */
	IPC_READY = 5,        /* child -> parent: serving; empty, but brokerd's carries
				 the deployment identity it settled, a blob (ipc_ready) */
	IPC_SHUTDOWN = 6,     /* parent -> child: exit cleanly; empty */
	IPC_PROVIDER_DOWN = 8,  /* parent -> brokerd, a worker died: u32 provider id,
				   u32 worker index (ipc_provider_down) */
	IPC_RELOAD = 9,         /* parent -> frontd, brokerd: new settings (as IPC_SETUP) */
	IPC_PROVIDER_REMOVED = 10, /* parent -> brokerd, it left the config: u32 provider
				      id (ipc_provider_removed) */
	IPC_SERVE = 11,         /* parent -> frontd: every provider is up, accept clients;
				   empty */
	IPC_SPIFFE_CONNECT = 12, /* brokerd -> parent: connect to the JwtSvid workload_endpoint;
				    empty */
	IPC_SPIFFE_SOCKET = 13,  /* parent -> brokerd: fd = that connection, or no fd if the
				    connect failed; empty */
	IPC_WORKER_FAULT = 14,   /* brokerd -> parent, a worker broke the protocol and its
				    channel is closed: kill it; u32 provider id, u32 worker
				    index (ipc_provider_down's layout) */

	/* 100..199: frontd <-> brokerd */
	/* 100: retired (a connection's descriptor now comes with its first request) */
	IPC_CONN_CLOSED = 101, /* frontd -> brokerd: forget the connection (one brokerd has
				  seen a request of, unless that request was IPC_F_LAST and
				  answered); empty */
	IPC_REQUEST = 102,     /* frontd -> brokerd, a decoded request: u8 provider id,
				  u8 auth type, u16 auth length n, u16 the wire header's
				  flags (WIRE_FLAG_EXTENSIONS alone), n auth bytes,
				  the operation (op_request) (ipc_request); the connection's
				  first carries fd = dup of the client socket */
	IPC_RESPONSE = 103,    /* brokerd -> frontd: a result (op_result) (ipc_result) */
	IPC_FRONT_LOCAL = 104, /* brokerd -> frontd, whenever it changes: the auth types
				  (a bit each) with which frontd may answer the software
				  provider's PsaGenerateRandom alone, 0 for none: u32
				  (ipc_front_local) */

	/* 200..299: brokerd <-> provider */
	IPC_PROV_INFO = 200,   /* provider -> brokerd, after setup: its provider item
				  (op_list_put_provider), 4 RSA cost rows of u32 bits,
				  private op, generation; u32 count n, n operations of
				  u32 opcode, listed, cost (ipc_prov_info) */
	IPC_PROV_REQUEST = 201, /* brokerd -> provider: blob key reference, the operation
				   (op_request) (ipc_prov_request) */
	IPC_PROV_RESPONSE = 202, /* provider -> brokerd: its result (op_result) (ipc_result) */
	IPC_PROV_FORGET = 203,  /* brokerd -> provider: another worker destroys this key;
				   drop what is kept of it in memory: blob key reference
				   (ipc_prov_forget); no answer */
	IPC_PROV_DROP = 204,    /* brokerd -> provider: a client connection closed; drop
				   every multipart operation it holds: u64 connection id
				   (ipc_prov_drop); no answer */

#ifdef PARSEC_TEST_HOOKS
	/* 900..999: test builds only, never in a release binary */
	IPC_TEST_FORBIDDEN = 900, /* parent -> child: attempt a syscall the sandbox forbids;
				     empty */
#endif
};

#define IPC_F_FD 0x1u   /* a descriptor travels with this message */
#define IPC_F_LAST 0x2u /* IPC_REQUEST: frontd closes the connection after this answer, so
			   brokerd forgets it once answered (no CONN_CLOSED follows) */

struct ipc_hdr {
	uint32_t type;
	uint32_t len; /* payload bytes after the header */
	uint64_t req_id;
	uint64_t conn_id;
	uint32_t flags;
	uint32_t version;
};

struct ipc_msg {
	struct ipc_hdr hdr;
	const uint8_t *data; /* valid only during the handler */
	int fd;              /* attached descriptor, owned by the handler; -1 if none */
};

struct ipc_chan;

typedef void (*ipc_msg_cb)(struct ipc_chan *chan, struct ipc_msg *msg, void *arg);
typedef void (*ipc_close_cb)(struct ipc_chan *chan, void *arg);

/* Takes ownership of fd (non-blocking, close-on-exec set here). */
struct ipc_chan *ipc_chan_new(struct event_base *base, int fd, const char *peer_name,
    ipc_msg_cb on_msg, ipc_close_cb on_close, void *arg);
void ipc_chan_free(struct ipc_chan *chan);
const char *ipc_chan_peer(const struct ipc_chan *chan);
/*
 * A peer whose faults cost only itself (a provider worker, seen from brokerd;
 * every child, seen from the parent): a malformed frame, a message claiming a
 * descriptor it does not carry or too many descriptors close the channel
 * (on_close runs) instead of stopping us.
 */
void ipc_chan_set_untrusted(struct ipc_chan *chan);
/*
 * From on_close: 1 if the channel was dropped here (a protocol fault on an
 * untrusted channel, or ipc_chan_drop), 0 if the peer closed it.
 */
int ipc_chan_dropped(const struct ipc_chan *chan);
/*
 * From the channel's own message handler, when the peer broke the protocol:
 * no further message is read, and on_close runs once the handler has returned
 * (it may free the channel).
 */
void ipc_chan_drop(struct ipc_chan *chan);
/*
 * Between two event-driven daemons: what the loop's callbacks send in one
 * iteration leaves in one write at its end, descriptors included (up to
 * IPC_FDS_PER_WRITE a write), so a burst wakes the peer once, not per message.
 */
void ipc_chan_set_batched(struct ipc_chan *chan, struct event_base *base);
/*
 * Writes a batched channel's queue now, before the caller blocks (an fsync):
 * the peer gets to work meanwhile. A failure is left for the loop to report.
 */
void ipc_chan_flush_now(struct ipc_chan *chan);

/*
 * Queues a message and tries to write it at once. fd (or -1) is sent along and
 * closed here once sent. Returns -1 if the payload is over IPC_MAX_PAYLOAD.
 */
int ipc_send(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    const void *data, size_t len);
int ipc_sendv(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    const struct iovec *iov, int iovcnt);
/* As ipc_send, with header flags (IPC_F_LAST). */
int ipc_send_flags(struct ipc_chan *chan, uint32_t type, uint64_t conn_id, uint64_t req_id, int fd,
    uint32_t flags, const void *data, size_t len);
/* Bytes queued and not yet written. */
size_t ipc_pending(const struct ipc_chan *chan);

const char *ipc_type_name(uint32_t type);

/*
 * Counts what arrived: messages on any channel, and whatever else the process
 * notes (frontd: client bytes, new clients). The children's loop keeps polling
 * while it moves (proc_child_run).
 */
void ipc_activity_note(void);
unsigned long ipc_activity(void);

/* Header codec, shared by the channel and its tests. */
void ipc_hdr_encode(const struct ipc_hdr *hdr, uint8_t out[IPC_HDR_LEN]);
/* 0, or -1 with a reason: bad version, flags or length over the cap. */
int ipc_hdr_decode(const uint8_t in[IPC_HDR_LEN], struct ipc_hdr *hdr, const char **why);

/*
 * Splits a byte stream into messages: returns the length of the first whole
 * message in data (header + payload), 0 if more bytes are needed, -1 if the
 * header is invalid.
 */
long ipc_frame_len(const uint8_t *data, size_t len, const char **why);

#endif
