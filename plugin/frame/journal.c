#include "journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
journal_is_envelope(const char *line, size_t len)
{
	size_t m = sizeof(JOURNAL_MARKER) - 1;

	return len > m && memcmp(line, JOURNAL_MARKER, m) == 0 &&
	    line[m] == ',';
}

static int
bad(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reasonlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (p[0..4) readable): the value, or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if ((d = hexval(p[i])) < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t
put_utf8(unsigned char *out, unsigned long c)
{
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (unsigned char)(0xc0 | (c >> 6));
		out[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (c >> 12));
		out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (c >> 18));
	out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The JSON string at line[*pos] (its opening quote), decoded into a new
 * buffer: escapes resolved, other bytes kept as they are (a character cut
 * by journald stays cut).  *pos ends after the closing quote.
 */
static int
read_string(const char *line, size_t len, size_t *pos, char **out,
    size_t *outlen)
{
	size_t i = *pos + 1, n = 0;
	unsigned char *buf;
	long c, lo;

	/* Decoded text is never longer than its JSON form. */
	if ((buf = malloc(len - *pos + 1)) == NULL)
		return -ENOMEM;
	for (;;) {
		if (i >= len)
			goto fail;
		if (line[i] == '"')
			break;
		if ((unsigned char)line[i] < 0x20)
			goto fail;
		if (line[i] != '\\') {
			buf[n++] = (unsigned char)line[i++];
			continue;
		}
		if (++i >= len)
			goto fail;
		switch (line[i++]) {
		case '"': buf[n++] = '"'; break;
		case '\\': buf[n++] = '\\'; break;
		case '/': buf[n++] = '/'; break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'n': buf[n++] = '\n'; break;
		case 'r': buf[n++] = '\r'; break;
		case 't': buf[n++] = '\t'; break;
		case 'u':
			if (len - i < 4 || (c = hex4(line + i)) < 0)
				goto fail;
			i += 4;
			if (c >= 0xdc00 && c <= 0xdfff)
				goto fail;
			if (c >= 0xd800 && c <= 0xdbff) {
				/* Only a pair is a character. */
				if (len - i < 6 || line[i] != '\\' ||
				    line[i + 1] != 'u' ||
				    (lo = hex4(line + i + 2)) < 0xdc00 ||
				    lo > 0xdfff)
					goto fail;
				i += 6;
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			n += put_utf8(buf + n, (unsigned long)c);
			break;
		default:
			goto fail;
		}
	}
	buf[n] = '\0';
	*pos = i + 1;
	*out = (char *)buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	return -EINVAL;
}

static bool
is_stream_id(const char *s, size_t n)
{
	size_t i;

	if (n != JOURNAL_STREAM_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (hexval(s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return false;
	return true;
}

static enum journal_break
break_of(const char *s)
{
	if (*s == '\0')
		return JOURNAL_BREAK_NONE;
	if (strcmp(s, "line-max") == 0)
		return JOURNAL_BREAK_LINE_MAX;
	if (strcmp(s, "eof") == 0)
		return JOURNAL_BREAK_EOF;
	if (strcmp(s, "nul") == 0)
		return JOURNAL_BREAK_NUL;
	if (strcmp(s, "pid-change") == 0)
		return JOURNAL_BREAK_PID_CHANGE;
	return JOURNAL_BREAK_OTHER;
}

static void
copy_cut(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

enum { M_STREAM, M_BREAK, M_UNIT, M_PID, M_MSG, M_COUNT };
static const char *const member_names[M_COUNT] = {
	"stream", "line_break", "unit", "pid", "msg"
};

/* Store member `m`'s value (v, n bytes; owned) into *p. */
static int
store(struct journal_piece *p, int m, char *v, size_t n, char *reason,
    size_t reasonlen)
{
	switch (m) {
	case M_STREAM:
		if (n != 0 && !is_stream_id(v, n)) {
			free(v);
			return bad(reason, reasonlen, "journald envelope: stream "
			    "is not 32 lower-case hex digits");
		}
		copy_cut(p->stream, sizeof(p->stream), v, n);
		break;
	case M_BREAK:
		p->brk = break_of(v);
		break;
	case M_UNIT:
		copy_cut(p->unit, sizeof(p->unit), v, n);
		break;
	case M_PID:
		copy_cut(p->pid, sizeof(p->pid), v, n);
		break;
	default:
		p->msg = v;
		p->len = n;
		return 0;
	}
	free(v);
	return 0;
}

int
journal_parse(const char *line, size_t len, struct journal_piece *p,
    char *reason, size_t reasonlen)
{
	size_t pos = sizeof(JOURNAL_MARKER) - 1, klen, vlen;
	bool seen[M_COUNT] = { false };
	char *key, *val;
	int m, rc;

	memset(p, 0, sizeof(*p));
	if (!journal_is_envelope(line, len))
		return bad(reason, reasonlen, "not a journald envelope");
	while (pos < len && line[pos] == ',') {
		pos++;
		if (pos >= len || line[pos] != '"' ||
		    (rc = read_string(line, len, &pos, &key, &klen)) == -EINVAL)
			goto malformed;
		if (rc != 0)
			goto nomem;
		for (m = 0; m < M_COUNT; m++)
			if (strcmp(key, member_names[m]) == 0 &&
			    strlen(key) == klen)
				break;
		free(key);
		if (m == M_COUNT || seen[m]) {
			journal_piece_free(p);
			return bad(reason, reasonlen, "journald envelope: a "
			    "member unknown or repeated");
		}
		seen[m] = true;
		if (pos >= len || line[pos++] != ':' || pos >= len ||
		    line[pos] != '"' ||
		    (rc = read_string(line, len, &pos, &val, &vlen)) == -EINVAL)
			goto malformed;
		if (rc != 0)
			goto nomem;
		if ((rc = store(p, m, val, vlen, reason, reasonlen)) != 0) {
			journal_piece_free(p);
			return rc;
		}
	}
	if (pos + 1 != len || line[pos] != '}')
		goto malformed;
	for (m = 0; m < M_COUNT; m++)
		if (!seen[m]) {
			journal_piece_free(p);
			return bad(reason, reasonlen, "journald envelope without "
			    "%s", member_names[m]);
		}
	return 0;
malformed:
	journal_piece_free(p);
	return bad(reason, reasonlen, "journald envelope is not the flat JSON "
	    "object the node drop-in writes");
nomem:
	journal_piece_free(p);
	return -ENOMEM;
}

void
journal_piece_free(struct journal_piece *p)
{
	free(p->msg);
	memset(p, 0, sizeof(*p));
}

int
journal_init(struct journal *j, size_t max_bytes)
{
	memset(j, 0, sizeof(*j));
	j->max_bytes = max_bytes;
	j->parts = calloc(JOURNAL_MAX_STREAMS, sizeof(*j->parts));
	return j->parts == NULL ? -ENOMEM : 0;
}

void
journal_free(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->count; i++)
		free(j->parts[i].buf);
	free(j->parts);
	memset(j, 0, sizeof(*j));
}

long
journal_find(const struct journal *j, const char *stream)
{
	size_t i;

	for (i = 0; i < j->count; i++)
		if (strcmp(j->parts[i].stream, stream) == 0)
			return (long)i;
	return -1;
}

long
journal_room(const struct journal *j, const char *stream, size_t n)
{
	long own = journal_find(j, stream), oldest = -1;
	size_t i;

	if (own < 0 && j->count < JOURNAL_MAX_STREAMS && n <= j->max_bytes &&
	    j->held <= j->max_bytes - n)
		return -1;
	if (own >= 0 && n <= j->max_bytes && j->held <= j->max_bytes - n)
		return -1;
	for (i = 0; i < j->count; i++) {
		if ((long)i == own)
			continue;
		if (oldest < 0 || j->parts[i].touched <
		    j->parts[oldest].touched)
			oldest = (long)i;
	}
	return oldest;
}

void
journal_note(struct journal *j)
{
	j->seen++;
}

long
journal_stale(const struct journal *j)
{
	size_t i;

	for (i = 0; i < j->count; i++)
		if (j->seen - j->parts[i].touched > JOURNAL_STALE_LINES)
			return (long)i;
	return -1;
}

long
journal_append(struct journal *j, const char *stream, const char *unit,
    const char *bytes, size_t n)
{
	long i = journal_find(j, stream);
	struct journal_partial *p;
	size_t cap;
	char *buf;

	if (n > j->max_bytes || j->held > j->max_bytes - n ||
	    (i < 0 && j->count >= JOURNAL_MAX_STREAMS))
		return -E2BIG;
	if (i < 0) {
		p = &j->parts[j->count];
		memset(p, 0, sizeof(*p));
	} else {
		p = &j->parts[i];
	}
	if (p->pieces >= JOURNAL_MAX_PIECES)
		return -E2BIG;
	if (p->cap - p->len <= n) {
		cap = p->cap ? p->cap : 65536;
		while (cap - p->len <= n)
			cap *= 2;
		if ((buf = realloc(p->buf, cap)) == NULL)
			return -ENOMEM;
		p->buf = buf;
		p->cap = cap;
	}
	if (i < 0) {
		copy_cut(p->stream, sizeof(p->stream), stream, strlen(stream));
		copy_cut(p->unit, sizeof(p->unit), unit, strlen(unit));
		i = (long)j->count++;
	}
	memcpy(p->buf + p->len, bytes, n);
	p->len += n;
	p->buf[p->len] = '\0';
	p->lens[p->pieces++] = (unsigned)n;
	p->touched = j->seen;
	j->held += n;
	return i;
}

void
journal_retract(struct journal *j, size_t i)
{
	struct journal_partial *p = &j->parts[i];
	size_t n = p->lens[--p->pieces];
	char *buf;
	size_t len;

	p->len -= n;
	p->buf[p->len] = '\0';
	j->held -= n;
	if (p->pieces > 0)
		return;
	journal_take(j, i, &buf, &len);
	free(buf);
}

int
journal_restore(const struct journal *j, size_t i, char **out,
    size_t *outlen, size_t *restored)
{
	const struct journal_partial *p = &j->parts[i];
	size_t k, longest = 0, missing = 0, off = 0, o = 0;
	char *buf;

	/* lens[pieces - 1] is the final piece: never line-max. */
	for (k = 0; k + 1 < p->pieces; k++)
		if (p->lens[k] > longest)
			longest = p->lens[k];
	if (p->pieces >= 3)
		for (k = 0; k + 1 < p->pieces; k++)
			missing += longest - p->lens[k];
	if (missing > j->max_bytes || p->len > j->max_bytes - missing)
		return -E2BIG;
	if ((buf = malloc(p->len + missing + 1)) == NULL)
		return -ENOMEM;
	for (k = 0; k < p->pieces; k++) {
		memcpy(buf + o, p->buf + off, p->lens[k]);
		off += p->lens[k];
		o += p->lens[k];
		if (missing > 0 && k + 1 < p->pieces) {
			memset(buf + o, ' ', longest - p->lens[k]);
			o += longest - p->lens[k];
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	*restored = missing;
	return 0;
}

void
journal_take(struct journal *j, size_t i, char **buf, size_t *len)
{
	struct journal_partial *p = &j->parts[i];

	*buf = p->buf;
	*len = p->len;
	j->held -= p->len;
	j->parts[i] = j->parts[--j->count];
	memset(&j->parts[j->count], 0, sizeof(j->parts[j->count]));
}
