//go:build linux

package bpf

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
)

// The kernel runs the same bpf_check_classic for socket filters as for
// seccomp filters, and attaching a socket filter to a throwaway socket
// changes nothing else in the test process. So checkClassic is compared
// with the running kernel directly, here without re-executing; the seccomp
// part of Validate (an opcode list and the load offsets) is covered by
// TestValidate.

// kernelAcceptsClassic attaches p to a UDP socket: true if the kernel
// accepts it, false for EINVAL; ok is false when the kernel could not tell
// (out of socket memory).
func kernelAcceptsClassic(t *testing.T, fd int, p Program) (accepted, ok bool) {
	t.Helper()
	fprog := unix.SockFprog{Len: uint16(len(p))}
	if len(p) > 0 {
		raw := make([]unix.SockFilter, len(p))
		for i, ins := range p {
			raw[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
		}
		fprog.Filter = &raw[0]
	}
	err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog)
	switch {
	case err == nil:
		return true, true
	case errors.Is(err, unix.EINVAL):
		return false, true
	case errors.Is(err, unix.ENOMEM):
		return false, false
	}
	t.Fatalf("SO_ATTACH_FILTER: %v", err)
	return false, false
}

func udpSocket(t *testing.T) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		testenv.Skip(t, "no UDP socket: "+err.Error())
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// interesting constants for random classic programs.
var classicKs = []uint32{0, 1, 2, 3, 4, 8, 15, 16, 17, 31, 32, 33, 60, 63, 64, 0xffff,
	skfAdOff, skfAdOff + 4, skfAdOff + 60, skfAdOff + 64, skfAdOff + 2, 0xfffff03c, 0xffffffff, 0xfff00000}

func randomClassic(r *rand.Rand) Program {
	n := 1 + r.IntN(12)
	p := make(Program, n)
	for i := range p {
		var op uint16
		if r.IntN(4) == 0 {
			op = uint16(r.IntN(256))
		} else {
			// Mostly opcodes the kernel knows, so the other checks run.
			for op = uint16(r.IntN(256)); !classicOp(op); op = uint16(r.IntN(256)) {
			}
		}
		k := classicKs[r.IntN(len(classicKs))]
		if r.IntN(5) == 0 {
			k = r.Uint32()
		}
		if op == opJa && r.IntN(2) == 0 {
			k = uint32(r.IntN(n + 1))
		}
		p[i] = Instruction{Op: op, Jt: uint8(r.IntN(n + 1)), Jf: uint8(r.IntN(n + 1)), K: k}
	}
	if r.IntN(4) != 0 {
		p[n-1] = Instruction{Op: []uint16{opRetK, opRetA}[r.IntN(2)], K: r.Uint32()}
	}
	return p
}

func TestClassicCheckMatchesKernel(t *testing.T) {
	fd := udpSocket(t)
	seed := testenv.Seed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	var progs []Program
	for _, tt := range validateCases() {
		progs = append(progs, tt.p)
	}
	for i := 0; i < 20000; i++ {
		progs = append(progs, randomClassic(r))
	}
	counts := map[bool]int{}
	for _, p := range progs {
		kernel, ok := kernelAcceptsClassic(t, fd, p)
		if !ok {
			continue
		}
		err := checkClassic(p)
		if (err == nil) != kernel {
			t.Fatalf("kernel accepts=%v, checkClassic = %v for\n%s", kernel, err, rawListing(p))
		}
		counts[kernel]++
	}
	t.Logf("%d accepted and %d refused by both", counts[true], counts[false])
	if counts[true] < 1000 || counts[false] < 1000 {
		t.Errorf("too few programs on one side: %v", counts)
	}
}

func rawListing(p Program) string {
	return Disassemble(p, Options{}).String()
}

// seccompChildEnv carries a raw program (hex) to the child of
// TestSeccompCheckMatchesKernel.
const seccompChildEnv = "SYSFENCE_BPF_SECCOMP_CHILD"

// TestSeccompCheckMatchesKernel installs programs as seccomp filters in
// re-executed children (never in the test process): Validate must accept
// exactly what seccomp(2) accepts. Every valid program here allows every
// syscall, so a child that installed one can still exit.
func TestSeccompCheckMatchesKernel(t *testing.T) {
	if raw := os.Getenv(seccompChildEnv); raw != "" {
		seccompChild(raw)
		return
	}
	allow := Ret(retAllow)
	progs := []Program{
		{LoadAbs(OffArch), allow},
		{LoadAbs(60), allow},
		{LoadAbs(64), allow},
		{LoadAbs(2), allow},
		{LoadAbs(skfAdOff), allow},
		{ins(ClassLD|SizeH|ModeABS, 0, 0, 0), allow},
		{ins(ClassLD|SizeB|ModeABS, 0, 0, 4), allow},
		{ins(ClassLD|SizeW|ModeIND, 0, 0, 0), allow},
		{ins(ClassLDX|SizeB|ModeMSH, 0, 0, 0), allow},
		{AluK(AluMOD, 3), allow},
		{ins(ClassALU|AluMOD|SrcX, 0, 0, 0), allow},
		{ins(opLdLen, 0, 0, 0), ins(opLdxLen, 0, 0, 0), ins(ClassALU|AluXOR|SrcX, 0, 0, 0), ins(opAluNeg, 0, 0, 0), allow},
		{ins(opLdImm, 0, 0, retAllow), ins(opRetA, 0, 0, 0)},
		{ins(opSt, 0, 0, 3), ins(opLdMem, 0, 0, 3), allow},
		{ins(opLdMem, 0, 0, 3), allow},
		{AluK(AluDIV, 0), allow},
		{JumpAlways(1), allow},
	}
	for _, c := range validateCases() {
		if c.name == "ok=every_allowed_opcode" {
			progs = append(progs, c.p)
		}
	}
	counts := map[bool]int{}
	for i, p := range progs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSeccompCheckMatchesKernel$")
		cmd.Env = append(os.Environ(), seccompChildEnv+"="+hex.EncodeToString(p.Encode(binary.NativeEndian)))
		out, err := cmd.CombinedOutput()
		var kernel bool
		var ee *exec.ExitError
		switch {
		case err == nil:
			kernel = true
		case errors.As(err, &ee) && ee.ExitCode() == 3:
			kernel = false
		default:
			t.Fatalf("program %d: child: %v: %s", i, err, out)
		}
		if verr := Validate(p); (verr == nil) != kernel {
			t.Errorf("program %d: seccomp(2) accepts=%v, Validate = %v\n%s", i, kernel, verr, rawListing(p))
		}
		counts[kernel]++
	}
	t.Logf("seccomp(2) accepted %d and refused %d programs, as Validate did", counts[true], counts[false])
}

// seccompChild installs the program and exits 0, or 3 for EINVAL.
func seccompChild(hexProg string) {
	runtime.LockOSThread()
	raw, err := hex.DecodeString(hexProg)
	if err != nil {
		os.Exit(4)
	}
	p, _ := Decode(raw, binary.NativeEndian)
	filter := make([]unix.SockFilter, len(p))
	for i, ins := range p {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(p)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		os.Exit(4)
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog)))
	switch errno {
	case 0:
		os.Exit(0)
	case unix.EINVAL:
		os.Exit(3)
	}
	os.Exit(4)
}
