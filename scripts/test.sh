#!/usr/bin/env bash
# Sets up what the tests need on a fresh Debian machine (root, Go installed)
# and runs every test. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests use: libseccomp (the reference compiler, cgo,
# tests only) and its tools, runc + busybox-static (a real OCI runtime and a
# tiny rootfs), strace (the recorder baseline), bubblewrap (start-up
# comparison), gcc (C test programs), chromium (renders explain's HTML page
# headless), musl-tools (musl builds for analyze).
pkgs=(libseccomp-dev seccomp runc busybox-static strace bubblewrap gcc libc6-dev pkg-config python3-minimal tar chromium musl-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"
# Nothing may skip here: tests that need root, a kernel feature or a
# package fail instead (see internal/testenv).
export CI="${CI:-true}"

echo "== shipped binary is pure Go"
CGO_ENABLED=0 go build -o /dev/null ./cmd/sysfence

echo "== go vet"
go vet ./...
go vet -tags libseccomp ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted" >&2; exit 1; fi

echo "== tests (with the libseccomp differential tests)"
go test -tags libseccomp -count=1 -timeout 40m ./...

echo "== comparison module (bench/): harness tests and sysfence's figures"
(cd bench && go vet -tags libseccomp ./... && go test -tags libseccomp -count=1 ./...)
