/*
 * test_redact: no planted secret survives shaping.
 *
 * Known secret strings (and their base64 forms, as a Secret's `data` holds
 * them) are planted into every secret-bearing corpus event in every form a
 * body can take (object, list, JSON patch, merge patch, non-JSON body,
 * Table, embedded last-applied annotation), into the TokenReview events,
 * into synthetic TokenRequests and ConfigMaps, and as embedded annotations
 * into every corpus event with a body; the shaped output bytes must not
 * contain any of them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "corpus.h"
#include "derive.h"
#include "fingerprint.h"
#include "redact.h"
#include "redact_text.h"
#include "shape.h"
#include "tap.h"

#define NPLANT 16

struct plants {
	char plain[NPLANT][64];
	char b64[NPLANT][100];
};

static void plants_init(struct plants *p)
{
	for (int i = 0; i < NPLANT; i++) {
		snprintf(p->plain[i], sizeof p->plain[i], "PLANTED-s3cr3t-%02d-value", i);
		EVP_EncodeBlock((unsigned char *)p->b64[i],
		    (const unsigned char *)p->plain[i], (int)strlen(p->plain[i]));
	}
}

static struct shape_config config(void)
{
	struct shape_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.stages = SHAPE_STAGE_ALL;
	cfg.max_bytes = 65535 - 6;
	cfg.max_fields = 256;
	memset(cfg.key, 0x5a, sizeof cfg.key);
	return cfg;
}

/* A Secret carrying plants a (data, base64) and b (stringData). */
static json_t *secret(const struct plants *p, int a, int b)
{
	return json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:{s:s}}", "kind", "Secret",
	    "apiVersion", "v1", "metadata", "name", "s",
	    "data", "password", p->b64[a], "stringData", "token", p->plain[b]);
}

/* JSON text of a Secret, as kubectl writes last-applied-configuration. */
static char *secret_text(const struct plants *p, int a, int b)
{
	json_t *s = secret(p, a, b);
	char *t = json_dumps(s, JSON_COMPACT);

	json_decref(s);
	return t;
}

static void annotate(json_t *obj, const char *key, const char *value)
{
	json_t *md = json_object_get(obj, "metadata");

	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(obj, "metadata", md);
	}
	if (!json_is_object(json_object_get(md, "annotations")))
		json_object_set_new(md, "annotations", json_object());
	json_object_set_new(json_object_get(md, "annotations"), key, json_string(value));
}

/* Shape a copy of `event`; check no plant leaks and the count. */
static void check(const char *what, const json_t *event, const struct plants *p,
    long want_redacted)
{
	struct shape_config cfg = config();
	struct shape_stats st = { 0, 0, 0 };
	json_t *e = json_deep_copy(event), *back = NULL;
	char *out = NULL;
	size_t len = 0;
	int leaks = 0;
	json_int_t n;
	enum shape_status rc = shape_event(&cfg, e, &out, &len, &st);

	if (rc == SHAPE_OK) {
		for (int i = 0; i < NPLANT; i++)
			if (memmem(out, len, p->plain[i], strlen(p->plain[i])) ||
			    memmem(out, len, p->b64[i], strlen(p->b64[i])))
				leaks++;
		back = json_loadb(out, len, 0, NULL);
	}
	n = json_integer_value(json_object_get(json_object_get(back, "k8s"), "redacted"));
	ok(rc == SHAPE_OK && back && leaks == 0 && n > 0 &&
	    (want_redacted < 0 || n == want_redacted) && (unsigned long long)n == st.redacted,
	    "%s: shaped, %d plants leak, %lld redacted (want %ld)", what, leaks,
	    (long long)n, want_redacted);
	json_decref(back);
	json_decref(e);
	free(out);
}

static json_t *with(const json_t *event, json_t *req, json_t *resp)
{
	json_t *e = json_deep_copy(event);

	json_object_del(e, "requestObject");
	json_object_del(e, "responseObject");
	if (req)
		json_object_set_new(e, "requestObject", req);
	if (resp)
		json_object_set_new(e, "responseObject", resp);
	return e;
}

