/* Unit tests of plugin/sink/sink.c against real Unix datagram sockets: the
 * header, and what each socket state means to the caller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sink.h"
#include "tap.h"

static int
bind_dgram(const char *path, int rcvbuf)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	return fd;
}

/* One datagram without waiting: 0 and its whole length, or -1. */
static int
recv_one(int fd, char *buf, size_t len, ssize_t *n)
{
	*n = recv(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);
	return *n >= 0 ? 0 : -1;
}

/* Queue datagram {"n":k} (k: its tag). */
static enum sink_status
queue_n(struct sink *s, size_t k)
{
	char text[32];
	struct iovec iov = { text, 0 };
	int err;

	iov.iov_len = (size_t)snprintf(text, sizeof(text), "{\"n\":%zu}", k);
	return sink_queue(s, &iov, 1, k, &err);
}

/* The receiver's datagrams until none is waiting: how many; the last
 * one's text in last. */
static int
drain(int fd, char *last, size_t len, int max)
{
	ssize_t n;
	int k;

	for (k = 0; k < max && recv_one(fd, last, len - 1, &n) == 0; k++)
		last[n] = '\0';
	return k;
}

/*
 * sink_queue sends SINK_BATCH at a time, and what a batch's receiver has
 * not read is still held whole: however many it reads of datagrams sent in
 * one sendmmsg, the held ones include every unread one.  (The kernel
 * queues net.unix.max_dgram_qlen + 1 datagrams, 11 by default, for a
 * receiver that does not read: a batch can be cut short.)
 */
static void
test_batches(const char *path)
{
	char buf[128];
	size_t k, tag = 0, bytes = 0, held, unread, got;
	struct sink s;
	enum sink_status st;
	int fd, err, tries;
	ssize_t n;

	ok(sink_init(&s, path, "k8s") == 0, "batches: init");
	fd = bind_dgram(path, 0);
	ok(queue_n(&s, 0) == SINK_SENT && sink_unsent(&s) == 1 &&
	    recv_one(fd, buf, sizeof(buf), &n) == -1, "queued, not sent");
	for (k = 1; k < SINK_BATCH; k++)
		queue_n(&s, k);
	ok(sink_unsent(&s) == SINK_BATCH && drain(fd, buf, sizeof(buf), 1000)
	    == 0, "a batch queued: nothing sent yet");
	st = queue_n(&s, SINK_BATCH);
	got = (size_t)drain(fd, buf, sizeof(buf), 1000);
	ok(st == SINK_BUSY && got > 0 && got < SINK_BATCH &&
	    sink_unsent(&s) == SINK_BATCH - got, "one more: the batch goes "
	    "first, cut at %zu by a full receiver; the new one not taken", got);
	for (tries = 0; tries < 100 && sink_resend(&s, &err) != SINK_SENT;
	    tries++)
		got += (size_t)drain(fd, buf, sizeof(buf), 1000);
	got += (size_t)drain(fd, buf, sizeof(buf), 1000);
	ok(got == SINK_BATCH && strcmp(buf, "1:k8s:{\"n\":63}") == 0,
	    "the rest as it reads: all %zu, in order", got);
	ok(queue_n(&s, 7) == SINK_SENT && sink_drop_unsent(&s, &tag, &bytes)
	    == 1 && tag == 7 && bytes == 6 + 7 && sink_unsent(&s) == 0,
	    "a never-sent one dropped, with its tag and length");
	ok(sink_settle(&s) == 0, "all read: nothing held");

	/* Each count of reads from one sendmmsg: the unread ones stay held. */
	for (unread = 1; unread <= 10; unread++) {
		for (k = 0; k < 10; k++)
			queue_n(&s, 1000 * k);
		ok(sink_resend(&s, &err) == SINK_SENT, "10 sent at once");
		drain(fd, buf, sizeof(buf), (int)(10 - unread));
		held = sink_settle(&s);
		ok(held >= unread && held <= 10, "%zu of them unread: %zu held",
		    unread, held);
		drain(fd, buf, sizeof(buf), 1000);
	}

	/* A receiver that dies with 5 of them unread: those go first, in
	 * order, to the next one. */
	for (k = 0; k < 10; k++)
		queue_n(&s, k);
	sink_resend(&s, &err);
	drain(fd, buf, sizeof(buf), 5);
	close(fd);
	ok(sink_send(&s, "{}", 2, &err) == SINK_DOWN && sink_unsent(&s) == 0,
	    "the receiver died: down, the new one not kept");
	fd = bind_dgram(path, 0);
	ok(sink_resend(&s, &err) == SINK_SENT, "sent again to the next one");
	held = (size_t)drain(fd, buf, sizeof(buf), 1000);
	ok(held >= 5 && strcmp(buf, "1:k8s:{\"n\":9}") == 0,
	    "the unread 5 among the %zu resent, the newest last (%s)", held, buf);
	close(fd);
	sink_free(&s);
}

