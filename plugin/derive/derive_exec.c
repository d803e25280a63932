/*
 * derive_exec: what `kubectl exec/attach/port-forward` asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "derive_exec.h"
#include "jsonscan.h"

int query_unescape(const char *s, size_t len, char *out, size_t *outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+') {
			out[n++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (len - i < 3 ||
		    (hi = jscan_hex_digit((unsigned char)s[i + 1])) < 0 ||
		    (lo = jscan_hex_digit((unsigned char)s[i + 2])) < 0)
			return -EINVAL;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*outlen = n;
	return 0;
}

/* The command being built: arguments joined by single spaces. */
struct command {
	char *buf;
	size_t len;
	bool any;
};

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

/*
 * One `name=value` pair (`len` bytes at `p`, without its '&'), taken as
 * Go's url.ParseQuery takes it, since that is what the apiserver acts on:
 * a pair holding ';' or with an invalid escape in its name or value is
 * dropped, a pair without '=' has an empty value, and both the name and
 * the value are unescaped (`comm%61nd` is `command`).  `buf` has room for
 * `len` bytes.
 */
static void param(struct command *cmd, struct strlist *containers,
    struct strlist *ports, const char *p, size_t len, char *buf)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq ? (size_t)(eq - p) : len, nlen, vlen;
	char *value;

	if (len == 0 || memchr(p, ';', len) != NULL ||
	    query_unescape(p, klen, buf, &nlen) != 0)
		return;
	value = buf + nlen;
	if (eq != NULL && query_unescape(eq + 1, len - klen - 1, value,
	    &vlen) != 0)
		return;
	if (eq == NULL)
		vlen = 0;
	if (name_is(buf, nlen, "command")) {
		if (cmd->any)
			cmd->buf[cmd->len++] = ' ';
		memcpy(cmd->buf + cmd->len, value, vlen);
		cmd->len += vlen;
		cmd->any = true;
	} else if (name_is(buf, nlen, "container")) {
		strlist_add(containers, value, vlen);
	} else if (name_is(buf, nlen, "ports")) {
		strlist_add(ports, value, vlen);
	}
}

static void query(struct k8sobj *o, const char *q, size_t len)
{
	struct strlist containers, ports;
	struct command cmd = { NULL, 0, false };
	size_t start = 0;
	char *pair;

	/* Decoding never grows text; one space per argument at most. */
	cmd.buf = malloc(2 * len + 1);
	pair = malloc(len + 1);
	if (cmd.buf == NULL || pair == NULL) {
		free(cmd.buf);
		free(pair);
		o->err = o->err ? o->err : -ENOMEM;
		return;
	}
	strlist_init(&containers);
	strlist_init(&ports);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && q[i] != '&')
			continue;
		param(&cmd, &containers, &ports, q + start, i - start, pair);
		start = i + 1;
	}
	if (cmd.any)
		k8sobj_text(o, "command", cmd.buf, cmd.len);
	k8sobj_list(o, "container", &containers);
	k8sobj_list(o, "ports", &ports);
	strlist_free(&containers);
	strlist_free(&ports);
	free(cmd.buf);
	free(pair);
}

void derive_exec(struct k8sobj *o, const struct head *h)
{
	const char *sub = h->subresource, *uri = h->request_uri;
	const char *q;

	if (sub == NULL || uri == NULL)
		return;
	if (strcmp(sub, "exec") != 0 && strcmp(sub, "attach") != 0 &&
	    strcmp(sub, "portforward") != 0)
		return;
	q = strchr(uri, '?');
	if (q == NULL)
		return;
	/* A fragment is never sent, but stop there if a client wrote one. */
	query(o, q + 1, strcspn(q + 1, "#"));
}
