#!/usr/bin/env bash
# Writes data/syscall_args.csv, the argument count of every syscall on the
# x86 ABIs, from strace's system call tables (a checkout of
# https://github.com/strace/strace given as $1): strace prints each call
# with exactly that many arguments. Only the numbers are taken (facts, not
# code): abi,nr,name,args per line. Entries strace keeps for itself are
# left out: x32's "#64" slots (64-bit calls that are not x32 calls) and
# i386's socketcall/ipc subcalls (pseudo numbers from 500 on).
set -euo pipefail
src=${1:?usage: syscall-args.sh STRACE_CHECKOUT [COMMIT]}
commit=${2:-$(git -C "$src" rev-parse HEAD 2>/dev/null || echo unknown)}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
echo "# abi,nr,name,args: from strace's src/linux/{x86_64,x32,i386}/syscallent.h at commit $commit (scripts/syscall-args.sh)"
for pair in x86_64:x86_64 x32:x32 x86:i386; do
  abi=${pair%%:*} dir=${pair#*:}
  gcc -E -P -x c -I "$src/src/linux/$dir" -I "$src/src/linux/generic" "$src/src/linux/$dir/syscallent.h" |
    sed -n 's/^\[\([^]]*\)\] *= *{ *\([0-9]\+\),.*"\([^"]*\)" *}.*/\1|\2|\3/p' |
    while IFS='|' read -r expr nargs name; do
      nr=$((expr))
      case "$name" in *'#64') continue ;; esac
      if [ "$abi" = x86 ] && [ "$nr" -ge 500 ]; then continue; fi
      echo "$abi,$nr,$name,$nargs"
    done
done
} >"$tmp"
cat "$tmp"
# Newer than that table: the uprobe trampolines' calls, SYSCALL_DEFINE0 in
# the kernel's arch/x86/kernel/uprobes.c, common to x86_64 and x32.
echo "# not in strace's tables: from the kernel's SYSCALL_DEFINE0(uretprobe) and SYSCALL_DEFINE0(uprobe)"
for abi in x86_64 x32; do
  for call in 335,uretprobe 336,uprobe; do
    grep -q "^$abi,$call," "$tmp" || echo "$abi,$call,0"
  done
done
