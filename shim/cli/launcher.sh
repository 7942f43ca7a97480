#!/bin/sh
# Launcher of a runwasi-node shim: `make build` installs it as the shim's binary, beside the
# bundle it runs (<this file>.cjs).
#
# containerd runs `<shim> … delete` after every container's teardown and waits for it
# (shim-protocol.md §3.7). When nothing is left to clean up — the usual case, since the task's
# Delete already unmounted the rootfs — the answer is a constant DeleteResponse, so it is given
# here rather than after a ~40 ms Node start. Anything else runs the bundle.
set -u
self=$0
[ -L "$self" ] && self=$(readlink -f -- "$self")
bundle_js="$self.cjs"
run_node() { exec node "$bundle_js" "$@"; }

# Go flag syntax, as containerd passes it: value flags are skipped with their values, so an id
# such as "delete" is never taken for the action.
action=serve bundle=$PWD expect=
for arg in "$@"; do
  if [ -n "$expect" ]; then
    [ "$expect" = bundle ] && bundle=$arg
    expect=
    continue
  fi
  case $arg in
    -bundle=* | --bundle=*) bundle=${arg#*=} ;;
    -bundle | --bundle) expect=bundle ;;
    -namespace | --namespace | -id | --id | -address | --address | -publish-binary | \
      --publish-binary | -socket | --socket) expect=value ;;
    -*) ;;
    *) action=$arg ;;
  esac
done
[ "$action" = delete ] || run_node "$@"

# The fast path only when certain: a plain bundle path, the default root ("rootfs"), and
# nothing mounted there; mountinfo escapes unusual characters, so those go to the full path.
case $bundle in *[!A-Za-z0-9/._-]*) run_node "$@" ;; esac
if [ -e "$bundle/config.json" ] && ! grep -q '"root":{"path":"rootfs"' "$bundle/config.json"; then
  run_node "$@"
fi
if grep -q " $bundle/rootfs " /proc/self/mountinfo; then run_node "$@"; fi

# DeleteResponse{exit_status: 137, exited_at: now} in protobuf, byte by byte; 137 is what runc
# and runwasi report for a container whose shim is gone. Shell arithmetic only, no subshells:
# each fork costs about a millisecond.
bytes=0 out=
put() { # one byte, as a printf octal escape
  out="$out\\$(($1 / 64))$(($1 / 8 % 8))$(($1 % 8))"
  bytes=$((bytes + 1))
}
put_varint() {
  n=$1
  while [ "$n" -ge 128 ]; do
    put $(((n & 127) | 128))
    n=$((n >> 7))
  done
  put "$n"
}
now=$(date +%s.%N)
seconds=${now%.*} nanos=${now#*.}
nanos=$((1$nanos - 1000000000))
put 8 && put_varint "$seconds"
[ "$nanos" -gt 0 ] && put 16 && put_varint "$nanos"
timestamp=$out timestamp_bytes=$bytes out=
put 16 && put_varint 137 && put 26 && put_varint "$timestamp_bytes"
printf "$out$timestamp"
