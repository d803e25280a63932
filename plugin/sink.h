/*
 * sink: analysisd's Unix datagram socket.
 *
 * Every event becomes one datagram "1:<location>:<json>", the form Wazuh's
 * own log readers use (queue 1, LOCALFILE).
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <sys/uio.h>

/* Most pieces sink_sendv puts after the header. */
#define SINK_MAX_PARTS 8u

/* analysisd reads at most this many bytes of a datagram, header included. */
#define SINK_MAX_DATAGRAM 65535u
/* Datagrams up to this size are sent as one piece (see sink_sendv). */
#define SINK_COALESCE 4096u

/* Wazuh caps a location at OS_SIZE_1024-ish; ours is a short name. */
#define SINK_MAX_LOCATION 256u

struct sink {
	const char *path;	/* socket path (not owned) */
	int fd;			/* connected socket, or -1 */
	char header[2 * SINK_MAX_LOCATION + 4];	/* "1:<escaped location>:" */
	size_t header_len;
	char coalesce[SINK_COALESCE];	/* a small datagram, in one piece */
};

enum sink_status {
	SINK_SENT = 0,		/* analysisd has the datagram */
	SINK_BUSY,		/* its queue is full (EAGAIN/ENOBUFS): try again soon */
	SINK_DOWN,		/* socket missing or refused: analysisd is not running */
	SINK_TOO_BIG		/* the datagram can never be sent whole */
};

/*
 * sink_init(s, path, location):
 * Prepare *s for `path`, escaping ':' and '|' in `location` as Wazuh does
 * ("|:" and "||").  Does not connect.  Returns 0, or -ENAMETOOLONG when
 * `location` or `path` is too long.
 */
int sink_init(struct sink *s, const char *path, const char *location);

/*
 * sink_send(s, json, len, err):
 * Send header + json as one datagram, connecting first when needed.  On
 * SINK_DOWN the socket is closed so the next call reconnects; *err holds
 * the errno behind any status but SINK_SENT.
 */
enum sink_status sink_send(struct sink *s, const char *json, size_t len,
    int *err);

/*
 * sink_sendv(s, parts, nparts, err):
 * As sink_send, for the concatenation of `nparts` (<= SINK_MAX_PARTS) pieces
 * (not retained), so that a datagram can be sent from the bytes where they
 * lie.  More pieces than that: SINK_TOO_BIG with *err = EINVAL.
 */
enum sink_status sink_sendv(struct sink *s, const struct iovec *parts,
    size_t nparts, int *err);

/*
 * sink_wait_writable(s, timeout_ms):
 * Wait until the connected socket can take a datagram or timeout_ms passes.
 * Returns at once when not connected.
 */
void sink_wait_writable(struct sink *s, int timeout_ms);

/* sink_close(s): close the socket, if open. */
void sink_close(struct sink *s);

#endif /* !SINK_H */
