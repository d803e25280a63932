/*
 * fingerprint: the marker that replaces a redacted value.
 */
#include "fingerprint.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int fingerprint_marker(const unsigned char *key, size_t keylen,
    const void *data, size_t len, char out[FINGERPRINT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	static const unsigned char empty[1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n = sizeof FINGERPRINT_PREFIX - 1;

	if (keylen > INT32_MAX)
		return -EIO;
	if (HMAC(EVP_sha256(), key, (int)keylen, data ? data : empty, len,
	    mac, &maclen) == NULL || maclen < FINGERPRINT_HEX / 2)
		return -EIO;
	memcpy(out, FINGERPRINT_PREFIX, n);
	for (size_t i = 0; i < FINGERPRINT_HEX / 2; i++) {
		out[n++] = hex[mac[i] >> 4];
		out[n++] = hex[mac[i] & 0xf];
	}
	out[n++] = ']';
	out[n] = '\0';
	return 0;
}

/* Value of one base64 digit, or -1. */
static int b64_digit(unsigned char c)
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

/*
 * Decode padded standard base64 into `out` (room for len / 4 * 3 bytes).
 * Returns the decoded length, or -1 when `text` is not base64.
 */
static long b64_decode(const char *text, size_t len, unsigned char *out)
{
	size_t pad = 0, n = 0;
	uint32_t acc = 0;

	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		int d = b64_digit((unsigned char)text[i]);

		if (d < 0)
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

int fingerprint_marker_b64(const unsigned char *key, size_t keylen,
    const char *text, size_t len, char out[FINGERPRINT_LEN + 1])
{
	unsigned char *raw;
	long n;
	int rc;

	if (len == 0)
		return fingerprint_marker(key, keylen, text, len, out);
	raw = malloc(len / 4 * 3 + 3);
	if (raw == NULL)
		return -ENOMEM;
	n = b64_decode(text, len, raw);
	if (n < 0)
		rc = fingerprint_marker(key, keylen, text, len, out);
	else
		rc = fingerprint_marker(key, keylen, raw, (size_t)n, out);
	free(raw);
	return rc;
}
