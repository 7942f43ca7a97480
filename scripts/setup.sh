#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian 12 machine (run as root), and
# nothing that is already there. Every install step of the project lives here.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  containerd runc                 # the real containerd 1.6.20 the tests drive, runc as the baseline
  clang lld wasi-libc libclang-rt-14-dev-wasm32   # C -> wasm32-wasi for the demo and test programs
  gcc libc6-dev                   # the shims' native launcher (shim/cli/launcher.c)
  busybox-static                  # the runc baseline image (benchmarks) is built from it

)
missing=()
for p in "${debian_packages[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exactly as locked; skipped when node_modules already matches the lock file.
if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s package-lock.json node_modules/.setup-lock; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.setup-lock
fi
