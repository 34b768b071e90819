package main

import (
	"strings"
	"testing"
)

func TestSyscallsCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"name", []string{"--arch", "x86_64", "openat"}, "257\n"},
		{"number", []string{"--arch", "x86_64", "0x101"}, "openat\n"},
		{"several", []string{"--arch", "aarch64", "56", "openat"}, "openat\n56\n"},
		{"all-skips-absent", []string{"--arch", "all", "open"}, "x86          5\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, nil, append([]string{"syscalls"}, tc.args...)...)
			if code != 0 || errOut != "" || !strings.HasPrefix(out, tc.want) {
				t.Errorf("exit %d, stderr %q, stdout %q; want 0 and %q", code, errOut, out, tc.want)
			}
		})
	}
}

// Errors are one line, said once, whatever the number of arguments or
// architectures (errors.Join and --arch all used to print one line each).
func TestSyscallsErrorsOneLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"all-unknown-name", []string{"--arch", "all", "nosuchcall"},
			`unknown syscall "nosuchcall"`},
		{"all-typo", []string{"--arch", "all", "opnat"},
			`unknown syscall "opnat" (did you mean openat?)`},
		{"all-number", []string{"--arch", "all", "99999"},
			`unknown syscall: no syscall 99999 on any architecture`},
		{"several", []string{"--arch", "x86_64", "0x101", "1e3", "08"},
			`unknown syscalls: "1e3" is not a number (decimal, 0x hex or 0 octal) nor a name; "08" is not a number (a leading 0 means octal)`},
		{"duplicates", []string{"--arch", "x86_64", "opnat", "opnat"},
			`unknown syscall "opnat" (did you mean openat?)`},
		{"range", []string{"--arch", "x86_64", "4294967296"},
			`unknown syscall: 4294967296 is out of range (syscall numbers are 32-bit)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, nil, append([]string{"syscalls"}, tc.args...)...)
			if want := "sysfence: " + tc.want + "\n"; code != 1 || errOut != want {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, want)
			}
		})
	}
}