/* Send {"n":k} for k in [from, to) to a receiver that reads each. */
static void
send_read(struct sink *s, int fd, size_t from, size_t to)
{
	char text[32], buf[64];
	size_t k;
	ssize_t n;
	int err;

	for (k = from; k < to; k++) {
		snprintf(text, sizeof(text), "{\"n\":%zu}", k);
		sink_send(s, text, strlen(text), &err);
		recv_one(fd, buf, sizeof(buf), &n);
	}
}

/*
 * The read window: what a receiver read stays held (not as unread) within
 * its count, bytes and age; a new receiver gets it again first, the same
 * one never does.
 */
static void
test_window(const char *path)
{
	char buf[64], first[64] = "";
	struct sink s;
	size_t k;
	ssize_t n;
	int fd, err;

	ok(sink_init(&s, path, "k8s") == 0, "window: init");
	sink_set_window(&s, 5, 1 << 20, 60);
	fd = bind_dgram(path, 0);
	send_read(&s, fd, 0, 8);
	sink_settle(&s);
	ok(sink_held_count(&s) == 0 && sink_taken_count(&s) == 5,
	    "8 sent and read: none unread, the newest 5 in the window (%zu)",
	    sink_taken_count(&s));
	ok(sink_taken(&s, 0, &k) != NULL && k == 13 &&
	    memcmp(sink_taken(&s, 0, &k), "1:k8s:{\"n\":3}", 13) == 0,
	    "the oldest kept is n=3");

	/* The same receiver, reconnected: nothing of the window again. */
	sink_close(&s);
	ok(sink_send(&s, "{\"n\":8}", 7, &err) == SINK_SENT && s.resent == 0,
	    "same receiver after a reconnect: no resend");
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		;
	ok(k == 1, "it got only the new one (%zu)", k);
	sink_settle(&s);

	/* Another receiver bound in its place: the window goes first. */
	close(fd);
	fd = bind_dgram(path, 0);
	ok(sink_settle(&s) == 0 && s.fd == -1 && sink_pending(&s) == 5,
	    "settle sees it replaced: the window is pending");
	ok(sink_send(&s, "{\"n\":9}", 7, &err) == SINK_SENT,
	    "new receiver: sent");
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		if (k == 0)
			memcpy(first, buf, (size_t)n < sizeof(first) ? (size_t)n : 0);
	ok(k == 6 && strncmp(first, "1:k8s:{\"n\":4}", 13) == 0,
	    "it got the 5 the old one had read (n=4..8) first, then the new one "
	    "(%zu, first %.13s)", k, first);
	ok(s.resent_read == 5 && s.resent == 5, "counted: resent_read %llu, "
	    "resent %llu", s.resent_read, s.resent);
	sink_settle(&s);
	ok(sink_taken_count(&s) == 5 && sink_held_count(&s) == 0,
	    "read again: back in the window, bounded (%zu)",
	    sink_taken_count(&s));

	/* Bytes bound: each datagram is 13 bytes. */
	sink_set_window(&s, 5, 30, 60);
	send_read(&s, fd, 10, 11);
	sink_settle(&s);
	ok(sink_taken_count(&s) == 2, "30 bytes: 2 of 13 kept (%zu)",
	    sink_taken_count(&s));

	/* Age bound: only while the receiver is seen alive. */
	sink_set_window(&s, 5, 1 << 20, 1);
	usleep(1100 * 1000);
	close(fd);
	sink_settle(&s);
	ok(sink_taken_count(&s) == 2, "receiver dead: the window does not age");
	fd = bind_dgram(path, 0);
	ok(sink_resend(&s, &err) == SINK_SENT && s.resent_read == 7,
	    "the next one gets it (%llu)", s.resent_read);
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		;
	sink_settle(&s);
	usleep(1100 * 1000);
	sink_settle(&s);
	ok(k == 2 && sink_taken_count(&s) == 0, "seen alive 1 s after it read "
	    "them (%zu): the window is empty (%zu)", k, sink_taken_count(&s));

	/* A window saved by an earlier process, for a receiver that is or is
	 * not the one it was connected to. */
	sink_free(&s);
	ok(sink_init(&s, path, "k8s") == 0, "window: init again");
	sink_set_window(&s, 5, 1 << 20, 60);
	send_read(&s, fd, 0, 1);
	{
		unsigned long long dev, ino;
		long long ct;
		struct sink t;

		ok(sink_peer(&s, &dev, &ino, &ct), "the peer is known");
		sink_init(&t, path, "k8s");
		sink_set_window(&t, 5, 1 << 20, 60);
		sink_set_peer(&t, dev, ino, ct);
		ok(sink_take(&t, "1:k8s:{\"w\":1}", 13) == 0 &&
		    sink_taken_count(&t) == 1 && sink_pending(&t) == 1,
		    "taken from a file");
		ok(sink_hold(&t, "1:k8s:{\"u\":1}", 13) == 0 &&
		    sink_take(&t, "1:k8s:{\"w\":2}", 13) == -ENOBUFS,
		    "nothing taken after an unread one");
		ok(sink_resend(&t, &err) == SINK_SENT && t.resent == 1 &&
		    t.resent_read == 0, "same receiver: only the unread one goes");
		sink_free(&t);
		for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
			;
		sink_init(&t, path, "k8s");
		sink_set_window(&t, 5, 1 << 20, 60);
		sink_set_peer(&t, dev, ino + 1, ct);
		ok(sink_take(&t, "1:k8s:{\"w\":1}", 13) == 0 &&
		    sink_resend(&t, &err) == SINK_SENT && t.resent_read == 1,
		    "another receiver: the window goes");
		sink_free(&t);
	}
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		;
	close(fd);
	sink_free(&s);
}

