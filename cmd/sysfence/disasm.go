package main

import (
	"io"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
)

func newDisasmCmd() *cobra.Command {
	var pf profileFlags
	var format string
	var asJSON, force bool
	c := &cobra.Command{
		Use:   "disasm FILE.bpf|PROFILE|NAME|- [--arch A] [--format text|dot] [--json] [--force]",
		Short: "Disassemble a seccomp BPF filter into a readable listing",
		Long: `Disassemble a raw seccomp filter (a struct sock_filter array, 8 bytes per
instruction, as written by 'sysfence compile --format raw', libseccomp's
seccomp_export_bpf or bwrap --seccomp) into a listing like seccomp-tools':

   line  CODE  JT   JF      K
  =================================
   0000: 0x20 0x00 0x00 0x00000004  A = arch
   0001: 0x15 0x00 0x05 0xc000003e  if (A != ARCH_X86_64) goto 0007
   0002: 0x20 0x00 0x00 0x00000000  A = sys_number
   0003: 0x15 0x02 0x00 0x00000101  if (A == openat) goto 0006

Syscall numbers are named for the architecture the filter has just compared
(x32 numbers as x32:NAME), argument words as args[N] (low) or (high) in that
architecture's byte order, and return values as actions (ALLOW, ERRNO(1),
KILL_PROCESS, ...). --arch gives the byte order of the file and the
architecture assumed before the filter compares one (default: this
machine's). --format dot writes the control-flow graph for Graphviz. A
filter the kernel would refuse (which also catches a profile saved as
*.bpf) is an error naming the first bad instruction; --force lists it
anyway, with that as a warning.

A profile (file, "-", or a built-in name) is compiled first, as 'sysfence
compile' would with the same --arch/--cap/--kernel/--no-enosys flags, and its
filter listed.`,
		Example: `  sysfence disasm filter.bpf
  sysfence disasm docker-default --arch x86_64
  sysfence compile docker-default --format raw | sysfence disasm -
  sysfence disasm --arch s390x s390x.bpf
  sysfence disasm --format dot filter.bpf | dot -Tsvg > filter.svg`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "dot" {
				return cli.Usagef("--format: unknown format %q (text or dot)", format)
			}
			if asJSON && format == "dot" {
				return cli.Usagef("--json and --format dot cannot be combined")
			}
			in, err := loadFilterInput(cmd.InOrStdin(), cmd.ErrOrStderr(), args[0], &pf, &force)
			if err != nil {
				return err
			}
			prog, arch := in.prog, in.arch
			out := cmd.OutOrStdout()
			opts := bpf.Options{Arch: arch}
			switch {
			case format == "dot":
				return bpf.Dot(out, prog, opts)
			case asJSON:
				return cli.WriteJSON(out, bpf.Disassemble(prog, opts))
			}
			_, err = io.WriteString(out, bpf.Disassemble(prog, opts).String())
			return err
		},
	}
	pf.register(c.Flags())
	c.Flags().StringVar(&format, "format", "text", "output format: text or dot")
	c.Flags().BoolVar(&asJSON, "json", false, "print the listing as JSON")
	c.Flags().BoolVar(&force, "force", false, "list a raw filter the kernel would refuse (with a warning) instead of failing")
	return c
}
