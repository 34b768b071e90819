//go:build linux

package landlock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/internal/testenv"
)

// The tests never restrict their own process: each scenario re-executes the
// test binary with helperEnv set, and TestMain turns that child into the
// helper, which applies the plan (on its main, locked thread) and then
// either execs a command or performs one access itself.
const helperEnv = "SYSFENCE_LANDLOCK_HELPER"

// helperSpec is what the parent asks the child to do.
type helperSpec struct {
	Plan *Plan
	Argv []string // exec this after Apply
	Op   string   // or this: bind, connect, mptcp-bind, openloop, none
	Port int
	Path string
	N    int
	Args []string // for op fs: the file-system call and its paths
}

const reportPrefix = "landlock-report: "

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(helper(spec))
	}
	os.Exit(m.Run())
}

// helper runs in the child. Exit status 3 means Apply failed (the message
// is on stderr).
func helper(specJSON string) int {
	var s helperSpec
	if err := json.Unmarshal([]byte(specJSON), &s); err != nil {
		fmt.Fprintln(os.Stderr, "helper spec:", err)
		return 2
	}
	rep, err := Apply(s.Plan)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apply:", err)
		return 3
	}
	b, _ := json.Marshal(rep)
	fmt.Fprintf(os.Stderr, "%s%s\n", reportPrefix, b)
	if len(s.Argv) > 0 {
		err := syscall.Exec(s.Argv[0], s.Argv, os.Environ())
		fmt.Fprintln(os.Stderr, "exec:", err)
		return 127
	}
	switch s.Op {
	case "none":
	case "bind":
		fmt.Println(errnoName(tcpSocketDo(unix.IPPROTO_TCP, s.Port, unix.Bind)))
	case "mptcp-bind":
		fmt.Println(errnoName(tcpSocketDo(unix.IPPROTO_MPTCP, s.Port, unix.Bind)))
	case "connect":
		fmt.Println(errnoName(tcpSocketDo(unix.IPPROTO_TCP, s.Port, unix.Connect)))
	case "fs":
		fmt.Println(errnoName(fsOp(s.Args)))
	case "openloop":
		ns, err := openLoop(s.Path, s.N)
		if err != nil {
			fmt.Println(errnoName(err))
			return 1
		}
		fmt.Println(ns)
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown op", s.Op)
		return 2
	}
	return 0
}

// tcpSocketDo makes a stream socket of the given protocol and binds or
// connects it to 127.0.0.1:port: plain syscalls on this (restricted)
// thread, so that the errno is the kernel's answer.
func tcpSocketDo(proto, port int, do func(int, unix.Sockaddr) error) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	return do(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
}

func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var en unix.Errno
	if errors.As(err, &en) {
		return unix.ErrnoName(en)
	}
	return err.Error()
}

// openLoop times n openat+close pairs on path with raw syscalls (no Go
// scheduler hooks), returning nanoseconds in total.
func openLoop(path string, n int) (int64, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return 0, err
	}
	cwd := unix.AT_FDCWD
	start := time.Now()
	for range n {
		fd, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(p)), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
		if e != 0 {
			return 0, e
		}
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
	}
	return time.Since(start).Nanoseconds(), nil
}

// fsOp performs one file-system call on this (restricted) thread.
func fsOp(a []string) error {
	open := func(p string, flags int) error {
		fd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	switch a[0] {
	case "read":
		return open(a[1], unix.O_RDONLY)
	case "list":
		return open(a[1], unix.O_RDONLY|unix.O_DIRECTORY)
	case "write":
		return open(a[1], unix.O_WRONLY)
	case "rdonly-trunc":
		return open(a[1], unix.O_RDONLY|unix.O_TRUNC)
	case "create":
		return open(a[1], unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL)
	case "truncate":
		return unix.Truncate(a[1], 0)
	case "mkdir":
		return unix.Mkdir(a[1], 0o755)
	case "unlink":
		return unix.Unlink(a[1])
	case "mkfifo":
		return unix.Mkfifo(a[1], 0o644)
	case "mknod-block":
		return unix.Mknod(a[1], unix.S_IFBLK|0o600, int(unix.Mkdev(8, 0)))
	case "symlink":
		return unix.Symlink("/etc/passwd", a[1])
	case "rename":
		return unix.Rename(a[1], a[2])
	case "ioctl-tcgets":
		// A device-specific ioctl: the driver answers ENOTTY for a non-tty,
		// Landlock answers EACCES before it when IOCTL_DEV is not granted.
		fd, err := unix.Open(a[1], unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		_, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	}
	return fmt.Errorf("unknown fs op %q", a[0])
}

// helperResult is what the child did.
type helperResult struct {
	Stdout, Stderr string
	Exit           int
	Report         *Report // nil if the child never got past Apply
}

// runHelper runs the child with spec and waits for it.
func runHelper(t testing.TB, spec helperSpec) helperResult {
	t.Helper()
	cmd := helperCmd(t, spec)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := helperResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.Exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("running helper: %v", err)
	}
	res.Report = parseReport(t, res.Stderr)
	return res
}

func helperCmd(t testing.TB, spec helperSpec) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	return cmd
}

func parseReport(t testing.TB, stderr string) *Report {
	for line := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(line, reportPrefix); ok {
			var rep Report
			if err := json.Unmarshal([]byte(rest), &rep); err != nil {
				t.Fatalf("helper report %q: %v", rest, err)
			}
			return &rep
		}
	}
	return nil
}

// requireLandlock skips (fails in CI) without Landlock, and returns the ABI.
func requireLandlock(t testing.TB, minABI int) int {
	t.Helper()
	abi, err := KernelABI()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	if abi < minABI {
		testenv.Skip(t, fmt.Sprintf("needs Landlock ABI %d, kernel has %d", minABI, abi))
	}
	return abi
}

// withDeps adds what argv[0] needs to start, as the launcher will.
func withDeps(t testing.TB, r Rules, cmd string) Rules {
	t.Helper()
	res, err := execdeps.Resolve(cmd, execdeps.Options{})
	if err != nil {
		t.Fatalf("execdeps.Resolve(%s): %v", cmd, err)
	}
	read, ex := res.Split()
	r.Read = append(r.Read, read...)
	r.Exec = append(r.Exec, ex...)
	return r
}

func mustPlan(t testing.TB, r Rules, abi int, opt Options) *Plan {
	t.Helper()
	p, err := NewPlan(r, abi, opt)
	if err != nil {
		t.Fatalf("NewPlan: %v", err)
	}
	return p
}

// compileC builds testdata/NAME.c with cc into a temporary directory.
func compileC(t testing.TB, name string) string {
	t.Helper()
	cc := testenv.LookPath(t, "cc", "gcc")
	out := filepath.Join(t.TempDir(), name)
	src, err := filepath.Abs(filepath.Join("testdata", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(cc, "-O2", "-Wall", "-pthread", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", name, err, b)
	}
	return out
}
