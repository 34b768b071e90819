package main

import (
	"bytes"
	"os"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/atomicfile"
	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
)

func newCompileCmd() *cobra.Command {
	var pf profileFlags
	var format, output string
	c := &cobra.Command{
		Use:   "compile PROFILE|NAME|- [--arch A] [--cap LIST] [--kernel X.Y] [--no-enosys] [--format raw|disasm|c|go|json] [-o FILE]",
		Short: "Compile a seccomp profile into a BPF filter",
		Long: `Compile a Docker/OCI/Podman/Kubernetes seccomp profile (a file, "-" for stdin,
or a built-in name such as docker-default) into a classic BPF seccomp filter,
resolved for a target exactly as Docker and runc would: the architecture
(--arch; its archMap sub-architectures are added), the container's bounding
capabilities (--cap) and the kernel (--kernel) decide includes/excludes.

Formats: raw is the struct sock_filter array in the target's byte order, 8
bytes per instruction, what 'bwrap --seccomp FD' and libseccomp's export
write; disasm a readable listing; c a C array; go a Go literal; json an array
of {code,jt,jf,k}. The default is raw, which is not written to a terminal:
give -o FILE or another --format. -o - is standard output; -o FILE replaces
FILE atomically, and writes a device or FIFO (e.g. /dev/null) directly.`,
		Example: `  sysfence compile docker-default -o docker.bpf
  sysfence compile profile.json --format disasm
  sysfence compile docker-default --arch aarch64 --cap default,sys_admin -o arm64.bpf
  bwrap --ro-bind / / --seccomp 3 /bin/true 3< docker.bpf`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := pf.request(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			if !knownFormat(format) {
				return cli.Usagef("--format: unknown format %q (one of raw, disasm, c, go, json, dot)", format)
			}
			if output == "-" {
				output = "" // standard output, as "-" is standard input
			}
			if format == "raw" && output == "" && cli.IsTerminal(os.Stdout) && cmd.OutOrStdout() == os.Stdout {
				return cli.Usagef("refusing to write a binary filter to a terminal: give -o FILE or --format disasm")
			}
			if err := checkOutput("-o", output); err != nil {
				return err
			}
			res, err := buildProfile(req, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := bpf.Format(&buf, res.Program.Filter, format, bpf.Options{Arch: res.Policy.Arches[0].Arch}); err != nil {
				return err
			}
			if output == "" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			return atomicfile.WriteFile(output, buf.Bytes(), 0o644)
		},
	}
	pf.register(c.Flags())
	c.Flags().StringVar(&format, "format", "raw", "output format: raw, disasm, c, go, json or dot")
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE (atomically; a device or FIFO such as /dev/null directly; - for stdout) instead of stdout")
	return c
}

func knownFormat(f string) bool {
	for _, k := range bpf.Formats() {
		if k == f {
			return true
		}
	}
	return false
}

// checkOutput fails early, before any work, when path (a -o or --update
// argument; "" and "-" are standard output) could not be written as
// atomicfile.WriteFile writes it: compile, record and run --update share
// these words.
func checkOutput(flag, path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return cli.Usagef("%s: %v", flag, err)
	}
	return nil
}
