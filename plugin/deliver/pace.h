/*
 * pace: keep delivery below what analysisd can analyse.
 *
 * analysisd accepts datagrams far faster than it analyses them and drops
 * events silently once its input queue is full (BRIEF §3).  A token bucket
 * holds delivery under a ceiling; while analysisd's state file reports its
 * queue filling or events dropped, the ceiling is lowered, and raised again
 * step by step once the queue drains.  rsyslog's queue holds the backlog.
 *
 * Through a Wazuh agent (pace_use_agent) the ceiling is the agent's own
 * events per second, the agent's buffer fill (agentstate.h) takes the
 * place of analysisd's queue usage, and nothing goes while the agent is
 * not connected to its manager: it would only fill the buffer, which drops.
 */
#ifndef PACE_H
#define PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "agentstate.h"
#include "log.h"

struct pace {
	unsigned max_eps;	/* configured ceiling; 0: no pacing */
	unsigned eps;		/* ceiling in force */
	double tokens;		/* events that may go now */
	struct timespec last;	/* when tokens were last added */
	const char *state_path;	/* analysisd's state file (not owned) */
	struct timespec next_check;	/* when to look at it again */
	struct timespec state_mtime;	/* its last interval seen */
	bool have_counters;		/* the two below hold a reading */
	unsigned long long received;	/* events_received last read */
	unsigned long long dropped;	/* events_dropped last read */
	bool agent;			/* state_path is wazuh-agentd's */
	unsigned queue_size;		/* the agent's buffer, events */
	bool holding;			/* agent not connected: nothing goes */
};

/* The lowest ceiling backing off may reach, events/s. */
#define PACE_MIN_EPS 100u

/*
 * pace_init(p, max_eps, state_path, now):
 * Start with a full bucket at `max_eps` (0 turns pacing off).
 */
void pace_init(struct pace *p, unsigned max_eps, const char *state_path,
    const struct timespec *now);

/* How long pace_take asks to wait while the agent is not connected, us. */
#define PACE_HOLD_US 200000L

/*
 * pace_use_agent(p, buf, state_path):
 * Pace to a Wazuh agent instead of analysisd: the ceiling becomes the
 * lower of max_eps (0: none) and buf->eps, unless buf->disabled (the agent
 * then forwards at once: max_eps stays); `state_path` (not owned) is
 * wazuh-agentd's state file.  Call after pace_init.
 */
void pace_use_agent(struct pace *p, const struct agent_buffer *buf,
    const char *state_path);

/*
 * pace_take(p, now):
 * Returns 0 and uses one token when an event may be sent now, else the
 * microseconds to wait before asking again (enough for a burst, so the
 * caller sleeps rarely; PACE_HOLD_US while p->holding).
 */
long pace_take(struct pace *p, const struct timespec *now);

/*
 * pace_observe(p, now, lg):
 * At most once a second, read analysisd's state file when it has changed
 * and adjust the ceiling: halve it when events were dropped since the last
 * reading or the queue is 90% full, cut a quarter at 70%, and add a tenth of
 * max_eps back below 50%.  Through an agent, its buffer's fill counts as the
 * queue's usage and p->holding follows its status (held unless connected).  Wazuh 4.3 writes per-interval counters, 4.7
 * counters since analysisd started: a drop is a count that grew, or any
 * count once events_received went down (a new interval or a restart).  The
 * state file is advisory: a missing or unreadable one changes nothing.
 */
void pace_observe(struct pace *p, const struct timespec *now,
    const struct log *lg);

struct pace_state {
	unsigned long long received;	/* events_received */
	unsigned long long dropped;	/* events_dropped */
	double usage;			/* event_queue_usage, 0 to 1 */
};

/*
 * pace_parse_state(text, st):
 * Read `events_received='N'`, `events_dropped='N'` and
 * `event_queue_usage='F'` from the text of a state file into *st.  Returns
 * true when all three were found.
 */
bool pace_parse_state(const char *text, struct pace_state *st);

/*
 * pace_state_value(text, key, out, outlen):
 * The value of a line `key='value'` of a Wazuh state file, copied
 * NUL-terminated into out.  False when absent or longer than outlen - 1.
 */
bool pace_state_value(const char *text, const char *key, char *out,
    size_t outlen);

#endif /* !PACE_H */
