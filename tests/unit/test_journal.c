/*
 * test_journal: the node drop-in's journald envelopes read, and the lines
 * journald split put back together within their bounds (frame/journal.h).
 * The envelopes are written as rsyslog's json escaping writes them
 * (tests/fixtures/journal holds real ones; tests/journal replays them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "tap.h"

#define SID_A "a07fd58807694d0694fdb2ef941f1704"
#define SID_B "e066339df63f49d89f051caf4c8588e1"

static int
parse(const char *line, struct journal_piece *p, char *why)
{
	return journal_parse(line, strlen(line), p, why, 256);
}

static void
test_envelope(void)
{
	static const char want[] = "{\"kind\":\"Event\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"x\":\"\xd0\xb7\xd0";
	struct journal_piece p;
	char why[256];
	const char *ok1 = JOURNAL_MARKER ",\"stream\":\"" SID_A "\","
	    "\"line_break\":\"line-max\",\"unit\":\"kube-apiserver.service\","
	    "\"pid\":\"77\",\"msg\":\"{\\\"kind\\\":\\\"Event\\\",\\\"api"
	    "Version\\\":\\\"audit.k8s.io\\/v1\\\",\\\"x\\\":\\\"\xd0\xb7\xd0\"}";
	const char *pair = JOURNAL_MARKER ",\"msg\":\"\\ud83d\\ude00\\u0001\","
	    "\"pid\":\"1\",\"unit\":\"u\",\"line_break\":\"\",\"stream\":\"\"}";

	ok(journal_is_envelope(ok1, strlen(ok1)), "an envelope is one");
	ok(!journal_is_envelope("{\"kind\":\"Event\"}", 16),
	    "an audit Event line is none");
	ok(!journal_is_envelope(JOURNAL_MARKER "}", sizeof(JOURNAL_MARKER)),
	    "the marker alone is none");
	if (ok(parse(ok1, &p, why) == 0, "rsyslog's envelope parses")) {
		ok(strcmp(p.stream, SID_A) == 0 &&
		    p.brk == JOURNAL_BREAK_LINE_MAX &&
		    strcmp(p.unit, "kube-apiserver.service") == 0 &&
		    strcmp(p.pid, "77") == 0, "its members");
		ok(p.len == sizeof(want) - 1 &&
		    memcmp(p.msg, want, sizeof(want) - 1) == 0,
		    "msg unescaped, a UTF-8 character cut by journald kept "
		    "as its bytes");
		journal_piece_free(&p);
	}
	if (ok(parse(pair, &p, why) == 0, "members in any order, \\u "
	    "escapes")) {
		ok(p.len == 5 && memcmp(p.msg, "\xf0\x9f\x98\x80\x01", 5) == 0,
		    "a surrogate pair is one character");
		ok(p.brk == JOURNAL_BREAK_NONE && p.stream[0] == '\0',
		    "no _LINE_BREAK, no stream");
		journal_piece_free(&p);
	}
}

static void
test_envelope_refused(void)
{
	static const char *const bad[] = {
		/* a member missing */
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\"}",
		/* repeated */
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"a\",\"msg\":\"b\"}",
		/* unknown */
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"a\",\"k8s\":\"b\"}",
		/* a stream that is not 32 lower-case hex digits */
		JOURNAL_MARKER ",\"stream\":\"../../etc/passwd\","
		    "\"line_break\":\"\",\"unit\":\"u\",\"pid\":\"1\","
		    "\"msg\":\"a\"}",
		JOURNAL_MARKER ",\"stream\":\"A07FD58807694D0694FDB2EF941F1704\","
		    "\"line_break\":\"\",\"unit\":\"u\",\"pid\":\"1\","
		    "\"msg\":\"a\"}",
		/* a raw control character, a lone surrogate, a bad escape */
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"a\tb\"}",
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"\\ud800x\"}",
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"\\x41\"}",
		/* not a string, trailing bytes, cut */
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":1,\"msg\":\"a\"}",
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"a\"}x",
		JOURNAL_MARKER ",\"stream\":\"\",\"line_break\":\"\","
		    "\"unit\":\"u\",\"pid\":\"1\",\"msg\":\"a",
	};
	struct journal_piece p;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ok(parse(bad[i], &p, why) == -EINVAL && why[0] != '\0' &&
		    p.msg == NULL, "refused with a reason: %s", why);
	}
}

/* A piece of `n` bytes of `c` for stream s. */
static long
add(struct journal *j, const char *s, int c, size_t n)
{
	char *b = malloc(n + 1);
	long i;

	memset(b, c, n);
	i = journal_append(j, s, "u.service", b, n);
	free(b);
	return i;
}

