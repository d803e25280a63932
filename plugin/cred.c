/*
 * cred: recognise names that look like credentials.
 */
#include "cred.h"

#include <string.h>

/* Words in their normalised form: lower case, no separators. */
static const char *const cred_words[] = {
	"password", "passwd", "secret", "token", "accesskey", "apikey",
	"privatekey", "passphrase", "credential",
};

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

bool cred_name_like(const char *name, size_t len)
{
	char norm[CRED_NAME_MAX + 1];

	/* A name with a NUL inside stops there: strstr needs a C string. */
	normalise(name, len, norm);
	for (size_t i = 0; i < sizeof cred_words / sizeof cred_words[0]; i++)
		if (strstr(norm, cred_words[i]) != NULL)
			return true;
	return false;
}

/* Does the part of one line before its first '=' or ':' look like one? */
static bool line_assigns(const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	const char *colon = memchr(line, ':', eq ? (size_t)(eq - line) : len);
	const char *end = colon ? colon : eq;

	return end != NULL && cred_name_like(line, (size_t)(end - line));
}

bool cred_text_assigns(const char *text, size_t len)
{
	const char *p = text, *stop = text + len, *nl;

	for (;;) {
		nl = memchr(p, '\n', (size_t)(stop - p));
		if (line_assigns(p, (size_t)((nl ? nl : stop) - p)))
			return true;
		if (nl == NULL)
			return false;
		p = nl + 1;
	}
}

bool cred_text_private_key(const char *text, size_t len)
{
	const char *begin = memmem(text, len, CRED_PEM_BEGIN,
	    strlen(CRED_PEM_BEGIN));

	return begin != NULL && memmem(begin, len - (size_t)(begin - text),
	    CRED_PEM_KEY, strlen(CRED_PEM_KEY)) != NULL;
}
