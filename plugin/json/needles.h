/*
 * needles: does any of a set of byte strings occur in a text?
 *
 * The fast path asks of a body member whether it could hold what shaping
 * acts on (a kind name, an annotation) before parsing it, and of a body
 * whether it has managedFields.
 */
#ifndef NEEDLES_H
#define NEEDLES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * needles_find(list, count, text, len):
 * True when one of the `count` non-empty NUL-terminated strings of `list`
 * occurs in the `len` bytes at `text`.  Fastest when the needles start
 * with bytes that are rare in the text.  Never fails.
 */
bool needles_find(const char *const *list, size_t count, const char *text,
    size_t len);

#endif /* !NEEDLES_H */
