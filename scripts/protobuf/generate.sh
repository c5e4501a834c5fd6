#!/usr/bin/env bash
# Regenerates plugin/codec/protobuf/gen/ from plugin/codec/protobuf/envelope.proto with protoc
# (Debian: protobuf-compiler) and protoc-gen-es (a dev dependency). The output is committed:
# run this only after changing the .proto file.
set -euo pipefail
cd "$(dirname "$0")/../.."
protoc --plugin=protoc-gen-es=node_modules/.bin/protoc-gen-es \
  --es_out=plugin/codec/protobuf/gen --es_opt=target=ts,import_extension=js \
  --proto_path=plugin/codec/protobuf envelope.proto
