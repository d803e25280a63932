/*
 * omprog: rsyslog's omprog protocol on a pair of file descriptors.
 *
 * rsyslog writes one message per line; the program answers each with one
 * line ("OK" or an error text), may write keep-alive dots before an answer,
 * and sees end of file when rsyslog stops the action.
 */
#ifndef OMPROG_H
#define OMPROG_H

#include <stdbool.h>
#include <stddef.h>

struct omprog {
	int in_fd;		/* rsyslog -> us */
	int out_fd;		/* us -> rsyslog */
	int stop_fd;		/* readable: stop waiting (stopsig.h), or -1 */
	size_t max_line;	/* longest line accepted, without its newline */
	char *buf;		/* buffered input */
	size_t cap;		/* bytes allocated in buf */
	size_t len;		/* bytes held in buf */
	size_t consumed;	/* bytes of buf handed out as the last line */
	bool eof;		/* in_fd reached end of file */
};

enum omprog_read {
	OMPROG_LINE,		/* *line and *len: one line, NUL-terminated, no newline */
	OMPROG_CUT,		/* *len bytes before end of file with no newline */
	OMPROG_TOO_LONG,	/* the line exceeds max_line: use omprog_skip_line */
	OMPROG_TIMEOUT,		/* nothing complete arrived in time */
	OMPROG_EOF,		/* rsyslog closed our input */
	OMPROG_STOP,		/* stop_fd became readable while waiting */
	OMPROG_ERROR		/* read or allocation failed: errno is set */
};

/*
 * omprog_init(p, in_fd, out_fd, stop_fd, max_line):
 * Prepare *p; allocates nothing yet.  in_fd is made non-blocking and, if
 * it is a pipe, asked to hold 1 MiB (best effort: failing leaves it as it
 * was).  Every wait for input also ends once stop_fd (-1: none) is
 * readable; it is never read here.  Returns 0 or a negative errno.
 */
int omprog_init(struct omprog *p, int in_fd, int out_fd, int stop_fd,
    size_t max_line);

/* omprog_free(p): release the buffer; the descriptors are not closed. */
void omprog_free(struct omprog *p);

/*
 * omprog_read_line(p, timeout_ms, line, len):
 * Wait up to timeout_ms (-1: forever) for a complete line, or until
 * stop_fd is readable (OMPROG_STOP; a line already complete in the buffer
 * is still returned first).  On OMPROG_LINE,
 * *line points into p's buffer and stays valid until the next call on p.
 * rsyslog ends every line with a newline: bytes without one before end of
 * file are a line cut by rsyslogd's death, returned once as OMPROG_CUT
 * (with *line and *len) so that the caller can drop them; rsyslogd's queue
 * hands the whole line over again after its restart.
 */
enum omprog_read omprog_read_line(struct omprog *p, int timeout_ms,
    char **line, size_t *len);

/*
 * omprog_skip_line(p, sink, arg):
 * After OMPROG_TOO_LONG: pass every byte of the overlong line, in pieces, to
 * sink(arg, bytes, n) and drop them, up to and excluding its newline.
 * Returns 0, a negative errno from reading, -EINTR if stop_fd became
 * readable first (the rest of the line is left unread), or the first
 * negative value sink returned.  Reaching end of file ends the line.
 */
int omprog_skip_line(struct omprog *p,
    int (*sink)(void *arg, const char *bytes, size_t n), void *arg);

/*
 * omprog_check_input(p):
 * Without blocking, read what rsyslog wrote while we were busy with a line,
 * so that end of file is seen.  Returns true once input has ended.
 */
bool omprog_check_input(struct omprog *p);

/*
 * omprog_release_line(p):
 * Forget the line omprog_read_line handed out last (the caller copied it):
 * its bytes leave the buffer now, while nothing follows them yet, rather
 * than be moved under the next line's bytes at the next call.
 */
void omprog_release_line(struct omprog *p);

/*
 * omprog_has_input(p):
 * Whether bytes past the line handed out last are buffered (what
 * omprog_check_input read): rsyslog wrote its next message, and waits for
 * an answer to it once written whole.
 */
bool omprog_has_input(const struct omprog *p);

/*
 * omprog_answer(p, text):
 * Write `text` and a newline.  Returns 0 or a negative errno (rsyslog went
 * away: the caller should stop).
 */
int omprog_answer(struct omprog *p, const char *text);

/*
 * omprog_keepalive(p):
 * Write one dot, which omprog takes as "still working" and which resets its
 * confirmTimeout.  Returns 0 or a negative errno.
 */
int omprog_keepalive(struct omprog *p);

#endif /* !OMPROG_H */
