#!/bin/sh
# Installs the runwasi-node shims (and, unless the host has its own, node) onto a Kubernetes node:
# the init container of deploy/node-installer.yaml runs it with the host's root mounted at /host.
# POSIX sh, so it runs in a busybox image as well as on the host itself.
#
#   usage: install.sh [SOURCE [HOST_ROOT]]
#     SOURCE     the build's dist/ directory (bin/, package.json), plus an optional `node`
#                binary beside them              (default /opt/runwasi-node)
#     HOST_ROOT  where the host's / is mounted    (default /host)
#
# Layout on the host, the same as `make install`'s but versioned:
#   /usr/local/lib/runwasi-node/<version>/bin/…   the launchers, bundles and worker files
#   /usr/local/bin/containerd-shim-v8-v1 -> ../lib/runwasi-node/<version>/bin/…
#                                                one relative symlink per program, on containerd's
#                                                PATH (relative, so it resolves from inside the
#                                                installer's container and on the host alike)
# <version> is a digest of the files, so reinstalling the same build changes nothing. A new build
# goes into a new directory and the symlinks are switched with rename(2): a shim that is running
# keeps loading its worker files from the directory it started from (its launcher resolves its
# own symlink), and a container that starts during the switch gets the old build or the new one,
# never a mix. Old versions are left in place for the shims still using them.
#
# Needs no containerd restart for the binaries: containerd looks the shim up on PATH at every
# container start. The CRI runtime handler in containerd's config does need one (deploy/README.md).
set -eu

src=${1:-/opt/runwasi-node}
host=${2:-/host}
programs="containerd-shim-v8-v1 containerd-shim-v8d-v1 containerd-v8d runwasi"

[ -x "$src/bin/containerd-shim-v8-v1" ] || {
  echo "install.sh: $src/bin/containerd-shim-v8-v1 is missing: SOURCE must be a build's dist/" >&2
  exit 1
}

version=$(cd "$src" && find bin package.json -type f | LC_ALL=C sort | xargs sha256sum | sha256sum)
version=${version%% *}
version=$(printf %.12s "$version")
lib=/usr/local/lib/runwasi-node
target=$lib/$version
# How /usr/local/bin reaches $target.
rel=../lib/runwasi-node/$version

mkdir -p "$host$lib" "$host/usr/local/bin"
if [ ! -d "$host$target" ]; then
  # Copy to a temporary name first: a half-copied version directory is never linked to.
  rm -rf "$host$target.partial"
  mkdir "$host$target.partial"
  cp -R "$src/bin" "$src/package.json" "$host$target.partial/"
  mv "$host$target.partial" "$host$target"
fi

# link NAME TARGET: points /usr/local/bin/NAME at TARGET (relative to it), atomically.
link() {
  ln -sfn "$2" "$host/usr/local/bin/.$1.new"
  mv -f "$host/usr/local/bin/.$1.new" "$host/usr/local/bin/$1"
}

for p in $programs; do
  if [ -e "$host$target/bin/$p" ]; then link "$p" "$rel/bin/$p"; fi
done

# node: the shims' launchers run `node` from containerd's PATH. A node the host already has
# (anything but a link into our directory) is left alone; otherwise the one shipped beside dist/
# is installed and linked. It must suit the host's C library (nodejs.org builds need glibc 2.28+)
# and be Node 20 or newer.
host_node=
for dir in /usr/local/bin /usr/bin /bin; do
  f=$host$dir/node
  [ -e "$f" ] || [ -L "$f" ] || continue
  case $(readlink "$f" 2>/dev/null || true) in
    ../lib/runwasi-node/* | "$lib"/*) ;;
    *) host_node=$dir/node && break ;;
  esac
done
if [ -n "$host_node" ]; then
  echo "install.sh: using the host's own $host_node"
elif [ -f "$src/node" ]; then
  [ -x "$host$target/node" ] || cp "$src/node" "$host$target/node"
  link node "$rel/node"
else
  echo "install.sh: no node on the host and none in $src: the shims cannot start" >&2
  exit 1
fi

echo "install.sh: runwasi-node $version installed under $lib; programs linked in /usr/local/bin"
