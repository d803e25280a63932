/*
 * fastpath: shape an audit event from its bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath.h"
#include "fit.h"
#include "head.h"
#include "jsonspan.h"
#include "needles.h"
#include "prune.h"
#include "redact.h"
#include "redact_exec.h"

/* The `k8s` member after the kept ones, or alone. */
static const char K8S_NEXT[] = ",\"k8s\":";
static const char K8S_ALONE[] = "{\"k8s\":";

static bool
is_body(const char *text, const struct jmember *m)
{
	return jscan_key_is(text, m, "requestObject") ||
	    jscan_key_is(text, m, "responseObject");
}

/*
 * Can the event's bytes be sent as they are?  Whitespace would make the
 * text differ from the compact reference; escaped keys could name `k8s` or
 * a body in disguise; a client's own `k8s` (in any case) must go.
 */
static bool
sendable_as_is(const char *text, const struct jobject *ev,
    const struct jmember *m)
{
	size_t i;

	if (!ev->is_object || !ev->compact || ev->count == 0)
		return false;
	for (i = 0; i < ev->count; i++) {
		if (m[i].key_escaped || shape_forged_k8s(text + m[i].key.off,
		    m[i].key.len))
			return false;
	}
	return true;
}

/*
 * Put what shaping reads of each body into *bodies, an object made when
 * there is any (else NULL); *redact tells whether redaction may change any
 * of it.
 */
