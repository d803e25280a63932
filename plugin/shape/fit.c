/*
 * fit: make an event fit analysisd's limits by dropping whole parts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

/* ---- measuring ---------------------------------------------------------- */

#define FIELD(s) { s, sizeof(s) - 1 }
static const struct {
	const char *name;
	size_t len;
} static_fields[] = {
	FIELD("srcip"), FIELD("dstip"), FIELD("srcport"), FIELD("dstport"),
	FIELD("protocol"), FIELD("action"), FIELD("srcuser"), FIELD("dstuser"),
	FIELD("id"), FIELD("status"), FIELD("url"), FIELD("data"),
	FIELD("extra_data"), FIELD("systemname"),
};

/*
 * The audit.k8s.io/v1 Event's members, v1beta1's `metadata` and `timestamp`
 * (still in old clusters' logs), and ours.
 */
static const struct {
	const char *name;
	size_t len;
} audit_members[] = {
	FIELD("kind"), FIELD("apiVersion"), FIELD("level"), FIELD("auditID"),
	FIELD("stage"), FIELD("requestURI"), FIELD("verb"), FIELD("user"),
	FIELD("impersonatedUser"), FIELD("sourceIPs"), FIELD("userAgent"),
	FIELD("objectRef"), FIELD("responseStatus"), FIELD("requestObject"),
	FIELD("responseObject"), FIELD("requestReceivedTimestamp"),
	FIELD("stageTimestamp"), FIELD("annotations"), FIELD("metadata"),
	FIELD("timestamp"), FIELD("k8s"),
};
#undef FIELD

static bool is_static(const char *key)
{
	return fit_static_field(key, strlen(key));
}

/* Nesting depth of `v` itself: 0 for scalars, 1 + children for containers. */
static size_t depth_of(const json_t *v)
{
	size_t max = 0, d, i;
	const char *key;
	json_t *child;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if ((d = depth_of(child)) > max)
				max = d;
		return max + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if ((d = depth_of(child)) > max)
				max = d;
		return max + 1;
	}
	return 0;
}

static void count(const json_t *obj, bool top, size_t depth,
    struct fit_measure *m)
{
	const char *key;
	json_t *v;

	if (depth > m->depth)
		m->depth = depth;
	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v)) {
			count(v, false, depth + 1, m);
			continue;
		}
		if (json_is_array(v) && depth + depth_of(v) > m->depth)
			m->depth = depth + depth_of(v);
		if (!(top && is_static(key)))
			m->fields++;
	}
}

void fit_measure(const json_t *event, struct fit_measure *m)
{
	m->fields = 0;
	m->depth = 0;
	if (json_is_object(event))
		count(event, true, 1, m);
}

bool fit_static_field(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof static_fields / sizeof *static_fields; i++)
		if (static_fields[i].len == len &&
		    memcmp(key, static_fields[i].name, len) == 0)
			return true;
	return false;
}

#define AUDIT_MEMBERS (sizeof audit_members / sizeof *audit_members)
_Static_assert(AUDIT_MEMBERS == FIT_AUDIT_MEMBERS,
    "fit.h counts the audit members");

/* The index of `key` in audit_members, or AUDIT_MEMBERS. */
static size_t audit_member(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < AUDIT_MEMBERS; i++)
		if (audit_members[i].len == len &&
		    memcmp(key, audit_members[i].name, len) == 0)
			break;
	return i;
}

bool fit_audit_member(const char *key, size_t len)
{
	return audit_member(key, len) < AUDIT_MEMBERS;
}

size_t fit_value_fields(const json_t *v)
{
	struct fit_measure m = { 0, 0 };

	if (!json_is_object(v))
		return 1;
	count(v, false, 1, &m);
	return m.fields;
}

/* ---- bounded serialization --------------------------------------------- */

struct sink {
	char *buf;
	size_t len, cap, max;
	int err;
};

