#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

int
sink_init(struct sink *s, const char *path, const char *location)
{
	struct sockaddr_un sun;
	size_t i, n = 0;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->path = path;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (strlen(location) > SINK_MAX_LOCATION)
		return -ENAMETOOLONG;
	s->header[n++] = '1';
	s->header[n++] = ':';
	for (i = 0; location[i] != '\0'; i++) {
		if (location[i] == ':' || location[i] == '|')
			s->header[n++] = '|';
		s->header[n++] = location[i];
	}
	s->header[n++] = ':';
	s->header[n] = '\0';
	s->header_len = n;
	return 0;
}

static int
sink_connect(struct sink *s)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	s->fd = fd;
	return 0;
}

void
sink_close(struct sink *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* Map a send or connect errno to what the caller should do about it. */
static enum sink_status
classify(struct sink *s, int e)
{
	switch (e) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
	case ENOBUFS:
	case EINTR:
		return SINK_BUSY;
	case EMSGSIZE:
		return SINK_TOO_BIG;
	default:
		/*
		 * ECONNREFUSED (analysisd stopped), ENOENT (socket file gone),
		 * ENOTCONN/EPIPE (analysisd restarted under us) and anything
		 * unexpected: reconnect on the next try.
		 */
		sink_close(s);
		return SINK_DOWN;
	}
}

enum sink_status
sink_send(struct sink *s, const char *json, size_t len, int *err)
{
	struct iovec iov = { (void *)json, len };

	return sink_sendv(s, &iov, 1, err);
}

enum sink_status
sink_sendv(struct sink *s, const struct iovec *parts, size_t nparts, int *err)
{
	struct iovec iov[SINK_MAX_PARTS + 1];
	struct msghdr msg;
	size_t i, len = 0;
	int rc;

	*err = 0;
	if (nparts > SINK_MAX_PARTS) {
		*err = EINVAL;
		return SINK_TOO_BIG;
	}
	for (i = 0; i < nparts; i++)
		len += parts[i].iov_len;
	if (s->header_len + len > SINK_MAX_DATAGRAM) {
		*err = EMSGSIZE;
		return SINK_TOO_BIG;
	}
	if (s->fd == -1 && (rc = sink_connect(s)) != 0) {
		*err = -rc;
		return classify(s, -rc);
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	/* The kernel pays for each piece: a small datagram (most are)
	 * costs less copied into one piece first. */
	if (s->header_len + len <= SINK_COALESCE) {
		char *w = s->coalesce;

		memcpy(w, s->header, s->header_len);
		w += s->header_len;
		for (i = 0; i < nparts; i++) {
			memcpy(w, parts[i].iov_base, parts[i].iov_len);
			w += parts[i].iov_len;
		}
		iov[0].iov_base = s->coalesce;
		iov[0].iov_len = (size_t)(w - s->coalesce);
		msg.msg_iovlen = 1;
	} else {
		iov[0].iov_base = s->header;
		iov[0].iov_len = s->header_len;
		memcpy(iov + 1, parts, nparts * sizeof(*parts));
		msg.msg_iovlen = nparts + 1;
	}
	if (sendmsg(s->fd, &msg, MSG_NOSIGNAL) >= 0)
		return SINK_SENT;
	*err = errno;
	return classify(s, errno);
}

void
sink_wait_writable(struct sink *s, int timeout_ms)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

	if (s->fd == -1)
		return;
	/* A failed poll only makes the caller retry sooner. */
	(void)poll(&pfd, 1, timeout_ms);
}
