/*
 * needles: does any of a set of byte strings occur in a text?
 */
#include <stdint.h>
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

bool
needles_find(const char *const *list, size_t count, const char *text,
    size_t len)
{
	uint64_t first[4] = { 0, 0, 0, 0 };
	unsigned char c;

	for (size_t i = 0; i < count; i++) {
		c = (unsigned char)list[i][0];
		first[c >> 6] |= (uint64_t)1 << (c & 63);
	}
	for (size_t p = 0; p < len; p++) {
		c = (unsigned char)text[p];
		if ((first[c >> 6] >> (c & 63) & 1) != 0 &&
		    starts_here(list, count, text + p, len - p))
			return true;
	}
	return false;
}