static int
load_bodies(const struct head *h, const char *text, const struct jmember *m,
    size_t count, json_t **bodies, bool *redact)
{
	struct pruned p;
	size_t i;

	*redact = false;
	for (i = 0; i < count; i++) {
		if (!is_body(text, &m[i]))
			continue;
		switch (prune_body(h, text, m[i].value, &p)) {
		case PRUNE_OK:
			break;
		case PRUNE_REFERENCE:
			return -EAGAIN;
		case PRUNE_NOMEM:
		default:
			return -ENOMEM;
		}
		*redact |= p.redact;
		if (p.body == NULL)
			continue;
		if (*bodies == NULL && (*bodies = json_object()) == NULL) {
			json_decref(p.body);
			return -ENOMEM;
		}
		if (json_object_setn_new_nocheck(*bodies, text + m[i].key.off,
		    m[i].key.len, p.body) != 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Would redaction change the partial bodies?  Then the reference path does
 * the work.  Runs after derive, which must see the values redaction hides.
 */
static enum fastpath_status
redaction_check(const struct shape_config *cfg, const struct head *h,
    json_t *bodies)
{
	unsigned long n = 0;

	if (redact_bodies(bodies, redact_hint_of(h), cfg->key,
	    sizeof(cfg->key), &n) != 0)
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
 * How many bytes longer than its text jansson may write a real number: at
 * most 24 bytes ("%.17g", as -1.2345678901234567e-308), from at least 3
 * ("1.5", "1e5").  Only reals grow: escapes, "-0" and the like shrink.
 */
#define REAL_GROWTH (24 - 3)

/*
 * Lay the datagram out in *out: the kept members, then `k8s` (its text in
 * out->k8s, with out->dropped when set).  -E2BIG when it does not fit
 * cfg's limits; -EAGAIN when it fits but the reference's text, with the
 * event's real numbers written back by jansson, might not.
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
	if (out->len > cfg->max_bytes)
		return -E2BIG;
	if (ev->reals > (cfg->max_bytes - out->len) / REAL_GROWTH)
		return -EAGAIN;
	return 0;
}

/*
 * Could fit_event's sourceIPs or userAgent step change the event?  Any
 * client can pad both; trimming them is the reference path's work.  A
 * string's text is never shorter than its value.
 */
static bool
padded(const char *text, const struct jobject *ev, const struct jmember *m)
{
	const struct jmember *x;
	struct jspan e;
	size_t pos = 0, n = 0;

	x = jscan_find(m, ev->count, text, "userAgent");
	if (x != NULL && x->value.len > FIT_LONG_STRING + 2)
		return true;
	x = jscan_find(m, ev->count, text, "sourceIPs");
	if (x == NULL || text[x->value.off] != '[')
		return false;
	while (n <= FIT_SOURCE_IPS_FIRST + FIT_SOURCE_IPS_LAST &&
	    jspan_next_element(text, x->value, &pos, &e))
		n++;
	return n > FIT_SOURCE_IPS_FIRST + FIT_SOURCE_IPS_LAST;
}

/* Would fit_event's unknownMembers step find a member to drop? */
static bool
has_unknown(const char *text, const struct jobject *ev,
    const struct jmember *m)
{
	for (size_t i = 0; i < ev->count; i++)
		if (!fit_audit_member(text + m[i].key.off, m[i].key.len))
			return true;
	return false;
}

/*
 * fit_event's steps on the bytes: managedFields (only when the bodies have
 * none, so the step changes nothing), unknownMembers, sourceIPs and
 * userAgent (only when they change nothing), then responseObject, then
 * requestObject, each recorded in k8s.dropped.  Events that need more take
 * the reference path.
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
	int rc;

	if ((rc = lay_out(cfg, text, ev, m, &skip, k8s_fields, out)) != -E2BIG)
		return rc == 0 ? FASTPATH_READY : FASTPATH_FALLBACK;
	if (has_unknown(text, ev, m) || padded(text, ev, m))
		return FASTPATH_FALLBACK;
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
		rc = lay_out(cfg, text, ev, m, &skip, k8s_fields, out);
		if (rc == -EAGAIN)
			return FASTPATH_FALLBACK;
		if (rc == 0) {
			stats->trimmed++;
			return FASTPATH_READY;
		}
	}
	return FASTPATH_FALLBACK;
}

/*
 * Will fit() hand the event over whatever `k8s` holds?  It does when the
 * event's own members already exceed a limit and fitting has more than
 * bodies to drop.  Asked first, so that a crafted event (200k members)
 * is not read twice, here and by the reference path.
 */
static bool
must_trim(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m)
{
	struct skips none = { { 0, 0 }, 0 };

	if (ev->span.len <= cfg->max_bytes &&
	    fields_of(text, m, ev->count, &none) <= cfg->max_fields)
		return false;
	return has_unknown(text, ev, m) || padded(text, ev, m);
}

/* Derive, measure and lay out the datagram of a loaded event. */
static enum fastpath_status
finish(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, const struct head *h,
    json_t *bodies, bool redact, struct fastpath_out *out,
    struct shape_stats *stats)
{
	enum fastpath_status st;
	struct k8stext k8s;

	switch (shape_k8s(cfg, h, bodies, &k8s, stats)) {
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
	st = redact ? redaction_check(cfg, h, bodies) : FASTPATH_READY;
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
	json_t *bodies = NULL;
	bool redact = false;
	struct head h;
	int rc;

	memset(out, 0, sizeof(*out));
	/* An event without members has no member array at all. */
	if (ev->count == 0)
		return FASTPATH_FALLBACK;
	m = members + ev->first;
	if (!sendable_as_is(text, ev, m) || must_trim(cfg, text, ev, m))
		return FASTPATH_FALLBACK;
	if ((rc = head_from_text(text, m, ev->count, &h)) != 0)
		return status_of(rc);
	/* Credentials on an exec command line: requestURI changes. */
	if (redact_exec_may_change(&h)) {
		head_free(&h);
		return FASTPATH_FALLBACK;
	}
	rc = load_bodies(&h, text, m, ev->count, &bodies, &redact);
	st = rc == 0 ? finish(cfg, text, ev, m, &h, bodies, redact, out,
	    stats) : status_of(rc);
	json_decref(bodies);
	head_free(&h);
	return st;
}

void
fastpath_out_free(struct fastpath_out *out)
{
	free(out->k8s);
	memset(out, 0, sizeof(*out));
}
