/*
 * shape: turn one audit event into the JSON text sent to analysisd.
 *
 * Order matters: the rule-ready fields are derived first, from the event as
 * it arrived (ConfigMap credential detection needs the values redaction
 * hides), except that credentials on an exec command line are masked in
 * requestURI before, so k8s.command never holds them; then secrets are
 * redacted; then the event is fitted, so fitting never removes a fact a
 * rule needs (it lives in `k8s`) and redaction's markers are what gets
 * measured.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "derive.h"
#include "fit.h"
#include "redact.h"
#include "redact_exec.h"
#include "shape.h"

static const struct {
	const char *name;
	unsigned bit;
} stage_names[] = {
	{ "RequestReceived", SHAPE_STAGE_REQUEST_RECEIVED },
	{ "ResponseStarted", SHAPE_STAGE_RESPONSE_STARTED },
	{ "ResponseComplete", SHAPE_STAGE_RESPONSE_COMPLETE },
	{ "Panic", SHAPE_STAGE_PANIC },
};

/* Bit of the stage named by `len` bytes at `s`; 0 when unknown. */
static unsigned stage_bit(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof stage_names / sizeof *stage_names; i++)
		if (strlen(stage_names[i].name) == len &&
		    strncasecmp(stage_names[i].name, s, len) == 0)
			return stage_names[i].bit;
	return 0;
}

int shape_stage_parse(const char *list, unsigned *stages)
{
	unsigned bits = 0;
	const char *p = list;

	if (list == NULL)
		return -EINVAL;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *end = p + len;
		unsigned bit;

		/* Spaces around names are forgiven ("A, B"). */
		while (p < end && *p == ' ')
			p++;
		while (end > p && end[-1] == ' ')
			end--;
		bit = stage_bit(p, (size_t)(end - p));
		if (bit == 0)
			return -EINVAL;
		bits |= bit;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	*stages = bits;
	return 0;
}

/*
 * Is the event's stage forwarded?  An event without a known stage is
 * forwarded: dropping what we do not understand would hide it.
 */
static bool stage_wanted(const struct shape_config *cfg, const char *stage)
{
	unsigned bit = stage ? stage_bit(stage, strlen(stage)) : 0;

	return bit == 0 || (cfg->stages & bit) != 0;
}

bool shape_forged_k8s(const char *key, size_t len)
{
	return len >= 3 && strncasecmp(key, "k8s", 3) == 0 &&
	    (len == 3 || key[3] == '.');
}

/*
 * Remove the members a client sent that analysisd would read as ours
 * (shape_forged_k8s); the number of those not named exactly `k8s` becomes
 * k8s.forged_k8s.  An exact `k8s` may be ours from an earlier attempt at
 * shaping this event: it is replaced, as a client's is, without a count.
 */
static int drop_forged(json_t *event, json_t *k8s)
{
	const char *key;
	json_int_t n = 0;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(event, tmp, key, v) {
		if (!shape_forged_k8s(key, strlen(key)))
			continue;
		if (strcmp(key, "k8s") != 0)
			n++;
		json_object_del(event, key);
	}
	if (n == 0)
		return 0;
	return json_object_set_new(k8s, "forged_k8s", json_integer(n));
}

/* Derive and redact; on success `event` holds its `k8s` member. */
static enum shape_status enrich(const struct shape_config *cfg, json_t *event,
    const char *dropped, struct shape_stats *stats)
{
	unsigned long redacted = 0, body = 0;
	json_t *k8s;
	int rc;

	rc = redact_exec(event, cfg->key, sizeof cfg->key, &redacted);
	if (rc != 0) {
		stats->redacted += redacted;
		return SHAPE_NOMEM;
	}
	if (derive_k8s(event, cfg->cluster, cfg->source, &k8s) != 0) {
		stats->redacted += redacted;
		return SHAPE_NOMEM;
	}
	if (dropped != NULL && json_object_set_new(k8s, "dropped",
	    json_string(dropped)) != 0) {
		stats->redacted += redacted;
		json_decref(k8s);
		return SHAPE_NOMEM;
	}
	rc = redact_event(event, cfg->key, sizeof cfg->key, &body);
	redacted += body;
	stats->redacted += redacted;
	if (rc != 0) {
		json_decref(k8s);
		/* Half-redacted events never leave; the caller may retry. */
		return SHAPE_NOMEM;
	}
	if (redacted > 0 &&
	    json_object_set_new(k8s, "redacted", json_integer((json_int_t)redacted)) != 0) {
		json_decref(k8s);
		return SHAPE_NOMEM;
	}
	/* Whatever `k8s` a client smuggled in goes: ours is the only one. */
	if (drop_forged(event, k8s) != 0) {
		json_decref(k8s);
		return SHAPE_NOMEM;
	}
	if (json_object_set_new(event, "k8s", k8s) != 0)
		return SHAPE_NOMEM;
	return SHAPE_OK;
}

enum shape_status shape_event(const struct shape_config *cfg, json_t *event,
    char **out, size_t *outlen, struct shape_stats *stats)
{
	return shape_event_reduced(cfg, event, NULL, out, outlen, stats);
}

enum shape_status shape_event_reduced(const struct shape_config *cfg,
    json_t *event, const char *dropped, char **out, size_t *outlen,
    struct shape_stats *stats)
{
	struct fit_limits lim = { cfg->max_bytes, cfg->max_fields };
	enum shape_status st;
	bool trimmed = false;

	*out = NULL;
	*outlen = 0;
	if (!stage_wanted(cfg, json_string_value(json_object_get(event,
	    "stage")))) {
		stats->filtered++;
		return SHAPE_FILTERED;
	}
	st = enrich(cfg, event, dropped, stats);
	if (st != SHAPE_OK)
		return st;
	switch (fit_event(event, &lim, out, outlen, &trimmed)) {
	case FIT_OK:
		if (trimmed)
			stats->trimmed++;
		return SHAPE_OK;
	case FIT_TOO_BIG:
		return SHAPE_TOO_BIG;
	case FIT_NOMEM:
	default:
		return SHAPE_NOMEM;
	}
}

enum shape_status shape_k8s(const struct shape_config *cfg,
    const struct head *h, const json_t *bodies, struct k8stext *k8s,
    struct shape_stats *stats)
{
	memset(k8s, 0, sizeof *k8s);
	if (!stage_wanted(cfg, h->stage)) {
		stats->filtered++;
		return SHAPE_FILTERED;
	}
	return derive_k8s_text(h, bodies, cfg->cluster, cfg->source,
	    k8s) == 0 ? SHAPE_OK :
	    SHAPE_NOMEM;
}