static int sink_write(const char *s, size_t n, void *data)
{
	struct sink *k = data;
	size_t cap;
	char *buf;

	if (n > k->max - k->len) {
		k->err = -E2BIG;
		return -1;
	}
	if (k->len + n + 1 > k->cap) {
		cap = k->cap ? k->cap : 4096;
		while (cap < k->len + n + 1)
			cap *= 2;
		if (cap > k->max + 1)
			cap = k->max + 1;
		buf = realloc(k->buf, cap);
		if (buf == NULL) {
			k->err = -ENOMEM;
			return -1;
		}
		k->buf = buf;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	return 0;
}

int fit_dump(const json_t *v, size_t max_bytes, char **out, size_t *outlen)
{
	struct sink k = { NULL, 0, 0, max_bytes, 0 };

	*out = NULL;
	*outlen = 0;
	/*
	 * An empty write makes sure there is a buffer with room for the NUL.
	 * jansson ignores a failed write of an object key (2.14): the sink's
	 * own error is what says the text is whole.
	 */
	if (sink_write("", 0, &k) != 0 ||
	    json_dump_callback(v, sink_write, &k, JSON_COMPACT |
	    JSON_ENCODE_ANY) != 0 ||
	    k.err != 0) {
		free(k.buf);
		return k.err ? k.err : -ENOMEM;
	}
	k.buf[k.len] = '\0';
	*out = k.buf;
	*outlen = k.len;
	return 0;
}

/* ---- undo log ----------------------------------------------------------- */

/* One member removed or replaced: parent[key] (or parent[index]) was value. */
struct undo_entry {
	json_t *parent;		/* referenced */
	char *key;		/* NULL: array element `index` */
	size_t index;
	json_t *value;		/* referenced; NULL: the member did not exist */
};

struct undo {
	struct undo_entry *v;
	size_t n, cap;
	int err;
};

static struct undo_entry *undo_push(struct undo *u, json_t *parent,
    const char *key, size_t index, json_t *old)
{
	struct undo_entry *e;

	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 16;
		struct undo_entry *v = realloc(u->v, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		u->v = v;
		u->cap = cap;
	}
	e = &u->v[u->n];
	e->key = key ? strdup(key) : NULL;
	if (key != NULL && e->key == NULL)
		return NULL;
	e->parent = json_incref(parent);
	e->index = index;
	e->value = json_incref(old);
	u->n++;
	return e;
}

/* Remove parent[key], keeping it for undo.  Returns 1 if removed, 0, <0. */
static int undo_remove(struct undo *u, json_t *parent, const char *key)
{
	json_t *old = json_object_get(parent, key);

	if (old == NULL)
		return 0;
	if (undo_push(u, parent, key, 0, old) == NULL)
		return -ENOMEM;
	json_object_del(parent, key);
	return 1;
}

/* Set parent[key] (or parent[index]) to `repl` (stolen), keeping the old. */
static int undo_set(struct undo *u, json_t *parent, const char *key,
    size_t index, json_t *repl)
{
	json_t *old = key ? json_object_get(parent, key) :
	    json_array_get(parent, index);
	int rc;

	if (repl == NULL || undo_push(u, parent, key, index, old) == NULL) {
		json_decref(repl);
		return -ENOMEM;
	}
	rc = key ? json_object_set_new(parent, key, repl) :
	    json_array_set_new(parent, index, repl);
	return rc == 0 ? 1 : -ENOMEM;
}

static void undo_entry_free(struct undo_entry *e)
{
	json_decref(e->parent);
	json_decref(e->value);
	free(e->key);
}

/* Put everything back, newest first.  Restoring only reuses memory. */
static void undo_rollback(struct undo *u)
{
	while (u->n > 0) {
		struct undo_entry *e = &u->v[--u->n];

		if (e->key == NULL)
			json_array_set(e->parent, e->index, e->value);
		else if (e->value == NULL)
			json_object_del(e->parent, e->key);
		else
			json_object_set(e->parent, e->key, e->value);
		undo_entry_free(e);
	}
	free(u->v);
	u->v = NULL;
	u->cap = 0;
}

static void undo_commit(struct undo *u)
{
	for (size_t i = 0; i < u->n; i++)
		undo_entry_free(&u->v[i]);
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}

/* ---- drop steps --------------------------------------------------------- */

/* Each step returns how many parts it changed, or a negative errno. */
typedef int (*drop_step)(json_t *event, struct undo *u);

static int add_result(int total, int rc)
{
	if (rc < 0 || total < 0)
		return rc < 0 ? rc : total;
	return total + rc;
}

static int drop_managed_in(json_t *v, struct undo *u, int depth)
{
	const char *key;
	json_t *child;
	size_t i;
	int total = 0;

	if (depth > FIT_MAX_DEPTH * 2)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			total = add_result(total, drop_managed_in(child, u,
			    depth + 1));
		return total;
	}
	if (!json_is_object(v))
		return 0;
	total = undo_remove(u, json_object_get(v, "metadata"),
	    "managedFields");
	json_object_foreach(v, key, child)
		total = add_result(total, drop_managed_in(child, u, depth + 1));
	return total;
}

