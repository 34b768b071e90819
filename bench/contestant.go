package bench

import (
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
)

// Contestant is one compiler in the comparison.
type Contestant struct {
	Name string
	// OneABI is set for compilers that only filter the native ABI; they
	// take part in the single-ABI figures only.
	OneABI bool
	// Build compiles a resolved profile (all of its architectures, or the
	// native one for OneABI contestants) into a program.
	Build func(oci *specs.LinuxSeccomp) (bpf.Program, error)
	// Pipeline, when set, is the contestant's own way from the profile's
	// JSON text to a program (its own parser and resolver), timed instead
	// of moby's parse + resolve followed by Build.
	Pipeline func(body string) (bpf.Program, error)
	// Notes says what had to be approximated to feed it the profile;
	// More adds notes that depend on the profile (e.g. syscalls the
	// contestant does not know).
	Notes []string
	More  func(oci *specs.LinuxSeccomp) []string

	order int
}

var contestants []Contestant

// register adds a contestant; order places it in the table.
func register(c Contestant, order int) {
	c.order = order
	contestants = append(contestants, c)
	slices.SortStableFunc(contestants, func(a, b Contestant) int { return a.order - b.order })
}

// Contestants returns the compilers built into this binary, sysfence
// first. libseccomp is among them only with the build tag libseccomp.
func Contestants() []Contestant { return contestants }

func init() {
	register(Contestant{
		Name: "sysfence",
		Build: func(oci *specs.LinuxSeccomp) (bpf.Program, error) {
			p, err := Policy(oci)
			if err != nil {
				return nil, err
			}
			prog, err := compile.Compile(p, compile.Options{})
			if err != nil {
				return nil, err
			}
			return prog.Filter, nil
		},
		Pipeline: SysfencePipeline,
	}, 0)
}
