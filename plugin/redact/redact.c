/*
 * redact: replace the secret values of an audit event by fingerprints.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"
#include "derive_configmap.h"
#include "fingerprint.h"
#include "k8sobj.h"
#include "needles.h"
#include "redact.h"
#include "redact_exec.h"
#include "redact_text.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"
#define OPENSHIFT_TOKEN "openshift.io/token-secret.value"
/* The same names in a JSON patch's path ('/' written "~1"). */
#define PATCH_ANNOTATIONS "/metadata/annotations/"
#define LAST_APPLIED_PTR "kubectl.kubernetes.io~1last-applied-configuration"
#define OPENSHIFT_TOKEN_PTR "openshift.io~1token-secret.value"
/* Bodies nest far less; this only bounds recursion on hostile input. */
#define MAX_DEPTH 4096
/* Annotations embedded in annotations in ...: real ones nest once; deeper
 * ones are replaced whole. */
#define MAX_EMBED 4
/*
 * More values to replace in one map or env list than a real object holds:
 * they are there to cost a fingerprint per few bytes, and the map or list
 * goes whole, with one (issue 21, class 4).
 */
#define MAX_VALUES 1024

struct redactor {
	const unsigned char *key;
	size_t keylen;
	struct fingerprinter fp;	/* under key */
	unsigned long count;
	int err;	/* first error; once set, nothing more is done */
	int embed;	/* depth of last-applied annotations being redacted */
	bool any;	/* redact_whole_value: objects shaped like audit Events are
			 * redacted as events, wherever they are */
	bool dry;	/* redact_bodies_change: change nothing, count the
			 * first value that would change and stop */
};

/* Nothing more to do: an error, or a dry run's answer is known. */
static bool stopped(const struct redactor *r)
{
	return r->err != 0 || (r->dry && r->count > 0);
}

static void walk(struct redactor *r, json_t *v, unsigned hint, int depth);
static void redact_body(struct redactor *r, json_t *event, const char *key,
    unsigned hint);

/* One length or count, as 8 bytes, for mac_value. */
static int mac_size(struct fingerprinter *f, char tag, size_t n)
{
	unsigned char b[9] = { (unsigned char)tag };

	for (int i = 0; i < 8; i++)
		b[1 + i] = (unsigned char)(n >> (8 * i));
	return fingerprinter_update(f, b, sizeof b);
}

/*
 * Feed `v` to the MAC in an unambiguous form (each value a type byte, each
 * string and container its length first, members in their order), with
 * no text built: a map of 100,000 values goes whole at the cost of its
 * bytes (MAX_VALUES).  Returns 0 or -EIO.
 */
static int mac_value(struct fingerprinter *f, const json_t *v)
{
	char num[32];
	const char *key;
	json_t *c;
	size_t i;
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		rc = mac_size(f, 'o', json_object_size(v));
		json_object_foreach((json_t *)v, key, c) {
			if (rc == 0)
				rc = mac_size(f, 'k', strlen(key));
			if (rc == 0)
				rc = fingerprinter_update(f, key, strlen(key));
			if (rc == 0)
				rc = mac_value(f, c);
		}
		return rc;
	case JSON_ARRAY:
		rc = mac_size(f, 'a', json_array_size(v));
		json_array_foreach(v, i, c) {
			if (rc == 0)
				rc = mac_value(f, c);
		}
		return rc;
	case JSON_STRING:
		rc = mac_size(f, 's', json_string_length(v));
		return rc != 0 ? rc : fingerprinter_update(f,
		    json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof num, "i%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return fingerprinter_update(f, num, strlen(num));
	case JSON_REAL:
		snprintf(num, sizeof num, "r%.17g", json_real_value(v));
		return fingerprinter_update(f, num, strlen(num));
	case JSON_TRUE:
		return fingerprinter_update(f, "t", 1);
	case JSON_FALSE:
		return fingerprinter_update(f, "f", 1);
	case JSON_NULL:
	default:
		return fingerprinter_update(f, "n", 1);
	}
}

/* The marker for `v`: a string's bytes, anything else by mac_value. */
static json_t *marker_of(struct redactor *r, const json_t *v, bool b64)
{
	char mark[FINGERPRINT_LEN + 1];
	int rc;

	if (!json_is_string(v))
		rc = fingerprinter_begin(&r->fp) != 0 ||
		    mac_value(&r->fp, v) != 0 ||
		    fingerprinter_end(&r->fp, mark) != 0 ? -EIO : 0;
	else if (b64)
		rc = fingerprinter_marker_b64(&r->fp, json_string_value(v),
		    json_string_length(v), mark);
	else
		rc = fingerprinter_marker(&r->fp, json_string_value(v),
		    json_string_length(v), mark);
	if (rc != 0) {
		r->err = rc;
		return NULL;
	}
	return json_string(mark);
}

