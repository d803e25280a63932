/*
 * cred: recognise names and values that look like credentials.
 */
#include "cred.h"

#include <stdint.h>
#include <string.h>

#include "swar.h"

/* Words in their normalised form: lower case, no separators. */
static const char *const cred_words[] = {
	"password", "passwd", "secret", "token", "accesskey", "apikey",
	"privatekey", "passphrase", "credential",
};

/*
 * Names that assign a credential in a text only as the whole name: HTTP
 * headers, and a docker config's "auth" (only quoted: a bare `auth: true`
 * is a setting).  As ConfigMap keys they name configuration
 * ("authorization-config.yaml"), not a credential.
 */
static const struct {
	const char *name;
	bool quoted;	/* only as a quoted name */
} cred_names[] = {
	{ "auth", true }, { "authorization", false },
	{ "proxyauthorization", false },
};

/* The armour of a private key: "-----BEGIN <label>-----". */
#define PEM_BEGIN "-----BEGIN "
#define PEM_DASHES "-----"
#define PEM_END "-----END "
/* Longest armour label looked at ("ENCRYPTED PRIVATE KEY" and the like). */
#define PEM_LABEL_MAX 64

static bool is_separator(char c)
{
	return c == '-' || c == '_' || c == '.' || c == ' ';
}

