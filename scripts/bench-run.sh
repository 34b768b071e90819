#!/usr/bin/env bash
# The two tables for `sysfence run` in docs/performance.md, measured side by side in one
# run (internal/e2e's BenchmarkStartup and BenchmarkSyscallCost: every
# iteration runs every contestant once, in rotating order; medians):
#
#  1. start-up: /bin/true plainly, under `sysfence run` (the shipped
#     binary, CGO_ENABLED=0) quiet (in place, and on the exec-stop path
#     with a filter that denies execve) and reporting, and under
#     `bwrap --ro-bind / / --seccomp FD` with the same filter;
#  2. per-call cost under Docker's default profile compiled by libseccomp
#     (as runc installs it) and by sysfence, for a cached call, an
#     argument-checked one and a denied one.
#
# Needs Linux x86_64, cc with static glibc, bubblewrap, and for the
# libseccomp column libseccomp-dev (cgo, build tag libseccomp).
# Usage: scripts/bench-run.sh [STARTUP_ITERATIONS [SYSCALL_ITERATIONS]]
# (SYSCALL_ITERATIONS 0 prints the start-up table alone).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
startup_iters="${1:-300}"
syscall_iters="${2:-15}"

tags=()
if pkg-config --exists libseccomp 2>/dev/null; then
  tags=(-tags libseccomp)
else
  echo "bench-run.sh: libseccomp-dev is not installed: the libseccomp column is left out" >&2
fi

echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test "${tags[@]}" -count=1 -run '^$' -bench '^BenchmarkStartup$' -benchtime "${startup_iters}x" ./internal/e2e/)
startup=$(grep '^BenchmarkStartup' <<<"$out" || { echo "$out" >&2; exit 1; })
if [ "$syscall_iters" -gt 0 ]; then
  out=$(go test "${tags[@]}" -count=1 -run '^$' -bench '^BenchmarkSyscallCost$' -benchtime "${syscall_iters}x" ./internal/e2e/)
  cost=$(grep '^BenchmarkSyscallCost/' <<<"$out" || { echo "$out" >&2; exit 1; })
fi

echo
awk -v iters="$startup_iters" '
{ for (i = 3; i < NF; i += 2) m[$(i+1)] = $i }
END {
  printf "Start-up, median of %d runs each, interleaved (ms)\n\n", iters
  printf "| %-62s | %6s | %17s |\n", "command", "ms", "added to /bin/true"
  printf "|%s|%s|%s|\n", "----------------------------------------------------------------", "--------", "-------------------"
  row("/bin/true", "true")
  row("a Go program that does nothing (CGO_ENABLED=0)", "gohello")
  row("sysfence syscalls read (start and exit, no work)", "sysfence-nothing")
  row("bwrap --ro-bind / / --seccomp FD /bin/true", "bwrap")
  row("sysfence run --quiet -- /bin/true", "sysfence-quiet")
  row("sysfence run -- /bin/true (reporting)", "sysfence-report")
  row("sysfence run --quiet --filter docker-default.bpf -- /bin/true", "sysfence-quiet-filter")
  row("sysfence run --quiet --filter no-execve.bpf -- /bin/true (exec stop)", "sysfence-quiet-exec-stop")
  b = m["bwrap-added-ms"]; q = m["sysfence-quiet-added-ms"]; r = m["sysfence-report-added-ms"]
  printf "\nGoal: quiet adds no more than bwrap (%.2f ms): %.2f ms, %s; reporting no more than 1.2x bwrap (%.2f ms): %.2f ms, %s\n", b, q, (q <= b ? "met" : "not met"), 1.2 * b, r, (r <= 1.2 * b ? "met" : "not met")
}
function row(label, k,   added) {
  added = (k == "true") ? "" : sprintf("%.2f", m[k "-added-ms"])
  printf "| %-62s | %6.2f | %17s |\n", label, m[k "-ms"], added
}' <<<"$startup"

[ "$syscall_iters" -gt 0 ] || exit 0
echo
awk -v iters="$syscall_iters" '
{
  split($1, p, "call="); call = p[2]; sub(/-[0-9]+$/, "", call)
  calls[++n] = call
  for (i = 3; i < NF; i += 2) m[call, $(i+1)] = $i
}
END {
  printf "Per-call cost under Docker'"'"'s default, ns per call: median over %d runs of the median batch of 1000 calls (300 batches per run)\n\n", iters
  lib = ((calls[1], "libseccomp-ns/call") in m)
  printf "| %-26s | %9s | %11s |", "call", "no filter", "floor filter"
  if (lib) printf " %16s |", "libseccomp (runc)"
  printf " %9s |", "sysfence"
  if (lib) printf " %14s |", "libseccomp adds"
  printf " %13s | %s |\n", "sysfence adds", "instructions run" (lib ? " (libseccomp / sysfence)" : "")
  printf "|----------------------------|-----------|--------------|"
  if (lib) printf "-------------------|"
  printf "-----------|"
  if (lib) printf "-----------------|"
  printf "---------------|------------------|\n"
  for (j = 1; j <= n; j++) {
    c = calls[j]
    printf "| %-26s | %9.1f | %12.1f |", label(c), m[c, "none-ns/call"], m[c, "floor-ns/call"]
    if (lib) printf " %17.1f |", m[c, "libseccomp-ns/call"]
    printf " %9.1f |", m[c, "sysfence-ns/call"]
    if (lib) printf " %15.1f |", m[c, "libseccomp-added-ns/call"]
    printf " %13.1f |", m[c, "sysfence-added-ns/call"]
    if (lib) printf " %d / %d |\n", m[c, "libseccomp-insns"], m[c, "sysfence-insns"]
    else printf " %d |\n", m[c, "sysfence-insns"]
  }
  print ""
  print "floor filter: the smallest filter that runs for the call (what entering any"
  print "seccomp filter costs). getpid is served by the kernel'"'"'s action cache under"
  print "every filter: the instructions are never run."
}
function label(c) {
  if (c == "getpid") return "getpid (cached)"
  if (c == "personality-query") return "personality(0xffffffff)"
  if (c == "denied-create_module") return "create_module (denied)"
  return c
}' <<<"$cost"
