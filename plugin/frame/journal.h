/*
 * journal: the node drop-in's journald envelopes, and the lines journald
 * split, put back together.
 *
 * journald stores a stdout line longer than its LineMax (48K by default) as
 * several entries: every one but the last carries _LINE_BREAK=line-max; the
 * last is unmarked (the line ended with a newline) or carries eof, nul or
 * pid-change (systemd.journal-fields(7), systemd >= 248).  Entries of one
 * stream (one connection to journald, _STREAM_ID) are in the journal in
 * the order written; rsyslog's imjournal reads them in that order and the
 * node's single-worker Disk queue and RELP keep it, so consecutive pieces
 * of one stream arrive in order, interleaved only with other streams'.
 * imjournal gives no sequence number of the journal (no __SEQNUM or
 * cursor), so a lost piece is not seen as such: what it breaks is broken
 * JSON, which the webhook path never delivers (deliver.h).
 *
 * The envelope (rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in, template
 * wazuh-k8s-audit-journal) is one flat JSON object whose first member is
 * "wazuh-k8s-audit-journal":1, then the string members stream
 * (_STREAM_ID), line_break (_LINE_BREAK, "" when absent), unit
 * (_SYSTEMD_UNIT), pid (_PID) and msg (MESSAGE) in any order.  rsyslog's
 * json escaping leaves bytes >= 0x80 as they are, and journald cuts lines
 * by bytes, so msg may end or start inside a UTF-8 character: its bytes
 * are taken as they are, never validated alone.
 *
 * Held pieces are bounded: at most JOURNAL_MAX_STREAMS partial lines, all
 * of them together at most the table's max_bytes.  This module keeps
 * memory only; deliver_journal.h makes it durable.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The marker every envelope starts with. */
#define JOURNAL_MARKER "{\"wazuh-k8s-audit-journal\":1"

/* Partial lines held at a time; a new one past it evicts the oldest. */
#define JOURNAL_MAX_STREAMS 64
/* A partial line that saw no piece while this many envelopes of other
 * streams went by lost its last piece: it is evicted. */
#define JOURNAL_STALE_LINES 10000u

#define JOURNAL_STREAM_LEN 32		/* _STREAM_ID: 128 bits in hex */
/* Pieces of one line (a 32 MiB line is 683 pieces of the default 48K). */
#define JOURNAL_MAX_PIECES 4096

/* How the piece's line ended (_LINE_BREAK). */
enum journal_break {
	JOURNAL_BREAK_NONE,	/* absent: a newline ended the line */
	JOURNAL_BREAK_LINE_MAX,	/* LineMax reached: the line goes on */
	JOURNAL_BREAK_EOF,	/* the stream ended inside the line */
	JOURNAL_BREAK_NUL,	/* a NUL byte ended the line */
	JOURNAL_BREAK_PID_CHANGE,	/* another process wrote on */
	JOURNAL_BREAK_OTHER	/* a value systemd may add later: the line
				 * is taken as ended */
};

/* One envelope, parsed. */
struct journal_piece {
	char stream[JOURNAL_STREAM_LEN + 1];	/* lower-case hex, or "" */
	enum journal_break brk;
	char unit[128];		/* _SYSTEMD_UNIT, cut to fit (for logs) */
	char pid[24];		/* _PID, cut to fit (for logs) */
	char *msg;		/* owned: MESSAGE's bytes, NUL-terminated */
	size_t len;
};

/* A partial line: pieces of one stream held until its last one. */
struct journal_partial {
	char stream[JOURNAL_STREAM_LEN + 1];
	char unit[128];
	char *buf;		/* owned: the pieces' bytes, in order */
	size_t len, cap;
	size_t pieces;
	unsigned lens[JOURNAL_MAX_PIECES];	/* each piece's length */
	unsigned long long touched;	/* table's envelope count at its last
					 * piece */
};

struct journal {
	struct journal_partial *parts;	/* JOURNAL_MAX_STREAMS of them */
	size_t count;			/* parts[0..count) are in use */
	size_t held;			/* bytes of all partial lines */
	size_t max_bytes;		/* bound of one line and of `held` */
	unsigned long long seen;	/* envelopes taken */
};

