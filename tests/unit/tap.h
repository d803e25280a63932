/*
 * tap.h: the Test Anything Protocol for C unit tests, header only.
 *
 * ok(cond, fmt, ...) prints "ok N - text" or "not ok N - text" and returns
 * cond; tap_skip() prints a skipped test; diag() a "# " comment;
 * tap_done() prints the plan ("1..N") last and returns the exit status.
 * The counters are file-static: each test program is one TAP stream.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static unsigned tap_count, tap_failed;

__attribute__((format(printf, 2, 3), unused))
static bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %u - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

__attribute__((unused))
static void tap_skip(const char *what, const char *reason)
{
	printf("ok %u - %s # SKIP %s\n", ++tap_count, what, reason);
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%u\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif /* !TAP_H */
