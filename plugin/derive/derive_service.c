/*
 * derive_service: rule-ready fields of Services.
 */
#include <stdio.h>
#include <string.h>

#include "derive_service.h"
#include "pick.h"

static bool has_type(const json_t *body)
{
	return jstr(jobj(body, "spec"), "type") != NULL;
}

static bool has_node_port(const json_t *body)
{
	size_t i;
	json_t *port;

	json_array_foreach(jarr(jobj(body, "spec"), "ports"), i, port)
		if (json_is_integer(jget(port, "nodePort")))
			return true;
	return false;
}

static bool is_service(const struct head *h, const json_t *event)
{
	const json_t *req = jget(event, "requestObject");
	const json_t *resp = jget(event, "responseObject");

	if (h->resource != NULL)
		return strcmp(h->resource, "services") == 0 && !h->subresource;
	return jstreq(req, "kind", "Service") || jstreq(resp, "kind", "Service");
}

bool derive_service_may_read(const struct head *h)
{
	return h->resource == NULL || (strcmp(h->resource, "services") == 0 &&
	    !h->subresource);
}

void derive_service(struct k8sobj *o, const struct head *h,
    const json_t *event)
{
	const json_t *body;
	struct strlist ports;
	size_t i;
	json_t *port;

	if (!is_service(h, event))
		return;
	k8sobj_str(o, "service_type",
	    jstr(jobj(pick_body(event, has_type), "spec"), "type"));
	body = pick_body(event, has_node_port);
	strlist_init(&ports);
	json_array_foreach(jarr(jobj(body, "spec"), "ports"), i, port) {
		json_t *np = jget(port, "nodePort");
		char buf[32];
		int n;

		if (!json_is_integer(np))
			continue;
		n = snprintf(buf, sizeof buf, "%lld",
		    (long long)json_integer_value(np));
		strlist_add(&ports, buf, (size_t)n);
	}
	k8sobj_list(o, "node_ports", &ports);
	strlist_free(&ports);
}
