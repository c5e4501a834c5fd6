#!/usr/bin/env bash
# Prints an HS256 JWT for a role, signed with a raw secret key file, the form
# Pulsar's AuthenticationProviderToken accepts with tokenSecretKey=file://...
#   make-token.sh <secret-file> <role>
# The token has no expiry. The secret must hold at least 32 bytes (HS256 minimum).
set -euo pipefail
secret="${1:?usage: make-token.sh <secret-file> <role>}"
role="${2:?usage: make-token.sh <secret-file> <role>}"
base64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
body="$(printf '{"alg":"HS256"}' | base64url).$(printf '{"sub":"%s"}' "$role" | base64url)"
key="$(od -An -v -tx1 "$secret" | tr -d ' \n')"
signature="$(printf '%s' "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64url)"
printf '%s\n' "$body.$signature"
