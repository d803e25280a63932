/* Unit tests of plugin/spool.c: entries survive a reopen, in order, with
 * their progress; completed lines are remembered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

static void
digest_of(const char *s, unsigned char d[SPOOL_DIGEST_LEN])
{
	spool_digest(s, strlen(s), d);
}

int
main(void)
{
	char dir[] = "/tmp/wka-spool-XXXXXX";
	char sub[64], big[400];
	unsigned char d1[SPOOL_DIGEST_LEN], d2[SPOOL_DIGEST_LEN];
	struct spool sp;
	size_t len, events;
	char *line;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	digest_of("line one", d1);
	digest_of("line two\nwith a newline inside", d2);
	ok(memcmp(d1, d2, SPOOL_DIGEST_LEN) != 0, "digests differ");

	ok(spool_open(&sp, sub, 1024) == 0 && sp.count == 0,
	    "a missing spool directory is created, empty");
	ok(spool_add(&sp, "line one", 8, d1, 0) == 0, "first entry saved");
	ok(spool_add(&sp, "line two\nwith a newline inside", 30, d2, 7) == 0,
	    "second entry saved");
	spool_close(&sp);

	ok(spool_open(&sp, sub, 1024) == 0 && sp.count == 2, "reopened: two "
	    "entries");
	ok(spool_find(&sp, d1) == 0 && spool_find(&sp, d2) == 1,
	    "found by digest, oldest first");
	ok(sp.entries[1].delivered == 7, "progress kept");
	ok(spool_load(&sp, 1, &line, &len) == 0 && len == 30 &&
	    memcmp(line, "line two\nwith a newline inside", 30) == 0,
	    "line bytes kept exactly");
	free(line);
	sp.entries[0].delivered = 3;
	ok(spool_update(&sp, 0) == 0, "progress updated");
	ok(spool_done(&sp, 1, 9) == 0 && sp.count == 1, "done entry removed");
	ok(spool_recent_events(&sp, d2, &events) && events == 9,
	    "done line remembered with its event count");
	ok(!spool_recent_events(&sp, d1, &events), "pending line not recent");
	spool_close(&sp);

	ok(spool_open(&sp, sub, 1024) == 0 && sp.count == 1 &&
	    sp.entries[0].delivered == 3, "reopened: updated progress kept");
	ok(spool_recent_events(&sp, d2, &events) && events == 9,
	    "recent lines survive a reopen");
	memset(big, 'x', sizeof(big));
	ok(spool_add(&sp, big, sizeof(big), d2, 0) == 0 &&
	    strcmp(sp.entries[1].name, sp.entries[0].name) > 0,
	    "new entries sort after old ones");
	spool_close(&sp);

	ok(spool_open(&sp, sub, 4) == 0, "reopen with a smaller max line");
	ok(spool_load(&sp, 1, &line, &len) == -EFBIG, "an entry above max_line "
	    "is refused, not read");
	spool_close(&sp);
	return tap_done();
}
