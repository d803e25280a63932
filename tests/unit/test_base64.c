/*
 * base64_decode against RFC 4648's test vectors (section 10), and what it
 * must refuse.
 */
#include <string.h>

#include "base64.h"
#include "tap.h"

/* Whether `text` decodes to exactly `want`. */
static bool
decodes(const char *text, const char *want)
{
	unsigned char out[64];
	long n = base64_decode(text, strlen(text), out);

	return n == (long)strlen(want) && memcmp(out, want, (size_t)n) == 0;
}

static bool
refused(const char *text)
{
	unsigned char out[64];

	return base64_decode(text, strlen(text), out) == -1;
}

int
main(void)
{
	static const char *const vectors[][2] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" },
		{ "Zm9v", "foo" }, { "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
		{ "+/+/", "\xfb\xff\xbf" },
	};
	static const char *const bad[] = {
		"Zg=", "Zm9", "Zg=a", "Z===", "Zm9 ", "Zm-_", "====",
	};
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		ok(decodes(vectors[i][0], vectors[i][1]), "\"%s\" decodes "
		    "(RFC 4648 section 10)", vectors[i][0]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(refused(bad[i]), "\"%s\" refused", bad[i]);
	return tap_done();
}