/*
 * journal_is_envelope(line, len):
 * Whether the line is one of the node drop-in's journald envelopes (starts
 * with JOURNAL_MARKER and a ',').  An audit Event line never is (it starts
 * with {"kind":"Event"): with --frame journal every other line is taken
 * as a webhook line (the node's audit log files come the same way).
 */
bool journal_is_envelope(const char *line, size_t len);

/*
 * journal_parse(line, len, p, reason, reasonlen):
 * Read envelope `line` into *p (journal_piece_free'd by the caller; msg
 * is never NULL on success).  Returns 0; -EINVAL with a one-line reason
 * when it is not such an envelope (not flat JSON, a member missing,
 * repeated or unknown, a value not a string, a bad escape, a stream that
 * is not 32 hex digits), *p then holding nothing; -ENOMEM.
 */
int journal_parse(const char *line, size_t len, struct journal_piece *p,
    char *reason, size_t reasonlen);

/* journal_piece_free(p): release p->msg; *p holds nothing afterwards. */
void journal_piece_free(struct journal_piece *p);

/*
 * journal_init(j, max_bytes): an empty table whose lines, and all partial
 * lines together, hold at most max_bytes.  Returns 0 or -ENOMEM.
 */
int journal_init(struct journal *j, size_t max_bytes);

/* journal_free(j): release the table and every partial line (safe on a
 * zeroed table). */
void journal_free(struct journal *j);

/* journal_find(j, stream): the index of the stream's partial line, or -1. */
long journal_find(const struct journal *j, const char *stream);

/*
 * journal_append(j, stream, unit, bytes, n):
 * Add piece `bytes` (n bytes) to the partial line of `stream` (made when
 * missing; unit is kept for logs).  Returns the line's index, or -E2BIG
 * when the line would pass max_bytes or JOURNAL_MAX_PIECES or the table
 * has no room (journal_room frees room first), -ENOMEM; on error nothing
 * changed.
 */
long journal_append(struct journal *j, const char *stream, const char *unit,
    const char *bytes, size_t n);

/*
 * journal_room(j, stream, n):
 * The index of the partial line to evict before `n` more bytes of
 * `stream` fit (the table is full, or all lines would pass max_bytes):
 * the least recently touched one other than stream's; -1 when it fits
 * already, or when only stream's own line is left (it is then too long).
 */
long journal_room(const struct journal *j, const char *stream, size_t n);

/*
 * journal_stale(j):
 * The index of a partial line that saw no piece for JOURNAL_STALE_LINES
 * envelopes (its last piece was lost), or -1.  Call once per envelope
 * after journal_note.
 */
long journal_stale(const struct journal *j);

/* journal_note(j): count one envelope taken (for journal_stale). */
void journal_note(struct journal *j);

/*
 * journal_retract(j, i): remove the last piece of partial line i (one
 * journal_append made), and the line when it was its only piece.
 */
void journal_retract(struct journal *j, size_t i);

/*
 * journal_restore(j, i, out, outlen, restored):
 * The text of partial line i, whose last piece is its final one, with
 * what journald took away put back.  systemd 252's journald strips the
 * trailing whitespace of every entry (measured: tests/journal/
 * record_journal.py), so a line-max piece that ended in spaces is shorter
 * than LineMax.  In an audit line (compact JSON: whitespace only inside
 * strings, where tabs and newlines are escaped) that whitespace was
 * spaces: each line-max piece shorter than the line's longest gets the
 * difference back as spaces.  A line of fewer than two line-max pieces
 * has nothing to compare with and is left as it is.  *out (free()d by the
 * caller, NUL-terminated) holds *outlen bytes; *restored counts the spaces
 * put back.  The partial line is unchanged.  Returns 0, -E2BIG past
 * max_bytes, -ENOMEM.
 */
int journal_restore(const struct journal *j, size_t i, char **out,
    size_t *outlen, size_t *restored);

/*
 * journal_take(j, i, buf, len):
 * Remove partial line i; its bytes move to the caller (*buf, free()d,
 * NUL-terminated, *len bytes).  Other indexes may change.
 */
void journal_take(struct journal *j, size_t i, char **buf, size_t *len);

#endif /* !JOURNAL_H */
