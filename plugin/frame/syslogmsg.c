#include "syslogmsg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eventlist.h"
#include "jsonscan.h"

/* RFC 5424 section 6.4: a MSG in UTF-8 begins with the BOM. */
static const char BOM[] = "\xef\xbb\xbf";

/* Members of a ViaQ record that are the collector's, not the Event's. */
static const char *const ENVELOPE[] = {
	"@timestamp", "timestamp", "hostname", "log_type", "log_source",
	"k8s_audit_level", "openshift_audit_level", "openshift",
	"pipeline_metadata", "viaq_msg_id", "viaq_index_name", "tag",
	"source_type", NULL
};

/* The audit levels (audit.k8s.io/v1 Level), as JSON strings. */
static const char *const LEVELS[] = {
	"\"None\"", "\"Metadata\"", "\"Request\"", "\"RequestResponse\"", NULL
};

/* PRI, "<" 1*3DIGIT ">" of 0..191 (RFC 5424 section 6.2.1): its length,
 * 0 when the line does not start with one. */
static size_t
pri_len(const char *s, size_t len)
{
	unsigned v = 0;
	size_t i = 1;

	if (len < 3 || s[0] != '<')
		return 0;
	while (i < len && i <= 3 && s[i] >= '0' && s[i] <= '9')
		v = v * 10 + (unsigned)(s[i++] - '0');
	if (i == 1 || i >= len || s[i] != '>' || v > 191)
		return 0;
	return i + 1;
}

/* A header field at i, 1*PRINTUSASCII then SP: where the next one
 * starts, 0 when there is no such field. */
static size_t
field_end(const char *s, size_t len, size_t i)
{
	size_t start = i;

	while (i < len && (unsigned char)s[i] >= 33 &&
	    (unsigned char)s[i] <= 126)
		i++;
	if (i == start || i >= len || s[i] != ' ')
		return 0;
	return i + 1;
}

/* STRUCTURED-DATA at i: where it ends, 0 when malformed.  Inside a quoted
 * PARAM-VALUE, ']' and '"' escaped by '\' do not end anything. */
static size_t
sd_end(const char *s, size_t len, size_t i)
{
	bool quoted = false;

	if (i < len && s[i] == '-')
		return i + 1;
	if (i >= len || s[i] != '[')
		return 0;
	while (i < len && s[i] == '[') {
		for (i++; i < len; i++) {
			if (quoted && s[i] == '\\')
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
			else if (!quoted && s[i] == ']')
				break;
		}
		if (i >= len)
			return 0;
		i++;
	}
	return i;
}

/* Where the MSG of an RFC 5424 message starts (past its BOM), the header
 * ending at `pri` with "1 " next; -EINVAL with a reason otherwise. */
static int
rfc5424_msg(const char *s, size_t len, size_t pri, size_t *off,
    char *reason, size_t reasonlen)
{
	static const char *const names[] = { "TIMESTAMP", "HOSTNAME",
	    "APP-NAME", "PROCID", "MSGID" };
	size_t i = pri + 2, next, f;

	for (f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		if ((next = field_end(s, len, i)) == 0)
			return records_fail(reason, reasonlen, "RFC 5424 "
			    "message with a malformed %s at byte %zu",
			    names[f], i);
		i = next;
	}
	if ((next = sd_end(s, len, i)) == 0)
		return records_fail(reason, reasonlen, "RFC 5424 message with "
		    "malformed STRUCTURED-DATA at byte %zu", i);
	i = next;
	if (i >= len || (i + 1 == len && s[i] == ' '))
		return records_fail(reason, reasonlen, "RFC 5424 message "
		    "without MSG");
	if (s[i] != ' ')
		return records_fail(reason, reasonlen, "RFC 5424 message: "
		    "no SP after STRUCTURED-DATA at byte %zu", i);
	i++;
	if (len - i >= 3 && memcmp(s + i, BOM, 3) == 0)
		i += 3;
	*off = i;
	return 0;
}

/* The root member of scan `sc` named `name` (its raw key; the last of
 * repeated ones, as jansson keeps), or NULL. */
static const struct jmember *
member(const struct jscan *sc, const char *text, const char *name)
{
	const struct jmember *found = NULL;
	size_t i;

	for (i = 0; i < sc->nroot; i++)
		if (jspan_is(text, sc->root[i].key, name))
			found = &sc->root[i];
	return found;
}

