#include "deliver_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define PART_PREFIX "journal-"
#define PART_SUFFIX ".part"
#define PART_MAGIC "wazuh-k8s-audit journal part 1 "

/* A .part file's name for `stream` (32 hex digits). */
static void
part_name(const char *stream, char name[64])
{
	snprintf(name, 64, PART_PREFIX "%s" PART_SUFFIX, stream);
}

static int
part_remove(struct plugin *pl, const char *stream)
{
	char name[64];

	part_name(stream, name);
	if (unlinkat(pl->spool.dirfd, name, 0) == -1 && errno != ENOENT)
		return -errno;
	return fsync(pl->spool.dirfd) == -1 ? -errno : 0;
}

/*
 * Append one piece to the stream's .part file, durable before returning.
 * A new file starts with the magic line and the unit (for the logs of a
 * later start).
 */
static int
part_append(struct plugin *pl, const char *stream, const char *unit,
    const char *bytes, size_t n)
{
	char name[64], head[256];
	bool created = false;
	int fd, rc = 0, hl;

	part_name(stream, name);
	fd = fsutil_open_file(pl->spool.dirfd, name, O_WRONLY | O_APPEND |
	    O_CREAT, 0600, &created);
	if (fd < 0)
		return fd;
	if (created) {
		hl = snprintf(head, sizeof(head), PART_MAGIC "%.128s\n", unit);
		rc = fsutil_write_all(fd, head, (size_t)hl);
	}
	hl = snprintf(head, sizeof(head), "%zu\n", n);
	if (rc == 0)
		rc = fsutil_write_all(fd, head, (size_t)hl);
	if (rc == 0)
		rc = fsutil_write_all(fd, bytes, n);
	if (rc == 0 && fsync(fd) == -1)
		rc = -errno;
	close(fd);
	if (rc == 0 && created && fsync(pl->spool.dirfd) == -1)
		rc = -errno;
	return rc;
}

static enum deliver_result
out_of_memory(struct plugin *pl)
{
	snprintf(pl->error, sizeof(pl->error), "error: out of memory putting "
	    "a journald line together");
	return DELIVER_RETRY;
}

/* Remove `stream`'s .part file, its line delivered or set aside: a failure
 * is logged, the line's answer stands. */
static void
part_done(struct plugin *pl, const char *stream)
{
	int rc;

	if ((rc = part_remove(pl, stream)) != 0)
		log_msg(&pl->log, LOG_ERR, "cannot remove %s/" PART_PREFIX "%s"
		    PART_SUFFIX ": %s", pl->opts.spool_dir, stream,
		    strerror(-rc));
}

/* Set `n` bytes aside (their HMAC), durable before the line's answer. */
static enum deliver_result
reject_piece(struct plugin *pl, const char *bytes, size_t n,
    const char *reason)
{
	enum deliver_result r = deliver_reject_text(pl, bytes, n, reason);
	int rc;

	if (r == DELIVER_DONE && (rc = reject_sync(&pl->reject)) != 0) {
		snprintf(pl->error, sizeof(pl->error), "error: cannot write "
		    "reject file %s: %s", pl->opts.reject_file, strerror(-rc));
		r = DELIVER_RETRY;
	}
	return r;
}

/* Set partial line i aside (its HMAC), and its .part file. */
static enum deliver_result
set_aside_partial(struct plugin *pl, size_t i, const char *why)
{
	struct journal_partial *p = &pl->journal.parts[i];
	char stream[JOURNAL_STREAM_LEN + 1], reason[512];
	enum deliver_result r;
	size_t len;
	char *buf;

	snprintf(reason, sizeof(reason), "journald line of %s (stream %s), %zu "
	    "pieces, %zu bytes, not delivered: %s", p->unit, p->stream,
	    p->pieces, p->len, why);
	memcpy(stream, p->stream, sizeof(stream));
	if ((r = reject_piece(pl, p->buf, p->len, reason)) != DELIVER_DONE)
		return r;
	journal_take(&pl->journal, i, &buf, &len);
	free(buf);
	pl->stats.journal_set_aside++;
	part_done(pl, stream);
	return DELIVER_DONE;
}

/*
 * Add piece `p` to its stream's partial line, after setting aside the
 * partial lines that must go to make room for it.  *i: the line's index, or
 * -E2BIG where the line would pass --max-line (nothing added).
 */
static enum deliver_result
append_piece(struct plugin *pl, const struct journal_piece *p, long *i)
{
	enum deliver_result r;

	while ((*i = journal_room(&pl->journal, p->stream, p->len)) >= 0)
		if ((r = set_aside_partial(pl, (size_t)*i, "more partial lines "
		    "held than the plugin's bounds allow")) != DELIVER_DONE)
			return r;
	*i = journal_append(&pl->journal, p->stream, p->unit, p->msg, p->len);
	return *i == -ENOMEM ? out_of_memory(pl) : DELIVER_DONE;
}