/*
 * A value that already is a marker is left alone: a body can be reached
 * twice (a JSON patch's replacement Secret) and events can be replayed.
 */
static bool is_marker(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) == FINGERPRINT_LEN &&
	    strncmp(json_string_value(v), FINGERPRINT_PREFIX,
	    sizeof FINGERPRINT_PREFIX - 1) == 0;
}

/* Replace member `key` of `obj` (when present, not null, not a marker). */
static void replace_member(struct redactor *r, json_t *obj, const char *key,
    bool b64)
{
	json_t *v = json_object_get(obj, key);
	json_t *m;

	if (stopped(r) || v == NULL || json_is_null(v) || is_marker(v))
		return;
	if (r->dry) {
		r->count++;
		return;
	}
	m = marker_of(r, v, b64);
	if (m == NULL)
		return;
	if (json_object_set_new(obj, key, m) != 0) {
		r->err = -ENOMEM;
		return;
	}
	r->count++;
}

/* Replace every value of map `map` (a Secret's data or stringData). */
static void replace_values(struct redactor *r, json_t *map, bool b64)
{
	void *it;

	for (it = json_object_iter(map); it && !stopped(r);
	    it = json_object_iter_next(map, it)) {
		json_t *v = json_object_iter_value(it);
		json_t *m;

		if (json_is_null(v) || is_marker(v))
			continue;	/* null: a merge patch deleting the key */
		if (r->dry) {
			r->count++;
			return;
		}
		m = marker_of(r, v, b64);
		if (m == NULL)
			return;
		if (json_object_iter_set_new(map, it, m) != 0) {
			r->err = -ENOMEM;
			return;
		}
		r->count++;
	}
}

/* How many values of `map` replace_values replaces, up to MAX_VALUES + 1. */
static size_t values_to_replace(const json_t *map)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach((json_t *)map, key, v) {
		if (!json_is_null(v) && !is_marker(v) && ++n > MAX_VALUES)
			break;
	}
	return n;
}

/*
 * Member `key` of `obj` holds secret values: each, or all of it (not a
 * map, or a map of more than MAX_VALUES).
 */
static void redact_map_member(struct redactor *r, json_t *obj,
    const char *key, bool b64)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_object(v) && values_to_replace(v) <= MAX_VALUES)
		replace_values(r, v, b64);
	else
		replace_member(r, obj, key, b64);
}

static void redact_secret(struct redactor *r, json_t *obj)
{
	redact_map_member(r, obj, "data", true);
	redact_map_member(r, obj, "stringData", false);
}

/*
 * Redact the credentials inside the text of string member `key` of `obj`,
 * known to hold one: when no value can be told apart, or too many are,
 * all of it goes.
 */
static void redact_text_member(struct redactor *r, json_t *obj,
    const char *key)
{
	json_t *v = json_object_get(obj, key);
	unsigned long n = 0;
	char *text = NULL;
	size_t len;
	int rc;

	if (r->dry) {
		if (cred_text_assigns(json_string_value(v), json_string_length(v)))
			r->count++;
		else
			replace_member(r, obj, key, false);
		return;
	}
	rc = redact_text(&r->fp, json_string_value(v),
	    json_string_length(v), &text, &len, &n);
	if (rc != 0 && rc != -E2BIG) {
		r->err = rc;
		return;
	}
	if (rc == -E2BIG || n == 0)
		replace_member(r, obj, key, false);
	else if (json_object_set_new(obj, key, json_stringn(text, len)) != 0)
		r->err = -ENOMEM;
	else
		r->count += n;
	free(text);
}

/*
 * Member `member` of `obj` is the value of ConfigMap key `name`, known to
 * hold a credential.  When the key's name says so, or the value is not
 * text, it goes whole; a text that only contains credentials ("a file")
 * loses just their values, so the rest stays readable.
 */
static void redact_configmap_entry(struct redactor *r, json_t *obj,
    const char *member, const char *name)
{
	json_t *v = json_object_get(obj, member);

	if (cred_name_like(name, strlen(name)) || !json_is_string(v))
		replace_member(r, obj, member, false);
	else
		redact_text_member(r, obj, member);
}

