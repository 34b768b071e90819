package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/syscalls"
)

func newSyscallsCmd() *cobra.Command {
	var archName string
	var asJSON bool
	c := &cobra.Command{
		Use:   "syscalls [--arch A] [NAME|NR ...]",
		Short: "Resolve syscall names and numbers, or list an architecture's table",
		Long: `Resolve syscall names to numbers and numbers to names, like libseccomp's
scmp_sys_resolver, for any of the 23 seccomp ABIs. With no argument, list the
whole table of the architecture. Numbers are what the kernel reports in
seccomp_data.nr (x32 numbers carry 0x40000000, MIPS numbers their 4000/5000/6000
base). --arch all resolves each argument on every architecture.

Tables: Linux ` + syscalls.TableVersion + `.`,
		Example: `  sysfence syscalls openat               # 257 on x86_64
  sysfence syscalls --arch aarch64 56    # openat
  sysfence syscalls --arch all clone3    # its number on every ABI
  sysfence syscalls --arch x86 --json    # the i386 table as JSON`,
		Args: argsBetween(0, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			var arches []*syscalls.Arch
			if archName == "all" {
				arches = syscalls.Arches()
			} else {
				a, err := resolveArch(archName)
				if err != nil {
					return err
				}
				arches = []*syscalls.Arch{a}
			}
			type row struct {
				Arch string `json:"arch"`
				Name string `json:"name"`
				Nr   uint32 `json:"nr"`
			}
			var rows []row
			if len(args) == 0 {
				for _, a := range arches {
					for _, s := range a.Syscalls() {
						rows = append(rows, row{a.Name, s.Name, s.Nr})
					}
				}
				if asJSON {
					return cli.WriteJSON(out, rows)
				}
				for _, r := range rows {
					if len(arches) > 1 {
						fmt.Fprintf(out, "%-12s ", r.Arch)
					}
					fmt.Fprintf(out, "%-10d %s\n", r.Nr, r.Name)
				}
				return nil
			}
			var failed []error
			for _, arg := range args {
				found := false
				var errs []error
				for _, a := range arches {
					r, err := resolveOne(a, arg)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					found = true
					rows = append(rows, row{a.Name, r.Name, r.Nr})
					if asJSON {
						continue
					}
					switch {
					case len(arches) > 1:
						fmt.Fprintf(out, "%-12s %d\n", a.Name, r.Nr)
					case isNumber(arg):
						fmt.Fprintln(out, r.Name)
					default:
						fmt.Fprintln(out, r.Nr)
					}
				}
				switch {
				case len(arches) == 1:
					failed = append(failed, errs...)
				case !found && isNumber(arg):
					failed = append(failed, fmt.Errorf("%w: no syscall %s on any architecture", syscalls.ErrUnknownSyscall, arg))
				case !found:
					// --arch all: said once, not once per ABI (the
					// reason, e.g. an unknown name, is the same on all).
					failed = append(failed, errs[0])
				}
				// else absent on some ABIs only: --arch all lists where
				// it exists.
			}
			if asJSON {
				if rows == nil {
					rows = []row{}
				}
				if err := cli.WriteJSON(out, rows); err != nil {
					return err
				}
			}
			if len(failed) > 0 {
				return cli.Failed(joinUnknown(failed))
			}
			return nil
		},
	}
	c.Flags().StringVarP(&archName, "arch", "a", "", "architecture (libseccomp, OCI or Go name; \"all\" for every one); default: this machine's")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// resolveArch turns a --arch value into an ABI; empty means the machine's.
func resolveArch(name string) (*syscalls.Arch, error) {
	if name == "" {
		a, err := syscalls.Native()
		if err != nil {
			return nil, cli.Usage(err)
		}
		return a, nil
	}
	a, err := syscalls.ArchByName(name)
	if err != nil {
		if s := syscalls.Closest(name, syscalls.ArchNames()); s != "" {
			return nil, cli.Usagef("--arch: unknown architecture %q (did you mean %s?)", name, s)
		}
		return nil, cli.Usagef("--arch: unknown architecture %q (known: %s)", name, strings.Join(syscalls.ArchNames(), ", "))
	}
	return a, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 0, 32)
	return err == nil
}

// joinUnknown makes one sentence of the errors of several arguments
// (errors.Join would print one line each): "unknown syscalls: "1e3" is
// not a number ...; "opnat" (did you mean openat?)". Duplicates are said
// once. The errors still match ErrUnknownSyscall.
func joinUnknown(errs []error) error {
	var details []string
	for _, err := range errs {
		d := err.Error()
		if errors.Is(err, syscalls.ErrUnknownSyscall) {
			d = strings.TrimPrefix(d, syscalls.ErrUnknownSyscall.Error())
			d = strings.TrimSpace(strings.TrimPrefix(d, ":"))
		}
		if !slices.Contains(details, d) {
			details = append(details, d)
		}
	}
	if len(details) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w: %s", errUnknownSyscalls{errs}, strings.Join(details, "; "))
}

// errUnknownSyscalls wraps several ErrUnknownSyscall errors under a plural
// wording.
type errUnknownSyscalls struct{ errs []error }

func (errUnknownSyscalls) Error() string     { return "unknown syscalls" }
func (e errUnknownSyscalls) Unwrap() []error { return e.errs }

// resolveOne resolves a syscall name or number on one ABI. Syscall names
// start with a letter or _: an argument starting with a digit is a number
// or an error saying why not (not a syscall name close to it).
func resolveOne(a *syscalls.Arch, arg string) (syscalls.Syscall, error) {
	n, err := strconv.ParseUint(arg, 0, 32)
	if err != nil && arg != "" && '0' <= arg[0] && arg[0] <= '9' {
		switch {
		case errors.Is(err, strconv.ErrRange):
			return syscalls.Syscall{}, fmt.Errorf("%w: %s is out of range (syscall numbers are 32-bit)", syscalls.ErrUnknownSyscall, arg)
		case len(arg) > 1 && arg[0] == '0' && strings.Trim(arg, "0123456789") == "":
			return syscalls.Syscall{}, fmt.Errorf("%w: %q is not a number (a leading 0 means octal)", syscalls.ErrUnknownSyscall, arg)
		default:
			return syscalls.Syscall{}, fmt.Errorf("%w: %q is not a number (decimal, 0x hex or 0 octal) nor a name", syscalls.ErrUnknownSyscall, arg)
		}
	}
	if err == nil {
		nr := uint32(n)
		if a.IsX32() {
			nr |= syscalls.X32SyscallBit
		}
		if name, ok := a.SyscallName(nr); ok {
			return syscalls.Syscall{Name: name, Nr: nr}, nil
		}
		if a.NrBase > 0 && !a.IsX32() && nr < a.NrBase {
			if name, ok := a.SyscallName(nr + a.NrBase); ok {
				return syscalls.Syscall{}, fmt.Errorf("%w: no syscall %d on %s (numbers there start at %d: %d is %s)", syscalls.ErrUnknownSyscall, n, a.Name, a.NrBase, nr+a.NrBase, name)
			}
		}
		return syscalls.Syscall{}, fmt.Errorf("%w: no syscall %d on %s", syscalls.ErrUnknownSyscall, n, a.Name)
	}
	nr, err := a.Lookup(arg)
	if err != nil {
		return syscalls.Syscall{}, err
	}
	return syscalls.Syscall{Name: arg, Nr: nr}, nil
}
