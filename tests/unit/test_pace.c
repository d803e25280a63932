/* Unit tests of plugin/deliver/pace.c: the token bucket and the back-off on
 * analysisd's state file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pace.h"
#include "tap.h"

static struct timespec
at(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (long)s) * 1e9) };

	return t;
}

/* Events the bucket lets through in `seconds` of simulated time. */
static unsigned
admitted(struct pace *p, double from, double seconds)
{
	struct timespec t;
	unsigned n = 0;
	long i, steps = (long)(seconds * 10000 + 0.5);

	for (i = 0; i < steps; i++) {
		t = at(from + i * 0.0001);
		if (pace_take(p, &t) == 0)
			n++;
	}
	return n;
}

static void
test_bucket(void)
{
	struct timespec t0 = at(1000);
	struct pace p;
	unsigned n;
	long wait;

	pace_init(&p, 1000, "/nonexistent", &t0);
	n = admitted(&p, 1000, 2.0);
	ok(n >= 1990 && n <= 2060, "1000 eps over 2 s admits ~2000 (%u)", n);
	pace_init(&p, 1000, "/nonexistent", &t0);
	while (pace_take(&p, &t0) == 0)
		;
	wait = pace_take(&p, &t0);
	ok(wait > 1000 && wait < 100000, "empty bucket: wait %ld us, enough "
	    "for a burst, under 0.1 s", wait);
	pace_init(&p, 0, "/nonexistent", &t0);
	ok(admitted(&p, 1000, 0.01) == 100, "max-eps 0: no pacing");
}

static void
test_parse(void)
{
	struct pace_state st;

	ok(pace_parse_state("# State\nevents_received='10'\n\n"
	    "events_dropped='3'\nevent_queue_usage='0.75'\n", &st) &&
	    st.received == 10 && st.dropped == 3 && st.usage > 0.74 &&
	    st.usage < 0.76, "state file values read");
	ok(!pace_parse_state("events_received='1'\ntotal_events_dropped='3'\n"
	    "event_queue_usage='0.1'\n", &st),
	    "a key is matched whole, at a line start");
	ok(!pace_parse_state("", &st), "empty state: nothing");
}

static void
write_state(const char *path, const char *received, const char *dropped,
    const char *usage)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	fprintf(f, "# Events received\nevents_received='%s'\n\n"
	    "# Events dropped\nevents_dropped='%s'\n\n"
	    "event_queue_usage='%s'\n", received, dropped, usage);
	fclose(f);
}

/* One reading of the state file at simulated time `s`. */
static unsigned
observe(struct pace *p, double s, const char *path, const char *received,
    const char *dropped, const char *usage)
{
	struct log lg = { LOG_TARGET_STDERR };
	struct timespec t = at(s);

	if (received != NULL)
		write_state(path, received, dropped, usage);
	pace_observe(p, &t, &lg);
	return p->eps;
}

static void
test_backoff(void)
{
	char path[] = "/tmp/wka-pace-XXXXXX";
	struct timespec t = at(1000);
	struct pace p;
	int fd = mkstemp(path);

	if (!ok(fd != -1, "temp state file"))
		return;
	close(fd);
	pace_init(&p, 4000, path, &t);
	ok(observe(&p, 1000, path, "100", "12", "0.20") == 4000,
	    "first reading: a baseline, not a drop (%u)", p.eps);
	ok(observe(&p, 1002, path, "200", "12", "0.20") == 4000,
	    "cumulative drops that did not grow: no change (%u)", p.eps);
	ok(observe(&p, 1004, path, "300", "20", "0.20") == 2000,
	    "cumulative drops grew: ceiling halved (%u)", p.eps);
	ok(observe(&p, 1004.5, path, "400", "30", "0.20") == 2000,
	    "at most one look a second (%u)", p.eps);
	ok(observe(&p, 1006, path, "50", "5", "0.20") == 1000,
	    "received went down (new interval or restart): its drops count "
	    "(%u)", p.eps);
	ok(observe(&p, 1008, path, "60", "5", "0.80") == 750,
	    "queue 80%% full: ceiling cut a quarter (%u)", p.eps);
	ok(observe(&p, 1010, path, "70", "5", "0.95") == 375,
	    "queue 95%% full: ceiling halved (%u)", p.eps);
	ok(observe(&p, 1012, path, "80", "5", "0.10") == 775,
	    "queue draining: a tenth of max back (%u)", p.eps);
	ok(observe(&p, 1014, path, NULL, NULL, NULL) == 775,
	    "an unchanged state file is read once (%u)", p.eps);
	unlink(path);
	ok(observe(&p, 1016, path, NULL, NULL, NULL) == 775,
	    "a missing state file changes nothing");
}

int
main(void)
{
	test_bucket();
	test_parse();
	test_backoff();
	return tap_done();
}
