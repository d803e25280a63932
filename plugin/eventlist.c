#include "eventlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/*
 * Deepest nesting of arrays and objects in the text, stopping once it
 * passes `limit`.  Runs before the parser so that a hostile line cannot
 * make any later recursive walk deep.
 */
static size_t
max_depth(const char *s, size_t n, size_t limit)
{
	size_t i, depth = 0, deepest = 0;
	bool in_string = false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			if (++depth > deepest && (deepest = depth) > limit)
				return deepest;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

static bool
is_audit_api_version(const json_t *v)
{
	return v == NULL || (json_is_string(v) &&
	    strncmp(json_string_value(v), AUDIT_API_GROUP,
	    strlen(AUDIT_API_GROUP)) == 0);
}

static int
parse_eventlist(struct batch *b, char *reason, size_t reasonlen)
{
	json_t *items = json_object_get(b->root, "items");

	if (!is_audit_api_version(json_object_get(b->root, "apiVersion")))
		return fail(reason, reasonlen,
		    "EventList apiVersion is not audit.k8s.io/*");
	if (!json_is_array(items))
		return fail(reason, reasonlen, "EventList has no items array");
	if (json_array_size(items) == 0)
		return fail(reason, reasonlen, "EventList has no items");
	b->items = items;
	b->count = json_array_size(items);
	return 0;
}

static int
classify(struct batch *b, char *reason, size_t reasonlen)
{
	const char *kind;

	if (json_is_array(b->root)) {
		if ((b->count = json_array_size(b->root)) == 0)
			return fail(reason, reasonlen, "empty array of events");
		b->items = b->root;
		return 0;
	}
	if (!json_is_object(b->root))
		return fail(reason, reasonlen,
		    "not an EventList, Event or array of events");
	kind = json_string_value(json_object_get(b->root, "kind"));
	if (kind != NULL && strcmp(kind, "EventList") == 0)
		return parse_eventlist(b, reason, reasonlen);
	/* A single Event: checked like any item, by the caller. */
	b->items = NULL;
	b->count = 1;
	return 0;
}

int
batch_parse(struct batch *b, const char *line, size_t len, char *reason,
    size_t reasonlen)
{
	json_error_t err;
	int rc;

	memset(b, 0, sizeof(*b));
	skip_bom(&line, &len);
	if (max_depth(line, len, EVENTLIST_MAX_DEPTH) > EVENTLIST_MAX_DEPTH)
		return fail(reason, reasonlen, "JSON nested deeper than %d levels",
		    EVENTLIST_MAX_DEPTH);
	b->root = json_loadb(line, len, JSON_ALLOW_NUL, &err);
	if (b->root == NULL) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return -ENOMEM;
		return fail(reason, reasonlen, "invalid JSON at byte %d: %s",
		    err.position, err.text);
	}
	if ((rc = classify(b, reason, reasonlen)) != 0)
		batch_free(b);
	return rc;
}

/*
 * The value of the root's last member `name` (jansson keeps the last of
 * repeated keys), decoded; NULL when absent.  -ENOMEM in *rc on failure.
 */
static json_t *
root_value(const struct jscan *sc, const char *text, const char *name,
    int *rc)
{
	const struct jmember *m = NULL;
	json_t *v;
	size_t i;

	for (i = 0; i < sc->nroot; i++) {
		if (jscan_key_is(text, &sc->root[i], name))
			m = &sc->root[i];
	}
	if (m == NULL)
		return NULL;
	v = json_loadb(text + m->value.off, m->value.len,
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v == NULL)
		*rc = -ENOMEM;	/* the scan validated it: only memory fails */
	return v;
}

/* batch_parse's reading of an EventList, from the scan. */
static int
scan_eventlist(struct span_batch *b, const struct jscan *sc, char *reason,
    size_t reasonlen)
{
	json_t *api;
	bool audit;
	int rc = 0;

	api = root_value(sc, b->text, "apiVersion", &rc);
	if (rc != 0)
		return rc;
	audit = is_audit_api_version(api);
	json_decref(api);
	if (!audit)
		return fail(reason, reasonlen,
		    "EventList apiVersion is not audit.k8s.io/*");
	if (!sc->has_items)
		return fail(reason, reasonlen, "EventList has no items array");
	if (sc->nitems == 0)
		return fail(reason, reasonlen, "EventList has no items");
	b->count = sc->nitems;
	return 0;
}

/* Keys that make the scan's idea of `items` differ from jansson's. */
static bool
items_ambiguous(const struct jscan *sc, const char *text)
{
	size_t i, n = 0;

	for (i = 0; i < sc->nroot; i++) {
		if (sc->root[i].key_escaped)
			return true;
		n += jscan_key_is(text, &sc->root[i], "items");
	}
	return n > 1;
}

static int
scan_classify(struct span_batch *b, const struct jscan *sc, char *reason,
    size_t reasonlen)
{
	json_t *kind;
	bool eventlist;
	int rc = 0;

	if (sc->root_is_array) {
		if ((b->count = sc->nitems) == 0)
			return fail(reason, reasonlen, "empty array of events");
		return 0;
	}
	if (items_ambiguous(sc, b->text))
		return -EAGAIN;
	kind = root_value(sc, b->text, "kind", &rc);
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

int
batch_scan(struct span_batch *b, struct jscan *sc, const char *line,
    size_t len, char *reason, size_t reasonlen)
{
	char why[192];

	memset(b, 0, sizeof(*b));
	skip_bom(&line, &len);
	b->sc = sc;
	b->text = line;
	switch (jscan_line(sc, line, len, EVENTLIST_MAX_DEPTH, why,
	    sizeof(why))) {
	case JSCAN_OK:
		return scan_classify(b, sc, reason, reasonlen);
	case JSCAN_TOO_DEEP:
		return fail(reason, reasonlen, "JSON nested deeper than %d levels",
		    EVENTLIST_MAX_DEPTH);
	case JSCAN_NOMEM:
		return -ENOMEM;
	case JSCAN_INVALID:
	default:
		return fail(reason, reasonlen, "invalid JSON: %s", why);
	}
}

const struct jobject *
batch_span_item(const struct span_batch *b, size_t i,
    const struct jmember **members)
{
	if (b->single) {
		*members = b->sc->root;
		return &b->sc->root_span;
	}
	*members = b->sc->members;
	return &b->sc->items[i];
}

json_t *
batch_item(const struct batch *b, size_t i)
{
	return b->items ? json_array_get(b->items, i) : b->root;
}

void
batch_free(struct batch *b)
{
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
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
		return fail(reason, reasonlen, "item is not a JSON object");
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