/* A piece of a line that goes on: held, durable before it is answered. */
static enum deliver_result
hold_piece(struct plugin *pl, const struct journal_piece *p)
{
	struct journal *j = &pl->journal;
	char why[320];
	enum deliver_result r;
	long i, own;
	int rc;

	if ((r = append_piece(pl, p, &i)) != DELIVER_DONE)
		return r;
	if (i == -E2BIG) {
		/* Its own line is past --max-line: what came of it goes. */
		own = journal_find(j, p->stream);
		if (own >= 0 && (r = set_aside_partial(pl, (size_t)own,
		    "longer than --max-line or too many pieces")) != DELIVER_DONE)
			return r;
		snprintf(why, sizeof(why), "piece of a journald line of %s (pid "
		    "%s, stream %s) longer than --max-line: not delivered",
		    p->unit, p->pid, p->stream);
		return reject_piece(pl, p->msg, p->len, why);
	}
	if ((rc = part_append(pl, p->stream, p->unit, p->msg, p->len)) != 0) {
		journal_retract(j, (size_t)i);
		snprintf(pl->error, sizeof(pl->error), "error: cannot keep a "
		    "journald piece in %s: %s", pl->opts.spool_dir,
		    strerror(-rc));
		return DELIVER_RETRY;
	}
	pl->stats.journal_pieces++;
	return DELIVER_DONE;
}

/* The last piece of partial line `i`'s stream: the line goes whole. */
static enum deliver_result
finish_line(struct plugin *pl, const struct journal_piece *p)
{
	struct journal *j = &pl->journal;
	char stream[JOURNAL_STREAM_LEN + 1];
	enum deliver_result r;
	size_t len, restored;
	char *text, *buf;
	long i;
	int rc;

	memcpy(stream, p->stream, sizeof(stream));
	if ((r = append_piece(pl, p, &i)) != DELIVER_DONE)
		return r;
	if (i == -E2BIG) {
		i = journal_find(j, p->stream);
		r = set_aside_partial(pl, (size_t)i, "longer than --max-line "
		    "(its last piece set aside too)");
		return r != DELIVER_DONE ? r : reject_piece(pl, p->msg, p->len,
		    "last piece of a journald line longer than --max-line: not "
		    "delivered");
	}
	rc = journal_restore(j, (size_t)i, &text, &len, &restored);
	if (rc == -E2BIG) {
		journal_retract(j, (size_t)i);
		i = journal_find(j, p->stream);
		return set_aside_partial(pl, (size_t)i, "longer than --max-line");
	}
	if (rc != 0) {
		journal_retract(j, (size_t)i);
		return out_of_memory(pl);
	}
	if (restored > 0)
		log_msg(&pl->log, LOG_NOTICE, "journald line of %s (stream %s, "
		    "%zu pieces): %zu trailing spaces journald stripped from its "
		    "pieces put back", j->parts[i].unit, stream,
		    j->parts[i].pieces, restored);
	r = deliver_text(pl, text, len);
	free(text);
	i = journal_find(j, stream);
	if (r != DELIVER_DONE) {
		/* rsyslog hands this piece over again, or the held line is
		 * saved whole (deliver_journal_saved). */
		journal_retract(j, (size_t)i);
		memcpy(pl->journal_held, stream, sizeof(stream));
		return r;
	}
	pl->stats.journal_lines++;
	pl->stats.journal_restored += restored;
	journal_take(j, (size_t)i, &buf, &len);
	free(buf);
	pl->journal_held[0] = '\0';
	part_done(pl, stream);
	return DELIVER_DONE;
}

/* A line journald did not split (or whose start is unknown here). */
static enum deliver_result
deliver_whole(struct plugin *pl, const struct journal_piece *p)
{
	/* The unit's own log lines (an audit line is a JSON object). */
	if (p->len == 0 || p->msg[0] != '{') {
		pl->stats.journal_other++;
		return DELIVER_DONE;
	}
	return deliver_text(pl, p->msg, p->len);
}

static enum deliver_result
take_piece(struct plugin *pl, const struct journal_piece *p)
{
	struct journal *j = &pl->journal;
	enum deliver_result r;
	long i;

	journal_note(j);
	while ((i = journal_stale(j)) >= 0)
		if ((r = set_aside_partial(pl, (size_t)i, "its last piece never "
		    "came")) != DELIVER_DONE)
			return r;
	if (p->stream[0] == '\0') {
		if (p->brk == JOURNAL_BREAK_LINE_MAX)
			return reject_piece(pl, p->msg, p->len, "journald piece "
			    "without _STREAM_ID: it cannot be put back together");
		return deliver_whole(pl, p);
	}
	if (p->brk == JOURNAL_BREAK_LINE_MAX)
		return hold_piece(pl, p);
	if (journal_find(j, p->stream) < 0)
		return deliver_whole(pl, p);
	return finish_line(pl, p);
}

