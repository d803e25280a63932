#!/bin/sh
# make-certs.sh: a private CA, a server certificate for the Wazuh host (imhttp)
# and a client certificate for kube-apiserver's audit webhook.
#
#   contrib/certs/make-certs.sh [-d DIR] [-f] [SAN ...]
#   contrib/certs/make-certs.sh [-d DIR] -n CLUSTER:NODE
#
#   -d DIR   where the files go (default /etc/wazuh-k8s-audit/certs)
#   -f       make everything anew (a new CA: the apiserver needs the new files)
#   -n CLUSTER:NODE  only a client certificate for control-plane node NODE
#            of cluster CLUSTER (RELP, rsyslog.d/node/), signed by the CA of
#            DIR (made if missing): nodes/CLUSTER/NODE.crt and .key, named
#            NODE.CLUSTER.nodes.wazuh-k8s-audit (CN and DNS SAN). The
#            manager's RELP listener for CLUSTER accepts exactly the names
#            *.CLUSTER.nodes.wazuh-k8s-audit. Both are DNS labels (a-z 0-9 -).
#   SAN      names and addresses the apiserver uses to reach this host, e.g.
#            wazuh.example.org 10.0.0.5 (default: localhost 127.0.0.1 ::1)
#
# Files in DIR:
#   ca.crt ca.key             the CA (keep ca.key offline once done)
#   server.crt server.key     imhttp's certificate; server.pem = both, which is
#                             what civetweb's ssl_certificate option wants
#   client.crt client.key     for the webhook kubeconfig (client-certificate/-key)
#
# Idempotent: files that exist are kept; the server certificate is only made
# again when the SAN list changes (remembered in server.sans) or it expires
# within 30 days. Keys are created 0600 (umask 077). On Ubuntu rsyslogd runs as
# user syslog: give that user read access to server.pem (see docs/production.md).
set -eu

dir=/etc/wazuh-k8s-audit/certs
force=no
node=
while getopts d:fn:h opt; do
	case $opt in
	d) dir=$OPTARG ;;
	f) force=yes ;;
	n) node=$OPTARG ;;
	h) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "usage: $0 [-d DIR] [-f] [SAN ...] | [-d DIR] -n CLUSTER:NODE" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- localhost 127.0.0.1 ::1

command -v openssl >/dev/null 2>&1 || { echo "make-certs: openssl not found (apt-get install openssl)" >&2; exit 1; }

umask 077
mkdir -p "$dir"
cd "$dir"
if [ "$force" = yes ]; then
	rm -f ca.crt ca.key ca.srl server.crt server.key server.pem server.sans client.crt client.key
fi

# subjectAltName from the arguments: anything that parses as an address is IP:
san=
for n in "$@"; do
	case $n in
	*:*|*[0-9].*[0-9].*[0-9].*[0-9]) case $n in *[!0-9a-fA-F:.]*) t=DNS ;; *) t=IP ;; esac ;;
	*) t=DNS ;;
	esac
	san="${san:+$san,}$t:$n"
done

days_ca=3650
days_leaf=825

# Keys are ECDSA P-256: accepted by Go (kube-apiserver) and OpenSSL 3 (civetweb),
# and cheaper per TLS handshake than RSA.
newkey() { [ -s "$1" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; chmod 600 "$1"; }

if [ ! -s ca.crt ] || [ ! -s ca.key ]; then
	rm -f ca.key
	newkey ca.key
	openssl req -x509 -new -key ca.key -sha256 -days $days_ca \
		-subj "/CN=wazuh-k8s-audit CA" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out ca.crt
	rm -f server.crt client.crt   # signed by a CA that no longer exists
	echo "make-certs: new CA in $dir/ca.crt"
fi

# sign NAME CN EKU [SAN]: a leaf certificate signed by the CA
sign() {
	newkey "$1.key"
	ext=$(mktemp)
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$3"
		[ -z "${4:-}" ] || echo "subjectAltName=$4"
	} > "$ext"
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
		-sha256 -days $days_leaf -extfile "$ext" -out "$1.crt" 2>/dev/null
	rm -f "$ext" "$1.csr"
	echo "make-certs: new $1 certificate in $dir/$1.crt"
}

# expiring LEAF: true when the certificate is missing or ends within 30 days
expiring() { [ ! -s "$1.crt" ] || ! openssl x509 -in "$1.crt" -noout -checkend 2592000 >/dev/null; }

# A node certificate only (-n): the name carries the cluster, and the
# manager's listener for that cluster permits only its own names.
if [ -n "$node" ]; then
	label() { case $1 in ''|-*|*-|*[!a-z0-9-]*) return 1 ;; esac; [ ${#1} -le 63 ]; }
	ncluster=${node%%:*} nname=${node#*:}
	label "$ncluster" && label "$nname" && [ "$ncluster:$nname" = "$node" ] || {
		echo "make-certs: -n $node: expected CLUSTER:NODE, both DNS labels (a-z 0-9 -)" >&2; exit 2; }
	mkdir -p "nodes/$ncluster"
	fqdn=$nname.$ncluster.nodes.wazuh-k8s-audit
	if expiring "nodes/$ncluster/$nname"; then
		sign "nodes/$ncluster/$nname" "$fqdn" clientAuth "DNS:$fqdn"
	fi
	chmod 644 ca.crt "nodes/$ncluster/$nname.crt"
	echo "make-certs: node $fqdn: $dir/nodes/$ncluster/$nname.crt (key .key), CA $dir/ca.crt"
	exit 0
fi

if expiring server || [ "$(cat server.sans 2>/dev/null)" != "$san" ]; then
	sign server "$1" serverAuth "$san"
	printf '%s\n' "$san" > server.sans
fi
if expiring client; then
	sign client kube-apiserver clientAuth
fi
# civetweb reads certificate and key from one PEM file
cat server.crt server.key > server.pem.tmp && chmod 600 server.pem.tmp && mv server.pem.tmp server.pem
chmod 644 ca.crt server.crt client.crt server.sans
echo "make-certs: $dir: ca.crt server.pem (SAN $san) client.crt client.key"
