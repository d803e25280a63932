/* Unit tests of plugin/deliver/reject.c on real files in a temporary directory:
 * any JSON value, hashed input, the size budget, rotation by rename, and a
 * full disk (RLIMIT_FSIZE) that cuts a write short. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "reject.h"
#include "tap.h"

static const unsigned char key[32] = { 1, 2, 3 };

/* The file's lines, each parsed; NULL when one is not JSON or the file
 * does not end with a newline. */
static json_t *
entries(const char *path)
{
	json_t *all = json_array(), *e;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return all;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n' ||
		    (e = json_loadb(line, (size_t)n, 0, NULL)) == NULL) {
			json_decref(all);
			all = NULL;
			break;
		}
		json_array_append_new(all, e);
	}
	free(line);
	fclose(f);
	return all;
}

static off_t
size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
test_values(const char *path)
{
	struct reject r;
	json_t *all, *v;
	size_t i;
	static const char *const values[] = {
		"1", "null", "\"x\"", "[true,{}]", "{\"a\":\"\\u00e9\"}",
	};

	ok(reject_open(&r, path, 0) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	for (i = 0; i < sizeof(values) / sizeof(*values); i++) {
		v = json_loads(values[i], JSON_DECODE_ANY, NULL);
		ok(reject_json(&r, "why \xff", v, (long)i) == 0,
		    "any JSON value is set aside: %s", values[i]);
		json_decref(v);
	}
	ok(reject_hashed(&r, "broken", "{\"password\":\"hunter2", 20, -1) == 0,
	    "unparsable input is set aside hashed");
	reject_close(&r);
	all = entries(path);
	ok(all != NULL && json_array_size(all) == 6, "six whole entries");
	for (i = 0; all && i < 5; i++) {
		v = json_loads(json_string_value(json_object_get(
		    json_array_get(all, i), "input")), JSON_DECODE_ANY, NULL);
		ok(v != NULL && json_integer_value(json_object_get(
		    json_array_get(all, i), "item")) == (json_int_t)i,
		    "entry %zu: input parses back, item index kept", i);
		json_decref(v);
	}
	v = all ? json_array_get(all, 5) : NULL;
	ok(v && json_object_get(v, "input") == NULL &&
	    json_integer_value(json_object_get(v, "length")) == 20 &&
	    strlen(json_string_value(json_object_get(v, "input_hmac"))) == 64,
	    "hashed entry: length and 64 hex digits, no input");
	json_decref(all);
	unlink(path);
}

static void
test_budget(const char *path)
{
	struct reject r;
	unsigned i;

	ok(reject_open(&r, path, 1000) == 0, "open with a 1000-byte budget");
	reject_set_key(&r, key, sizeof(key));
	for (i = 0; i < 20; i++)
		if (reject_hashed(&r, "budget", "x", 1, -1) != 0)
			break;
	ok(i == 20, "every entry past the budget still succeeds");
	ok(size_of(path) > 0 && size_of(path) <= 1000, "the file stays within "
	    "its budget (%lld)", (long long)size_of(path));
	ok(reject_unwritten(&r) > 0 && reject_unwritten(&r) == 0,
	    "entries past it are counted, the count read once");
	/* A rotation starts a new budget. */
	ok(rename(path, "rotated") == 0, "rotate by rename");
	ok(reject_hashed(&r, "after", "y", 1, -1) == 0 && size_of(path) > 0,
	    "after rotation by rename, entries go to a new file at the path");
	reject_close(&r);
	unlink(path);
	unlink("rotated");
}

static void
test_full_disk(const char *path)
{
	struct rlimit old, lim;
	struct reject r;
	json_t *all;
	off_t before;
	int rc;

	ok(reject_open(&r, path, 0) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	ok(reject_hashed(&r, "first", "a", 1, -1) == 0, "a first entry");
	before = size_of(path);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 40;
	setrlimit(RLIMIT_FSIZE, &lim);
	rc = reject_hashed(&r, "second", "b", 1, -1);
	ok(rc < 0, "a write cut short fails (%d)", rc);
	ok(size_of(path) == before, "and is cut back off the file");
	ok(reject_hashed(&r, "third", "c", 1, -1) == rc,
	    "during the back-off the same error, at once");
	setrlimit(RLIMIT_FSIZE, &old);
	all = entries(path);
	ok(all != NULL && json_array_size(all) == 1,
	    "the file holds whole entries only");
	json_decref(all);
	reject_close(&r);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/test_reject.XXXXXX";

	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		return 1;
	test_values("r/rejected.jsonl");
	test_budget("r/rejected.jsonl");
	test_full_disk("r/rejected.jsonl");
	rmdir("r");
	if (chdir("/") == 0)
		rmdir(dir);
	return tap_done();
}