static void
test_reassembly(void)
{
	struct journal j;
	size_t len, restored;
	char *text;
	long a, b;

	journal_init(&j, 1 << 20);
	/* Two streams interleaved, as rec-a and rec-b were in the journal. */
	add(&j, SID_A, 'a', 100);
	add(&j, SID_B, 'b', 100);
	add(&j, SID_A, 'A', 100);
	add(&j, SID_B, 'B', 100);
	a = add(&j, SID_A, '}', 1);
	ok(a >= 0 && j.count == 2 && j.held == 401, "two partial lines held");
	if (ok(journal_restore(&j, (size_t)a, &text, &len, &restored) == 0,
	    "stream A put together")) {
		ok(len == 201 && text[0] == 'a' && text[100] == 'A' &&
		    text[200] == '}' && restored == 0,
		    "its pieces in order, nothing of B");
		free(text);
	}
	journal_take(&j, (size_t)a, &text, &len);
	free(text);
	b = journal_find(&j, SID_B);
	ok(b == 0 && j.count == 1 && j.held == 200 &&
	    j.parts[b].pieces == 2, "stream B still held, whole");
	/* A final piece whose delivery failed is taken back. */
	b = add(&j, SID_B, '}', 1);
	journal_retract(&j, (size_t)b);
	ok(j.parts[b].pieces == 2 && j.parts[b].len == 200 && j.held == 200,
	    "a retracted last piece leaves the line as it was");
	journal_free(&j);
}

static void
test_restore(void)
{
	struct journal j;
	size_t len, restored;
	char *text;
	long i;

	journal_init(&j, 1 << 20);
	/* As recorded: the second line-max piece lost two trailing spaces. */
	add(&j, SID_A, 'x', 49152);
	add(&j, SID_A, 'y', 49150);
	add(&j, SID_A, 'z', 49152);
	i = add(&j, SID_A, '}', 1);
	if (ok(journal_restore(&j, (size_t)i, &text, &len, &restored) == 0,
	    "restored")) {
		ok(restored == 2 && len == 3 * 49152 + 1 &&
		    text[2 * 49152 - 3] == 'y' &&
		    memcmp(text + 2 * 49152 - 2, "  z", 3) == 0 &&
		    text[len - 1] == '}',
		    "the spaces journald stripped are back where they were");
		free(text);
	}
	journal_free(&j);
	journal_init(&j, 1 << 20);
	add(&j, SID_A, 'y', 49150);
	i = add(&j, SID_A, '}', 1);
	if (ok(journal_restore(&j, (size_t)i, &text, &len, &restored) == 0,
	    "one line-max piece")) {
		ok(restored == 0 && len == 49151,
		    "nothing to compare it with: left as it is");
		free(text);
	}
	journal_free(&j);
}

static void
test_bounds(void)
{
	char sid[JOURNAL_STREAM_LEN + 1];
	struct journal j;
	size_t k;
	long i;

	journal_init(&j, 1000);
	ok(add(&j, SID_A, 'a', 600) == 0, "600 of 1000 bytes held");
	ok(add(&j, SID_B, 'b', 600) == -E2BIG && j.count == 1 &&
	    j.held == 600, "past the bound: refused, nothing changed");
	ok(journal_room(&j, SID_B, 600) == 0,
	    "room: the other stream's line is the one to evict");
	ok(journal_room(&j, SID_A, 600) == -1 &&
	    add(&j, SID_A, 'a', 600) == -E2BIG,
	    "a line alone past the bound: nothing to evict, refused");
	journal_free(&j);

	journal_init(&j, 1 << 20);
	for (k = 0; k < JOURNAL_MAX_STREAMS; k++) {
		snprintf(sid, sizeof(sid), "%032zx", k);
		journal_note(&j);
		add(&j, sid, 'x', 10);
	}
	ok(j.count == JOURNAL_MAX_STREAMS && add(&j, SID_A, 'a', 10) == -E2BIG,
	    "a full table refuses a new stream");
	i = journal_room(&j, SID_A, 10);
	ok(i >= 0 && strcmp(j.parts[i].stream,
	    "00000000000000000000000000000000") == 0,
	    "and names the least recently touched line to evict");
	ok(journal_stale(&j) == -1, "no line is stale yet");
	for (k = 0; k <= JOURNAL_STALE_LINES; k++)
		journal_note(&j);
	add(&j, "0000000000000000000000000000003f", 'x', 10);
	i = journal_stale(&j);
	ok(i >= 0 && strcmp(j.parts[i].stream,
	    "0000000000000000000000000000003f") != 0,
	    "after %u envelopes without a piece a line is stale; the one "
	    "just touched is not", JOURNAL_STALE_LINES);
	journal_free(&j);

	journal_init(&j, 1 << 20);
	for (k = 0; k < JOURNAL_MAX_PIECES; k++)
		add(&j, SID_A, 'x', 1);
	ok(add(&j, SID_A, 'x', 1) == -E2BIG, "at most %u pieces a line",
	    JOURNAL_MAX_PIECES);
	journal_free(&j);
}

int
main(void)
{
	test_envelope();
	test_envelope_refused();
	test_reassembly();
	test_restore();
	test_bounds();
	return tap_done();
}
