#include "inflate.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

bool
is_gzip(const unsigned char *p, size_t len)
{
	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* Past the bounds?  Checked as the output grows, never after the fact. */
static bool
too_big(size_t out, size_t in)
{
	if (out > INFLATE_MAX_OUT)
		return true;
	return out > INFLATE_RATIO_FROM && out / INFLATE_MAX_RATIO > in;
}

int
gunzip(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen, const char **reason)
{
	z_stream zs;
	unsigned char *buf = NULL, *grown;
	size_t cap = 0, n = 0;
	int zr = Z_OK, rc = 0;

	*out = NULL;
	*outlen = 0;
	memset(&zs, 0, sizeof(zs));
	/* 16 + MAX_WBITS: gzip wrapper only, never raw or zlib. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : (len * 4 < 4096 ? 4096 : len * 4);
			if (cap > INFLATE_MAX_OUT + 1)
				cap = INFLATE_MAX_OUT + 1;
			if (cap <= n) {
				rc = -EFBIG;
				break;
			}
			if ((grown = realloc(buf, cap + 1)) == NULL) {
				rc = -ENOMEM;
				break;
			}
			buf = grown;
		}
		zs.next_out = buf + n;
		zs.avail_out = (uInt)(cap - n);
		zr = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (too_big(n, len)) {
			rc = -EFBIG;
			break;
		}
		if (zr == Z_STREAM_END && zs.avail_in > 0) {
			/* Another member follows (RFC 1952 allows several). */
			if (!is_gzip(zs.next_in, zs.avail_in) ||
			    inflateReset(&zs) != Z_OK) {
				rc = -EINVAL;
				break;
			}
			continue;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR) {
			rc = -ENOMEM;
			break;
		}
		if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_out == 0)) {
			rc = -EINVAL;
			break;
		}
		if (zs.avail_in == 0 && zs.avail_out > 0) {
			rc = -EINVAL;	/* input ended inside the stream */
			break;
		}
	}
	inflateEnd(&zs);
	if (rc != 0) {
		free(buf);
		if (rc == -EFBIG)
			*reason = "gzip record inflates past the bounds "
			    "(16 MiB, or 200 times its size): decompression "
			    "bomb";
		else if (rc == -EINVAL)
			*reason = "gzip record is damaged or truncated";
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}
