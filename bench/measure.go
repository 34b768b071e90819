package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/internal/perfcalls"
	"github.com/sysfence/sysfence/policy"
)

// Call is one realistic allowed call of an argument-checked syscall.
type Call = perfcalls.Call

// RealisticCalls are the allowed argument-checked calls whose path length
// the comparison reports (shared with the compiler's target test).
var RealisticCalls = perfcalls.ArgChecked

// Figures are one contestant's measurements for one variant of the
// profile (all ABIs, or the native one).
type Figures struct {
	Len int
	// Cached counts the syscalls of the natively run ABIs (x86_64, and
	// i386 when the filter accepts it) that the profile allows whatever
	// the arguments and the kernel's cache serves; Want is how many the
	// profile allows so. CachedWrong counts syscalls the cache would
	// allow although the profile does not allow them outright.
	Cached, Want, CachedWrong int
	// ArgAvg is the average number of instructions run for
	// RealisticCalls on x86_64 (per syscall, then over syscalls).
	ArgAvg float64
	// PerCall holds the instructions of each of RealisticCalls.
	PerCall []int
	// Denied* describe the instructions run for the x86_64 syscalls the
	// profile denies (zero arguments).
	DeniedMin, DeniedMax int
	DeniedAvg            float64
	// Disagree counts (arch, nr, args) inputs on which the program answers
	// differently from runc+Docker's semantics (policy.Decide), among
	// Checked inputs: every number of the filtered ABIs' tables up to the
	// profile's highest, with zero arguments and with RealisticCalls'
	// arguments. DisagreeExamples shows a few.
	Disagree, Checked int
	DisagreeExamples  []string
	// Median is the median of Runs timings of parse + resolve + compile.
	Median time.Duration
	Runs   int
}

// Measure runs one contestant on one variant of Docker's default profile.
// runs bounds the timing loop (it also stops after about a second).
func Measure(c Contestant, withArchMap bool, runs int) (*Figures, error) {
	body, err := DefaultJSON(withArchMap)
	if err != nil {
		return nil, err
	}
	oci, err := Resolve(body)
	if err != nil {
		return nil, err
	}
	ref, err := Policy(oci)
	if err != nil {
		return nil, err
	}
	if c.OneABI {
		ref.Arches = ref.Arches[:1]
	}
	prog, err := c.Build(oci)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	if err := bpf.Validate(prog); err != nil {
		return nil, fmt.Errorf("%s: the kernel would refuse its program: %w", c.Name, err)
	}
	f := &Figures{Len: len(prog)}
	if err := f.cache(prog, ref); err != nil {
		return nil, err
	}
	if err := f.paths(prog, ref); err != nil {
		return nil, err
	}
	if err := f.agreement(prog, ref); err != nil {
		return nil, err
	}
	f.Median, f.Runs, err = timeBuild(c, body, runs)
	return f, err
}

func (f *Figures) cache(prog bpf.Program, ref *policy.Policy) error {
	var zero [6]uint64
	for _, ap := range ref.Arches {
		if ap.Arch.Name != "x86_64" && ap.Arch.Name != "x86" {
			continue // x32 calls are never cached
		}
		for nr := uint32(0); nr <= ap.Arch.MaxNr(); nr++ {
			d := ref.Decide(ap.Arch.AuditArch, nr, &zero)
			free := d.Action == policy.ActAllow && (d.Rule == nil || d.Rule.Unconditional(ap.Arch.Is64()))
			got := bpf.CacheCheck(prog, ap.Arch.AuditArch, nr).Cached
			if free {
				f.Want++
				if got {
					f.Cached++
				}
			} else if got {
				f.CachedWrong++
			}
		}
	}
	return nil
}

func run(prog bpf.Program, arch uint32, nr uint32, args [6]uint64) (bpf.Result, error) {
	d := bpf.Data{Arch: arch, Nr: nr, Args: args}
	return bpf.Run(prog, &d, false, false)
}

