package filterdump_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/filterdump"
	"github.com/sysfence/sysfence/seccomp"
)

// Three threads of a process: two under one filter, one that also got a
// filter of its own (loaded without TSYNC).
func Example() {
	allowAll := seccomp.Filter{Program: bpf.Program{bpf.Ret(0x7fff0000)}}
	denyUname := seccomp.Filter{Program: bpf.Program{
		bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, 63, 0, 1), bpf.Ret(0x00050001), bpf.Ret(0x7fff0000)}}
	thread := func(tid int, fs ...seccomp.Filter) seccomp.ThreadFilters {
		return seccomp.ThreadFilters{Task: seccomp.Task{PID: 100, TID: tid, Name: "app", Mode: seccomp.ModeFilter, NumFilters: len(fs)}, Filters: fs}
	}
	p := filterdump.New(100, []seccomp.ThreadFilters{
		thread(100, allowAll), thread(101, allowAll), thread(102, allowAll, denyUname)})
	for _, s := range p.Stacks {
		fmt.Printf("%s: %s\n", filterdump.ThreadList(s.TIDs), s.Summary())
	}
	fmt.Println(p.Findings()[0])
	// Output:
	// threads 100-101: 1 filter (1 instruction)
	// thread 102: 2 filters (1, 4 instructions)
	// process 100 (app): threads are under different filter stacks (a filter loaded without TSYNC?): threads 100-101 1 filter (1 instruction); thread 102 2 filters (1, 4 instructions)
}
