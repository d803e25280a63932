/*
 * pick: which body of an audit event the rule-ready fields come from.
 */
#include <stdlib.h>
#include <string.h>

#include "pick.h"

/* Member `key` of `event` when it is an object or an array. */
static const json_t *body_of(const json_t *event, const char *key)
{
	const json_t *b = json_object_get(event, key);

	return json_is_object(b) || json_is_array(b) ? b : NULL;
}

const json_t *pick_body(const json_t *event, bool (*has)(const json_t *))
{
	const json_t *req = body_of(event, "requestObject");
	const json_t *resp = body_of(event, "responseObject");

	if (resp != NULL && has(resp))
		return resp;
	if (req != NULL && has(req))
		return req;
	return NULL;
}

const char *pick_source(const json_t *event, const json_t *body)
{
	if (body == NULL)
		return NULL;
	return body == json_object_get(event, "responseObject") ? "response" :
	    "request";
}

/* An array index of a JSON pointer: digits, or "-" (past the end). */
static bool is_index(const char *s, size_t n)
{
	if (n == 1 && s[0] == '-')
		return true;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Segment `s` (`n` bytes) decoded ("~1" is '/', "~0" '~') into `out`. */
static void decode(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' ||
		    s[i + 1] == '1')) {
			out[k++] = s[++i] == '1' ? '/' : '~';
			continue;
		}
		out[k++] = s[i];
	}
	out[k] = '\0';
}

/* Put `child` (a new reference, consumed) under `seg` of `parent`. */
static int attach(json_t *parent, const char *seg, json_t *child)
{
	if (child == NULL)
		return -1;
	if (json_is_array(parent))
		return json_array_append_new(parent, child);
	return json_object_set_new(parent, seg, child);
}

/*
 * The view of one operation into *view: `value` at JSON pointer `path`
 * (not "") from an empty object, or NULL when the path is malformed or too
 * deep.  Returns 0, or -1 when memory runs out.
 */
static int view_at(const char *path, json_t *value, json_t **view)
{
	size_t len = strlen(path), depth = 0;
	json_t *root, *cur;
	const char *p;
	char *seg;

	*view = NULL;
	for (p = path; (p = strchr(p, '/')) != NULL; p++)
		depth++;
	if (path[0] != '/' || depth > PICK_PATCH_DEPTH)
		return 0;
	if ((root = json_object()) == NULL || (seg = malloc(len + 1)) == NULL) {
		json_decref(root);
		return -1;
	}
	cur = root;
	for (p = path + 1;; ) {
		size_t n = strcspn(p, "/");
		json_t *child;

		decode(p, n, seg);
		if (p[n] == '\0') {
			if (attach(cur, seg, json_incref(value)) != 0)
				break;
			free(seg);
			*view = root;
			return 0;
		}
		p += n + 1;
		child = is_index(p, strcspn(p, "/")) ? json_array() :
		    json_object();
		if (attach(cur, seg, child) != 0)
			break;
		cur = child;
	}
	free(seg);
	json_decref(root);
	return -1;
}

int pick_patch_view(const json_t *op, json_t **view)
{
	const char *kind = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	/* Shared, never modified: see pick.h. */
	json_t *value = json_object_get(op, "value");

	*view = NULL;
	if (kind == NULL || path == NULL || value == NULL ||
	    (strcmp(kind, "add") != 0 && strcmp(kind, "replace") != 0))
		return 0;
	if (path[0] == '\0') {
		if (json_is_object(value))
			*view = json_incref(value);
		return 0;
	}
	return view_at(path, value, view);
}
