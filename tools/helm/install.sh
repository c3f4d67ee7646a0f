#!/usr/bin/env bash
# Installs the pinned helm and kustomize CLIs into ~/.cache/flowgate/bin (FLOWGATE_CACHE_DIR),
# built from source with `go install` (the Go module proxy is reachable from every machine this
# project runs on, release download sites are not), and builds kube-strict (tools/helm/kube-strict)
# beside them. A binary that is already there at the pinned
# version is kept, so only the first run pays for the build (a few minutes on 2 cores).
#
#   tools/helm/install.sh          # prints the bin directory on stdout, progress on stderr
#   PATH="$(tools/helm/install.sh):$PATH" helm version
set -euo pipefail

HELM_VERSION=v3.22.0
# v5.8.3 needs Go 1.27; v5.8.2 is the newest that builds with Go 1.26 (helm v3.22.0 needs 1.26).
KUSTOMIZE_VERSION=v5.8.2

log() { echo "tools/helm: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH: helm $HELM_VERSION and kustomize $KUSTOMIZE_VERSION are built with 'go install'" \
    "(Go 1.26+, https://go.dev/doc/install), then run this script again"
  exit 1
fi

cache_dir="${FLOWGATE_CACHE_DIR:-$HOME/.cache/flowgate}"
bin_dir="$cache_dir/bin"
mkdir -p "$bin_dir"

# The version a Go binary was built from, read from its embedded build info (not from its own
# --version output, which for helm depends on linker flags).
module_version() {
  local binary=$1 module=$2
  [[ -x "$binary" ]] || return 0
  go version -m "$binary" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }'
}

# Build into a private directory, then rename: a concurrent run (parallel jest workers) never
# sees half a binary, and the lock keeps two runs from building the same thing twice.
install_module() {
  local name=$1 module=$2 package=$3 version=$4 ldflags=${5:-}
  if [[ "$(module_version "$bin_dir/$name" "$module")" == "$version" ]]; then
    return 0
  fi
  local started=$SECONDS tmp
  log "building $name $version with go install (cached afterwards in $bin_dir)"
  tmp=$(mktemp -d "$bin_dir/.build-$name.XXXXXX")
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-trimpath go install -ldflags "-s -w $ldflags" "$package@$version" >&2; then
    rm -rf "$tmp"
    log "go install $package@$version failed"
    return 1
  fi
  mv -f "$tmp/$name" "$bin_dir/$name"
  rm -rf "$tmp"
  log "$name $version ready in $((SECONDS - started)) s"
}

# helm's Makefile stamps the version and the Kubernetes version that `helm lint` and
# `.Capabilities.KubeVersion` assume (client-go v0.N -> Kubernetes 1.N); without them helm
# reports "v3.22+unreleased" and lints against Kubernetes 1.20.
helm_ldflags() {
  local gomod minor
  gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | awk -F'"' '$2 == "GoMod" { print $4 }')
  minor=$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2] }' "$gomod")
  [[ -n "$minor" ]] || { log "cannot read the client-go version of helm $HELM_VERSION"; return 1; }
  echo "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "-X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor" \
    "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
}

exec 9>"$bin_dir/.install.lock"
flock 9

if [[ "$(module_version "$bin_dir/helm" helm.sh/helm/v3)" != "$HELM_VERSION" ]]; then
  helm_flags=$(helm_ldflags)
  install_module helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$helm_flags"
fi
install_module kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"

# kube-strict (tools/helm/kube-strict): our strict schema check for rendered manifests, rebuilt
# whenever its source changes.
strict_src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kube-strict"
strict_sum=$(cat "$strict_src/go.mod" "$strict_src/go.sum" "$strict_src"/*.go | sha256sum | cut -d' ' -f1)
if [[ ! -x "$bin_dir/kube-strict" || "$(cat "$bin_dir/.kube-strict.sha256" 2>/dev/null)" != "$strict_sum" ]]; then
  log "building kube-strict from $strict_src"
  started=$SECONDS
  CGO_ENABLED=0 go build -C "$strict_src" -trimpath -ldflags "-s -w" -o "$bin_dir/.kube-strict.new" . >&2
  mv -f "$bin_dir/.kube-strict.new" "$bin_dir/kube-strict"
  echo "$strict_sum" > "$bin_dir/.kube-strict.sha256"
  log "kube-strict ready in $((SECONDS - started)) s"
fi

echo "$bin_dir"
