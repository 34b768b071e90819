package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/sysfence/sysfence/internal/spotest"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
)

// recordSPO records argv into a SeccompProfile (YAML, as SPO objects are
// usually kept) and checks it against the operator's CRD schema.
func recordSPO(t *testing.T, out string, extra []string, argv ...string) {
	t.Helper()
	args := append([]string{"record", "-q", "--format", "spo", "-o", out}, extra...)
	if r := runIt(t, sysfence(append(append(args, "--"), argv...)...)); r.code != 0 {
		t.Fatalf("record: %+v", r)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := spotest.Validate(data); err != nil {
		t.Fatalf("%s is not a valid SeccompProfile: %v\n%s", out, err, data)
	}
}

// TestRecordSPOValid: record --format spo, in YAML and JSON, with
// argument rules and a runtime's additions, writes SeccompProfiles the
// Security Profiles Operator's schema accepts.
func TestRecordSPOValid(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"plain", nil},
		{"args", []string{"--args"}},
		{"runc-json", []string{"--for", "runc", "--args"}},
		{"kill-default", []string{"--default-action", "kill-process"}},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			recordSPO(t, filepath.Join(dir, tc.name+".yaml"), tc.extra, "/bin/sh", "-c", "ls / >/dev/null; uname")
		})
	}
}

// TestMergeNodesAnyOrder: the recordings of several nodes (SeccompProfile
// objects, as a ProfileRecording collects them) merge into the same
// profile in every order, through the library and through record
// --merge, and the result is valid for the operator.
func TestMergeNodesAnyOrder(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	nodes := []string{filepath.Join(dir, "node-a.yaml"), filepath.Join(dir, "node-b.yaml"), filepath.Join(dir, "node-c.yaml")}
	recordSPO(t, nodes[0], nil, "/bin/sh", "-c", "ls / >/dev/null")
	recordSPO(t, nodes[1], []string{"--args"}, "/bin/sh", "-c", "cat /etc/hostname >/dev/null")
	recordSPO(t, nodes[2], []string{"--args"}, "/bin/sh", "-c", "uname; id -u >/dev/null")
	perms := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}

	var first []byte
	for _, p := range perms {
		var ps []*profile.Profile
		for _, i := range p {
			pr, err := profile.Load(nodes[i])
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, pr)
		}
		merged, err := record.MergeProfiles(ps...)
		if err != nil {
			t.Fatal(err)
		}
		merged.File = "merged"
		data, err := profile.Marshal(merged, profile.WriteOptions{Format: profile.FormatSPO})
		if err != nil {
			t.Fatal(err)
		}
		if err := spotest.Validate(data); err != nil {
			t.Fatalf("merge %v: %v", p, err)
		}
		if first == nil {
			first = data
			t.Logf("merged:\n%s", data)
		} else if !bytes.Equal(data, first) {
			t.Errorf("merge in order %v differs from %v:\n%s", p, perms[0], data)
		}
	}

	// The same through the command line: record --merge without CMD, and
	// with one (whose recording joins them).
	for _, p := range perms {
		out := filepath.Join(dir, fmt.Sprintf("only-%d%d%d.yaml", p[0], p[1], p[2]))
		args := []string{"record", "-q", "--format", "spo", "-o", out}
		for _, i := range p {
			args = append(args, "--merge", nodes[i])
		}
		if r := runIt(t, sysfence(args...)); r.code != 0 {
			t.Fatalf("record --merge: %+v", r)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		data = regexp.MustCompile(`(?m)^  name: .*$`).ReplaceAll(data, []byte("  name: merged"))
		if !bytes.Equal(data, first) {
			t.Errorf("record --merge in order %v differs from MergeProfiles:\n%s\nwant:\n%s", p, data, first)
		}
	}
	var cli []byte
	for _, p := range perms {
		out := filepath.Join(dir, fmt.Sprintf("merged-%d%d%d.yaml", p[0], p[1], p[2]))
		args := []string{"record", "-q", "--format", "spo", "-o", out}
		for _, i := range p {
			args = append(args, "--merge", nodes[i])
		}
		if r := runIt(t, sysfence(append(args, "--", "/bin/true")...)); r.code != 0 {
			t.Fatalf("record --merge: %+v", r)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := spotest.Validate(data); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		// Only the name (from -o) may differ.
		data = regexp.MustCompile(`(?m)^  name: .*$`).ReplaceAll(data, []byte("  name: merged"))
		if cli == nil {
			cli = data
		} else if !bytes.Equal(data, cli) {
			t.Errorf("record --merge in order %v differs:\n%s\nfirst:\n%s", p, data, cli)
		}
	}
}
