/*
 * fuzz_shape: libFuzzer target for redaction and fitting.
 *
 * Any JSON object is shaped under limits chosen by the input's first two
 * bytes; whatever happens must be one of the documented outcomes, and an OK
 * text must be valid JSON within both limits and cJSON's nesting limit, with
 * no planted secret left.  Memory errors are ASan's and UBSan's to find.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fit.h"
#include "redact.h"
#include "shape.h"

#define PLANT "FUZZ-PLANTED-SECRET"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Plant a Secret value where redaction must find it: a secrets request. */
static void plant(json_t *event)
{
	json_t *ref = json_object_get(event, "objectRef");
	json_t *req = json_object_get(event, "requestObject");

	if (!json_is_object(ref) || !json_is_object(req))
		return;
	if (!json_is_string(json_object_get(ref, "resource")) ||
	    strcmp(json_string_value(json_object_get(ref, "resource")), "secrets") != 0)
		return;
	if (!json_is_object(json_object_get(req, "stringData")))
		json_object_set_new(req, "stringData", json_object());
	json_object_set_new(json_object_get(req, "stringData"), "fuzz",
	    json_string(PLANT));
}

/* `planted`: the plant was added by plant(), not written by the fuzzer. */
static void check_ok(const char *out, size_t len, const struct shape_config *cfg,
    bool planted)
{
	json_t *back = json_loadb(out, len, 0, NULL);
	struct fit_measure m;

	if (back == NULL || len > cfg->max_bytes || strlen(out) != len)
		abort();
	fit_measure(back, &m);
	if (m.fields > cfg->max_fields || m.depth > FIT_MAX_DEPTH)
		abort();
	if (planted && memmem(out, len, PLANT, strlen(PLANT)) != NULL)
		abort();
	json_decref(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shape_config cfg;
	struct shape_stats st = { 0, 0, 0 };
	json_t *event;
	char *out = NULL;
	size_t len = 0;
	enum shape_status rc;

	if (size < 2)
		return 0;
	memset(&cfg, 0, sizeof cfg);
	cfg.stages = SHAPE_STAGE_ALL;
	/* Small limits too, so the drop order and undo get exercised. */
	cfg.max_fields = 8 + data[0];
	cfg.max_bytes = data[1] < 128 ? 65529 : 256 + (size_t)data[1] * 64;
	memset(cfg.key, 0x42, sizeof cfg.key);
	event = json_loadb((const char *)data + 2, size - 2, 0, NULL);
	if (!json_is_object(event)) {
		json_decref(event);
		return 0;
	}
	plant(event);
	rc = shape_event(&cfg, event, &out, &len, &st);
	if (rc == SHAPE_OK)
		check_ok(out, len, &cfg,
		    memmem(data, size, PLANT, strlen(PLANT)) == NULL);
	else if (out != NULL || (rc != SHAPE_TOO_BIG && rc != SHAPE_FILTERED &&
	    rc != SHAPE_NOMEM))
		abort();
	free(out);
	json_decref(event);
	return 0;
}
