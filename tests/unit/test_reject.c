/* Unit tests of plugin/deliver/reject.c on real files in a temporary directory:
 * any JSON value, hashed input, the size budget, rotation by rename, a
 * full disk (RLIMIT_FSIZE) that cuts a write short, one sync per batch of
 * entries, and what may be planted at its path (links, a FIFO, a directory
 * others can write). */
#include <errno.h>
#include <fcntl.h>
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

	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	/* Items 0, 2, 4...: not consecutive, so each is an entry. */
	for (i = 0; i < sizeof(values) / sizeof(*values); i++) {
		v = json_loads(values[i], JSON_DECODE_ANY, NULL);
		ok(reject_json(&r, "why \xff", v, 2 * (long)i) == 0,
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
		    json_array_get(all, i), "item")) == 2 * (json_int_t)i &&
		    json_object_get(json_array_get(all, i), "items") == NULL,
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

/* Entry `e` stands for items first..first+count-1 whose inputs are `want`
 * (a JSON array's text). */
static int
is_run(const json_t *e, const char *reason, long first, long count,
    const char *want)
{
	json_t *in, *w;
	int same;

	if (e == NULL || json_integer_value(json_object_get(e, "item")) != first ||
	    json_integer_value(json_object_get(e, "items")) != count ||
	    strcmp(json_string_value(json_object_get(e, "reason")), reason) != 0)
		return 0;
	in = json_loads(json_string_value(json_object_get(e, "inputs")), 0,
	    NULL);
	w = json_loads(want, 0, NULL);
	same = in != NULL && w != NULL && json_equal(in, w);
	json_decref(in);
	json_decref(w);
	return same;
}

static int
item(struct reject *r, const char *reason, const char *text, long index)
{
	return reject_text(r, reason, text, strlen(text), index);
}

/* Consecutive items of one reason make one entry; anything else ends it. */
static void
test_runs(const char *path)
{
	struct reject r;
	json_t *all, *e;
	long i, covered = 0, next = 0;
	size_t k;
	int rc = 0;

	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	rc |= item(&r, "not an object", "1", 0);
	rc |= item(&r, "not an object", "\"a\"", 1);
	rc |= item(&r, "not an object", "[2]", 2);
	rc |= item(&r, "other", "3", 3);		/* another reason */
	rc |= item(&r, "other", "4", 4);
	rc |= item(&r, "other", "6", 6);		/* a gap */
	rc |= item(&r, "line", "{}", -1);		/* a whole line */
	rc |= item(&r, "other", "7", 7);
	rc |= reject_hashed(&r, "hashed", "x", 1, 8);
	ok(rc == 0 && reject_dirty(&r), "items taken, waiting for the sync");
	ok(reject_sync(&r) == 0 && !reject_dirty(&r), "synced");
	all = entries(path);
	ok(all != NULL && json_array_size(all) == 6, "six entries (%zu)",
	    all ? json_array_size(all) : 0);
	ok(is_run(json_array_get(all, 0), "not an object", 0, 3,
	    "[1,\"a\",[2]]"), "items 0-2: one entry, inputs in order");
	ok(is_run(json_array_get(all, 1), "other", 3, 2, "[3,4]"),
	    "a new reason starts a new entry");
	e = json_array_get(all, 2);
	ok(e && json_integer_value(json_object_get(e, "item")) == 6 &&
	    json_object_get(e, "items") == NULL &&
	    strcmp(json_string_value(json_object_get(e, "input")), "6") == 0,
	    "a lone item keeps the single-entry form (item, input)");
	e = json_array_get(all, 3);
	ok(e && json_object_get(e, "item") == NULL &&
	    strcmp(json_string_value(json_object_get(e, "input")), "{}") == 0,
	    "a whole line in its place, in order");
	ok(json_integer_value(json_object_get(json_array_get(all, 4),
	    "item")) == 7 && json_integer_value(json_object_get(
	    json_array_get(all, 5), "item")) == 8, "then item 7, then the "
	    "hashed item 8");
	json_decref(all);
	reject_close(&r);
	unlink(path);

	/* 100,000 items: a few entries of bounded size, every item once. */
	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	for (i = 0; i < 100000 && rc == 0; i++)
		rc = item(&r, "not an object", "12345", i);
	ok(rc == 0 && reject_sync(&r) == 0, "100,000 items taken and synced");
	all = entries(path);
	ok(all != NULL && json_array_size(all) > 1 &&
	    json_array_size(all) < 100, "in a few entries (%zu)",
	    all ? json_array_size(all) : 0);
	for (k = 0; all && k < json_array_size(all); k++) {
		e = json_array_get(all, k);
		if (json_integer_value(json_object_get(e, "item")) != next)
			break;
		next += json_integer_value(json_object_get(e, "items"));
		covered += json_integer_value(json_object_get(e, "items"));
	}
	ok(covered == 100000 && next == 100000,
	    "their ranges follow each other and cover every item");
	json_decref(all);
	reject_close(&r);
	unlink(path);
}