static bool
is_level(const char *text, const struct jmember *m)
{
	size_t i;

	for (i = 0; m != NULL && LEVELS[i] != NULL; i++)
		if (jspan_is(text, m->value, LEVELS[i]))
			return true;
	return false;
}

static bool
is_envelope(const char *text, const struct jmember *m)
{
	size_t i;

	for (i = 0; ENVELOPE[i] != NULL; i++)
		if (jspan_is(text, m->key, ENVELOPE[i]))
			return true;
	return false;
}

/* The Event of ViaQ record `text` (scanned into sc): its members as
 * written but the envelope's, and the audit level restored. */
static int
add_unenveloped(struct records *out, const struct jscan *sc,
    const char *text, size_t len)
{
	static const char key[] = "\"level\":";
	const struct jmember *level = member(sc, text, "level"), *m;
	const struct jmember *restore = NULL;
	size_t i, n = 0, from, to;
	char *buf;
	int rc;

	if (!is_level(text, level)) {
		restore = member(sc, text, "k8s_audit_level");
		if (!is_level(text, restore))
			restore = member(sc, text, "openshift_audit_level");
		if (!is_level(text, restore))
			restore = NULL;
	}
	if ((buf = malloc(len + sizeof(key) + 2)) == NULL)
		return -ENOMEM;
	buf[n++] = '{';
	for (i = 0; i < sc->nroot; i++) {
		m = &sc->root[i];
		if (is_envelope(text, m) || (restore != NULL &&
		    jspan_is(text, m->key, "level")))
			continue;
		if (n > 1)
			buf[n++] = ',';
		from = m->key.off - 1;	/* its opening quote */
		to = m->value.off + m->value.len;
		memcpy(buf + n, text + from, to - from);
		n += to - from;
	}
	if (restore != NULL) {
		if (n > 1)
			buf[n++] = ',';
		memcpy(buf + n, key, sizeof(key) - 1);
		n += sizeof(key) - 1;
		memcpy(buf + n, text + restore->value.off, restore->value.len);
		n += restore->value.len;
	}
	buf[n++] = '}';
	rc = records_add(out, buf, n, NULL, NULL);
	free(buf);
	return rc;
}

/* The item of MSG `msg`: unenveloped when it is a ViaQ record, else as it
 * is (a MSG that does not scan is batch_scan's to judge). */
static int
add_msg(struct records *out, const char *msg, size_t len)
{
	char why[8];
	struct jscan sc;
	enum jscan_status st;
	int rc;

	jscan_init(&sc);
	/* Only the root's members are read: keep an `items` array's
	 * elements, which an Event has not, from taking memory. */
	jscan_set_window(&sc, 1);
	st = jscan_frame(&sc, msg, len, EVENTLIST_MAX_DEPTH, why, sizeof(why));
	if (st == JSCAN_NOMEM)
		rc = -ENOMEM;
	else if (st == JSCAN_OK && !sc.root_is_array &&
	    member(&sc, msg, "log_type") != NULL)
		rc = add_unenveloped(out, &sc, msg, len);
	else
		rc = records_add(out, msg, len, NULL, NULL);
	jscan_free(&sc);
	return rc;
}

int
syslog_unwrap(const char *line, size_t len, struct records *out,
    char *reason, size_t reasonlen)
{
	size_t pri = pri_len(line, len), off = 0;
	const char *brace;
	int rc;

	memset(out, 0, sizeof(*out));
	if (pri > 0 && len - pri >= 2 && line[pri] == '1' &&
	    line[pri + 1] == ' ') {
		if ((rc = rfc5424_msg(line, len, pri, &off, reason,
		    reasonlen)) != 0)
			return rc;
	} else {
		/* RFC 3164 or bare JSON: the Event starts at the first '{'. */
		if ((brace = memchr(line + pri, '{', len - pri)) == NULL)
			return records_fail(reason, reasonlen, "syslog message "
			    "without a JSON object");
		off = (size_t)(brace - line);
	}
	if ((rc = add_msg(out, line + off, len - off)) == -E2BIG)
		return records_fail(reason, reasonlen, "syslog message over "
		    "%u bytes", RECORDS_MAX_TOTAL);
	return rc;
}
