/*
 * relpconn: one RELP session over TLS to one manager's listener.
 *
 * The node's certificate and key authenticate it to the manager (imrelp,
 * tls.authMode certvalid); the manager's certificate must chain to the CA
 * and carry the expected DNS name.  Every wait is bounded by a deadline and
 * ends at once when the stop descriptor becomes readable.  Commands are
 * written through a buffer (one TLS record for many small frames) and
 * go out at relp_conn_flush or when the buffer fills.
 */
#ifndef RELPCONN_H
#define RELPCONN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "relpframe.h"

/* A manager's listener, as configured. */
struct relp_target {
	char host[256];
	char port[8];
	char name[256];		/* the DNS name its certificate must carry */
};

#define RELP_WBUF_SIZE (256u * 1024u)
#define RELP_RBUF_SIZE (16u * 1024u)

struct relp_conn {
	int fd;			/* -1: closed */
	SSL *ssl;
	int stop_fd;		/* readable: give up waiting (-EINTR), or -1 */
	unsigned txnr;		/* the last transaction number used */
	struct relp_rx rx;
	char rbuf[RELP_RBUF_SIZE];
	size_t rlen, rpos;	/* bytes read, bytes parsed */
	char *wbuf;		/* RELP_WBUF_SIZE bytes */
	size_t wlen;
};

/*
 * relp_tls_context(ca, cert, key, err, errlen):
 * A client TLS context (TLS 1.2 or later) that presents cert/key and
 * verifies servers against the CA file.  Reads the three files now, so the
 * caller may drop privileges afterwards.  Returns the context (free with
 * SSL_CTX_free) or NULL with a reason in err.
 */
SSL_CTX *relp_tls_context(const char *ca, const char *cert, const char *key,
    char *err, size_t errlen);

/* relp_now_ms(): CLOCK_MONOTONIC in milliseconds, what deadlines count in. */
long long relp_now_ms(void);

/* relp_conn_init(c, stop_fd): a closed session; allocates nothing. */
void relp_conn_init(struct relp_conn *c, int stop_fd);

/*
 * relp_conn_open(c, ctx, target, timeout_ms, err, errlen):
 * Connect to target, complete TLS (the server's name checked) and RELP's
 * "open" (the server must offer the "syslog" command), each step within
 * timeout_ms.  Returns 0, or a negative errno with a reason in err: -EINTR
 * when the stop descriptor became readable, -ETIMEDOUT, -EPROTO (TLS or
 * RELP refused), -ENOMEM, or the connect's error.  On error c is closed.
 */
int relp_conn_open(struct relp_conn *c, SSL_CTX *ctx,
    const struct relp_target *target, int timeout_ms, char *err,
    size_t errlen);

/*
 * relp_conn_send(c, cmd, data, len, timeout_ms, txnr):
 * Frame one command with the next transaction number (*txnr) into the
 * write buffer, writing out what does not fit.  `data` is not kept.
 * Returns 0 or a negative errno (the session is then unusable).
 */
int relp_conn_send(struct relp_conn *c, const char *cmd, const char *data,
    size_t len, int timeout_ms, unsigned *txnr);

/*
 * relp_conn_flush(c, timeout_ms):
 * Write out the buffered frames.  Returns 0 or a negative errno.
 */
int relp_conn_flush(struct relp_conn *c, int timeout_ms);

/*
 * relp_conn_response(c, timeout_ms, txnr, status):
 * Wait for the server's next response: its transaction number and status.
 * Returns 0, -ETIMEDOUT, -EINTR (stop), -ECONNRESET (the server closed,
 * with or without its "serverclose" hint), -EPROTO (not RELP, or a
 * command other than rsp), or another negative errno.
 */
int relp_conn_response(struct relp_conn *c, int timeout_ms, unsigned *txnr,
    int *status);

/*
 * relp_conn_answered(c):
 * Without blocking, whether the server has sent bytes not read yet (a
 * response, most likely): relp_conn_response would not wait long.
 */
bool relp_conn_answered(struct relp_conn *c);

/*
 * relp_conn_close(c, graceful, timeout_ms):
 * When graceful, send RELP's "close" and wait for its response (bounded by
 * timeout_ms; the caller has every other response already), then shut TLS
 * down; otherwise just drop the connection.  Frees what the session holds.
 */
void relp_conn_close(struct relp_conn *c, bool graceful, int timeout_ms);

#endif /* !RELPCONN_H */
