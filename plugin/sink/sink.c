#include "sink.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
	int fd, sndbuf = SINK_SNDBUF;
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	/* The kernel holds at most this much of ours unread (doubled), which
	 * bounds the ring whatever net.core.wmem_default says; a failure
	 * leaves the default, also far below SINK_RING_MAX_BYTES. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (stat(s->path, &st) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	s->fd = fd;
	s->peer_dev = st.st_dev;
	s->peer_ino = st.st_ino;
	return 0;
}

void
sink_close(struct sink *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	/* Whatever the socket held unread may be gone with it: every held
	 * datagram goes again. */
	s->ring.resend = 0;
}

void
sink_free(struct sink *s)
{
	size_t i;

	sink_close(s);
	for (i = 0; i < s->ring.cap; i++)
		free(s->ring.slot[i].bytes);
	free(s->ring.slot);
	memset(&s->ring, 0, sizeof(s->ring));
}

static struct sink_slot *
slot_at(const struct sink_ring *r, size_t i)
{
	return &r->slot[(r->head + i) % r->cap];
}

/* Room for one more slot after the held ones: -ENOMEM or -ENOBUFS. */
static int
ring_reserve(struct sink_ring *r, size_t len)
{
	struct sink_slot *ns;
	size_t i, ncap;

	if (r->bytes + len > SINK_RING_MAX_BYTES)
		return -ENOBUFS;
	if (r->count < r->cap)
		return 0;
	if (r->cap >= SINK_RING_MAX_SLOTS)
		return -ENOBUFS;
	ncap = r->cap ? 2 * r->cap : 64;
	if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
		return -ENOMEM;
	/* Held slots first, in order, then the free ones with their buffers. */
	for (i = 0; i < r->cap; i++)
		ns[i] = *slot_at(r, i);
	free(r->slot);
	r->slot = ns;
	r->cap = ncap;
	r->head = 0;
	return 0;
}

/* The slot after the held ones, with room for len bytes. */
static struct sink_slot *
ring_next(struct sink_ring *r, size_t len, int *err)
{
	struct sink_slot *sl;
	char *nb;
	int rc;

	if ((rc = ring_reserve(r, len)) != 0) {
		*err = -rc;
		return NULL;
	}
	sl = slot_at(r, r->count);
	if (sl->cap < len) {
		if ((nb = realloc(sl->bytes, len)) == NULL) {
			*err = ENOMEM;
			return NULL;
		}
		sl->bytes = nb;
		sl->cap = len;
	}
	return sl;
}

/* Keep the slot ring_next gave (filled with len bytes) as the newest. */
static void
ring_commit(struct sink_ring *r, size_t len, size_t floor, bool sent)
{
	struct sink_slot *sl = slot_at(r, r->count);

	sl->len = len;
	sl->floor = floor;
	sl->sent = sent;
	r->count++;
	r->bytes += len;
	r->floor_sum += floor;
}

/* Forget the newest held datagram, never sent. */
static void
ring_drop_newest(struct sink_ring *r)
{
	struct sink_slot *sl = slot_at(r, r->count - 1);

	r->count--;
	r->bytes -= sl->len;
	r->floor_sum -= sl->floor;
	sl->len = 0;
}

/* Forget the oldest held datagrams that `unread` kernel bytes, sampled
 * when the oldest `on_socket` of them had been sent to this socket, cannot
 * include: those before the shortest newest run of those reaching it. */
static void
ring_trim(struct sink_ring *r, size_t unread, size_t on_socket)
{
	struct sink_slot *sl;
	size_t i, sum = r->floor_sum;

	for (i = on_socket; i < r->count; i++)
		sum -= slot_at(r, i)->floor;
	for (; on_socket > 0; on_socket--) {
		sl = slot_at(r, 0);
		if (sum - sl->floor < unread)
			return;
		sum -= sl->floor;
		r->floor_sum -= sl->floor;
		r->bytes -= sl->len;
		if (sl->cap > SINK_SLOT_KEEP) {
			free(sl->bytes);
			sl->bytes = NULL;
			sl->cap = 0;
		}
		sl->len = 0;
		r->head = (r->head + 1) % r->cap;
		r->count--;
		if (r->resend > 0)
			r->resend--;
	}
}

