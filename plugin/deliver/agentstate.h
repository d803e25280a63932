/*
 * agentstate: what a Wazuh agent says about its buffer and its link to the
 * manager, for pacing delivery through the agent (pace.h).
 *
 * On an agent host the datagram socket is read by wazuh-agentd, which puts
 * every event into its anti-flooding buffer (<client_buffer>) and drains it
 * to the manager at <events_per_second>; a full buffer drops events, after
 * a "flooding" warning, and while the agent is disconnected nothing drains
 * (Wazuh 4.14.7 src/client-agent/buffer.c, src/config/buffer-config.c).
 * agentd rewrites var/run/wazuh-agentd.state every agent.state_interval
 * seconds (5 by default; 0 turns the file off), through a rename, with
 *   status='pending|connected|disconnected'
 *   msg_count='N'  msg_sent='N'
 *   msg_buffer='N'   (empty when the buffer is disabled)
 * (src/client-agent/state.c).  This is the agent's counterpart of
 * pace_parse_state for analysisd's state file.
 */
#ifndef AGENTSTATE_H
#define AGENTSTATE_H

#include <stdbool.h>

enum agent_status {
	AGENT_PENDING,		/* not connected yet */
	AGENT_CONNECTED,
	AGENT_DISCONNECTED	/* nothing leaves the agent's buffer */
};

struct agent_state {
	enum agent_status status;
	bool buffered;			/* msg_buffer holds a count */
	unsigned long long msg_buffer;	/* events in the agent's buffer */
};

/* <client_buffer> of the agent's ossec.conf, Wazuh's defaults filled in. */
struct agent_buffer {
	bool disabled;		/* <disabled>yes</disabled>: no buffer, no EPS cap */
	unsigned queue_size;	/* <queue_size>, 1..100000, default 5000 */
	unsigned eps;		/* <events_per_second>, 1..1000, default 500 */
};

/*
 * The longest datagram that reaches analysisd whole through an agent.
 * agentd refuses a message over OS_MAXSTR - OS_HEADER_SIZE = 65,408 bytes
 * (src/os_crypto/shared/msgs.c, "Incorrect message size"), and remoted
 * puts "[<id>] (<name>) <ip>->" (up to 255 bytes, ':' and '|' escaped:
 * twice that) before the location, all within analysisd's 65,535 (src/
 * remoted/secure.c, src/shared/mq_op.c SendMSG): 65,535 - 2 * 255 - 2,
 * rounded down.
 */
#define AGENT_MAX_DATAGRAM 65000u

#define AGENT_QUEUE_SIZE_DEFAULT 5000u
#define AGENT_EPS_DEFAULT 500u

/*
 * agent_parse_state(text, st):
 * Read `status='...'` and `msg_buffer='...'` from the text of an agent
 * state file into *st.  Returns true when the status is one agentd writes
 * and msg_buffer is a count or empty (buffer disabled: st->buffered false).
 */
bool agent_parse_state(const char *text, struct agent_state *st);

/*
 * agent_parse_buffer(conf, b):
 * Fill *b with Wazuh's defaults, then with the <client_buffer> section of
 * an ossec.conf text (XML comments skipped).  A value out of Wazuh's own
 * range is ignored (agentd refuses to start with it).  Never fails.
 */
void agent_parse_buffer(const char *conf, struct agent_buffer *b);

/*
 * agent_read_buffer(conf_path, b):
 * agent_parse_buffer on the file at conf_path.  Returns 0, or a negative
 * errno when it cannot be read (*b then holds Wazuh's defaults).
 */
int agent_read_buffer(const char *conf_path, struct agent_buffer *b);

/*
 * agent_detect(wazuh_dir):
 * Whether wazuh-agentd, not analysisd, reads the socket of the installation
 * at wazuh_dir: bin/wazuh-agentd is there and bin/wazuh-analysisd is not,
 * or, with neither program, var/run/wazuh-agentd.state is there and
 * var/run/wazuh-analysisd.state is not.  False otherwise (also with no
 * Wazuh at all: the manager, today's behaviour).
 */
bool agent_detect(const char *wazuh_dir);

#endif /* !AGENTSTATE_H */
