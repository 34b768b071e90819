package ebpf_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record/ebpf"
	"github.com/sysfence/sysfence/sandbox"
)

// Record a command and its children with eBPF: sandbox.Trace starts it
// stopped at its exec stop, Track starts the recording there, and the
// command then runs untraced. Counts vary with the libc; which calls
// were made does not. It prints:
//
//	exit code 3 processes 2
//	execve true exit_group true ptrace false
//
// (It needs root and a kernel with BTF, so `go test` compiles it without
// running it; TestExampleRecorderTrack runs it where it can.)
func ExampleRecorder_Track() {
	r, err := ebpf.New(ebpf.Options{})
	if err != nil {
		log.Fatal(err) // matches ebpf.ErrNotSupported, naming what is missing
	}
	defer r.Close()
	res, err := sandbox.Trace(&sandbox.Command{Path: "/bin/sh", Args: []string{"sh", "-c", "/bin/true; exit 3"}},
		&sandbox.TraceOptions{Ready: r.Track})
	if err != nil {
		log.Fatal(err)
	}
	// Descendants may outlive the command: wait for the whole tree.
	if err := r.Wait(context.Background()); err != nil {
		log.Fatal(err)
	}
	obs, err := r.Stop()
	if err != nil {
		log.Fatal(err)
	}
	names := obs.Names()
	fmt.Println("exit code", res.ExitCode, "processes", obs.Processes)
	fmt.Println("execve", slices.Contains(names, "execve"), "exit_group", slices.Contains(names, "exit_group"), "ptrace", slices.Contains(names, "ptrace"))
}

// TestExampleRecorderTrack runs ExampleRecorder_Track where eBPF
// recording works (skipping elsewhere, failing in CI) and checks that it
// prints what its comment says.
func TestExampleRecorderTrack(t *testing.T) {
	testenv.RequireRoot(t)
	r, err := ebpf.New(ebpf.Options{})
	if errors.Is(err, ebpf.ErrNotSupported) {
		testenv.Skip(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	got := captureStdout(t, ExampleRecorder_Track)
	const want = "exit code 3 processes 2\nexecve true exit_group true ptrace false\n"
	if got != want {
		t.Errorf("ExampleRecorder_Track printed\n%s\nwant\n%s", got, want)
	}
}

// captureStdout returns what f prints to os.Stdout, as go test does for
// examples.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = pw
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(pr)
		done <- string(b)
	}()
	defer func() { os.Stdout = stdout }()
	f()
	pw.Close()
	return <-done
}
