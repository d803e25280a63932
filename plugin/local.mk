# The plugin: everything but main.c goes into libcore.a so that unit tests
# link the same objects the program runs.
noinst_LIBRARIES += libcore.a
libcore_a_SOURCES = \
	plugin/confine.c plugin/confine.h \
	plugin/deliver.c plugin/deliver.h \
	plugin/eventlist.c plugin/eventlist.h \
	plugin/fsutil.c plugin/fsutil.h \
	plugin/log.c plugin/log.h \
	plugin/omprog.c plugin/omprog.h \
	plugin/options.c plugin/options.h \
	plugin/pace.c plugin/pace.h \
	plugin/plugin.c plugin/plugin.h \
	plugin/reject.c plugin/reject.h \
	plugin/sink.c plugin/sink.h \
	plugin/spool.c plugin/spool.h \
	plugin/stats.c plugin/stats.h \
	plugin/jsonscan.c plugin/jsonscan.h \
	plugin/landlock.c plugin/landlock.h \
	plugin/lockdown.c plugin/lockdown.h \
	plugin/privdrop.c plugin/privdrop.h \
	plugin/probe.c plugin/probe.h \
	plugin/sysfilter.c plugin/sysfilter.h \
	plugin/jsonspan.c plugin/jsonspan.h plugin/swar.h \
	plugin/prune.c plugin/prune.h \
	plugin/needles.c plugin/needles.h \
	plugin/jsonout.c plugin/jsonout.h \
	plugin/fastpath.c plugin/fastpath.h \
	plugin/head.c plugin/head.h \
	plugin/shape.h plugin/keyfile.h

include plugin/shape_local.mk

EXTRA_DIST += plugin/shape_local.mk
CORE_LIBS = libcore.a $(JANSSON_LIBS) $(CRYPTO_LIBS) $(SYSTEMD_LIBS) $(SECCOMP_LIBS)

bin_PROGRAMS += plugin/wazuh-k8s-audit
plugin_wazuh_k8s_audit_SOURCES = plugin/main.c
plugin_wazuh_k8s_audit_LDADD = $(CORE_LIBS)
