#include "relpconn.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "config.h"

/* What the node offers at "open" (relp.md, OFFERS): RELP version 0, the
 * version librelp (and so imrelp) speaks, and the one command it uses. */
#define OFFERS "relp_version=0\nrelp_software=" PACKAGE_NAME "," \
	PACKAGE_VERSION "\ncommands=syslog"

long long
relp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd has `events`, the deadline passes or stop_fd is readable. */
static int
wait_fd(int fd, short events, long long deadline, int stop_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = fd, .events = events },
		{ .fd = stop_fd, .events = POLLIN }
	};
	long long left;
	int n;

	for (;;) {
		left = deadline - relp_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(pfd, stop_fd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (stop_fd >= 0 && pfd[1].revents)
			return -EINTR;
		if (n > 0)
			return 0;
	}
}

SSL_CTX *
relp_tls_context(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *what = "cannot make a TLS context";

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	what = ca;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		goto fail;
	what = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	return ctx;
fail:
	snprintf(err, errlen, "%s: %s", what,
	    ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "failed");
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

void
relp_conn_init(struct relp_conn *c, int stop_fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->stop_fd = stop_fd;
}

/* Connect to one of target's addresses, non-blocking, before deadline. */
static int
tcp_connect(struct relp_conn *c, const struct relp_target *t,
    long long deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc, fd, soerr, one = 1;
	socklen_t len = sizeof(soerr);

	if ((rc = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", t->host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	rc = -EHOSTUNREACH;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		/* Frames go out as written: without it, a full window
		 * waits for the peer's delayed ACK (40 ms; see the node
		 * drop-in). */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		rc = -errno;
		if (errno == EINPROGRESS &&
		    (rc = wait_fd(fd, POLLOUT, deadline, c->stop_fd)) == 0) {
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &len) != 0)
				soerr = errno;
			if (soerr == 0)
				goto connected;
			rc = -soerr;
		}
		close(fd);
		if (rc == -EINTR)
			break;
	}
	freeaddrinfo(res);
	snprintf(err, errlen, "connect to %s:%s: %s", t->host, t->port,
	    strerror(-rc));
	return rc;
connected:
	freeaddrinfo(res);
	c->fd = fd;
	return 0;
}

/* Wait for what SSL_get_error asks of a non-blocking call; else an error. */
static int
ssl_wait(struct relp_conn *c, int ret, long long deadline)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c->fd, POLLIN, deadline, c->stop_fd);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c->fd, POLLOUT, deadline, c->stop_fd);
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	case SSL_ERROR_SSL:
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		/* OpenSSL 3 reports a peer gone without close_notify (a
		 * manager killed) as an error of its own: it is a reset */
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return -ECONNRESET;
		}
#endif
		ERR_clear_error();
		return -EPROTO;
	default:
		return -EPROTO;
	}
}

static int
tls_handshake(struct relp_conn *c, SSL_CTX *ctx, const struct relp_target *t,
    long long deadline, char *err, size_t errlen)
{
	int rc, ret;
	long verify;

	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, t->name) != 1 ||
	    SSL_set1_host(c->ssl, t->name) != 1) {
		snprintf(err, errlen, "TLS setup failed");
		return -ENOMEM;
	}
	while ((ret = SSL_connect(c->ssl)) != 1)
		if ((rc = ssl_wait(c, ret, deadline)) != 0) {
			verify = SSL_get_verify_result(c->ssl);
			snprintf(err, errlen, "TLS with %s:%s: %s", t->host,
			    t->port, verify != X509_V_OK ?
			    X509_verify_cert_error_string(verify) :
			    rc == -EPROTO ? "handshake refused" :
			    strerror(-rc));
			ERR_clear_error();
			return rc == -EINTR || rc == -ETIMEDOUT ? rc : -EPROTO;
		}
	return 0;
}

static int
write_all(struct relp_conn *c, const char *p, size_t n, long long deadline)
{
	int ret, rc, chunk;

	while (n > 0) {
		chunk = n > (1u << 30) ? 1 << 30 : (int)n;
		ret = SSL_write(c->ssl, p, chunk);
		if (ret > 0) {
			p += ret;
			n -= (size_t)ret;
			continue;
		}
		if ((rc = ssl_wait(c, ret, deadline)) != 0)
			return rc;
	}
	return 0;
}

int
relp_conn_flush(struct relp_conn *c, int timeout_ms)
{
	int rc;

	if (c->ssl == NULL)
		return -ENOTCONN;
	/* On a timeout nothing of wbuf counts as written (SSL_write reports
	 * all or nothing without SSL_MODE_ENABLE_PARTIAL_WRITE): the next
	 * call repeats the same bytes, as OpenSSL wants a retry to. */
	rc = write_all(c, c->wbuf, c->wlen, relp_now_ms() + timeout_ms);
	if (rc == 0)
		c->wlen = 0;
	return rc;
}

