/*
 * needles: does any of a set of byte strings occur in a text?
 */
#include <string.h>

#include "needles.h"

static bool
starts_here(const char *const *list, size_t count, const char *p, size_t left)
{
	for (size_t i = 0; i < count; i++) {
		const char *s = list[i];
		size_t n;

		/* Most candidates differ in their first two bytes. */
		if (s[0] != p[0] || (s[1] != '\0' && (left < 2 || s[1] != p[1])))
			continue;
		n = strlen(s);
		if (n <= left && memcmp(p, s, n) == 0)
			return true;
	}
	return false;
}

/*
 * One memchr pass per distinct first byte: memchr goes through a text
 * many bytes at a time, and needles start with bytes that are rare in
 * audit JSON, so few places get a closer look.
 */
bool
needles_find(const char *const *list, size_t count, const char *text,
    size_t len)
{
	const char *p, *end = text + len;
	bool seen[256] = { false };

	for (size_t i = 0; i < count; i++) {
		unsigned char c = (unsigned char)list[i][0];

		if (seen[c])
			continue;
		seen[c] = true;
		for (p = text; (p = memchr(p, c, (size_t)(end - p))) != NULL;
		    p++) {
			if (starts_here(list, count, p, (size_t)(end - p)))
				return true;
		}
	}
	return false;
}
