/* Unit tests of plugin/pace.c: the token bucket and the back-off on
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
	unsigned long long dropped;
	double usage;

	ok(pace_parse_state("# State\nevents_received='10'\nevents_dropped='3'\n"
	    "event_queue_usage='0.75'\n", &dropped, &usage) && dropped == 3 &&
	    usage > 0.74 && usage < 0.76, "state file values read");
	ok(!pace_parse_state("total_events_dropped='3'\n", &dropped, &usage),
	    "a key is matched whole, at a line start");
	ok(!pace_parse_state("", &dropped, &usage), "empty state: nothing");
}

static void
write_state(const char *path, const char *dropped, const char *usage)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	fprintf(f, "events_received='100'\nevents_dropped='%s'\n"
	    "event_queue_usage='%s'\n", dropped, usage);
	fclose(f);
}

static void
test_backoff(void)
{
	char path[] = "/tmp/wka-pace-XXXXXX";
	struct log lg = { LOG_TARGET_STDERR };
	struct timespec t = at(1000);
	struct pace p;
	int fd = mkstemp(path);

	if (!ok(fd != -1, "temp state file"))
		return;
	close(fd);
	pace_init(&p, 4000, path, &t);
	write_state(path, "12", "0.20");
	pace_observe(&p, &t, &lg);
	ok(p.eps == 2000, "events dropped: ceiling halved (%u)", p.eps);
	t = at(1000.5);
	write_state(path, "5", "0.20");
	pace_observe(&p, &t, &lg);
	ok(p.eps == 2000, "at most one look a second (%u)", p.eps);
	t = at(1002);
	write_state(path, "0", "0.80");
	pace_observe(&p, &t, &lg);
	ok(p.eps == 1500, "queue 80%% full: ceiling cut a quarter (%u)", p.eps);
	t = at(1004);
	write_state(path, "0", "0.10");
	pace_observe(&p, &t, &lg);
	ok(p.eps == 1900, "queue draining: a tenth of max back (%u)", p.eps);
	t = at(1006);
	pace_observe(&p, &t, &lg);
	ok(p.eps == 1900, "an unchanged state file is read once (%u)", p.eps);
	unlink(path);
	t = at(1008);
	pace_observe(&p, &t, &lg);
	ok(p.eps == 1900, "a missing state file changes nothing");
}

int
main(void)
{
	test_bucket();
	test_parse();
	test_backoff();
	return tap_done();
}