int
relp_conn_send(struct relp_conn *c, const char *cmd, const char *data,
    size_t len, int timeout_ms, unsigned *txnr)
{
	char hdr[RELP_HEADER_MAX];
	unsigned next = relp_next_txnr(c->txnr);
	long long deadline = relp_now_ms() + timeout_ms;
	int hlen, rc;

	if (c->ssl == NULL)
		return -ENOTCONN;
	if ((hlen = relp_header(hdr, sizeof(hdr), next, cmd, len)) < 0)
		return hlen;
	if (c->wlen + (size_t)hlen + len + 1 > RELP_WBUF_SIZE &&
	    (rc = relp_conn_flush(c, timeout_ms)) != 0)
		return rc;
	if ((size_t)hlen + len + 1 > RELP_WBUF_SIZE) {
		/* a large event goes out from where it is, not copied */
		if ((rc = write_all(c, hdr, (size_t)hlen, deadline)) != 0 ||
		    (rc = write_all(c, data, len, deadline)) != 0 ||
		    (rc = write_all(c, "\n", 1, deadline)) != 0)
			return rc;
	} else {
		memcpy(c->wbuf + c->wlen, hdr, (size_t)hlen);
		if (len > 0)
			memcpy(c->wbuf + c->wlen + hlen, data, len);
		c->wbuf[c->wlen + (size_t)hlen + len] = '\n';
		c->wlen += (size_t)hlen + len + 1;
	}
	c->txnr = next;
	*txnr = next;
	return 0;
}

/* Read more of the server's bytes into rbuf (all parsed ones dropped). */
static int
read_more(struct relp_conn *c, long long deadline)
{
	int ret, rc, one = 1;

	c->rlen = c->rpos = 0;
	/* Acknowledge the server's segments at once: librelp sets no
	 * TCP_NODELAY, so it holds its next responses (Nagle) until our ACK,
	 * which Linux delays up to 40 ms while we send nothing, as we do
	 * while waiting for a commit's last responses (measured: 1,400
	 * events/s).  Linux clears the flag after use: set before each wait. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	for (;;) {
		ret = SSL_read(c->ssl, c->rbuf, sizeof(c->rbuf));
		if (ret > 0) {
			c->rlen = (size_t)ret;
			return 0;
		}
		if ((rc = ssl_wait(c, ret, deadline)) != 0)
			return rc;
	}
}

int
relp_conn_response(struct relp_conn *c, int timeout_ms, unsigned *txnr,
    int *status)
{
	long long deadline = relp_now_ms() + timeout_ms;
	size_t used;
	int rc;

	if (c->ssl == NULL)
		return -ENOTCONN;
	if (c->wlen > 0 && (rc = relp_conn_flush(c, timeout_ms)) != 0)
		return rc;
	for (;;) {
		if (c->rpos == c->rlen && (rc = read_more(c, deadline)) != 0)
			return rc;
		switch (relp_rx_feed(&c->rx, c->rbuf + c->rpos,
		    c->rlen - c->rpos, &used)) {
		case RELP_RX_MORE:
			c->rpos = c->rlen;
			continue;
		case RELP_RX_BAD:
			return -EPROTO;
		case RELP_RX_FRAME:
			break;
		}
		c->rpos += used;
		if (c->rx.txnr == 0 && strcmp(c->rx.cmd, "serverclose") == 0)
			return -ECONNRESET;
		if (strcmp(c->rx.cmd, "rsp") != 0)
			return -EPROTO;
		*txnr = c->rx.txnr;
		*status = relp_rsp_status(c->rx.data, c->rx.got);
		return 0;
	}
}

bool
relp_conn_answered(struct relp_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->ssl == NULL)
		return false;
	return c->rpos < c->rlen || SSL_pending(c->ssl) > 0 ||
	    (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP)));
}

/* RELP's "open": offers out, the server's accepted offers back. */
static int
relp_open(struct relp_conn *c, const struct relp_target *t, int timeout_ms,
    char *err, size_t errlen)
{
	unsigned txnr, rtxnr;
	int rc, status;

	if ((rc = relp_conn_send(c, "open", OFFERS, sizeof(OFFERS) - 1,
	    timeout_ms, &txnr)) != 0 ||
	    (rc = relp_conn_response(c, timeout_ms, &rtxnr, &status)) != 0) {
		snprintf(err, errlen, "RELP open with %s:%s: %s", t->host,
		    t->port, rc == -EPROTO ? "not a RELP answer" :
		    strerror(-rc));
		return rc;
	}
	if (rtxnr != txnr || status != 200 ||
	    !relp_offer_has(c->rx.data, c->rx.got, "commands", "syslog")) {
		snprintf(err, errlen, "RELP open with %s:%s refused: %.80s",
		    t->host, t->port, c->rx.data);
		return -EPROTO;
	}
	return 0;
}

int
relp_conn_open(struct relp_conn *c, SSL_CTX *ctx,
    const struct relp_target *target, int timeout_ms, char *err,
    size_t errlen)
{
	long long deadline = relp_now_ms() + timeout_ms;
	int rc;

	relp_conn_close(c, false, 0);
	relp_rx_init(&c->rx);
	if ((c->wbuf = malloc(RELP_WBUF_SIZE)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = tcp_connect(c, target, deadline, err, errlen)) != 0 ||
	    (rc = tls_handshake(c, ctx, target, deadline, err, errlen)) != 0 ||
	    (rc = relp_open(c, target, timeout_ms, err, errlen)) != 0) {
		relp_conn_close(c, false, 0);
		return rc;
	}
	return 0;
}

void
relp_conn_close(struct relp_conn *c, bool graceful, int timeout_ms)
{
	unsigned txnr, rtxnr;
	int status;

	if (graceful && c->ssl != NULL &&
	    relp_conn_send(c, "close", "", 0, timeout_ms, &txnr) == 0)
		(void)relp_conn_response(c, timeout_ms, &rtxnr, &status);
	if (c->ssl != NULL) {
		if (graceful)
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c->wbuf);
	relp_conn_init(c, c->stop_fd);
}
