/*
 * fastpath: shape an audit event from its bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "fastpath.h"
#include "fit.h"
#include "jsonspan.h"
#include "needles.h"
#include "prune.h"
#include "redact.h"

/* The `k8s` member after the kept ones, or alone. */
static const char K8S_NEXT[] = ",\"k8s\":";
static const char K8S_ALONE[] = "{\"k8s\":";

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

/*
 * Parse everything but the bodies into *event.  -EEXIST for a repeated key
 * (jansson keeps the last, the bytes that travel keep both), -ENOMEM.
 */
static int
load_head(const char *text, const struct jobject *ev, const struct jmember *m,
    json_t **event)
{
	size_t i, members = 0, bodies[2] = { 0, 0 };
	json_t *v;

	if ((*event = json_object()) == NULL)
		return -ENOMEM;
	for (i = 0; i < ev->count; i++) {
		if (is_body(text, &m[i])) {
			bodies[key_is(text, &m[i], "requestObject")]++;
			continue;
		}
		members++;
		/* Unescaped keys (sendable_as_is) of a validated text. */
		if ((v = jspan_load(text, m[i].value)) == NULL ||
		    json_object_setn_new_nocheck(*event, text + m[i].key.off,
		    m[i].key.len, v) != 0)
			return -ENOMEM;
	}
	if (json_object_size(*event) != members || bodies[0] > 1 ||
	    bodies[1] > 1)
		return -EEXIST;
	return 0;
}

/*
 * Add what shaping reads of each body (nothing when it reads nothing);
 * *redact tells whether redaction may change any of it.
 */