/*
 * Fill fd's queue from another socket, then read one: room for exactly one
 * more datagram.  Returns how many are left queued.
 */
static int
fill_but_one(int fd)
{
	struct sockaddr_un sun;
	socklen_t sl = sizeof(sun);
	int o = socket(AF_UNIX, SOCK_DGRAM, 0), c = 0;
	char buf[8];
	ssize_t n;

	getsockname(fd, (struct sockaddr *)&sun, &sl);
	while (c < 10000 && sendto(o, "x", 1, MSG_DONTWAIT,
	    (struct sockaddr *)&sun, sl) == 1)
		c++;
	close(o);
	recv_one(fd, buf, sizeof(buf), &n);
	return c - 1;
}

/*
 * A resent datagram's size estimate starts again from its length: the
 * kernel overhead it was credited with on a dead receiver's socket is not
 * on the new one.  D0 goes alone and D1..D5 together (D1 credited with
 * their overhead).  The next receiver's queue has room for one: D0 goes,
 * then D1..D5 in a batch of their own (D1 credited again).  It reads none
 * of them: none may count as read, and a third receiver gets all of them
 * again (no read window: one counted read early would be lost).
 */
static void
test_resend_estimate(const char *path)
{
	char buf[64];
	struct sink s;
	size_t k;
	ssize_t n;
	int fd, err, others;

	ok(sink_init(&s, path, "k8s") == 0, "estimate: init");
	fd = bind_dgram(path, 0);
	ok(sink_send(&s, "{\"n\":0}", 7, &err) == SINK_SENT, "D0 alone");
	for (k = 1; k < 6; k++)
		queue_n(&s, k);
	ok(sink_resend(&s, &err) == SINK_SENT && sink_held_count(&s) == 6,
	    "D1..D5 in one batch, none read: 6 held");
	close(fd);
	fd = bind_dgram(path, 0);
	others = fill_but_one(fd);
	ok(sink_settle(&s) == 6 && sink_resend(&s, &err) == SINK_BUSY &&
	    sink_pending(&s) == 5, "a new receiver with room for one: D0 sent");
	for (k = 0; k < (size_t)others; k++)
		recv_one(fd, buf, sizeof(buf), &n);
	ok(sink_resend(&s, &err) == SINK_SENT, "then D1..D5 in one batch");
	ok(sink_send(&s, "{\"n\":6}", 7, &err) == SINK_SENT,
	    "it read none of them, one more sent");
	ok(sink_held_count(&s) == 7, "all 7 held (%zu)", sink_held_count(&s));
	close(fd);
	fd = bind_dgram(path, 0);
	sink_settle(&s);
	ok(sink_resend(&s, &err) == SINK_SENT, "a third receiver");
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		;
	ok(k == 7, "it got all 7, none lost (%zu)", k);
	close(fd);
	sink_free(&s);
}

