/*
 * jsonout: write compact JSON text into a growing buffer.
 *
 * The fast path writes one small object per event (`k8s`) as text rather
 * than building a jansson tree and serializing it: jansson's json_dumps
 * spends most of its time in per-character callbacks.
 */
#ifndef JSONOUT_H
#define JSONOUT_H

#include <stdbool.h>
#include <stddef.h>

/* A growing text.  Errors are sticky: after one, writes do nothing. */
struct jsonout {
	char *buf;	/* owned; NUL-terminated once anything was written */
	size_t len, cap;
	bool failed;	/* memory ran out */
};

/*
 * jsonout_init(o): an empty text.
 * jsonout_free(o): release it.
 */
void jsonout_init(struct jsonout *o);
void jsonout_free(struct jsonout *o);

/*
 * jsonout_raw(o, s, n): append `n` bytes of `s` as they are.
 * jsonout_string(o, s, n): append the JSON string of the `n` bytes at `s`
 *     (valid UTF-8 expected): quotes, and escapes for '"', '\\' and bytes
 *     below 0x20.
 */
void jsonout_raw(struct jsonout *o, const char *s, size_t n);
void jsonout_string(struct jsonout *o, const char *s, size_t n);

#endif /* !JSONOUT_H */