static int
load_bodies(json_t *event, const char *text, const struct jmember *m,
    size_t count, bool *redact)
{
	struct pruned p;
	size_t i;

	*redact = false;
	for (i = 0; i < count; i++) {
		if (!is_body(text, &m[i]))
			continue;
		switch (prune_body(event, text, m[i].value, &p)) {
		case PRUNE_OK:
			break;
		case PRUNE_REFERENCE:
			return -EAGAIN;
		case PRUNE_NOMEM:
		default:
			return -ENOMEM;
		}
		*redact |= p.redact;
		if (p.body != NULL && json_object_setn_new_nocheck(event,
		    text + m[i].key.off, m[i].key.len, p.body) != 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Would redaction change the partial event?  Then the reference path does
 * the work.  Runs after derive, which must see the values redaction hides.
 */
static enum fastpath_status
redaction_check(const struct shape_config *cfg, json_t *event)
{
	unsigned long n = 0;

	if (redact_event(event, cfg->key, sizeof(cfg->key), &n) != 0)
		return FASTPATH_NOMEM;
	return n == 0 ? FASTPATH_READY : FASTPATH_FALLBACK;
}

/* The members fitting leaves out: at most the two bodies. */
struct skips {
	size_t at[2];
	size_t n;
};

static bool
skipped(const struct skips *s, size_t i)
{
	for (size_t k = 0; k < s->n; k++)
		if (s->at[k] == i)
			return true;
	return false;
}

/*
 * The fields analysisd's decoder makes of the event's kept members, as
 * fit_measure counts them, from the scan's counts.
 */
static size_t
fields_of(const char *text, const struct jmember *m, size_t count,
    const struct skips *skip)
{
	size_t i, fields = 0;

	for (i = 0; i < count; i++) {
		if (skipped(skip, i) || (text[m[i].value.off] != '{' &&
		    fit_static_field(text + m[i].key.off, m[i].key.len)))
			continue;
		fields += m[i].fields;
	}
	return fields;
}

/* At most two members are skipped: everything fits FASTPATH_MAX_PARTS. */
static void
add_part(struct fastpath_out *out, const char *p, size_t len)
{
	if (out->nparts == FASTPATH_MAX_PARTS)
		abort();
	out->iov[out->nparts].iov_base = (void *)p;
	out->iov[out->nparts].iov_len = len;
	out->nparts++;
	out->len += len;
}

/*
 * The event's bytes without the skipped members, as runs of kept members.  The text is compact: the byte before a key's opening
 * quote is the ',' (or the '{') before that member.
 */
static void
add_kept(struct fastpath_out *out, const char *text, const struct jobject *ev,
    const struct jmember *m, const struct skips *skip)
{
	size_t i = 0, start, end;

	while (i < ev->count) {
		for (; i < ev->count && skipped(skip, i); i++)
			;
		if (i == ev->count)
			break;
		start = m[i].key.off - 2;	/* its '{' or ',' */
		if (out->nparts == 0 && i > 0) {
			add_part(out, "{", 1);
			start++;
		}
		for (; i < ev->count && !skipped(skip, i); i++)
			;
		end = m[i - 1].value.off + m[i - 1].value.len;
		add_part(out, text + start, end - start);
	}
}

/*
 * Lay the datagram out in *out: the kept members, then `k8s` (its text in
 * out->k8s, with out->dropped when set).  -E2BIG when it does not fit
 * cfg's limits.
 */
static int
lay_out(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m,
    const struct skips *skip, size_t k8s_fields, struct fastpath_out *out)
{
	size_t dropped = strlen(out->dropped);

	out->nparts = 0;
	out->len = 0;
	if (fields_of(text, m, ev->count, skip) + k8s_fields +
	    (dropped > 0) > cfg->max_fields)
		return -E2BIG;
	add_kept(out, text, ev, m, skip);
	if (out->nparts == 0)
		add_part(out, K8S_ALONE, sizeof(K8S_ALONE) - 1);
	else
		add_part(out, K8S_NEXT, sizeof(K8S_NEXT) - 1);
	add_part(out, out->k8s, out->k8s_len);
	if (dropped > 0)
		add_part(out, out->dropped + (k8s_fields == 0), dropped -
		    (k8s_fields == 0));
	add_part(out, "}}", 2);	/* k8s's, then the event's */
	return out->len > cfg->max_bytes ? -E2BIG : 0;
}

/*
 * fit_event's first three steps on the bytes: managedFields (only when the
 * bodies have none, so the step changes nothing), then responseObject,
 * then requestObject, each recorded in k8s.dropped.  Events that need more
 * take the reference path.
 */
static enum fastpath_status
fit(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, size_t k8s_fields,
    struct fastpath_out *out, struct shape_stats *stats)
{
	static const char *const order[] = { "responseObject", "requestObject" };
	/* The name by its rarer tail, or a \u escape that could spell it. */
	static const char *const managed[] = { "Fields", "\\u" };
	struct skips skip = { { 0, 0 }, 0 };
	const struct jmember *x;
	size_t n;

	if (lay_out(cfg, text, ev, m, &skip, k8s_fields, out) == 0)
		return FASTPATH_READY;
	for (size_t i = 0; i < ev->count; i++) {
		if (is_body(text, &m[i]) && needles_find(managed, 2,
		    text + m[i].value.off, m[i].value.len))
			return FASTPATH_FALLBACK;
	}
	for (size_t d = 0; d < 2; d++) {
		if ((x = jscan_find(m, ev->count, text, order[d])) == NULL)
			continue;
		skip.at[skip.n++] = (size_t)(x - m);
		n = strlen(out->dropped);
		/* `,"dropped":"a"`, then `,"dropped":"a,b"`. */
		snprintf(out->dropped + (n ? n - 1 : 0), sizeof(out->dropped) -
		    (n ? n - 1 : 0), "%s%s\"", n ? "," : ",\"dropped\":\"",
		    order[d]);
		if (lay_out(cfg, text, ev, m, &skip, k8s_fields, out) == 0) {
			stats->trimmed++;
			return FASTPATH_READY;
		}
	}
	return FASTPATH_FALLBACK;
}

/* Derive, measure and lay out the datagram of a loaded event. */
static enum fastpath_status
finish(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, json_t *event,
    bool redact, struct fastpath_out *out, struct shape_stats *stats)
{
	enum fastpath_status st;
	struct k8stext k8s;

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
	out->k8s = k8s.text;
	out->k8s_len = k8s.len;
	st = redact ? redaction_check(cfg, event) : FASTPATH_READY;
	if (st == FASTPATH_READY)
		st = fit(cfg, text, ev, m, k8s.fields, out, stats);
	if (st != FASTPATH_READY)
		fastpath_out_free(out);
	return st;
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
	const struct jmember *m;
	enum fastpath_status st;
	bool redact = false;
	json_t *event;
	char reason[8];
	int rc;

	memset(out, 0, sizeof(*out));
	/* An event without members has no member array at all. */
	if (ev->count == 0)
		return FASTPATH_FALLBACK;
	m = members + ev->first;
	if (!sendable_as_is(text, ev, m))
		return FASTPATH_FALLBACK;
	rc = load_head(text, ev, m, &event);
	/* event_check never reads the bodies. */
	if (rc == 0 && event_check(event, reason, sizeof(reason)) != 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = load_bodies(event, text, m, ev->count, &redact);
	st = rc == 0 ? finish(cfg, text, ev, m, event, redact, out, stats) :
	    status_of(rc);
	json_decref(event);
	return st;
}

void
fastpath_out_free(struct fastpath_out *out)
{
	free(out->k8s);
	memset(out, 0, sizeof(*out));
}
