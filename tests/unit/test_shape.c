/*
 * test_shape: shape_event over every corpus event (valid JSON within both
 * limits, original fields intact unless recorded as dropped), stages,
 * --cluster, the 220 KB event, SHAPE_TOO_BIG, and keyfile_load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "fit.h"
#include "keyfile.h"
#include "shape.h"
#include "tap.h"

static struct shape_config config(size_t max_bytes, size_t max_fields)
{
	struct shape_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.stages = SHAPE_STAGE_ALL;
	cfg.max_bytes = max_bytes;
	cfg.max_fields = max_fields;
	memset(cfg.key, 0x33, sizeof cfg.key);
	return cfg;
}

static void test_stages(void)
{
	static const struct {
		const char *list;
		int rc;
		unsigned bits;
	} cases[] = {
		{ "ResponseComplete", 0, SHAPE_STAGE_RESPONSE_COMPLETE },
		{ "RequestReceived,ResponseComplete", 0,
		    SHAPE_STAGE_REQUEST_RECEIVED | SHAPE_STAGE_RESPONSE_COMPLETE },
		{ " Panic , ResponseStarted", 0, SHAPE_STAGE_PANIC | SHAPE_STAGE_RESPONSE_STARTED },
		{ "RequestReceived,ResponseStarted,ResponseComplete,Panic", 0, SHAPE_STAGE_ALL },
		{ "", -EINVAL, 0 },
		{ "Foo", -EINVAL, 0 },
		{ "ResponseComplete,", -EINVAL, 0 },
		{ "ResponseComplete,,Panic", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned bits = 0xdead;
		int rc = shape_stage_parse(cases[i].list, &bits);

		ok(rc == cases[i].rc && (rc != 0 || bits == cases[i].bits),
		    "shape_stage_parse(\"%s\") = %d", cases[i].list, rc);
	}
}

static json_t *first_event(const char *file)
{
	json_t *events = corpus_file_events(file);
	json_t *e = json_deep_copy(json_array_get(events, 0));

	json_decref(events);
	return e;
}

static void test_filter_cluster(void)
{
	struct shape_config cfg = config(65529, 256);
	struct shape_stats st = { 0, 0, 0 };
	json_t *started = first_event("falco-exec_pod.json");	/* ResponseStarted */
	json_t *complete = first_event("falco-create_secret.json");
	char *out = (char *)"x";
	size_t len = 1;

	cfg.stages = SHAPE_STAGE_RESPONSE_COMPLETE;
	cfg.cluster = "prod-eu";
	ok(shape_event(&cfg, started, &out, &len, &st) == SHAPE_FILTERED &&
	    out == NULL && st.filtered == 1, "ResponseStarted filtered by --stages");
	ok(shape_event(&cfg, complete, &out, &len, &st) == SHAPE_OK &&
	    strstr(out, "\"cluster\":\"prod-eu\"") != NULL, "--cluster adds k8s.cluster");
	free(out);
	json_object_del(started, "stage");
	json_object_set_new(started, "k8s", json_pack("{s:b}", "privileged", 1));
	ok(shape_event(&cfg, started, &out, &len, &st) == SHAPE_OK,
	    "an event without a stage is forwarded");
	ok(out && strstr(out, "\"privileged\"") == NULL,
	    "a k8s object sent by the client is replaced");
	free(out);
	json_decref(started);
	json_decref(complete);
}

/*
 * Issue 12, finding 10: Wazuh reads fields without regard to case and takes
 * the first match, so a client's `K8s` (or a `k8s.x` member) would shadow
 * ours.  Each such member is removed and counted (an exact `k8s` is only
 * replaced).
 */
static void test_forged_k8s(void)
{
	static const struct {
		const char *members;	/* added to a real event */
		long long forged;
	} cases[] = {
		{ "\"K8s\":{\"privileged\":false}", 1 },
		{ "\"K8S\":{\"privileged\":false}", 1 },
		{ "\"k8S.privileged\":false", 1 },
		{ "\"k8s\":{\"privileged\":false},\"K8s\":1,\"k8s.x\":2", 2 },
		{ "\"k8s\":{\"privileged\":false}", 0 },	/* replaced */
		{ "\"k8sx\":{\"privileged\":false}", 0 },	/* another name */
	};
	struct shape_config cfg = config(65529, 256);
	struct shape_stats st = { 0, 0, 0 };

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_t *e = first_event("falco-create_nginx_pod_privileged.json");
		json_t *add, *back = NULL, *k8s;
		const char *key;
		char text[256];
		char *out = NULL;
		size_t len = 0, others = 0;
		json_t *v;

		snprintf(text, sizeof text, "{%s}", cases[i].members);
		add = json_loads(text, 0, NULL);
		json_object_update(e, add);
		if (shape_event(&cfg, e, &out, &len, &st) == SHAPE_OK)
			back = json_loadb(out, len, 0, NULL);
		k8s = json_object_get(back, "k8s");
		json_object_foreach(back, key, v)
			if (strncasecmp(key, "k8s", 3) == 0 &&
			    (key[3] == '\0' || key[3] == '.') && v != k8s)
				others++;
		ok(back && others == 0 && json_is_true(json_object_get(k8s,
		    "privileged")) && json_integer_value(json_object_get(k8s,
		    "forged_k8s")) == cases[i].forged && (cases[i].forged ||
		    json_object_get(k8s, "forged_k8s") == NULL),
		    "client-sent %s: only our k8s is left, forged_k8s %lld",
		    cases[i].members, cases[i].forged);
		json_decref(add);
		json_decref(back);
		json_decref(e);
		free(out);
	}
}

