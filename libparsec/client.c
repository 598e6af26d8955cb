/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libparsec's connection: endpoint, authentication and provider choice,
 * one request at a time under the client's lock, and responses bounded before
 * they are read. Each request asks the service to keep the connection open
 * (WIRE_FLAG_KEEP_ALIVE); a reply without the flag (upstream's service, or
 * ours closing) means the connection is done, and the next call opens a new
 * one.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "libparsec.h"
#include "wipe.h"
#include "list_authenticators.pb.h"
#include "list_providers.pb.h"

static int
parsec_connect(parsec_client *c)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->path, strlen(c->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

static void
parsec_disconnect(parsec_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Reads exactly len bytes; returns bytes read before EOF, or -1 on error/timeout. */
static ssize_t
parsec_read_all(int fd, uint8_t *p, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -1;
		n = recv(fd, p + got, len - got, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return got > 0 ? -1 : 0;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* One exchange on the open connection: 1 if the service had already hung up. */
static int
parsec_exchange(parsec_client *c, const uint8_t *req, size_t req_len, struct wire_hdr *hdr,
    uint8_t **body, int *status)
{
	uint8_t raw[WIRE_HDR_LEN];
	ssize_t n;

	*body = NULL;
	if (wire_send_all(c->fd, req, req_len) == -1) {
		/*
		 * The service may have refused the request from its header (a body
		 * over its limit is answered BodySizeExceedsLimit, then the
		 * connection closed) before all of it was sent: that answer, if it
		 * came, is the request's; else it found a closed connection.
		 */
		if (parsec_read_all(c->fd, raw, sizeof(raw), c->timeout_ms) != WIRE_HDR_LEN ||
		    wire_decode_response_hdr(raw, sizeof(raw), hdr) == -1)
			return 1;
		*status = hdr->status;
		hdr->body_len = 0;
		hdr->flags = 0;
		return 0;
	}
	n = parsec_read_all(c->fd, raw, sizeof(raw), c->timeout_ms);
	if (n == 0)
		return 1;
	if (n != WIRE_HDR_LEN || wire_decode_response_hdr(raw, sizeof(raw), hdr) == -1) {
		*status = n < 0 ? PARSEC_ERR_CONNECTION : PARSEC_ERR_INVALID_ENCODING;
		return 0;
	}
	if (hdr->body_len > c->max_response) {
		/* Never read what we will not trust; the stream is lost with it. */
		*status = PARSEC_ERR_RESPONSE_TOO_LARGE;
		return 0;
	}
	if ((*body = malloc(hdr->body_len ? hdr->body_len : 1)) == NULL) {
		*status = PARSEC_ERR_INSUFFICIENT_MEMORY;
		return 0;
	}
	if (parsec_read_all(c->fd, *body, hdr->body_len, c->timeout_ms) != (ssize_t)hdr->body_len) {
		wipe_free(*body, hdr->body_len); /* what did arrive may be part of a key */
		*body = NULL;
		*status = PARSEC_ERR_CONNECTION;
		return 0;
	}
	*status = hdr->status;
	return 0;
}

int
parsec_call_locked(parsec_client *c, uint32_t provider, uint32_t opcode, int with_auth,
    const pb_msgdesc_t *op_fields, const void *op, const pb_msgdesc_t *res_fields, void *res)
{
	struct wire_hdr hdr;
	uint8_t *req = NULL, *body = NULL;
	size_t body_len = 0, auth_len = with_auth ? c->auth_len : 0;
	int status = PARSEC_SUCCESS, attempt;

	if (!pb_get_encoded_size(&body_len, op_fields, op))
		return PARSEC_ERR_INVALID_ENCODING;
	if ((req = malloc(WIRE_HDR_LEN + body_len + auth_len)) == NULL)
		return PARSEC_ERR_INSUFFICIENT_MEMORY;
	memset(&hdr, 0, sizeof(hdr));
	hdr.provider = (uint8_t)provider;
	hdr.session = ++c->session;
	hdr.auth_type = with_auth ? c->auth_type : 0;
	hdr.body_len = (uint32_t)body_len;
	hdr.auth_len = (uint16_t)auth_len;
	hdr.opcode = opcode;
	/* This library knows parsecd's extension opcodes: ListOpcodes may name them. */
	hdr.flags = WIRE_FLAG_KEEP_ALIVE | WIRE_FLAG_EXTENSIONS;
	wire_encode_hdr(&hdr, req);
	{
		pb_ostream_t out = pb_ostream_from_buffer(req + WIRE_HDR_LEN, body_len);

		if (!pb_encode(&out, op_fields, op)) {
			wipe_free(req, WIRE_HDR_LEN + body_len);
			return PARSEC_ERR_INVALID_ENCODING;
		}
	}
	if (auth_len > 0)
		memcpy(req + WIRE_HDR_LEN + body_len, c->auth, auth_len);

	/* A kept connection may have been closed by the service: then once more, afresh. */
	for (attempt = 0; attempt < 2; attempt++) {
		if (c->fd == -1 && parsec_connect(c) == -1) {
			status = PARSEC_ERR_CONNECTION;
			break;
		}
		if (parsec_exchange(c, req, WIRE_HDR_LEN + body_len + auth_len, &hdr, &body,
		    &status) == 0)
			break;
		parsec_disconnect(c);
		status = PARSEC_ERR_CONNECTION;
	}
	wipe_free(req, WIRE_HDR_LEN + body_len + auth_len);
	if (status == PARSEC_ERR_CONNECTION || status == PARSEC_ERR_RESPONSE_TOO_LARGE ||
	    status == PARSEC_ERR_INVALID_ENCODING || !(hdr.flags & WIRE_FLAG_KEEP_ALIVE))
		parsec_disconnect(c);
	if (status == PARSEC_SUCCESS && res_fields != NULL) {
		pb_istream_t in = pb_istream_from_buffer(body, hdr.body_len);

		if (!pb_decode(&in, res_fields, res))
			status = PARSEC_ERR_INVALID_ENCODING;
	}
	wipe_free(body, hdr.body_len);
	return status;
}

/* The authenticator the settings ask for, or Unix peer credentials when offered, else Direct. */
static int
parsec_choose_auth(parsec_client *c, const parsec_settings *s)
{
	list_authenticators_Operation op = list_authenticators_Operation_init_zero;
	list_authenticators_Result res = list_authenticators_Result_init_zero;
	uint32_t want = s->auth;
	pb_size_t i;
	int st, offered = 0, jwt_offered = 0;

	st = parsec_call_locked(c, 0, OP_LIST_AUTHENTICATORS, 0, list_authenticators_Operation_fields,
	    &op, list_authenticators_Result_fields, &res);
	if (st != PARSEC_SUCCESS)
		return st;
	for (i = 0; i < res.authenticators_count; i++) {
		if (res.authenticators[i].id == WIRE_AUTH_UNIX_PEER_CREDENTIALS)
			offered = 1;
		if (res.authenticators[i].id == WIRE_AUTH_JWT_SVID)
			jwt_offered = 1;
	}
	/* A JWT-SVID given in the environment wins when the service takes them. */
	if (want == PARSEC_AUTH_AUTO && jwt_offered) {
		long n = lp_jwt_svid(c->auth, sizeof(c->auth));

		if (n < 0)
			return PARSEC_ERR_INVALID_ENCODING;
		if (n > 0) {
			c->auth_type = WIRE_AUTH_JWT_SVID;
			c->auth_len = (size_t)n;
			return PARSEC_SUCCESS;
		}
	}
	if (want == PARSEC_AUTH_AUTO)
		want = offered ? PARSEC_AUTH_UNIX_PEER_CREDENTIALS : PARSEC_AUTH_DIRECT;
	else if (want == PARSEC_AUTH_UNIX_PEER_CREDENTIALS && !offered)
		return ST_AUTHENTICATOR_NOT_REGISTERED;
	c->auth_type = (uint8_t)want;
	if (want == PARSEC_AUTH_UNIX_PEER_CREDENTIALS) {
		uint32_t uid = (uint32_t)getuid();

		c->auth[0] = (uint8_t)uid;
		c->auth[1] = (uint8_t)(uid >> 8);
		c->auth[2] = (uint8_t)(uid >> 16);
		c->auth[3] = (uint8_t)(uid >> 24);
		c->auth_len = 4;
		return PARSEC_SUCCESS;
	}
	if (s->app_name[0] == '\0')
		return PARSEC_ERR_SETTING_APP_NAME;
	c->auth_len = strlen(s->app_name);
	memcpy(c->auth, s->app_name, c->auth_len);
	return PARSEC_SUCCESS;
}

/* The provider the settings name, else the first non-core one the service lists. */
static int
parsec_choose_provider(parsec_client *c, const parsec_settings *s)
{
	list_providers_Operation op = list_providers_Operation_init_zero;
	list_providers_Result res = list_providers_Result_init_zero;
	pb_size_t i;
	int st;

	if (s->provider_set) {
		c->provider = s->provider;
		return PARSEC_SUCCESS;
	}
	st = parsec_call_locked(c, 0, OP_LIST_PROVIDERS, 0, list_providers_Operation_fields, &op,
	    list_providers_Result_fields, &res);
	if (st != PARSEC_SUCCESS)
		return st;
	c->provider = PARSEC_PROVIDER_CORE;
	for (i = 0; i < res.providers_count; i++) {
		if (res.providers[i].id != PARSEC_PROVIDER_CORE) {
			c->provider = res.providers[i].id;
			break;
		}
	}
	return PARSEC_SUCCESS;
}

int
parsec_client_new_with_settings(parsec_client **out, const parsec_settings *settings)
{
	parsec_settings s;
	parsec_client *c;
	int st;

	*out = NULL;
	if ((st = parsec_settings_resolve(settings, &s)) != PARSEC_SUCCESS)
		return st;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PARSEC_ERR_INSUFFICIENT_MEMORY;
	c->fd = -1;
	c->max_response = s.max_response;
	c->timeout_ms = (int)s.timeout_ms;
	pthread_mutex_init(&c->lock, NULL);
	memcpy(c->path, s.path, sizeof(c->path));
	if ((st = parsec_choose_auth(c, &s)) != PARSEC_SUCCESS ||
	    (st = parsec_choose_provider(c, &s)) != PARSEC_SUCCESS) {
		parsec_client_free(c);
		return st;
	}
	*out = c;
	return PARSEC_SUCCESS;
}

int
parsec_client_new(parsec_client **out, const char *app_name)
{
	parsec_settings *s;
	int st;

	*out = NULL;
	if ((st = parsec_settings_new(&s)) != PARSEC_SUCCESS)
		return st;
	if (app_name == NULL || app_name[0] == '\0' ||
	    (st = parsec_settings_set_app_name(s, app_name)) == PARSEC_SUCCESS)
		st = parsec_client_new_with_settings(out, s);
	parsec_settings_free(s);
	return st;
}

void
parsec_client_free(parsec_client *c)
{
	if (c == NULL)
		return;
	parsec_disconnect(c);
	pthread_mutex_destroy(&c->lock);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

int
parsec_client_set_provider(parsec_client *c, uint32_t provider_id)
{
	if (provider_id >= WIRE_PROVIDER_COUNT)
		return ST_PROVIDER_DOES_NOT_EXIST;
	pthread_mutex_lock(&c->lock);
	c->provider = provider_id;
	pthread_mutex_unlock(&c->lock);
	return PARSEC_SUCCESS;
}

uint32_t
parsec_client_provider(const parsec_client *c)
{
	return c->provider;
}

uint32_t
parsec_client_authenticator(const parsec_client *c)
{
	return c->auth_type;
}

void
parsec_client_set_max_response(parsec_client *c, size_t bytes)
{
	pthread_mutex_lock(&c->lock);
	c->max_response = bytes;
	pthread_mutex_unlock(&c->lock);
}

int
parsec_call(parsec_client *c, uint32_t provider, uint32_t opcode, int with_auth,
    const pb_msgdesc_t *op_fields, const void *op, const pb_msgdesc_t *res_fields, void *res)
{
	int st;

	pthread_mutex_lock(&c->lock);
	if (provider == PARSEC_USE_CLIENT_PROVIDER)
		provider = c->provider;
	st = parsec_call_locked(c, provider, opcode, with_auth, op_fields, op, res_fields, res);
	pthread_mutex_unlock(&c->lock);
	return st;
}
