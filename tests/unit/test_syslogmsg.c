/*
 * test_syslogmsg: syslog messages carrying one audit Event, as rsyslog's
 * imtcp hands them over (%rawmsg%): RFC 5424 with and without BOM and
 * STRUCTURED-DATA, RFC 3164 with and without TAG, bare JSON, OpenShift's
 * ViaQ records (current and older collectors), and what is no message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "syslogmsg.h"
#include "tap.h"

static const char EVENT[] =
    "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\","
    "\"level\":\"Metadata\",\"auditID\":\"a-1\",\"stage\":\"ResponseComplete\","
    "\"requestURI\":\"/api/v1/namespaces/default/pods\",\"verb\":\"list\","
    "\"user\":{\"username\":\"alice\",\"groups\":[\"dev\"]},"
    "\"sourceIPs\":[\"10.0.0.7\"],\"annotations\":{\"authorization.k8s.io/"
    "decision\":\"allow\"}}";

/* The one item syslog_unwrap makes of `line` (must succeed). */
static char *
unwrap(const char *line, size_t len)
{
	struct records r;
	char reason[256] = "";
	char *text = NULL;
	int rc;

	/* as the caller hands it over: not initialised */
	memset(&r, 0xa5, sizeof(r));
	rc = syslog_unwrap(line, len, &r, reason, sizeof(reason));

	if (rc != 0 || r.count != 1 || r.items[0].reason != NULL ||
	    r.items[0].cluster != NULL)
		diag("rc %d, %zu items, reason '%s'", rc, r.count, reason);
	else
		text = strdup(r.items[0].text);
	records_free(&r);
	return text;
}

static char *
unwrap_str(const char *line)
{
	return unwrap(line, strlen(line));
}

/* True when `text` parses to the same JSON as `want`. */
static bool
same_json(const char *text, const char *want)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL;
	json_t *b = json_loads(want, 0, NULL);
	bool eq = a != NULL && b != NULL && json_equal(a, b);

	if (!eq)
		diag("got %s", text ? text : "(nothing)");
	json_decref(a);
	json_decref(b);
	return eq;
}

/* syslog_unwrap's error and reason for `line`. */
static int
refused(const char *line, char *reason, size_t reasonlen)
{
	struct records r = { 0 };
	int rc = syslog_unwrap(line, strlen(line), &r, reason, reasonlen);

	if (rc == 0)
		diag("accepted: %zu items", r.count);
	records_free(&r);
	return rc;
}

static void
test_rfc5424(void)
{
	char line[2048], reason[256], *t;

	/* rsyslog's RSYSLOG_SyslogProtocol23Format, imfile's message */
	snprintf(line, sizeof(line), "<133>1 2026-12-07T14:00:00.123456+00:00 "
	    "cp-1 kube-audit - - - %s", EVENT);
	t = unwrap_str(line);
	ok(t && strcmp(t, EVENT) == 0, "RFC 5424, NIL SD: the MSG, byte for "
	    "byte");
	free(t);

	snprintf(line, sizeof(line), "<110>1 2026-12-07T14:00:00Z cp-1 kubeAPI "
	    "a-1 kubeAPI - \xef\xbb\xbf%s", EVENT);
	t = unwrap_str(line);
	ok(t && strcmp(t, EVENT) == 0, "RFC 5424: the MSG's BOM removed");
	free(t);

	snprintf(line, sizeof(line), "<110>1 - - - - - [x@32473 a=\"{\\\"]\" "
	    "b=\"\\\\\"][y@1 c=\"]\"] %s", EVENT);
	t = unwrap_str(line);
	ok(t && strcmp(t, EVENT) == 0, "RFC 5424: SD-ELEMENTs with escaped "
	    "'\"', '\\\\', ']' and a '{' in a value are skipped whole");
	free(t);

	ok(refused("<110>1 2026-12-07T14:00:00Z cp-1 app - - -", reason,
	    sizeof(reason)) == -EINVAL && strstr(reason, "without MSG"),
	    "RFC 5424 without MSG: refused (%s)", reason);
	ok(refused("<110>1 2026-12-07T14:00:00Z  app - - - {}", reason,
	    sizeof(reason)) == -EINVAL && strstr(reason, "HOSTNAME"),
	    "RFC 5424 with an empty HOSTNAME: refused (%s)", reason);
	ok(refused("<110>1 - - - - - [x a=\"1] {}", reason, sizeof(reason)) ==
	    -EINVAL && strstr(reason, "STRUCTURED-DATA"),
	    "RFC 5424 with an unterminated SD-ELEMENT: refused (%s)", reason);
}

