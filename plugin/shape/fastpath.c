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
 * What becomes of the event's members in the datagram: fitting drops the
 * unknown ones (all at once) and at most the two bodies; reduction
 * replaces the damaged bodies' values by markers (out->marker[k]).
 */
struct plan {
	unsigned char *unknown;	/* owned, one byte per member: non-zero for
				 * the members outside the audit Event, which
				 * go; NULL while none goes */
	size_t skip[2], nskip;	/* bodies dropped to fit */
	size_t rep[2], nrep;	/* damaged bodies, replaced */
	const char *marker[2];	/* their markers' JSON text (in out) */
};

enum fate { KEEP, SKIP, REPLACE };

static enum fate
fate_of(const struct plan *p, size_t i)
{
	size_t k;

	for (k = 0; k < p->nskip; k++)
		if (p->skip[k] == i)
			return SKIP;
	if (p->unknown != NULL && p->unknown[i])
		return SKIP;
	for (k = 0; k < p->nrep; k++)
		if (p->rep[k] == i)
			return REPLACE;
	return KEEP;
}

/* Append `name` to out->dropped, as fit's record_drop appends it. */
static void
note_drop(struct fastpath_out *out, const char *name)
{
	size_t n = strlen(out->dropped), at = n ? n - 1 : 0;

	/* `,"dropped":"a"`, then `,"dropped":"a,b"`. */
	snprintf(out->dropped + at, sizeof(out->dropped) - at, "%s%s\"",
	    n ? "," : ",\"dropped\":\"", name);
}

/*
 * An event whose damage lies in its bodies' values alone: plan their
 * replacement by batch_reduce's markers, named in k8s.dropped as
 * batch_reduce names them.  false when damage lies anywhere else, which
 * only the reference path reduces.
 */
static bool
plan_reduction(const char *text, const struct jobject *ev,
    const struct jmember *m, struct plan *p, struct fastpath_out *out)
{
	char name[32], mark[BATCH_MARKER_MAX];

	for (size_t i = 0; i < ev->count; i++) {
		if (m[i].bad == 0)
			continue;
		if ((m[i].bad & JBAD_KEY) || !is_body(text, &m[i]) ||
		    p->nrep == 2)
			return false;
		batch_marker(mark, sizeof(mark), m[i].value.len, m[i].bad);
		snprintf(out->marker[p->nrep], sizeof(out->marker[0]),
		    "\"%s\"", mark);
		snprintf(name, sizeof(name), "%.*s:invalid", (int)m[i].key.len,
		    text + m[i].key.off);
		note_drop(out, name);
		snprintf(out->reduced + strlen(out->reduced),
		    sizeof(out->reduced) - strlen(out->reduced), "%s%s",
		    p->nrep ? "," : "", name);
		p->marker[p->nrep] = out->marker[p->nrep];
		p->rep[p->nrep++] = i;
	}
	return true;
}

/*
 * A replaced body as the reference shapes it: its marker, a string, which
 * derive does not read but redaction may replace (a Secret's body is
 * redacted whatever it is).
 */
static int
load_marker(const struct plan *plan, size_t i, struct pruned *p)
{
	size_t k, len;

	for (k = 0; plan->rep[k] != i; k++)
		;
	len = strlen(plan->marker[k]);
	p->body = json_stringn_nocheck(plan->marker[k] + 1, len - 2);
	p->redact = true;
	return p->body == NULL ? -ENOMEM : 0;
}

/* What shaping reads of body i: a pruned body, or a replaced one's marker. */
static int
load_body(const struct head *h, const char *text, const struct jmember *m,
    size_t i, const struct plan *plan, struct pruned *p)
{
	if (fate_of(plan, i) == REPLACE)
		return load_marker(plan, i, p);
	switch (prune_body(h, text, m[i].value, p)) {
	case PRUNE_OK:
		return 0;
	case PRUNE_REFERENCE:
		return -EAGAIN;
	case PRUNE_NOMEM:
	default:
		return -ENOMEM;
	}
}

/*
 * Put what shaping reads of each body the datagram keeps into *bodies, an
 * object made when there is any (else NULL); *redact tells whether
 * redaction may change any of it.
 */
