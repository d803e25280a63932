#include "firehose.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inflate.h"
#include "jsonscan.h"
#include "jsonspan.h"

/* EKS cluster names: 1-100 of [0-9A-Za-z_-] (CreateCluster's pattern). */
#define EKS_NAME_MAX 100

/*
 * A subscription record nests 3 levels; deeper values (none CloudWatch
 * writes) are stepped over by jscan_frame and marked, not recursed into.
 */
#define SUBSCRIPTION_MAX_DEPTH 8

/* <cluster> of "/aws/eks/<cluster>/cluster" into buf, else "". */
static void
eks_cluster(const char *group, char *buf, size_t cap)
{
	static const char prefix[] = "/aws/eks/", suffix[] = "/cluster";
	size_t n;

	buf[0] = '\0';
	if (group == NULL || strncmp(group, prefix, sizeof(prefix) - 1) != 0)
		return;
	group += sizeof(prefix) - 1;
	n = strspn(group, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-");
	if (n == 0 || n > EKS_NAME_MAX || n >= cap ||
	    strcmp(group + n, suffix) != 0)
		return;
	memcpy(buf, group, n);
	buf[n] = '\0';
}

/* A damaged Firehose record: kept as its JSON text. */
static int
add_damaged_json(struct records *out, const json_t *v, const char *why)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	int rc;

	if (text == NULL)
		return -ENOMEM;
	rc = records_add(out, text, strlen(text), why, NULL);
	free(text);
	return rc;
}

/*
 * The string value of member m (NULL: absent) of a framed record,
 * unescaped into a new NUL-terminated buffer *out of *len bytes; *out is
 * NULL when m is absent, no string, or damaged by anything outside
 * `allowed` (enum jbad).  Returns 0 or -ENOMEM.
 */
static int
member_string(const char *text, const struct jmember *m, unsigned allowed,
    char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (m == NULL || text[m->value.off] != '"' || (m->bad & ~allowed) != 0)
		return 0;
	/* The quotes' two bytes leave room for the NUL. */
	if ((*out = malloc(m->value.len)) == NULL)
		return -ENOMEM;
	*len = jspan_string(text, m->value, *out);
	(*out)[*len] = '\0';
	return 0;
}

/* Does the unescaped string s of n bytes read exactly `want`? */
static bool
string_is(const char *s, size_t n, const char *want)
{
	return s != NULL && n == strlen(want) && memcmp(s, want, n) == 0;
}

/*
 * One logEvent of a framed DATA_MESSAGE: its message as an Event, or the
 * logEvent's bytes set aside alone.  Raw damage in the message (invalid
 * UTF-8, control characters: bytes a cluster user can put in an audited
 * field) is passed on in the Event's text, whose own scan confines it to
 * the member holding it (eventlist.h) as on the webhook path.
 */
static int
add_log_event(struct records *out, const char *text,
    const struct jobject *ev, const struct jmember *members,
    const char *cluster)
{
	const struct jmember *m = NULL;
	char *msg;
	size_t len;
	int rc;

	if (ev->is_object)
		m = jscan_last(members + ev->first, ev->count, text, "message");
	if ((rc = member_string(text, m, JBAD_UTF8 | JBAD_CONTROL, &msg,
	    &len)) != 0)
		return rc;
	if (msg == NULL)
		return records_add(out, text + ev->span.off, ev->span.len,
		    m != NULL && text[m->value.off] == '"' ? "CloudWatch Logs "
		    "logEvent message with an invalid escape" : "CloudWatch Logs "
		    "logEvent without a string message", NULL);
	rc = records_add(out, msg, len, NULL, cluster);
	free(msg);
	return rc;
}

