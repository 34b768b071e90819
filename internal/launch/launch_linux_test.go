package launch

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "noexec"), []byte("#!/bin/sh\n"), 0o644)
	for _, tc := range []struct {
		name string
		env  []string
		want error
		code int
	}{
		{"true", nil, nil, 0},
		{"", nil, ErrNotFound, 127},
		{"no-such-command-sysfence", nil, ErrNotFound, 127},
		{"/no/such/file", nil, ErrNotFound, 127},
		{filepath.Join(dir, "noexec"), nil, ErrNotExecutable, 126},
		{"noexec", []string{"PATH=" + dir}, ErrNotExecutable, 126},
		{"/tmp", nil, ErrNotExecutable, 126},
	} {
		_, err := LookPath(tc.name, tc.env, "")
		var ee *ExecError
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%q: %v", tc.name, err)
		case tc.want != nil && (!errors.Is(err, tc.want) || !errors.As(err, &ee) || ee.ExitCode() != tc.code):
			t.Errorf("%q: %v, want %v (%d)", tc.name, err, tc.want, tc.code)
		}
	}
}

// Start stops the command before its first instruction; a call injected
// there runs in it; seized and followed, it runs to its end.
func TestStartInjectFollow(t *testing.T) {
	if !Supported {
		t.Skip("the injection is written for x86_64")
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the tracer thread; it dies with the goroutine
		path, err := LookPath("true", nil, "")
		if err != nil {
			done <- err
			return
		}
		p, ws, err := Start(&Spec{Name: "true", Path: path, Argv: []string{"true"}, Files: []uintptr{0, 1, 2}})
		if err != nil || ws != nil {
			done <- errors.Join(err, errors.New("ended early"))
			return
		}
		in, err := p.Inject()
		if err == nil {
			var ret int64
			ret, err = in.Syscall(unix.SYS_GETPID)
			if err == nil && ret != int64(p.Pid) {
				err = errors.New("getpid in the command is not its pid")
			}
		}
		if err == nil {
			err = in.Restore()
		}
		if err == nil {
			err = p.Seize(FollowOptions)
		}
		if err != nil {
			p.Kill()
			done <- err
			return
		}
		ws, err = p.Follow(nopObserver{})
		if err == nil && (!ws.Exited() || ws.ExitStatus() != 0) {
			err = errors.New("true did not exit 0: " + DescribeStatus(*ws))
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type nopObserver struct{}

func (nopObserver) Signal(int, unix.Signal) {}
func (nopObserver) Exiting(int)             {}
func (nopObserver) Execed(int)              {}
