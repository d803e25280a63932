/*
 * test_firehose: Firehose HTTP endpoint requests of CloudWatch Logs
 * subscription records, built here to the published formats (firehose.h
 * cites them): gzip'd records, CONTROL_MESSAGE, damaged records beside
 * good ones, decompression bombs, bodies that are no Firehose request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "firehose.h"
#include "inflate.h"
#include "tap.h"

/* gzip (RFC 1952) of len bytes: a new buffer, its size in *outlen. */
static unsigned char *
gzip_bytes(const void *in, size_t len, size_t *outlen)
{
	z_stream zs;
	size_t cap = len + len / 100 + 1024;
	unsigned char *out = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* base64 of len bytes, NUL-terminated, new buffer. */
static char *
b64(const void *in, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);

	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

/* A Firehose record of `text`, gzip'd when `gz`. */
static json_t *
record(const char *text, size_t len, int gz)
{
	unsigned char *z = NULL;
	size_t zlen = len;
	char *data;
	json_t *r;

	if (gz)
		z = gzip_bytes(text, len, &zlen);
	data = b64(gz ? (const void *)z : text, zlen);
	r = json_pack("{s:s}", "data", data);
	free(z);
	free(data);
	return r;
}

/* CloudWatch Logs subscription JSON of messages[0..n). */
static char *
subscription(const char *type, const char *group, const char **messages,
    size_t n)
{
	json_t *events = json_array(), *doc;
	char *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(events, json_pack("{s:s,s:I,s:s}", "id",
		    "3658154751813393847181209187018400349183521000000000000",
		    "timestamp", (json_int_t)1701300000000 + (json_int_t)i,
		    "message", messages[i]));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:o}", "messageType", type,
	    "owner", "123456789012", "logGroup", group, "logStream",
	    "kube-apiserver-audit-8c2c6d2e1a8f4d0c", "subscriptionFilters",
	    "wazuh", "logEvents", events);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static char *
request(json_t *records)
{
	json_t *body = json_pack("{s:s,s:I,s:o}", "requestId",
	    "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", "timestamp",
	    (json_int_t)1701300001000, "records", records);
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	return text;
}

static const char *ev1 = "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\","
    "\"level\":\"Metadata\",\"auditID\":\"a1\",\"stage\":\"ResponseComplete\","
    "\"requestURI\":\"/api/v1/namespaces/default/pods\",\"verb\":\"create\","
    "\"user\":{\"username\":\"alice\"}}";
static const char *ev2 = "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\","
    "\"level\":\"Metadata\",\"auditID\":\"a2\",\"stage\":\"ResponseComplete\","
    "\"requestURI\":\"/api/v1/secrets\",\"verb\":\"list\","
    "\"user\":{\"username\":\"bob\"}}";

static int
unwrap(const char *body, struct records *out, char *reason)
{
	return firehose_unwrap(body, strlen(body), out, reason, 256);
}

static void
test_data_and_control(void)
{
	const char *msgs[] = { ev1, ev2 };
	char *a = subscription("DATA_MESSAGE", "/aws/eks/prod-1/cluster", msgs,
	    2);
	char *c = subscription("CONTROL_MESSAGE", "testLogGroup", NULL, 0);
	char *b = subscription("DATA_MESSAGE", "/aws/lambda/other", msgs + 1,
	    1);
	char *body = request(json_pack("[o,o,o]", record(a, strlen(a), 1),
	    record(c, strlen(c), 1), record(b, strlen(b), 0)));
	struct records r;
	char reason[256];

	ok(unwrap(body, &r, reason) == 0, "gzip'd DATA, CONTROL and plain DATA "
	    "records unwrap");
	ok(r.count == 3, "three events, CONTROL_MESSAGE gives none (%zu)",
	    r.count);
	if (r.count == 3) {
		ok(strcmp(r.items[0].text, ev1) == 0 &&
		    strcmp(r.items[1].text, ev2) == 0 &&
		    strcmp(r.items[2].text, ev2) == 0,
		    "each message is one item, byte for byte, in order");
		ok(r.items[0].cluster && strcmp(r.items[0].cluster, "prod-1") ==
		    0, "cluster from /aws/eks/prod-1/cluster");
		ok(r.items[2].cluster == NULL, "no cluster from another log "
		    "group");
		ok(!r.items[0].reason && !r.items[2].reason, "no reasons");
	}
	records_free(&r);
	free(a);
	free(b);
	free(c);
	free(body);
}

