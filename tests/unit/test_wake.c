/*
 * test_wake: rsyslogd's start message is told apart exactly; anything else
 * that only looks like it (a webhook body could) is input like any other.
 */
#include <string.h>

#include "tap.h"
#include "wake.h"

/* As rsyslogd 8.2302 writes it (seen with processInternalMessages="on"). */
static const char START[] = "[origin software=\"rsyslogd\" "
    "swVersion=\"8.2302.0\" x-pid=\"4988\" "
    "x-info=\"https://www.rsyslog.com\"] start";

static bool
wake(const char *s)
{
	return wake_line(s, strlen(s));
}

int
main(void)
{
	char buf[1024];

	ok(wake(START), "rsyslogd's start message");
	ok(!wake("[origin software=\"rsyslogd\" swVersion=\"8.2302.0\" "
	    "x-pid=\"4988\" x-info=\"https://www.rsyslog.com\"] exiting on "
	    "signal 15."), "its exit message is not");
	snprintf(buf, sizeof(buf), "%s {\"kind\":\"Event\"}", START);
	ok(!wake(buf), "the start message with an event after it is not");
	snprintf(buf, sizeof(buf), "{\"kind\":\"EventList\"} %s", START);
	ok(!wake(buf), "an event with the start message after it is not");
	ok(!wake_line(START, sizeof(START) - 2), "cut short, it is not");
	ok(!wake("[origin software=\"rsyslogd\" swVersion=\"8.2302.0\" "
	    "x-pid=\"49x8\" x-info=\"u\"] start"), "a pid that is not digits");
	ok(!wake("[origin software=\"rsyslogd\" swVersion=\"\" x-pid=\"1\" "
	    "x-info=\"u\"] start"), "an empty version");
	ok(!wake("[origin software=\"rsyslogd\" swVersion=\"8\" x-pid=\"1\" "
	    "x-info=\"u\" extra=\"e\"] start"), "a member more");
	memset(buf, 'v', sizeof(buf));
	memcpy(buf, START, 41);
	snprintf(buf + 600, sizeof(buf) - 600, "\" x-pid=\"1\" x-info=\"u\"] "
	    "start");
	ok(!wake(buf), "longer than any start message");
	ok(!wake_line("", 0), "an empty line");
	return tap_done();
}
