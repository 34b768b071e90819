package ebpf

import (
	"os/exec"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestLoopCost(t *testing.T) {
	st, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, args := range []bool{false, true} {
		r, _ := New(Options{Args: args})
		p := r.progs[3]
		s0, _ := p.Stats()
		exec.Command("/tmp/loop").Output()
		s1, _ := p.Stats()
		recordRun(t, r, "/tmp/loop")
		s2, _ := p.Stats()
		t.Logf("args=%v untracked: %.1f ns/run over %d runs; tracked: %.1f ns/run over %d", args,
			float64(s1.Runtime-s0.Runtime)/float64(s1.RunCount-s0.RunCount), s1.RunCount-s0.RunCount,
			float64(s2.Runtime-s1.Runtime)/float64(s2.RunCount-s1.RunCount), s2.RunCount-s1.RunCount)
		r.Close()
	}
}
