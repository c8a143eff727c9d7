#!/usr/bin/env bash
# Builds the pinned Kubernetes, etcd and KWOK binaries from the Go module proxy
# into a per-version cache outside the repository, and prints that folder.
#
# Skips the build when:
#   - KUBEBUILDER_ASSETS points at a folder that already holds every binary
#     (envtest's convention, for users who bring their own), or
#   - the cache folder already holds every binary.
# Only missing binaries are built. Progress goes to stderr; stdout is the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/versions.env"

binaries=(etcd kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubectl kubelet kwok crictl)

has_all() {
  local dir=$1 b
  for b in "${binaries[@]}"; do [[ -x "$dir/$b" ]] || return 1; done
}

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  if has_all "$KUBEBUILDER_ASSETS"; then
    echo "using binaries from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS" >&2
    echo "$KUBEBUILDER_ASSETS"; exit 0
  fi
  echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks some of: ${binaries[*]}; building into the cache instead" >&2
fi

cache_root="${FEDFEAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fedfeat}"
out="$cache_root/kube-binaries/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_crictl-${CRI_TOOLS_VERSION}"
mkdir -p "$out"
if has_all "$out"; then
  echo "binaries cached in $out" >&2
  echo "$out"; exit 0
fi

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
# Two parallel compiles fit 2 cores; more only costs memory.
export GOMAXPROCS="${GOMAXPROCS:-$(nproc)}"

major=${K8S_VERSION#v}; major=${major%%.*}
minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=${K8S_VERSION} -X $pkg.gitMajor=${major} -X $pkg.gitMinor=${minor}"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build() { # build MODULE_DIR NAME PACKAGE [LDFLAGS]
  local dir=$1 name=$2 pkg=$3 flags=${4:-}
  [[ -x "$out/$name" ]] && { echo "  $name: cached" >&2; return; }
  local start=$SECONDS
  echo "  $name: building $pkg ..." >&2
  (cd "$dir" && go build -trimpath -ldflags "-s -w $flags" -o "$out/.$name.tmp" "$pkg")
  mv "$out/.$name.tmp" "$out/$name" # atomic: a half-built binary is never cached
  echo "  $name: done in $((SECONDS - start))s" >&2
}

echo "building Kubernetes ${K8S_VERSION}, etcd ${ETCD_VERSION}, KWOK ${KWOK_VERSION}, crictl ${CRI_TOOLS_VERSION} into $out" >&2
total=$SECONDS
build "$here/etcd" etcd go.etcd.io/etcd/server/v3
build "$here/kwok" kwok sigs.k8s.io/kwok/cmd/kwok
build "$here/cri-tools" crictl sigs.k8s.io/cri-tools/cmd/crictl
for c in kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubectl kubelet; do
  build "$here/kubernetes" "$c" "k8s.io/kubernetes/cmd/$c" "$ldflags"
done
echo "all binaries ready in $((SECONDS - total))s" >&2
echo "$out"
