package compile

import (
	"github.com/sysfence/sysfence/internal/perfcalls"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// nativeABIs are the ABIs this kernel runs whose syscalls the kernel's
// action cache covers (x32 numbers are never cached).
var nativeABIs = []string{"x86_64", "x86"}

// argsFree reports whether the policy allows nr on ap whatever the
// arguments: an unconditional ALLOW rule decides it.
func argsFree(p *policy.Policy, ap *policy.ArchPolicy, nr uint32) bool {
	var zero [6]uint64
	d := p.Decide(ap.Arch.AuditArch, nr, &zero)
	return d.Action == policy.ActAllow && (d.Rule == nil || d.Rule.Unconditional(ap.Arch.Is64()))
}

// checkCache asserts that every args-free allowed syscall of the native
// ABIs is cached, and that nothing else is (which would be a wrong ALLOW).
func checkCache(t *testing.T, p *policy.Policy, prog bpf.Program) (cached, want int) {
	t.Helper()
	for _, ap := range p.Arches {
		if ap.Arch.Name != "x86_64" && ap.Arch.Name != "x86" {
			continue
		}
		for nr := uint32(0); nr <= ap.Arch.MaxNr()+1; nr++ {
			free := argsFree(p, ap, nr)
			got := cacheAllowed(prog, ap.Arch.AuditArch, nr)
			if free {
				want++
			}
			if got {
				cached++
			}
			if got != free {
				name, _ := ap.Arch.SyscallName(nr)
				t.Errorf("arch=%s nr=%d (%s): cached %v, allowed whatever the arguments %v", ap.Arch.Name, nr, name, got, free)
			}
		}
	}
	return cached, want
}

// checkAll compares filter and Decide for every number of every listed
// ABI (and around the special numbers), with argument values taken from
// the policy's conditions.
func checkAll(t *testing.T, p *policy.Policy, prog bpf.Program) int {
	t.Helper()
	var vals []uint64
	seen := map[uint64]bool{}
	for _, ap := range p.Arches {
		for _, r := range ap.Rules {
			for _, c := range r.Conds {
				for _, v := range edgeValues(c.Value) {
					if !seen[v] {
						seen[v] = true
						vals = append(vals, v)
					}
				}
				if m := c.Mask; m != 0 && !seen[m] {
					seen[m] = true
					vals = append(vals, m, m|c.Value, c.Value&m|0x3d0f00)
				}
			}
		}
	}
	n := 0
	for _, ap := range p.Arches {
		top := ap.Arch.MaxNr() + 2
		nrs := []uint32{0xffffffff, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000}
		for nr := ap.Arch.NrBase; nr <= top; nr++ {
			nrs = append(nrs, nr)
		}
		for _, nr := range nrs {
			for i, v := range vals {
				d := bpf.Data{Arch: ap.Arch.AuditArch, Nr: nr}
				d.Args[0] = v
				d.Args[1] = vals[(i*7)%len(vals)]
				n++
				if !agree(t, p, prog, &d) {
					t.FailNow()
				}
			}
		}
	}
	return n
}

// pathLengths returns the average instructions executed per syscall for
// perfcalls.ArgChecked (averaged per syscall, then over syscalls) on x86_64.
func pathLengths(t testing.TB, p *policy.Policy, prog bpf.Program, log bool) float64 {
	x64, _ := syscalls.ArchByName("x86_64")
	sum := map[string]int{}
	cnt := map[string]int{}
	var order []string
	for _, c := range perfcalls.ArgChecked {
		n, _ := x64.Number(c.Name)
		d := bpf.Data{Arch: x64.AuditArch, Nr: n, Args: c.Args}
		res := run(t, prog, &d)
		if res.Ret != uint32(policy.ActAllow) {
			t.Fatalf("%s(%s) is not allowed: %v", c.Name, c.What, policy.Action(res.Ret))
		}
		if cnt[c.Name] == 0 {
			order = append(order, c.Name)
		}
		sum[c.Name] += res.Steps
		cnt[c.Name]++
		if log {
			t.Logf("  %s(%s): %d instructions", c.Name, c.What, res.Steps)
		}
	}
	total := 0.0
	for _, name := range order {
		total += float64(sum[name]) / float64(cnt[name])
	}
	return total / float64(len(order))
}

// deniedLengths reports min/avg/max instructions run for the x86_64
// syscalls the policy denies.
func deniedLengths(t testing.TB, p *policy.Policy, prog bpf.Program) (lo int, avg float64, hi int, n int) {
	x64, _ := syscalls.ArchByName("x86_64")
	lo = 1 << 30
	var zero [6]uint64
	sum := 0
	for _, sc := range x64.Syscalls() {
		if p.Decide(x64.AuditArch, sc.Nr, &zero).Action == policy.ActAllow {
			continue
		}
		d := bpf.Data{Arch: x64.AuditArch, Nr: sc.Nr}
		s := run(t, prog, &d).Steps
		lo, hi, sum, n = min(lo, s), max(hi, s), sum+s, n+1
	}
	return lo, float64(sum) / float64(n), hi, n
}

func TestDockerDefault(t *testing.T) {
	for _, tc := range []struct {
		name      string
		all       bool
		maxLen    int
		maxArgAvg float64
	}{
		{"arches=x86_64+x86+x32", true, 400, 10},
		{"arches=x86_64", false, 180, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerDefault(t, tc.all)
			prog := mustCompile(t, p).Filter
			n := checkAll(t, p, prog)
			cached, want := checkCache(t, p, prog)
			avg := pathLengths(t, p, prog, true)
			dlo, davg, dhi, dn := deniedLengths(t, p, prog)
			t.Logf("%d instructions; %d inputs agree with Decide; %d/%d args-free allowed syscalls cached; "+
				"argument-checked allowed calls avg %.2f instructions; %d denied x86_64 syscalls: min %d avg %.1f max %d",
				len(prog), n, cached, want, avg, dn, dlo, davg, dhi)
			if len(prog) > tc.maxLen {
				t.Errorf("%d instructions, want at most %d", len(prog), tc.maxLen)
			}
			if avg > tc.maxArgAvg {
				t.Errorf("argument-checked calls take %.2f instructions on average, want at most %v", avg, tc.maxArgAvg)
			}
			if want < 300 {
				t.Errorf("only %d args-free allowed syscalls: the profile did not resolve", want)
			}
		})
	}
}
