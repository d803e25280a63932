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
#include <time.h>
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

void
sink_set_window(struct sink *s, size_t max_count, size_t max_bytes,
    unsigned max_secs)
{
	s->ring.window.max_count = max_count;
	s->ring.window.max_bytes = max_bytes;
	s->ring.window.max_ms = (long long)max_secs * 1000;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long
ctime_ns(const struct stat *st)
{
	return (long long)st->st_ctim.tv_sec * 1000000000LL +
	    st->st_ctim.tv_nsec;
}

/* Whether `st` is the socket file last connected to: a restarted
 * analysisd binds a new one (new inode, or at least a new change time). */
static bool
same_peer(const struct sink *s, const struct stat *st)
{
	return s->peer_known && st->st_dev == s->peer_dev &&
	    st->st_ino == s->peer_ino && ctime_ns(st) == s->peer_ctime_ns;
}

static struct sink_slot *slot_at(const struct sink_ring *r, size_t i);

/*
 * Connected to another analysisd than the last: what the last one read
 * may have died in its queues, so the read window goes again (before what
 * it had not read), each datagram counted as unread from now on.
 */
static void
reopen_window(struct sink *s, const struct stat *st)
{
	struct sink_ring *r = &s->ring;
	struct sink_slot *sl;
	size_t i;

	if (same_peer(s, st)) {
		r->resend = r->taken;
		return;
	}
	for (i = 0; i < r->taken; i++) {
		sl = slot_at(r, i);
		sl->floor = sl->len;
		sl->reread = true;
		r->floor_sum += sl->len;
	}
	r->taken = 0;
	r->taken_bytes = 0;
	r->resend = 0;
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
	reopen_window(s, &st);
	s->peer_known = true;
	s->peer_dev = st.st_dev;
	s->peer_ino = st.st_ino;
	s->peer_ctime_ns = ctime_ns(&st);
	return 0;
}

bool
sink_peer(const struct sink *s, unsigned long long *dev,
    unsigned long long *ino, long long *ctime_ns)
{
	*dev = s->peer_dev;
	*ino = s->peer_ino;
	*ctime_ns = s->peer_ctime_ns;
	return s->peer_known;
}

void
sink_set_peer(struct sink *s, unsigned long long dev, unsigned long long ino,
    long long ctime_ns)
{
	s->peer_known = true;
	s->peer_dev = (dev_t)dev;
	s->peer_ino = (ino_t)ino;
	s->peer_ctime_ns = ctime_ns;
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
	sink_close(s);
	free(s->ring.buf);
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

	if (r->bytes - r->taken_bytes + len > SINK_RING_MAX_BYTES)
		return -ENOBUFS;
	if (r->count < r->cap)
		return 0;
	if (r->cap >= SINK_RING_MAX_SLOTS + r->window.max_count)
		return -ENOBUFS;
	ncap = r->cap ? 2 * r->cap : 64;
	if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
		return -ENOMEM;
	/* Held slots first, in order. */
	for (i = 0; i < r->cap; i++)
		ns[i] = *slot_at(r, i);
	free(r->slot);
	r->slot = ns;
	r->cap = ncap;
	r->head = 0;
	return 0;
}

/*
 * Where len bytes fit after the newest held datagram in the byte buffer
 * (the oldest's bytes and the free ones after the newest): its offset, or
 * false.
 */
/* The end of the newest held datagram's bytes (count > 0). */
static size_t
ring_tail(const struct sink_ring *r)
{
	const struct sink_slot *last = slot_at(r, r->count - 1);

	return last->off + last->len;
}

static bool
ring_fit(const struct sink_ring *r, size_t len, size_t *off)
{
	size_t head, tail;

	if (r->count == 0) {
		*off = 0;
		return r->bcap >= len;
	}
	head = slot_at(r, 0)->off;
	tail = ring_tail(r);
	if (tail > head) {
		/* Not wrapped: after the newest, else from the start. */
		*off = r->bcap - tail >= len ? tail : 0;
		return r->bcap - tail >= len || head >= len;
	}
	*off = tail;
	return head - tail >= len;
}

/*
 * Grow the byte buffer for len more bytes: geometrically, up to what the
 * bounds let be held at once (beyond it only by what is needed).  realloc
 * moves large buffers without a copy (mremap); a wrapped run's oldest part
 * (from the oldest to the old end) moves to the new end, so the new room
 * lies after the newest.  Returns 0 or -ENOMEM.
 */
static int
ring_grow(struct sink_ring *r, size_t len)
{
	size_t limit = r->window.max_bytes + SINK_RING_MAX_BYTES +
	    2 * SINK_MAX_DATAGRAM;
	size_t ncap = r->bcap < (1u << 15) ? (1u << 16) : 2 * r->bcap;
	size_t head, shift, i;
	bool wrapped;
	char *nb;

	if (ncap > limit)
		ncap = limit;
	if (ncap < r->bcap + len)
		ncap = r->bcap + len;
	wrapped = r->count > 0 && ring_tail(r) <= slot_at(r, 0)->off;
	if ((nb = realloc(r->buf, ncap)) == NULL)
		return -ENOMEM;
	shift = ncap - r->bcap;
	if (wrapped) {
		head = slot_at(r, 0)->off;
		memmove(nb + head + shift, nb + head, r->bcap - head);
		for (i = 0; i < r->count && slot_at(r, i)->off >= head; i++)
			slot_at(r, i)->off += shift;
	}
	r->buf = nb;
	r->bcap = ncap;
	return 0;
}

/* The slot after the held ones, with room for len bytes at *w. */
static struct sink_slot *
ring_next(struct sink_ring *r, size_t len, char **w, int *err)
{
	struct sink_slot *sl;
	size_t off;
	int rc;

	if ((rc = ring_reserve(r, len)) != 0 ||
	    (!ring_fit(r, len, &off) && ((rc = ring_grow(r, len)) != 0 ||
	    !ring_fit(r, len, &off)))) {
		*err = rc != 0 ? -rc : ENOMEM;
		return NULL;
	}
	sl = slot_at(r, r->count);
	sl->off = off;
	*w = r->buf + off;
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

/* Forget the oldest held datagram, in the read window. */
static void
ring_drop_oldest(struct sink_ring *r)
{
	struct sink_slot *sl = slot_at(r, 0);

	r->bytes -= sl->len;
	r->taken_bytes -= sl->len;
	r->taken--;
	sl->len = 0;
	r->head = (r->head + 1) % r->cap;
	r->count--;
	if (r->resend > 0)
		r->resend--;
}

/*
 * Move the held datagrams that `unread` kernel bytes, sampled when the
 * oldest `on_socket` of them had been sent to this socket, cannot include
 * (those before the shortest newest run of those reaching it) to the read
 * window, as read at `t` (after the sample), and keep that window within
 * its bounds; analysisd was alive at `t` (a send or a connection after it
 * succeeded), so what it was seen reading window.max_ms before is done.
 */
static void
ring_trim(struct sink_ring *r, size_t unread, size_t on_socket, long long t)
{
	struct sink_slot *sl;
	size_t i, sum = r->floor_sum;

	for (i = on_socket; i < r->count; i++)
		sum -= slot_at(r, i)->floor;
	for (; r->taken < on_socket; r->taken++) {
		sl = slot_at(r, r->taken);
		if (sum - sl->floor < unread)
			break;
		sum -= sl->floor;
		r->floor_sum -= sl->floor;
		r->taken_bytes += sl->len;
		sl->read_ms = t;
	}
	while (r->taken > 0 && (r->taken > r->window.max_count ||
	    r->taken_bytes > r->window.max_bytes ||
	    slot_at(r, 0)->read_ms + r->window.max_ms <= t))
		ring_drop_oldest(r);
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

	if (stat(s->path, &st) == -1 || !same_peer(s, &st))
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
	long long t;

	if (s->fd == -1 || s->ring.count == 0 || sink_pending(s) > 0)
		return sink_held_count(s);
	now = unread_bytes(s->fd);
	t = now_ms();
	/* Gone or restarted while we had nothing to send: what it had not
	 * read is pending again, for sink_resend to the next one (and its
	 * read window too, if the next is another). */
	if (!peer_alive(s)) {
		sink_close(s);
		return sink_held_count(s);
	}
	if (now >= 0)
		ring_trim(&s->ring, (size_t)now, s->ring.count, t);
	return sink_held_count(s);
}

size_t
sink_pending(const struct sink *s)
{
	return s->ring.count - s->ring.resend;
}

size_t
sink_held_count(const struct sink *s)
{
	return s->ring.count - s->ring.taken;
}

const char *
sink_held(const struct sink *s, size_t i, size_t *len)
{
	return sink_taken(s, s->ring.taken + i, len);
}

size_t
sink_taken_count(const struct sink *s)
{
	return s->ring.taken;
}

const char *
sink_taken(const struct sink *s, size_t i, size_t *len)
{
	const struct sink_slot *sl;

	if (i >= s->ring.count) {
		*len = 0;
		return NULL;
	}
	sl = slot_at(&s->ring, i);
	*len = sl->len;
	return s->ring.buf + sl->off;
}

int
sink_take(struct sink *s, const char *bytes, size_t len)
{
	struct sink_ring *r = &s->ring;
	struct sink_slot *sl;
	char *w;
	int err = 0;

	if (len == 0 || len > SINK_MAX_DATAGRAM)
		return -EMSGSIZE;
	if (r->count > r->taken)
		return -ENOBUFS;
	/* The newest are kept, as in the window itself. */
	while (r->taken > 0 && (r->taken >= r->window.max_count ||
	    r->taken_bytes + len > r->window.max_bytes))
		ring_drop_oldest(r);
	if (r->window.max_count == 0 || len > r->window.max_bytes)
		return -ENOBUFS;
	if ((sl = ring_next(r, len, &w, &err)) == NULL)
		return -err;
	memcpy(w, bytes, len);
	ring_commit(r, len, len, true);
	/* Read, as far as anyone knows, just now. */
	r->floor_sum -= len;
	r->taken++;
	r->taken_bytes += len;
	sl->read_ms = now_ms();
	return 0;
}

int
sink_hold(struct sink *s, const char *bytes, size_t len)
{
	char *w;
	int err = 0;

	if (len == 0 || len > SINK_MAX_DATAGRAM)
		return -EMSGSIZE;
	if (ring_next(&s->ring, len, &w, &err) == NULL)
		return -err;
	memcpy(w, bytes, len);
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
	return SINK_SENT;
}

/*
 * Send held datagrams first..first+n (n <= SINK_BATCH) in one sendmmsg,
 * sampling the unread count once before and once after: returns how many
 * the kernel took, or -errno.  The first sample counts once one is taken
 * (analysisd was alive after it); each one's floor starts again from its
 * length (what it was credited with on an earlier socket is not on this
 * one), and what the count grew by beyond their lengths is added to the
 * floor of the oldest of them, so that any newest run of held datagrams
 * still sums to no more than the kernel holds for it (a run holding that
 * one holds the whole batch).
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
	long long t;
	int m;

	memset(msg, 0, n * sizeof(msg[0]));
	for (i = 0; i < n; i++) {
		sl = slot_at(r, r->resend + i);
		iov[i].iov_base = r->buf + sl->off;
		iov[i].iov_len = sl->len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	before = unread_bytes(s->fd);
	t = now_ms();
	if ((m = sendmmsg(s->fd, msg, (unsigned)n, MSG_NOSIGNAL)) <= 0)
		return m == 0 ? -EAGAIN : -errno;
	after = unread_bytes(s->fd);
	for (i = 0; i < (size_t)m; i++) {
		sl = slot_at(r, r->resend + i);
		sum += sl->len;
		/* What it was credited with on an earlier socket is not on
		 * this one: counted twice, the datagrams before it would
		 * count as read too early. */
		r->floor_sum -= sl->floor - sl->len;
		sl->floor = sl->len;
		if (sl->sent)
			s->resent++;
		if (sl->reread)
			s->resent_read++;
		sl->sent = true;
		sl->reread = false;
	}
	if (before >= 0 && after > before && (size_t)(after - before) > sum) {
		slot_at(r, r->resend)->floor += (size_t)(after - before) - sum;
		r->floor_sum += (size_t)(after - before) - sum;
	}
	r->resend += (size_t)m;
	/* After the floors: the window may drop slots, and r->resend with it. */
	if (before >= 0)
		ring_trim(r, (size_t)before, r->resend - (size_t)m, t);
	/* No count to go by (not Linux?): nothing can be kept for long. */
	if (before < 0 || after < 0)
		ring_trim(r, 0, r->resend, t);
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
	if ((sl = ring_next(&s->ring, len, &w, err)) == NULL)
		return SINK_BUSY;
	memcpy(w, s->header, s->header_len);
	w += s->header_len;
	for (i = 0; i < nparts; i++) {
		memcpy(w, parts[i].iov_base, parts[i].iov_len);
		w += parts[i].iov_len;
	}
	sl->tag = tag;
	ring_commit(&s->ring, len, len, false);
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