/* Remove metadata.managedFields anywhere in `v`. */
static void strip_managed(json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			strip_managed(child);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_del(json_object_get(v, "metadata"), "managedFields");
	json_object_foreach(v, key, child)
		strip_managed(child);
}

/* What the output must equal, given what k8s says was done. */
static json_t *expected_of(const json_t *orig, const json_t *k8s)
{
	json_t *x = json_deep_copy(orig);
	const char *dropped = json_string_value(json_object_get(k8s, "dropped"));

	if (dropped && strstr(dropped, "managedFields")) {
		strip_managed(json_object_get(x, "requestObject"));
		strip_managed(json_object_get(x, "responseObject"));
	}
	if (dropped && strstr(dropped, "responseObject"))
		json_object_del(x, "responseObject");
	if (dropped && strstr(dropped, "requestObject"))
		json_object_del(x, "requestObject");
	return x;
}

/* The members a redaction or a value-level drop may have changed. */
static void forget_changed(json_t *a, json_t *b, const json_t *k8s)
{
	const char *dropped = json_string_value(json_object_get(k8s, "dropped"));

	if (json_object_get(k8s, "redacted")) {
		json_object_del(a, "requestObject");
		json_object_del(b, "requestObject");
		json_object_del(a, "responseObject");
		json_object_del(b, "responseObject");
	}
	if (dropped && (strstr(dropped, "annotation") || strstr(dropped, "longStrings") ||
	    strstr(dropped, "userExtra"))) {
		/* Compared only where the step could not reach. */
		json_object_del(a, "annotations");
		json_object_del(b, "annotations");
		json_object_del(a, "user");
		json_object_del(b, "user");
		json_object_del(a, "impersonatedUser");
		json_object_del(b, "impersonatedUser");
		json_object_del(a, "userAgent");
		json_object_del(b, "userAgent");
		json_object_del(a, "requestURI");
		json_object_del(b, "requestURI");
	}
}

/* One corpus event under limits; returns true when every check holds. */
static bool shape_one(const json_t *orig, const struct shape_config *cfg,
    bool allow_too_big, const char **why)
{
	struct shape_stats st = { 0, 0, 0 };
	json_t *e = json_deep_copy(orig), *back, *k8s, *x;
	struct fit_measure m;
	char *out;
	size_t len;
	bool good;
	enum shape_status rc = shape_event(cfg, e, &out, &len, &st);

	if (rc == SHAPE_TOO_BIG && allow_too_big) {
		/* Set aside whole: nothing dropped, only k8s added. */
		json_object_del(e, "k8s");
		good = json_object_get(orig, "requestObject") == NULL ||
		    json_object_get(e, "requestObject") != NULL;
		*why = "TOO_BIG left parts dropped";
		json_decref(e);
		return good;
	}
	*why = "not SHAPE_OK";
	if (rc != SHAPE_OK) {
		json_decref(e);
		return false;
	}
	back = json_loadb(out, len, 0, NULL);
	fit_measure(back, &m);
	k8s = json_incref(json_object_get(back, "k8s"));
	x = expected_of(orig, k8s);
	json_object_del(back, "k8s");
	forget_changed(x, back, k8s);
	*why = "invalid JSON, over a limit, or an original field changed";
	good = back && len <= cfg->max_bytes && m.fields <= cfg->max_fields &&
	    strncmp(out, "{\"", 2) == 0 && out[len] == '\0' &&
	    json_is_string(json_object_get(k8s, "summary")) &&
	    json_equal(x, back) &&
	    (st.trimmed == 1) == (json_object_get(k8s, "dropped") != NULL);
	json_decref(x);
	json_decref(k8s);
	json_decref(back);
	json_decref(e);
	free(out);
	return good;
}

