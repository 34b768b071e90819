package testenv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Machine facts: what this kernel and CPU do with code the tests run,
// which differs between machines of the same kind (a VM's kernel may be
// built or booted without i386 support; on some VMs strict mode does not
// make rdtsc fault). Each fact is probed once per test binary by running the real
// thing in a child process and classifying how it ended; tests assert the
// outcome that fits the answer, and the answer is logged in each test
// that depends on it ("machine fact: ..."), with what is not exercised
// here when the machine lacks the ability. A probe that cannot run at all
// (strict mode refused by a filter around the tests) goes through Skip.

// outcome is what a probe found.
type outcome struct {
	holds  bool
	detail string // what the child did
	skip   string // why the probe could not run (Skip)
	err    error  // an ending the probe does not know: the test fails
}

var (
	i386Fact  = sync.OnceValue(func() outcome { return probeI386(i386Hello(emI386)) })
	int80Fact = sync.OnceValue(func() outcome { return probeInt80(int80Probe(0xcd, 0x80, 20)) })
	tscFact   = sync.OnceValue(func() outcome { return probeStrictTSC(strictTSCProbe(0x0f, 0x31)) })
)

// CanExecI386 reports whether this kernel runs i386 programs (a static
// i386 ELF that writes with int 0x80 prints and exits 0) or refuses them
// with ENOEXEC, as a kernel without IA32 emulation does (not built in, or
// booted with ia32_emulation=0).
func CanExecI386(t testing.TB) bool {
	t.Helper()
	return fact(t, i386Fact(), "this kernel runs i386 programs", "this kernel refuses i386 programs", "running i386 code")
}

// Int80Works reports whether int $0x80 in a 64-bit process makes an i386
// system call here (getpid returns the pid) or faults with SIGSEGV, as it
// does where the kernel has no i386 system call entry (IA32 emulation
// off: vector 0x80 is then a gate user code may not use, and the call
// never reaches seccomp). Skipped elsewhere than on x86_64.
func Int80Works(t testing.TB) bool {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("int $0x80 is x86_64's i386 system call entry")
	}
	return fact(t, int80Fact(), "int $0x80 in a 64-bit process makes an i386 system call",
		"int $0x80 in a 64-bit process faults", "an i386 system call from 64-bit code")
}

// StrictTrapsTSC reports whether a process in seccomp strict mode dies
// of SIGSEGV at rdtsc (strict mode disables the time stamp counter,
// PR_SET_TSC) or reads it as usual, as it does on some VMs. Skipped
// elsewhere than on x86_64; Skip when strict mode cannot be entered here
// at all.
func StrictTrapsTSC(t testing.TB) bool {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("rdtsc is an x86 instruction")
	}
	return fact(t, tscFact(), "strict mode disables the time stamp counter",
		"strict mode leaves the time stamp counter readable", "strict mode's rdtsc fault")
}

// fact logs o and returns whether the fact holds.
func fact(t testing.TB, o outcome, yes, no, lacking string) bool {
	t.Helper()
	switch {
	case o.skip != "":
		Skip(t, o.skip)
	case o.err != nil:
		t.Fatalf("machine fact probe: %v", o.err)
	case o.holds:
		t.Logf("machine fact: %s (probed: %s)", yes, o.detail)
	default:
		t.Logf("machine fact: %s (probed: %s), so %s is not exercised here", no, o.detail, lacking)
	}
	return o.holds
}

// runProbe runs prog in a child and returns what it wrote to stdout and
// how it ended; err is an error of starting it (ENOEXEC included).
func runProbe(prog []byte) (string, syscall.WaitStatus, error) {
	dir, err := os.MkdirTemp("", "sysfence-probe-")
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "probe")
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		return "", 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	var out bytes.Buffer
	cmd.Stdout = &out
	err = cmd.Run()
	if cmd.ProcessState == nil {
		return "", 0, err
	}
	return out.String(), cmd.ProcessState.Sys().(syscall.WaitStatus), nil
}

// probeI386 runs an i386 hello (i386Hello).
func probeI386(prog []byte) outcome {
	out, ws, err := runProbe(prog)
	switch {
	case errors.Is(err, syscall.ENOEXEC):
		return outcome{detail: "execve of a static i386 program: " + err.Error()}
	case err != nil:
		return outcome{err: fmt.Errorf("running a static i386 program: %w", err)}
	case ws.Exited() && ws.ExitStatus() == 0 && out == "hi\n":
		return outcome{holds: true, detail: "a static i386 program printed and exited 0"}
	}
	return outcome{err: fmt.Errorf("a static i386 program ran but ended with %v after printing %q", describe(ws), out)}
}

