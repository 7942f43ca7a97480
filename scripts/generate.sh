#!/usr/bin/env bash
# Regenerates the protobuf code: api/proto -> api/gen and ttrpc/proto -> ttrpc/gen, with buf and
# the local ts-proto plugin (buf.gen.yaml; works offline). The two modules are generated apart so
# that ttrpc/ never imports api/. The CRI test client's subset of the Kubernetes CRI API,
# test/cri/proto -> test/cri/gen, has its own template (gRPC clients instead of ttrpc), and so has
# the stress driver's subset of containerd's own API, test/containerd-api/proto -> gen.
#
# usage: scripts/generate.sh [OUTPUT_ROOT]   (default: the repository; check-generated.sh passes a
#                                             temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
out_root=${1:-.}
buf=node_modules/.bin/buf
for layer in api ttrpc; do
  # buf.gen.yaml says "clean: true": the old gen/ tree goes, so deleted messages leave no files.
  "$buf" generate "$layer/proto" --template buf.gen.yaml --output "$out_root/$layer"
done
"$buf" generate test/cri/proto --template test/cri/buf.gen.yaml --output "$out_root/test/cri"
"$buf" generate test/containerd-api/proto --template test/containerd-api/buf.gen.yaml \
  --output "$out_root/test/containerd-api"
