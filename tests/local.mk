# Tests of the plugin core: C unit tests and process-level tests in Python.
EXTRA_DIST += tests/corpus tests/lib/harness.py

check_PROGRAMS += tests/unit/test_eventlist tests/unit/test_pace \
	tests/unit/test_spool tests/unit/test_sink tests/unit/test_jsonscan \
	tests/unit/test_reject
TESTS += tests/unit/test_eventlist tests/unit/test_pace \
	tests/unit/test_spool tests/unit/test_sink tests/unit/test_jsonscan \
	tests/unit/test_reject
# Pacing through a Wazuh agent (issue 26).
check_PROGRAMS += tests/unit/test_agentstate
TESTS += tests/unit/test_agentstate
tests_unit_test_agentstate_LDADD = $(CORE_LIBS)
TESTS += tests/plugin/test_agent.py tests/rules/check_agent_path.py
EXTRA_DIST += tests/plugin/test_agent.py tests/lib/agentd.py \
	tests/rules/check_agent_path.py
tests_unit_test_reject_LDADD = $(CORE_LIBS)
tests_unit_test_jsonscan_LDADD = $(CORE_LIBS)
tests_unit_test_eventlist_LDADD = $(CORE_LIBS)
tests_unit_test_pace_LDADD = $(CORE_LIBS)
tests_unit_test_spool_LDADD = $(CORE_LIBS)
tests_unit_test_sink_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/unit/tap.h

TESTS += tests/plugin/test_corpus.py tests/plugin/test_bad_input.py \
	tests/plugin/test_delivery.py tests/plugin/test_spool.py \
	tests/plugin/test_protocol.py tests/plugin/test_confinement.py \
	tests/plugin/test_adversarial.py
EXTRA_DIST += tests/plugin/test_corpus.py tests/plugin/test_bad_input.py \
	tests/plugin/test_delivery.py tests/plugin/test_spool.py \
	tests/plugin/test_protocol.py tests/plugin/test_confinement.py \
	tests/plugin/test_adversarial.py

# Adversarial events through the real plugin (issue 12).
TESTS += tests/plugin/test_adversarial_shape.py
EXTRA_DIST += tests/plugin/test_adversarial_shape.py
# Padded and damaged metadata through the real plugin (issue 21).
TESTS += tests/plugin/test_padding_damage.py
EXTRA_DIST += tests/plugin/test_padding_damage.py
# Files opened as root before the privilege drop (issue 21).
TESTS += tests/plugin/test_files.py tests/plugin/test_reject_sync.py
EXTRA_DIST += tests/plugin/test_files.py tests/plugin/test_reject_sync.py

# Rule fields a decoy cannot hide, Secrets wherever they are (issue 21).
TESTS += tests/plugin/test_hostile_fields.py
EXTRA_DIST += tests/plugin/test_hostile_fields.py

# The fast path against the reference shaping (issue 6).
check_PROGRAMS += tests/unit/test_fastpath
TESTS += tests/unit/test_fastpath
tests_unit_test_fastpath_SOURCES = tests/unit/test_fastpath.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_fastpath_LDADD = $(CORE_LIBS)

# The readers of validated JSON text and the body pruning of the fast path.
check_PROGRAMS += tests/unit/test_jsonspan tests/unit/test_prune
TESTS += tests/unit/test_jsonspan tests/unit/test_prune
tests_unit_test_jsonspan_SOURCES = tests/unit/test_jsonspan.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_jsonspan_LDADD = $(CORE_LIBS)
tests_unit_test_prune_SOURCES = tests/unit/test_prune.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_prune_LDADD = $(CORE_LIBS)

# needles_find and the fast-path filters against the searches they stand for.
check_PROGRAMS += tests/unit/test_needles
TESTS += tests/unit/test_needles
tests_unit_test_needles_SOURCES = tests/unit/test_needles.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_needles_LDADD = $(CORE_LIBS)

# The one base64 decoder (cloud frames, Secret values): RFC 4648's vectors.
check_PROGRAMS += tests/unit/test_base64
TESTS += tests/unit/test_base64
tests_unit_test_base64_SOURCES = tests/unit/test_base64.c tests/unit/tap.h
tests_unit_test_base64_LDADD = $(CORE_LIBS)

# The fast path's JSON text writer reads back through jansson.
check_PROGRAMS += tests/unit/test_jsonout
TESTS += tests/unit/test_jsonout
tests_unit_test_jsonout_SOURCES = tests/unit/test_jsonout.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_jsonout_LDADD = $(CORE_LIBS)

# head_from_text against head_from_json, over the corpus and crafted events.
check_PROGRAMS += tests/unit/test_head
TESTS += tests/unit/test_head
tests_unit_test_head_SOURCES = tests/unit/test_head.c \
	tests/unit/tap.h tests/unit/corpus.h
