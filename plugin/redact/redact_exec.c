/*
 * redact_exec: credentials typed on an exec command line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "derive_exec.h"
#include "fingerprint.h"
#include "k8sobj.h"
#include "redact_exec.h"

/* Text being built; with `count_only` nothing is stored, only counted. */
struct masker {
	struct fingerprinter *fp;	/* NULL when count_only */
	bool count_only;
	unsigned long count;
	bool pending;	/* the next word is the value of "--password" */
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct masker *m, const char *s, size_t n)
{
	if (m->count_only || m->err != 0)
		return;
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 256;
		char *buf;

		while (cap < m->len + n + 1)
			cap *= 2;
		if ((buf = realloc(m->buf, cap)) == NULL) {
			m->err = -ENOMEM;
			return;
		}
		m->buf = buf;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = '\0';
}

static void put_marker(struct masker *m, const char *s, size_t n)
{
	char mark[FINGERPRINT_LEN + 1];
	int rc;

	m->count++;
	if (m->count_only)
		return;
	if ((rc = fingerprinter_marker(m->fp, s, n, mark)) != 0) {
		m->err = m->err ? m->err : rc;
		return;
	}
	put(m, mark, FINGERPRINT_LEN);
}

/* Does a whole marker start at `s` (`n` bytes left)? */
static bool marker_at(const char *s, size_t n)
{
	size_t p = sizeof FINGERPRINT_PREFIX - 1;

	if (n < FINGERPRINT_LEN || memcmp(s, FINGERPRINT_PREFIX, p) != 0 ||
	    s[FINGERPRINT_LEN - 1] != ']')
		return false;
	for (size_t i = p; i < p + FINGERPRINT_HEX; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

/* A value: masked, unless it is a marker already (shaped twice). */
static void mask(struct masker *m, const char *s, size_t n)
{
	if (n == FINGERPRINT_LEN && marker_at(s, n))
		put(m, s, n);
	else
		put_marker(m, s, n);
}

static bool is_quote(char c)
{
	return c == '\'' || c == '"';
}

/*
 * One word of a command argument, its credential parts masked.  A shell
 * word may open with quotes (sh -c "mysql '-pS3cret'"): the option is
 * read after them.
 */
static void word(struct masker *m, const char *w, size_t n)
{
	struct cred_span sp;
	size_t pos = 0, q = 0;

	if (m->pending) {
		m->pending = false;
		mask(m, w, n);
		return;
	}
	while (q < n && is_quote(w[q]))
		q++;
	/* mysql -pS3cret, and the like: the password is glued on (the
	 * closing quote of a quoted word stays out of the value). */
	if (n - q > 2 && w[q] == '-' && w[q + 1] == 'p') {
		size_t end = n;

		while (end > q + 2 && q > 0 && is_quote(w[end - 1]))
			end--;
		if (end > q + 2) {
			put(m, w, q + 2);
			mask(m, w + q + 2, end - q - 2);
			put(m, w + end, n - end);
			return;
		}
	}
	if (n - q > 2 && w[q] == '-' && w[q + 1] == '-' &&
	    memchr(w, '=', n) == NULL) {
		size_t end = n;

		while (end > q + 2 && is_quote(w[end - 1]))
			end--;
		if (cred_name_like(w + q + 2, end - q - 2)) {
			m->pending = true;
			put(m, w, n);
			return;
		}
	}
	/* PGPASSWORD=x, --password=x, postgres://u:x@h */
	while (cred_text_next(w, n, pos, &sp)) {
		put(m, w + pos, sp.off - pos);
		mask(m, w + sp.off, sp.len);
		pos = sp.off + sp.len;
	}
	put(m, w + pos, n - pos);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The end of the word that starts at s[i] (not a space): up to a space
 * outside quotes, as a shell reads a -c text ("--password 'a b'" is two
 * words); a backslash outside single quotes escapes the next byte.  A
 * marker is part of the word it is in, its space included.
 */
static size_t word_end(const char *s, size_t len, size_t i)
{
	char quote = 0;

	for (; i < len; i++) {
		if (quote == 0 && is_space(s[i]))
			break;
		if (marker_at(s + i, len - i)) {
			i += FINGERPRINT_LEN - 1;
		} else if (s[i] == '\\' && quote != '\'' && i + 1 < len) {
			i++;
		} else if (quote != 0 && s[i] == quote) {
			quote = 0;
		} else if (quote == 0 && is_quote(s[i])) {
			quote = s[i];
		}
	}
	return i;
}

/* One decoded argument (a shell's -c text may hold many words). */
static void argument(struct masker *m, const char *s, size_t len)
{
	size_t i = 0, e;

	while (i < len) {
		for (e = i; e < len && is_space(s[e]); e++)
			;
		put(m, s + i, e - i);
		i = e;
		e = word_end(s, len, i);
		if (e > i)
			word(m, s + i, e - i);
		i = e;
	}
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

/* Go's url.QueryEscape of `n` bytes at `s`: runs of plain bytes at once. */
static void put_escaped(struct masker *m, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, run;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		for (run = i; run < n && is_unreserved((unsigned char)s[run]);
		    run++)
			;
		if (run > i) {
			put(m, s + i, run - i);
			i = run;
		} else {
			put(m, c == ' ' ? "+" : esc, c == ' ' ? 1 : 3);
			i++;
		}
	}
}

/*
 * One `name=value` pair, as derive_exec reads it: a `command` whose value
 * holds a credential is written back masked and escaped; anything else as
 * it came.  `tmp` has room for `len` bytes.
 */
static void pair(struct masker *m, const char *p, size_t len, char *tmp)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq ? (size_t)(eq - p) : len, nlen, vlen = 0;
	struct masker arg = *m;
	char *name = tmp;

	if (eq == NULL || memchr(p, ';', len) != NULL ||
	    query_unescape(p, klen, name, &nlen) != 0 ||
	    nlen != 7 || memcmp(name, "command", 7) != 0 ||
	    query_unescape(eq + 1, len - klen - 1, tmp, &vlen) != 0) {
		put(m, p, len);
		return;
	}
	/* Masked apart, so that a value without a credential stays as is. */
	arg.buf = NULL;
	arg.len = arg.cap = 0;
	arg.count = 0;
	argument(&arg, tmp, vlen);
	m->pending = arg.pending;
	if (arg.err != 0) {
		m->err = m->err ? m->err : arg.err;
	} else if (arg.count == 0) {
		put(m, p, len);
	} else {
		m->count += arg.count;
		put(m, p, klen + 1);
		put_escaped(m, arg.buf, arg.len);
	}
	free(arg.buf);
}

/* The URI with its command credentials masked, into m (or counted). */
static void uri(struct masker *m, const char *u)
{
	const char *q = strchr(u, '?');
	size_t qlen, start = 0;
	char *tmp;

	if (q == NULL)
		return;
	q++;
	qlen = strcspn(q, "#");
	if ((tmp = malloc(qlen + 1)) == NULL) {
		m->err = -ENOMEM;
		return;
	}
	put(m, u, (size_t)(q - u));
	for (size_t i = 0; i <= qlen && m->err == 0 &&
	    !(m->count_only && m->count > 0); i++) {
		if (i < qlen && q[i] != '&')
			continue;
		pair(m, q + start, i - start, tmp);
		if (m->count > REDACT_EXEC_MAX_VALUES && m->err == 0)
			m->err = -E2BIG;
		if (i < qlen)
			put(m, "&", 1);
		start = i + 1;
	}
	put(m, q + qlen, strlen(q + qlen));
	free(tmp);
}

static bool is_command_subresource(const struct head *h)
{
	const char *sub = h->subresource;

	return sub != NULL && h->request_uri != NULL &&
	    (strcmp(sub, "exec") == 0 || strcmp(sub, "attach") == 0 ||
	    strcmp(sub, "portforward") == 0);
}

bool redact_exec_may_change(const struct head *h)
{
	struct masker m = { NULL, true, 0, false, NULL, 0, 0, 0 };

	if (!is_command_subresource(h))
		return false;
	uri(&m, h->request_uri);
	/* Out of memory: say yes, the reference path will tell. */
	return m.count > 0 || m.err != 0;
}

/*
 * More credential arguments than a command line holds: they are there to
 * cost a fingerprint each, and the query goes whole (one marker, so
 * k8s.command shows none of it).
 */
static void whole_query(struct masker *m, const char *u)
{
	const char *q = strchr(u, '?') + 1;

	m->err = 0;
	m->len = 0;
	m->count = 0;
	put(m, u, (size_t)(q - u));
	put_marker(m, q, strlen(q));
}

int redact_exec(json_t *event, const unsigned char *key, size_t keylen,
    unsigned long *count)
{
	struct fingerprinter fp;
	struct masker m = { &fp, false, 0, false, NULL, 0, 0, 0 };
	struct head h;
	int rc = 0;

	head_from_json(event, &h);
	if (!is_command_subresource(&h))
		return 0;
	fingerprinter_init(&fp, key, keylen);
	uri(&m, h.request_uri);
	if (m.err == -E2BIG)
		whole_query(&m, h.request_uri);
	fingerprinter_free(&fp);
	if (m.err == 0 && m.count > 0) {
		if (json_object_set_new(event, "requestURI",
		    json_string(m.buf)) != 0)
			rc = -ENOMEM;
		else
			*count += m.count;
	}
	free(m.buf);
	return m.err != 0 ? m.err : rc;
}