static void
test_rfc3164(void)
{
	char line[2048], reason[256], *t;

	snprintf(line, sizeof(line), "<110>Dec  7 14:00:00 cp-1 kubeAPI: %s",
	    EVENT);
	t = unwrap_str(line);
	ok(t && strcmp(t, EVENT) == 0, "RFC 3164 with TAG: the content");
	free(t);

	/* rsyslog's own parser would take `{"kind":` for the TAG here */
	snprintf(line, sizeof(line), "<110>Dec  7 14:00:00 cp-1 %s", EVENT);
	t = unwrap_str(line);
	ok(t && strcmp(t, EVENT) == 0, "RFC 3164 without TAG: the Event whole");
	free(t);

	t = unwrap_str(EVENT);
	ok(t && strcmp(t, EVENT) == 0, "a bare JSON line: as it is");
	free(t);

	ok(refused("<13>Dec  7 14:00:00 cp-1 sshd[1]: accepted", reason,
	    sizeof(reason)) == -EINVAL, "a message without JSON: refused (%s)",
	    reason);
	ok(refused("", reason, sizeof(reason)) == -EINVAL,
	    "an empty line: refused");

	/* cut: batch_scan judges it (and sets it aside), never repaired */
	snprintf(line, sizeof(line), "<110>1 - - - - - - %s", EVENT);
	line[strlen(line) - 20] = '\0';
	t = unwrap_str(line);
	ok(t && strcmp(t, strchr(line, '{')) == 0, "a cut MSG is handed on "
	    "as it is, for the caller to set aside");
	free(t);
}

/* OpenShift's ViaQ record of EVENT, as Vector's serde_json writes it
 * (keys sorted), with `level` as given. */
static char *
viaq(const char *level, const char *which)
{
	json_t *ev = json_loads(EVENT, 0, NULL);
	char *text;

	json_object_set_new(ev, "@timestamp",
	    json_string("2026-12-07T14:00:00.123456Z"));
	json_object_set_new(ev, "timestamp",
	    json_string("2026-12-07T14:00:00.123456Z"));
	json_object_set_new(ev, "hostname", json_string("master-0"));
	json_object_set_new(ev, "log_type", json_string("audit"));
	json_object_set_new(ev, "log_source", json_string("kubeAPI"));
	json_object_set_new(ev, which, json_string("Metadata"));
	json_object_set_new(ev, "openshift", json_pack("{s:s,s:I,s:{s:s}}",
	    "cluster_id", "d24a392b-dd87-4eb8-a1a9-7384423567e3", "sequence",
	    (json_int_t)1765116000123456789LL, "labels", "env", "prod"));
	json_object_set_new(ev, "level", json_string(level));
	json_object_set_new(ev, "tag", json_string(".k8s-audit.log"));
	text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	return text;
}

static void
test_viaq(void)
{
	char line[4096], *rec, *t;

	rec = viaq("Metadata", "k8s_audit_level");
	snprintf(line, sizeof(line), "<110>1 2026-12-07T14:00:00.123Z master-0 "
	    "kubeAPI a-1 kubeAPI - %s", rec);
	t = unwrap_str(line);
	ok(same_json(t, EVENT), "OpenShift record (logging 6): the Event, "
	    "envelope members left out");
	free(t);
	free(rec);

	rec = viaq("default", "k8s_audit_level");
	snprintf(line, sizeof(line), "<110>1 - master-0 kubeAPI - - - %s", rec);
	t = unwrap_str(line);
	ok(same_json(t, EVENT), "OpenShift record with level \"default\" "
	    "(logging 5): the level from k8s_audit_level");
	free(t);
	free(rec);

	rec = viaq("default", "openshift_audit_level");
	snprintf(line, sizeof(line), "<110>Dec  7 14:00:00 master-0 "
	    "openshiftAPI: %s", rec);
	t = unwrap_str(line);
	ok(same_json(t, EVENT), "OpenShift record of openshift-apiserver over "
	    "RFC 3164: the level from openshift_audit_level");
	free(t);
	free(rec);

	/* no log_type: an Event's own members, whatever their names */
	t = unwrap_str("{\"auditID\":\"x\",\"hostname\":\"h\",\"tag\":1}");
	ok(t && strcmp(t, "{\"auditID\":\"x\",\"hostname\":\"h\",\"tag\":1}") ==
	    0, "without log_type nothing is left out");
	free(t);

	/* damage stays in its member, the envelope still goes */
	t = unwrap_str("{\"log_type\":\"audit\",\"hostname\":\"m\","
	    "\"auditID\":\"x\",\"userAgent\":\"\xff\xfe\","
	    "\"level\":\"Request\"}");
	ok(t && strcmp(t, "{\"auditID\":\"x\",\"userAgent\":\"\xff\xfe\","
	    "\"level\":\"Request\"}") == 0, "a record with invalid UTF-8: the "
	    "damaged member kept as its bytes for the caller to reduce");
	free(t);

	/* a level that is no audit level and nothing to restore it from */
	t = unwrap_str("{\"log_type\":\"audit\",\"level\":\"default\","
	    "\"k8s_audit_level\":\"Loud\"}");
	ok(t && strcmp(t, "{\"level\":\"default\"}") == 0, "no audit level to "
	    "restore: level kept as it was");
	free(t);
}

int
main(void)
{
	test_rfc5424();
	test_rfc3164();
	test_viaq();
	return tap_done();
}
