/*
 * derive_service: rule-ready fields of Services.
 */
#ifndef DERIVE_SERVICE_H
#define DERIVE_SERVICE_H

#include <stdbool.h>

#include <jansson.h>

#include "head.h"
#include "k8sobj.h"

/*
 * derive_service(o, h, event):
 * For services (resource `services` or kind Service) add k8s.service_type
 * (spec.type) and k8s.node_ports (spec.ports[].nodePort), each from the
 * request body when it has it, else from the response (which shows the
 * defaulted type and the allocated node ports).  Errors are recorded in `o`.
 */
void derive_service(struct k8sobj *o, const struct head *h,
    const json_t *event);

/*
 * derive_service_may_read(h):
 * False when derive_service provably reads no body of the event whose head
 * is `h`: the resource is something else than `services`.  Without a
 * resource the bodies' kinds decide, so it is true.
 */
bool derive_service_may_read(const struct head *h);

#endif /* !DERIVE_SERVICE_H */