static void secret_forms(const char *name, const json_t *ev, const struct plants *p)
{
	char what[512];
	json_t *e, *req, *list, *patch, *table;
	char *t = secret_text(p, 4, 5);

	/* 1: request and response Secrets, with the applied copy. */
	req = secret(p, 0, 1);
	annotate(req, "kubectl.kubernetes.io/last-applied-configuration", t);
	e = with(ev, req, secret(p, 2, 3));
	snprintf(what, sizeof what, "%s: Secret bodies + last-applied", name);
	check(what, e, p, 6);
	json_decref(e);

	/* 2: a SecretList, items without kind. */
	list = json_pack("{s:s,s:[o,{s:{s:s}}]}", "kind", "SecretList", "items",
	    secret(p, 6, 7), "data", "k", p->b64[8]);
	e = with(ev, NULL, list);
	snprintf(what, sizeof what, "%s: SecretList", name);
	check(what, e, p, 3);
	json_decref(e);

	/* 3: a JSON patch. */
	patch = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:{s:s,s:n}},{s:s,s:s,s:s},{s:s,s:s,s:s}]",
	    "op", "add", "path", "/data/password", "value", p->b64[9],
	    "op", "replace", "path", "/stringData", "value", "a", p->plain[10], "gone",
	    "op", "test", "path", "/data/x", "value", p->b64[11],
	    "op", "add", "path", "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
	    "value", t);
	e = with(ev, patch, NULL);
	snprintf(what, sizeof what, "%s: JSON patch", name);
	check(what, e, p, 5);
	json_decref(e);

	/* 4: a merge patch without kind. */
	req = json_pack("{s:{s:s,s:n}}", "data", "password", p->b64[12], "old");
	annotate(req, "kubectl.kubernetes.io/last-applied-configuration", t);
	e = with(ev, req, NULL);
	snprintf(what, sizeof what, "%s: merge patch", name);
	check(what, e, p, 3);
	json_decref(e);

	/* 5: a body that is not JSON. */
	snprintf(what, sizeof what, "kind: Secret\nstringData:\n  k: %s\n", p->plain[13]);
	e = with(ev, json_string(what), NULL);
	snprintf(what, sizeof what, "%s: YAML body", name);
	check(what, e, p, 1);
	json_decref(e);

	/* 6: a Table whose rows carry metadata with the applied Secret. */
	req = json_object();
	annotate(req, "kubectl.kubernetes.io/last-applied-configuration", t);
	table = json_pack("{s:s,s:[{s:[s],s:o}]}", "kind", "Table", "rows",
	    "cells", "s", "object", req);
	e = with(ev, NULL, table);
	snprintf(what, sizeof what, "%s: Table", name);
	check(what, e, p, 2);
	json_decref(e);
	free(t);
}

/* Every secrets event of the corpus, in every form. */
static void secrets_events(const struct plants *p)
{
	size_t n, found = 0;
	char **files = corpus_files(&n);

	for (size_t f = 0; f < n; f++) {
		json_t *events = corpus_file_events(files[f]), *ev;
		size_t i;

		json_array_foreach(events, i, ev) {
			const char *res = json_string_value(json_object_get(
			    json_object_get(ev, "objectRef"), "resource"));
			char name[300];

			if (res == NULL || strcmp(res, "secrets") != 0)
				continue;
			snprintf(name, sizeof name, "%s[%zu]", files[f], i);
			secret_forms(name, ev, p);
			found++;
		}
		json_decref(events);
	}
	corpus_files_free(files);
	ok(found >= 5, "%zu secrets events in the corpus", found);
}

static void token_events(const struct plants *p)
{
	json_t *events = corpus_file_events("clo-openshift-apiaudit-mixed-100.jsonl"), *ev;
	json_t *base;

	/* Neither tokenreviews nor serviceaccounts/token is in the corpus. */
	base = json_array_get(events, 0);
	ev = json_deep_copy(base);
	json_object_set_new(ev, "objectRef", json_pack("{s:s,s:s}", "resource",
	    "tokenreviews", "apiGroup", "authentication.k8s.io"));
	{
		json_t *e = with(ev, json_pack("{s:s,s:{s:s}}", "kind", "TokenReview",
		    "spec", "token", p->plain[0]), json_pack("{s:{s:s},s:{s:b}}", "spec",
		    "token", p->plain[0], "status", "authenticated", 1));

		check("TokenReview request, and response without kind", e, p, 2);
		json_decref(e);
	}
	json_decref(ev);

	/* serviceaccounts/token: not in the corpus, so made from an event. */
	ev = json_deep_copy(base);
	json_object_set_new(ev, "objectRef", json_pack("{s:s,s:s,s:s,s:s}", "resource",
	    "serviceaccounts", "subresource", "token", "namespace", "ns", "name", "sa"));
	{
		json_t *e = with(ev, json_pack("{s:s,s:{s:[s]}}", "kind", "TokenRequest",
		    "spec", "audiences", "api"), json_pack("{s:{s:s,s:s}}", "status",
		    "token", p->plain[1], "expirationTimestamp", "2030-01-01T00:00:00Z"));

		check("TokenRequest response without kind", e, p, 1);
		json_decref(e);
	}
	json_decref(ev);
	json_decref(events);
}