/* Datagram k of test_bytes: {"k":"<k>xxx..."} of a length that varies. */
static size_t
make_k(char *text, size_t k)
{
	size_t len = 40 + (k * 7919) % 3000, n;

	n = (size_t)snprintf(text, len, "{\"k\":\"%zu", k);
	memset(text + n, 'x', len - n - 2);
	memcpy(text + len - 2, "\"}", 2);
	return len;
}

/*
 * The held datagrams share one byte buffer that wraps and grows: through
 * thousands of datagrams of varying lengths, read as they come, with a
 * window that widens (the buffer grows while wrapped), the read window is
 * always exactly the newest ones, byte for byte.
 */
static void
test_bytes(const char *path)
{
	static char text[4096], want[4096 + 8];
	struct sink s;
	size_t k, i, len, wlen, bad = 0, checks = 0;
	const char *got;
	char buf[8192];
	ssize_t n;
	int fd, err;

	ok(sink_init(&s, path, "k8s") == 0, "bytes: init");
	fd = bind_dgram(path, 0);
	for (k = 0; k < 3000; k++) {
		sink_set_window(&s, 20 + k / 20, 1 << 20, 60);
		len = make_k(text, k);
		if (sink_send(&s, text, len, &err) != SINK_SENT)
			bad++;
		recv_one(fd, buf, sizeof(buf), &n);
		if (k % 97 != 0)
			continue;
		sink_settle(&s);
		checks++;
		for (i = 0; i < sink_taken_count(&s); i++) {
			wlen = 6 + make_k(want + 6, k + 1 - sink_taken_count(&s) + i);
			memcpy(want, "1:k8s:", 6);
			got = sink_taken(&s, i, &len);
			if (len != wlen || memcmp(got, want, len) != 0)
				bad++;
		}
	}
	sink_settle(&s);
	ok(bad == 0 && checks == 31 && sink_taken_count(&s) == 169,
	    "3000 sent and read: the window the newest 169, intact (%zu bad, "
	    "buffer %zu bytes)", bad, s.ring.bcap);
	close(fd);
	sink_free(&s);
}