/* The logEvents of one framed DATA_MESSAGE. */
static int
add_log_events(struct records *out, struct jscan *sc, const char *text,
    size_t len)
{
	const struct jobject *ev;
	char cluster[EKS_NAME_MAX + 1], *group;
	size_t n;
	int rc;

	if (!sc->has_items)
		return records_add(out, text, len, "CloudWatch Logs "
		    "DATA_MESSAGE without a logEvents array", NULL);
	if ((rc = member_string(text, jscan_last(sc->root, sc->nroot, text,
	    "logGroup"), 0, &group, &n)) != 0)
		return rc;
	eks_cluster(group, cluster, sizeof(cluster));
	free(group);
	for (size_t i = 0; i < sc->items_total; i++) {
		if ((ev = jscan_item(sc, i)) == NULL)
			return -ENOMEM;
		rc = add_log_event(out, text, ev, sc->members,
		    cluster[0] ? cluster : NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Subscription JSON, framed rather than parsed whole (jscan_frame), so
 * that damage inside one logEvent costs that logEvent at most, never its
 * neighbours.
 */
static int
add_subscription_json(struct records *out, const char *text, size_t len)
{
	static const char not_json[] = "record is not CloudWatch Logs "
	    "subscription JSON (no messageType)";
	enum jscan_status st;
	struct jscan sc;
	char why[128], *type = NULL;
	size_t n = 0;
	int rc;

	jscan_init(&sc);
	jscan_set_items_key(&sc, "logEvents");
	st = jscan_frame(&sc, text, len, SUBSCRIPTION_MAX_DEPTH, why,
	    sizeof(why));
	if (st == JSCAN_NOMEM)
		rc = -ENOMEM;
	else if (st != JSCAN_OK || sc.root_is_array)
		rc = records_add(out, text, len, not_json, NULL);
	else if ((rc = member_string(text, jscan_last(sc.root, sc.nroot, text,
	    "messageType"), 0, &type, &n)) != 0)
		;
	else if (type == NULL)
		rc = records_add(out, text, len, not_json, NULL);
	else if (string_is(type, n, "CONTROL_MESSAGE"))
		rc = 0;	/* CloudWatch's reachability check: no event */
	else if (string_is(type, n, "DATA_MESSAGE"))
		rc = add_log_events(out, &sc, text, len);
	else
		rc = records_add(out, text, len, "record's messageType is "
		    "neither DATA_MESSAGE nor CONTROL_MESSAGE", NULL);
	free(type);
	jscan_free(&sc);
	return rc;
}

/* One record's decoded bytes: subscription JSON, gzip'd or not. */
static int
add_subscription(struct records *out, const unsigned char *data, size_t len)
{
	unsigned char *plain = NULL;
	const char *why = NULL;
	size_t plainlen = len;
	int rc;

	if (is_gzip(data, len)) {
		rc = gunzip(data, len, &plain, &plainlen, &why);
		if (rc == -ENOMEM)
			return rc;
		if (rc != 0)
			return records_add(out, (const char *)data, len, why,
			    NULL);
		data = plain;
	}
	rc = add_subscription_json(out, (const char *)data, plainlen);
	free(plain);
	return rc;
}

static int
add_record(struct records *out, const json_t *rec)
{
	const json_t *data = json_object_get(rec, "data");
	unsigned char *bytes;
	size_t n;
	int rc;

	if (!json_is_string(data))
		return add_damaged_json(out, rec, "Firehose record without a "
		    "string data");
	rc = b64_decode(json_string_value(data), json_string_length(data),
	    &bytes, &n);
	if (rc == -EINVAL)
		return add_damaged_json(out, rec, "Firehose record data is not "
		    "base64");
	if (rc != 0)
		return rc;
	rc = add_subscription(out, bytes, n);
	free(bytes);
	return rc;
}

int
firehose_unwrap(const char *body, size_t len, struct records *out,
    char *reason, size_t reasonlen)
{
	const json_t *records, *rec;
	json_error_t err;
	json_t *root;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, 0, &err);
	if (root == NULL)
		return records_fail(reason, reasonlen, "Firehose body is not JSON: %s",
		    err.text);
	records = json_object_get(root, "records");
	if (!json_is_object(root) ||
	    !json_is_string(json_object_get(root, "requestId")) ||
	    !json_is_array(records))
		rc = records_fail(reason, reasonlen, "not a Firehose request (expected "
		    "requestId and a records array)");
	json_array_foreach(records, i, rec) {
		if (rc != 0)
			break;
		rc = add_record(out, rec);
	}
	json_decref(root);
	if (rc == -E2BIG)
		rc = records_fail(reason, reasonlen, "Firehose request unwraps to more "
		    "than %u items or %u MiB", RECORDS_MAX_ITEMS,
		    RECORDS_MAX_TOTAL >> 20);
	if (rc != 0)
		records_free(out);
	return rc;
}
