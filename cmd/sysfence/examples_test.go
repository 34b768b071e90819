package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cobra "github.com/sysfence/sysfence/internal/cmdline"
	pflag "github.com/sysfence/sysfence/internal/cmdline"
)

// exampleProfile is the profile.json the examples name: mount is denied.
const exampleProfile = `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write", "openat", "close", "exit_group"], "action": "SCMP_ACT_ALLOW"}
  ]
}
`

// runsExamples are the commands whose self-contained examples are run.
// run's and record's start programs under seccomp and are left to their
// own tests (`run --strict -- /bin/true` shows a program being killed).
var runsExamples = map[string]bool{"check": true, "compile": true, "disasm": true, "syscalls": true, "lint": true, "explain": true, "diff": true}

// findsExamples are the commands whose examples may exit 1: lint's on a
// profile with findings, diff's where the two inputs differ.
var findsExamples = map[string]bool{"lint": true, "diff": true}

// TestHelpExamples checks every line of every command's Example. Each
// sysfence invocation in it must parse: known flags, the right number of
// arguments, and no flag of a command that takes no CMD after "--" (where
// it is read as an argument: `check filter.bpf openat -- -100 --json`).
// Lines that are self-contained are also run, in a directory holding the
// files the examples name, and must exit 0. Not self-contained: a pipeline
// or redirection through another program (dot, bwrap), a relative file
// that is neither such a fixture nor an output, and run/record commands
// whose CMD is not an absolute path (./server, make); see runsExamples.
func TestHelpExamples(t *testing.T) {
	dir := t.TempDir()
	fixture := func(name string, args ...string) {
		if b, err := sysfence(args...).Output(); err != nil {
			t.Fatalf("fixture %s: %v", name, err)
		} else if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "profile.json"), []byte(exampleProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	fixture("filter.bpf", "compile", "docker-default")
	fixture("s390x.bpf", "compile", "docker-default", "--arch", "s390x")

	var cmds []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		cmds = append(cmds, c)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd())
	lines := 0
	for _, c := range cmds {
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			lines++
			t.Run(c.Name()+"/"+line, func(t *testing.T) {
				words, redirect, err := shellWords(line)
				if err != nil {
					t.Fatal(err)
				}
				runnable := !redirect
				var pipeline [][]string
				for _, seg := range splitPipeline(words) {
					if len(seg) < 2 || seg[0] != "sysfence" {
						runnable = false // another program: not ours to run
						continue
					}
					ok, err := checkExampleArgs(seg[1:], dir)
					if err != nil {
						t.Fatalf("%q: %v", strings.Join(seg, " "), err)
					}
					if !runsExamples[seg[1]] {
						ok = false
					}
					runnable = runnable && ok
					pipeline = append(pipeline, seg[1:])
				}
				if !runnable {
					t.Skip("not self-contained; its arguments were checked")
				}
				var in []byte
				for _, args := range pipeline {
					cmd := sysfence(args...)
					cmd.Dir = dir
					cmd.Stdin = bytes.NewReader(in)
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					out, err := cmd.Output()
					if findsExamples[args[0]] && exitCode(err) == 1 {
						err = nil
					}
					if err != nil {
						t.Fatalf("sysfence %s: %v: %s", strings.Join(args, " "), err, stderr.String())
					}
					in = out
				}
			})
		}
	}
	if lines < 10 {
		t.Fatalf("found only %d example lines", lines)
	}
}

// checkExampleArgs parses one sysfence invocation as cobra would, without
// running it, and reports whether it is self-contained in dir.
func checkExampleArgs(args []string, dir string) (bool, error) {
	c, rest, err := newRootCmd().Find(args)
	if err != nil {
		return false, err
	}
	if c.Runnable() && !c.HasParent() && len(rest) > 0 {
		return false, errors.New("unknown command " + rest[0])
	}
	if err := c.ParseFlags(rest); err != nil {
		return false, err
	}
	pos := c.Flags().Args()
	takesCmd := strings.Contains(c.Use, "CMD")
	if dash := c.ArgsLenAtDash(); dash >= 0 && !takesCmd {
		for _, a := range pos[dash:] {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !strings.HasPrefix(a, "-") || name == "" {
				continue
			}
			if strings.HasPrefix(a, "--") && c.Flags().Lookup(name) != nil ||
				len(name) == 1 && c.Flags().ShorthandLookup(name) != nil {
				return false, errors.New("flag " + a + " comes after \"--\", where it is read as an argument: put flags before \"--\"")
			}
		}
	}
	if err := c.ValidateArgs(pos); err != nil {
		return false, err
	}
	// Self-contained: every file named exists (or is written), and run and
	// record start an absolute path.
	outputs := map[string]bool{}
	for _, n := range []string{"output", "update"} {
		if f := c.Flags().Lookup(n); f != nil && f.Changed {
			outputs[f.Value.String()] = true
		}
	}
	var words []string
	c.Flags().Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			words = append(words, sv.GetSlice()...)
		} else {
			words = append(words, f.Value.String())
		}
	})
	words = append(words, pos...)
	if takesCmd {
		cmdAt := 0
		if d := c.ArgsLenAtDash(); d >= 0 {
			cmdAt = d
		}
		if cmdAt >= len(pos) || !filepath.IsAbs(pos[cmdAt]) {
			return false, nil
		}
		words = words[:len(words)-len(pos)+cmdAt+1]
	}
	for _, w := range words {
		if strings.Contains(w, "$") {
			return false, nil // a shell expansion ("$PID"): not self-contained
		}
		looksLikeFile := strings.HasPrefix(w, "./") || strings.HasSuffix(w, ".json") || strings.HasSuffix(w, ".bpf") || strings.HasSuffix(w, ".yaml")
		if !looksLikeFile || outputs[w] {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, w)); err != nil {
			return false, nil
		}
	}
	return true, nil
}

// splitPipeline splits shell words at "|".
func splitPipeline(words []string) [][]string {
	var segs [][]string
	cur := []string{}
	for _, w := range words {
		if w == "|" {
			segs = append(segs, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return append(segs, cur)
}

// shellWords splits an example line as sh would for the simple lines help
// texts hold: blanks, '…' and "…" quoting, # comments, | as its own word.
// redirect reports an unquoted < or >.
func shellWords(line string) (words []string, redirect bool, err error) {
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '#' && !inWord:
			flush()
			return words, redirect, nil
		case ch == '|':
			flush()
			words = append(words, "|")
		case ch == '<' || ch == '>':
			redirect = true
			flush()
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(line[i+1:], ch)
			if end < 0 {
				return nil, false, errors.New("unterminated quote")
			}
			cur.WriteString(line[i+1 : i+1+end])
			inWord = true
			i += end + 1
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	flush()
	return words, redirect, nil
}
