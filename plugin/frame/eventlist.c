#include "eventlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonspan.h"

static int
fail(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reasonlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Skip a byte-order mark: not JSON, but editors put one in files. */
static void
skip_bom(const char **line, size_t *len)
{
	if (*len >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
		*line += 3;
		*len -= 3;
	}
}

static bool
is_audit_api_version(const json_t *v)
{
	return v == NULL || (json_is_string(v) &&
	    strncmp(json_string_value(v), AUDIT_API_GROUP,
	    strlen(AUDIT_API_GROUP)) == 0);
}

/*
 * The value of the root's member `name` as jansson reads it: keys
 * unescaped, the last of repeated keys kept; NULL when absent.  -ENOMEM in
 * *rc on failure, -EINVAL when the value is damaged (jscan_frame).
 */
static json_t *
root_value(const struct jscan *sc, const char *text, const char *name,
    int *rc)
{
	const struct jmember *m = jscan_last(sc->root, sc->nroot, text, name);
	json_t *v;

	if (m == NULL)
		return NULL;
	if (m->bad != 0) {
		*rc = -EINVAL;
		return NULL;
	}
	v = json_loadb(text + m->value.off, m->value.len,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL)
		*rc = -ENOMEM;	/* the scan validated it: only memory fails */
	return v;
}

/* An EventList, read from the scan as jansson's tree would read it. */
static int
scan_eventlist(struct span_batch *b, const struct jscan *sc, char *reason,
    size_t reasonlen)
{
	json_t *api;
	bool audit;
	int rc = 0;

	api = root_value(sc, b->text, "apiVersion", &rc);
	if (rc == -EINVAL)
		return fail(reason, reasonlen, "invalid JSON in the EventList's "
		    "apiVersion");
	if (rc != 0)
		return rc;
	audit = is_audit_api_version(api);
	json_decref(api);
	if (!audit)
		return fail(reason, reasonlen,
		    "EventList apiVersion is not audit.k8s.io/*");
	if (!sc->has_items)
		return fail(reason, reasonlen, "EventList has no items array");
	if (sc->items_total == 0)
		return fail(reason, reasonlen, "EventList has no items");
	b->count = sc->items_total;
	return 0;
}

static int
scan_classify(struct span_batch *b, const struct jscan *sc, char *reason,
    size_t reasonlen)
{
	json_t *kind;
	bool eventlist;
	int rc = 0;

	if (sc->root_is_array) {
		if ((b->count = sc->items_total) == 0)
			return fail(reason, reasonlen, "empty array of events");
		return 0;
	}
	kind = root_value(sc, b->text, "kind", &rc);
	if (rc == -EINVAL)
		return fail(reason, reasonlen, "invalid JSON in the root's kind");
	if (rc != 0)
		return rc;
	eventlist = json_is_string(kind) &&
	    strcmp(json_string_value(kind), "EventList") == 0;
	json_decref(kind);
	if (eventlist)
		return scan_eventlist(b, sc, reason, reasonlen);
	b->single = true;
	b->count = 1;
	return 0;
}

/*
 * After a scan that broke: the whole events before the break, when what
 * came before it says they are events (a root array, or a root object
 * whose kind and apiVersion, read before `items`, say audit EventList).
 * The event the scan broke in has no length yet.
 */
static void
salvage(struct span_batch *b, const struct jscan *sc)
{
	json_t *kind, *api;
	bool events;
	int rc = 0;

	if (!sc->root_is_array) {
		kind = root_value(sc, b->text, "kind", &rc);
		api = root_value(sc, b->text, "apiVersion", &rc);
		events = rc == 0 && json_is_string(kind) && strcmp(
		    json_string_value(kind), "EventList") == 0 && api != NULL &&
		    is_audit_api_version(api);
		json_decref(kind);
		json_decref(api);
		if (!events)
			return;
	}
	/* items_total counts whole elements only. */
	b->salvaged = b->count = sc->items_total;
}

int
batch_scan(struct span_batch *b, struct jscan *sc, const char *line,
    size_t len, char *reason, size_t reasonlen)
{
	char why[192];

	memset(b, 0, sizeof(*b));
	skip_bom(&line, &len);
	b->sc = sc;
	b->text = line;
	switch (jscan_frame(sc, line, len, EVENTLIST_MAX_DEPTH, why,
	    sizeof(why))) {
	case JSCAN_OK:
		b->framed = true;
		return scan_classify(b, sc, reason, reasonlen);
	case JSCAN_TOO_DEEP:
		return fail(reason, reasonlen, "JSON nested deeper than %d levels",
		    EVENTLIST_MAX_DEPTH);
	case JSCAN_NOMEM:
		return -ENOMEM;
	case JSCAN_INVALID:
	default:
		salvage(b, sc);
		return fail(reason, reasonlen, "invalid JSON: %s", why);
	}
}

const struct jobject *
batch_span_item(const struct span_batch *b, size_t i,
    const struct jmember **members)
{
	const struct jobject *ev;

	if (b->single) {
		*members = b->sc->root;
		return &b->sc->root_span;
	}
	ev = jscan_item(b->sc, i);
	*members = b->sc->members;
	return ev;
}

const char *
batch_bad_reason(unsigned bad)
{
	if (bad & (JBAD_KEY | JBAD_NUL_KEY))
		return "invalid key";
	if (bad & JBAD_DEEP)
		return "nested deeper than 64 levels";
	if (bad & JBAD_NUMBER)
		return "number out of range";
	if (bad & JBAD_UTF8)
		return "invalid UTF-8";
	if (bad & JBAD_ESCAPE)
		return "invalid escape";
	if (bad & JBAD_CONTROL)
		return "control character";
	return "invalid";
}

_Static_assert(EVENTLIST_MAX_DEPTH == 64, "batch_bad_reason names 64");

int
batch_marker(char *buf, size_t cap, size_t len, unsigned bad)
{
	return snprintf(buf, cap, "[DROPPED %zu bytes: %s]", len,
	    batch_bad_reason(bad));
}

static json_t *
marker(size_t len, unsigned bad)
{
	char buf[BATCH_MARKER_MAX];

	batch_marker(buf, sizeof(buf), len, bad);
	return json_string(buf);
}

/* Append `name` (and `what`) to the comma list `dropped`; "..." once full. */
static void
name_dropped(char *dropped, size_t cap, const char *name, size_t namelen,
    const char *what)
{
	size_t n = strlen(dropped), need = namelen + strlen(what) + 1 + (n > 0);

	if (cap < 5 || (n >= 3 && strcmp(dropped + n - 3, "...") == 0))
		return;
	if (n + need + 4 > cap) {
		snprintf(dropped + n, cap - n, "%s...", n > 0 ? "," : "");
		return;
	}
	snprintf(dropped + n, cap - n, "%s%.*s%s", n > 0 ? "," : "",
	    (int)namelen, name, what);
}

/* A key fit to name in k8s.dropped: short, printable, no comma. */
static bool
nameable(const char *key, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (key[i] < 0x21 || key[i] > 0x7e || key[i] == ',')
			return false;
	return true;
}

/*
 * How deep damaged metadata is taken apart: user.extra.<key>[i] is three
 * levels down; deeper damage costs the whole value at this depth.  Each
 * level scans only the damaged values of the one above: every byte is
 * scanned at most REDUCE_DEPTH + 1 times.
 */
#define REDUCE_DEPTH 4
/* Room for the path a marker is named by ("user.extra.<key>[12]"). */
#define REDUCE_PATH 96

static int reduce_value(const char *text, struct jspan v, unsigned bad,
    int depth, const char *path, json_t **out, char *dropped,
    size_t droppedlen);

/* The path of a member (".key") or element ("[i]") below `path`. */
static void
sub_path(char *buf, const char *path, const char *key, size_t keylen,
    long index)
{
	if (index >= 0)
		snprintf(buf, REDUCE_PATH, "%s[%ld]", path, index);
	else if (nameable(key, keylen))
		snprintf(buf, REDUCE_PATH, "%s.%.*s", path, (int)keylen, key);
	else
		snprintf(buf, REDUCE_PATH, "%s.member", path);
}

/* The unescaped key of member `m`: in small, or malloc'ed (*key). */
static int
member_key(const char *text, const struct jmember *m, char *small,
    size_t smallcap, char **key, size_t *len)
{
	struct jspan quoted = { m->key.off - 1, m->key.len + 2 };

	*key = small;
	if (m->key.len >= smallcap && (*key = malloc(m->key.len + 1)) == NULL)
		return -ENOMEM;
	*len = jspan_string(text, quoted, *key);
	(*key)[*len] = '\0';
	return 0;
}

/* Member `m` (undamaged key) into `obj`, reduced below `path` if need be. */
static int
reduce_into(json_t *obj, const char *text, const struct jmember *m,
    int depth, const char *path, char *dropped, size_t droppedlen)
{
	char small[128], sub[REDUCE_PATH], *key;
	json_t *v = NULL;
	size_t n;
	int rc;

	if ((rc = member_key(text, m, small, sizeof(small), &key, &n)) != 0)
		return rc;
	if (path != NULL)
		sub_path(sub, path, key, n, -1);
	else
		snprintf(sub, sizeof(sub), "%.*s", nameable(key, n) ? (int)n :
		    6, nameable(key, n) ? key : "member");
	rc = reduce_value(text, m->value, m->bad, depth, sub, &v, dropped,
	    droppedlen);
	if (rc == 0 && json_object_setn_new(obj, key, n, v) != 0)
		rc = -ENOMEM;
	if (key != small)
		free(key);
	return rc;
}

/* The members of damaged object `o` (scanned in *sc), each reduced. */
static int
reduce_object(const char *text, const struct jscan *sc, int depth,
    const char *path, json_t **out, char *dropped, size_t droppedlen)
{
	char sub[REDUCE_PATH];

	if ((*out = json_object()) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sc->nroot; i++) {
		if (sc->root[i].bad & JBAD_KEY) {
			sub_path(sub, path, "key", 3, -1);
			name_dropped(dropped, droppedlen, sub, strlen(sub),
			    ":invalid");
			continue;
		}
		if (reduce_into(*out, text, &sc->root[i], depth, path,
		    dropped, droppedlen) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* The elements of damaged array (scanned in *sc), each reduced. */
static int
reduce_array(const char *text, const struct jscan *sc, int depth,
    const char *path, json_t **out, char *dropped, size_t droppedlen)
{
	char sub[REDUCE_PATH];
	json_t *v;

	if ((*out = json_array()) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < sc->nitems; i++) {
		sub_path(sub, path, NULL, 0, (long)i);
		if (reduce_value(text, sc->items[i].span, sc->items[i].bad,
		    depth, sub, &v, dropped, droppedlen) != 0 ||
		    json_array_append_new(*out, v) != 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Value `v` of `text`, damaged as `bad` says, at `path`: as it is when
 * undamaged; else an object or array (one of the event's metadata, at most
 * REDUCE_DEPTH levels down) with only its damaged parts replaced, so that
 * a bad byte in user.extra costs that value and not the event's `user`;
 * else the marker, named in `dropped`.  Bodies are replaced whole: their
 * bulk is what the marker saves.
 */
static int
reduce_value(const char *text, struct jspan v, unsigned bad, int depth,
    const char *path, json_t **out, char *dropped, size_t droppedlen)
{
	char why[64];
	struct jscan sc;
	int rc;

	*out = NULL;
	if (bad == 0) {
		*out = jspan_load(text, v);
		return *out ? 0 : -ENOMEM;
	}
	if (depth >= REDUCE_DEPTH ||
	    (text[v.off] != '{' && text[v.off] != '[') ||
	    (depth == 0 && (strcmp(path, "requestObject") == 0 ||
	    strcmp(path, "responseObject") == 0))) {
		name_dropped(dropped, droppedlen, path, strlen(path),
		    ":invalid");
		*out = marker(v.len, bad);
		return *out ? 0 : -ENOMEM;
	}
	/*
	 * The value frames: a scan of it alone finds its damaged parts.  It
	 * lies `depth` + 2 levels down in its line at most (root, items, the
	 * event): nesting is bounded as the line's is.
	 */
	jscan_init(&sc);
	if (jscan_frame(&sc, text + v.off, v.len, EVENTLIST_MAX_DEPTH - 2 -
	    (size_t)depth, why, sizeof(why)) != JSCAN_OK)
		rc = -ENOMEM;
	else if (sc.root_is_array)
		rc = reduce_array(text + v.off, &sc, depth + 1, path, out,
		    dropped, droppedlen);
	else
		rc = reduce_object(text + v.off, &sc, depth + 1, path, out,
		    dropped, droppedlen);
	jscan_free(&sc);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
batch_reduce(const char *text, const struct jobject *ev,
    const struct jmember *members, json_t **out, char *dropped,
    size_t droppedlen)
{
	const struct jmember *m = members + ev->first;
	json_t *obj;
	size_t i;

	if (droppedlen > 0)
		dropped[0] = '\0';
	if (!ev->is_object) {
		*out = ev->bad ? marker(ev->span.len, ev->bad) :
		    jspan_load(text, ev->span);
		return *out ? 0 : -ENOMEM;
	}
	if ((obj = json_object()) == NULL)
		return -ENOMEM;
	for (i = 0; i < ev->count; i++) {
		if (m[i].bad & JBAD_KEY) {
			name_dropped(dropped, droppedlen, "key", 3, ":invalid");
			continue;
		}
		if (reduce_into(obj, text, &m[i], 0, NULL, dropped,
		    droppedlen) != 0) {
			json_decref(obj);
			return -ENOMEM;
		}
	}
	*out = obj;
	return 0;
}

/* A growing text buffer for batch_reduce_text. */
struct text_buf {
	char *p;
	size_t len, cap;
};

static int
put(struct text_buf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *grown;

	while (cap - b->len < n + 1)
		cap *= 2;
	if (cap != b->cap) {
		if ((grown = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Member `m` of `text` (undamaged key, damaged value) as reduce_into
 * reduces it, its compact JSON text appended to `b`. */
static int
put_reduced(struct text_buf *b, const char *text, const struct jmember *m,
    char *dropped, size_t droppedlen)
{
	char small[128], sub[REDUCE_PATH], *key, *dump;
	json_t *v = NULL;
	size_t n;
	int rc;

	if ((rc = member_key(text, m, small, sizeof(small), &key, &n)) != 0)
		return rc;
	snprintf(sub, sizeof(sub), "%.*s", nameable(key, n) ? (int)n : 6,
	    nameable(key, n) ? key : "member");
	if (key != small)
		free(key);
	if ((rc = reduce_value(text, m->value, m->bad, 0, sub, &v, dropped,
	    droppedlen)) != 0)
		return rc;
	dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (dump == NULL)
		return -ENOMEM;
	rc = put(b, dump, strlen(dump));
	free(dump);
	return rc;
}

int
batch_reduce_text(const char *text, const struct jobject *ev,
    const struct jmember *members, char **out, size_t *outlen,
    char *dropped, size_t droppedlen)
{
	const struct jmember *m = members + ev->first;
	struct text_buf b = { NULL, 0, 0 };
	bool first = true;
	int rc = 0;

	*out = NULL;
	*outlen = 0;
	if (droppedlen > 0)
		dropped[0] = '\0';
	if (!ev->is_object)
		return -EINVAL;
	rc = put(&b, "{", 1);
	for (size_t i = 0; rc == 0 && i < ev->count; i++) {
		if (m[i].bad & JBAD_KEY) {
			name_dropped(dropped, droppedlen, "key", 3, ":invalid");
			continue;
		}
		/* The key's bytes as written, quotes included. */
		if ((!first && (rc = put(&b, ",", 1)) != 0) ||
		    (rc = put(&b, text + m[i].key.off - 1,
		    m[i].key.len + 2)) != 0 || (rc = put(&b, ":", 1)) != 0)
			break;
		first = false;
		rc = m[i].bad == 0 ? put(&b, text + m[i].value.off,
		    m[i].value.len) : put_reduced(&b, text, &m[i], dropped,
		    droppedlen);
	}
	if (rc == 0)
		rc = put(&b, "}", 1);
	if (rc != 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

/* Members every audit.k8s.io/v1 Event carries, all strings. */
static const char *const required_strings[] = {
	"auditID", "stage", "verb", "requestURI", "level"
};

/* Optional members and the JSON type each must have when present. */
static const struct {
	const char *name;
	json_type type;
} optional_members[] = {
	{ "objectRef", JSON_OBJECT },
	{ "impersonatedUser", JSON_OBJECT },
	{ "responseStatus", JSON_OBJECT },
	{ "annotations", JSON_OBJECT },
	{ "sourceIPs", JSON_ARRAY },
	{ "userAgent", JSON_STRING },
	{ "requestReceivedTimestamp", JSON_STRING },
	{ "stageTimestamp", JSON_STRING },
};

static int
check_annotations(const json_t *ann, char *reason, size_t reasonlen)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)ann, key, value) {
		if (!json_is_string(value))
			return fail(reason, reasonlen,
			    "annotation %.100s is not a string", key);
	}
	return 0;
}

int
event_check(const json_t *item, char *reason, size_t reasonlen)
{
	const char *kind;
	const json_t *v;
	size_t i;

	if (!json_is_object(item))
		return fail(reason, reasonlen, EVENT_NOT_OBJECT);
	v = json_object_get(item, "kind");
	kind = json_string_value(v);
	if (v != NULL && (kind == NULL || strcmp(kind, "Event") != 0))
		return fail(reason, reasonlen, "not an audit Event (kind)");
	if (!is_audit_api_version(json_object_get(item, "apiVersion")))
		return fail(reason, reasonlen,
		    "not an audit Event (apiVersion is not audit.k8s.io/*)");
	for (i = 0; i < sizeof(required_strings) / sizeof(*required_strings);
	    i++) {
		if (!json_is_string(json_object_get(item, required_strings[i])))
			return fail(reason, reasonlen,
			    "audit Event without string %s", required_strings[i]);
	}
	if (!json_is_object(json_object_get(item, "user")))
		return fail(reason, reasonlen, "audit Event without user object");
	for (i = 0; i < sizeof(optional_members) / sizeof(*optional_members);
	    i++) {
		v = json_object_get(item, optional_members[i].name);
		if (v != NULL && json_typeof(v) != optional_members[i].type)
			return fail(reason, reasonlen, "audit Event member %s "
			    "has the wrong type", optional_members[i].name);
	}
	v = json_object_get(item, "annotations");
	return v ? check_annotations(v, reason, reasonlen) : 0;
}