static int drop_managed(json_t *event, struct undo *u)
{
	int total = drop_managed_in(json_object_get(event, "requestObject"),
	    u, 0);

	return add_result(total, drop_managed_in(json_object_get(event,
	    "responseObject"), u, 0));
}

/*
 * Top-level members no apiserver writes: only a crafted line has them, and
 * maybe 200,000 of them.  Deleting each would look each up in jansson's
 * table again; instead every member is kept for undo, the object emptied
 * in one pass and the audit members put back, in their order.
 */
static int drop_unknown(json_t *event, struct undo *u)
{
	size_t at[AUDIT_MEMBERS], n = 0, i;
	json_t *kept[AUDIT_MEMBERS];
	const char *key;
	json_t *child;
	int total = 0;

	json_object_foreach(event, key, child)
		if (!fit_audit_member(key, strlen(key)) && total < INT_MAX)
			total++;
	if (total == 0)
		return 0;
	json_object_foreach(event, key, child) {
		/* Every member goes on undo, dropped or kept. */
		if (undo_push(u, event, key, 0, child) == NULL)
			return -ENOMEM;
		i = audit_member(key, strlen(key));
		if (i < AUDIT_MEMBERS && n < AUDIT_MEMBERS) {
			at[n] = i;
			kept[n++] = child;
		}
	}
	/* The event's own references go with the clear: ours keep these. */
	for (i = 0; i < n; i++)
		json_incref(kept[i]);
	json_object_clear(event);
	for (i = 0; i < n; i++) {
		if (json_object_set_new_nocheck(event,
		    audit_members[at[i]].name, kept[i]) != 0) {
			while (++i < n)
				json_decref(kept[i]);
			return -ENOMEM;
		}
	}
	return total;
}

static json_t *dropped_marker(size_t len)
{
	char buf[64];

	snprintf(buf, sizeof buf, "[DROPPED %zu bytes]", len);
	return json_string(buf);
}

/*
 * sourceIPs without its middle entries, and their number in
 * k8s.source_ips_dropped (added to any count already there).
 */
static int drop_source_ips(json_t *event, struct undo *u)
{
	const size_t first = FIT_SOURCE_IPS_FIRST, last = FIT_SOURCE_IPS_LAST;
	json_t *ips = json_object_get(event, "sourceIPs");
	json_t *k8s = json_object_get(event, "k8s"), *kept;
	size_t n = json_array_size(ips), i;
	json_int_t before;
	int rc;

	if (!json_is_array(ips) || n <= first + last)
		return 0;
	if ((kept = json_array()) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if ((i < first || i >= n - last) &&
		    json_array_append(kept, json_array_get(ips, i)) != 0) {
			json_decref(kept);
			return -ENOMEM;
		}
	}
	rc = undo_set(u, event, "sourceIPs", 0, kept);
	if (rc < 0 || !json_is_object(k8s))
		return rc;
	before = json_integer_value(json_object_get(k8s, "source_ips_dropped"));
	return add_result(rc, undo_set(u, k8s, "source_ips_dropped", 0,
	    json_integer(before + (json_int_t)(n - first - last))));
}

