#include <string.h>

#include "wake.h"

/* Longer than any start message rsyslogd writes (its version and URL). */
#define WAKE_MAX 512

/* Advance *p past the literal s if the bytes at *p begin with it. */
static bool
literal(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Advance *p past a run of at least one byte up to the next '"'; digits
 * only if digits is set. */
static bool
value(const char **p, const char *end, bool digits)
{
	const char *q = *p;

	while (q < end && *q != '"') {
		if (digits && (*q < '0' || *q > '9'))
			return false;
		q++;
	}
	if (q == *p || q == end)
		return false;
	*p = q;
	return true;
}

bool
wake_line(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	if (len > WAKE_MAX)
		return false;
	return literal(&p, end, "[origin software=\"rsyslogd\" swVersion=\"") &&
	    value(&p, end, false) &&
	    literal(&p, end, "\" x-pid=\"") && value(&p, end, true) &&
	    literal(&p, end, "\" x-info=\"") && value(&p, end, false) &&
	    literal(&p, end, "\"] start") && p == end;
}
