#!/bin/sh
# Install, from Debian/Ubuntu packages, what building wazuh-k8s-audit and
# running its whole test suite need.  Run as root.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (it calls apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	autoconf automake make gcc pkg-config \
	libjansson-dev libssl-dev libsystemd-dev libseccomp-dev \
	python3 rsyslog curl openssl ca-certificates procps \
	clang libclang-rt-dev \
	dpkg-dev >/dev/null
