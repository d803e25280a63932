# The plugin: everything but main.c goes into libcore.a so that unit tests
# link the same objects the program runs.
noinst_LIBRARIES += libcore.a
libcore_a_SOURCES = \
	plugin/plugin.c plugin/plugin.h \
	plugin/options.c plugin/options.h \
	plugin/log.c plugin/log.h \
	plugin/stats.c plugin/stats.h
# The layers a line goes through, each in its folder: omprog's lines and
# their events (frame), JSON read as byte spans (json), the event shaped
# for Wazuh (shape, with derive and redact below: shape_local.mk), sent
# exactly once or set aside (deliver) to analysisd's socket (sink); and
# the process's confinement (confine).
libcore_a_SOURCES += \
	plugin/frame/omprog.c plugin/frame/omprog.h \
	plugin/frame/stopsig.c plugin/frame/stopsig.h \
	plugin/frame/eventlist.c plugin/frame/eventlist.h \
	plugin/frame/records.c plugin/frame/records.h \
	plugin/frame/inflate.c plugin/frame/inflate.h \
	plugin/frame/firehose.c plugin/frame/firehose.h \
	plugin/frame/pubsub.c plugin/frame/pubsub.h \
	plugin/frame/journal.c plugin/frame/journal.h \
	plugin/frame/syslogmsg.c plugin/frame/syslogmsg.h \
	plugin/frame/wake.c plugin/frame/wake.h \
	plugin/json/jsonscan.c plugin/json/jsonscan.h \
	plugin/json/jsonspan.c plugin/json/jsonspan.h plugin/json/swar.h \
	plugin/json/jsonout.c plugin/json/jsonout.h \
	plugin/json/needles.c plugin/json/needles.h \
	plugin/json/base64.c plugin/json/base64.h \
	plugin/shape/head.c plugin/shape/head.h \
	plugin/shape/fastpath.c plugin/shape/fastpath.h \
	plugin/shape/prune.c plugin/shape/prune.h \
	plugin/shape/shape.h \
	plugin/deliver/deliver.c plugin/deliver/deliver.h \
	plugin/deliver/deliver_journal.c plugin/deliver/deliver_journal.h \
	plugin/deliver/spool.c plugin/deliver/spool.h \
	plugin/deliver/readwin.c plugin/deliver/readwin.h \
	plugin/deliver/reject.c plugin/deliver/reject.h \
	plugin/deliver/pace.c plugin/deliver/pace.h \
	plugin/deliver/agentstate.c plugin/deliver/agentstate.h \
	plugin/deliver/fsutil.c plugin/deliver/fsutil.h \
	plugin/sink/sink.c plugin/sink/sink.h \
	plugin/confine/confine.c plugin/confine/confine.h \
	plugin/confine/fds.c plugin/confine/fds.h \
	plugin/confine/landlock.c plugin/confine/landlock.h \
	plugin/confine/lockdown.c plugin/confine/lockdown.h \
	plugin/confine/privdrop.c plugin/confine/privdrop.h \
	plugin/confine/probe.c plugin/confine/probe.h \
	plugin/confine/sysfilter.c plugin/confine/sysfilter.h

include plugin/shape_local.mk

EXTRA_DIST += plugin/shape_local.mk
CORE_LIBS = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS) $(ZLIB_LIBS) $(SYSTEMD_LIBS) $(SECCOMP_LIBS)

bin_PROGRAMS += plugin/wazuh-k8s-audit
plugin_wazuh_k8s_audit_SOURCES = plugin/main.c
plugin_wazuh_k8s_audit_LDADD = $(CORE_LIBS)

# The node's omprog program: its lines to the managers' RELP listeners,
# each held until acknowledged (plugin/forward/forward.h).  RELP's frames
# (relpframe) and sessions (relpconn) are in libcore.a for the unit tests.
libcore_a_SOURCES += \
	plugin/forward/relpframe.c plugin/forward/relpframe.h \
	plugin/forward/relpconn.c plugin/forward/relpconn.h \
	plugin/forward/forward.c plugin/forward/forward.h \
	plugin/forward/relay.c plugin/forward/relay.h \
	plugin/forward/keep.c plugin/forward/keep.h \
	plugin/forward/fwdopts.c plugin/forward/fwdopts.h
bin_PROGRAMS += plugin/wazuh-k8s-audit-forward
plugin_wazuh_k8s_audit_forward_SOURCES = plugin/forward/fwdmain.c
plugin_wazuh_k8s_audit_forward_LDADD = $(CORE_LIBS) $(SSL_LIBS)