static int drop_user_agent(json_t *event, struct undo *u)
{
	json_t *ua = json_object_get(event, "userAgent");

	if (!json_is_string(ua) || json_string_length(ua) <= FIT_LONG_STRING)
		return 0;
	return undo_set(u, event, "userAgent", 0,
	    dropped_marker(json_string_length(ua)));
}

/*
 * Groups a rule looks for (impersonatedUser.groups holding system:masters):
 * a cut array keeps them wherever they were, so that padding in front of
 * one does not push it out of the head.
 */
static const char *const kept_groups[] = { "system:masters" };
#define KEPT_GROUPS (sizeof kept_groups / sizeof *kept_groups)

/* The index of `v` in kept_groups, or KEPT_GROUPS. */
static size_t kept_group(const json_t *v)
{
	size_t k;

	for (k = 0; k < KEPT_GROUPS; k++)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), kept_groups[k]) == 0)
			break;
	return k;
}

/* The compact text length of `v`: max + 1 when longer, <0 on error. */
static long text_length(const json_t *v, size_t max)
{
	char *text;
	size_t len;
	int rc = fit_dump(v, max, &text, &len);

	if (rc == -E2BIG)
		return (long)max + 1;
	if (rc != 0)
		return rc;
	free(text);
	return (long)len;
}

/* The head's budget: the brackets, kept groups and marker take the rest. */
#define HEAD_BYTES (FIT_LONG_ARRAY - 128)
_Static_assert(HEAD_BYTES > 0 && 2 + sizeof "\"system:masters\"," +
    sizeof "\"[DROPPED 18446744073709551615 entries]\"" <= 128,
    "a cut array fits FIT_LONG_ARRAY");

/*
 * Array `a` cut to its head: the first entries whose text, a comma each,
 * takes at most HEAD_BYTES, then the later entries kept_groups names (each
 * once), then "[DROPPED <n> entries]".  NULL when memory runs out.  Each
 * entry past the head is looked at once, and measured never.  The cut
 * array's text is at most FIT_LONG_ARRAY bytes: it is never cut again.
 */
static json_t *array_head(const json_t *a)
{
	size_t n = json_array_size(a), i, k, used = 0, gone = 0;
	bool seen[KEPT_GROUPS] = { false }, in_head = true;
	json_t *head = json_array(), *v;
	char buf[64];
	long len;

	if (head == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		v = json_array_get(a, i);
		k = kept_group(v);
		if (in_head) {
			len = text_length(v, HEAD_BYTES - used);
			if (len < 0)
				goto nomem;
			in_head = (size_t)len + 1 <= HEAD_BYTES - used;
			used += in_head ? (size_t)len + 1 : 0;
		}
		if (!in_head && (k == KEPT_GROUPS || seen[k])) {
			gone++;
			continue;
		}
		if (k < KEPT_GROUPS)
			seen[k] = true;
		if (json_array_append(head, v) != 0)
			goto nomem;
	}
	snprintf(buf, sizeof buf, "[DROPPED %zu entries]", gone);
	if (json_array_append_new(head, json_string(buf)) == 0)
		return head;
nomem:
	json_decref(head);
	return NULL;
}

/*
 * Cut the arrays longer than FIT_LONG_ARRAY among the members of `obj`
 * and of the objects in it (an array not cut holds no longer one).  At the
 * top level (depth 0) only objects are entered, and neither the bodies,
 * which go whole later, nor `k8s`.
 */
