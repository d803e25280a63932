# `make check-systemd` (issue 20): the .debs under a real systemd, in a
# Debian 12 container booted with systemd-nspawn (rootfs made by mmdebstrap,
# cached in /var/cache/wazuh-k8s-audit/rootfs): install, enable --now,
# confinement, mTLS, the logger path, logrotate, restart mid-delivery,
# kill -9, upgrade, dpkg trigger, the node role (setup node-cert and
# node-dropin on the container's rsyslog, RELP into the service), remove and purge
# (tests/systemd/check_systemd.py, TAP). Root; not part of `make check`.
# DEB_DIR=DIR tests the .debs there instead of building them (.ci/run
# passes the ones check-package built).
EXTRA_DIST += tests/systemd/check_systemd.py tests/systemd/stand-in-recorder
.PHONY: check-systemd
check-systemd:
	@d='$(DEB_DIR)'; \
	if [ -z "$$d" ]; then $(MAKE) $(AM_MAKEFLAGS) deb || exit 1; d='$(DEB_OUT)'; fi; \
	DEB_DIR="$$d" TOP_SRCDIR='$(abs_top_srcdir)' PYTHONPATH='$(abs_top_srcdir)/tests/lib' \
		$(PYTHON3) $(top_srcdir)/tests/systemd/check_systemd.py
