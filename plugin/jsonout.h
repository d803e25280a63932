/*
 * jsonout: the compact JSON text of a jansson value.
 *
 * The fast path serializes one small object per event (`k8s`); jansson's
 * json_dumps spends most of its time in per-character callbacks.  This
 * writer gives the same JSON value (not always the same bytes: reals are
 * written with "%.17g") in one growing buffer.
 */
#ifndef JSONOUT_H
#define JSONOUT_H

#include <stddef.h>

#include <jansson.h>

/*
 * jsonout_dump(v, len):
 * A NUL-terminated compact JSON text of `v` (nested no deeper than
 * JSONOUT_MAX_DEPTH), its length in *len; the caller frees it.  NULL when
 * memory runs out or `v` is nested deeper.
 */
char *jsonout_dump(const json_t *v, size_t *len);

#define JSONOUT_MAX_DEPTH 64

#endif /* !JSONOUT_H */
