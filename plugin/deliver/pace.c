#include "pace.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* A twentieth of a second's worth of events may go back to back. */
static double
burst(const struct pace *p)
{
	double b = p->eps / 20.0;

	return b < 1.0 ? 1.0 : b;
}

void
pace_init(struct pace *p, unsigned max_eps, const char *state_path,
    const struct timespec *now)
{
	memset(p, 0, sizeof(*p));
	p->max_eps = max_eps;
	p->eps = max_eps;
	p->state_path = state_path;
	p->last = *now;
	p->next_check = *now;
	p->tokens = burst(p);
}

void
pace_use_agent(struct pace *p, const struct agent_buffer *buf,
    const char *state_path)
{
	p->agent = true;
	p->state_path = state_path;
	p->queue_size = buf->queue_size;
	if (!buf->disabled && (p->max_eps == 0 || buf->eps < p->max_eps)) {
		p->max_eps = buf->eps;
		p->eps = buf->eps;
		p->tokens = burst(p);
	}
}

long
pace_take(struct pace *p, const struct timespec *now)
{
	double b, want;

	if (p->holding)
		return PACE_HOLD_US;
	if (p->max_eps == 0)
		return 0;
	b = burst(p);
	p->tokens += seconds_between(&p->last, now) * p->eps;
	if (p->tokens > b)
		p->tokens = b;
	p->last = *now;
	if (p->tokens >= 1.0) {
		p->tokens -= 1.0;
		return 0;
	}
	/* Wait for half a burst, not one token: fewer, longer sleeps. */
	want = b / 2.0 < 1.0 ? 1.0 : b / 2.0;
	return (long)((want - p->tokens) / p->eps * 1e6) + 1;
}

bool
pace_state_value(const char *text, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *at = text, *end;

	while ((at = strstr(at, key)) != NULL) {
		bool line_start = at == text || at[-1] == '\n';

		at += klen;
		if (!line_start || strncmp(at, "='", 2) != 0)
			continue;
		at += 2;
		if ((end = strchr(at, '\'')) == NULL ||
		    (size_t)(end - at) >= outlen)
			return false;
		memcpy(out, at, (size_t)(end - at));
		out[end - at] = '\0';
		return true;
	}
	return false;
}

static bool
read_count(const char *text, const char *key, unsigned long long *out)
{
	char v[64];
	char *end;

	if (!pace_state_value(text, key, v, sizeof(v)))
		return false;
	*out = strtoull(v, &end, 10);
	return end != v && *end == '\0';
}

bool
pace_parse_state(const char *text, struct pace_state *st)
{
	char v[64];
	char *end;

	if (!read_count(text, "events_received", &st->received) ||
	    !read_count(text, "events_dropped", &st->dropped) ||
	    !pace_state_value(text, "event_queue_usage", v, sizeof(v)))
		return false;
	st->usage = strtod(v, &end);
	return end != v;
}

static void
set_eps(struct pace *p, unsigned eps, const struct log *lg,
    const char *why)
{
	if (eps < PACE_MIN_EPS)
		eps = PACE_MIN_EPS;
	if (eps > p->max_eps)
		eps = p->max_eps;
	if (eps == p->eps)
		return;
	log_msg(lg, LOG_NOTICE, "delivery ceiling %u -> %u events/s (%s)",
	    p->eps, eps, why);
	p->eps = eps;
}

/* Events analysisd dropped since the last reading (see pace.h). */
static unsigned long long
new_drops(struct pace *p, const struct pace_state *st)
{
	unsigned long long n;

	if (!p->have_counters)
		n = 0;
	else if (st->received < p->received || st->dropped < p->dropped)
		n = st->dropped;
	else
		n = st->dropped - p->dropped;
	p->have_counters = true;
	p->received = st->received;
	p->dropped = st->dropped;
	return n;
}

static void
adjust(struct pace *p, unsigned long long dropped, double usage,
    const struct log *lg)
{
	bool a = p->agent;

	if (dropped > 0 || usage >= 0.9)
		set_eps(p, p->eps / 2, lg, dropped > 0 ?
		    "analysisd dropped events" : a ? "agent buffer 90% full" :
		    "analysisd queue 90% full");
	else if (usage >= 0.7)
		set_eps(p, p->eps - p->eps / 4, lg, a ? "agent buffer 70% full" :
		    "analysisd queue 70% full");
	else if (usage < 0.5)
		set_eps(p, p->eps + p->max_eps / 10, lg, a ?
		    "agent buffer draining" : "analysisd queue draining");
}

/* The agent's buffer sets the pace, its link to the manager whether any. */
static void
adjust_agent(struct pace *p, const struct agent_state *as,
    const struct log *lg)
{
	bool hold = as->status != AGENT_CONNECTED;

	if (hold != p->holding)
		log_msg(lg, hold ? LOG_WARNING : LOG_NOTICE, hold ?
		    "Wazuh agent %s: delivery held (rsyslog keeps the batches) "
		    "until it is connected" : "Wazuh agent connected: delivery "
		    "goes on", as->status == AGENT_PENDING ? "not connected yet" :
		    "disconnected from its manager");
	p->holding = hold;
	if (as->buffered && p->queue_size > 0 && p->max_eps > 0)
		adjust(p, 0, (double)as->msg_buffer / p->queue_size, lg);
}

void
pace_observe(struct pace *p, const struct timespec *now,
    const struct log *lg)
{
	struct agent_state as;
	struct pace_state ps;
	struct stat st;
	char *text;
	size_t len;

	if ((p->max_eps == 0 && !p->agent) ||
	    seconds_between(&p->next_check, now) < 0)
		return;
	p->next_check = *now;
	p->next_check.tv_sec += 1;
	if (stat(p->state_path, &st) != 0)
		return;
	/* Both daemons rewrite the file once an interval: read each once. */
	if (st.st_mtim.tv_sec == p->state_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == p->state_mtime.tv_nsec)
		return;
	p->state_mtime = st.st_mtim;
	if (fsutil_read(AT_FDCWD, p->state_path, 1 << 20, &text, &len) != 0)
		return;
	if (p->agent && agent_parse_state(text, &as))
		adjust_agent(p, &as, lg);
	else if (!p->agent && pace_parse_state(text, &ps))
		adjust(p, new_drops(p, &ps), ps.usage, lg);
	free(text);
}
