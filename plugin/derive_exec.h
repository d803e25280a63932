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
 * query of requestURI and add k8s.command (the `command=` parameters joined
 * by spaces), k8s.container (`container=`) and k8s.ports (`ports=`) as they
 * apply.  Errors are recorded in `o`.
 */
void derive_exec(struct k8sobj *o, const struct head *h);

/*
 * uri_decode(s, len, out):
 * Decode a query component (%XX escapes, '+' as space) of `len` bytes into
 * `out`, which has room for `len` bytes.  Malformed escapes are kept as
 * they are.  Returns the decoded length.  The result may hold any byte.
 */
size_t uri_decode(const char *s, size_t len, char *out);

#endif /* !DERIVE_EXEC_H */
