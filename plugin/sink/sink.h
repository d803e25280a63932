/*
 * sink: analysisd's Unix datagram socket.
 *
 * Every event becomes one datagram "1:<location>:<json>", the form Wazuh's
 * own log readers use (queue 1, LOCALFILE).
 */
#ifndef SINK_H
#define SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Most pieces sink_sendv puts after the header. */
#define SINK_MAX_PARTS 32u

/* analysisd reads at most this many bytes of a datagram, header included. */
#define SINK_MAX_DATAGRAM 65535u

/* Wazuh caps a location at OS_SIZE_1024-ish; ours is a short name. */
#define SINK_MAX_LOCATION 256u

/*
 * What analysisd may not have read yet.  send() succeeding only means the
 * datagram sits in analysisd's socket queue, and that queue dies with
 * analysisd.  On a connected AF_UNIX datagram socket, SIOCOUTQ counts the
 * kernel bytes of our datagrams the receiver has not consumed; it falls
 * as analysisd reads, but also to 0 when analysisd dies, so a sample only
 * counts once analysisd is known to have been alive after it: a send()
 * right after it succeeded, or sink_settle's check.  The receiver reads in
 * order, so the unread datagrams are the newest ones: the ring keeps the
 * shortest run of newest datagrams whose sizes (a lower bound of the
 * kernel's count for each: their length, or what the count grew by across
 * their send) reach the last such sample.  Datagrams sent together
 * (sink_queue) are sampled together: what the count grew by beyond their
 * lengths counts for the oldest of them, so any newest run still sums to
 * no more than the kernel holds for it.  When the socket dies they are
 * sent again, first thing, to the new one: at least once, never lost.
 *
 * Bounds: the kernel holds at most SO_SNDBUF (SINK_SNDBUF, doubled by the
 * kernel, plus one datagram) of our unread bytes, and each datagram's
 * floor is at least its length, so the ring holds at most that much and
 * one datagram more; SINK_RING_MAX_* are guards far above it (reaching
 * one makes a send SINK_BUSY until analysisd reads).
 */
#define SINK_SNDBUF 212992
/* Both guards count what analysisd has not read: the read window comes on
 * top (struct sink_window bounds it). */
#define SINK_RING_MAX_BYTES (8u << 20)
#define SINK_RING_MAX_SLOTS (1u << 17)
/*
 * The read window: datagrams analysisd has read but may not have finished.
 * analysisd takes a datagram off the socket into its own queues and
 * threads (decode, rule matching, alerts and archives writers) and a
 * SIGTERM makes it exit() with them unfinished (docs/production.md,
 * "What a manager restart may take").  So a read datagram is kept a while
 * longer, oldest first out: at most `max_count` of them and `max_bytes` of
 * their lengths, and only until analysisd is seen alive `max_ms` after it
 * was seen read (by then it had that long to finish it).  When the socket
 * comes back as another one (another analysisd: its file's device, inode
 * or change time differ), the window is sent again, first, before what
 * was not read: at least once, never lost, within those bounds.  When it
 * comes back as the same one, nothing of the window is sent again.
 */
struct sink_window {
	size_t max_count;	/* 0: no window (read datagrams are dropped) */
	size_t max_bytes;
	long long max_ms;
};
/*
 * Datagrams sink_queue holds before sending them in one sendmmsg (one
 * system call and one SIOCOUTQ sample before and after, not one send and
 * two samples each).  64 at most 64 KiB each stay far below
 * SINK_RING_MAX_BYTES beside the kernel's share.
 */
#define SINK_BATCH 64u

/* A held datagram: its bytes lie at `off` in the ring's byte buffer. */
struct sink_slot {
	size_t off, len;	/* the whole datagram, header included */
	size_t floor;		/* at most the kernel bytes it occupies */
	bool sent;		/* sent once: sending it again is a resend */
	bool reread;		/* of a dead analysisd's read window */
	size_t tag;		/* the caller's, from sink_queue */
	long long read_ms;	/* in the window: when it was seen read */
};

/*
 * The held datagrams lie in one byte buffer, in order from the oldest's
 * `off`, wrapping to its start (a datagram is never split: the end may be
 * left unused).  The buffer only grows, geometrically, up to what the
 * bounds let be held at once (SINK_RING_MAX_BYTES of unread ones, the
 * window's max_bytes, and a datagram or two); so neither keeping nor
 * forgetting a datagram allocates or frees memory once it has grown.
 */
struct sink_ring {
	struct sink_slot *slot;	/* circular, `cap` slots from `head` */
	size_t cap, head, count;
	char *buf;		/* the datagrams' bytes, `bcap` of them */
	size_t bcap;
	size_t bytes;		/* sum of len over the held datagrams */
	size_t floor_sum;	/* sum of floor over the unread ones */
	size_t resend;		/* held datagrams already on the current socket */
	size_t taken;		/* the oldest held: the read window */
	size_t taken_bytes;	/* sum of len over the window */
	struct sink_window window;
};

