/*
 * head: what shaping reads of an audit event outside its bodies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "head.h"
#include "jsonspan.h"
#include "k8sobj.h"

#define UNAUTHENTICATED "system:unauthenticated"
#define ANN_DECISION "authorization.k8s.io/decision"
#define ANN_REASON "authorization.k8s.io/reason"
#define ANN_PSA_VIOLATIONS "pod-security.kubernetes.io/audit-violations"
#define ANN_PSA_ENFORCE "pod-security.kubernetes.io/enforce-policy"
#define ANN_TRUNCATED "audit.k8s.io/truncated"

static bool
in_group(const json_t *user, const char *group)
{
	size_t i;
	json_t *g;

	json_array_foreach(jarr(user, "groups"), i, g)
		if (json_is_string(g) && strcmp(json_string_value(g), group) == 0)
			return true;
	return false;
}

void
head_from_json(const json_t *event, struct head *h)
{
	const json_t *user = jobj(event, "user");
	const json_t *ref = jobj(event, "objectRef");
	const json_t *a = jobj(event, "annotations");
	const json_t *ips = jarr(event, "sourceIPs");
	const json_t *code = jget(jobj(event, "responseStatus"), "code");
	size_t n = json_array_size(ips);

	memset(h, 0, sizeof(*h));
	h->verb = jstr(event, "verb");
	h->stage = jstr(event, "stage");
	h->request_uri = jstr(event, "requestURI");
	h->username = jstr(user, "username");
	h->unauthenticated = in_group(user, UNAUTHENTICATED);
	h->impersonated = jstr(jobj(event, "impersonatedUser"), "username");
	if (n > 0)
		h->source_ip = json_string_value(json_array_get(ips, n - 1));
	h->resource = jstr(ref, "resource");
	h->subresource = jstr(ref, "subresource");
	if (h->subresource != NULL && h->subresource[0] == '\0')
		h->subresource = NULL;
	h->namespace = jstr(ref, "namespace");
	h->name = jstr(ref, "name");
	if (json_is_integer(code)) {
		h->has_code = true;
		h->code = (long long)json_integer_value(code);
	}
	h->decision = jstr(a, ANN_DECISION);
	h->reason = jstr(a, ANN_REASON);
	h->psa_violations = jstr(a, ANN_PSA_VIOLATIONS);
	h->psa_enforce = jstr(a, ANN_PSA_ENFORCE);
	h->truncated = jstreq(a, ANN_TRUNCATED, "true");
}

/* ---- from the bytes ------------------------------------------------------ */

/*
 * The top-level members of an audit event: those event_check looks at,
 * with the JSON type of each, and the bodies (of any type).
 */
enum member {
	M_KIND, M_API_VERSION, M_AUDIT_ID, M_STAGE, M_VERB, M_REQUEST_URI,
	M_LEVEL, M_USER, M_OBJECT_REF, M_IMPERSONATED, M_RESPONSE_STATUS,
	M_ANNOTATIONS, M_SOURCE_IPS, M_USER_AGENT, M_RECEIVED, M_STAGE_TIME,
	M_REQUEST_OBJECT, M_RESPONSE_OBJECT, M_COUNT
};

#define MEMBER(name, type, required) { name, sizeof(name) - 1, type, required }

static const struct {
	const char *name;
	size_t len;
	char type;		/* the first byte of a value of that type;
				 * 0: any type */
	bool required;
} members[M_COUNT] = {
	[M_KIND] = MEMBER("kind", '"', false),
	[M_API_VERSION] = MEMBER("apiVersion", '"', false),
	[M_AUDIT_ID] = MEMBER("auditID", '"', true),
	[M_STAGE] = MEMBER("stage", '"', true),
	[M_VERB] = MEMBER("verb", '"', true),
	[M_REQUEST_URI] = MEMBER("requestURI", '"', true),
	[M_LEVEL] = MEMBER("level", '"', true),
	[M_USER] = MEMBER("user", '{', true),
	[M_OBJECT_REF] = MEMBER("objectRef", '{', false),
	[M_IMPERSONATED] = MEMBER("impersonatedUser", '{', false),
	[M_RESPONSE_STATUS] = MEMBER("responseStatus", '{', false),
	[M_ANNOTATIONS] = MEMBER("annotations", '{', false),
	[M_SOURCE_IPS] = MEMBER("sourceIPs", '[', false),
	[M_USER_AGENT] = MEMBER("userAgent", '"', false),
	[M_RECEIVED] = MEMBER("requestReceivedTimestamp", '"', false),
	[M_STAGE_TIME] = MEMBER("stageTimestamp", '"', false),
	[M_REQUEST_OBJECT] = MEMBER("requestObject", 0, false),
	[M_RESPONSE_OBJECT] = MEMBER("responseObject", 0, false),
};

