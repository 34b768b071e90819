package bpf

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/syscalls"
)

// The emulator is cross-checked against libseccomp's scmp_bpf_sim on the
// libseccomp-generated programs of testdata. Debian does not package
// scmp_bpf_sim (the seccomp package ships only scmp_sys_resolver), so its
// answers are kept in testdata/NAME.sim and checked on every run; with the
// tool on PATH (built from libseccomp's tools/), -update-sim rewrites the
// files and every run also compares a sample live.
var updateSim = flag.Bool("update-sim", false, "rewrite testdata/*.sim by running scmp_bpf_sim")

// simCase is one syscall to simulate.
type simCase struct {
	abi  *syscalls.Arch
	nr   uint32
	args [6]uint64
}

func (c simCase) data() Data { return Data{Nr: c.nr, Arch: c.abi.AuditArch, Args: c.args} }

func (c simCase) String() string {
	s := fmt.Sprintf("%s %#x", c.abi.Name, c.nr)
	for _, a := range c.args {
		s += fmt.Sprintf(" %#x", a)
	}
	return s
}

// simArgValues are argument values around the constants of the test
// programs, including 64-bit edges.
var simArgValues = []uint64{0, 1, 2, 3, 8, 16, 64, 0x80000, 0x80001, 0x7e020000, 0x10000,
	0xffffffff, 0x100000000, 0x100000004, 0x100000005, 0xffffffffffffffff}

// simCases picks inputs for a program: on every ABI its host kernel runs,
// every number the program compares A with (and its neighbours), with
// zero arguments; and for the syscalls whose path reads an argument, each
// of the first three arguments set to each of simArgValues.
func simCases(g goldenProgram) []simCase {
	nrs := map[uint32]bool{0: true, 0xffffffff: true}
	for _, ins := range g.prog {
		if isCondJump(ins.Op) && ins.Op&SrcX == 0 {
			nrs[ins.K], nrs[ins.K+1], nrs[ins.K-1] = true, true, true
		}
	}
	sorted := make([]uint32, 0, len(nrs))
	for nr := range nrs {
		sorted = append(sorted, nr)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var out []simCase
	for _, abi := range CacheABIs(g.arch) {
		for _, nr := range sorted {
			c := simCase{abi: abi.Arch, nr: nr}
			out = append(out, c)
			d := c.data()
			res, err := Run(g.prog, &d, abi.Arch.BigEndian, true)
			if err != nil || !readsArgs(g.prog, res.Trace) {
				continue
			}
			for arg := 0; arg < 3; arg++ {
				for _, v := range simArgValues[1:] {
					c := simCase{abi: abi.Arch, nr: nr}
					c.args[arg] = v
					out = append(out, c)
				}
			}
		}
	}
	return out
}

func readsArgs(p Program, trace []int) bool {
	for _, pc := range trace {
		if p[pc].Op == opLdAbs && p[pc].K >= OffArgs {
			return true
		}
	}
	return false
}

// runSim asks scmp_bpf_sim.
func runSim(t *testing.T, sim, file string, c simCase) string {
	t.Helper()
	args := []string{"-f", file, "-a", c.abi.Name, "-s", strconv.FormatUint(uint64(c.nr), 10)}
	for i, a := range c.args {
		args = append(args, "-"+strconv.Itoa(i), strconv.FormatUint(a, 10))
	}
	out, err := exec.Command(sim, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("scmp_bpf_sim %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestRunMatchesScmpBpfSim(t *testing.T) {
	sim, _ := exec.LookPath("scmp_bpf_sim")
	if *updateSim && sim == "" {
		t.Fatal("-update-sim needs scmp_bpf_sim on PATH (build it from libseccomp's tools/)")
	}
	for _, g := range goldenPrograms(t) {
		t.Run("prog="+g.name, func(t *testing.T) {
			bpfFile := filepath.Join("testdata", g.name+".bpf")
			simFile := filepath.Join("testdata", g.name+".sim")
			if *updateSim {
				var b strings.Builder
				b.WriteString("# scmp_bpf_sim's answers for " + g.name + ".bpf: ABI nr args[0..5] action.\n")
				b.WriteString("# go test ./bpf -run TestRunMatchesScmpBpfSim -update-sim rewrites this file.\n")
				for _, c := range simCases(g) {
					fmt.Fprintf(&b, "%s %s\n", c, runSim(t, sim, bpfFile, c))
				}
				if err := os.WriteFile(simFile, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(simFile)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			n, line := 0, 0
			for sc.Scan() {
				line++
				fields := strings.Fields(sc.Text())
				if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
					continue
				}
				c, want, err := parseSimLine(fields)
				if err != nil {
					t.Fatalf("%s:%d: %v", simFile, line, err)
				}
				d := c.data()
				res, err := Run(g.prog, &d, c.abi.BigEndian, false)
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if got := Action(res.Ret).String(); got != want {
					t.Errorf("%s:%d: %s: Run = %s, scmp_bpf_sim = %s", simFile, line, c, got, want)
				}
				// A sample compared live, when the tool is there.
				if sim != "" && !*updateSim && n%37 == 0 {
					if live := runSim(t, sim, bpfFile, c); live != want {
						t.Errorf("%s: scmp_bpf_sim now says %s, %s says %s", c, live, simFile, want)
					}
				}
				n++
			}
			if n < 100 {
				t.Errorf("%s: only %d cases", simFile, n)
			}
			t.Logf("%d cases agree with scmp_bpf_sim", n)
		})
	}
}

func parseSimLine(f []string) (simCase, string, error) {
	if len(f) != 9 {
		return simCase{}, "", fmt.Errorf("want 9 fields, got %d", len(f))
	}
	abi, err := syscalls.ArchByName(f[0])
	if err != nil {
		return simCase{}, "", err
	}
	c := simCase{abi: abi}
	nr, err := strconv.ParseUint(f[1], 0, 32)
	if err != nil {
		return simCase{}, "", err
	}
	c.nr = uint32(nr)
	for i := range c.args {
		if c.args[i], err = strconv.ParseUint(f[2+i], 0, 64); err != nil {
			return simCase{}, "", err
		}
	}
	return c, f[8], nil
}
