/*
 * pick: which body of an audit event the rule-ready fields come from.
 *
 * The derive_*.c modules read the object an event wrote.  The response
 * body shows what the cluster stored; the request body only what the
 * client asked for, which the apiserver may have merged, defaulted or
 * partly ignored (a strategic-merge patch with a decoy field still stores
 * the rest), so the response wins.  A JSON patch (an array of operations)
 * says what it writes only through its operations' paths: pick_patch_view
 * turns each into the object it writes.
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
 * look through pick_patch_view.  The result points into `event`.
 */
const json_t *pick_body(const json_t *event, bool (*has)(const json_t *));

/*
 * pick_source(event, body):
 * "response" or "request": which body of `event` pick_body returned as
 * `body`; NULL when `body` is NULL.  Becomes k8s.spec_source.
 */
const char *pick_source(const json_t *event, const json_t *body);

/*
 * pick_patch_view(op, view):
 * What one "add" or "replace" operation `op` of a JSON patch (RFC 6902)
 * writes, as an object of its own: the operation's value at its path
 * (RFC 6901, "~1" and "~0" decoded) from an empty object, the members on
 * the way made as the path needs them (an array of one element where the
 * next segment is an index or "-", else an object); the path "" gives the
 * value itself when it is an object.  Taken one by one, nothing an
 * operation writes hides what another wrote, and only one view is held at
 * a time.  Other operations (remove, move, copy, test), malformed ones and
 * paths of more than PICK_PATCH_DEPTH segments (deeper than anything
 * derive reads) give no view.  On success returns 0 with *view a new
 * reference (the caller decrefs it) or NULL for no view; -1 when memory
 * runs out.  The view shares its value with `op`: it must not outlive it,
 * nor be modified.
 */
int pick_patch_view(const json_t *op, json_t **view);

/* Deeper than any path derive reads (a CronJob's capabilities: 11). */
#define PICK_PATCH_DEPTH 24

#endif /* !PICK_H */
