/*
 * fit: make an event fit analysisd's limits by dropping whole parts.
 *
 * analysisd silently loses a datagram longer than it reads, ignores every
 * field past its decoder's limit, and cannot parse JSON nested deeper than
 * cJSON's limit.  fit measures an event as analysisd would see it and, when
 * it does not fit, drops whole parts in a fixed order (FIT_DROP_ORDER),
 * never cutting bytes inside a value but a padded requestURI's.
 */
#ifndef FIT_H
#define FIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* cJSON's CJSON_NESTING_LIMIT: deeper text does not parse at all. */
#define FIT_MAX_DEPTH 1000
/* Annotation values longer than this are dropped in step 4. */
#define FIT_LONG_ANNOTATION 256
/* Other strings longer than this are dropped in step 7 (userAgent in 3). */
#define FIT_LONG_STRING 1024
/* Annotations keep this many members in step 11. */
#define FIT_ANNOTATIONS_HEAD 16
/* Arrays outside the bodies longer than this are cut in step 5. */
#define FIT_LONG_ARRAY 1024
/* A requestURI shortened in step 6 keeps at most this much of its path. */
#define FIT_URI_KEEP 960
/* sourceIPs keeps its first and its last few entries in step 2. */
#define FIT_SOURCE_IPS_FIRST 1
#define FIT_SOURCE_IPS_LAST 4

/*
 * The drop steps, in order, by the name recorded in k8s.dropped:
 *  1 managedFields     metadata.managedFields anywhere in the bodies
 *  2 unknownMembers    top-level members that are not part of the audit
 *                      Event (fit_audit_member)
 *  3 sourceIPs         a sourceIPs array longer than FIT_SOURCE_IPS_FIRST +
 *                      FIT_SOURCE_IPS_LAST keeps only its first and last
 *                      entries; k8s.source_ips_dropped counts the others
 *  4 userAgent         a userAgent > FIT_LONG_STRING bytes becomes
 *                      "[DROPPED <n> bytes]"
 *  5 longArrays        an array below a top-level member other than the
 *                      bodies whose text is > FIT_LONG_ARRAY bytes keeps
 *                      its head (FIT_LONG_ARRAY bytes, plus any
 *                      system:masters) and ends in "[DROPPED <n> entries]"
 *  6 requestURI        a requestURI > FIT_LONG_STRING bytes keeps its path
 *                      (FIT_URI_KEEP bytes at most) and ends in
 *                      "[DROPPED <n> bytes]"
 *  7 responseObject
 *  8 requestObject
 *  9 annotationValues  annotation values > FIT_LONG_ANNOTATION bytes become
 *                      "[DROPPED <n> bytes]"
 * 10 longStrings       any other string > FIT_LONG_STRING bytes (outside
 *                      `k8s`) becomes "[DROPPED <n> bytes]"
 * 11 annotations       annotations beyond FIT_ANNOTATIONS_HEAD members are
 *                      cut to that many, authorization.k8s.io/ and
 *                      pod-security.kubernetes.io/ ones first;
 *                      k8s.annotations_dropped counts the others
 * 12 userExtra         user.extra and impersonatedUser.extra
 * 13 metadataCore      user, impersonatedUser, objectRef, responseStatus,
 *                      annotations (and v1beta1's metadata) keep only
 *                      their core scalars (username, uid; resource,
 *                      namespace, name, ...; status, message, reason,
 *                      code; the authorization decision and reason)
 * Steps are tried in this order and each is applied only while the event
 * does not fit; steps 3-6, 9 and 10 shorten values without removing fields,
 * so they are passed over while the problem is the field count (or depth)
 * and used once the problem is the text length.  Step 2 comes early because
 * no apiserver writes such members: only a crafted line has them, and they
 * must not push out the event's who/what/when.  Steps 3 to 6 come before
 * the bodies because any client can pad them (X-Forwarded-For, User-Agent,
 * Impersonate-Group, a query string) to push out what it asked for; the last source IP, the one the apiserver
 * saw, always stays.
 */
