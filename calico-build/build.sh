#!/usr/bin/env bash
# Builds Calico's own binaries from its source at a pinned release tag into a
# per-version cache outside the repository, and prints the folder holding them.
#
# The source comes from a tarball of the tag: FEDFEAT_CALICO_TARBALL when set,
# else ../shared/vendor/calico-<version>.tar.gz next to the repository when that
# exists, else the tag's archive downloaded from GitHub. Its sha256 must match
# CALICO_SHA256 (FEDFEAT_CALICO_SHA256 overrides it for another archive of the
# same tag). Built with CGO_ENABLED=0: calico-node then has the iptables
# dataplane only (the BPF dataplane needs cgo and libbpf), which is the one
# fedfeat's Calico mode uses.
#
# Built: calico-node, the CNI plugin (calico; calico-ipam is the same binary
# under another name, as Calico's own cni-plugin/Makefile makes it), the CNI
# installer (install), calico-kube-controllers and its probe (check-status).
# Progress goes to stderr; stdout is the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
CALICO_VERSION="${CALICO_VERSION:-v3.28.2}"
# sha256 of `git archive --prefix=calico-v3.28.2/ v3.28.2 | gzip` of projectcalico/calico
# (commit 9a96ee39f3833c3eabde151add8a84d546bcf24d), the tarball the project vendors.
CALICO_SHA256="${FEDFEAT_CALICO_SHA256:-697f7a871e589d5073fef9871c3b96aa85c4823cee11322a35dbdc82e768aca5}"
binaries=(calico-node calico calico-ipam install kube-controllers check-status)

cache_root="${FEDFEAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fedfeat}"
base="$cache_root/calico-$CALICO_VERSION"
src="$base/src"
out="$base/bin"

has_all() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$out/$b" ]] || return 1; done
  [[ -f "$out/.sha256" && "$(cat "$out/.sha256")" == "$CALICO_SHA256" ]]
}
if has_all; then
  echo "Calico $CALICO_VERSION binaries cached in $out" >&2
  echo "$out"; exit 0
fi
mkdir -p "$base"

# The source tree, extracted once per archive (a marker names the archive's sha256).
if [[ ! -f "$src/.sha256" || "$(cat "$src/.sha256")" != "$CALICO_SHA256" ]]; then
  tarball="${FEDFEAT_CALICO_TARBALL:-}"
  if [[ -z "$tarball" ]]; then
    for candidate in "$here/../../shared/vendor/calico-$CALICO_VERSION.tar.gz" "$here/../../../shared/vendor/calico-$CALICO_VERSION.tar.gz"; do
      [[ -f "$candidate" ]] && { tarball="$candidate"; break; }
    done
  fi
  if [[ -z "$tarball" ]]; then
    tarball="$base/calico-$CALICO_VERSION.tar.gz"
    if [[ ! -f "$tarball" ]]; then
      url="https://github.com/projectcalico/calico/archive/refs/tags/$CALICO_VERSION.tar.gz"
      echo "downloading Calico $CALICO_VERSION source from $url" >&2
      curl -fsSL --retry 3 -o "$tarball.tmp" "$url"
      mv "$tarball.tmp" "$tarball"
    fi
  fi
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ "$actual" != "$CALICO_SHA256" ]]; then
    echo "Calico source $tarball has sha256 $actual, expected $CALICO_SHA256 (set FEDFEAT_CALICO_SHA256 if this is another archive of $CALICO_VERSION you trust)" >&2
    exit 1
  fi
  echo "extracting $tarball into $src" >&2
  rm -rf "$src.tmp" && mkdir -p "$src.tmp"
  # One top folder whatever its name (git archive: calico-v3.28.2/, GitHub: calico-3.28.2/).
  tar -xzf "$tarball" -C "$src.tmp" --strip-components=1
  echo "$CALICO_SHA256" > "$src.tmp/.sha256"
  rm -rf "$src" && mv "$src.tmp" "$src"
fi

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
export GOMAXPROCS="${GOMAXPROCS:-$(nproc)}"
# The version stamps Calico's Makefiles set (node/Makefile, cni-plugin/Makefile); -X on a package a binary
# does not link is ignored, so one set serves all.
m=github.com/projectcalico/calico
ldflags="-s -w -X $m/node/pkg/lifecycle/startup.VERSION=$CALICO_VERSION -X $m/node/buildinfo.GitVersion=$CALICO_VERSION"
ldflags+=" -X main.VERSION=$CALICO_VERSION -X $m/kube-controllers/pkg/version.VERSION=$CALICO_VERSION"
start=$SECONDS
echo "building Calico $CALICO_VERSION (calico-node, CNI plugin and installer, kube-controllers) into $out; several minutes on 2 cores" >&2
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
(cd "$src" && go build -ldflags "$ldflags" -o "$out.tmp/" \
  ./node/cmd/calico-node ./cni-plugin/cmd/calico ./cni-plugin/cmd/install \
  ./kube-controllers/cmd/kube-controllers ./kube-controllers/cmd/check-status)
cp "$out.tmp/calico" "$out.tmp/calico-ipam"
echo "$CALICO_SHA256" > "$out.tmp/.sha256"
rm -rf "$out" && mv "$out.tmp" "$out" # atomic: a half-built set is never cached
echo "Calico $CALICO_VERSION built in $((SECONDS - start))s" >&2
echo "$out"
