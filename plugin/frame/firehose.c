#include "firehose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "inflate.h"

/* EKS cluster names: 1-100 of [0-9A-Za-z_-] (CreateCluster's pattern). */
#define EKS_NAME_MAX 100

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

/* A damaged part: kept as its JSON text (the record or logEvent). */
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

/* The logEvents of one DATA_MESSAGE. */
static int
add_log_events(struct records *out, const json_t *msg)
{
	const json_t *events = json_object_get(msg, "logEvents"), *ev, *m;
	char cluster[EKS_NAME_MAX + 1];
	size_t i;
	int rc;

	if (!json_is_array(events))
		return add_damaged_json(out, msg, "CloudWatch Logs "
		    "DATA_MESSAGE without a logEvents array");
	eks_cluster(json_string_value(json_object_get(msg, "logGroup")),
	    cluster, sizeof(cluster));
	json_array_foreach(events, i, ev) {
		m = json_object_get(ev, "message");
		if (!json_is_string(m))
			rc = add_damaged_json(out, ev, "CloudWatch Logs "
			    "logEvent without a string message");
		else
			rc = records_add(out, json_string_value(m),
			    json_string_length(m), NULL,
			    cluster[0] ? cluster : NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* One record's decoded bytes: subscription JSON, gzip'd or not. */
static int
add_subscription(struct records *out, const unsigned char *data, size_t len)
{
	unsigned char *plain = NULL;
	const char *why = NULL, *type;
	size_t plainlen = len;
	json_t *msg;
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
	msg = json_loadb((const char *)data, plainlen, JSON_ALLOW_NUL, NULL);
	type = json_string_value(json_object_get(msg, "messageType"));
	if (type == NULL)
		rc = records_add(out, (const char *)data, plainlen, "record is "
		    "not CloudWatch Logs subscription JSON (no messageType)",
		    NULL);
	else if (strcmp(type, "CONTROL_MESSAGE") == 0)
		rc = 0;	/* CloudWatch's reachability check: no event */
	else if (strcmp(type, "DATA_MESSAGE") == 0)
		rc = add_log_events(out, msg);
	else
		rc = records_add(out, (const char *)data, plainlen, "record's "
		    "messageType is neither DATA_MESSAGE nor CONTROL_MESSAGE",
		    NULL);
	json_decref(msg);
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