static void configmap_events(const struct plants *p)
{
	json_t *events = corpus_file_events("falco-create_configmap.json");
	json_t *ev = json_array_get(events, 0);
	char text[200];
	json_t *e;

	snprintf(text, sizeof text, "user=a\ntoken = %s\n", p->plain[2]);
	e = with(ev, json_pack("{s:s,s:{s:s,s:s,s:s}}", "kind", "ConfigMap", "data",
	    "DB_PASSWORD", p->plain[3], "app.properties", text, "color", "red"), NULL);
	check("ConfigMap credential keys and assignments", e, p, 2);
	json_decref(e);
	e = with(ev, json_pack("[{s:s,s:s,s:s}]", "op", "add", "path", "/data/api_key",
	    "value", p->plain[4]), NULL);
	check("ConfigMap JSON patch", e, p, 1);
	json_decref(e);
	json_decref(events);
}

/*
 * Issue 12, findings 9 and 10: credentials the plugin flags (or that any
 * reader would call one) in ConfigMap texts, URLs, env variables and
 * annotation patches.  "%s" in a value becomes a planted secret; each
 * case names where it lives (resource, body as JSON text) and, for a
 * ConfigMap, the key k8s.credential_value_keys must list.
 */
static const struct {
	const char *what, *resource, *body, *listed;
} gaps[] = {
	{ "GCP service-account key JSON", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"sa.json\":\"{\\\"type\\\":"
	  "\\\"service_account\\\",\\\"project_id\\\":\\\"p\\\","
	  "\\\"private_key\\\":\\\"-----BEGIN PRIVATE KEY-----\\\\n%s\\\\n"
	  "-----END PRIVATE KEY-----\\\\n\\\",\\\"client_email\\\":\\\"a@p\\\"}\"}}",
	  "sa.json" },
	{ "PEM key on one line", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"tls\":\"-----BEGIN RSA PRIVATE KEY-----"
	  " %s -----END RSA PRIVATE KEY-----\"}}", "tls" },
	{ "PEM key with escaped newlines", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"k\":\"-----BEGIN EC PRIVATE KEY-----"
	  "\\\\n%s\\\\n-----END EC PRIVATE KEY-----\"}}", "k" },
	{ "PGP private key block", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"gpg\":\"-----BEGIN PGP PRIVATE KEY BLOCK"
	  "-----\\n\\n%s\\n-----END PGP PRIVATE KEY BLOCK-----\\n\"}}", "gpg" },
	{ "password not first in one-line JSON", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"db.json\":\"{\\\"user\\\":"
	  "\\\"app\\\",\\\"password\\\":\\\"%s\\\"}\"}}", "db.json" },
	{ "password not first in flow YAML", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"db.yaml\":\"db: {user: app, "
	  "password: %s}\"}}", "db.yaml" },
	{ "connection string", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"DATABASE_URL\":"
	  "\"postgres://app:%s@db:5432/app\"}}", "DATABASE_URL" },
	{ "URL credentials inside a file", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"app.ini\":\"[db]\\nurl = "
	  "mysql://root:%s@10.0.0.5/x?tls=true\\n\"}}", "app.ini" },
	{ "docker auth", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"config.json\":\"{\\\"auths\\\":"
	  "{\\\"r.io\\\":{\\\"auth\\\":\\\"%s\\\"}}}\"}}", "config.json" },
	{ "Authorization header line", "configmaps",
	  "{\"kind\":\"ConfigMap\",\"data\":{\"probe.txt\":\"GET / HTTP/1.1"
	  "\\nAuthorization: Bearer %s\\n\"}}", "probe.txt" },
	{ "env value under a secret-looking name", "deployments",
	  "{\"kind\":\"Deployment\",\"spec\":{\"template\":{\"spec\":{"
	  "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"env\":["
	  "{\"name\":\"MODE\",\"value\":\"x\"},{\"name\":\"DB_PASSWORD\","
	  "\"value\":\"%s\"}]}]}}}}", NULL },
	{ "env value in a pod", "pods",
	  "{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"c\","
	  "\"env\":[{\"name\":\"AWS_SECRET_ACCESS_KEY\",\"value\":\"%s\"}]}]}}",
	  NULL },
	{ "OpenShift token annotation by JSON patch", "secrets",
	  "[{\"op\":\"add\",\"path\":\"/metadata/annotations/openshift.io~1"
	  "token-secret.value\",\"value\":\"%s\"}]", NULL },
};