int
main(void)
{
	static char big[SINK_MAX_DATAGRAM];
	char dir[] = "/tmp/wka-sink-XXXXXX", path[128], buf[128];
	struct sink s;
	int fd, err, i, k, ngot = 0;
	ssize_t got[64];
	size_t held;
	enum sink_status st;
	ssize_t n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/queue", dir);

	ok(sink_init(&s, path, "k8s") == 0 && strcmp(s.header, "1:k8s:") == 0,
	    "header 1:k8s:");
	ok(sink_init(&s, path, "a:b|c") == 0 &&
	    strcmp(s.header, "1:a|:b||c:") == 0, "location escaped: %s",
	    s.header);
	ok(sink_init(&s, path, "k8s") == 0, "init");

	st = sink_send(&s, "{}", 2, &err);
	ok(st == SINK_DOWN && err == ENOENT, "no socket file: down, ENOENT");

	fd = bind_dgram(path, 0);
	st = sink_send(&s, "{\"a\":1}", 7, &err);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	ok(st == SINK_SENT && n == 13 && memcmp(buf, "1:k8s:{\"a\":1}", 13) == 0,
	    "sent one datagram, header and JSON");

	memset(big, 'x', sizeof(big));
	st = sink_send(&s, big, SINK_MAX_DATAGRAM - s.header_len, &err);
	ok(st == SINK_SENT, "exactly 65535 bytes with the header: sent");
	st = sink_send(&s, big, SINK_MAX_DATAGRAM - s.header_len + 1, &err);
	ok(st == SINK_TOO_BIG && err == EMSGSIZE, "one byte more: too big");

	for (i = 0, st = SINK_SENT; i < 1000 && st == SINK_SENT; i++)
		st = sink_send(&s, "{}", 2, &err);
	ok(st == SINK_BUSY && (err == EAGAIN || err == ENOBUFS),
	    "a reader that does not read: busy after %d datagrams", i);

	close(fd);
	st = sink_send(&s, "{}", 2, &err);
	ok(st == SINK_DOWN, "receiver closed: down (%s)", strerror(err));
	ok(s.fd == -1, "down closes the socket for a reconnect");
	st = sink_send(&s, "{}", 2, &err);
	ok(st == SINK_DOWN && (err == ECONNREFUSED || err == ENOENT),
	    "stale socket file: refused (%s)", strerror(err));

	/* The closed receiver read none of the big one and the small ones:
	 * they go first to the new one, which reads as they come (the
	 * kernel queues only net.unix.max_dgram_qlen datagrams). */
	held = sink_held_count(&s);
	ok(held == (size_t)i, "held what the dead receiver never read: %zu "
	    "(the big one and %d small)", held, i - 1);
	fd = bind_dgram(path, 0);
	for (k = 0, st = SINK_BUSY; k < 100 && st == SINK_BUSY; k++) {
		st = sink_send(&s, "{\"b\":2}", 7, &err);
		while (recv_one(fd, buf, sizeof(buf), &n) == 0)
			got[ngot++ % 64] = n;
	}
	while (recv_one(fd, buf, sizeof(buf), &n) == 0)
		got[ngot++ % 64] = n;
	ok(st == SINK_SENT, "analysisd back: reconnected and sent");
	ok(s.resent == held, "resent counted: %llu", s.resent);
	ok(ngot == (int)held + 1 && got[0] == SINK_MAX_DATAGRAM && got[1] == 8 &&
	    got[ngot - 1] == 13, "the unread ones first, in order, then the new "
	    "one (%d datagrams)", ngot);
	close(fd);
	sink_free(&s);

	/* Read ones are forgotten at the next send; a dying receiver's unread
	 * ones are exactly what goes again. */
	ok(sink_init(&s, path, "k8s") == 0, "init again");
	fd = bind_dgram(path, 0);
	for (k = 0; k < 6; k++)
		sink_send(&s, "{\"n\":1}", 7, &err);
	ok(sink_held_count(&s) == 6, "6 sent, none read: 6 held");
	for (k = 0; k < 4; k++)
		recv_one(fd, buf, sizeof(buf), &n);
	ok(sink_settle(&s) == 2, "4 read, receiver alive: settle keeps 2");
	st = sink_send(&s, "{\"n\":2}", 7, &err);
	ok(st == SINK_SENT && sink_held_count(&s) == 3, "one more sent: 3 held "
	    "(%zu)", sink_held_count(&s));
	recv_one(fd, buf, sizeof(buf), &n);
	close(fd);
	ok(sink_settle(&s) == 3, "receiver dead (count fell to 0): settle "
	    "forgets nothing");
	ok(sink_send(&s, "{\"n\":3}", 7, &err) == SINK_DOWN,
	    "the next send finds it dead");
	fd = bind_dgram(path, 0);
	ok(sink_send(&s, "{\"n\":3}", 7, &err) == SINK_SENT && s.resent == 3,
	    "after the restart: all 3 sent again, the one it read included");
	for (k = 0; recv_one(fd, buf, sizeof(buf), &n) == 0; k++)
		;
	ok(k == 4, "the new receiver got 3, then the new one");
	ok(sink_settle(&s) == 0, "it read them: nothing held");

	/* Datagrams a previous process saved come back through sink_hold. */
	ok(sink_hold(&s, "1:k8s:{\"saved\":1}", 17) == 0 &&
	    sink_pending(&s) == 1, "held from a file: pending");
	ok(sink_hold(&s, "", 0) == -EMSGSIZE, "an empty datagram is refused");
	ok(sink_resend(&s, &err) == SINK_SENT && sink_pending(&s) == 0 &&
	    recv_one(fd, buf, sizeof(buf), &n) == 0 && n == 17 &&
	    memcmp(buf, "1:k8s:{\"saved\":1}", 17) == 0,
	    "a held datagram is sent as it was saved");
	ok(sink_settle(&s) == 0, "read: nothing held");
	close(fd);
	sink_free(&s);

	test_batches(path);
	test_window(path);
	test_resend_estimate(path);
	test_bytes(path);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
