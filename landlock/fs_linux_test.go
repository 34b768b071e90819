//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// allowedFile is the file the scenario allows: /etc/hostname as in the
// issue, or a stand-in where the machine has none.
func allowedFile(t *testing.T) string {
	if _, err := os.Stat("/etc/hostname"); err == nil {
		return "/etc/hostname"
	}
	p := filepath.Join(t.TempDir(), "hostname")
	if err := os.WriteFile(p, []byte("stand-in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The footnote scenario: --allow-read /etc/hostname plus what execdeps adds
// lets cat read that file and nothing else.
func TestCatAllowedFileOnly(t *testing.T) {
	requireLandlock(t, 1)
	abi, _ := KernelABI()
	cat, err := exec.LookPath("cat")
	if err != nil {
		testenv.Skip(t, "cat not installed (coreutils)")
	}
	allowed := allowedFile(t)
	want, err := os.ReadFile(allowed)
	if err != nil {
		t.Fatal(err)
	}
	plan := mustPlan(t, withDeps(t, Rules{Read: []string{allowed}}, cat), abi, Options{})

	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{cat, allowed}})
	if res.Exit != 0 || res.Stdout != string(want) {
		t.Fatalf("cat %s: exit %d, stdout %q, stderr %q; want exit 0 and %q", allowed, res.Exit, res.Stdout, res.Stderr, want)
	}
	if res.Report == nil || res.Report.ABI != abi || res.Report.KernelABI != abi {
		t.Errorf("report %+v, want enforced at kernel ABI %d", res.Report, abi)
	}

	res = runHelper(t, helperSpec{Plan: plan, Argv: []string{cat, "/etc/passwd"}})
	if res.Exit != 1 || res.Stdout != "" || !strings.Contains(res.Stderr, "Permission denied") {
		t.Fatalf("cat /etc/passwd: exit %d, stdout %q, stderr %q; want exit 1 and Permission denied", res.Exit, res.Stdout, res.Stderr)
	}
}

// Without execdeps' additions the command cannot even start: the rules
// really are deny-by-default for everything execve and the loader touch.
func TestCatWithoutDepsCannotStart(t *testing.T) {
	abi := requireLandlock(t, 1)
	cat, err := exec.LookPath("cat")
	if err != nil {
		testenv.Skip(t, "cat not installed (coreutils)")
	}
	allowed := allowedFile(t)
	plan := mustPlan(t, Rules{Read: []string{allowed}}, abi, Options{})
	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{cat, allowed}})
	if res.Exit != 127 || !strings.Contains(res.Stderr, "permission denied") {
		t.Fatalf("exec cat without its deps: exit %d, stderr %q; want exec failing with EACCES", res.Exit, res.Stderr)
	}
}

// Every classic way around a path check fails to read /etc/passwd. Landlock
// checks the file the kernel actually opened, after resolution, so the path
// spelling never matters.
func TestPathEscapes(t *testing.T) {
	abi := requireLandlock(t, 1)
	const target = "/etc/passwd"
	allowed := allowedFile(t)
	esc := compileC(t, "escape")

	root := t.TempDir()
	dir := filepath.Join(root, "allowed")   // read-only
	wdir := filepath.Join(root, "writable") // read and write
	pre := filepath.Join(root, "prelinked") // read-only, holds a hard link made outside
	for _, d := range []string{dir, wdir, pre} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wdir, "mine"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// "..": from dir up to / and down to the target, spelled relative to dir.
	up := strings.Repeat("../", strings.Count(dir, "/"))
	dotdot := dir + "/" + up + strings.TrimPrefix(target, "/")
	// rename moves a file; it is tried on a secret of our own, never on
	// /etc/passwd (were the sandbox to fail, that would move it).
	secret := filepath.Join(root, "secret", "data")
	if err := os.Mkdir(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	rules := withDeps(t, Rules{Read: []string{allowed, dir, pre}, Write: []string{wdir}}, esc)
	rules.Read = append(rules.Read, wdir)
	plan := mustPlan(t, rules, abi, Options{})

	cases := []struct {
		name   string
		target string // "" is /etc/passwd
		args   []string
	}{
		{"direct", "", []string{"open", target}},
		{"symlink-in-allowed-dir", "", []string{"open", filepath.Join(dir, "link")}},
		{"dotdot-out-of-allowed-dir", "", []string{"open", dotdot}},
		{"openat2/resolve=no_symlinks,no_magiclinks,no_xdev", "", []string{"openat2", "-", target, "no_symlinks,no_magiclinks,no_xdev"}},
		{"openat2/resolve=in_root/dirfd=/etc", "", []string{"openat2", "/etc", "passwd", "in_root"}},
		{"openat2/resolve=beneath/dirfd=allowed", "", []string{"openat2", dir, "link", "beneath"}},
		{"openat2/resolve=none/dirfd=allowed/path=link", "", []string{"openat2", dir, "link", "none"}},
		{"opath-reopen-via-proc", "", []string{"opath-reopen", target}},
		{"hardlink-made-inside-writable-dir", "", []string{"link", target, filepath.Join(wdir, "hl")}},
		{"rename-into-writable-dir", secret, []string{"rename", secret, filepath.Join(wdir, "moved")}},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, struct {
			name   string
			target string
			args   []string
		}{"open_by_handle_at", "", []string{"handle", target, dir}})
	}
	for _, c := range cases {
		t.Run("via="+c.name, func(t *testing.T) {
			tgt := c.target
			if tgt == "" {
				tgt = target
			}
			res := runHelper(t, helperSpec{Plan: plan, Argv: append([]string{esc, tgt}, c.args...)})
			out := strings.TrimSpace(res.Stdout)
			if res.Exit != 0 || out == "" {
				t.Fatalf("escape %v: exit %d, stdout %q, stderr %q", c.args, res.Exit, res.Stdout, res.Stderr)
			}
			if strings.Contains(out, "unsupported") {
				testenv.Skip(t, out)
			}
			if strings.Contains(out, "READ-TARGET") || !strings.Contains(out, "denied") {
				t.Fatalf("escape %v: %s; want it denied", c.args, out)
			}
			t.Log(out)
		})
	}
	if _, err := os.Lstat(secret); err != nil {
		t.Fatalf("%s after the rename attempt: %v", secret, err)
	}

	// Control: the allowed file is readable through the same program.
	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{esc, target, "open", allowed}})
	if got := strings.TrimSpace(res.Stdout); got != "open opened-other" {
		t.Fatalf("control read of %s: %q (stderr %q)", allowed, got, res.Stderr)
	}
}

