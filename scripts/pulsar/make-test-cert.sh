#!/usr/bin/env bash
# Makes a throwaway CA and a server certificate for 127.0.0.1 and localhost, for
# TLS tests against a local broker:
#   make-test-cert.sh <outdir>  ->  ca.crt ca.key server.crt server.key
# server.key is PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form Pulsar's TLS loader reads.
# Start a TLS broker with:
#   PULSAR_TLS_CERT_FILE=<outdir>/server.crt PULSAR_TLS_KEY_FILE=<outdir>/server.key \
#   PULSAR_TLS_TRUST_FILE=<outdir>/ca.crt scripts/pulsar/start.sh
set -euo pipefail
out="${1:?usage: make-test-cert.sh <outdir>}"
mkdir -p "$out"
cd "$out"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=fastify-outbox test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key 2>/dev/null
openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 825 \
  -extfile server.ext -out server.crt 2>/dev/null
rm -f server.csr server.ext ca.srl
chmod 600 ca.key server.key
echo "wrote $(pwd)/{ca.crt,ca.key,server.crt,server.key}"
