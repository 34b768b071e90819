// Package a2order is libseccomp's regression test 43-sim-a2_order
// (tests/43-sim-a2_order.{c,tests}) as data: the profile and the answers
// its table pins, for every test that holds a filter or a decision to it.
// It imports nothing of sysfence, so that any package's tests can use it.
package a2order

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Profile is the test's filter as an OCI profile: read with a2 <= 64 ->
// ALLOW and a2 > 128, 256, ..., 16384 -> ERRNO(5..12); write with
// a2 >= 32768 -> ALLOW and a2 < 128, 256, ..., 16384 -> ERRNO(5..12);
// default KILL. Each call returns a new profile.
func Profile() *specs.LinuxSeccomp {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActKill}
	add := func(name string, act specs.LinuxSeccompAction, errno uint, op specs.LinuxSeccompOperator, v uint64) {
		sc := specs.LinuxSyscall{Names: []string{name}, Action: act, Args: []specs.LinuxSeccompArg{{Index: 2, Value: v, Op: op}}}
		if act == specs.ActErrno {
			sc.ErrnoRet = &errno
		}
		oci.Syscalls = append(oci.Syscalls, sc)
	}
	add("read", specs.ActAllow, 0, specs.OpLessEqual, 64)
	for i := range uint(8) {
		add("read", specs.ActErrno, 5+i, specs.OpGreaterThan, 128<<i)
	}
	add("write", specs.ActAllow, 0, specs.OpGreaterEqual, 32768)
	for i := range uint(8) {
		add("write", specs.ActErrno, 5+i, specs.OpLessThan, 128<<i)
	}
	return oci
}

// Row is one row of the test's table: Call with the third argument A2
// (the first two are Arg0 and Arg1) is answered Want, as
// policy.Action.String spells it.
type Row struct {
	Call string
	A2   uint64
	Want string
}

// Arg0 and Arg1 are the first two arguments of every row.
const Arg0, Arg1 = 4, 0x856B008

// Rows is the test's table, every row.
var Rows = []Row{
	{"read", 30, "ALLOW"}, {"read", 64, "ALLOW"}, {"read", 65, "KILL"}, {"read", 128, "KILL"},
	{"read", 129, "ERRNO(5)"}, {"read", 250, "ERRNO(5)"}, {"read", 256, "ERRNO(5)"},
	{"read", 257, "ERRNO(6)"}, {"read", 512, "ERRNO(6)"}, {"read", 513, "ERRNO(7)"},
	{"read", 1024, "ERRNO(7)"}, {"read", 1025, "ERRNO(8)"}, {"read", 2048, "ERRNO(8)"},
	{"read", 2049, "ERRNO(9)"}, {"read", 4096, "ERRNO(9)"}, {"read", 4097, "ERRNO(10)"},
	{"read", 8192, "ERRNO(10)"}, {"read", 8193, "ERRNO(11)"}, {"read", 16384, "ERRNO(11)"},
	{"read", 16385, "ERRNO(12)"},
	{"write", 65, "ERRNO(5)"}, {"write", 128, "ERRNO(6)"}, {"write", 129, "ERRNO(6)"},
	{"write", 250, "ERRNO(6)"}, {"write", 256, "ERRNO(7)"}, {"write", 257, "ERRNO(7)"},
	{"write", 512, "ERRNO(8)"}, {"write", 513, "ERRNO(8)"}, {"write", 1024, "ERRNO(9)"},
	{"write", 1025, "ERRNO(9)"}, {"write", 2048, "ERRNO(10)"}, {"write", 2049, "ERRNO(10)"},
	{"write", 4096, "ERRNO(11)"}, {"write", 4097, "ERRNO(11)"}, {"write", 8192, "ERRNO(12)"},
	{"write", 8193, "ERRNO(12)"}, {"write", 16384, "KILL"}, {"write", 16385, "KILL"},
	{"write", 32768, "ALLOW"},
}