struct sink {
	const char *path;	/* socket path (not owned) */
	int fd;			/* connected socket, or -1 */
	char header[2 * SINK_MAX_LOCATION + 4];	/* "1:<escaped location>:" */
	size_t header_len;
	struct sink_ring ring;	/* datagrams analysisd may not have read */
	bool peer_known;	/* peer_* name an analysisd's socket file */
	dev_t peer_dev;		/* the socket file connected to (or, at */
	ino_t peer_ino;		/* start, the last process's: sink_set_peer) */
	long long peer_ctime_ns;
	unsigned long long resent;	/* datagrams sent again after a death */
	unsigned long long resent_read;	/* those of them from the read window */
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
 * sink_set_window(s, max_count, max_bytes, max_secs):
 * Keep that read window (see struct sink_window; max_count 0: none, the
 * default after sink_init).
 */
void sink_set_window(struct sink *s, size_t max_count, size_t max_bytes,
    unsigned max_secs);

/*
 * sink_send(s, json, len, err):
 * Send header + json as one datagram, connecting first when needed.  After
 * a (re)connection the held datagrams analysisd may not have read go first
 * (see struct sink_ring); a failure there is reported as for the new one,
 * which is then not sent.  The datagram is kept (copied) until analysisd
 * has read it.  On SINK_DOWN the socket is closed so the next call
 * reconnects; *err holds the errno behind any status but SINK_SENT
 * (ENOMEM: no room to keep it, reported as SINK_BUSY).
 */
enum sink_status sink_send(struct sink *s, const char *json, size_t len,
    int *err);

/*
 * sink_queue(s, parts, nparts, tag, err):
 * Hold header + the concatenation of `nparts` (<= SINK_MAX_PARTS) pieces
 * (copied) as one datagram to send with the next batch: held datagrams go
 * out, in order, when SINK_BATCH are waiting (before this one is taken),
 * when the socket is not connected, and at sink_resend (call it before
 * answering for them).  SINK_SENT: taken, kept until analysisd has read
 * it, and sent before anything newer; any other status (with *err as for
 * sink_send) means this one was not taken.  `tag` is the caller's name for
 * it (sink_drop_unsent).
 */
enum sink_status sink_queue(struct sink *s, const struct iovec *parts,
    size_t nparts, size_t tag, int *err);

/*
 * sink_drop_unsent(s, tag, bytes):
 * Forget the queued datagrams never sent yet (always the newest): returns
 * how many, with *tag the oldest one's tag and *bytes their length in all
 * (both untouched when none).
 */
size_t sink_drop_unsent(struct sink *s, size_t *tag, size_t *bytes);

/* sink_unsent(s): queued datagrams never sent yet. */
size_t sink_unsent(const struct sink *s);

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

/*
 * sink_resend(s, err):
 * Connect when needed and send the held datagrams not yet on the current
 * socket (after analysisd's death, or those sink_hold or sink_queue
 * added), SINK_BATCH per system call.  SINK_SENT
 * once none is left, else as sink_send.
 */
enum sink_status sink_resend(struct sink *s, int *err);

/*
 * sink_settle(s):
 * Without sending, forget the held datagrams analysisd has read: sample
 * SIOCOUTQ, then check that the socket file is still the one connected to
 * and still accepts a connection (analysisd was alive after the sample).
 * If not, analysisd died: the socket is closed and every held datagram is
 * pending (sink_resend sends them to the next one).  Returns the number
 * still held.
 */
size_t sink_settle(struct sink *s);

/* sink_pending(s): held datagrams not yet sent to the current socket. */
size_t sink_pending(const struct sink *s);

/*
 * sink_held(s, i, len):
 * Held datagram i (0 = oldest) of sink_held_count(s) analysisd may not have
 * read, header included; *len its length.  The bytes stay owned by s until
 * its next send.  The read window is not among them.
 */
size_t sink_held_count(const struct sink *s);
const char *sink_held(const struct sink *s, size_t i, size_t *len);

/*
 * sink_taken(s, i, len):
 * As sink_held, for datagram i of the sink_taken_count(s) of the read
 * window.
 */
size_t sink_taken_count(const struct sink *s);
const char *sink_taken(const struct sink *s, size_t i, size_t *len);

/*
 * sink_take(s, bytes, len):
 * Put a whole datagram (header included, e.g. of an earlier process's read
 * window) after the read window, as read now: it goes again if the
 * socket turns out to be another one than sink_set_peer named.  The oldest
 * make room within the window's bounds.  Call before anything is held.
 * Returns 0, -EMSGSIZE, or -ENOMEM / -ENOBUFS (no window, or one that can
 * never hold it, or something held already).
 */
int sink_take(struct sink *s, const char *bytes, size_t len);

/*
 * sink_peer(s, dev, ino, ctime_ns), sink_set_peer(s, dev, ino, ctime_ns):
 * The identity of the socket file last connected to (false: none yet), and
 * setting it at start to an earlier process's, so that the read window it
 * saved is sent again only to another analysisd.
 */
bool sink_peer(const struct sink *s, unsigned long long *dev,
    unsigned long long *ino, long long *ctime_ns);
void sink_set_peer(struct sink *s, unsigned long long dev,
    unsigned long long ino, long long ctime_ns);

/*
 * sink_hold(s, bytes, len):
 * Keep a whole datagram (header included, e.g. one saved by an earlier
 * process) to be sent before anything new.  Returns 0, -EMSGSIZE, or
 * -ENOMEM / -ENOBUFS when it cannot be kept.
 */
int sink_hold(struct sink *s, const char *bytes, size_t len);

/* sink_close(s): close the socket, if open; held datagrams stay. */
void sink_close(struct sink *s);

/* sink_free(s): close and drop everything held. */
void sink_free(struct sink *s);

#endif /* !SINK_H */