static void test_corpus(size_t max_bytes, size_t max_fields, bool allow_too_big)
{
	struct shape_config cfg = config(max_bytes, max_fields);
	size_t n, events = 0, good = 0;
	char **files = corpus_files(&n);

	for (size_t f = 0; f < n; f++) {
		json_t *list = corpus_file_events(files[f]), *ev;
		size_t i;

		json_array_foreach(list, i, ev) {
			const char *why = "";

			events++;
			if (shape_one(ev, &cfg, allow_too_big, &why))
				good++;
			else
				diag("%s[%zu]: %s", files[f], i, why);
		}
		json_decref(list);
	}
	corpus_files_free(files);
	ok(events >= 228 && good == events,
	    "%zu of %zu corpus events: valid JSON, <= %zu bytes, <= %zu fields, "
	    "originals intact unless dropped", good, events, max_bytes, max_fields);
}

static void test_big_event(void)
{
	json_t *list = corpus_file_events("clo-openshift-apiaudit-mixed-100.jsonl"), *ev;
	struct shape_config cfg = config(65529, 256);
	struct shape_stats st = { 0, 0, 0 };
	size_t i, biggest = 0, at = 0, len;
	char *text, *out;

	json_array_foreach(list, i, ev) {
		text = json_dumps(ev, JSON_COMPACT);
		if (strlen(text) > biggest) {
			biggest = strlen(text);
			at = i;
		}
		free(text);
	}
	ev = json_array_get(list, at);
	ok(biggest > 200000, "the corpus's biggest event is %zu bytes", biggest);
	ok(shape_event(&cfg, ev, &out, &len, &st) == SHAPE_OK && len <= cfg.max_bytes &&
	    st.trimmed == 1, "it is shaped to %zu bytes", len);
	ok(out && strstr(out, "\"dropped\":\"responseObject\"") &&
	    strstr(out, "\"resource\":\"configmaps\"") && strstr(out, "\"auditID\""),
	    "its response went, its k8s fields and audit fields stayed");
	free(out);

	/* Far too small a limit: set aside, nothing dropped for good. */
	ev = json_deep_copy(json_array_get(list, 4));
	cfg.max_bytes = 300;
	ok(shape_event(&cfg, ev, &out, &len, &st) == SHAPE_TOO_BIG && out == NULL,
	    "300-byte limit: SHAPE_TOO_BIG");
	ok(json_object_get(ev, "responseObject") && json_object_get(ev, "requestObject") &&
	    !json_object_get(json_object_get(ev, "k8s"), "dropped"),
	    "SHAPE_TOO_BIG leaves the bodies in the event");
	json_decref(ev);
	json_decref(list);
}

static void test_keyfile(void)
{
	char dir[] = "/tmp/test_shape.XXXXXX", path[256], cmd[300];
	unsigned char k1[32], k2[32];
	struct stat st;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(false, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/a/b/hmac.key", dir);
	ok(keyfile_load(path, k1, sizeof k1) == 0, "a missing key is created");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32,
	    "with mode 0600 and 32 bytes");
	snprintf(path, sizeof path, "%s/a", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "parents are 0700");
	snprintf(path, sizeof path, "%s/a/b/hmac.key", dir);
	ok(keyfile_load(path, k2, sizeof k2) == 0 && memcmp(k1, k2, 32) == 0,
	    "and read back the same");
	chmod(path, 0644);
	ok(keyfile_load(path, k2, sizeof k2) == -EINVAL, "a group/world-readable key is refused");
	snprintf(path, sizeof path, "%s/short.key", dir);
	f = fopen(path, "w");
	fputs("short", f);
	fclose(f);
	chmod(path, 0600);
	ok(keyfile_load(path, k2, sizeof k2) == -EINVAL, "a short key is refused");
	/* Planted where root reads it: the target is not taken as the key. */
	snprintf(path, sizeof path, "%s/a/b/hmac.key", dir);
	chmod(path, 0600);
	snprintf(cmd, sizeof cmd, "%s/link.key", dir);
	ok(symlink(path, cmd) == 0 &&
	    keyfile_load(cmd, k2, sizeof k2) == -ELOOP,
	    "a symbolic link is refused");
	snprintf(cmd, sizeof cmd, "%s/hard.key", dir);
	ok(link(path, cmd) == 0 && keyfile_load(cmd, k2, sizeof k2) == -EINVAL,
	    "a hard link is refused");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

int main(void)
{
	test_forged_k8s();
	test_stages();
	test_filter_cluster();
	test_corpus(65535 - 6, 256, false);
	test_corpus(65535 - 6, 64, true);
	test_corpus(4096, 256, true);
	test_big_event();
	test_keyfile();
	return tap_done();
}
