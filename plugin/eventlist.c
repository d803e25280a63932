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
	    strncmp(json_string_value(v), "audit.k8s.io/", 13) == 0);
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
	/* A byte-order mark is not JSON, but editors put one in files. */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
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