static void
test_damaged_records(void)
{
	const char *msgs[] = { ev1 };
	char *a = subscription("DATA_MESSAGE", "/aws/eks/x/cluster", msgs, 1);
	unsigned char *z;
	size_t zlen;
	char *trunc, *body;
	struct records r;
	char reason[256];

	z = gzip_bytes(a, strlen(a), &zlen);
	trunc = b64(z, zlen / 2);
	body = request(json_pack("[o,{s:s},{s:s},{s:i},o,{s:s},o]",
	    record(a, strlen(a), 1), "data", "!!not base64!!", "data", trunc,
	    "data", 7, record("{\"messageType\":\"OTHER\"}", 23, 0),
	    "data", "eyJ4Ijox", record(a, strlen(a), 1)));
	ok(unwrap(body, &r, reason) == 0, "a request with damaged records "
	    "still unwraps");
	ok(r.count == 7, "7 items: 2 events, 5 damaged records (%zu)", r.count);
	if (r.count == 7) {
		ok(!r.items[0].reason && !r.items[6].reason &&
		    strcmp(r.items[6].text, ev1) == 0, "the good records' events "
		    "around them are kept");
		ok(r.items[1].reason && strstr(r.items[1].reason, "base64"),
		    "garbage data: not base64 (%s)", r.items[1].reason);
		ok(r.items[2].reason && strstr(r.items[2].reason, "truncated"),
		    "truncated gzip: damaged (%s)", r.items[2].reason);
		ok(r.items[3].reason && strstr(r.items[3].reason, "string data"),
		    "data not a string (%s)", r.items[3].reason);
		ok(r.items[4].reason && strstr(r.items[4].reason, "messageType"),
		    "unknown messageType (%s)", r.items[4].reason);
		ok(r.items[5].reason && strstr(r.items[5].reason, "subscription"),
		    "not subscription JSON (%s)", r.items[5].reason);
	}
	records_free(&r);
	free(z);
	free(trunc);
	free(a);
	free(body);
}

/* s with every `from` replaced by `to` (same or any length): a new string. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	out = o = malloc(strlen(s) + n * tl + 1);
	for (p = s; (s = strstr(p, from)) != NULL; p = s + fl) {
		memcpy(o, p, (size_t)(s - p));
		o += s - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	return out;
}

/*
 * Bytes a cluster user can put in an audited field (a label, a user agent),
 * raw in one logEvent's message of a record: only that logEvent pays, its
 * neighbours in the same record are delivered (a hiding attack otherwise).
 * Raw invalid UTF-8 and control characters pass on in the Event's text,
 * where the Event's own scan reduces the member holding them, as on the
 * webhook path; an escape the record itself gets wrong sets that logEvent
 * aside alone.
 */
static void
test_damaged_log_events(void)
{
	static const char *label = "{\"kind\":\"Event\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"level\":\"Request\",\"auditID\":\"u1\","
	    "\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/namespaces/"
	    "default/pods\",\"verb\":\"create\",\"user\":{\"username\":\"eve\"},"
	    "\"requestObject\":{\"metadata\":{\"labels\":{\"x\":\"a@U@b\"}}}}";
	static const char *agent = "{\"kind\":\"Event\",\"apiVersion\":"
	    "\"audit.k8s.io/v1\",\"level\":\"Metadata\",\"auditID\":\"c1\","
	    "\"stage\":\"ResponseComplete\",\"requestURI\":\"/api/v1/secrets\","
	    "\"verb\":\"list\",\"user\":{\"username\":\"eve\"},\"userAgent\":"
	    "\"k@C@\"}";
	const char *msgs[] = { ev1, label, agent, "{\"auditID\":\"@E@\"}",
	    "{\"auditID\":\"@S@\"}", ev2 };
	char *clean = subscription("DATA_MESSAGE", "/aws/eks/prod-1/cluster",
	    msgs, 6), *t1, *t2, *t3, *sub, *body, *want_label, *want_agent;
	struct records r;
	char reason[256];

	t1 = replace_all(clean, "@U@", "\xff\xfe");
	t2 = replace_all(t1, "@C@", "\x01");
	t3 = replace_all(t2, "@E@", "\\q");
	sub = replace_all(t3, "@S@", "\\udc80");
	want_label = replace_all(label, "@U@", "\xff\xfe");
	want_agent = replace_all(agent, "@C@", "\x01");
	body = request(json_pack("[o]", record(sub, strlen(sub), 1)));
	ok(unwrap(body, &r, reason) == 0, "a record with damaged logEvents "
	    "unwraps");
	ok(r.count == 6, "one item per logEvent (%zu)", r.count);
	if (r.count == 6) {
		ok(!r.items[0].reason && strcmp(r.items[0].text, ev1) == 0 &&
		    !r.items[5].reason && strcmp(r.items[5].text, ev2) == 0,
		    "the undamaged neighbours are delivered as they are");
		ok(!r.items[1].reason && strcmp(r.items[1].text, want_label) ==
		    0 && r.items[1].cluster != NULL, "invalid UTF-8 in a label: "
		    "the Event delivered, its raw bytes left for its own scan");
		ok(!r.items[2].reason && strcmp(r.items[2].text, want_agent) ==
		    0, "a raw control character in userAgent: the Event "
		    "delivered, the byte left for its own scan");
		ok(r.items[3].reason && strstr(r.items[3].reason, "escape") &&
		    strstr(r.items[3].text, "\\q") != NULL, "an invalid escape "
		    "in the record: that logEvent set aside alone (%s)",
		    r.items[3].reason);
		ok(r.items[4].reason && strstr(r.items[4].reason, "escape"),
		    "a lone surrogate in the record: that logEvent set aside "
		    "alone (%s)", r.items[4].reason);
	}
	records_free(&r);
	free(clean);
	free(t1);
	free(t2);
	free(t3);
	free(sub);
	free(want_label);
	free(want_agent);
	free(body);
}