/*
 * The credentials of ConfigMap map `map` (its `section`): each entry, or
 * the map whole when it holds more than MAX_VALUES.
 */
static void redact_configmap_map(struct redactor *r, json_t *obj,
    const char *member, const char *section)
{
	json_t *map = jobj(obj, member), *v;
	const char *key;
	size_t n = 0;

	json_object_foreach(map, key, v) {
		if (!json_is_null(v) && !is_marker(v) &&
		    configmap_key_is_credential(section, key, v) &&
		    ++n > MAX_VALUES) {
			replace_member(r, obj, member, false);
			return;
		}
	}
	/* Replacing the value of an existing key keeps the iteration valid. */
	json_object_foreach(map, key, v) {
		if (stopped(r))
			return;
		if (json_is_null(v) || is_marker(v) ||
		    !configmap_key_is_credential(section, key, v))
			continue;
		redact_configmap_entry(r, map, key, key);
	}
}

static void redact_configmap(struct redactor *r, json_t *obj)
{
	redact_configmap_map(r, obj, "data", "data");
	redact_configmap_map(r, obj, "binaryData", "binaryData");
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

/*
 * The closing quote (or `len`) of the string that opens at s[i] ('"');
 * *escaped says whether it holds a backslash escape.
 */
static size_t string_close(const char *s, size_t len, size_t i, bool *escaped)
{
	*escaped = false;
	for (i++; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\') {
			*escaped = true;
			i++;
		}
	}
	return i < len ? i : len;
}

/*
 * The array that follows `"env"` at s[i], which ends before s[*next]: does
 * a variable in it (at any depth) have a name that looks like a
 * credential, or one the text cannot tell (escaped)?
 */
static bool env_names_credential(const char *s, size_t len, size_t i,
    size_t *next)
{
	size_t depth = 0, close, v;
	bool escaped;

	*next = i;
	i = skip_ws(s, len, i);
	if (i == len || s[i] != ':')
		return false;
	i = skip_ws(s, len, i + 1);
	if (i == len || s[i] != '[')
		return false;
	for (; i < len; i++) {
		if (s[i] == '[' || s[i] == '{') {
			depth++;
		} else if ((s[i] == ']' || s[i] == '}') && --depth == 0) {
			break;
		} else if (s[i] == '"') {
			close = string_close(s, len, i, &escaped);
			v = close < len ? skip_ws(s, len, close + 1) : len;
			if (v < len && s[v] == ':' && escaped)
				return true;
			if (v < len && s[v] == ':' && close - i == 5 &&
			    memcmp(s + i, "\"name", 5) == 0) {
				v = skip_ws(s, len, v + 1);
				if (v < len && s[v] == '"') {
					close = string_close(s, len, v, &escaped);
					if (escaped || cred_name_like(s + v + 1,
					    close - v - 1))
						return true;
				}
			}
			i = close;
		}
	}
	*next = i;
	return false;
}

/* Is there a container env whose variables redact_env may change? */
static bool env_may_change(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	size_t next;

	while ((p = memmem(p, (size_t)(end - p), "\"env\"", 5)) != NULL) {
		if (env_names_credential(s, len, (size_t)(p - s) + 5, &next))
			return true;
		p = s + next;
	}
	return false;
}

bool redact_may_change(const char *s, size_t len)
{
	/* The annotations by their ends (rarer first bytes, same answer). */
	static const char *const needles[] = {
		"Secret", "Token", "ConfigMap", "/token-secret.value",
		"/last-applied-configuration",
		"\\u",	/* an escaped kind name would hide from the others */
	};

	return needles_find(needles, sizeof needles / sizeof needles[0], s,
	    len) || env_may_change(s, len);
}

/*
 * Member `key` of `obj` is JSON text of a whole object: parse it, redact it
 * as a body with `hint`, and write it back when something changed.  Text
 * that may hold a credential but does not parse (kubectl writes a NUL in
 * stringData as \u0000, which jansson refuses) cannot be redacted: it is
 * replaced whole, never passed through.
 */
