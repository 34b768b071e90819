package compile

import (
	"fmt"
	"os"
	"testing"

	"github.com/sysfence/sysfence/bpf"
)

func disasm(p *Program) string {
	s := ""
	for i, ins := range p.Filter {
		var txt string
		switch {
		case ins.Op == bpf.ClassLD|bpf.SizeW|bpf.ModeABS:
			txt = fmt.Sprintf("ld [%d]", ins.K)
		case ins.Class() == bpf.ClassRET:
			txt = fmt.Sprintf("ret %#x", ins.K)
		case ins.Op == bpf.ClassJMP|bpf.JmpJA:
			txt = fmt.Sprintf("ja %d", i+1+int(ins.K))
		case ins.Class() == bpf.ClassJMP:
			name := map[uint16]string{bpf.JmpJEQ: "jeq", bpf.JmpJGT: "jgt", bpf.JmpJGE: "jge", bpf.JmpJSET: "jset"}[ins.Op&0xf0]
			txt = fmt.Sprintf("%s %#x, %d, %d", name, ins.K, i+1+int(ins.Jt), i+1+int(ins.Jf))
		case ins.Class() == bpf.ClassALU:
			txt = fmt.Sprintf("alu %#x %#x", ins.Op, ins.K)
		default:
			txt = fmt.Sprintf("op=%#x k=%#x", ins.Op, ins.K)
		}
		note := ""
		if p.Notes != nil {
			note = p.Notes[i].String()
		}
		s += fmt.Sprintf("%4d: %-28s ; %s\n", i, txt, note)
	}
	return s
}

func TestDumpDocker(t *testing.T) {
	if os.Getenv("SYSFENCE_DUMP") == "" {
		t.Skip("set SYSFENCE_DUMP=1 to print the Docker default filter")
	}
	p, err := Compile(dockerDefault(t, os.Getenv("SYSFENCE_DUMP") == "3"), Options{Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Print(disasm(p))
}