// A hard link is a second name for the same inode. Landlock grants access
// by walking up the path that was opened, so a link placed inside an
// allowed directory *before* the sandbox starts is readable: allowing a
// directory allows every inode linked into it (as with a bind mount). What
// the sandbox cannot do is make such a link itself (previous test), so the
// rule to remember is: only allow directories whose contents you trust.
func TestHardLinkMadeOutsideIsPartOfTheAllowedTree(t *testing.T) {
	abi := requireLandlock(t, 1)
	const target = "/etc/passwd"
	esc := compileC(t, "escape")
	dir := t.TempDir()
	hl := filepath.Join(dir, "hl")
	if err := os.Link(target, hl); err != nil {
		if errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) {
			testenv.Skip(t, "cannot hard-link "+target+" into the temp dir: "+err.Error())
		}
		t.Fatal(err)
	}
	plan := mustPlan(t, withDeps(t, Rules{Read: []string{dir}}, esc), abi, Options{})
	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{esc, target, "open", hl}})
	if got := strings.TrimSpace(res.Stdout); got != "open READ-TARGET" {
		t.Fatalf("pre-made hard link: %q (stderr %q); want it readable", got, res.Stderr)
	}
	res = runHelper(t, helperSpec{Plan: plan, Argv: []string{esc, target, "open", target}})
	if got := strings.TrimSpace(res.Stdout); got != "open denied EACCES" {
		t.Fatalf("%s by its own name: %q; want EACCES", target, got)
	}
}

// A second thread rewrites the path buffer between an allowed file and
// /etc/passwd while the first opens it: whatever path the kernel ends up
// resolving, the check is on the file it resolved, so the target is never
// read (a supervisor that inspected the path and answered CONTINUE would
// lose this race).
func TestPathBufferRace(t *testing.T) {
	abi := requireLandlock(t, 1)
	const target = "/etc/passwd"
	allowed := allowedFile(t)
	esc := compileC(t, "escape")
	plan := mustPlan(t, withDeps(t, Rules{Read: []string{allowed}}, esc), abi, Options{})
	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{esc, target, "race", allowed, target, "200000"}})
	out := strings.TrimSpace(res.Stdout)
	var got, other, denied, missing int
	if _, err := fmt.Sscanf(out, "race target=%d other=%d denied=%d missing=%d", &got, &other, &denied, &missing); err != nil {
		t.Fatalf("race output %q (stderr %q): %v", out, res.Stderr, err)
	}
	t.Log(out)
	if got != 0 {
		t.Fatalf("read %s %d times through the race", target, got)
	}
	if denied == 0 || other == 0 {
		t.Errorf("the race never hit both names (denied=%d other=%d): the test proves nothing", denied, other)
	}
}