static void redact_embedded(struct redactor *r, json_t *obj, const char *key,
    unsigned hint, int depth)
{
	json_t *v = json_object_get(obj, key);
	unsigned long before = r->count;
	json_t *inner;
	char *text;

	if (!json_is_string(v) ||
	    (hint == REDACT_HINT_NONE && !redact_may_change(json_string_value(v),
	    json_string_length(v))))
		return;
	/* Nested deeper than real ones are: it goes whole, never in clear. */
	if (r->embed >= MAX_EMBED) {
		replace_member(r, obj, key, false);
		return;
	}
	inner = json_loadb(json_string_value(v), json_string_length(v), 0, NULL);
	if (inner == NULL) {
		replace_member(r, obj, key, false);
		return;
	}
	r->embed++;
	walk(r, inner, hint, depth + 1);
	r->embed--;
	if (r->err == 0 && !r->dry && r->count != before) {
		text = json_dumps(inner, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL || json_object_set_new(obj, key,
		    json_string(text)) != 0)
			r->err = -ENOMEM;
		free(text);
	}
	json_decref(inner);
}

static void redact_annotations(struct redactor *r, json_t *ann,
    unsigned hint, int depth)
{
	if (!json_is_object(ann))
		return;
	redact_embedded(r, ann, LAST_APPLIED, hint, depth);
	replace_member(r, ann, OPENSHIFT_TOKEN, false);
}

/* JSON pointer `path` is `prefix` or below it. */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* One JSON-patch operation on a Secret. */
static void secret_patch_op(struct redactor *r, json_t *op, int depth)
{
	const char *path = jstr(op, "path");
	json_t *value = jget(op, "value");

	if (path == NULL || value == NULL)
		return;
	if (strcmp(path, "/data") == 0 || strcmp(path, "/stringData") == 0)
		redact_map_member(r, op, "value", path[1] == 'd');
	else if (path_under(path, "/data") || path_under(path, "/stringData"))
		replace_member(r, op, "value", path[1] == 'd');
	else if (path[0] == '\0' || strcmp(path, "/") == 0)
		walk(r, value, REDACT_HINT_SECRET, depth + 1);
}

/*
 * One JSON-patch operation on a Secret's annotations: the ones
 * redact_annotations reads, by their JSON-pointer names.
 */
static void annotation_patch_op(struct redactor *r, json_t *op, int depth)
{
	const char *path = jstr(op, "path");
	json_t *value = jget(op, "value");

	if (path == NULL || value == NULL)
		return;
	if (strcmp(path, "/metadata") == 0)
		redact_annotations(r, jobj(value, "annotations"),
		    REDACT_HINT_SECRET, depth);
	else if (strcmp(path, "/metadata/annotations") == 0)
		redact_annotations(r, value, REDACT_HINT_SECRET, depth);
	else if (strcmp(path, PATCH_ANNOTATIONS LAST_APPLIED_PTR) == 0)
		redact_embedded(r, op, "value", REDACT_HINT_SECRET, depth);
	else if (strcmp(path, PATCH_ANNOTATIONS OPENSHIFT_TOKEN_PTR) == 0)
		replace_member(r, op, "value", false);
}

/* One JSON-patch operation on a ConfigMap. */
static void configmap_patch_op(struct redactor *r, json_t *op)
{
	const char *path = jstr(op, "path");
	json_t *value = jget(op, "value");
	const char *section, *name;

	if (path == NULL || value == NULL)
		return;
	section = path_under(path, "/data") ? "data" :
	    path_under(path, "/binaryData") ? "binaryData" : NULL;
	if (section == NULL)
		return;
	if (strchr(path + 1, '/') == NULL) {
		redact_configmap_map(r, op, "value", section);
		return;
	}
	name = strchr(path + 1, '/') + 1;
	if (configmap_key_is_credential(section, name, value))
		redact_configmap_entry(r, op, "value", name);
}

static void walk_patch(struct redactor *r, json_t *ops, unsigned hint,
    int depth)
{
	size_t i;
	json_t *op;

	json_array_foreach(ops, i, op) {
		if (stopped(r) || !json_is_object(op))
			return;
		if (hint & REDACT_HINT_SECRET) {
			secret_patch_op(r, op, depth);
			annotation_patch_op(r, op, depth);
		}
		if (hint & REDACT_HINT_CONFIGMAP)
			configmap_patch_op(r, op);
	}
}

unsigned redact_kind_hint(const char *kind)
{
	static const struct {
		const char *kind;
		unsigned hint;
	} kinds[] = {
		{ "Secret", REDACT_HINT_SECRET },
		{ "TokenRequest", REDACT_HINT_TOKEN_REQUEST },
		{ "TokenReview", REDACT_HINT_TOKEN_REVIEW },
		{ "ConfigMap", REDACT_HINT_CONFIGMAP },
	};

	size_t n = kind != NULL ? strlen(kind) : 0;

	/* A list of a kind (SecretList) says what its items are. */
	if (n > 4 && strcmp(kind + n - 4, "List") == 0)
		n -= 4;
	for (size_t i = 0; kind != NULL && i < sizeof kinds / sizeof *kinds; i++)
		if (strlen(kinds[i].kind) == n &&
		    strncmp(kind, kinds[i].kind, n) == 0)
			return kinds[i].hint;
	return REDACT_HINT_NONE;
}