static void
test_bomb(void)
{
	size_t n = 64u << 20, zlen;
	char *zeros = calloc(1, n), *body;
	unsigned char *z = gzip_bytes(zeros, n, &zlen);
	struct records r;
	char reason[256];
	json_t *recs = json_array();
	char *data = b64(z, zlen);
	int rc;

	json_array_append_new(recs, json_pack("{s:s}", "data", data));
	body = request(recs);
	/* Unwrapped before ok() reads r: its arguments have no set order. */
	rc = unwrap(body, &r, reason);
	ok(rc == 0 && r.count == 1 && r.items[0].reason &&
	    strstr(r.items[0].reason, "bomb"), "64 MiB of zeros in %zu bytes "
	    "of gzip: set aside as a bomb (%s)", zlen,
	    r.count ? r.items[0].reason : "no item");
	records_free(&r);
	free(body);
	free(data);
	free(z);
	/* Within 16 MiB but 1000 times its size: the ratio bound. */
	z = gzip_bytes(zeros, 2u << 20, &zlen);
	{
		unsigned char *out;
		size_t outlen;
		const char *why = NULL;

		ok(gunzip(z, zlen, &out, &outlen, &why) == -EFBIG,
		    "2 MiB from %zu bytes: over the ratio bound", zlen);
	}
	free(z);
	free(zeros);
}

static void
test_whole_body(void)
{
	struct records r;
	char reason[256];
	json_t *recs = json_array(), *events = json_array(), *doc;
	char *text, *body;

	ok(unwrap("not json", &r, reason) == -EINVAL && strstr(reason, "JSON"),
	    "not JSON: the body is refused (%s)", reason);
	ok(unwrap("{\"records\":[]}", &r, reason) == -EINVAL,
	    "no requestId: not a Firehose request (%s)", reason);
	ok(unwrap("{\"requestId\":\"x\",\"records\":{}}", &r, reason) ==
	    -EINVAL, "records not an array: refused");
	ok(unwrap("{\"requestId\":\"x\",\"timestamp\":1,\"records\":[]}", &r,
	    reason) == 0 && r.count == 0, "no records: nothing, no error");
	records_free(&r);
	for (size_t i = 0; i <= RECORDS_MAX_ITEMS; i++)
		json_array_append_new(events, json_pack("{s:s}", "message", "{}"));
	doc = json_pack("{s:s,s:s,s:o}", "messageType", "DATA_MESSAGE",
	    "logGroup", "g", "logEvents", events);
	text = json_dumps(doc, JSON_COMPACT);
	/* Uncompressed: gzip'd, so regular a record is a bomb by ratio. */
	json_array_append_new(recs, record(text, strlen(text), 0));
	body = request(recs);
	ok(unwrap(body, &r, reason) == -EINVAL && strstr(reason, "more than"),
	    "%u events in one request: refused (%s)", RECORDS_MAX_ITEMS + 1,
	    reason);
	json_decref(doc);
	free(text);
	free(body);
}

static void
test_cluster_names(void)
{
	static const struct {
		const char *group, *want;
	} cases[] = {
		{ "/aws/eks/prod_1-a/cluster", "prod_1-a" },
		{ "/aws/eks/../cluster", NULL },
		{ "/aws/eks//cluster", NULL },
		{ "/aws/eks/a/b/cluster", NULL },
		{ "/aws/eks/a/clusterx", NULL },
		{ "/aws/eks/a\"b/cluster", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *msgs[] = { ev1 };
		char *a = subscription("DATA_MESSAGE", cases[i].group, msgs, 1);
		char *body = request(json_pack("[o]", record(a, strlen(a), 1)));
		struct records r;
		char reason[256];
		const char *got;

		unwrap(body, &r, reason);
		got = r.count == 1 ? r.items[0].cluster : "(no item)";
		ok(cases[i].want ? got && strcmp(got, cases[i].want) == 0 :
		    got == NULL, "log group %s: cluster %s", cases[i].group,
		    got ? got : "none");
		records_free(&r);
		free(a);
		free(body);
	}
}

static void
test_base64(void)
{
	unsigned char *out;
	size_t n;

	ok(b64_decode("aGk=", 4, &out, &n) == 0 && n == 2 &&
	    memcmp(out, "hi", 2) == 0, "base64 with one pad");
	free(out);
	ok(b64_decode("aGkh", 4, &out, &n) == 0 && n == 3, "base64 no pad");
	free(out);
	ok(b64_decode("aGk", 3, &out, &n) == -EINVAL, "length not 4k refused");
	ok(b64_decode("a=k=", 4, &out, &n) == -EINVAL, "pad inside refused");
	ok(b64_decode("aG-_", 4, &out, &n) == -EINVAL, "url alphabet refused");
}

int
main(void)
{
	test_base64();
	test_data_and_control();
	test_damaged_records();
	test_damaged_log_events();
	test_bomb();
	test_whole_body();
	test_cluster_names();
	return tap_done();
}
