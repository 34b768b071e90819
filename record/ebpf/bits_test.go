//go:build linux && amd64

package ebpf

import (
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// TestTrackBits runs the track/untrack sequences in the kernel
// (BPF_PROG_TEST_RUN) and checks the bitmap and the live counter: setting
// a bit twice counts once, clearing a clear bit counts nothing.
func TestTrackBits(t *testing.T) {
	r := newRecorder(t, Options{})
	const tid = 1000
	for i, step := range []struct {
		op       string
		set      bool
		wantLive int64
	}{{"track", true, 1}, {"track", true, 1}, {"untrack", false, 0}, {"untrack", false, 0}} {
		b := &builder{}
		b.Emit(asm.StoreImm(asm.RFP, fpTid, tid, asm.Word))
		if step.op == "track" {
			b.track(&r.maps, fpTid)
		} else {
			b.untrack(&r.maps, fpTid)
		}
		b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.RawTracepoint, License: "Dual MIT/GPL", Instructions: b.Insns})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Run(&ebpf.RunOptions{Context: make([]byte, 16)})
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		var w uint64
		var live int64
		r.maps.tracked.Lookup(uint32(tid/64), &w)
		r.maps.stats.Lookup(uint32(statLive), &live)
		if want := uint64(0); step.set {
			want = 1 << (tid % 64)
			if w != want {
				t.Errorf("step %d %s: word %#x, want %#x", i, step.op, w, want)
			}
		} else if w != 0 {
			t.Errorf("step %d %s: word %#x, want 0", i, step.op, w)
		}
		if live != step.wantLive {
			t.Errorf("step %d %s: live %d, want %d", i, step.op, live, step.wantLive)
		}
	}
}