// int80Probe is a static x86_64 program that makes system call nr with
// the two-byte instruction insn (int $0x80: cd 80), then exits 0 if it
// returned what the 64-bit getpid returns, else 1.
func int80Probe(insn0, insn1 byte, nr uint32) []byte {
	var c []byte
	c = imm32(append(c, 0xb8), nr)        // mov eax, nr
	c = append(c, insn0, insn1)           // int $0x80
	c = append(c, 0x89, 0xc3)             // mov ebx, eax
	c = imm32(append(c, 0xb8), 39)        // mov eax, 39 (getpid)
	c = append(c, 0x0f, 0x05)             // syscall
	c = append(c, 0x31, 0xff)             // xor edi, edi
	c = append(c, 0x39, 0xd8)             // cmp eax, ebx
	c = append(c, 0x40, 0x0f, 0x95, 0xc7) // setne dil
	c = imm32(append(c, 0xb8), 60)        // mov eax, 60 (exit)
	c = append(c, 0x0f, 0x05)             // syscall
	return elfFile(true, emX86_64, c, nil)
}

// probeInt80 runs an int80Probe.
func probeInt80(prog []byte) outcome {
	out, ws, err := runProbe(prog)
	switch {
	case err != nil:
		return outcome{err: fmt.Errorf("running a static x86_64 program: %w", err)}
	case ws.Exited() && ws.ExitStatus() == 0:
		return outcome{holds: true, detail: "i386 getpid through int $0x80 returned the pid"}
	case ws.Signaled() && ws.Signal() == syscall.SIGSEGV:
		return outcome{detail: "int $0x80 raised SIGSEGV"}
	}
	return outcome{err: fmt.Errorf("i386 getpid through int $0x80 ended with %v (stdout %q): neither the pid nor SIGSEGV", describe(ws), out)}
}

// strictTSCProbe is a static x86_64 program that enters strict mode as
// sysfence makes a command do (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
// on failure it exits with the errno), runs the two-byte instruction insn
// (rdtsc: 0f 31), writes "rdtsc ran\n" and exits 0 (write and exit are
// allowed in strict mode).
func strictTSCProbe(insn0, insn1 byte) []byte {
	msg := []byte("rdtsc ran\n")
	var c []byte
	c = imm32(append(c, 0xb8), 157) // mov eax, 157 (prctl)
	c = imm32(append(c, 0xbf), 22)  // mov edi, 22 (PR_SET_SECCOMP)
	c = imm32(append(c, 0xbe), 1)   // mov esi, 1 (SECCOMP_MODE_STRICT)
	c = append(c, 0x0f, 0x05)       // syscall
	c = append(c, 0x85, 0xc0)       // test eax, eax
	c = append(c, 0x74, 11)         // jz strict
	c = append(c, 0xf7, 0xd8)       // neg eax
	c = append(c, 0x89, 0xc7)       // mov edi, eax
	c = imm32(append(c, 0xb8), 60)  // mov eax, 60 (exit)
	c = append(c, 0x0f, 0x05)       // syscall
	c = append(c, insn0, insn1)     // strict: rdtsc
	c = imm32(append(c, 0xb8), 1)   // mov eax, 1 (write)
	c = imm32(append(c, 0xbf), 1)   // mov edi, 1
	c = append(c, 0xbe)             // mov esi, msg
	at := len(c)
	c = imm32(c, 0)
	c = imm32(append(c, 0xba), uint32(len(msg))) // mov edx, len(msg)
	c = append(c, 0x0f, 0x05)                    // syscall
	c = append(c, 0x31, 0xff)                    // xor edi, edi
	c = imm32(append(c, 0xb8), 60)               // mov eax, 60 (exit)
	c = append(c, 0x0f, 0x05)                    // syscall
	binary.LittleEndian.PutUint32(c[at:], elf64Entry+uint32(len(c)))
	return elfFile(true, emX86_64, c, msg)
}

// probeStrictTSC runs a strictTSCProbe.
func probeStrictTSC(prog []byte) outcome {
	out, ws, err := runProbe(prog)
	switch {
	case err != nil:
		return outcome{err: fmt.Errorf("running a static x86_64 program: %w", err)}
	case ws.Exited() && ws.ExitStatus() == 0 && out == "rdtsc ran\n":
		return outcome{detail: "rdtsc ran in strict mode"}
	case ws.Signaled() && ws.Signal() == syscall.SIGSEGV:
		return outcome{holds: true, detail: "rdtsc in strict mode raised SIGSEGV"}
	case ws.Exited() && ws.ExitStatus() != 0 && out == "":
		return outcome{skip: "strict mode cannot be entered here: prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT): " + syscall.Errno(ws.ExitStatus()).Error()}
	}
	return outcome{err: fmt.Errorf("rdtsc in strict mode ended with %v (stdout %q): neither SIGSEGV nor a run to the end", describe(ws), out)}
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}