/* Kernel bytes of ours the receiver has not read, or -1. */
static long
unread_bytes(int fd)
{
	int n;

	if (ioctl(fd, SIOCOUTQ, &n) == -1 || n < 0)
		return -1;
	return n;
}

/*
 * The socket we are connected to is alive: its file is the one we
 * connected to (a restarted analysisd binds a new one) and a connection to
 * it is accepted (a dead socket's file refuses them).
 */
static bool
peer_alive(const struct sink *s)
{
	struct sockaddr_un sun;
	struct stat st;
	bool alive;
	int fd;

	if (stat(s->path, &st) == -1 || st.st_dev != s->peer_dev ||
	    st.st_ino != s->peer_ino)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return false;
	alive = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return alive;
}

size_t
sink_settle(struct sink *s)
{
	long now;

	if (s->fd == -1 || s->ring.count == 0 || sink_pending(s) > 0)
		return s->ring.count;
	now = unread_bytes(s->fd);
	/* Gone or restarted while we had nothing to send: what it had not
	 * read is pending again, for sink_resend to the next one. */
	if (!peer_alive(s)) {
		sink_close(s);
		return s->ring.count;
	}
	if (now >= 0)
		ring_trim(&s->ring, (size_t)now, s->ring.count);
	return s->ring.count;
}

size_t
sink_pending(const struct sink *s)
{
	return s->ring.count - s->ring.resend;
}

size_t
sink_held_count(const struct sink *s)
{
	return s->ring.count;
}

const char *
sink_held(const struct sink *s, size_t i, size_t *len)
{
	const struct sink_slot *sl;

	if (i >= s->ring.count) {
		*len = 0;
		return NULL;
	}
	sl = slot_at(&s->ring, i);
	*len = sl->len;
	return sl->bytes;
}

