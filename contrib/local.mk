# contrib: imhttp build, certificates, Kubernetes side, quick start (issue 3).

EXTRA_DIST += contrib/imhttp/build-imhttp.sh contrib/imhttp/imhttp-k8s.patch \
	contrib/certs/make-certs.sh contrib/render-dropin.sh contrib/quickstart.sh \
	contrib/kubernetes/audit-policy.yaml contrib/kubernetes/webhook-kubeconfig.yaml \
	contrib/kubernetes/kube-apiserver-flags.txt \
	rsyslog.d/60-wazuh-k8s-audit.conf.in rsyslog.d/wazuh-k8s-audit.env

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
	rm -rf $(IMHTTP_OUT)

# Packages: only the missing ones, waiting for another apt's lock (issue 16).
EXTRA_DIST += contrib/apt-install.sh contrib/install-deps.sh
