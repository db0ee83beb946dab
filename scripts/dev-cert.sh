#!/usr/bin/env bash
# Makes a local certificate authority and a server certificate it signed, for
# trying https clients against a development server (Portcullis with
# server.tls, or a test's own https server). Uses the openssl command line.
#
# Usage: scripts/dev-cert.sh [--out DIR] [--name HOST]... [--days N]
#   --out DIR    where the files go (default: var/dev-cert in the repository)
#   --name HOST  a DNS name or IP address the certificate is valid for; repeat
#                for several (default: localhost, 127.0.0.1 and ::1)
#   --days N     validity of the server certificate (default: 825)
#
# Run it again and it keeps what is still good: the CA is made once, the
# server certificate is made again only when the names differ, it expires
# within a day, or it was not signed by this CA. Nothing asks questions.
# Files: ca.pem, ca.key, server.pem, server.key (keys are mode 0600), and
# server.names (the names the server certificate was made for).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

out="$PC_ROOT/var/dev-cert"
names=()
days=825

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { usage >&2; exit 64; }; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --name) [ $# -ge 2 ] || { usage >&2; exit 64; }; names+=("$2"); shift 2 ;;
    --name=*) names+=("${1#--name=}"); shift ;;
    --days) [ $# -ge 2 ] || { usage >&2; exit 64; }; days=$2; shift 2 ;;
    --days=*) days=${1#--days=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "dev-cert.sh: unknown argument: $1" >&2; usage >&2; exit 64 ;;
  esac
done
[ ${#names[@]} -eq 0 ] && names=(localhost 127.0.0.1 ::1)
if ! [[ "$days" =~ ^[1-9][0-9]*$ ]]; then echo "dev-cert.sh: --days needs a positive number" >&2; exit 64; fi

command -v openssl >/dev/null 2>&1 || pc_ensure_packages openssl

# subjectAltName entries: IP for addresses, DNS for names.
san=""
for n in "${names[@]}"; do
  if [[ "$n" =~ ^[0-9]+(\.[0-9]+){3}$ || "$n" == *:* ]]; then entry="IP:$n"; else entry="DNS:$n"; fi
  san+="${san:+,}$entry"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
ca_key="$out/ca.key" ca_pem="$out/ca.pem" key="$out/server.key" pem="$out/server.pem"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# Key files are written under umask 077 and then set to 0600 explicitly.
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

made_ca=no
if [ ! -s "$ca_key" ] || [ ! -s "$ca_pem" ] || ! openssl x509 -in "$ca_pem" -noout -checkend 86400 >/dev/null 2>&1 ||
   [ "$(openssl x509 -in "$ca_pem" -noout -pubkey 2>/dev/null)" != "$(openssl pkey -in "$ca_key" -pubout 2>/dev/null)" ]; then
  new_key "$work/ca.key"
  cat >"$work/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
CN = Portcullis development CA ($(hostname -s 2>/dev/null || echo local))
O = Portcullis development
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
  openssl req -new -x509 -key "$work/ca.key" -sha256 -days 3650 -config "$work/ca.cnf" -out "$work/ca.pem"
  mv -f "$work/ca.key" "$ca_key"
  chmod 600 "$ca_key"
  mv -f "$work/ca.pem" "$ca_pem"
  chmod 644 "$ca_pem"
  made_ca=yes
fi

server_good() {
  [ "$made_ca" = no ] && [ -s "$key" ] && [ -s "$pem" ] || return 1
  openssl x509 -in "$pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  openssl verify -CAfile "$ca_pem" "$pem" >/dev/null 2>&1 || return 1
  [ "$(openssl x509 -in "$pem" -noout -pubkey 2>/dev/null)" = "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ] || return 1
  [ "$(cat "$out/server.names" 2>/dev/null)" = "$san" ] || return 1
}

if server_good; then
  state="kept"
else
  new_key "$work/server.key"
  cat >"$work/server.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ${names[0]}
O = Portcullis development
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl req -new -key "$work/server.key" -config "$work/server.cnf" -out "$work/server.csr"
  openssl x509 -req -in "$work/server.csr" -CA "$ca_pem" -CAkey "$ca_key" -set_serial "0x$(openssl rand -hex 16)" \
    -sha256 -days "$days" -extfile "$work/server.cnf" -extensions server_ext -out "$work/server.pem" 2>/dev/null
  mv -f "$work/server.key" "$key"
  chmod 600 "$key"
  mv -f "$work/server.pem" "$pem"
  chmod 644 "$pem"
  # The names it was made for, to tell on the next run whether they changed.
  printf '%s\n' "$san" >"$out/server.names"
  chmod 644 "$out/server.names"
  state="made"
fi

cat <<EOF
Development certificates in $out ($( [ "$made_ca" = yes ] && echo "new CA" || echo "CA kept" ), server certificate $state):
  CA certificate      $ca_pem
  CA key              $ca_key
  server certificate  $pem   (valid for: ${names[*]})
  server key          $key

Trust the CA only on machines you develop on:
  node clients:   export NODE_EXTRA_CA_CERTS=$ca_pem
  the system:     sudo cp $ca_pem /usr/local/share/ca-certificates/portcullis-dev-ca.crt && sudo update-ca-certificates
  curl:           curl --cacert $ca_pem https://...
Serve Portcullis over https with server.tls: {cert: $pem, key: $key}.
Let Portcullis fetch client metadata documents from such a host with
auth.cimd.ca_file: $ca_pem (and auth.cimd.allow_hosts for loopback names).
EOF
