#!/usr/bin/env bash
# Measures the syscall recorders on the issue's workload (a shell loop of
# 100 /bin/true execs plus `tar -C /usr -cf - share/doc | wc -c`), side by
# side in one run: untraced, eBPF-recorded (end to end, with --args, and
# the tracing alone), and `strace -f -c -o /dev/null`. Every iteration runs
# every variant, in rotating order; medians are reported. Needs root,
# strace and tar. Usage: scripts/bench-record.sh [ITERATIONS]
#
# The variants live in record/ebpf's BenchmarkRecordWorkload; a new
# backend (ptrace, round two) adds a variant there and a row here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
iters="${1:-10}"

echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test -count=1 -run '^$' -bench '^BenchmarkRecordWorkload$' -benchtime "${iters}x" ./record/ebpf/)
line=$(grep '^BenchmarkRecordWorkload' <<<"$out" || { echo "$out" >&2; exit 1; })

# The line holds "value unit" pairs; print them as a table.
awk -v iters="$iters" '
{
  for (i = 3; i < NF; i += 2) m[$(i+1)] = $i
}
END {
  printf "%d iterations, medians; CPU = workload and launcher (rusage of the\n", iters
  printf "reaped tree) plus the recorder process set-up and reading\n\n"
  printf "| %-14s | %9s | %10s | %8s | %10s |\n", "variant", "wall ms", "x untraced", "CPU ms", "x untraced"
  printf "|%s|%s|%s|%s|%s|\n", "----------------", "-----------", "------------", "----------", "------------"
  n = split("none ebpf ebpf-args ebpf-attached strace", v, " ")
  for (j = 1; j <= n; j++) {
    k = v[j]
    if (!((k "-ms") in m)) continue
    r = (k == "none") ? "1.00" : sprintf("%.2f", m[k "/none"])
    rc = (k == "none") ? "1.00" : sprintf("%.2f", m[k "-cpu/none"])
    printf "| %-14s | %9.1f | %10s | %8.1f | %10s |\n", k, m[k "-ms"], r, m[k "-cpu-ms"], rc
  }
  printf "\ndistinct syscalls recorded: %d (Docker default profile allows %d)\n", m["recorded-syscalls"], m["docker-default-syscalls"]
}' <<<"$line"
