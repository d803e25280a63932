/*
 * floor: the least a C program does for the plugin's job with jansson.
 *
 * Usage: floor SOCKET-PATH < lines
 * Speaks the same omprog protocol (OK at start, OK per line) and, for each
 * line, parses it with json_loadb, serializes each item of `items` with
 * json_dumpb and sends "1:k8s:<json>" as one datagram.  No validation, no
 * shaping, no spool, no pacing: the floor the plugin is compared with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

static int
send_item(int fd, json_t *item, char *buf, size_t cap)
{
	size_t n;

	memcpy(buf, "1:k8s:", 6);
	n = json_dumpb(item, buf + 6, cap - 6, JSON_COMPACT);
	if (n == 0 || n > cap - 6)
		return -1;
	while (send(fd, buf, n + 6, 0) == -1) {
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static char out[1 << 20];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	json_t *root, *items;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: floor SOCKET-PATH\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("floor: connect");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("OK\n");
	while ((len = getline(&line, &cap, stdin)) > 0) {
		root = json_loadb(line, (size_t)len, 0, NULL);
		items = json_object_get(root, "items");
		for (i = 0; i < json_array_size(items); i++) {
			if (send_item(fd, json_array_get(items, i), out,
			    sizeof(out)) != 0)
				fprintf(stderr, "floor: item not sent\n");
		}
		json_decref(root);
		printf("OK\n");
	}
	free(line);
	return 0;
}
