#!/usr/bin/env bash
# Installs the Debian packages the local federation needs: containerd and runc
# for the real node, CNI plugins for its pods, busybox for the tool image,
# iproute2/iptables for the node's network namespace, ipset and runit for the
# calico-node image (Felix's ipsets; Calico's start_runit). Idempotent; needs root.
set -euo pipefail
pkgs=(containerd runc containernetworking-plugins busybox-static iproute2 iptables
      procps psmisc ca-certificates util-linux conntrack ipset runit)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then echo "system packages: all present" >&2; exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "system packages missing (${missing[*]}); run this script as root, or skip the real node" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
