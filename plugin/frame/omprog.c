#include "omprog.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read in pieces of this size; lines are often hundreds of KiB. */
#define READ_CHUNK (256u * 1024u)
/*
 * The pipe from rsyslogd holds this much (Linux's default is 64 KiB and
 * /proc/sys/fs/pipe-max-size, 1 MiB by default, the most an unprivileged
 * process may ask for): a 1 MB batch then crosses in one write and a few
 * reads instead of a sleep and a wake-up of both processes every 64 KiB.
 */
#define PIPE_SIZE (1 << 20)

int
omprog_init(struct omprog *p, int in_fd, int out_fd, int stop_fd,
    size_t max_line)
{
	int flags;

	memset(p, 0, sizeof(*p));
	p->in_fd = in_fd;
	p->out_fd = out_fd;
	p->stop_fd = stop_fd;
	p->max_line = max_line;
	flags = fcntl(in_fd, F_GETFL);
	if (flags == -1 || fcntl(in_fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -errno;
	/* Best effort: not a pipe, or a lower pipe-max-size, reads as before. */
	(void)fcntl(in_fd, F_SETPIPE_SZ, PIPE_SIZE);
	return 0;
}

void
omprog_free(struct omprog *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = p->len = p->consumed = 0;
}

/* Drop the line handed out last time from the front of the buffer. */
static void
discard_consumed(struct omprog *p)
{
	if (p->consumed == 0)
		return;
	p->len -= p->consumed;
	memmove(p->buf, p->buf + p->consumed, p->len);
	p->consumed = 0;
}

/* Make room for one more read, never beyond max_line + a chunk. */
static int
reserve(struct omprog *p)
{
	size_t want, ncap;
	char *nbuf;

	if (p->cap - p->len > READ_CHUNK)
		return 0;
	want = p->len + READ_CHUNK + 1;
	ncap = p->cap ? p->cap : READ_CHUNK;
	while (ncap < want)
		ncap *= 2;
	if ((nbuf = realloc(p->buf, ncap)) == NULL)
		return -ENOMEM;
	p->buf = nbuf;
	p->cap = ncap;
	return 0;
}

/* One non-blocking read: bytes read, 0 at EOF or nothing yet, -errno. */
static ssize_t
fill(struct omprog *p)
{
	ssize_t n;
	int rc;

	if (p->eof)
		return 0;
	if ((rc = reserve(p)) != 0)
		return rc;
	do {
		n = read(p->in_fd, p->buf + p->len, p->cap - p->len - 1);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
	if (n == 0)
		p->eof = true;
	p->len += (size_t)n;
	return n;
}

/*
 * Wait for input: 1 once some came (or its end), 0 at the timeout, -EINTR
 * once a stop is asked for (stop_fd readable: it is left unread), another
 * negative errno if poll fails.
 */
static int
wait_readable(const struct omprog *p, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = p->in_fd, .events = POLLIN },
		{ .fd = p->stop_fd, .events = POLLIN },	/* -1: ignored */
	};
	int rc;

	do {
		rc = poll(pfd, 2, timeout_ms);
	} while (rc == -1 && errno == EINTR);
	if (rc == -1)
		return -errno;
	if (pfd[1].revents != 0)
		return -EINTR;
	return rc;
}

/* The newline ending the first line in the buffer, or NULL. */
static char *
find_newline(struct omprog *p, size_t from)
{
	return memchr(p->buf + from, '\n', p->len - from);
}

enum omprog_read
omprog_read_line(struct omprog *p, int timeout_ms, char **line, size_t *len)
{
	size_t scanned = 0;
	char *nl;
	ssize_t n;
	int rc;

	discard_consumed(p);
	for (;;) {
		nl = p->len ? find_newline(p, scanned) : NULL;
		if (nl == NULL && p->len > p->max_line)
			return OMPROG_TOO_LONG;
		if (nl != NULL && (size_t)(nl - p->buf) > p->max_line)
			return OMPROG_TOO_LONG;
		if (nl != NULL || (p->eof && p->len > 0)) {
			*len = nl ? (size_t)(nl - p->buf) : p->len;
			p->consumed = nl ? *len + 1 : *len;
			/* fill() always leaves a spare byte for this NUL. */
			p->buf[*len] = '\0';
			*line = p->buf;
			return nl ? OMPROG_LINE : OMPROG_CUT;
		}
		if (p->eof)
			return OMPROG_EOF;
		scanned = p->len;
		if ((n = fill(p)) < 0) {
			errno = (int)-n;
			return OMPROG_ERROR;
		}
		if (n > 0 || p->eof)
			continue;
		if ((rc = wait_readable(p, timeout_ms)) == -EINTR)
			return OMPROG_STOP;
		if (rc < 0) {
			errno = -rc;
			return OMPROG_ERROR;
		}
		if (rc == 0)
			return OMPROG_TIMEOUT;
	}
}

int
omprog_skip_line(struct omprog *p,
    int (*sink)(void *arg, const char *bytes, size_t n), void *arg)
{
	char *nl;
	size_t take;
	ssize_t n;
	int rc;

	for (;;) {
		nl = p->len ? find_newline(p, 0) : NULL;
		take = nl ? (size_t)(nl - p->buf) : p->len;
		if (take > 0 && (rc = sink(arg, p->buf, take)) < 0)
			return rc;
		p->consumed = nl ? take + 1 : take;
		discard_consumed(p);
		if (nl != NULL || p->eof)
			return 0;
		if ((n = fill(p)) < 0)
			return (int)n;
		if (n == 0 && !p->eof && (rc = wait_readable(p, -1)) < 0)
			return rc;
	}
}

bool
omprog_check_input(struct omprog *p)
{
	ssize_t n;

	/* Bytes past a whole line stay buffered for omprog_read_line. */
	while (!p->eof && p->len <= p->max_line) {
		if ((n = fill(p)) <= 0)
			break;
	}
	return p->eof;
}

void
omprog_release_line(struct omprog *p)
{
	discard_consumed(p);
}

bool
omprog_has_input(const struct omprog *p)
{
	return p->len > p->consumed;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
omprog_answer(struct omprog *p, const char *text)
{
	char buf[512];
	size_t n = strlen(text);

	/* One write, so rsyslog never reads half an answer. */
	if (n + 1 > sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, text, n);
	buf[n] = '\n';
	return write_all(p->out_fd, buf, n + 1);
}

int
omprog_keepalive(struct omprog *p)
{
	return write_all(p->out_fd, ".", 1);
}