/* Unescaped strings go to buf; every one fits (see room()). */
struct reader {
	const char *text;
	char *buf;
	size_t cap, used;
	int err;		/* -EAGAIN if one did not fit after all */
};

/*
 * The JSON string `v` unescaped into the reader's buffer, NUL-terminated;
 * NULL when `v` is not a string.  With `keep` false the buffer's space is
 * reused by the next string.
 */
static const char *
take(struct reader *r, struct jspan v, bool keep)
{
	char *s;
	size_t n;

	if (r->text[v.off] != '"')
		return NULL;
	if (v.len > r->cap - r->used) {
		r->err = -EAGAIN;
		return NULL;
	}
	s = r->buf + r->used;
	/* Unescaping drops at least the two quotes: room for the NUL. */
	n = jspan_string(r->text, v, s);
	s[n] = '\0';
	if (keep)
		r->used += n + 1;
	return s;
}

static bool
has_unauthenticated(struct reader *r, struct jspan groups)
{
	struct jspan g;
	size_t pos = 0;
	const char *s;

	while (jspan_next_element(r->text, groups, &pos, &g)) {
		/* A shorter text cannot unescape to the name. */
		if (g.len < sizeof(UNAUTHENTICATED) + 1)
			continue;
		if ((s = take(r, g, false)) != NULL &&
		    strcmp(s, UNAUTHENTICATED) == 0)
			return true;
	}
	return false;
}

/*
 * Visit the members of object `obj` in order; a repeated key is visited
 * again, so the last value wins, as in jansson.  -EAGAIN for an escaped
 * key, which could spell a name the visitor looks for.
 */
typedef int (*visit_fn)(struct reader *, struct head *,
    const struct jspan_member *);

static int
visit(struct reader *r, struct head *h, struct jspan obj, visit_fn fn)
{
	struct jspan_member m;
	size_t pos = 0;
	int rc;

	while (jspan_next(r->text, obj, &pos, &m)) {
		if (m.key_escaped)
			return -EAGAIN;
		if ((rc = fn(r, h, &m)) != 0)
			return rc;
	}
	return 0;
}

static int
user_member(struct reader *r, struct head *h, const struct jspan_member *m)
{
	if (jspan_is(r->text, m->key, "username"))
		h->username = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, "groups"))
		h->unauthenticated = has_unauthenticated(r, m->value);
	return 0;
}

static int
impersonated_member(struct reader *r, struct head *h,
    const struct jspan_member *m)
{
	if (jspan_is(r->text, m->key, "username"))
		h->impersonated = take(r, m->value, true);
	return 0;
}

static int
object_ref_member(struct reader *r, struct head *h,
    const struct jspan_member *m)
{
	if (jspan_is(r->text, m->key, "resource"))
		h->resource = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, "subresource"))
		h->subresource = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, "namespace"))
		h->namespace = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, "name"))
		h->name = take(r, m->value, true);
	return 0;
}

/* Is the JSON value `v` (`len` bytes) a number without fraction or exponent? */
static bool
is_integer(const char *v, size_t len)
{
	if (len == 0 || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] == '.' || v[i] == 'e' || v[i] == 'E')
			return false;
	return true;
}

static int
response_status_member(struct reader *r, struct head *h,
    const struct jspan_member *m)
{
	const char *v = r->text + m->value.off;

	if (!jspan_is(r->text, m->key, "code"))
		return 0;
	h->has_code = is_integer(v, m->value.len);
	/* The scan refused integers outside long long; the text goes on
	 * past the number with a byte strtoll stops at. */
	h->code = h->has_code ? strtoll(v, NULL, 10) : 0;
	return 0;
}

static int
annotation(struct reader *r, struct head *h, const struct jspan_member *m)
{
	const char *v;

	/* event_check: every annotation is a string. */
	if (r->text[m->value.off] != '"')
		return -EAGAIN;
	if (jspan_is(r->text, m->key, ANN_DECISION))
		h->decision = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, ANN_REASON))
		h->reason = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, ANN_PSA_VIOLATIONS))
		h->psa_violations = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, ANN_PSA_ENFORCE))
		h->psa_enforce = take(r, m->value, true);
	else if (jspan_is(r->text, m->key, ANN_TRUNCATED)) {
		v = take(r, m->value, false);
		h->truncated = v != NULL && strcmp(v, "true") == 0;
	}
	return 0;
}

static const char *
last_element(struct reader *r, struct jspan arr)
{
	struct jspan e, last = { 0, 0 };
	size_t pos = 0;

	while (jspan_next_element(r->text, arr, &pos, &e))
		last = e;
	return last.len > 0 ? take(r, last, true) : NULL;
}

