/*
 * shape: turn one audit event into the JSON text sent to analysisd.
 *
 * Shaping fits the event into analysisd's limits (datagram size, decoder
 * field count), redacts secret values and adds the rule-ready `k8s` object
 * described in docs/fields.md.
 */
#ifndef SHAPE_H
#define SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "head.h"
#include "k8sobj.h"

#define SHAPE_KEY_LEN 32

/* Audit stages, as a bitmask for shape_config.stages. */
enum shape_stage {
	SHAPE_STAGE_REQUEST_RECEIVED = 1u << 0,
	SHAPE_STAGE_RESPONSE_STARTED = 1u << 1,
	SHAPE_STAGE_RESPONSE_COMPLETE = 1u << 2,
	SHAPE_STAGE_PANIC = 1u << 3,
	SHAPE_STAGE_ALL = 0xfu
};

struct shape_config {
	const char *cluster;		/* NULL: no k8s.cluster field */
	const char *source;		/* NULL: no k8s.source field */
	unsigned stages;		/* stages forwarded (enum shape_stage) */
	size_t max_bytes;		/* longest JSON text that still fits a datagram */
	size_t max_fields;		/* analysisd's JSON decoder field limit */
	unsigned char key[SHAPE_KEY_LEN];	/* key of the redaction fingerprints */
};

/* Counters that shaping adds to; the caller owns and reports them. */
struct shape_stats {
	unsigned long long redacted;	/* values replaced by a fingerprint */
	unsigned long long trimmed;	/* events that lost parts to fit */
	unsigned long long filtered;	/* events skipped by stage */
};

enum shape_status {
	SHAPE_OK = 0,		/* *out holds the text to send */
	SHAPE_FILTERED,		/* the event's stage is not forwarded */
	SHAPE_TOO_BIG,		/* cannot fit even with every droppable part gone */
	SHAPE_NOMEM		/* allocation failed: transient */
};

/*
 * shape_stage_parse(list, stages):
 * Parse a comma-separated list of stage names ("RequestReceived,...") into
 * *stages.  Returns 0, or -EINVAL naming no known stage or an unknown one.
 */
int shape_stage_parse(const char *list, unsigned *stages);

/*
 * shape_forged_k8s(key, len):
 * True when a top-level member named `key` (`len` bytes) would be read by
 * analysisd as (part of) our `k8s` object: Wazuh looks fields up without
 * regard to case and takes the first match, and a member "k8s.x" is the
 * field k8s.x.  So "k8s", "K8s" and "K8S.privileged" all are.  shape_event
 * removes such members a client sent (its own `k8s` replaces an exact
 * "k8s") and counts the others in k8s.forged_k8s.
 */
bool shape_forged_k8s(const char *key, size_t len);

/*
 * shape_event(cfg, event, out, outlen, stats):
 * Shape `event` (a validated audit Event object; modified in place, still
 * owned by the caller) and, on SHAPE_OK, store in *out a NUL-terminated
 * compact JSON text of *outlen bytes (at most cfg->max_bytes) that the caller
 * must free().  On any other status *out is NULL.  Adds to *stats.
 * On SHAPE_TOO_BIG the event is left redacted, with `k8s` added and nothing
 * dropped (every drop is undone), ready to be set aside.  On SHAPE_NOMEM it
 * may be partly redacted; shaping it again is safe (markers are not
 * redacted twice, `k8s` is replaced).
 */
enum shape_status shape_event(const struct shape_config *cfg, json_t *event,
    char **out, size_t *outlen, struct shape_stats *stats);

/*
 * shape_event_reduced(cfg, event, dropped, out, outlen, stats):
 * shape_event, for an event whose parts named in `dropped` (a non-empty
 * comma list such as "requestObject:invalid", see batch_reduce) were
 * replaced before shaping: k8s.dropped starts with that list.
 */
enum shape_status shape_event_reduced(const struct shape_config *cfg,
    json_t *event, const char *dropped, char **out, size_t *outlen,
    struct shape_stats *stats);

/*
 * shape_k8s(cfg, h, bodies, k8s, stats):
 * What shape_event adds to an event that redaction leaves unchanged, given
 * its head `h` and its bodies in `bodies` (read only; they may be the
 * partial bodies of prune_body): SHAPE_FILTERED (counted in *stats) when
 * its stage is not forwarded, else SHAPE_OK with *k8s holding the derived
 * `k8s` object as text (the caller frees k8s->text), or SHAPE_NOMEM.
 * Fitting is the caller's.
 */
enum shape_status shape_k8s(const struct shape_config *cfg,
    const struct head *h, const json_t *bodies, struct k8stext *k8s,
    struct shape_stats *stats);

#endif /* !SHAPE_H */
