#include "relay.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* omprog's default marks (beginTransactionMark, commitTransactionMark).
 * An audit event is a JSON object: no line of one equals them. */
#define BEGIN_MARK "BEGIN TRANSACTION"
#define COMMIT_MARK "COMMIT TRANSACTION"

static bool
is(const char *line, size_t len, const char *mark)
{
	return len == strlen(mark) && memcmp(line, mark, len) == 0;
}

static int
ignore(void *arg, const char *bytes, size_t n)
{
	(void)arg;
	(void)bytes;
	(void)n;
	return 0;
}

/* One line: its answer, or a negative errno (stop, or no memory). */
static int
handle(struct forward *f, bool *in_tx, const char *line, size_t len,
    const char **answer)
{
	int rc;

	if (is(line, len, BEGIN_MARK)) {
		*in_tx = true;
		*answer = "OK";
		return fwd_between(f);
	}
	if (is(line, len, COMMIT_MARK)) {
		*in_tx = false;
		*answer = "OK";
		return fwd_settle(f);
	}
	if ((rc = fwd_submit(f, line, len)) != 0)
		return rc;
	if (*in_tx) {
		*answer = "DEFER_COMMIT";
		return 0;
	}
	*answer = "OK";
	return fwd_settle(f);
}

int
relay_run(struct omprog *io, struct forward *f, const struct log *lg)
{
	bool in_tx = false;
	const char *answer;
	char *line;
	size_t len;
	int rc;

	/* confirmMessages: omprog waits for this before the first line */
	if (omprog_answer(io, "OK") != 0)
		return 0;
	for (;;) {
		switch (omprog_read_line(io, -1, &line, &len)) {
		case OMPROG_LINE:
			break;
		case OMPROG_TOO_LONG:
			/* rsyslog's maxMessageSize keeps lines far below
			 * --max-line: say so loudly, answer, go on */
			log_msg(lg, LOG_ERR, "a line over --max-line (%zu "
			    "bytes) is dropped", io->max_line);
			if (omprog_skip_line(io, ignore, NULL) != 0)
				return 0;
			if (omprog_answer(io, in_tx ? "DEFER_COMMIT" : "OK"))
				return 0;
			continue;
		case OMPROG_CUT:	/* rsyslogd died mid-line: it resends */
		case OMPROG_TIMEOUT:
			continue;
		case OMPROG_EOF:
		case OMPROG_STOP:
			return 0;
		case OMPROG_ERROR:
			log_msg(lg, LOG_ERR, "reading rsyslog's input: %s",
			    strerror(errno));
			return -1;
		}
		rc = handle(f, &in_tx, line, len, &answer);
		if (rc == -EINTR)
			return 0;	/* stop: not answered, rsyslog keeps it */
		if (rc != 0) {
			log_msg(lg, LOG_ERR, "holding a line: %s",
			    strerror(-rc));
			return -1;
		}
		if (omprog_answer(io, answer) != 0)
			return 0;	/* rsyslog went away */
	}
}
