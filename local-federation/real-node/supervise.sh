#!/bin/sh
# Runs a command and starts it again whenever it exits, like systemd's
# Restart=always: the real node's "restart method" for its kubelet (the
# kubelet tactic's agent sends the kubelet SIGTERM; this brings it back with
# the new configuration). SIGTERM to this script stops both for good.
child=
trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi; exit 0' TERM INT
while :; do
  "$@" &
  child=$!
  wait "$child"
  echo "supervise: $1 exited with status $?; starting it again in 1s" >&2
  sleep 1
done
