/*
 * derive_exec: what `kubectl exec/attach/port-forward` asked for.
 */
#ifndef DERIVE_EXEC_H
#define DERIVE_EXEC_H

#include <stddef.h>

#include <jansson.h>

#include "head.h"
#include "k8sobj.h"

/*
 * derive_exec(o, h):
 * For subresources exec, attach and portforward (of head `h`), decode the
 * query of requestURI as Go's url.ParseQuery does (names and values
 * unescaped; pairs with ';' or an invalid escape dropped) and add
 * k8s.command (the `command` parameters joined by spaces), k8s.container
 * (`container`) and k8s.ports (`ports`) as they apply.  Errors are recorded
 * in `o`.
 */
void derive_exec(struct k8sobj *o, const struct head *h);

/*
 * query_unescape(s, len, out, outlen):
 * Decode a query component of `len` bytes as Go's url.QueryUnescape does
 * ("%XX" is byte 0xXX, '+' a space) into `out`, which has room for `len`
 * bytes, and store its length in *outlen.  Returns 0, or -EINVAL when some
 * '%' is not followed by two hex digits (Go rejects the whole component).
 * The result may hold any byte.
 */
int query_unescape(const char *s, size_t len, char *out, size_t *outlen);

#endif /* !DERIVE_EXEC_H */