#define FIT_DROP_ORDER \
	"managedFields,unknownMembers,sourceIPs,userAgent,longArrays," \
	"requestURI,responseObject," \
	"requestObject,annotationValues,longStrings,annotations,userExtra," \
	"metadataCore"

struct fit_limits {
	size_t max_bytes;	/* longest JSON text */
	size_t max_fields;	/* analysisd decoder_order_size */
};

struct fit_measure {
	size_t fields;	/* dynamic fields analysisd's JSON decoder makes */
	size_t depth;	/* deepest nesting of objects and arrays; {} is 1 */
};

enum fit_status {
	FIT_OK,
	FIT_TOO_BIG,	/* does not fit with every droppable part gone */
	FIT_NOMEM
};

/*
 * fit_measure(event, m):
 * Count the fields of object `event` exactly as Wazuh 4.x analysisd's JSON
 * decoder (json_decoder.c, default json_null_field=string and
 * json_array_structure=array) makes them: each string, number, boolean and
 * null member is one field named by its dot-joined path, each array is one
 * field (its JSON text) whatever it holds, an object adds its members' fields
 * and nothing itself (so {} adds none), and the top-level members that
 * analysisd maps to static fields (srcip, dstip, srcport, dstport, protocol,
 * action, srcuser, dstuser, id, status, url, data, extra_data, systemname)
 * are not counted.  Never fails.
 */
void fit_measure(const json_t *event, struct fit_measure *m);

/*
 * fit_static_field(key, len):
 * True when top-level member `key` (len bytes) is one analysisd maps to a
 * static field, so that a non-object value of it is not counted.
 */
bool fit_static_field(const char *key, size_t len);

/*
 * fit_audit_member(key, len):
 * True when top-level member `key` (len bytes) is one of the audit Event's
 * (audit.k8s.io/v1: kind, apiVersion, level, auditID, stage, requestURI,
 * verb, user, impersonatedUser, sourceIPs, userAgent, objectRef,
 * responseStatus, requestObject, responseObject, requestReceivedTimestamp,
 * stageTimestamp, annotations), v1beta1's metadata and timestamp, or the
 * plugin's own `k8s`; the others are what the unknownMembers step drops.
 */
bool fit_audit_member(const char *key, size_t len);

/* How many distinct keys fit_audit_member takes. */
#define FIT_AUDIT_MEMBERS 21

/*
 * fit_value_fields(v):
 * The fields a member whose value is `v` adds below the top level: an
 * object its members' fields, anything else one.  As fit_measure counts.
 */
size_t fit_value_fields(const json_t *v);

/*
 * fit_dump(v, max_bytes, out, outlen):
 * Serialize `v` compactly.  Returns 0 with *out a NUL-terminated text of
 * *outlen <= max_bytes bytes that the caller frees; -E2BIG (and *out NULL)
 * as soon as the text would be longer, without serializing the rest;
 * -ENOMEM.
 */
int fit_dump(const json_t *v, size_t max_bytes, char **out, size_t *outlen);

/*
 * fit_event(event, lim, out, outlen, trimmed):
 * Serialize `event` (an audit Event whose `k8s` member is an object; owned
 * by the caller) within `lim`, dropping parts in FIT_DROP_ORDER only while
 * it does not fit, and naming each part dropped in k8s.dropped.
 * FIT_OK: *out (caller frees) holds *outlen bytes; *trimmed tells whether
 *     anything was dropped, and `event` is left as sent.
 * FIT_TOO_BIG / FIT_NOMEM: *out is NULL and every drop is undone, so
 *     `event` is as it was passed in.
 */
enum fit_status fit_event(json_t *event, const struct fit_limits *lim,
    char **out, size_t *outlen, bool *trimmed);

#endif /* !FIT_H */