static void
test_budget(const char *path)
{
	struct reject r;
	unsigned i;

	ok(reject_open(&r, path, 1000, getuid()) == 0, "open with a 1000-byte budget");
	reject_set_key(&r, key, sizeof(key));
	for (i = 0; i < 20; i++)
		if (reject_hashed(&r, "budget", "x", 1, -1) != 0)
			break;
	ok(i == 20 && reject_sync(&r) == 0,
	    "every entry past the budget still succeeds");
	ok(size_of(path) > 0 && size_of(path) <= 1000, "the file stays within "
	    "its budget (%lld)", (long long)size_of(path));
	ok(reject_unwritten(&r) > 0 && reject_unwritten(&r) == 0,
	    "entries past it are counted, the count read once");
	/* A rotation starts a new budget. */
	ok(rename(path, "rotated") == 0, "rotate by rename");
	ok(reject_hashed(&r, "after", "y", 1, -1) == 0 &&
	    reject_sync(&r) == 0 && size_of(path) > 0,
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

	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	ok(reject_hashed(&r, "first", "a", 1, -1) == 0 &&
	    reject_sync(&r) == 0, "a first entry");
	before = size_of(path);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 40;
	setrlimit(RLIMIT_FSIZE, &lim);
	ok(reject_hashed(&r, "second", "b", 1, -1) == 0 &&
	    reject_hashed(&r, "second", "b", 1, -1) == 0,
	    "two entries taken (written at the sync)");
	rc = reject_sync(&r);
	ok(rc < 0, "a write cut short fails at the sync (%d)", rc);
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

/* A run of items whose entry cannot be written fails at the sync. */
static void
test_run_lost(const char *path)
{
	struct rlimit old, lim;
	struct reject r;
	json_t *all;
	long i;
	int rc = 0;

	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 100;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 0; i < 1000 && rc == 0; i++)
		rc = reject_text(&r, "run", "1", 1, i);
	ok(rc == 0, "1000 items taken into a run");
	rc = reject_sync(&r);
	ok(rc < 0, "their entry cut short: the sync fails (%d)", rc);
	setrlimit(RLIMIT_FSIZE, &old);
	all = entries(path);
	ok(all != NULL && json_array_size(all) == 0,
	    "nothing half-written is left");
	json_decref(all);
	reject_close(&r);
	unlink(path);
}

/* The file `p` holds exactly `want`, and is still root's (or ours). */
static int
untouched(const char *p, const char *want)
{
	char buf[64] = "";
	struct stat st;
	FILE *f = fopen(p, "r");

	if (f == NULL)
		return 0;
	(void)!fgets(buf, sizeof(buf), f);
	fclose(f);
	return stat(p, &st) == 0 && st.st_uid == getuid() &&
	    strcmp(buf, want) == 0;
}

static void
test_planted(void)
{
	struct reject r;
	FILE *f;
	int rc = 0;

	ok(mkdir("p", 0750) == 0, "a directory for planted files");
	f = fopen("decoy", "w");
	fputs("root only\n", f);
	fclose(f);
	chmod("decoy", 0600);
	/* Unblocks the test if an open of the FIFO below ever waits. */
	alarm(10);
	ok(symlink("../decoy", "p/sym.jsonl") == 0 &&
	    reject_open(&r, "p/sym.jsonl", 0, getuid()) == -ELOOP,
	    "a symbolic link at the path is refused (-ELOOP)");
	reject_close(&r);
	ok(link("decoy", "p/hard.jsonl") == 0 &&
	    reject_open(&r, "p/hard.jsonl", 0, getuid()) == -EINVAL,
	    "a hard link at the path is refused (-EINVAL)");
	reject_close(&r);
	ok(untouched("decoy", "root only\n"), "the decoy is untouched");
	ok(mkfifo("p/fifo.jsonl", 0600) == 0 &&
	    reject_open(&r, "p/fifo.jsonl", 0, getuid()) == -EINVAL,
	    "a FIFO at the path is refused at once (-EINVAL)");
	reject_close(&r);
	alarm(0);
	ok(reject_open(&r, "p/new.jsonl", 0, getuid()) == 0 && r.created,
	    "a new file: created");
	reject_close(&r);
	ok(reject_open(&r, "p/new.jsonl", 0, getuid()) == 0 && !r.created,
	    "found again: not created (never handed over)");
	reject_close(&r);
	rc = symlink("p", "dirlink") == 0 ?
	    reject_open(&r, "dirlink/new.jsonl", 0, getuid()) : 0;
	ok(rc == -ELOOP || rc == -ENOTDIR,
	    "a symbolic link as its directory is refused (%d)", rc);
	reject_close(&r);
	chmod("p", 0777);
	ok(reject_open(&r, "p/new.jsonl", 0, getuid()) == -EPERM,
	    "in a directory others can write: refused (-EPERM)");
	reject_close(&r);
	unlink("dirlink");
	unlink("p/sym.jsonl");
	unlink("p/hard.jsonl");
	unlink("p/fifo.jsonl");
	unlink("p/new.jsonl");
	unlink("decoy");
	rmdir("p");
}

static void
test_sync(const char *path)
{
	struct reject r;
	unsigned i;
	int rc = 0;

	ok(reject_open(&r, path, 0, getuid()) == 0, "open");
	reject_set_key(&r, key, sizeof(key));
	ok(!reject_dirty(&r), "nothing to sync at first");
	for (i = 0; i < 100 && rc == 0; i++)
		rc = reject_hashed(&r, "batch", "x", 1, (long)i);
	ok(rc == 0 && reject_dirty(&r) && size_of(path) == 0,
	    "100 entries taken, waiting for one sync");
	ok(reject_sync(&r) == 0 && !reject_dirty(&r) &&
	    size_of(path) > 100 * 90, "one write and sync for them all");
	ok(reject_sync(&r) == 0, "a second sync has nothing to do");
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
	test_runs("r/rejected.jsonl");
	test_budget("r/rejected.jsonl");
	test_full_disk("r/rejected.jsonl");
	test_run_lost("r/rejected.jsonl");
	test_sync("r/rejected.jsonl");
	test_planted();
	rmdir("r");
	if (chdir("/") == 0)
		rmdir(dir);
	return tap_done();
}
