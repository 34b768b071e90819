#!/usr/bin/env bash
# Measures `sysfence record` on the issue's workload (a shell loop of 100
# /bin/true execs plus `tar -C /usr -cf - share/doc | wc -c`), side by side
# in one run: untraced, `strace -f -c -o /dev/null`, and the CGO_ENABLED=0
# sysfence binary recording it with the ptrace backend (plain, --args,
# --errors) and the eBPF backend (plain, --args). Every iteration runs
# every variant, in rotating order; medians are reported, of wall time and
# of CPU time (user+system of the whole process tree, from the rusage of
# the reaped command). Needs root (eBPF), strace and tar.
#
# Usage: scripts/bench-record.sh [ITERATIONS]      (default 10)
#
# The variants live in cmd/sysfence's BenchmarkRecordWorkload;
# record/ebpf's BenchmarkRecordWorkload also isolates the cost of the eBPF
# programs alone (ebpf-attached).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
iters="${1:-10}"

echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test -count=1 -run '^$' -bench '^BenchmarkRecordWorkload$' -benchtime "${iters}x" ./cmd/sysfence/)
line=$(grep '^BenchmarkRecordWorkload' <<<"$out" || { echo "$out" >&2; exit 1; })

# The line holds "value unit" pairs; print them as a table.
awk -v iters="$iters" '
{
  for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
}
function cell(k, base) {
  if (!((k "/" base) in m)) return "-"
  return sprintf("%.2f", m[k "/" base])
}
function cpucell(k, base) {
  if (!((k "-cpu/" base) in m)) return "-"
  return sprintf("%.2f", m[k "-cpu/" base])
}
END {
  printf "%d iterations, medians; CPU = user+system time of the whole tree\n\n", iters
  printf "| %-14s | %9s | %10s | %9s | %8s | %10s | %9s |\n", "variant", "wall ms", "x untraced", "x strace", "CPU ms", "x untraced", "x strace"
  printf "|%s|%s|%s|%s|%s|%s|%s|\n", "----------------", "-----------", "------------", "-----------", "----------", "------------", "-----------"
  n = split("none strace ptrace ptrace-args ptrace-errors ebpf ebpf-args", v, " ")
  for (j = 1; j <= n; j++) {
    k = v[j]
    if (!((k "-ms") in m)) continue
    r = (k == "none") ? "1.00" : cell(k, "none")
    rc = (k == "none") ? "1.00" : cpucell(k, "none")
    s = (k == "strace") ? "1.00" : cell(k, "strace")
    sc = (k == "strace") ? "1.00" : cpucell(k, "strace")
    printf "| %-14s | %9.1f | %10s | %9s | %8.1f | %10s | %9s |\n", k, m[k "-ms"], r, s, m[k "-cpu-ms"], rc, sc
  }
  printf "\ngoals: ptrace at most 0.6x strace, ebpf at most 1.10x untraced\n"
  printf "distinct syscalls in the recorded profile: ptrace %d, ebpf %d; Docker'\''s default profile allows %d\n", m["ptrace-recorded-syscalls"], m["ebpf-recorded-syscalls"], m["docker-default-syscalls"]
}' <<<"$line"
