/*
 * limit: the raw limit of the plugin's job, for the benchmark.
 *
 * Usage: limit SOCKET-PATH < lines
 * Speaks the omprog protocol like floor.c and, for each line, finds the
 * items of its top-level array member by byte spans (a hand scanner that
 * tracks nesting and strings only: no validation, no parsing, no shaping)
 * and sends each as "1:k8s:<item bytes>".  What no real plugin can beat.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int
send_span(int fd, const char *s, size_t n)
{
	struct iovec iov[2] = { { "1:k8s:", 6 }, { (void *)s, n } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	while (sendmsg(fd, &msg, 0) == -1) {
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Send every element that opens at depth 3 inside an array at depth 2. */
static void
split_line(int fd, const char *s, size_t n)
{
	size_t i, depth = 0, start = 0;
	char open[4] = { 0 };
	int in_string = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (depth < sizeof(open))
				open[depth] = c;
			if (++depth == 3 && open[1] == '[')
				start = i;
		} else if ((c == '}' || c == ']') && depth > 0) {
			if (depth-- == 3 && open[1] == '[' &&
			    send_span(fd, s + start, i + 1 - start) != 0)
				fprintf(stderr, "limit: item not sent\n");
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: limit SOCKET-PATH\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("limit: connect");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("OK\n");
	while ((len = getline(&line, &cap, stdin)) > 0) {
		split_line(fd, line, (size_t)len);
		printf("OK\n");
	}
	free(line);
	return 0;
}