/* Which of the members[] a top-level key names; M_COUNT for none. */
static enum member
member_of(const char *text, struct jspan key)
{
	for (int i = 0; i < M_COUNT; i++)
		if (key.len == members[i].len &&
		    text[key.off] == members[i].name[0] &&
		    memcmp(text + key.off, members[i].name, key.len) == 0)
			return (enum member)i;
	return M_COUNT;
}

/*
 * Find the members of members[] into at[] and check their types; -EAGAIN
 * when one of their keys repeats, a type is wrong or a required member is
 * absent.
 */
static int
find_members(const char *text, const struct jmember *m, size_t count,
    const struct jmember *at[M_COUNT])
{
	enum member w;

	memset(at, 0, M_COUNT * sizeof(*at));
	for (size_t i = 0; i < count; i++) {
		if ((w = member_of(text, m[i].key)) == M_COUNT)
			continue;
		if (at[w] != NULL || (members[w].type != 0 &&
		    text[m[i].value.off] != members[w].type))
			return -EAGAIN;
		at[w] = &m[i];
	}
	for (int i = 0; i < M_COUNT; i++)
		if (members[i].required && at[i] == NULL)
			return -EAGAIN;
	return 0;
}

/* event_check's test of kind and apiVersion. */
static int
check_identity(struct reader *r, const struct jmember *at[M_COUNT])
{
	const char *s;

	if (at[M_KIND] != NULL && ((s = take(r, at[M_KIND]->value, false)) ==
	    NULL || strcmp(s, "Event") != 0))
		return -EAGAIN;
	if (at[M_API_VERSION] != NULL && ((s = take(r,
	    at[M_API_VERSION]->value, false)) == NULL ||
	    strncmp(s, AUDIT_API_GROUP, strlen(AUDIT_API_GROUP)) != 0))
		return -EAGAIN;
	return 0;
}

static int
read_objects(struct reader *r, struct head *h,
    const struct jmember *at[M_COUNT])
{
	static const struct {
		enum member which;
		visit_fn fn;
	} objects[] = {
		{ M_USER, user_member },
		{ M_IMPERSONATED, impersonated_member },
		{ M_OBJECT_REF, object_ref_member },
		{ M_RESPONSE_STATUS, response_status_member },
		{ M_ANNOTATIONS, annotation },
	};
	int rc;

	for (size_t i = 0; i < sizeof(objects) / sizeof(*objects); i++) {
		if (at[objects[i].which] == NULL)
			continue;
		if ((rc = visit(r, h, at[objects[i].which]->value,
		    objects[i].fn)) != 0)
			return rc;
	}
	return 0;
}

static int
read_head(struct reader *r, struct head *h, const struct jmember *at[M_COUNT])
{
	int rc;

	if ((rc = check_identity(r, at)) != 0 ||
	    (rc = read_objects(r, h, at)) != 0)
		return rc;
	h->verb = take(r, at[M_VERB]->value, true);
	h->stage = take(r, at[M_STAGE]->value, true);
	h->request_uri = take(r, at[M_REQUEST_URI]->value, true);
	if (at[M_SOURCE_IPS] != NULL)
		h->source_ip = last_element(r, at[M_SOURCE_IPS]->value);
	if (h->subresource != NULL && h->subresource[0] == '\0')
		h->subresource = NULL;
	return r->err;
}

/*
 * Room for every string read: each lies inside one of these members and
 * loses its two quotes, which pays for its NUL.
 */
static size_t
room(const struct jmember *at[M_COUNT])
{
	static const enum member read[] = {
		M_KIND, M_API_VERSION, M_STAGE, M_VERB, M_REQUEST_URI, M_USER,
		M_OBJECT_REF, M_IMPERSONATED, M_ANNOTATIONS, M_SOURCE_IPS,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(read) / sizeof(*read); i++)
		if (at[read[i]] != NULL)
			n += at[read[i]]->value.len;
	return n;
}

int
head_from_text(const char *text, const struct jmember *m, size_t count,
    struct head *h)
{
	const struct jmember *at[M_COUNT];
	struct reader r = { text, NULL, 0, 0, 0 };
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = find_members(text, m, count, at)) != 0)
		return rc;
	r.cap = room(at);
	if ((r.buf = malloc(r.cap)) == NULL)
		return -ENOMEM;
	h->buf = r.buf;
	if ((rc = read_head(&r, h, at)) != 0)
		head_free(h);
	return rc;
}

void
head_free(struct head *h)
{
	free(h->buf);
	memset(h, 0, sizeof(*h));
}
