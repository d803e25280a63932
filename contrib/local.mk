# contrib: imhttp build, certificates, Kubernetes side, quick start (issue 3).

EXTRA_DIST += contrib/imhttp/build-imhttp.sh contrib/imhttp/imhttp-k8s.patch \
	contrib/imhttp/civetweb-k8s.patch \
	contrib/certs/make-certs.sh contrib/render-dropin.sh contrib/render-lib.sh contrib/render-cloud.sh contrib/quickstart.sh \
	contrib/mend-queue.sh \
	contrib/kubernetes/audit-policy.yaml contrib/kubernetes/webhook-kubeconfig.yaml \
	contrib/kubernetes/kube-apiserver-flags.txt \
	rsyslog.d/60-wazuh-k8s-audit.conf.in rsyslog.d/wazuh-k8s-audit.env \
	contrib/render-node-dropin.sh rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in \
	rsyslog.d/node/wazuh-k8s-audit-node.env \
	rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in rsyslog.d/cloud/wazuh-k8s-audit-cloud.env

# `make imhttp`: build the patched imhttp.so for the installed rsyslogd into
# _build-imhttp/ (not part of `all`: it needs the rsyslog and civetweb source
# packages; see contrib/imhttp/build-imhttp.sh). The e2e tests call the same
# script, which reuses its cached build.
IMHTTP_OUT = $(abs_top_builddir)/_build-imhttp
.PHONY: imhttp
imhttp:
	$(SHELL) $(top_srcdir)/contrib/imhttp/build-imhttp.sh -o $(IMHTTP_OUT)

# The e2e tests build imhttp.so there too: `make clean` (and distcheck) removes it.
clean-local:
	rm -rf $(IMHTTP_OUT) $(DEB_OUT) $(RPM_OUT)

# Packages (docs/production.md §0): `make deb` builds the wazuh-k8s-audit and
# wazuh-k8s-audit-imhttp .debs into _build-deb/ with dpkg-buildpackage from
# contrib/debian/ (rsyslog and civetweb sources fetched first: see
# contrib/debian/make-deb.sh); `make rpm` the RPMs into _build-rpm/ from
# contrib/rpm/wazuh-k8s-audit.spec.
PACKAGE_FILES = contrib/debian/changelog contrib/debian/control \
	contrib/debian/copyright contrib/debian/rules contrib/debian/source/format \
	contrib/debian/make-deb.sh contrib/debian/wazuh-k8s-audit.install \
	contrib/debian/wazuh-k8s-audit-imhttp.install \
	contrib/debian/wazuh-k8s-audit.postinst contrib/debian/wazuh-k8s-audit.postrm \
	contrib/debian/wazuh-k8s-audit.triggers \
	contrib/debian/wazuh-k8s-audit.lintian-overrides \
	contrib/debian/wazuh-k8s-audit-imhttp.lintian-overrides \
	contrib/systemd/wazuh-k8s-audit.service contrib/systemd/rsyslog.conf \
	contrib/systemd/wazuh-k8s-audit-cloud.service \
	contrib/systemd/59-wazuh-k8s-audit-logger.conf \
	contrib/systemd/rsyslog-wazuh-k8s-audit.conf \
	contrib/logrotate/wazuh-k8s-audit \
	contrib/setup/wazuh-k8s-audit-setup contrib/setup/install-layout.sh
EXTRA_DIST += $(PACKAGE_FILES)

DEB_OUT = $(abs_top_builddir)/_build-deb
.PHONY: deb
deb: dist
	$(SHELL) $(top_srcdir)/contrib/debian/make-deb.sh $(top_srcdir) $(DEB_OUT) \
		$(abs_top_builddir)/$(PACKAGE)-$(VERSION).tar.xz

# `make check-package`: build the .debs, install them on this machine (root,
# throwaway: CI) and test install, service, setup, upgrade, remove, purge
# (tests/package/test_package.py; it refuses to touch what it did not create).
# Not part of `make check`: installing packages must not race the suite.
EXTRA_DIST += tests/package/test_package.py tests/package/stand-in-wazuh-analysisd
.PHONY: check-package
check-package: check-apt-src deb
	DEB_DIR='$(DEB_OUT)' TOP_SRCDIR='$(abs_top_srcdir)' PYTHONPATH='$(abs_top_srcdir)/tests/lib' \
		$(PYTHON3) $(top_srcdir)/tests/package/test_package.py

EXTRA_DIST += contrib/rpm/wazuh-k8s-audit.spec contrib/rpm/make-rpm.sh
RPM_OUT = $(abs_top_builddir)/_build-rpm
.PHONY: rpm
rpm: dist
	$(SHELL) $(top_srcdir)/contrib/rpm/make-rpm.sh $(top_srcdir) $(RPM_OUT) \
		$(abs_top_builddir)/$(PACKAGE)-$(VERSION).tar.xz $(RPM_SOURCES)

# Packages: only the missing ones, waiting for another apt's lock (issue 16).
EXTRA_DIST += contrib/apt-install.sh contrib/install-deps.sh

# Source packages without deb-src entries, /etc/apt untouched (issue 20):
# `make check-apt-src` (root; runs apt-get update), first part of check-package.
EXTRA_DIST += contrib/apt-src.sh tests/package/test_apt_src.sh
.PHONY: check-apt-src
check-apt-src:
	TOP_SRCDIR='$(abs_top_srcdir)' $(SHELL) $(top_srcdir)/tests/package/test_apt_src.sh
