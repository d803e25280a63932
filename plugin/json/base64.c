/*
 * base64: one decoder for the record data of the cloud frames and the
 * redaction of base64 Secret values.
 */
#include "base64.h"

#include <stdint.h>

/* The value of base64 digit c, or -1 (`=` included: padding is counted
 * apart). */
static int
digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
base64_decode(const char *text, size_t len, unsigned char *out)
{
	size_t pad = 0, n = 0, i;
	uint32_t acc = 0;
	int d;

	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	for (i = 0; i < len - pad; i++) {
		if ((d = digit((unsigned char)text[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)d;
		if (i % 4 == 3) {
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad == 1) {
		acc <<= 6;
		out[n++] = (unsigned char)(acc >> 16);
		out[n++] = (unsigned char)(acc >> 8);
	} else if (pad == 2) {
		acc <<= 12;
		out[n++] = (unsigned char)(acc >> 16);
	}
	return (long)n;
}
