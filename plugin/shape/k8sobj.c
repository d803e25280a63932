/*
 * k8sobj: build the flat `k8s` object of rule-ready fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8sobj.h"

void k8sobj_init(struct k8sobj *o)
{
	jsonout_init(&o->text);
	jsonout_raw(&o->text, "{", 1);
	o->members = 0;
	o->err = 0;
}

/* The error the object ended with: its own, or the text's. */
static int status(const struct k8sobj *o)
{
	if (o->err != 0)
		return o->err;
	return o->text.failed ? -ENOMEM : 0;
}

int k8sobj_finish_text(struct k8sobj *o, struct k8stext *out)
{
	int rc = status(o);

	memset(out, 0, sizeof *out);
	if (rc != 0) {
		jsonout_free(&o->text);
		return rc;
	}
	out->text = o->text.buf;
	out->len = o->text.len;
	out->fields = o->members;
	jsonout_init(&o->text);
	return 0;
}

int k8sobj_finish(struct k8sobj *o, json_t **out)
{
	struct k8stext t;
	int rc;

	*out = NULL;
	if ((rc = k8sobj_finish_text(o, &t)) != 0)
		return rc;
	/* The text ends where its closing brace goes: "{...}" needs room. */
	t.text[t.len] = '}';
	*out = json_loadb(t.text, t.len + 1, 0, NULL);
	free(t.text);
	return *out != NULL ? 0 : -ENOMEM;
}

/*
 * Start member `name` (a static identifier: nothing to escape): `"name":`
 * after a ',' unless it is the first.
 */
static bool put_name(struct k8sobj *o, const char *name)
{
	size_t n = strlen(name);
	char buf[64];

	if (o->err != 0 || o->text.failed)
		return false;
	if (n > sizeof buf - 4) {
		o->err = -EINVAL;
		return false;
	}
	buf[0] = ',';
	buf[1] = '"';
	memcpy(buf + 2, name, n);
	buf[n + 2] = '"';
	buf[n + 3] = ':';
	/* The first member has no ',' before it. */
	jsonout_raw(&o->text, buf + (o->members == 0), n + 4 -
	    (o->members == 0));
	o->members++;
	return true;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] != 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Is s[0..len) printable-or-control ASCII without NUL? */
static bool plain_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			return false;
	return true;
}

size_t text_bound(const char *s, size_t len, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0;

	/* Most texts are short ASCII: nothing to bound or replace. */
	if (len < cap && plain_ascii(s, len)) {
		memcpy(out, s, len);
		out[len] = '\0';
		return len;
	}
	while (i < len) {
		size_t seq = utf8_seq(u + i, len - i);
		size_t take = seq ? seq : 1;

		/* Room for this character and, if more follows, the "...". */
		if (n + take + (i + take < len ? 3 : 0) > cap - 1) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (seq)
			memcpy(out + n, s + i, seq);
		else
			out[n] = '?';
		n += take;
		i += take;
	}
	out[n] = '\0';
	return n;
}

void k8sobj_text(struct k8sobj *o, const char *name, const char *s, size_t len)
{
	char buf[K8SOBJ_MAX_TEXT + 1];
	size_t n;

	if (o->err != 0)
		return;
	n = text_bound(s, len, buf, sizeof buf);
	if (put_name(o, name))
		jsonout_string(&o->text, buf, n);
}

void k8sobj_str(struct k8sobj *o, const char *name, const char *s)
{
	if (s != NULL)
		k8sobj_text(o, name, s, strlen(s));
}

void k8sobj_bool(struct k8sobj *o, const char *name, bool v)
{
	if (put_name(o, name))
		jsonout_raw(&o->text, v ? "true" : "false", v ? 4 : 5);
}

void k8sobj_int(struct k8sobj *o, const char *name, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld", v);

	if (put_name(o, name) && n > 0)
		jsonout_raw(&o->text, buf, (size_t)n);
}

void k8sobj_list(struct k8sobj *o, const char *name, const struct strlist *l)
{
	if (l->err != 0 && o->err == 0)
		o->err = l->err;
	if (l->count > 0)
		k8sobj_text(o, name, l->buf, l->len);
}

void strlist_init(struct strlist *l)
{
	memset(l, 0, sizeof *l);
}

void strlist_free(struct strlist *l)
{
	free(l->buf);
	strlist_init(l);
}

/* True when the list already holds exactly this item. */
static bool strlist_has(const struct strlist *l, const char *s, size_t len)
{
	const char *p, *end;

	if (l->count == 0)
		return false;
	p = l->buf;
	end = l->buf + l->len;

	while (p != NULL && p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (n == len && memcmp(p, s, len) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static int strlist_reserve(struct strlist *l, size_t need)
{
	size_t cap = l->cap ? l->cap : 64;
	char *buf;

	if (need <= l->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	buf = realloc(l->buf, cap);
	if (buf == NULL)
		return -ENOMEM;
	l->buf = buf;
	l->cap = cap;
	return 0;
}

void strlist_add(struct strlist *l, const char *s, size_t len)
{
	size_t sep = l->count ? 1 : 0;

	if (l->err != 0 || l->full || s == NULL || len == 0)
		return;
	if (strlist_has(l, s, len))
		return;
	/* Keep room for ",..." so a full list still says it is partial. */
	if (l->len + sep + len + 4 > K8SOBJ_MAX_TEXT) {
		l->full = true;
		if (strlist_reserve(l, l->len + 5) != 0) {
			l->err = -ENOMEM;
			return;
		}
		const char *more = l->count ? ",..." : "...";

		memcpy(l->buf + l->len, more, strlen(more) + 1);
		l->len += strlen(more);
		l->count++;
		return;
	}
	if (strlist_reserve(l, l->len + sep + len + 1) != 0) {
		l->err = -ENOMEM;
		return;
	}
	if (sep)
		l->buf[l->len++] = ',';
	memcpy(l->buf + l->len, s, len);
	l->len += len;
	l->buf[l->len] = '\0';
	l->count++;
}

void strlist_add_str(struct strlist *l, const char *s)
{
	if (s != NULL)
		strlist_add(l, s, strlen(s));
}
