package compile

import (
	"fmt"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// NoteKind tells which part of the filter an instruction belongs to.
type NoteKind uint8

const (
	NoteArch  NoteKind = iota // architecture dispatch
	NoteFront                 // the argument-checked syscalls, tested first
	NoteTree                  // the syscall-number search tree of Arch
	NoteArgs                  // the argument checks of syscall Nr on Arch
	NoteRet                   // returns Action
)

// Note says what one instruction of a compiled filter is for.
type Note struct {
	Kind   NoteKind
	Arch   *syscalls.Arch // the ABI (Front, Tree, Args)
	Nr     uint32         // the syscall (Args)
	Action policy.Action  // the action returned (Ret)
}

// String reads like a disassembler comment: "args of socket (x86_64)".
func (n Note) String() string {
	arch := ""
	if n.Arch != nil {
		arch = n.Arch.Name
	}
	switch n.Kind {
	case NoteArch:
		return "architecture"
	case NoteFront:
		return "argument-checked syscalls (" + arch + ")"
	case NoteTree:
		return "syscall tree (" + arch + ")"
	case NoteArgs:
		name := fmt.Sprint(n.Nr)
		if n.Arch != nil {
			if s, ok := n.Arch.SyscallName(n.Nr); ok {
				name = s
			}
		}
		return "args of " + name + " (" + arch + ")"
	case NoteRet:
		return "return " + n.Action.String()
	}
	return fmt.Sprintf("NoteKind(%d)", n.Kind)
}
