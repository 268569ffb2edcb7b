#!/usr/bin/env bash
# Writes a throw-away PKI for TLS tests into DIR with openssl (package openssl): a CA, a server
# certificate for localhost and 127.0.0.1, a worker client certificate signed by the CA, and a
# "rogue" CA with a client certificate of its own (which a server must refuse). EC P-256 keys:
# quick to make. Usage: make_test_pki.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
command -v openssl >/dev/null || { echo "openssl not installed (scripts/bootstrap.sh installs it)" >&2; exit 1; }
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ca() {  # ca NAME CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -days 2 -subj "/CN=$2" -out "$1.pem" 2>/dev/null
}
leaf() {  # leaf NAME CA CN EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$4" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca bitsearch-test-ca
leaf server ca localhost "subjectAltName=DNS:localhost,IP:127.0.0.1"
leaf worker ca worker-1 "extendedKeyUsage=clientAuth"
ca rogue-ca rogue-ca
leaf rogue rogue-ca rogue-worker "extendedKeyUsage=clientAuth"