static bool key_is(const char *key, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(key, name, len) == 0;
}

/* Keep in step with redact_object and walk. */
bool redact_hinted_member(unsigned body_hint, unsigned hint, const char *key,
    size_t len)
{
	hint |= body_hint;
	if ((hint & REDACT_HINT_SECRET) && (key_is(key, len, "data") ||
	    key_is(key, len, "stringData")))
		return true;
	if ((hint & REDACT_HINT_CONFIGMAP) && (key_is(key, len, "data") ||
	    key_is(key, len, "binaryData")))
		return true;
	if ((hint & REDACT_HINT_TOKEN_REQUEST) && key_is(key, len, "status"))
		return true;
	if ((hint & REDACT_HINT_TOKEN_REVIEW) && key_is(key, len, "spec"))
		return true;
	return hint != REDACT_HINT_NONE && (key_is(key, len, "items") ||
	    key_is(key, len, "rows"));
}

/* Redactions that apply to `obj` itself, by its kind or by the hint. */
static void redact_object(struct redactor *r, json_t *obj, unsigned hint,
    int depth)
{
	unsigned h = hint | redact_kind_hint(jstr(obj, "kind"));

	if (h & REDACT_HINT_SECRET)
		redact_secret(r, obj);
	if (h & REDACT_HINT_TOKEN_REQUEST)
		replace_member(r, jobj(obj, "status"), "token", false);
	if (h & REDACT_HINT_TOKEN_REVIEW)
		replace_member(r, jobj(obj, "spec"), "token", false);
	if (h & REDACT_HINT_CONFIGMAP)
		redact_configmap(r, obj);
	/* The kind's hint too: a Secret inside a Table, a List or a
	 * Template embeds its stringData in its last-applied annotation. */
	redact_annotations(r, jobj(jobj(obj, "metadata"), "annotations"),
	    h, depth);
}

/*
 * A container's env list, member `key` of `obj`: the `value` of a variable
 * whose name looks like a credential (DB_PASSWORD) is one, written in the
 * pod spec in clear.  More than MAX_VALUES of them: the list goes whole.
 */
static void redact_env(struct redactor *r, json_t *obj, const char *key)
{
	json_t *env = json_object_get(obj, key), *var;
	size_t i, n = 0;

	json_array_foreach(env, i, var) {
		const char *name = jstr(var, "name");
		json_t *v = jget(var, "value");

		if (name != NULL && v != NULL && !json_is_null(v) &&
		    !is_marker(v) && cred_name_like(name, strlen(name)) &&
		    ++n > MAX_VALUES) {
			replace_member(r, obj, key, false);
			return;
		}
	}
	json_array_foreach(env, i, var) {
		const char *name = jstr(var, "name");

		if (name != NULL && cred_name_like(name, strlen(name)))
			replace_member(r, var, "value", false);
	}
}

/* Has `v` (an object) the members of an audit Event that redaction reads? */
static bool like_event(const json_t *v)
{
	return json_object_get(v, "requestObject") != NULL ||
	    json_object_get(v, "responseObject") != NULL ||
	    json_is_object(json_object_get(v, "objectRef"));
}

/*
 * redact_event and redact_exec of an object shaped like an audit Event,
 * for redact_whole_value: its bodies with the hint its objectRef gives.
 */
static void redact_as_event(struct redactor *r, json_t *v)
{
	unsigned long n = 0;
	struct head h;
	int rc;

	if (r->err != 0)
		return;
	head_from_json(v, &h);
	redact_body(r, v, "requestObject", redact_hint_of(&h));
	redact_body(r, v, "responseObject", redact_hint_of(&h));
	rc = redact_exec(v, r->key, r->keylen, &n);
	r->count += n;
	if (rc != 0 && r->err == 0)
		r->err = rc;
}

/*
 * The rows of a Table (`kubectl get` asks the apiserver for one): with
 * includeObject=Object each row's `object` is one object of the listed
 * resource, which the body's hint names even when the object does not say
 * its kind.
 */