static int cut_arrays_in(json_t *obj, int depth, struct undo *u)
{
	const char *key;
	json_t *child;
	int total = 0;
	long len;

	if (depth > FIT_MAX_DEPTH * 2)
		return 0;
	json_object_foreach(obj, key, child) {
		if (depth == 0 && (strcmp(key, "k8s") == 0 ||
		    strcmp(key, "requestObject") == 0 ||
		    strcmp(key, "responseObject") == 0))
			continue;
		if (json_is_object(child)) {
			total = add_result(total, cut_arrays_in(child,
			    depth + 1, u));
			continue;
		}
		if (depth == 0 || !json_is_array(child))
			continue;
		if ((len = text_length(child, FIT_LONG_ARRAY)) < 0)
			return (int)len;
		if ((size_t)len > FIT_LONG_ARRAY)
			total = add_result(total, undo_set(u, obj, key, 0,
			    array_head(child)));
	}
	return total;
}

/*
 * Arrays in the event's metadata (impersonatedUser.groups from
 * Impersonate-Group headers, user.extra values from Impersonate-Extra-*,
 * directory groups, responseStatus.details.causes) cut to their head.
 * sourceIPs, a top-level array, has its own step.
 */
static int drop_long_arrays(json_t *event, struct undo *u)
{
	return cut_arrays_in(event, 0, u);
}

/*
 * A requestURI longer than FIT_LONG_STRING keeps its path (up to its '?'
 * and FIT_URI_KEEP bytes, cut at a character boundary) and ends in
 * "[DROPPED <n> bytes]": a padded query string costs itself, not a body.
 */
static int drop_request_uri(json_t *event, struct undo *u)
{
	json_t *uri = json_object_get(event, "requestURI");
	const char *s = json_string_value(uri), *q;
	size_t len = json_string_length(uri), keep;
	char *buf;
	int rc;

	if (!json_is_string(uri) || len <= FIT_LONG_STRING)
		return 0;
	q = memchr(s, '?', FIT_URI_KEEP);
	keep = q ? (size_t)(q - s) + 1 : FIT_URI_KEEP;
	while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
		keep--;		/* not inside a UTF-8 character */
	if ((buf = malloc(keep + 64)) == NULL)
		return -ENOMEM;
	memcpy(buf, s, keep);
	rc = snprintf(buf + keep, 64, "[DROPPED %zu bytes]", len - keep);
	rc = undo_set(u, event, "requestURI", 0, json_stringn(buf,
	    keep + (size_t)rc));
	free(buf);
	return rc;
}

static int drop_response(json_t *event, struct undo *u)
{
	return undo_remove(u, event, "responseObject");
}

static int drop_request(json_t *event, struct undo *u)
{
	return undo_remove(u, event, "requestObject");
}

/* Replace strings longer than `limit` in object or array `v` (one level). */
static int drop_long_members(json_t *v, size_t limit, struct undo *u)
{
	const char *key;
	json_t *child;
	size_t i;
	int total = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (json_is_string(child) &&
			    json_string_length(child) > limit)
				total = add_result(total, undo_set(u, v, NULL, i,
				    dropped_marker(json_string_length(child))));
		return total;
	}
	json_object_foreach(v, key, child)
		if (json_is_string(child) && json_string_length(child) > limit)
			total = add_result(total, undo_set(u, v, key, 0,
			    dropped_marker(json_string_length(child))));
	return total;
}

static int drop_annotation_values(json_t *event, struct undo *u)
{
	json_t *a = json_object_get(event, "annotations");

	if (!json_is_object(a))
		return 0;
	return drop_long_members(a, FIT_LONG_ANNOTATION, u);
}

static int drop_long_in(json_t *v, struct undo *u, int depth)
{
	const char *key;
	json_t *child;
	size_t i;
	int total;

	if (depth > FIT_MAX_DEPTH * 2 || !(json_is_object(v) ||
	    json_is_array(v)))
		return 0;
	total = drop_long_members(v, FIT_LONG_STRING, u);
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			total = add_result(total, drop_long_in(child, u,
			    depth + 1));
		return total;
	}
	json_object_foreach(v, key, child) {
		if (depth == 0 && strcmp(key, "k8s") == 0)
			continue;	/* derived fields are already bounded */
		total = add_result(total, drop_long_in(child, u, depth + 1));
	}
	return total;
}

static int drop_long_strings(json_t *event, struct undo *u)
{
	return drop_long_in(event, u, 0);
}

