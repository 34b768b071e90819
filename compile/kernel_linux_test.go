package compile

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

const kernelChildEnv = "SYSFENCE_COMPILE_KERNEL_CHILD"

// kernelCall is a raw x86_64 syscall the child makes under the filter.
type kernelCall struct {
	What string
	Nr   uint64
	Args [6]uint64
}

// kernelCalls are harmless when allowed and tell the filter's answer apart
// from the kernel's own: denied calls must fail with the filter's errno
// before the kernel looks at them.
func kernelCalls(t *testing.T) []kernelCall {
	a := arch(t, "x86_64")
	n := func(name string) uint64 { return uint64(nr(t, a, name)) }
	return []kernelCall{
		{"getpid", n("getpid"), [6]uint64{}},
		{"socket(AF_INET, SOCK_DGRAM)", n("socket"), [6]uint64{unix.AF_INET, unix.SOCK_DGRAM | unix.SOCK_CLOEXEC}},
		{"socket(AF_UNIX, SOCK_STREAM)", n("socket"), [6]uint64{unix.AF_UNIX, unix.SOCK_STREAM | unix.SOCK_CLOEXEC}},
		{"socket(AF_VSOCK) (not allowed)", n("socket"), [6]uint64{40, unix.SOCK_STREAM | unix.SOCK_CLOEXEC}},
		{"socket(AF_INET + high word) (not allowed: 64-bit compare)", n("socket"), [6]uint64{1<<32 | unix.AF_INET, unix.SOCK_DGRAM | unix.SOCK_CLOEXEC}},
		{"personality(query)", n("personality"), [6]uint64{0xffffffff}},
		{"personality(ADDR_NO_RANDOMIZE) (not allowed)", n("personality"), [6]uint64{0x0040000}},
		{"clone(CLONE_NEWUSER) (not allowed)", n("clone"), [6]uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}},
		{"clone3 (ENOSYS rule)", n("clone3"), [6]uint64{}},
		{"kexec_load (not allowed)", n("kexec_load"), [6]uint64{}},
		{"mount (not allowed)", n("mount"), [6]uint64{}},
		{"number above the profile (runc's ENOSYS)", 1000, [6]uint64{}},
		{"x32 getpid (allowed by the filter)", uint64(0x40000000 | n("getpid")), [6]uint64{}},
		{"x32 kexec_load (not allowed)", uint64(0x40000000 | n("kexec_load")), [6]uint64{}},
	}
}

// TestKernelAgrees loads the filter compiled from Docker's default profile
// (x86_64 + x86 + x32) into the kernel, in a re-executed child, makes a
// handful of syscalls there, and checks that every call the emulator says
// the filter answers with an errno fails with exactly that errno, and that
// every call it allows is not answered EPERM.
func TestKernelAgrees(t *testing.T) {
	if os.Getenv(kernelChildEnv) != "" {
		kernelChild()
		return
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the calls are x86_64 syscalls")
	}
	p := dockerDefault(t, true)
	prog := mustCompile(t, p).Filter
	calls := kernelCalls(t)
	js, _ := json.Marshal(calls)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelAgrees$")
	cmd.Env = append(os.Environ(), kernelChildEnv+"="+hex.EncodeToString(prog.Encode(binary.NativeEndian)),
		kernelChildEnv+"_CALLS="+string(js))
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		testenv.Skip(t, "seccomp(SECCOMP_SET_MODE_FILTER) is not available: "+string(ee.Stderr))
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var errnos []int
	if err := json.Unmarshal(out, &errnos); err != nil || len(errnos) != len(calls) {
		t.Fatalf("child said %q (%v)", out, err)
	}
	x64 := arch(t, "x86_64")
	for i, c := range calls {
		d := bpf.Data{Arch: x64.AuditArch, Nr: uint32(c.Nr), Args: c.Args}
		ret := policy.Action(run(t, prog, &d).Ret)
		got := unix.Errno(errnos[i])
		switch ret.Kind() {
		case policy.ActErrno:
			if got != unix.Errno(ret.Data()) {
				t.Errorf("%s: kernel says %v (%d), the emulator %v", c.What, got, int(got), ret)
			}
		case policy.ActAllow:
			if got == unix.EPERM {
				t.Errorf("%s: kernel says EPERM, the emulator ALLOW", c.What)
			}
		default:
			t.Errorf("%s: the emulator says %v: not a call this test may make", c.What, ret)
		}
		t.Logf("%-58s filter %-10v kernel errno %d", c.What, ret, int(got))
	}
}

// kernelChild installs the filter on its thread (not the others: the Go
// runtime needs its own syscalls) and makes the calls, printing their
// errnos as JSON. Exit status 3: seccomp filters are not available.
func kernelChild() {
	runtime.LockOSThread()
	raw, err := hex.DecodeString(os.Getenv(kernelChildEnv))
	if err != nil {
		os.Exit(4)
	}
	var calls []kernelCall
	if err := json.Unmarshal([]byte(os.Getenv(kernelChildEnv+"_CALLS")), &calls); err != nil {
		os.Exit(4)
	}
	p, _ := bpf.Decode(raw, binary.NativeEndian)
	filter := make([]unix.SockFilter, len(p))
	for i, ins := range p {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(p)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "no_new_privs:", err)
		os.Exit(3)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		fmt.Fprintln(os.Stderr, "seccomp:", errno)
		os.Exit(3)
	}
	errnos := make([]int, len(calls))
	for i, c := range calls {
		r, _, errno := unix.RawSyscall6(uintptr(c.Nr), uintptr(c.Args[0]), uintptr(c.Args[1]), uintptr(c.Args[2]),
			uintptr(c.Args[3]), uintptr(c.Args[4]), uintptr(c.Args[5]))
		errnos[i] = int(errno)
		if errno == 0 && c.Nr == uint64(unix.SYS_SOCKET) {
			unix.Close(int(r))
		}
	}
	out := "["
	for i, e := range errnos {
		if i > 0 {
			out += ","
		}
		out += strconv.Itoa(e)
	}
	fmt.Print(out + "]")
	os.Exit(0)
}
