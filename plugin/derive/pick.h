/*
 * pick: which body of an audit event the rule-ready fields come from.
 *
 * The derive_*.c modules read the object an event wrote.  The response
 * body shows what the cluster stored; the request body only what the
 * client asked for, which the apiserver may have merged, defaulted or
 * partly ignored (a strategic-merge patch with a decoy field still stores
 * the rest), so the response wins.  A JSON patch (an array of operations)
 * says what it writes only through its operations' paths: pick_patch_views
 * turns it into the objects those operations write.
 *
 * This module imports nothing of derive/: derive.c and each derive_*.c
 * import it.
 */
#ifndef PICK_H
#define PICK_H

#include <stdbool.h>

#include <jansson.h>

/*
 * pick_body(event, has):
 * The response body when it is an object for which has() is true, else the
 * request body under the same condition, else NULL.  A body that is a JSON
 * patch is offered to has() as it is (an array): has() decides whether to
 * look through pick_patch_views.  The result points into `event`.
 */
const json_t *pick_body(const json_t *event, bool (*has)(const json_t *));

/*
 * pick_source(event, body):
 * "response" or "request": which body of `event` pick_body returned as
 * `body`; NULL when `body` is NULL.  Becomes k8s.spec_source.
 */
const char *pick_source(const json_t *event, const json_t *body);

/*
 * pick_patch_views(ops):
 * What each "add" and "replace" operation of JSON patch `ops` (RFC 6902)
 * writes, as an object of its own: the operation's value at its path
 * (RFC 6901, "~1" and "~0" decoded) from an empty object, the members on
 * the way made as the path needs them (an array of one element where the
 * next segment is an index or "-", else an object); the path "" gives the
 * value itself when it is an object.  One view per operation, so nothing
 * an operation writes hides what another wrote: derive reads them all.
 * Other operations (remove, move, copy, test), malformed ones and paths of
 * more than PICK_PATCH_DEPTH segments (deeper than anything derive reads)
 * give no view.  Values are shared with `ops`, not copied: the views must
 * not outlive it, nor be modified.  Returns a new array (the caller
 * decrefs it), or NULL when `ops` is no array or memory runs out.
 */
json_t *pick_patch_views(const json_t *ops);

/* Deeper than any path derive reads (a CronJob's capabilities: 11). */
#define PICK_PATCH_DEPTH 24

#endif /* !PICK_H */