/* Annotations the apiserver writes about the decision: kept first. */
static bool known_annotation(const char *key)
{
	return strncmp(key, "authorization.k8s.io/", 21) == 0 ||
	    strncmp(key, "pod-security.kubernetes.io/", 27) == 0;
}

/*
 * Annotations beyond FIT_ANNOTATIONS_HEAD members (a webhook's or a crafted
 * line's padding) cut to that many: the apiserver's authorization and Pod
 * Security ones first, then the others in order; k8s.annotations_dropped
 * counts the rest.  Fewer stay whole here (metadataCore trims them last).
 */
static int drop_annotations(json_t *event, struct undo *u)
{
	json_t *a = json_object_get(event, "annotations");
	json_t *k8s = json_object_get(event, "k8s"), *head, *v;
	size_t n = json_object_size(a), kept = 0;
	const char *key;
	int rc;

	if (!json_is_object(a) || n <= FIT_ANNOTATIONS_HEAD)
		return 0;
	if ((head = json_object()) == NULL)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach(a, key, v) {
			if (kept == FIT_ANNOTATIONS_HEAD)
				break;
			if (known_annotation(key) != (pass == 0))
				continue;
			if (json_object_set(head, key, v) != 0) {
				json_decref(head);
				return -ENOMEM;
			}
			kept++;
		}
	}
	rc = undo_set(u, event, "annotations", 0, head);
	if (rc < 0 || !json_is_object(k8s))
		return rc;
	return add_result(rc, undo_set(u, k8s, "annotations_dropped", 0,
	    json_integer((json_int_t)(n - kept))));
}

static int drop_user_extra(json_t *event, struct undo *u)
{
	int total = undo_remove(u, json_object_get(event, "user"), "extra");

	return add_result(total, undo_remove(u,
	    json_object_get(event, "impersonatedUser"), "extra"));
}

/*
 * What the last step keeps of the metadata objects: the scalars that say
 * who (user, impersonatedUser), on what (objectRef), with what result
 * (responseStatus, the authorization annotations) and, in v1beta1, which
 * event (metadata).
 */
static const struct {
	const char *member;
	const char *const *keep;
} core[] = {
	{ "user", (const char *const[]){ "username", "uid", NULL } },
	{ "impersonatedUser", (const char *const[]){ "username", "uid",
	    NULL } },
	{ "objectRef", (const char *const[]){ "resource", "namespace", "name",
	    "uid", "apiGroup", "apiVersion", "resourceVersion", "subresource",
	    NULL } },
	{ "responseStatus", (const char *const[]){ "status", "message",
	    "reason", "code", NULL } },
	{ "metadata", (const char *const[]){ "name", "creationTimestamp",
	    NULL } },
	{ "annotations", (const char *const[]){
	    "authorization.k8s.io/decision", "authorization.k8s.io/reason",
	    NULL } },
};

