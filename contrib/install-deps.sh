#!/bin/sh
# Install, from Debian/Ubuntu packages, what building wazuh-k8s-audit and
# running its whole test suite need: the missing ones only, no upgrades, and
# waiting for another apt's lock (contrib/apt-install.sh).  Run as root.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
exec sh "$(dirname "$0")/apt-install.sh" \
	autoconf automake make gcc pkg-config \
	libjansson-dev libssl-dev libsystemd-dev libseccomp-dev zlib1g-dev \
	python3 python3-yaml rsyslog rsyslog-relp rsyslog-gnutls curl openssl ca-certificates procps strace \
	clang libclang-rt-dev \
	dpkg-dev \
	debhelper lintian adduser iproute2 logrotate systemd util-linux \
	libestr-dev libfastjson-dev zlib1g-dev uuid-dev libaprutil1-dev bison flex