/* Lower-case `name` into `out` without separators; returns the length. */
static size_t normalise(const char *name, size_t len, char *out)
{
	size_t n = 0;

	if (len > CRED_NAME_MAX)
		len = CRED_NAME_MAX;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (is_separator(c))
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

/*
 * "pwd" ends many password names (MYSQL_PWD, DB_PWD), but alone (or as
 * OLDPWD) it is the shell's working directory.
 */
static bool pwd_name(const char *norm, size_t n)
{
	return n > 3 && strcmp(norm + n - 3, "pwd") == 0 &&
	    strcmp(norm, "oldpwd") != 0;
}

bool cred_name_like(const char *name, size_t len)
{
	char norm[CRED_NAME_MAX + 1];
	size_t n;

	/* A name with a NUL inside stops there: strstr needs a C string. */
	normalise(name, len, norm);
	n = strlen(norm);
	for (size_t i = 0; i < sizeof cred_words / sizeof cred_words[0]; i++)
		if (strstr(norm, cred_words[i]) != NULL)
			return true;
	return pwd_name(norm, n);
}

/* cred_name_like, or one of cred_names. */
static bool assigns_credential(const char *name, size_t len, bool quoted)
{
	char norm[CRED_NAME_MAX + 1];

	if (cred_name_like(name, len))
		return true;
	normalise(name, len, norm);
	for (size_t i = 0; i < sizeof cred_names / sizeof cred_names[0]; i++)
		if (strcmp(norm, cred_names[i].name) == 0 &&
		    (quoted || !cred_names[i].quoted))
			return true;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_eol(char c)
{
	return c == '\n' || c == '\r';
}

/* Bytes that end a bare name, looking back from its '=' or ':'. */
static bool ends_name(char c)
{
	switch (c) {
	case ' ': case '\t': case '\r': case '\n': case '\0':
	case '{': case '}': case '[': case ']': case '(': case ')':
	case ',': case ';': case '&': case '?': case '"': case '\'':
	case '=': case ':': case '/': case '<': case '>':
		return true;
	default:
		return false;
	}
}

/*
 * Does the name before the separator at `sep` look like a credential?  A
 * quoted name is what its quotes hold; a bare one the bytes back to the
 * previous delimiter ("export DB_PASSWORD=").
 */
static bool named_credential(const char *text, size_t sep)
{
	size_t end = sep, start;
	char q;

	while (end > 0 && is_space(text[end - 1]))
		end--;
	if (end == 0)
		return false;
	q = text[end - 1];
	if (q == '"' || q == '\'') {
		end--;
		start = end;
		while (start > 0 && end - start <= CRED_NAME_MAX &&
		    text[start - 1] != q && !is_eol(text[start - 1]))
			start--;
		if (start == 0 || text[start - 1] != q)
			return false;
	} else {
		start = end;
		while (start > 0 && end - start <= CRED_NAME_MAX &&
		    !ends_name(text[start - 1]))
			start--;
	}
	return end > start && end - start <= CRED_NAME_MAX &&
	    assigns_credential(text + start, end - start, q == '"' || q == '\'');
}

/* The end of the line that `i` is on (its '\r' or '\n', or `len`). */
static size_t line_end(const char *text, size_t len, size_t i)
{
	while (i < len && !is_eol(text[i]))
		i++;
	return i;
}

/*
 * The value assigned by the separator at `sep`, when its name looks like a
 * credential: a quoted value's inside, else the rest of the line.
 */
static bool assigned_value(const char *text, size_t len, size_t sep,
    struct cred_span *span)
{
	size_t v = sep + 1, end;
	char q;

	while (v < len && is_space(text[v]))
		v++;
	if (v == len || is_eol(text[v]) || text[v] == '{' || text[v] == '[' ||
	    !named_credential(text, sep))
		return false;
	q = text[v];
	if (q == '"' || q == '\'') {
		for (end = ++v; end < len && text[end] != q && !is_eol(text[end]);
		    end++)
			if (text[end] == '\\' && end + 1 < len)
				end++;
	} else {
		end = line_end(text, len, v);
	}
	if (end == v)
		return false;
	span->off = v;
	span->len = end - v;
	return true;
}

/*
 * At `i`, "://": the password of the URL's user info, the part after its
 * first ':' up to the last '@' before the host ends.
 */
static bool url_password(const char *text, size_t len, size_t i,
    struct cred_span *span)
{
	size_t start = i + 3, end = start, at = 0, colon = 0;

	for (; end < len && strchr("/?#\"'<> \t\r\n", text[end]) == NULL; end++) {
		if (text[end] == '@')
			at = end;
		else if (text[end] == ':' && colon == 0 && at == 0)
			colon = end;
	}
	if (at == 0 || colon == 0 || colon > at || at == colon + 1)
		return false;
	span->off = colon + 1;
	span->len = at - colon - 1;
	return true;
}

/* Skip one newline ("\n", "\r\n", or the two bytes "\n") forward. */
static size_t skip_newline(const char *text, size_t len, size_t i)
{
	if (i + 1 < len && text[i] == '\r' && text[i + 1] == '\n')
		return i + 2;
	if (i < len && text[i] == '\n')
		return i + 1;
	if (i + 1 < len && text[i] == '\\' && text[i + 1] == 'n')
		return i + 2;
	return i;
}

/* Back over one newline ending just before `i`, not before `floor`. */
static size_t back_newline(const char *text, size_t floor, size_t i)
{
	if (i >= floor + 2 && text[i - 2] == '\\' && text[i - 1] == 'n')
		return i - 2;
	if (i > floor && text[i - 1] == '\n')
		i--;
	if (i > floor && text[i - 1] == '\r')
		i--;
	return i;
}

static bool label_is_key(const char *label, size_t n)
{
	static const char *const ends[] = {
		"PRIVATE KEY", "PRIVATE KEY BLOCK",
	};

	for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
		size_t e = strlen(ends[k]);

		if (n >= e && memcmp(label + n - e, ends[k], e) == 0)
			return true;
	}
	return false;
}

/* At `i`, "-----BEGIN ": the body of the private key it starts. */
static bool key_body(const char *text, size_t len, size_t i,
    struct cred_span *span)
{
	size_t label = i + strlen(PEM_BEGIN), n, body, end;
	const char *close, *stop;

	n = len - label < PEM_LABEL_MAX ? len - label : PEM_LABEL_MAX;
	close = memmem(text + label, n, PEM_DASHES, strlen(PEM_DASHES));
	if (close == NULL || !label_is_key(text + label,
	    (size_t)(close - (text + label))))
		return false;
	body = (size_t)(close - text) + strlen(PEM_DASHES);
	body = skip_newline(text, len, body);
	stop = memmem(text + body, len - body, PEM_END, strlen(PEM_END));
	end = stop ? (size_t)(stop - text) : len;
	end = back_newline(text, body, end);
	if (end <= body)
		return false;
	span->off = body;
	span->len = end - body;
	return true;
}

/*
 * The first byte at or after `i` that may start a value ('=', ':', '-'),
 * sixteen bytes at a time; or `len`.  May stop early at another byte.
 */
static size_t skip_plain(const char *text, size_t len, size_t i)
{
	swar_v16 v;
	size_t first;

	while (len - i >= 16) {
		v = swar_load16(text + i);
		if ((first = swar_first16((v == '=') | (v == ':') |
		    (v == '-'))) != 16)
			return i + first;
		i += 16;
	}
	while (i < len && text[i] != '=' && text[i] != ':' && text[i] != '-')
		i++;
	return i;
}

bool cred_text_next(const char *text, size_t len, size_t from,
    struct cred_span *span)
{
	for (size_t i = from; (i = skip_plain(text, len, i)) < len; i++) {
		switch (text[i]) {
		case '=':
		case ':':
			if (i + 2 < len && text[i] == ':' && text[i + 1] == '/' &&
			    text[i + 2] == '/') {
				if (url_password(text, len, i, span))
					return true;
				break;
			}
			if (assigned_value(text, len, i, span))
				return true;
			break;
		case '-':
			if (len - i > strlen(PEM_BEGIN) &&
			    memcmp(text + i, PEM_BEGIN, strlen(PEM_BEGIN)) == 0 &&
			    key_body(text, len, i, span))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

bool cred_text_assigns(const char *text, size_t len)
{
	struct cred_span s;

	return cred_text_next(text, len, 0, &s);
}
