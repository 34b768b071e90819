package testenv

import (
	"runtime"
	"testing"
)

// TestMachineFacts probes every fact of this machine and logs it: each
// probe gives an answer it knows how to classify.
func TestMachineFacts(t *testing.T) {
	CanExecI386(t)
	if runtime.GOARCH == "amd64" {
		Int80Works(t)
		StrictTrapsTSC(t)
	}
}

// The probes tell each outcome apart. This machine shows one answer per
// fact; variants of the probe programs whose outcome is the same on every
// x86_64 machine show the others: an e_machine no kernel runs is refused
// with ENOEXEC as an i386 program is by a kernel without i386 support;
// int $0x81 (a vector user code may not raise) faults with SIGSEGV as
// int $0x80 does where there is no i386 system call entry, and a
// `syscall` getpid returns the pid as a working int $0x80 getpid does;
// nops in strict mode run to the end as rdtsc does where it is not
// trapped, and hlt (privileged) faults as a trapped rdtsc does.
func TestProbesTellEachOutcome(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the probe programs are x86_64 code")
	}
	for _, tc := range []struct {
		name  string
		probe func() outcome
		holds bool
	}{
		{"fact=i386/prog=unknown-machine", func() outcome { return probeI386(i386Hello(emNone)) }, false},
		{"fact=int80/insn=int-0x81", func() outcome { return probeInt80(int80Probe(0xcd, 0x81, 20)) }, false},
		{"fact=int80/insn=syscall", func() outcome { return probeInt80(int80Probe(0x0f, 0x05, 39)) }, true},
		{"fact=strict-tsc/insn=nop", func() outcome { return probeStrictTSC(strictTSCProbe(0x90, 0x90)) }, false},
		{"fact=strict-tsc/insn=hlt", func() outcome { return probeStrictTSC(strictTSCProbe(0xf4, 0x90)) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.probe()
			if o.skip != "" {
				Skip(t, o.skip)
			}
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.holds != tc.holds {
				t.Errorf("the probe says %v (%s), want %v", o.holds, o.detail, tc.holds)
			}
		})
	}
}