/* Object `obj` reduced to its scalar members named in `keep`; NULL: nomem. */
static json_t *core_of(const json_t *obj, const char *const *keep)
{
	json_t *out = json_object(), *v;

	for (; out != NULL && *keep != NULL; keep++) {
		v = json_object_get(obj, *keep);
		if (v != NULL && !json_is_object(v) && !json_is_array(v) &&
		    json_object_set(out, *keep, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/*
 * The last resort, for metadata padded in ways no earlier step shortens
 * (thousands of members in objectRef, arrays nested in responseStatus):
 * each metadata object keeps only its core scalars, which every earlier
 * step has bounded, so that the event's who/what/when is still sent.
 */
static int drop_to_core(json_t *event, struct undo *u)
{
	json_t *obj, *kept;
	int total = 0;

	for (size_t i = 0; i < sizeof core / sizeof *core; i++) {
		obj = json_object_get(event, core[i].member);
		if (!json_is_object(obj))
			continue;
		if ((kept = core_of(obj, core[i].keep)) == NULL)
			return -ENOMEM;
		if (json_object_size(kept) == json_object_size(obj)) {
			json_decref(kept);	/* nothing else to drop */
			continue;
		}
		total = add_result(total, undo_set(u, event, core[i].member, 0,
		    kept));
	}
	return total;
}

/*
 * bytes_only: the step cannot lower the field count (it shortens values), so
 * it is skipped while the event has too many fields and only used when the
 * text is too long.
 */
static const struct {
	const char *name;
	drop_step step;
	bool bytes_only;
} steps[] = {
	{ "managedFields", drop_managed, false },
	{ "unknownMembers", drop_unknown, false },
	{ "sourceIPs", drop_source_ips, true },
	{ "userAgent", drop_user_agent, true },
	{ "longArrays", drop_long_arrays, true },
	{ "requestURI", drop_request_uri, true },
	{ "responseObject", drop_response, false },
	{ "requestObject", drop_request, false },
	{ "annotationValues", drop_annotation_values, true },
	{ "longStrings", drop_long_strings, true },
	{ "annotations", drop_annotations, false },
	{ "userExtra", drop_user_extra, false },
	{ "metadataCore", drop_to_core, false },
};

/* ---- fitting ------------------------------------------------------------ */

/*
 * 0 with the text when `event` fits; -EMLINK when it has too many fields or
 * is nested too deep; -E2BIG when its text is too long; -ENOMEM.
 */
static int try_fit(const json_t *event, const struct fit_limits *lim,
    char **out, size_t *outlen)
{
	struct fit_measure m;

	/* Counting is cheaper than serializing: it goes first. */
	fit_measure(event, &m);
	if (m.fields > lim->max_fields || m.depth > FIT_MAX_DEPTH)
		return -EMLINK;
	return fit_dump(event, lim->max_bytes, out, outlen);
}

/* Append `name` to k8s.dropped (kept for undo like any other change). */
static int record_drop(json_t *event, struct undo *u, const char *name)
{
	json_t *k8s = json_object_get(event, "k8s");
	const char *prev = json_string_value(json_object_get(k8s, "dropped"));
	/* Room for the parts reduced before shaping (shape_event_reduced,
	 * at most 192 bytes) ahead of fitting's own steps. */
	char buf[sizeof FIT_DROP_ORDER + 256];

	if (!json_is_object(k8s))
		return 0;
	snprintf(buf, sizeof buf, "%s%s%s", prev ? prev : "", prev ? "," : "",
	    name);
	return undo_set(u, k8s, "dropped", 0, json_string(buf));
}

static enum fit_status fail(struct undo *u, int rc)
{
	undo_rollback(u);
	return rc == -ENOMEM ? FIT_NOMEM : FIT_TOO_BIG;
}

/*
 * Apply the first step (in order) that changes something for failure `rc`.
 * Returns 1 when one did, 0 when none can, or a negative errno.
 */
static int next_drop(json_t *event, struct undo *u, int rc)
{
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		int changed;

		if (steps[i].bytes_only && rc != -E2BIG)
			continue;
		/* Steps already applied find nothing left and return 0. */
		changed = steps[i].step(event, u);
		if (changed < 0)
			return changed;
		if (changed == 0)
			continue;
		changed = record_drop(event, u, steps[i].name);
		return changed < 0 ? changed : 1;
	}
	return 0;
}

enum fit_status fit_event(json_t *event, const struct fit_limits *lim,
    char **out, size_t *outlen, bool *trimmed)
{
	struct undo u = { NULL, 0, 0, 0 };
	int rc, step;

	*trimmed = false;
	rc = try_fit(event, lim, out, outlen);
	while (rc == -E2BIG || rc == -EMLINK) {
		step = next_drop(event, &u, rc);
		if (step <= 0)
			return fail(&u, step < 0 ? step : rc);
		*trimmed = true;
		rc = try_fit(event, lim, out, outlen);
	}
	if (rc != 0) {
		*trimmed = false;
		return fail(&u, rc);
	}
	undo_commit(&u);
	return FIT_OK;
}