int
sink_hold(struct sink *s, const char *bytes, size_t len)
{
	struct sink_slot *sl;
	int err = 0;

	if (len == 0 || len > SINK_MAX_DATAGRAM)
		return -EMSGSIZE;
	if ((sl = ring_next(&s->ring, len, &err)) == NULL)
		return -err;
	memcpy(sl->bytes, bytes, len);
	/* Sent by an earlier process: sending it again is a resend. */
	ring_commit(&s->ring, len, len, true);
	return 0;
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

static enum sink_status
ensure_connected(struct sink *s, int *err)
{
	int rc;

	if (s->fd != -1)
		return SINK_SENT;
	if ((rc = sink_connect(s)) != 0) {
		*err = -rc;
		return classify(s, -rc);
	}
	s->ring.resend = 0;
	return SINK_SENT;
}

/*
 * Send held datagrams first..first+n (n <= SINK_BATCH) in one sendmmsg,
 * sampling the unread count once before and once after: returns how many
 * the kernel took, or -errno.  The first sample counts once one is taken
 * (analysisd was alive after it); what the count grew by beyond their
 * lengths is added to the floor of the oldest of them, so that any newest
 * run of held datagrams still sums to no more than the kernel holds for it
 * (a run holding that one holds the whole batch).
 */
static int
send_batch(struct sink *s, size_t n)
{
	struct mmsghdr msg[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	struct sink_ring *r = &s->ring;
	struct sink_slot *sl;
	size_t i, sum = 0;
	long before, after;
	int m;

	memset(msg, 0, n * sizeof(msg[0]));
	for (i = 0; i < n; i++) {
		sl = slot_at(r, r->resend + i);
		iov[i].iov_base = sl->bytes;
		iov[i].iov_len = sl->len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	before = unread_bytes(s->fd);
	if ((m = sendmmsg(s->fd, msg, (unsigned)n, MSG_NOSIGNAL)) <= 0)
		return m == 0 ? -EAGAIN : -errno;
	after = unread_bytes(s->fd);
	if (before >= 0)
		ring_trim(r, (size_t)before, r->resend);
	for (i = 0; i < (size_t)m; i++) {
		sl = slot_at(r, r->resend + i);
		sum += sl->len;
		if (sl->sent)
			s->resent++;
		sl->sent = true;
	}
	if (before >= 0 && after > before && (size_t)(after - before) > sum) {
		slot_at(r, r->resend)->floor += (size_t)(after - before) - sum;
		r->floor_sum += (size_t)(after - before) - sum;
	}
	r->resend += (size_t)m;
	/* No count to go by (not Linux?): nothing can be kept for long. */
	if (before < 0 || after < 0)
		ring_trim(r, 0, r->resend);
	return m;
}

enum sink_status
sink_resend(struct sink *s, int *err)
{
	enum sink_status st;
	size_t n;
	int m;

	*err = 0;
	if ((st = ensure_connected(s, err)) != SINK_SENT)
		return st;
	while ((n = sink_pending(s)) > 0) {
		if ((m = send_batch(s, n < SINK_BATCH ? n : SINK_BATCH)) < 0) {
			*err = -m;
			return classify(s, -m);
		}
	}
	return SINK_SENT;
}

enum sink_status
sink_queue(struct sink *s, const struct iovec *parts, size_t nparts,
    size_t tag, int *err)
{
	struct sink_slot *sl;
	size_t i, len = 0;
	enum sink_status st;
	char *w;

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
	/* Not connected (analysisd down?) or a batch waiting: send first. */
	if ((s->fd == -1 || sink_pending(s) >= SINK_BATCH) &&
	    (st = sink_resend(s, err)) != SINK_SENT)
		return st;
	len += s->header_len;
	/* The copy analysisd may need again is also what is sent: one piece,
	 * which the kernel takes faster than several. */
	if ((sl = ring_next(&s->ring, len, err)) == NULL)
		return SINK_BUSY;
	w = sl->bytes;
	memcpy(w, s->header, s->header_len);
	w += s->header_len;
	for (i = 0; i < nparts; i++) {
		memcpy(w, parts[i].iov_base, parts[i].iov_len);
		w += parts[i].iov_len;
	}
	ring_commit(&s->ring, len, len, false);
	slot_at(&s->ring, s->ring.count - 1)->tag = tag;
	return SINK_SENT;
}

size_t
sink_unsent(const struct sink *s)
{
	const struct sink_ring *r = &s->ring;
	size_t n = 0;

	while (n < r->count && !slot_at(r, r->count - 1 - n)->sent)
		n++;
	return n;
}

size_t
sink_drop_unsent(struct sink *s, size_t *tag, size_t *bytes)
{
	struct sink_ring *r = &s->ring;
	struct sink_slot *sl;
	size_t n = 0, sum = 0;

	while (r->count > 0 && !(sl = slot_at(r, r->count - 1))->sent) {
		*tag = sl->tag;
		sum += sl->len;
		ring_drop_newest(r);
		n++;
	}
	if (n > 0)
		*bytes = sum;
	return n;
}

enum sink_status
sink_sendv(struct sink *s, const struct iovec *parts, size_t nparts, int *err)
{
	enum sink_status st;

	size_t tag, bytes;

	if ((st = sink_resend(s, err)) != SINK_SENT ||
	    (st = sink_queue(s, parts, nparts, 0, err)) != SINK_SENT)
		return st;
	/* Sent now or not at all. */
	if ((st = sink_resend(s, err)) != SINK_SENT)
		(void)sink_drop_unsent(s, &tag, &bytes);
	return st;
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