static void gap_events(const struct plants *p)
{
	json_t *events = corpus_file_events("falco-create_configmap.json");
	json_t *ev = json_array_get(events, 0);
	char body[2048];

	for (size_t i = 0; i < sizeof gaps / sizeof *gaps; i++) {
		json_t *e = with(ev, NULL, NULL), *k8s = NULL;
		json_t *b;

		const char *at = strstr(gaps[i].body, "%s");

		snprintf(body, sizeof body, "%.*s%s%s", (int)(at - gaps[i].body),
		    gaps[i].body, p->plain[5], at + 2);
		b = json_loads(body, 0, NULL);
		ok(b != NULL, "%s: body is JSON", gaps[i].what);
		json_object_set_new(json_object_get(e, "objectRef"), "resource",
		    json_string(gaps[i].resource));
		json_object_set_new(e, "requestObject", b);
		check(gaps[i].what, e, p, 1);
		if (gaps[i].listed != NULL) {
			derive_k8s(e, NULL, NULL, &k8s);
			ok(strcmp(json_string_value(json_object_get(k8s,
			    "credential_value_keys")) ? json_string_value(
			    json_object_get(k8s, "credential_value_keys")) : "",
			    gaps[i].listed) == 0 || strcmp(json_string_value(
			    json_object_get(k8s, "credential_keys")) ?
			    json_string_value(json_object_get(k8s,
			    "credential_keys")) : "", gaps[i].listed) == 0,
			    "%s: %s is listed as a credential", gaps[i].what,
			    gaps[i].listed);
			json_decref(k8s);
		}
		json_decref(e);
	}
	json_decref(events);
}

/*
 * Issue 12, finding 9: credentials on an exec command line (requestURI and
 * k8s.command).  "%s" becomes a planted secret; `plain` is a command that
 * must arrive unchanged.
 */
static const struct {
	const char *query, *command;	/* command: what k8s.command becomes,
					 * "*" standing for one marker */
} exec_creds[] = {
	{ "command=mysql&command=-uroot&command=-p%s&command=db",
	  "mysql -uroot -p* db" },
	{ "command=psql&command=--password%%3D%s", "psql --password=*" },
	{ "command=env&command=PGPASSWORD%%3D%s&command=psql", "env PGPASSWORD=* psql" },
	{ "command=sh&command=-c&command=mysql+-uroot+-p%s+db", "sh -c mysql -uroot -p* db" },
	{ "command=app&command=--db-password&command=%s", "app --db-password *" },
	{ "comm%%61nd=psql&command=postgres://u:%s@db/x", "psql postgres://u:*@db/x" },
};

