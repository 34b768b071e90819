package sysdecode

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/sysfence/sysfence/syscalls"
)

// fakeMem is a sparse address space of mapped pages.
type fakeMem map[uint64][]byte // page address -> 4096 bytes

func (m fakeMem) put(addr uint64, b []byte) {
	for i, c := range b {
		a := addr + uint64(i)
		page := a &^ (pageSize - 1)
		if m[page] == nil {
			m[page] = make([]byte, pageSize)
		}
		m[page][a-page] = c
	}
}

func (m fakeMem) ReadAt(p []byte, off int64) (int, error) {
	for i := range p {
		a := uint64(off) + uint64(i)
		page, ok := m[a&^(pageSize-1)]
		if !ok {
			return i, io.ErrUnexpectedEOF
		}
		p[i] = page[a&(pageSize-1)]
	}
	return len(p), nil
}

func arch(t *testing.T, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func nr(t *testing.T, a *syscalls.Arch, name string) uint32 {
	t.Helper()
	n, err := a.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCall(t *testing.T) {
	mem := fakeMem{}
	mem.put(0x1000, []byte("/etc/shadow\x00"))
	mem.put(0x2000, []byte("hello\n\x00"))
	// A string that ends exactly at the end of the last mapped page.
	mem.put(0x5000-4, []byte("edg\x00"))
	// argv: two pointers and NULL (64-bit little endian).
	argv := make([]byte, 24)
	binary.LittleEndian.PutUint64(argv[0:], 0x3100)
	binary.LittleEndian.PutUint64(argv[8:], 0x3200)
	mem.put(0x3000, argv)
	mem.put(0x3100, []byte("/bin/echo\x00"))
	mem.put(0x3200, []byte("hi\x00"))
	// argv for i386: 32-bit pointers.
	argv32 := make([]byte, 12)
	binary.LittleEndian.PutUint32(argv32[0:], 0x3100)
	binary.LittleEndian.PutUint32(argv32[4:], 0x3200)
	mem.put(0x3800, argv32)
	long := make([]byte, 100)
	for i := range long {
		long[i] = 'a'
	}
	mem.put(0x6000, long)
	mem.put(0x8000-30, long[:30]) // runs into the unmapped page 0x8000

	const atFDCWD64 = 0xffffffffffffff9c
	for _, tc := range []struct {
		name, arch, call string
		args             [6]uint64
		want             string
	}{
		{"openat", "x86_64", "openat", [6]uint64{atFDCWD64, 0x1000, 0}, `openat(AT_FDCWD, "/etc/shadow", O_RDONLY)`},
		{"openat-32bit-atfdcwd", "x86_64", "openat", [6]uint64{0xffffff9c, 0x1000, 0o2000101, 0o644}, `openat(AT_FDCWD, "/etc/shadow", O_WRONLY|O_CREAT|O_CLOEXEC, 0644)`},
		{"open-i386", "x86", "open", [6]uint64{0x1000, 0o100000 | 2}, `open("/etc/shadow", O_RDWR|O_LARGEFILE)`},
		{"openat-arm-directory", "aarch64", "openat", [6]uint64{atFDCWD64, 0x1000, 0o40000}, `openat(AT_FDCWD, "/etc/shadow", O_RDONLY|O_DIRECTORY)`},
		{"openat-mips-hex", "mips", "openat", [6]uint64{0xffffff9c, 0x1000, 0x100}, `openat(AT_FDCWD, "/etc/shadow", 0x100, 0)`},
		{"write", "x86_64", "write", [6]uint64{2, 0x2000, 6}, `write(2, "hello\n", 6)`},
		{"write-truncated", "x86_64", "write", [6]uint64{1, 0x6000, 100}, `write(1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"..., 100)`},
		{"write-unreadable", "x86_64", "write", [6]uint64{1, 0x9000, 4}, `write(1, 0x9000, 4)`},
		{"string-at-page-end", "x86_64", "unlink", [6]uint64{0x5000 - 4}, `unlink("edg")`},
		{"path-unterminated", "x86_64", "chdir", [6]uint64{0x8000 - 30}, `chdir("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"...)`},
		{"execve", "x86_64", "execve", [6]uint64{0x3100, 0x3000, 0x7ffd0000}, `execve("/bin/echo", ["/bin/echo", "hi"], 0x7ffd0000)`},
		{"execve-i386", "x86", "execve", [6]uint64{0x3100, 0x3800, 0}, `execve("/bin/echo", ["/bin/echo", "hi"], NULL)`},
		{"mmap", "x86_64", "mmap", [6]uint64{0, 8192, 3, 0x22, 0xffffffffffffffff, 0}, `mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, NULL)`},
		{"mprotect-none", "x86_64", "mprotect", [6]uint64{0x4a1000, 16384, 0}, `mprotect(0x4a1000, 16384, PROT_NONE)`},
		{"newfstatat-empty-path", "x86_64", "newfstatat", [6]uint64{1, 0x5000 - 1, 0x7ffc0000, 0x1000}, `newfstatat(1, "", 0x7ffc0000, AT_EMPTY_PATH)`},
		{"kill", "x86_64", "kill", [6]uint64{1234, 15}, `kill(1234, SIGTERM)`},
		{"socket", "x86_64", "socket", [6]uint64{2, 1 | 0o2000000, 0}, `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0)`},
		{"clone", "x86_64", "clone", [6]uint64{0x1200011, 0, 0, 0x7f00, 0}, `clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, 0x7f00, NULL)`},
		{"no-args", "x86_64", "getpid", [6]uint64{7, 7}, `getpid()`},
		{"access", "x86_64", "access", [6]uint64{0x1000, 4}, `access("/etc/shadow", R_OK)`},
		{"exit_group-negative", "x86_64", "exit_group", [6]uint64{0xffffffff}, `exit_group(-1)`},
		{"i386-high-bits-ignored", "x86", "close", [6]uint64{0xdead00000003}, `close(3)`},
	} {
		t.Run("arch="+tc.arch+"/call="+tc.name, func(t *testing.T) {
			a := arch(t, tc.arch)
			d := Decoder{Arch: a, Mem: mem, Native: a} // as the ABI's own programs make them
			if got := d.Call(nr(t, a, tc.call), tc.args); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCallUnknownSignatureAndNumber(t *testing.T) {
	a := arch(t, "x86_64")
	d := Decoder{Arch: a}
	if got, want := d.Call(nr(t, a, "io_uring_setup"), [6]uint64{8, 0x7ffc}), "io_uring_setup(0x8, 0x7ffc)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// A zero among an unknown signature's registers is not a NULL.
	if got, want := d.Call(nr(t, a, "io_uring_setup"), [6]uint64{0, 0x7ffc}), "io_uring_setup(0, 0x7ffc)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := d.Call(nr(t, a, "rt_sigaction"), [6]uint64{17, 0x7ffc, 0, 8}), "rt_sigaction(SIGCHLD, 0x7ffc, NULL, 8)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := d.Call(0x3fff, [6]uint64{}), "syscall_0x3fff()"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// Without memory, strings are addresses.
	if got, want := d.Call(nr(t, a, "openat"), [6]uint64{0xffffffffffffff9c, 0x1000, 0}), "openat(AT_FDCWD, 0x1000, O_RDONLY)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// Every syscall of the x86 ABIs is printed with as many arguments as it
// takes, whatever the other registers hold (getcpu took three and was
// shown with six): checked against the reference list, strace's tables
// (data/syscall_args.csv, see data/README.md).
func TestCallArgumentCounts(t *testing.T) {
	f, err := os.Open("../../data/syscall_args.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	regs := [6]uint64{0x41, 0x42, 0x43, 0x44, 0x45, 0x46} // O_CREAT (0x40) set: open shows its mode
	sc := bufio.NewScanner(f)
	checked := map[string]int{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var abi, name string
		var num uint32
		var want int
		fields := strings.Split(line, ",")
		if len(fields) != 4 {
			t.Fatalf("bad line %q", line)
		}
		abi, name = fields[0], fields[2]
		if _, err := fmt.Sscan(fields[1]+" "+fields[3], &num, &want); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		a := arch(t, abi)
		if a.IsX32() {
			num |= syscalls.X32SyscallBit
		}
		got := Decoder{Arch: a, Native: a}.Call(num, regs)
		if !strings.HasPrefix(got, name+"(") || !strings.HasSuffix(got, ")") {
			t.Errorf("abi=%s: %d printed as %s, want %s(...)", abi, num, got, name)
			continue
		}
		// Without memory nothing printed contains a comma but the
		// separators.
		inner := got[len(name)+1 : len(got)-1]
		n := 0
		if inner != "" {
			n = strings.Count(inner, ", ") + 1
		}
		if n != want {
			t.Errorf("abi=%s: %s has %d arguments, printed with %d: %s", abi, name, want, n, got)
		}
		checked[abi]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, abi := range []string{"x86_64", "x32", "x86"} {
		if all := len(arch(t, abi).Syscalls()); checked[abi] != all {
			t.Errorf("abi=%s: %d of its %d syscalls in the reference list", abi, checked[abi], all)
		}
	}
}

func TestQuote(t *testing.T) {
	if got, want := Quote([]byte("a\"b\\\t\x01é")), `"a\"b\\\t\x01\xc3\xa9"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestProcMem reads a string out of this process through /proc/self/mem.
func TestProcMem(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/mem is Linux")
	}
	f, err := OpenProcMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := []byte("read through /proc\x00")
	got, complete, err := ReadString(f, uint64(uintptr(unsafe.Pointer(&s[0]))), 256)
	runtime.KeepAlive(s)
	if err != nil || !complete || got != "read through /proc" {
		t.Errorf("ReadString = %q, %v, %v", got, complete, err)
	}
	if _, _, err := ReadString(f, 8, 16); err == nil {
		t.Error("reading address 8 succeeded")
	}
}

// A call of another ABI than the program's own is named with its ABI: the
// same number is another call there ("x32 openat", "x86 getpid").
func TestCallNamesTheABI(t *testing.T) {
	x86_64, x32, x86 := arch(t, "x86_64"), arch(t, "x32"), arch(t, "x86")
	for _, tc := range []struct {
		name        string
		abi, native *syscalls.Arch
		call        string
		args        [6]uint64
		want        string
	}{
		{"x32-from-x86_64", x32, x86_64, "openat", [6]uint64{0xffffffffffffff9c, 0x1000, 0}, `x32 openat(AT_FDCWD, 0x1000, O_RDONLY)`},
		{"int80-from-x86_64", x86, x86_64, "getpid", [6]uint64{}, `x86 getpid()`},
		{"native", x86_64, x86_64, "getpid", [6]uint64{}, `getpid()`},
		{"i386-program", x86, x86, "getpid", [6]uint64{}, `getpid()`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decoder{Arch: tc.abi, Native: tc.native}
			n := nr(t, tc.abi, tc.call)
			if got := d.Call(n, tc.args); got != tc.want {
				t.Errorf("Call: got %s, want %s", got, tc.want)
			}
			if got, want := d.Name(n), tc.want[:strings.IndexByte(tc.want, '(')]; got != want {
				t.Errorf("Name: got %s, want %s", got, want)
			}
		})
	}
	// Without Native, the running program's ABI is the native one.
	if runtime.GOARCH == "amd64" {
		if got, want := (Decoder{Arch: x32}).Name(nr(t, x32, "openat")), "x32 openat"; got != want {
			t.Errorf("Name without Native: got %s, want %s", got, want)
		}
	}
}

// TestCloneFlagsOnS390: s390's clone takes the new stack first and its
// flags second (lint and diff print such calls as examples).
func TestCloneFlagsOnS390(t *testing.T) {
	for _, tt := range []struct {
		arch string
		args [6]uint64
		want string
	}{
		{"s390x", [6]uint64{0, 0x20000 | 17}, "clone(NULL, CLONE_NEWNS|SIGCHLD"},
		{"x86_64", [6]uint64{0x20000 | 17, 0}, "clone(CLONE_NEWNS|SIGCHLD, NULL"},
	} {
		a, _ := syscalls.ArchByName(tt.arch)
		nr, _ := a.Number("clone")
		if got := (Decoder{Arch: a}).Call(nr, tt.args); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %s, want %s...", tt.arch, got, tt.want)
		}
	}
}

// TestEveryAddressFamilyNamed: socket's family is named for every family
// of <linux/socket.h>, as strace names them (not only the common ones).
func TestEveryAddressFamilyNamed(t *testing.T) {
	a, _ := syscalls.ArchByName("x86_64")
	nr, _ := a.Number("socket")
	for _, tt := range []struct {
		family uint64
		want   string
	}{{1, "AF_UNIX"}, {31, "AF_BLUETOOTH"}, {45, "AF_MCTP"}, {46, "46"}} {
		if got := (Decoder{Arch: a}).Call(nr, [6]uint64{tt.family}); !strings.Contains(got, "("+tt.want+",") {
			t.Errorf("socket(%d, ...) = %s, want the family %s", tt.family, got, tt.want)
		}
	}
}
