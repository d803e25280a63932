#!/bin/sh
# install-layout.sh: put the package's files (beyond `make install`) in
# place under DESTDIR; the Debian rules and the RPM spec both call it, so
# both packages have one layout (docs/production.md, "Files").
#
#   contrib/setup/install-layout.sh DESTDIR IMHTTP_SO [UNITDIR]
#
#   DESTDIR    staging root (debian/tmp, %{buildroot})
#   IMHTTP_SO  the patched imhttp.so built by contrib/imhttp/build-imhttp.sh
#   UNITDIR    systemd system unit directory (default /lib/systemd/system)
#
# Run from the top of the source tree, after `make install DESTDIR=...`
# with --prefix=/usr (the plugin is then /usr/bin/wazuh-k8s-audit).
set -eu

[ $# -ge 2 ] || { echo "usage: $0 DESTDIR IMHTTP_SO [UNITDIR]" >&2; exit 2; }
d=$1
so=$2
unitdir=${3:-/lib/systemd/system}
[ -f rsyslog.d/60-wazuh-k8s-audit.conf.in ] || { echo "install-layout: run from the source tree's top" >&2; exit 1; }
[ -s "$so" ] || { echo "install-layout: $so missing" >&2; exit 1; }
[ -x "$d/usr/bin/wazuh-k8s-audit" ] || { echo "install-layout: $d/usr/bin/wazuh-k8s-audit missing (make install first)" >&2; exit 1; }

lib=/usr/lib/wazuh-k8s-audit
# render-dropin.sh finds its template in ../rsyslog.d: keep that shape.
install -D -m 0755 contrib/render-dropin.sh "$d$lib/bin/render-dropin.sh"
install -D -m 0644 contrib/render-lib.sh "$d$lib/bin/render-lib.sh"
install -D -m 0755 contrib/certs/make-certs.sh "$d$lib/bin/make-certs.sh"
install -D -m 0755 contrib/mend-queue.sh "$d$lib/bin/mend-queue.sh"
install -D -m 0644 rsyslog.d/60-wazuh-k8s-audit.conf.in "$d$lib/rsyslog.d/60-wazuh-k8s-audit.conf.in"
install -D -m 0644 "$so" "$d$lib/rsyslog/imhttp.so"
# The control-plane node's side (RELP forwarder): template and renderer
install -D -m 0755 contrib/render-node-dropin.sh "$d$lib/bin/render-node-dropin.sh"
install -D -m 0644 rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in "$d$lib/rsyslog.d/node/58-wazuh-k8s-audit-node.conf.in"
install -D -m 0644 rsyslog.d/node/wazuh-k8s-audit-node.env "$d$lib/rsyslog.d/node/wazuh-k8s-audit-node.env"
# The cloud endpoints' service (EKS Firehose, GKE Pub/Sub): renderer, template
install -D -m 0755 contrib/render-cloud.sh "$d$lib/bin/render-cloud.sh"
install -D -m 0644 rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in "$d$lib/rsyslog.d/cloud/wazuh-k8s-audit-cloud.conf.in"
install -D -m 0755 contrib/setup/wazuh-k8s-audit-setup "$d/usr/sbin/wazuh-k8s-audit-setup"

# The settings file the service renders its drop-in from: the project's
# defaults with the packaged program and module.
install -d -m 0755 "$d/etc/wazuh-k8s-audit" "$d/etc/wazuh-k8s-audit/rsyslog.d"
sed -e "s|^PLUGIN=.*|PLUGIN=/usr/bin/wazuh-k8s-audit|" \
    -e "s|^IMHTTP_MODULE=.*|IMHTTP_MODULE=$lib/rsyslog/imhttp.so|" \
    rsyslog.d/wazuh-k8s-audit.env > "$d/etc/wazuh-k8s-audit/wazuh-k8s-audit.env"
chmod 0644 "$d/etc/wazuh-k8s-audit/wazuh-k8s-audit.env"
grep -q "^PLUGIN=/usr/bin/wazuh-k8s-audit$" "$d/etc/wazuh-k8s-audit/wazuh-k8s-audit.env" &&
grep -q "^IMHTTP_MODULE=$lib/rsyslog/imhttp.so$" "$d/etc/wazuh-k8s-audit/wazuh-k8s-audit.env" ||
	{ echo "install-layout: rsyslog.d/wazuh-k8s-audit.env lost PLUGIN= or IMHTTP_MODULE=" >&2; exit 1; }
# The cloud service's settings (every endpoint off): the same substitutions
sed -e "s|^PLUGIN=.*|PLUGIN=/usr/bin/wazuh-k8s-audit|" \
    -e "s|^IMHTTP_MODULE=.*|IMHTTP_MODULE=$lib/rsyslog/imhttp.so|" \
    rsyslog.d/cloud/wazuh-k8s-audit-cloud.env > "$d/etc/wazuh-k8s-audit/cloud.env"
chmod 0644 "$d/etc/wazuh-k8s-audit/cloud.env"
grep -q "^IMHTTP_MODULE=$lib/rsyslog/imhttp.so$" "$d/etc/wazuh-k8s-audit/cloud.env" ||
	{ echo "install-layout: rsyslog.d/cloud/wazuh-k8s-audit-cloud.env lost IMHTTP_MODULE=" >&2; exit 1; }
install -D -m 0644 contrib/systemd/wazuh-k8s-audit-cloud.service "$d$unitdir/wazuh-k8s-audit-cloud.service"
install -m 0644 contrib/systemd/rsyslog.conf "$d/etc/wazuh-k8s-audit/rsyslog.conf"
install -D -m 0644 contrib/systemd/59-wazuh-k8s-audit-logger.conf "$d/etc/rsyslog.d/59-wazuh-k8s-audit-logger.conf"
install -D -m 0644 contrib/systemd/wazuh-k8s-audit.service "$d$unitdir/wazuh-k8s-audit.service"
install -D -m 0644 contrib/systemd/rsyslog-wazuh-k8s-audit.conf "$d$unitdir/rsyslog.service.d/wazuh-k8s-audit.conf"
install -D -m 0644 contrib/logrotate/wazuh-k8s-audit "$d/etc/logrotate.d/wazuh-k8s-audit"

# The reference settings and the cluster side, for the admin to read.
ex=$d/usr/share/doc/wazuh-k8s-audit/examples
install -D -m 0644 rsyslog.d/wazuh-k8s-audit.env "$ex/wazuh-k8s-audit.env"
install -D -m 0644 rsyslog.d/node/wazuh-k8s-audit-node.env "$ex/wazuh-k8s-audit-node.env"
install -D -m 0644 rsyslog.d/cloud/wazuh-k8s-audit-cloud.env "$ex/cloud.env"
for f in audit-policy.yaml webhook-kubeconfig.yaml kube-apiserver-flags.txt; do
	install -D -m 0644 "contrib/kubernetes/$f" "$ex/kubernetes/$f"
done
