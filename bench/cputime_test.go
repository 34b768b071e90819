package bench

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/compile"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestStageCPU reports the CPU time of each stage of sysfence's pipeline
// (on a shared machine wall-clock medians also measure the neighbours).
func TestStageCPU(t *testing.T) {
	if os.Getenv("SYSFENCE_CPUTIME") == "" {
		t.Skip("set SYSFENCE_CPUTIME=1")
	}
	runtime.LockOSThread()
	for _, v := range variants {
		body, _ := DefaultJSON(v.all)
		oci, _ := Resolve(body)
		p, _ := Policy(oci)
		const n = 2000
		stage := func(name string, f func()) {
			c0 := threadCPU()
			for range n {
				f()
			}
			t.Logf("%s %s: %v CPU per run", v.name, name, (threadCPU()-c0)/n)
		}
		stage("parse + resolve (sysfence)", func() { SysfenceResolve(body) })
		stage("policy (policy.FromOCI)", func() { Policy(oci) })
		stage("compile", func() { compile.Compile(p, compile.Options{}) })
	}
}
