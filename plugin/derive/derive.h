/*
 * derive: the rule-ready `k8s` object (docs/fields.md).
 *
 * analysisd's JSON decoder cannot look inside arrays of objects and cannot
 * name keys with dots and slashes conveniently, so the facts rules need
 * (is any container privileged? who is this service account? which command
 * ran?) are computed here into flat scalar fields.  Field names are a
 * contract with the rules (see docs/fields.md); never rename one.
 *
 * Each derive_*(o, h, event) of derive_*.h reads the event's head from `h`
 * (head.h) and its bodies from `event`: the whole event, or one that holds
 * only what prune.h keeps of the bodies.
 */
#ifndef DERIVE_H
#define DERIVE_H

#include <stdbool.h>

#include <jansson.h>

#include "head.h"
#include "jsonspan.h"
#include "k8sobj.h"

/*
 * derive_k8s(event, cluster, source, out):
 * Compute the `k8s` object of audit Event `event` (read only; nothing of it
 * is referenced by the result).  `cluster` and `source` (each may be NULL)
 * become k8s.cluster and k8s.source.  On success returns 0 and *out owns
 * the new object; returns -ENOMEM (and *out is NULL) when memory runs out.
 */
int derive_k8s(const json_t *event, const char *cluster, const char *source,
    json_t **out);

/*
 * derive_k8s_text(h, bodies, cluster, source, out):
 * derive_k8s of the event whose head is `h` and whose bodies `bodies`
 * holds (read only), with the object handed over as text (struct k8stext;
 * the caller frees out->text).  Returns 0 or -ENOMEM.
 */
int derive_k8s_text(const struct head *h, const json_t *bodies,
    const char *cluster, const char *source, struct k8stext *out);

/*
 * derive_reads_member(h, key, len, value, vlen):
 * True when some derive_*.c function may read member `key` (`len` bytes)
 * whose JSON text is `value` (`vlen` bytes) of a request or response body
 * of the event whose head is `h`.  The other members of a body never
 * change the `k8s` object.  Never fails.
 */
bool derive_reads_member(const struct head *h, const char *key, size_t len,
    const char *value, size_t vlen);

/*
 * derive_keep(h, key, len):
 * What some derive_*.c function may read of member `key` (`len` bytes) of
 * a request or response body of the event whose head is `h`, for
 * jspan_load_kept: NULL for all of it.  Only asked of the members
 * derive_reads_member names.  Never fails.
 */
const struct jspan_keep *derive_keep(const struct head *h, const char *key,
    size_t len);

/*
 * derive_pick(event, has):
 * The response body when it is an object for which has() is true, else the
 * request body under the same condition, else NULL.  The bodies of the
 * audit event: the response shows what the cluster stored, the request
 * only what the client asked for, which the apiserver may have merged,
 * defaulted or partly ignored (a strategic-merge patch with a decoy field
 * still stores the rest), so the response wins.
 */
const json_t *derive_pick(const json_t *event, bool (*has)(const json_t *));

/*
 * derive_source(event, body):
 * "response" or "request": which body of `event` derive_pick returned as
 * `body`; NULL when `body` is NULL.  Becomes k8s.spec_source.
 */
const char *derive_source(const json_t *event, const json_t *body);

#endif /* !DERIVE_H */
