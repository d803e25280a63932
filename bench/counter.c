/*
 * counter: a counting stand-in for analysisd, for benchmarks.
 *
 * Usage: counter SOCKET-PATH
 * Binds a Unix datagram socket, counts datagrams and bytes, and prints
 * "datagrams=N bytes=N" when an empty datagram (the driver's end mark)
 * arrives.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	static char buf[1 << 17];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	unsigned long long n = 0, bytes = 0;
	int fd, rcvbuf = 8 << 20;
	ssize_t r;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: counter SOCKET-PATH\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("counter: bind");
		return 1;
	}
	/* Big buffer: the benchmark measures the sender, not this reader. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		perror("counter: SO_RCVBUF");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			perror("counter: recv");
			return 1;
		}
		if (r == 0)
			break;
		n++;
		bytes += (unsigned long long)r;
	}
	printf("datagrams=%llu bytes=%llu\n", n, bytes);
	unlink(argv[1]);
	return 0;
}
