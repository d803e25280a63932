#include "agentstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "pace.h"

/* An ossec.conf is a few tens of KiB; more is not one. */
#define CONF_MAX_BYTES (4u << 20)

bool
agent_parse_state(const char *text, struct agent_state *st)
{
	char v[64];
	char *end;

	if (!pace_state_value(text, "status", v, sizeof(v)))
		return false;
	if (strcmp(v, "connected") == 0)
		st->status = AGENT_CONNECTED;
	else if (strcmp(v, "disconnected") == 0)
		st->status = AGENT_DISCONNECTED;
	else if (strcmp(v, "pending") == 0)
		st->status = AGENT_PENDING;
	else
		return false;
	if (!pace_state_value(text, "msg_buffer", v, sizeof(v)))
		return false;
	st->buffered = v[0] != '\0';
	st->msg_buffer = 0;
	if (!st->buffered)
		return true;
	if (v[0] < '0' || v[0] > '9')
		return false;
	st->msg_buffer = strtoull(v, &end, 10);
	return *end == '\0';
}

/* Blank out XML comments in place: a commented-out setting is no setting. */
static void
strip_comments(char *s)
{
	char *open, *close;

	while ((open = strstr(s, "<!--")) != NULL) {
		close = strstr(open + 4, "-->");
		if (close == NULL) {
			*open = '\0';
			return;
		}
		memset(open, ' ', (size_t)(close + 3 - open));
		s = close + 3;
	}
}

/*
 * The number between <tag> and </tag> inside [from, to), surrounding
 * blanks allowed; false when absent or not a number in [min, max].
 */
static bool
tag_number(const char *from, const char *to, const char *tag, unsigned min,
    unsigned max, unsigned *out)
{
	char open[48];
	const char *at;
	char *end;
	unsigned long v;

	snprintf(open, sizeof(open), "<%s>", tag);
	if ((at = strstr(from, open)) == NULL || at >= to)
		return false;
	at += strlen(open);
	while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')
		at++;
	if (*at < '0' || *at > '9')
		return false;
	v = strtoul(at, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (end >= to || strncmp(end, "</", 2) != 0 || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* <disabled>yes|no</disabled> (or the older <disable>) inside [from, to). */
static void
tag_disabled(const char *from, const char *to, bool *out)
{
	static const char *const tags[] = { "<disabled>", "<disable>" };
	const char *at;
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if ((at = strstr(from, tags[i])) == NULL || at >= to)
			continue;
		at += strlen(tags[i]);
		while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')
			at++;
		if (strncmp(at, "yes", 3) == 0)
			*out = true;
		else if (strncmp(at, "no", 2) == 0)
			*out = false;
	}
}

void
agent_parse_buffer(const char *conf, struct agent_buffer *b)
{
	const char *at, *end;
	char *copy;

	b->disabled = false;
	b->queue_size = AGENT_QUEUE_SIZE_DEFAULT;
	b->eps = AGENT_EPS_DEFAULT;
	if ((copy = strdup(conf)) == NULL)
		return;
	strip_comments(copy);
	/* Every <ossec_config> block may hold one; later ones override. */
	for (at = copy; (at = strstr(at, "<client_buffer>")) != NULL; at = end) {
		if ((end = strstr(at, "</client_buffer>")) == NULL)
			break;
		tag_disabled(at, end, &b->disabled);
		(void)tag_number(at, end, "queue_size", 1, 100000,
		    &b->queue_size);
		(void)tag_number(at, end, "length", 1, 100000, &b->queue_size);
		(void)tag_number(at, end, "events_per_second", 1, 1000, &b->eps);
	}
	free(copy);
}

int
agent_read_buffer(const char *conf_path, struct agent_buffer *b)
{
	char *text;
	size_t len;
	int rc;

	agent_parse_buffer("", b);
	if ((rc = fsutil_read(AT_FDCWD, conf_path, CONF_MAX_BYTES, &text,
	    &len)) != 0)
		return rc;
	agent_parse_buffer(text, b);
	free(text);
	return 0;
}

static bool
exists(const char *dir, const char *rel)
{
	char path[4096];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);

	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0;
}

bool
agent_detect(const char *wazuh_dir)
{
	bool agentd = exists(wazuh_dir, "bin/wazuh-agentd");
	bool analysisd = exists(wazuh_dir, "bin/wazuh-analysisd");

	if (agentd || analysisd)
		return agentd && !analysisd;
	return exists(wazuh_dir, "var/run/wazuh-agentd.state") &&
	    !exists(wazuh_dir, "var/run/wazuh-analysisd.state");
}
