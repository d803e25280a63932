/*
 * derive_exec: what `kubectl exec/attach/port-forward` asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "derive_exec.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t uri_decode(const char *s, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+') {
			out[n++] = ' ';
			continue;
		}
		if (s[i] == '%' && i + 2 < len) {
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi >= 0 && lo >= 0) {
				out[n++] = (char)(hi << 4 | lo);
				i += 2;
				continue;
			}
		}
		out[n++] = s[i];
	}
	return n;
}

/* The command being built: arguments joined by single spaces. */
struct command {
	char *buf;
	size_t len;
	bool any;
};

/* One `name=value` parameter, already split. */
static void param(struct command *cmd, struct strlist *containers,
    struct strlist *ports, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t klen, vlen;
	char *value;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - p);
	value = malloc(len - klen);
	if (value == NULL) {
		containers->err = -ENOMEM;
		return;
	}
	vlen = uri_decode(eq + 1, len - klen - 1, value);
	if (klen == 7 && memcmp(p, "command", 7) == 0) {
		if (cmd->any)
			cmd->buf[cmd->len++] = ' ';
		memcpy(cmd->buf + cmd->len, value, vlen);
		cmd->len += vlen;
		cmd->any = true;
	} else if (klen == 9 && memcmp(p, "container", 9) == 0) {
		strlist_add(containers, value, vlen);
	} else if (klen == 5 && memcmp(p, "ports", 5) == 0) {
		strlist_add(ports, value, vlen);
	}
	free(value);
}

static void query(struct k8sobj *o, const char *q, size_t len)
{
	struct strlist containers, ports;
	struct command cmd = { NULL, 0, false };
	size_t start = 0;

	/* Decoding never grows text; one space per argument at most. */
	cmd.buf = malloc(2 * len + 1);
	if (cmd.buf == NULL) {
		o->err = o->err ? o->err : -ENOMEM;
		return;
	}
	strlist_init(&containers);
	strlist_init(&ports);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && q[i] != '&')
			continue;
		param(&cmd, &containers, &ports, q + start, i - start);
		start = i + 1;
	}
	if (cmd.any)
		k8sobj_text(o, "command", cmd.buf, cmd.len);
	k8sobj_list(o, "container", &containers);
	k8sobj_list(o, "ports", &ports);
	strlist_free(&containers);
	strlist_free(&ports);
	free(cmd.buf);
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