static void exec_lines(const struct plants *p)
{
	struct shape_config cfg = config();
	char uri[512], query[256], want[256];

	for (size_t i = 0; i < sizeof exec_creds / sizeof *exec_creds; i++) {
		struct shape_stats st = { 0, 0, 0 };
		const char *at = strstr(exec_creds[i].query, "%s"), *star;
		json_t *e, *back = NULL, *k8s, *again, *back2 = NULL;
		char *out = NULL, *out2 = NULL;
		size_t len = 0, len2 = 0, w;

		snprintf(query, sizeof query, "%.*s%s%s", (int)(at - exec_creds[i].query),
		    exec_creds[i].query, p->plain[7], at + 2);
		snprintf(uri, sizeof uri, "/api/v1/namespaces/a/pods/b/exec?%s&"
		    "container=c&stdout=true", query);
		/* "%%" in the table is a literal "%" of the URI. */
		for (char *q = strstr(uri, "%%"); q; q = strstr(q + 1, "%%"))
			memmove(q, q + 1, strlen(q));
		e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:s,s:s}}", "kind",
		    "Event", "apiVersion", "audit.k8s.io/v1", "auditID", "x",
		    "verb", "create", "requestURI", uri, "user", "username", "u",
		    "objectRef", "resource", "pods", "subresource", "exec");
		if (shape_event(&cfg, e, &out, &len, &st) == SHAPE_OK)
			back = json_loadb(out, len, 0, NULL);
		k8s = json_object_get(back, "k8s");
		star = strchr(exec_creds[i].command, '*');
		w = (size_t)(star - exec_creds[i].command);
		snprintf(want, sizeof want, "%.*s", (int)w, exec_creds[i].command);
		ok(back && !memmem(out, len, p->plain[7], strlen(p->plain[7])) &&
		    json_string_value(json_object_get(k8s, "command")) &&
		    strncmp(json_string_value(json_object_get(k8s, "command")),
		    want, w) == 0 && strncmp(json_string_value(json_object_get(k8s,
		    "command")) + w, FINGERPRINT_PREFIX,
		    strlen(FINGERPRINT_PREFIX)) == 0 && strcmp(json_string_value(
		    json_object_get(k8s, "command")) + w + FINGERPRINT_LEN,
		    star + 1) == 0 && json_integer_value(json_object_get(k8s,
		    "redacted")) == 1,
		    "exec %s: no secret in requestURI or k8s.command (%s)",
		    exec_creds[i].command, json_string_value(json_object_get(k8s,
		    "command")));
		/* Shaped again (a retry, a replay): the same text. */
		again = json_deep_copy(back);
		json_object_del(again, "k8s");
		if (again && shape_event(&cfg, again, &out2, &len2, &st) == SHAPE_OK)
			back2 = json_loadb(out2, len2, 0, NULL);
		ok(back2 && json_equal(json_object_get(back2, "requestURI"),
		    json_object_get(back, "requestURI")) &&
		    json_object_get(json_object_get(back2, "k8s"), "redacted") == NULL,
		    "exec %s: shaping twice masks nothing twice",
		    exec_creds[i].command);
		json_decref(back2);
		json_decref(again);
		json_decref(back);
		json_decref(e);
		free(out);
		free(out2);
	}
}

/*
 * A last-applied annotation that embeds another, and so on, deeper than
 * real ones nest: the innermost Secret is never left in clear.
 */
static void deep_last_applied(const struct plants *p)
{
	json_t *events = corpus_file_events("falco-create_configmap.json");
	json_t *ev = json_array_get(events, 0), *e, *obj;
	char *text;

	obj = json_pack("{s:s,s:{s:s}}", "kind", "Secret", "stringData", "k",
	    p->plain[6]);
	for (int depth = 0; depth < 7; depth++) {
		text = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
		obj = json_pack("{s:s,s:{s:{s:s}}}", "kind", "Widget", "metadata",
		    "annotations", "kubectl.kubernetes.io/last-applied-configuration",
		    text);
		free(text);
	}
	e = with(ev, obj, NULL);
	json_object_set_new(json_object_get(e, "objectRef"), "resource",
	    json_string("widgets"));
	check("last-applied nested 7 deep", e, p, -1);
	json_decref(e);
	json_decref(events);
}

/* Every corpus event with a body gets an applied Secret and a token. */
static void every_event(const struct plants *p)
{
	size_t n, planted = 0, passed = 0;
	char **files = corpus_files(&n);
	char *t = secret_text(p, 14, 15);

	for (size_t f = 0; f < n; f++) {
		json_t *events = corpus_file_events(files[f]), *ev;
		size_t i;

		json_array_foreach(events, i, ev) {
			json_t *e = json_deep_copy(ev);
			json_t *body = json_object_get(e, "responseObject");
			struct shape_config cfg = config();
			struct shape_stats st = { 0, 0, 0 };
			char *out = NULL;
			size_t len = 0;

			if (!json_is_object(body))
				body = json_object_get(e, "requestObject");
			if (!json_is_object(body)) {
				json_decref(e);
				continue;
			}
			planted++;
			annotate(body, "kubectl.kubernetes.io/last-applied-configuration", t);
			annotate(body, "openshift.io/token-secret.value", p->plain[0]);
			if (shape_event(&cfg, e, &out, &len, &st) == SHAPE_OK &&
			    !memmem(out, len, p->plain[14], strlen(p->plain[14])) &&
			    !memmem(out, len, p->b64[14], strlen(p->b64[14])) &&
			    !memmem(out, len, p->plain[15], strlen(p->plain[15])) &&
			    !memmem(out, len, p->plain[0], strlen(p->plain[0])) &&
			    st.redacted >= 3)
				passed++;
			else
				diag("leak or failure in %s[%zu]", files[f], i);
			free(out);
			json_decref(e);
		}
		json_decref(events);
	}
	free(t);
	corpus_files_free(files);
	ok(planted > 150 && passed == planted,
	    "embedded Secrets and tokens redacted in all %zu corpus events with a body (%zu)",
	    planted, passed);
}

