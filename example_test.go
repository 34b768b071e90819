package sysfence_test

import (
	"fmt"
	"log"
	"os"
	"runtime"
	"slices"
	"syscall"
	"unsafe"

	"github.com/sysfence/sysfence"
)

// An allow list with a kill default: what the Go runtime needs, plus the
// program's own calls, with an argument condition.
func ExampleNewFilter() {
	f := sysfence.NewFilter(sysfence.KillProcess)
	if err := f.Allow(sysfence.GoRuntime()...); err != nil {
		log.Fatal(err)
	}
	if err := f.Allow("openat", "fstat"); err != nil {
		log.Fatal(err)
	}
	// socket(2) only for Unix domain sockets; others fail with EPERM
	// instead of killing the program.
	if err := f.Add(sysfence.Allow, "socket", sysfence.Arg(0).Eq(syscall.AF_UNIX)); err != nil {
		log.Fatal(err)
	}
	if err := f.Add(sysfence.Errno(syscall.EPERM), "socket", sysfence.Arg(0).Ne(syscall.AF_UNIX)); err != nil {
		log.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"futex", nil},
		{"openat", nil},
		{"socket", []uint64{syscall.AF_UNIX}},
		{"socket", []uint64{syscall.AF_INET}},
		{"execve", nil},
	} {
		a, err := f.Check(c.name, c.args...)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.name, c.args, a)
	}
	// Output:
	// futex [] ALLOW
	// openat [] ALLOW
	// socket [1] ALLOW
	// socket [2] ERRNO(1)
	// execve [] KILL_PROCESS
}

// Several conditions on one argument must all hold: a range.
func ExampleArg() {
	f := sysfence.NewFilter(sysfence.Errno(syscall.EPERM))
	if err := f.Add(sysfence.Allow, "personality", sysfence.Arg(0).Ge(8), sysfence.Arg(0).Le(16)); err != nil {
		log.Fatal(err)
	}
	for _, v := range []uint64{7, 8, 16, 17} {
		a, _ := f.Check("personality", v)
		fmt.Println(v, a)
	}
	// Output:
	// 7 ERRNO(1)
	// 8 ALLOW
	// 16 ALLOW
	// 17 ERRNO(1)
}

// Docker's default profile, narrowed: no sockets for this program.
func ExampleFromProfile() {
	f, err := sysfence.FromProfile("docker-default", &sysfence.ProfileOptions{Kernel: "6.1"})
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Remove("socket", "socketpair", "bind", "listen"); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"getpid", "socket", "mount"} {
		a, _ := f.Check(name)
		fmt.Println(name, a)
	}
	// Output:
	// getpid ALLOW
	// socket ERRNO(1)
	// mount ERRNO(1)
}

// The compiled program, for export or inspection.
func ExampleFilter_Compile() {
	f := sysfence.NewFilter(sysfence.Errno(syscall.EPERM))
	if err := f.Allow("read", "write", "exit_group"); err != nil {
		log.Fatal(err)
	}
	prog, err := f.Compile()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(prog) > 0 && len(prog) < 20)
	// Output: true
}

func ExampleGoRuntime() {
	names := sysfence.GoRuntime()
	fmt.Println(slices.Contains(names, "futex"), slices.Contains(names, "openat"))
	// Output: true false
}

// Load confines the whole process; there is no way back. (No Output
// comment: this example is compiled, not run.)
func ExampleFilter_Load() {
	f := sysfence.NewFilter(sysfence.KillProcess)
	if err := f.Allow(sysfence.GoRuntime()...); err != nil {
		log.Fatal(err)
	}
	if err := f.Load(); err != nil {
		log.Fatal(err) // e.g. "...: not supported" on a kernel without seccomp filters
	}
	fmt.Println("Hello from the sandbox")
	os.Open("/etc/shadow") // killed here with SIGSYS: "Bad system call"
}

// Strict mode for one thread that computes and reports through a pipe.
// (Not run.)
func ExampleLoadStrict() {
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		log.Fatal(err)
	}
	result := []byte("computed in strict mode\n")
	go func() {
		runtime.LockOSThread() // for good: this thread ends in strict mode
		if err := sysfence.LoadStrict(); err != nil {
			log.Fatal(err)
		}
		// Only raw read, write, exit and rt_sigreturn from here on.
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&result[0])), uintptr(len(result)))
		syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0) // this thread only
	}()
	buf := make([]byte, 64)
	n, _ := syscall.Read(p[0], buf)
	fmt.Printf("%s", buf[:n])
}