static int
load_bodies(const struct head *h, const char *text, const struct jmember *m,
    size_t count, const struct plan *plan, json_t **bodies, bool *redact)
{
	struct pruned p;
	size_t i;
	int rc;

	*redact = false;
	for (i = 0; i < count; i++) {
		if (!is_body(text, &m[i]) || fate_of(plan, i) == SKIP)
			continue;
		if ((rc = load_body(h, text, m, i, plan, &p)) != 0)
			return rc;
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
redaction_check(const struct head *h, json_t *bodies)
{
	bool changes;

	if (redact_bodies_change(bodies, redact_hint_of(h), &changes) != 0)
		return FASTPATH_NOMEM;
	return changes ? FASTPATH_FALLBACK : FASTPATH_READY;
}

/*
 * Do the fields analysisd's decoder makes of the event's members in the
 * datagram, as fit_measure counts them from the scan's counts (a marker is
 * one string), exceed `limit`?  Counting stops there: a crafted event's
 * 200,000 members are not all looked at.
 */
static bool
fields_over(const char *text, const struct jmember *m, size_t count,
    const struct plan *plan, size_t limit)
{
	size_t i, fields = 0;

	for (i = 0; i < count && fields <= limit; i++) {
		switch (fate_of(plan, i)) {
		case SKIP:
			break;
		case REPLACE:
			fields++;
			break;
		case KEEP:
			if (text[m[i].value.off] != '{' &&
			    fit_static_field(text + m[i].key.off, m[i].key.len))
				break;
			fields += m[i].fields;
			break;
		}
	}
	return fields > limit;
}

/* false when out has no room left (see FASTPATH_MAX_PARTS). */
static bool
add_part(struct fastpath_out *out, const char *p, size_t len)
{
	if (out->nparts == FASTPATH_MAX_PARTS)
		return false;
	out->iov[out->nparts].iov_base = (void *)p;
	out->iov[out->nparts].iov_len = len;
	out->nparts++;
	out->len += len;
	return true;
}

/*
 * The bytes text[start, end) of kept members, the first of them after the
 * event's '{' or ',' (`opening`): the datagram's "{" stands for a ','.
 */
static bool
add_run(struct fastpath_out *out, const char *text, size_t start, size_t end,
    bool opening)
{
	if (start == end)
		return true;
	if (opening && out->nparts == 0 && text[start] == ',') {
		if (!add_part(out, "{", 1))
			return false;
		start++;
	}
	return add_part(out, text + start, end - start);
}

/*
 * The event's members as the plan leaves them, as runs of the text between
 * the markers.  The text is compact: the byte before a key's opening quote
 * is the ',' (or the '{') before that member.  false when there are more
 * pieces than out holds.
 */
static bool
add_kept(struct fastpath_out *out, const char *text, const struct jobject *ev,
    const struct jmember *m, const struct plan *plan)
{
	size_t i, start = 0, end = 0, k = 0;
	bool open = false, opening = false;
	enum fate f;

	for (i = 0; i < ev->count; i++) {
		if ((f = fate_of(plan, i)) == SKIP) {
			if (open && !add_run(out, text, start, end, opening))
				return false;
			open = false;
			continue;
		}
		if (!open) {
			start = m[i].key.off - 2;	/* its '{' or ',' */
			opening = true;
			open = true;
		}
		end = m[i].value.off + m[i].value.len;
		if (f == KEEP)
			continue;
		/* The run stops before the value: the marker stands in. */
		if (!add_run(out, text, start, m[i].value.off, opening))
			return false;
		for (k = 0; plan->rep[k] != i; k++)
			;
		if (!add_part(out, out->marker[k], strlen(out->marker[k])))
			return false;
		start = end;
		opening = false;
	}
	return !open || add_run(out, text, start, end, opening);
}

/*
 * Real numbers in the validated JSON text `v` (those with a fraction or an
 * exponent), counted as jscan_frame counts them.
 */
static size_t
reals_in(const char *text, struct jspan v)
{
	const char *p = text + v.off, *end = p + v.len;
	size_t n = 0;
	bool real;

	while (p < end) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			for (real = false; p < end && (*p == '-' || *p == '+' ||
			    *p == '.' || *p == 'e' || *p == 'E' ||
			    (*p >= '0' && *p <= '9')); p++)
				real |= *p == '.' || *p == 'e' || *p == 'E';
			n += real;
		} else {
			p++;
		}
	}
	return n;
}

/* The real numbers in the members the plan keeps. */
static size_t
kept_reals(const char *text, const struct jobject *ev,
    const struct jmember *m, const struct plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->count; i++)
		if (fate_of(plan, i) == KEEP)
			n += reals_in(text, m[i].value);
	return n;
}

/*
 * How many bytes longer than its text jansson may write a real number: at
 * most 24 bytes ("%.17g", as -1.2345678901234567e-308), from at least 3
 * ("1.5", "1e5").  Only reals grow: escapes, "-0" and the like shrink.
 */
