#!/usr/bin/env bash
# The corpus measurement of `sysfence analyze` and `record --static` (the
# docs/analyze.md's table): installs the corpus's Debian packages, builds the
# shipped binary and a static C test program, and runs
# scripts/bench_static.py. Needs root (apt-get, recording) and a minute or
# two (73 s on the 2-CPU VM of docs/analyze.md). -k NAME runs the programs whose
# name contains NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
pkgs=(coreutils findutils grep sed tar gzip xz-utils bash dash python3 perl git curl sqlite3 openssl busybox-static nodejs strace gcc libc6-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -o "$tmp/sysfence" ./cmd/sysfence
gcc -static -O2 -pthread -o "$tmp/staticprog" scripts/testdata/staticprog.c
# A cold cache: the analysis of every file is part of what is measured.
export XDG_CACHE_HOME="$tmp/cache"
echo "machine: $(nproc) CPUs, $(uname -r); $(ldd --version | head -1)"
SYSFENCE="$tmp/sysfence" STATICPROG="$tmp/staticprog" python3 scripts/bench_static.py "$@"
