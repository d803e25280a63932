/* Unit tests of plugin/deliver/agentstate.c and of pacing through a Wazuh
 * agent (pace_use_agent): the state file and <client_buffer> as Wazuh
 * 4.14.7 writes and reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentstate.h"
#include "pace.h"
#include "tap.h"

/* The text src/client-agent/state.c (write_state) of 4.14.7 writes. */
static void
agentd_text(char *out, size_t len, const char *status, const char *buffer)
{
	snprintf(out, len,
	    "# State file for wazuh-agentd\n"
	    "\n"
	    "# Agent status:\n"
	    "# - pending:      waiting to get connected.\n"
	    "# - connected:    connection established with manager in the last "
	    "10 seconds.\n"
	    "# - disconnected: connection lost or no ACK received in the last "
	    "60 seconds.\n"
	    "status='%s'\n"
	    "\n"
	    "# Last time a keepalive was sent\n"
	    "last_keepalive='2026-12-07 12:00:00'\n"
	    "\n"
	    "# Last time a control message was received\n"
	    "last_ack='2026-12-07 12:00:01'\n"
	    "\n"
	    "# Number of generated events\n"
	    "msg_count='1234'\n"
	    "\n"
	    "# Number of messages (events + control messages) sent to the "
	    "manager\n"
	    "msg_sent='1200'\n"
	    "\n"
	    "# Number of events currently buffered\n"
	    "# Empty if anti-flooding mechanism is disabled\n"
	    "msg_buffer='%s'\n", status, buffer);
}

static void
test_parse_state(void)
{
	struct agent_state st;
	char text[1024];

	agentd_text(text, sizeof(text), "connected", "42");
	ok(agent_parse_state(text, &st) && st.status == AGENT_CONNECTED &&
	    st.buffered && st.msg_buffer == 42, "connected, 42 buffered");
	agentd_text(text, sizeof(text), "disconnected", "0");
	ok(agent_parse_state(text, &st) && st.status == AGENT_DISCONNECTED,
	    "disconnected: the status line, not the comment above it");
	agentd_text(text, sizeof(text), "pending", "");
	ok(agent_parse_state(text, &st) && st.status == AGENT_PENDING &&
	    !st.buffered, "pending, buffer disabled (empty msg_buffer)");
	agentd_text(text, sizeof(text), "unknown", "1");
	ok(!agent_parse_state(text, &st), "an unknown status is no reading");
	agentd_text(text, sizeof(text), "connected", "-1");
	ok(!agent_parse_state(text, &st), "a negative count is no reading");
	ok(!agent_parse_state("status='connected'\n", &st),
	    "no msg_buffer line (older agent): no reading");
}

static void
test_parse_buffer(void)
{
	struct agent_buffer b;

	agent_parse_buffer("<ossec_config><client/></ossec_config>", &b);
	ok(!b.disabled && b.queue_size == 5000 && b.eps == 500,
	    "no <client_buffer>: Wazuh's defaults");
	agent_parse_buffer("<ossec_config>\n  <client_buffer>\n"
	    "    <disabled>no</disabled>\n    <queue_size>20000</queue_size>\n"
	    "    <events_per_second> 800 </events_per_second>\n"
	    "  </client_buffer>\n</ossec_config>\n", &b);
	ok(!b.disabled && b.queue_size == 20000 && b.eps == 800,
	    "values read, blanks around them allowed (%u, %u)", b.queue_size,
	    b.eps);
	agent_parse_buffer("<client_buffer><!-- <events_per_second>900"
	    "</events_per_second> --><disabled>yes</disabled>"
	    "</client_buffer>", &b);
	ok(b.disabled && b.eps == 500, "commented out: no setting; disabled");
	agent_parse_buffer("<client_buffer><events_per_second>5000"
	    "</events_per_second><queue_size>0</queue_size></client_buffer>",
	    &b);
	ok(b.eps == 500 && b.queue_size == 5000,
	    "values agentd refuses (eps > 1000, size 0) are ignored");
	agent_parse_buffer("<ossec_config><client_buffer><events_per_second>"
	    "300</events_per_second></client_buffer></ossec_config>"
	    "<ossec_config><client_buffer><events_per_second>200"
	    "</events_per_second></client_buffer></ossec_config>", &b);
	ok(b.eps == 200, "a later block overrides an earlier one");
	ok(agent_read_buffer("/nonexistent/ossec.conf", &b) < 0 &&
	    b.eps == 500, "unreadable file: an error, and the defaults");
}