static void markers(void)
{
	char m1[FINGERPRINT_LEN + 1], m2[FINGERPRINT_LEN + 1];
	unsigned char key[SHAPE_KEY_LEN];
	json_t *e;
	unsigned long count = 0;
	const char *d, *s;

	ok(fingerprint_marker((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, m1) == 0 &&
	    strcmp(m1, "[REDACTED hmac-sha256:5bdcc146bf60754e]") == 0,
	    "marker is the HMAC-SHA256 of RFC 4231 case 2 (%s)", m1);
	memset(key, 1, sizeof key);
	fingerprint_marker(key, sizeof key, "abc", 3, m1);
	key[0] = 2;
	fingerprint_marker(key, sizeof key, "abc", 3, m2);
	ok(strcmp(m1, m2) != 0, "another key, another marker");

	/* base64 "c2VjcmV0" is "secret": data and stringData agree. */
	e = json_loads("{\"objectRef\":{\"resource\":\"secrets\"},\"requestObject\":"
	    "{\"metadata\":{\"name\":\"keep-me\"},\"data\":{\"a\":\"c2VjcmV0\"},"
	    "\"stringData\":{\"b\":\"secret\"}}}", 0, NULL);
	ok(redact_event(e, key, sizeof key, &count) == 0 && count == 2, "2 values redacted");
	d = json_string_value(json_object_get(json_object_get(json_object_get(e,
	    "requestObject"), "data"), "a"));
	s = json_string_value(json_object_get(json_object_get(json_object_get(e,
	    "requestObject"), "stringData"), "b"));
	ok(d && s && strcmp(d, s) == 0 && strncmp(d, FINGERPRINT_PREFIX,
	    strlen(FINGERPRINT_PREFIX)) == 0 && strlen(d) == FINGERPRINT_LEN,
	    "same secret via data and stringData, same marker (%s)", d ? d : "");
	ok(strcmp(json_string_value(json_object_get(json_object_get(json_object_get(e,
	    "requestObject"), "metadata"), "name")), "keep-me") == 0, "metadata untouched");
	json_decref(e);
}

static void text_values(void)
{
	static const char in[] = "color=red\naws_secret_access_key = KEY1\r\n"
	    "-----BEGIN RSA PRIVATE KEY-----\nABC\nDEF\n-----END RSA PRIVATE KEY-----\n"
	    "db:\n  password: KEY2";
	unsigned char key[SHAPE_KEY_LEN] = { 0 };
	unsigned long n = 0;
	size_t len = 0;
	char *out = NULL;

	ok(redact_text(key, sizeof key, in, sizeof in - 1, &out, &len, &n) == 0 &&
	    n == 3, "redact_text: 3 values in a config file (%lu)", n);
	ok(out && strlen(out) == len && !strstr(out, "KEY1") && !strstr(out, "KEY2") &&
	    !strstr(out, "ABC") && !strstr(out, "DEF"), "redact_text: no credential left");
	ok(out && strncmp(out, "color=red\naws_secret_access_key = [REDACTED hmac-sha256:",
	    strlen("color=red\naws_secret_access_key = [REDACTED hmac-sha256:")) == 0 &&
	    strstr(out, "]\r\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED hmac-sha256:") &&
	    strstr(out, "]\n-----END RSA PRIVATE KEY-----\ndb:\n  password: [REDACTED"),
	    "redact_text: names, armour and other lines stay");
	free(out);
	ok(redact_text(key, sizeof key, "a=b", 3, &out, &len, &n) == 0 && n == 0 &&
	    strcmp(out, "a=b") == 0, "redact_text: nothing to do, same text");
	free(out);
}

int main(void)
{
	struct plants p;

	plants_init(&p);
	gap_events(&p);
	exec_lines(&p);
	deep_last_applied(&p);
	markers();
	text_values();
	secrets_events(&p);
	token_events(&p);
	configmap_events(&p);
	every_event(&p);
	return tap_done();
}