static void walk_rows(struct redactor *r, json_t *rows, unsigned hint,
    int depth)
{
	size_t i;
	json_t *row;

	if (hint == REDACT_HINT_NONE)
		return;
	json_array_foreach(rows, i, row)
		walk(r, jobj(row, "object"), hint, depth + 2);
}

/*
 * Walk a body.  The hint applies to the body, to the elements of an array
 * body (patch operations), to the `items` of a list body and to the
 * objects of a Table's `rows`; everything deeper is recognised by its own
 * kind.
 */
static void walk(struct redactor *r, json_t *v, unsigned hint, int depth)
{
	const char *key;
	json_t *child;
	size_t i;

	if (stopped(r) || depth > MAX_DEPTH)
		return;
	if (json_is_array(v)) {
		walk_patch(r, v, hint, depth);
		/* List items (and patch operations) share the body's hint. */
		json_array_foreach(v, i, child)
			walk(r, child, hint, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	if (r->any && like_event(v))
		redact_as_event(r, v);
	redact_object(r, v, hint, depth);
	/* What a list's items and a Table's rows are: the body's hint, or
	 * the list's own kind (SecretList). */
	hint |= redact_kind_hint(jstr(v, "kind"));
	json_object_foreach(v, key, child) {
		/* managedFields name fields, never hold their values. */
		if (strcmp(key, "managedFields") == 0 ||
		    !(json_is_object(child) || json_is_array(child)))
			continue;
		if (strcmp(key, "env") == 0) {
			redact_env(r, v, key);
			/* It may have been replaced: what is there now. */
			child = json_object_get(v, key);
		}
		if (strcmp(key, "rows") == 0)
			walk_rows(r, child, hint, depth);
		walk(r, child, strcmp(key, "items") == 0 ? hint : REDACT_HINT_NONE,
		    depth + 1);
	}
}

unsigned redact_hint_of(const struct head *h)
{
	const char *res = h->resource, *sub = h->subresource;

	if (res == NULL)
		return REDACT_HINT_NONE;
	if (strcmp(res, "secrets") == 0)
		return REDACT_HINT_SECRET;
	if (strcmp(res, "configmaps") == 0)
		return REDACT_HINT_CONFIGMAP;
	if (strcmp(res, "tokenreviews") == 0)
		return REDACT_HINT_TOKEN_REVIEW;
	if (strcmp(res, "serviceaccounts") == 0 && sub != NULL &&
	    strcmp(sub, "token") == 0)
		return REDACT_HINT_TOKEN_REQUEST;
	return REDACT_HINT_NONE;
}

static void redact_body(struct redactor *r, json_t *event, const char *key,
    unsigned hint)
{
	json_t *body = json_object_get(event, key);

	if (body == NULL || json_is_null(body))
		return;
	/* A Secret body that is not JSON (YAML apply, raw text): all of it. */
	if (!json_is_object(body) && !json_is_array(body)) {
		if (hint & REDACT_HINT_SECRET)
			replace_member(r, event, key, false);
		return;
	}
	walk(r, body, hint, 1);
}

int redact_event(json_t *event, const unsigned char *key, size_t keylen,
    unsigned long *count)
{
	struct head h;

	head_from_json(event, &h);
	return redact_bodies(event, redact_hint_of(&h), key, keylen, count);
}

int redact_bodies(json_t *event, unsigned hint, const unsigned char *key,
    size_t keylen, unsigned long *count)
{
	struct redactor r = { key, keylen, { NULL, 0, NULL }, 0, 0, 0, false,
		false };

	fingerprinter_init(&r.fp, key, keylen);
	redact_body(&r, event, "requestObject", hint);
	redact_body(&r, event, "responseObject", hint);
	fingerprinter_free(&r.fp);
	*count = r.count;
	return r.err;
}

int redact_bodies_change(json_t *event, unsigned hint, bool *changes)
{
	struct redactor r = { NULL, 0, { NULL, 0, NULL }, 0, 0, 0, false,
		true };

	redact_body(&r, event, "requestObject", hint);
	redact_body(&r, event, "responseObject", hint);
	*changes = r.count > 0;
	return r.err;
}

int redact_whole_value(json_t *value, const unsigned char *key, size_t keylen,
    unsigned long *count)
{
	struct redactor r = { key, keylen, { NULL, 0, NULL }, 0, 0, 0, true,
		false };

	fingerprinter_init(&r.fp, key, keylen);
	/* Not JSON text of an object or array: nothing redaction reads. */
	walk(&r, value, REDACT_HINT_NONE, 1);
	fingerprinter_free(&r.fp);
	*count = r.count;
	return r.err;
}