static void
touch(const char *dir, const char *rel)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
}

static void
test_detect(void)
{
	char dir[] = "/tmp/wka-agent-XXXXXX", sub[600];

	if (!ok(mkdtemp(dir) != NULL, "temp dir"))
		return;
	ok(!agent_detect(dir), "no Wazuh: the manager (today's behaviour)");
	snprintf(sub, sizeof(sub), "%s/var", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/var/run", dir);
	mkdir(sub, 0700);
	touch(dir, "var/run/wazuh-agentd.state");
	ok(agent_detect(dir), "only the agent's state file: an agent");
	touch(dir, "var/run/wazuh-analysisd.state");
	ok(!agent_detect(dir), "analysisd's state file too: a manager");
	snprintf(sub, sizeof(sub), "%s/bin", dir);
	mkdir(sub, 0700);
	touch(dir, "bin/wazuh-agentd");
	ok(agent_detect(dir), "bin/wazuh-agentd without analysisd: an agent, "
	    "whatever the state files");
	touch(dir, "bin/wazuh-analysisd");
	ok(!agent_detect(dir), "bin/wazuh-analysisd: a manager");
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	(void)system(sub);
}

static struct timespec
at(double s)
{
	struct timespec t = { (time_t)s, (long)((s - (long)s) * 1e9) };

	return t;
}

static void
write_agent(const char *path, const char *status, const char *buffer)
{
	char text[1024];
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return;
	agentd_text(text, sizeof(text), status, buffer);
	fputs(text, f);
	fclose(f);
}

static unsigned
observe(struct pace *p, double s, const char *path, const char *status,
    const char *buffer)
{
	struct log lg = { LOG_TARGET_STDERR };
	struct timespec t = at(s);

	write_agent(path, status, buffer);
	pace_observe(p, &t, &lg);
	return p->eps;
}

static void
test_pace_agent(void)
{
	struct agent_buffer b = { false, 5000, 500 };
	char path[] = "/tmp/wka-agentd-XXXXXX";
	struct timespec t = at(1000);
	struct pace p;
	unsigned e;
	int fd = mkstemp(path);

	if (!ok(fd != -1, "temp state file"))
		return;
	close(fd);
	pace_init(&p, 5000, "/nonexistent", &t);
	pace_use_agent(&p, &b, path);
	ok(p.max_eps == 500 && p.eps == 500, "ceiling: the agent's EPS, not "
	    "--max-eps 5000 (%u)", p.eps);
	ok(observe(&p, 1000, path, "connected", "100") == 500 && !p.holding,
	    "buffer 2%% full, connected: full pace");
	e = observe(&p, 1002, path, "connected", "4000");
	ok(e == 375, "buffer 80%% full: a quarter less (%u)", e);
	e = observe(&p, 1004, path, "connected", "4600");
	ok(e == 187, "buffer 92%% full: halved (%u)", e);
	e = observe(&p, 1006, path, "disconnected", "4600");
	ok(e == 100 && p.holding, "disconnected: held (and backed off: %u)",
	    e);
	t = at(1006.5);
	ok(pace_take(&p, &t) == PACE_HOLD_US, "held: no token, wait %ld us",
	    PACE_HOLD_US);
	ok(observe(&p, 1008, path, "pending", "4600") && p.holding,
	    "pending: still held");
	e = observe(&p, 1010, path, "connected", "100");
	ok(e == 150 && !p.holding, "connected again, buffer drained: "
	    "released, pace rising (%u)", e);
	t = at(1010.5);
	ok(pace_take(&p, &t) == 0, "released: events go");
	unlink(path);

	pace_init(&p, 5000, "/nonexistent", &t);
	b.disabled = true;
	pace_use_agent(&p, &b, path);
	ok(p.max_eps == 5000, "agent buffer disabled: --max-eps stays (%u)",
	    p.max_eps);
	pace_init(&p, 300, "/nonexistent", &t);
	b.disabled = false;
	pace_use_agent(&p, &b, path);
	ok(p.max_eps == 300, "--max-eps below the agent's EPS wins (%u)",
	    p.max_eps);
	pace_init(&p, 0, "/nonexistent", &t);
	pace_use_agent(&p, &b, path);
	ok(p.max_eps == 500, "--max-eps 0: the agent's EPS still holds (%u)",
	    p.max_eps);
}

int
main(void)
{
	test_parse_state();
	test_parse_buffer();
	test_detect();
	test_pace_agent();
	return tap_done();
}
