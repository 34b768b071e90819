package compile

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUTime(t *testing.T) {
	if os.Getenv("SYSFENCE_CPUTIME") == "" {
		t.Skip("set SYSFENCE_CPUTIME=1")
	}
	runtime.LockOSThread()
	for _, all := range []bool{false, true} {
		p := dockerDefault(t, all)
		const n = 5000
		c0, w0 := threadCPU(), time.Now()
		for range n {
			Compile(p, Options{})
		}
		t.Logf("all=%v: %v cpu/op, %v wall/op", all, (threadCPU()-c0)/n, time.Since(w0)/n)
	}
}