#define REAL_GROWTH (24 - 3)

/*
 * At most how many bytes shorter than their text jansson writes the
 * members the plan keeps: it writes `\/` as `/` (1 byte less) and a `\u`
 * escape as its character (at most 5 less: `\u0026` is `&`); it writes
 * every other escape as it came.  3,000 `\u0026` in a requestURI are 18 kB
 * of text and 3 kB written: an event too long as text may fit as the
 * reference writes it.  The text is valid JSON: a backslash is always in a
 * string, and starts an escape.
 */
static size_t
shrink_bound(const char *text, const struct jobject *ev,
    const struct jmember *m, const struct plan *plan)
{
	const char *p, *end;
	size_t n = 0;

	for (size_t i = 0; i < ev->count; i++) {
		if (fate_of(plan, i) != KEEP)
			continue;
		p = text + m[i].value.off;
		end = p + m[i].value.len;
		while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
			n += p[1] == 'u' ? 5 : p[1] == '/';
			p += 2;
		}
	}
	return n;
}

/*
 * Lay the datagram out in *out: the members the plan keeps, then `k8s`
 * (its text in out->k8s, with out->dropped when set).  -E2BIG when it does
 * not fit cfg's limits; -EAGAIN when it fits but the reference's text,
 * with the event's real numbers written back by jansson, might not, or
 * when it takes more pieces than out holds.
 */
static int
lay_out(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m,
    const struct plan *plan, size_t k8s_fields, struct fastpath_out *out)
{
	size_t dropped = strlen(out->dropped), room;
	bool laid;

	out->nparts = 0;
	out->len = 0;
	if (k8s_fields + (dropped > 0) > cfg->max_fields ||
	    fields_over(text, m, ev->count, plan, cfg->max_fields - k8s_fields -
	    (dropped > 0)))
		return -E2BIG;
	laid = add_kept(out, text, ev, m, plan) &&
	    add_part(out, out->nparts ? K8S_NEXT : K8S_ALONE, out->nparts ?
	    sizeof(K8S_NEXT) - 1 : sizeof(K8S_ALONE) - 1) &&
	    add_part(out, out->k8s, out->k8s_len) &&
	    (dropped == 0 || add_part(out, out->dropped + (k8s_fields == 0),
	    dropped - (k8s_fields == 0))) &&
	    add_part(out, "}}", 2);	/* k8s's, then the event's */
	if (!laid)
		return -EAGAIN;
	/*
	 * The reference measures what jansson writes, escapes decoded: too
	 * long for it too, or maybe not (its work then).
	 */
	if (out->len > cfg->max_bytes)
		return out->len - cfg->max_bytes > shrink_bound(text, ev, m,
		    plan) ? -E2BIG : -EAGAIN;
	room = (cfg->max_bytes - out->len) / REAL_GROWTH;
	if (ev->reals > room && kept_reals(text, ev, m, plan) > room)
		return -EAGAIN;
	return 0;
}

/*
 * Could one of fit_event's steps before the bodies change the event:
 * sourceIPs, userAgent, longArrays or requestURI?  Any client can pad
 * them; trimming them is the reference path's work.  A string's text is
 * never shorter than its value, nor an array's text than what jansson
 * writes of it, real numbers aside.
 */
