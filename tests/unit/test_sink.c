/* Unit tests of plugin/sink.c against real Unix datagram sockets: the
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

int
main(void)
{
	static char big[SINK_MAX_DATAGRAM];
	char dir[] = "/tmp/wka-sink-XXXXXX", path[128], buf[128];
	struct sink s;
	int fd, err, i;
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

	fd = bind_dgram(path, 0);
	st = sink_send(&s, "{}", 2, &err);
	ok(st == SINK_SENT, "analysisd back: reconnected and sent");
	close(fd);
	sink_close(&s);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
