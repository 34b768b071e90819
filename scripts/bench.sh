#!/usr/bin/env bash
# Compares sysfence's compiler with libseccomp, gVisor's pkg/seccomp and
# elastic/go-seccomp-bpf on Docker's default profile, side by side in one
# run, and prints docs/performance.md's markdown table (bench/, its own Go module).
#
#   scripts/bench.sh              # the table
#   scripts/bench.sh -runs 1001   # more timing runs per cell
#   BENCH_GO_TEST=1 scripts/bench.sh   # also the go test -bench timings
set -euo pipefail
cd "$(dirname "$0")/../bench"
export PATH="$PATH:/usr/local/go/bin"

tags=()
if pkg-config --exists libseccomp 2>/dev/null; then
  tags=(-tags libseccomp)
else
  echo "bench.sh: libseccomp-dev is not installed: libseccomp is left out of the table" >&2
fi


go run "${tags[@]}" ./cmd/compare "$@"

if [ "${BENCH_GO_TEST:-}" = 1 ]; then
  echo
  go test "${tags[@]}" -run '^$' -bench . -benchmem -count 5 .
fi