tests_unit_test_head_LDADD = $(CORE_LIBS)

# CI's out-of-tree builds on a source tree configured in-tree (issue 16).
TESTS += tests/ci/test_srcdir.sh
EXTRA_DIST += tests/ci/test_srcdir.sh .ci/srcdir

# Least privilege (issue 14): Landlock rules, the seccomp allow-list and the
# privilege drop, each in child processes.
check_PROGRAMS += tests/unit/test_landlock tests/unit/test_sysfilter \
	tests/unit/test_privdrop
TESTS += tests/unit/test_landlock tests/unit/test_sysfilter \
	tests/unit/test_privdrop
tests_unit_test_landlock_LDADD = $(CORE_LIBS)
tests_unit_test_sysfilter_LDADD = $(CORE_LIBS)
tests_unit_test_privdrop_LDADD = $(CORE_LIBS)

# The setup tool on a stand-in manager tree: links, markers, status (issues 20, 21).
TESTS += tests/setup/test_setup.py
EXTRA_DIST += tests/setup/test_setup.py
# contrib/mend-queue.sh on a real rsyslogd's Disk queue
TESTS += tests/setup/test_mend_queue.py
EXTRA_DIST += tests/setup/test_mend_queue.py

# Stop signals: the line held is spooled, exit 0 (issue 20).
TESTS += tests/plugin/test_stop.py
EXTRA_DIST += tests/plugin/test_stop.py

# The system logger's hand-over to the service, across restarts (issue 20).
TESTS += tests/logger/test_handover.py
EXTRA_DIST += tests/logger/test_handover.py

# k8s.source: the channel of every event, both paths (issue 21, class 7).
TESTS += tests/plugin/test_source.py
EXTRA_DIST += tests/plugin/test_source.py

# Cloud envelopes: Firehose (EKS) and Pub/Sub push (GKE) (issue 23).
check_PROGRAMS += tests/unit/test_firehose tests/unit/test_pubsub
TESTS += tests/unit/test_firehose tests/unit/test_pubsub
tests_unit_test_firehose_LDADD = $(CORE_LIBS)
tests_unit_test_pubsub_LDADD = $(CORE_LIBS)
EXTRA_DIST += tests/fixtures
TESTS += tests/plugin/test_clouds.py
EXTRA_DIST += tests/plugin/test_clouds.py

# Syslog listener: messages of one Event, OpenShift's records (issue 22).
check_PROGRAMS += tests/unit/test_syslogmsg
TESTS += tests/unit/test_syslogmsg
tests_unit_test_syslogmsg_LDADD = $(CORE_LIBS)
# rsyslogd's start message, which starts the plugin (issue 24).
check_PROGRAMS += tests/unit/test_wake
TESTS += tests/unit/test_wake
tests_unit_test_wake_LDADD = $(CORE_LIBS)
# RELP's frames, as the node's forwarder writes and reads them (issue 22).
check_PROGRAMS += tests/unit/test_relpframe
TESTS += tests/unit/test_relpframe
tests_unit_test_relpframe_LDADD = $(CORE_LIBS)

# Setup verbs for control-plane nodes: node-cert, node-dropin (issue 22).
TESTS += tests/setup/test_node_setup.py
EXTRA_DIST += tests/setup/test_node_setup.py

# A line's memory bounded by the line, not a record per item (issue 21).
TESTS += tests/plugin/test_line_memory.py
EXTRA_DIST += tests/plugin/test_line_memory.py

# journald's split lines put back together, --frame journal (issue 22).
check_PROGRAMS += tests/unit/test_journal
TESTS += tests/unit/test_journal
tests_unit_test_journal_LDADD = $(CORE_LIBS)
TESTS += tests/plugin/test_journal.py
EXTRA_DIST += tests/plugin/test_journal.py tests/journal/bigevent.py \
	tests/journal/record_journal.py

# setup cloud-endpoint (issue 23): credential, certificate, render, -N1, status.
TESTS += tests/setup/test_cloud_setup.py
EXTRA_DIST += tests/setup/test_cloud_setup.py

# Events analysisd read but had not finished when it stopped (issue 27).
TESTS += tests/plugin/test_restart_read.py
EXTRA_DIST += tests/plugin/test_restart_read.py tests/lib/queued_standin.py

# Accept ahead: OK once in the spool, kill -9, the one-line bound (issue 24).
TESTS += tests/plugin/test_accept_ahead.py
EXTRA_DIST += tests/plugin/test_accept_ahead.py

# The node's forwarder against a fake RELP server: acknowledgements,
# broken sessions, failover, TLS names, stop and spool (issue 22).
TESTS += tests/plugin/test_forward.py
EXTRA_DIST += tests/plugin/test_forward.py
