#!/usr/bin/env bash
# Fails when the committed generated code (api/gen, ttrpc/gen, test/cri/gen, test/containerd-api/gen) differs from what the
# .proto files produce now. Generates into a temporary directory and compares, so the tree is never
# touched.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash scripts/generate.sh "$tmp"
status=0
for layer in api ttrpc test/cri test/containerd-api; do
  if ! diff -r -u "$layer/gen" "$tmp/$layer/gen" >"$tmp/${layer//\//-}.diff" 2>&1; then
    echo "check-generated: $layer/gen is stale: it differs from a fresh generation from $layer/proto." >&2
    echo "check-generated: run 'make generate' and commit the result. Differences:" >&2
    head -n 40 "$tmp/${layer//\//-}.diff" >&2
    status=1
  fi
done
exit "$status"
