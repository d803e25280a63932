/*
 * head: what shaping reads of an audit event outside its bodies.
 *
 * derive, the stage filter and redaction's hint read a few members of the
 * event's head: who asked (user, impersonatedUser, sourceIPs), what for
 * (verb, requestURI, objectRef), how it went (responseStatus, annotations)
 * and the stage.  struct head holds exactly those values, so that the
 * reference path can take them from a jansson tree and the fast path from
 * the event's bytes, without building a tree for the head.
 */
#ifndef HEAD_H
#define HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "jsonscan.h"

/*
 * Each string is the member's value when that member is a string, else
 * NULL, read as C strings are (a value holding \u0000 ends there), as
 * jansson's json_string_value gives them.
 */
struct head {
	const char *verb;		/* verb */
	const char *stage;		/* stage */
	const char *request_uri;	/* requestURI */
	const char *username;		/* user.username */
	bool unauthenticated;		/* user.groups holds a string equal to
					 * "system:unauthenticated" */
	const char *impersonated;	/* impersonatedUser.username */
	const char *source_ip;		/* the last element of sourceIPs */
	const char *resource;		/* objectRef.resource */
	const char *subresource;	/* objectRef.subresource; NULL when "" */
	const char *namespace;		/* objectRef.namespace */
	const char *name;		/* objectRef.name */
	bool has_code;			/* responseStatus.code is an integer */
	long long code;			/* ... and this is its value */
	const char *decision;		/* annotations: authorization.k8s.io/ */
	const char *reason;		/*   decision and reason, */
	const char *psa_violations;	/*   pod-security.kubernetes.io/ */
	const char *psa_enforce;	/*   audit-violations, enforce-policy, */
	bool truncated;			/*   audit.k8s.io/truncated is "true" */
	char *buf;			/* the strings' storage when read from
					 * text (head_from_text); else NULL */
};

/*
 * head_from_json(event, h):
 * Fill *h from audit Event `event` (read only).  The strings point into
 * `event`, which must outlive *h; h->buf is NULL.  Never fails.
 */
void head_from_json(const json_t *event, struct head *h);

/*
 * head_from_text(text, members, count, h):
 * Fill *h from the members[0..count) of an audit event that jscan_line
 * validated in `text` (the member array of its struct jobject), whose keys
 * hold no escapes.  Checks on the way what event_check() checks.
 * Returns 0 when *h holds the values head_from_json would give for the
 * event json_loadb makes of the text and event_check accepts that event;
 * h->buf then owns the strings (head_free).  Returns -EAGAIN when the event
 * needs the reference path instead: event_check may refuse it, a key *h
 * is read from repeats at the top level or holds escapes (other keys are
 * not compared: whoever sends the members' bytes does).
 * Returns -ENOMEM when memory runs out.  On an error *h holds nothing.
 */
int head_from_text(const char *text, const struct jmember *members,
    size_t count, struct head *h);

/*
 * head_free(h):
 * Release what head_from_text allocated; *h holds nothing afterwards.
 * Safe on a head from head_from_json and on a zeroed head.
 */
void head_free(struct head *h);

#endif /* !HEAD_H */
