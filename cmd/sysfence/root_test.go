package main

import (
	"strings"
	"testing"
)

// An unknown command is one line with the closest command, exit 2 (cobra
// printed "Did you mean this?" over several lines), also when flags of the
// intended command follow it.
func TestUnknownCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compil"}, `unknown command "compil" (did you mean compile?); see 'sysfence --help'`},
		{[]string{"chek", "docker-default", "read"}, `unknown command "chek" (did you mean check?); see 'sysfence --help'`},
		{[]string{"compil", "docker-default", "-o", "x.bpf"}, `unknown command "compil" (did you mean compile?); see 'sysfence --help'`},
		{[]string{"xyzzy"}, `unknown command "xyzzy"; see 'sysfence --help'`},
		{[]string{"--bogus"}, `unknown flag: --bogus (see 'sysfence --help')`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, nil, tc.args...)
			if want := "sysfence: " + tc.want + "\n"; code != 2 || errOut != want || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, want)
			}
		})
	}
	// No command at all is help, exit 0.
	out, _, code := runCLI(t, nil)
	if code != 0 || !strings.Contains(out, "Available Commands:") {
		t.Errorf("no arguments: exit %d\n%s", code, out)
	}
}