static bool
padded(const char *text, const struct jobject *ev, const struct jmember *m)
{
	const struct jmember *x;
	struct jspan e;
	size_t pos = 0, n = 0, i;

	for (i = 0; i < ev->count; i++) {
		x = &m[i];
		/* Annotations hold strings only (event_check). */
		if (text[x->value.off] == '{' && !is_body(text, x) &&
		    !jscan_key_is(text, x, "annotations") &&
		    (x->value.len > FIT_LONG_ARRAY || x->value.len +
		    REAL_GROWTH * reals_in(text, x->value) > FIT_LONG_ARRAY))
			return true;	/* may hold an array to cut */
	}
	x = jscan_find(m, ev->count, text, "userAgent");
	if (x != NULL && x->value.len > FIT_LONG_STRING + 2)
		return true;
	x = jscan_find(m, ev->count, text, "requestURI");
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
 * Could fit_event's managedFields step change a body the plan keeps?
 * Looked for by the name's rarer tail, or a \u escape that could spell it
 * (the scan tells: a search for "\\u" stopped at every escape of a
 * ConfigMap's text).
 */
static bool
may_hold_managed(const char *text, const struct jobject *ev,
    const struct jmember *m, const struct plan *plan)
{
	static const char *const managed[] = { "Fields" };

	for (size_t i = 0; i < ev->count; i++) {
		if (is_body(text, &m[i]) && fate_of(plan, i) == KEEP &&
		    (m[i].uescape || needles_find(managed, 1,
		    text + m[i].value.off, m[i].value.len)))
			return true;
	}
	return false;
}

/*
 * Plan to drop every member outside the audit Event, each looked up once:
 * a crafted event has 200,000 of them, and each layout walks them all.
 */
static int
mark_unknown(const char *text, const struct jobject *ev,
    const struct jmember *m, struct plan *plan)
{
	if ((plan->unknown = malloc(ev->count)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ev->count; i++)
		plan->unknown[i] = !fit_audit_member(text + m[i].key.off,
		    m[i].key.len);
	return 0;
}

static enum fastpath_status
fitted(int rc, struct shape_stats *stats)
{
	if (rc != 0)
		return FASTPATH_FALLBACK;
	stats->trimmed++;
	return FASTPATH_READY;
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
    struct plan *plan, struct fastpath_out *out, struct shape_stats *stats)
{
	static const char *const order[] = { "responseObject", "requestObject" };
	const struct jmember *x;
	int rc;

	if ((rc = lay_out(cfg, text, ev, m, plan, k8s_fields, out)) != -E2BIG)
		return rc == 0 ? FASTPATH_READY : FASTPATH_FALLBACK;
	if (may_hold_managed(text, ev, m, plan))
		return FASTPATH_FALLBACK;
	if (has_unknown(text, ev, m)) {
		if (mark_unknown(text, ev, m, plan) != 0)
			return FASTPATH_NOMEM;
		note_drop(out, "unknownMembers");
		rc = lay_out(cfg, text, ev, m, plan, k8s_fields, out);
		if (rc != -E2BIG)
			return fitted(rc, stats);
	}
	if (padded(text, ev, m))
		return FASTPATH_FALLBACK;
	for (size_t d = 0; d < 2; d++) {
		if ((x = jscan_find(m, ev->count, text, order[d])) == NULL)
			continue;
		plan->skip[plan->nskip++] = (size_t)(x - m);
		note_drop(out, order[d]);
		rc = lay_out(cfg, text, ev, m, plan, k8s_fields, out);
		if (rc != -E2BIG)
			return fitted(rc, stats);
	}
	return FASTPATH_FALLBACK;
}

/* Do the event's own members exceed a limit, `k8s` not counted yet? */
static bool
over_limits(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m,
    const struct plan *plan)
{
	return ev->span.len > cfg->max_bytes ||
	    fields_over(text, m, ev->count, plan, cfg->max_fields);
}

/*
 * Does a top-level key repeat?  jansson keeps a repeated key's last value,
 * so the reference sends it once, measured once: the bytes would hold it
 * twice.  Every key counts, unknown ones too: whether fitting drops them
 * depends on the event's size as jansson reads it, without the repeats.
 */
static bool
repeats(const char *text, const struct jobject *ev, const struct jmember *m)
{
	bool repeat;

	/* Out of memory: the reference path, which needs no such test. */
	return jspan_repeats(text, &m[0].key, sizeof(*m), ev->count,
	    &repeat) != 0 || repeat;
}

/*
 * Will fit() hand the event over whatever `k8s` holds?  It does when the
 * event's own members already exceed a limit, it has no unknown member to
 * drop first, and its sourceIPs or userAgent is padded.  Asked first, so
 * that such an event is not read twice, here and by the reference path.
 */
static bool
must_trim(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m,
    const struct plan *plan)
{
	return over_limits(cfg, text, ev, m, plan) && padded(text, ev, m) &&
	    !has_unknown(text, ev, m);
}

/* Derive, measure and lay out the datagram of a loaded event. */
static enum fastpath_status
finish(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, const struct head *h,
    json_t *bodies, bool redact, struct plan *plan, struct fastpath_out *out,
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
	st = redact ? redaction_check(h, bodies) : FASTPATH_READY;
	if (st == FASTPATH_READY)
		st = fit(cfg, text, ev, m, k8s.fields, plan, out, stats);
	return st;
}

static enum fastpath_status
status_of(int rc)
{
	return rc == -ENOMEM ? FASTPATH_NOMEM : FASTPATH_FALLBACK;
}

/* The head and bodies of a planned event, then its datagram. */
static enum fastpath_status
shape_planned(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m, struct plan *plan,
    struct fastpath_out *out, struct shape_stats *stats)
{
	enum fastpath_status st;
	json_t *bodies = NULL;
	bool redact = false;
	struct head h;
	int rc;

	if ((rc = head_from_text(text, m, ev->count, &h)) != 0)
		return status_of(rc);
	/* Credentials on an exec command line: requestURI changes. */
	if (redact_exec_may_change(&h)) {
		head_free(&h);
		return FASTPATH_FALLBACK;
	}
	rc = load_bodies(&h, text, m, ev->count, plan, &bodies, &redact);
	st = rc == 0 ? finish(cfg, text, ev, m, &h, bodies, redact, plan, out,
	    stats) : status_of(rc);
	json_decref(bodies);
	head_free(&h);
	return st;
}

/*
 * fastpath_shape for an event whose damage is in its bodies alone (or
 * none), `out` cleared or seeded with what was reduced before.
 * *damaged_elsewhere tells a fall-back caused by damage outside the
 * bodies.
 */
static enum fastpath_status
shape_bytes(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *m,
    struct fastpath_out *out, struct shape_stats *stats,
    bool *damaged_elsewhere)
{
	struct plan plan = { NULL, { 0, 0 }, 0, { 0, 0 }, 0, { NULL, NULL } };
	enum fastpath_status st;

	*damaged_elsewhere = false;
	if (!sendable_as_is(text, ev, m))
		return FASTPATH_FALLBACK;
	if (ev->bad != 0 && !plan_reduction(text, ev, m, &plan, out)) {
		*damaged_elsewhere = true;
		return FASTPATH_FALLBACK;
	}
	if (must_trim(cfg, text, ev, m, &plan) || repeats(text, ev, m))
		return FASTPATH_FALLBACK;
	st = shape_planned(cfg, text, ev, m, &plan, out, stats);
	free(plan.unknown);
	return st;
}

/*
 * An event with damaged metadata: batch_reduce's value as text (only the
 * damaged members built as jansson values, not a tree of the whole event),
 * scanned and shaped as an undamaged event would be, its k8s.dropped and
 * out->reduced seeded with the names the reference path gives.
 */
static enum fastpath_status
shape_rebuilt(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *members,
    struct fastpath_out *out, struct shape_stats *stats)
{
	char names[BATCH_DROPPED_MAX], why[64];
	enum fastpath_status st = FASTPATH_FALLBACK;
	struct jscan sc;
	bool elsewhere;
	size_t len;
	int rc;

	if ((rc = batch_reduce_text(text, ev, members, &out->text, &len, names,
	    sizeof(names))) != 0)
		return status_of(rc);
	/* Names k8s.dropped would have to escape: the reference writes them. */
	if (names[0] == '\0' || strpbrk(names, "\"\\") != NULL)
		return FASTPATH_FALLBACK;
	snprintf(out->reduced, sizeof(out->reduced), "%s", names);
	snprintf(out->dropped, sizeof(out->dropped), ",\"dropped\":\"%s\"",
	    names);
	jscan_init(&sc);
	/* The event lay two levels down its line at most (root, items). */
	if (jscan_frame(&sc, out->text, len, EVENTLIST_MAX_DEPTH - 2, why,
	    sizeof(why)) == JSCAN_OK && !sc.root_is_array &&
	    sc.root_span.bad == 0 && sc.root_span.count > 0)
		st = shape_bytes(cfg, out->text, &sc.root_span, sc.root, out,
		    stats, &elsewhere);
	jscan_free(&sc);
	return st;
}

enum fastpath_status
fastpath_shape(const struct shape_config *cfg, const char *text,
    const struct jobject *ev, const struct jmember *members,
    struct fastpath_out *out, struct shape_stats *stats)
{
	enum fastpath_status st;
	bool elsewhere;

	memset(out, 0, sizeof(*out));
	/* An event without members has no member array at all. */
	if (ev->count == 0)
		return FASTPATH_FALLBACK;
	st = shape_bytes(cfg, text, ev, members + ev->first, out, stats,
	    &elsewhere);
	if (st == FASTPATH_FALLBACK && elsewhere) {
		fastpath_out_free(out);
		st = shape_rebuilt(cfg, text, ev, members, out, stats);
	}
	if (st != FASTPATH_READY)
		fastpath_out_free(out);
	return st;
}

void
fastpath_out_free(struct fastpath_out *out)
{
	free(out->k8s);
	free(out->text);
	memset(out, 0, sizeof(*out));
}
