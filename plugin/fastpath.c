/*
 * fastpath: shape an audit event from its bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "fastpath.h"
#include "fit.h"

static const char K8S_MEMBER[] = ",\"k8s\":";

static bool
key_is(const char *text, const struct jmember *m, const char *name)
{
	size_t n = strlen(name);

	return !m->key_escaped && m->key.len == n &&
	    memcmp(text + m->key.off, name, n) == 0;
}

static bool
is_body(const char *text, const struct jmember *m)
{
	return key_is(text, m, "requestObject") ||
	    key_is(text, m, "responseObject");
}

/*
 * Can the event's bytes be sent as they are?  Whitespace would make the
 * text differ from the compact reference; escaped keys could name `k8s` or
 * a body in disguise; a client's own `k8s` must be replaced, not repeated.
 */
static bool
sendable_as_is(const char *text, const struct jobject *ev,
    const struct jmember *m)
{
	size_t i;

	if (!ev->is_object || !ev->compact || ev->count == 0)
		return false;
	for (i = 0; i < ev->count; i++) {
		if (m[i].key_escaped || key_is(text, &m[i], "k8s"))
			return false;
	}
	return true;
}

/* Parse member m into `event`; -EEXIST for a repeated key, -ENOMEM. */
static int
load_member(json_t *event, const char *text, const struct jmember *m)
{
	json_t *v;

	/* Repeated keys: jansson keeps the last, the bytes keep both. */
	if (json_object_getn(event, text + m->key.off, m->key.len) != NULL)
		return -EEXIST;
	v = json_loadb(text + m->value.off, m->value.len,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	/* The scan validated the text: only memory can fail here. */
	if (v == NULL)
		return -ENOMEM;
	/* Unescaped keys of a validated text are valid UTF-8 without NUL. */
	if (json_object_setn_new_nocheck(event, text + m->key.off, m->key.len,
	    v) != 0)
		return -ENOMEM;
	return 0;
}

/* Everything but the bodies, which are only placeholders (null). */
static int
load_head(json_t *event, const char *text, const struct jmember *m,
    size_t count)
{
	size_t i;
	int rc;

	for (i = 0; i < count; i++) {
		if (is_body(text, &m[i])) {
			/* Claim the key, so that a repeated body is seen. */
			if (json_object_getn(event, text + m[i].key.off,
			    m[i].key.len) != NULL)
				return -EEXIST;
			if (json_object_setn_new_nocheck(event, text +
			    m[i].key.off, m[i].key.len, json_null()) != 0)
				return -ENOMEM;
			continue;
		}
		if ((rc = load_member(event, text, &m[i])) != 0)
			return rc;
	}
	return 0;
}

/*
 * Replace each body placeholder by the body when derive may read it, drop
 * it when shaping never reads it.  -EAGAIN when redaction may change one.
 */
static int
load_bodies(json_t *event, const char *text, const struct jmember *m,
    size_t count)
{
	size_t i;
	int rc;

	for (i = 0; i < count; i++) {
		if (!is_body(text, &m[i]))
			continue;
		switch (shape_body_needed(event, text + m[i].value.off,
		    m[i].value.len)) {
		case SHAPE_BODY_REDACT:
			return -EAGAIN;
		case SHAPE_BODY_SKIP:
			json_object_deln(event, text + m[i].key.off, m[i].key.len);
			break;
		case SHAPE_BODY_DERIVE:
			json_object_deln(event, text + m[i].key.off, m[i].key.len);
			if ((rc = load_member(event, text, &m[i])) != 0)
				return rc;
			break;
		}
	}
	return 0;
}

/*
 * The fields analysisd's decoder makes of the event with `k8s` added, as
 * fit_measure counts them, from the scan's per-member counts.
 */
static size_t
fields_of(const char *text, const struct jmember *m, size_t count,
    const json_t *k8s)
{
	size_t i, fields = fit_value_fields(k8s);

	for (i = 0; i < count; i++) {
		if (text[m[i].value.off] != '{' &&
		    fit_static_field(text + m[i].key.off, m[i].key.len))
			continue;
		fields += m[i].fields;
	}
	return fields;
}

/* `,"k8s":<k8s>}` into out->tail; -E2BIG when the event would not fit. */
static int
make_tail(struct fastpath_out *out, const json_t *k8s, size_t head,
    size_t max_bytes)
{
	size_t pre = sizeof(K8S_MEMBER) - 1;
	size_t n = json_dumpb(k8s, NULL, 0, JSON_COMPACT);

	if (n == 0)
		return -ENOMEM;
	if (head + pre + n + 1 > max_bytes)
		return -E2BIG;
	if ((out->tail = malloc(pre + n + 1)) == NULL)
		return -ENOMEM;
	memcpy(out->tail, K8S_MEMBER, pre);
	if (json_dumpb(k8s, out->tail + pre, n, JSON_COMPACT) != n) {
		free(out->tail);
		out->tail = NULL;
		return -ENOMEM;
	}
	out->tail[pre + n] = '}';
	out->len = head + pre + n + 1;
	return 0;
}

/* Derive, measure and lay out the datagram of a loaded event. */
static enum fastpath_status
finish(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, const json_t *event,
    struct fastpath_out *out, struct shape_stats *stats)
{
	size_t head = ev->span.len - 1;	/* up to, not with, the final '}' */
	json_t *k8s;
	int rc;

	switch (shape_k8s(cfg, event, &k8s, stats)) {
	case SHAPE_OK:
		break;
	case SHAPE_FILTERED:
		return FASTPATH_FILTERED;
	case SHAPE_NOMEM:
	case SHAPE_TOO_BIG:
	default:
		return FASTPATH_NOMEM;
	}
	if (fields_of(text, m, ev->count, k8s) > cfg->max_fields) {
		json_decref(k8s);
		return FASTPATH_FALLBACK;
	}
	rc = make_tail(out, k8s, head, cfg->max_bytes);
	json_decref(k8s);
	if (rc == -E2BIG)
		return FASTPATH_FALLBACK;
	if (rc != 0)
		return FASTPATH_NOMEM;
	out->iov[0].iov_base = (void *)(text + ev->span.off);
	out->iov[0].iov_len = head;
	out->iov[1].iov_base = out->tail;
	out->iov[1].iov_len = out->len - head;
	return FASTPATH_READY;
}

static enum fastpath_status
status_of(int rc)
{
	return rc == -ENOMEM ? FASTPATH_NOMEM : FASTPATH_FALLBACK;
}

enum fastpath_status
fastpath_shape(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *members,
    struct fastpath_out *out, struct shape_stats *stats)
{
	const struct jmember *m = members + ev->first;
	enum fastpath_status st;
	json_t *event;
	char reason[8];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!sendable_as_is(text, ev, m))
		return FASTPATH_FALLBACK;
	if ((event = json_object()) == NULL)
		return FASTPATH_NOMEM;
	rc = load_head(event, text, m, ev->count);
	/* event_check never reads the bodies (still null placeholders). */
	if (rc == 0 && event_check(event, reason, sizeof(reason)) != 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = load_bodies(event, text, m, ev->count);
	st = rc == 0 ? finish(cfg, text, ev, m, event, out, stats) :
	    status_of(rc);
	json_decref(event);
	return st;
}

void
fastpath_out_free(struct fastpath_out *out)
{
	free(out->tail);
	memset(out, 0, sizeof(*out));
}