func (f *Figures) paths(prog bpf.Program, ref *policy.Policy) error {
	sum, cnt := map[string]int{}, map[string]int{}
	var order []string
	for _, c := range RealisticCalls {
		nr, _ := Native.Number(c.Name)
		res, err := run(prog, Native.AuditArch, nr, c.Args)
		if err != nil {
			return err
		}
		if res.Ret != uint32(policy.ActAllow) {
			return fmt.Errorf("%s(%s) is not allowed: %v", c.Name, c.What, policy.Action(res.Ret))
		}
		if cnt[c.Name] == 0 {
			order = append(order, c.Name)
		}
		sum[c.Name] += res.Steps
		cnt[c.Name]++
		f.PerCall = append(f.PerCall, res.Steps)
	}
	for _, n := range order {
		f.ArgAvg += float64(sum[n]) / float64(cnt[n])
	}
	f.ArgAvg /= float64(len(order))

	var zero [6]uint64
	total, n := 0, 0
	f.DeniedMin = 1 << 30
	for _, sc := range Native.Syscalls() {
		if ref.Decide(Native.AuditArch, sc.Nr, &zero).Action == policy.ActAllow {
			continue
		}
		res, err := run(prog, Native.AuditArch, sc.Nr, zero)
		if err != nil {
			return err
		}
		total, n = total+res.Steps, n+1
		f.DeniedMin, f.DeniedMax = min(f.DeniedMin, res.Steps), max(f.DeniedMax, res.Steps)
	}
	f.DeniedAvg = float64(total) / float64(n)
	return nil
}

func (f *Figures) agreement(prog bpf.Program, ref *policy.Policy) error {
	argSets := [][6]uint64{{}}
	for _, c := range RealisticCalls {
		argSets = append(argSets, c.Args)
	}
	for _, ap := range ref.Arches {
		for _, sc := range ap.Arch.Syscalls() {
			if sc.Nr > ap.MaxNr {
				continue
			}
			for _, args := range argSets {
				want := ref.Decide(ap.Arch.AuditArch, sc.Nr, &args).Action
				res, err := run(prog, ap.Arch.AuditArch, sc.Nr, args)
				if err != nil {
					return err
				}
				f.Checked++
				if res.Ret != uint32(want) {
					f.Disagree++
					if len(f.DisagreeExamples) < 3 && !slices.ContainsFunc(f.DisagreeExamples, func(s string) bool {
						return strings.HasPrefix(s, ap.Arch.Name+" "+sc.Name+"(")
					}) {
						f.DisagreeExamples = append(f.DisagreeExamples, fmt.Sprintf("%s %s(%#x): %v, Docker %v",
							ap.Arch.Name, sc.Name, args[0], policy.Action(res.Ret), want))
					}
				}
			}
		}
	}
	return nil
}

// timeBuild times parse + resolve + compile from the profile's JSON.
func timeBuild(c Contestant, body string, runs int) (time.Duration, int, error) {
	build := func() error {
		if c.Pipeline != nil {
			_, err := c.Pipeline(body)
			return err
		}
		oci, err := Resolve(body)
		if err != nil {
			return err
		}
		_, err = c.Build(oci)
		return err
	}
	for range 3 { // warm up
		if err := build(); err != nil {
			return 0, 0, err
		}
	}
	var ts []time.Duration
	deadline := time.Now().Add(time.Second)
	for len(ts) < runs && (len(ts) < 11 || time.Now().Before(deadline)) {
		t0 := time.Now()
		if err := build(); err != nil {
			return 0, 0, err
		}
		ts = append(ts, time.Since(t0))
	}
	slices.Sort(ts)
	return ts[len(ts)/2], len(ts), nil
}

// Stages times sysfence's pipeline stage by stage (medians of runs):
// sysfence's parse + resolve, the OCI -> policy translation, the compiler.
func Stages(withArchMap bool, runs int) (resolve, translate, comp time.Duration, err error) {
	body, err := DefaultJSON(withArchMap)
	if err != nil {
		return 0, 0, 0, err
	}
	oci, err := Resolve(body)
	if err != nil {
		return 0, 0, 0, err
	}
	p, err := Policy(oci)
	if err != nil {
		return 0, 0, 0, err
	}
	median := func(f func()) time.Duration {
		ts := make([]time.Duration, runs)
		for i := range ts {
			t0 := time.Now()
			f()
			ts[i] = time.Since(t0)
		}
		slices.Sort(ts)
		return ts[len(ts)/2]
	}
	resolve = median(func() { SysfenceResolve(body) })
	translate = median(func() { Policy(oci) })
	comp = median(func() { compile.Compile(p, compile.Options{}) })
	return resolve, translate, comp, nil
}

// CompileOnly returns sysfence's policy for the profile, for benchmarks
// of the compiler alone.
func CompileOnly(withArchMap bool) (*policy.Policy, error) {
	body, err := DefaultJSON(withArchMap)
	if err != nil {
		return nil, err
	}
	oci, err := Resolve(body)
	if err != nil {
		return nil, err
	}
	return Policy(oci)
}