// execdeps' additions are enough for real programs and scripts to start
// and do their job under deny-by-default path rules, and nothing else is
// readable.
func TestExecdepsSufficeUnderLandlock(t *testing.T) {
	abi := requireLandlock(t, 1)
	dir := t.TempDir()
	for _, f := range []string{"a", "b"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho script-ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	envScript := filepath.Join(dir, "env-script")
	if err := os.WriteFile(envScript, []byte("#!/usr/bin/env sh\necho env-ok\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		argv []string
		read []string
		want string
	}{
		{"ls", []string{"ls", dir}, []string{dir}, "a\nb\nenv-script\nscript\n"},
		{"sh-c", []string{"sh", "-c", "echo sh-ok"}, nil, "sh-ok\n"},
		{"script", []string{script}, nil, "script-ok\n"},
		{"env-script", []string{envScript}, nil, "env-ok\n"},
		{"true", []string{"true"}, nil, ""},
	} {
		t.Run("cmd="+c.name, func(t *testing.T) {
			path, err := exec.LookPath(c.argv[0])
			if err != nil {
				testenv.Skip(t, c.argv[0]+" not installed")
			}
			argv := append([]string{path}, c.argv[1:]...)
			plan := mustPlan(t, withDeps(t, Rules{Read: c.read}, path), abi, Options{})
			res := runHelper(t, helperSpec{Plan: plan, Argv: argv})
			if res.Exit != 0 || res.Stdout != c.want {
				t.Fatalf("%q: exit %d, stdout %q, stderr %q; want %q", argv, res.Exit, res.Stdout, res.Stderr, c.want)
			}
		})
	}
}

// The rights each rule kind grants, call by call: write on a directory
// creates, removes, renames within writable trees and truncates; read
// alone does none of that; device nodes are never created.
func TestRuleKindsCallByCall(t *testing.T) {
	abi := requireLandlock(t, 3)
	root := t.TempDir()
	ro, rw := filepath.Join(root, "ro"), filepath.Join(root, "rw")
	for _, d := range []string{ro, rw, filepath.Join(rw, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(ro, "file"), filepath.Join(rw, "file"), filepath.Join(rw, "gone"), filepath.Join(rw, "moving")} {
		if err := os.WriteFile(f, []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan := mustPlan(t, Rules{Read: []string{ro, rw}, Write: []string{rw}}, abi, Options{})
	type call struct {
		args []string
		want string
	}
	calls := []call{
		{[]string{"read", ro + "/file"}, "ok"},
		{[]string{"list", ro}, "ok"},
		{[]string{"write", ro + "/file"}, "EACCES"},
		{[]string{"rdonly-trunc", ro + "/file"}, "EACCES"},
		{[]string{"truncate", ro + "/file"}, "EACCES"},
		{[]string{"create", ro + "/new"}, "EACCES"},
		{[]string{"mkdir", ro + "/d"}, "EACCES"},
		{[]string{"unlink", ro + "/file"}, "EACCES"},
		{[]string{"write", rw + "/file"}, "ok"},
		{[]string{"truncate", rw + "/file"}, "ok"},
		{[]string{"create", rw + "/new"}, "ok"},
		{[]string{"mkdir", rw + "/d"}, "ok"},
		{[]string{"unlink", rw + "/gone"}, "ok"},
		{[]string{"mkfifo", rw + "/fifo"}, "ok"},
		{[]string{"symlink", rw + "/sym"}, "ok"},
		{[]string{"rename", rw + "/moving", rw + "/sub/moving"}, "ok"}, // REFER between writable dirs
		{[]string{"rename", ro + "/file", rw + "/stolen"}, "EACCES"},   // out of a read-only dir: no REMOVE_FILE there
		{[]string{"read", "/etc/passwd"}, "EACCES"},
	}
	if os.Geteuid() == 0 { // unprivileged mknod of a block device is EPERM anyway
		calls = append(calls, call{[]string{"mknod-block", rw + "/sda"}, "EACCES"})
	}
	for _, c := range calls {
		name := "op=" + c.args[0]
		for i, a := range c.args[1:] {
			name += fmt.Sprintf("/path%d=%s", i+1, strings.TrimPrefix(a, root+"/"))
		}
		t.Run(name, func(t *testing.T) {
			res := runHelper(t, helperSpec{Plan: plan, Op: "fs", Args: c.args})
			if got := strings.TrimSpace(res.Stdout); got != c.want {
				t.Fatalf("%v: %q (stderr %q), want %s", c.args, got, res.Stderr, c.want)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(ro, "file")); err != nil || string(b) != "data\n" {
		t.Fatalf("read-only file changed: %q, %v", b, err)
	}
}

// Device ioctls go with write, not read: a read-only rule on a device must
// not allow e.g. TIOCSTI on a terminal.
func TestDeviceIoctlNeedsWrite(t *testing.T) {
	abi := requireLandlock(t, 5)
	const dev = "/dev/null"
	for _, c := range []struct {
		name  string
		rules Rules
		want  string
	}{
		{"read", Rules{Read: []string{dev}}, "EACCES"},
		{"read+write", Rules{Read: []string{dev}, Write: []string{dev}}, "ENOTTY"},
		{"none", Rules{}, "ENOTTY"},
	} {
		t.Run("rules="+c.name, func(t *testing.T) {
			plan := mustPlan(t, c.rules, abi, Options{})
			res := runHelper(t, helperSpec{Plan: plan, Op: "fs", Args: []string{"ioctl-tcgets", dev}})
			if got := strings.TrimSpace(res.Stdout); got != c.want {
				t.Fatalf("TCGETS on %s: %q (stderr %q), want %s", dev, got, res.Stderr, c.want)
			}
		})
	}
}