enum deliver_result
deliver_journal_line(struct plugin *pl, const char *line, size_t len)
{
	struct journal_piece p;
	enum deliver_result r;
	char reason[256];
	int rc;

	if (!journal_is_envelope(line, len))
		return deliver_text(pl, line, len);
	rc = journal_parse(line, len, &p, reason, sizeof(reason));
	if (rc == -ENOMEM)
		return out_of_memory(pl);
	if (rc != 0)
		return reject_piece(pl, line, len, reason);
	r = take_piece(pl, &p);
	journal_piece_free(&p);
	return r;
}

void
deliver_journal_saved(struct plugin *pl)
{
	long i;
	size_t len;
	char *buf;

	if (pl->journal_held[0] == '\0')
		return;
	if ((i = journal_find(&pl->journal, pl->journal_held)) >= 0) {
		journal_take(&pl->journal, (size_t)i, &buf, &len);
		free(buf);
	}
	(void)part_remove(pl, pl->journal_held);
	pl->journal_held[0] = '\0';
}

/* Whether `name` is a .part file's; its stream into `stream`. */
static bool
part_stream(const char *name, char stream[JOURNAL_STREAM_LEN + 1])
{
	size_t pl = sizeof(PART_PREFIX) - 1, sl = sizeof(PART_SUFFIX) - 1, i;

	if (strlen(name) != pl + JOURNAL_STREAM_LEN + sl ||
	    strncmp(name, PART_PREFIX, pl) != 0 ||
	    strcmp(name + pl + JOURNAL_STREAM_LEN, PART_SUFFIX) != 0)
		return false;
	for (i = 0; i < JOURNAL_STREAM_LEN; i++) {
		char c = name[pl + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		stream[i] = c;
	}
	stream[JOURNAL_STREAM_LEN] = '\0';
	return true;
}

/*
 * Put back one .part file's pieces.  Records after a damaged one are not
 * read; the file is rewritten with the whole ones so that appends go on
 * after them.
 */
static int
load_part(struct plugin *pl, const char *name, const char *stream)
{
	size_t max = pl->opts.max_line + JOURNAL_MAX_PIECES * 24 + 256;
	size_t len, n, pieces = 0, good;
	char unit[129] = "", *text, *p, *end, *nl;
	unsigned long long v;
	long i = 0;
	int rc;

	if ((rc = fsutil_read(pl->spool.dirfd, name, max, &text, &len)) != 0)
		return rc;
	end = text + len;
	p = text;
	if (len < sizeof(PART_MAGIC) - 1 || memcmp(text, PART_MAGIC,
	    sizeof(PART_MAGIC) - 1) != 0 || (nl = memchr(text, '\n', len)) ==
	    NULL) {
		free(text);
		log_msg(&pl->log, LOG_WARNING, "%s/%s is not a journald part "
		    "file: left alone", pl->opts.spool_dir, name);
		return 0;
	}
	n = (size_t)(nl - text) - (sizeof(PART_MAGIC) - 1);
	memcpy(unit, text + sizeof(PART_MAGIC) - 1, n > 128 ? 128 : n);
	p = nl + 1;
	good = (size_t)(p - text);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl == p || nl - p > 12 || strspn(p, "0123456789") !=
		    (size_t)(nl - p))
			break;
		v = strtoull(p, NULL, 10);
		if (v == 0 || v > (unsigned long long)(end - nl - 1))
			break;
		i = journal_append(&pl->journal, stream, unit, nl + 1, v);
		if (i < 0)
			break;
		pieces++;
		p = nl + 1 + v;
		good = (size_t)(p - text);
	}
	if (i < 0) {
		/* Past the bounds: what was read of it goes aside. */
		if ((i = journal_find(&pl->journal, stream)) >= 0)
			(void)set_aside_partial(pl, (size_t)i, "past the bounds "
			    "at start");
		free(text);
		return part_remove(pl, stream);
	}
	if (good < len)
		rc = fsutil_replace(pl->spool.dirfd, name, text, good, NULL, 0);
	if (pieces > 0)
		log_msg(&pl->log, LOG_NOTICE, "%zu piece(s) of a journald line of "
		    "%s (stream %s) kept from the last run: waiting for the "
		    "rest", pieces, unit, stream);
	free(text);
	return rc;
}

int
deliver_journal_open(struct plugin *pl)
{
	char stream[JOURNAL_STREAM_LEN + 1];
	struct dirent *de;
	DIR *dir;
	int fd, rc;

	if ((rc = journal_init(&pl->journal, pl->opts.max_line)) != 0)
		return rc;
	if ((fd = dup(pl->spool.dirfd)) == -1)
		return -errno;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -errno;
	}
	/* The descriptor's offset is shared with the spool's own scan. */
	rewinddir(dir);
	/* A file that cannot be read stays for the admin: refusing to start
	 * would only make rsyslog restart us again and again. */
	while ((de = readdir(dir)) != NULL)
		if (part_stream(de->d_name, stream) &&
		    (rc = load_part(pl, de->d_name, stream)) != 0)
			log_msg(&pl->log, LOG_ERR, "cannot read %s/%s: %s; left "
			    "where it is, its pieces not used", pl->opts.spool_dir,
			    de->d_name, strerror(-rc));
	closedir(dir);
	return 0;
}
