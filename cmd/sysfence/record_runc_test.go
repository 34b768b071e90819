package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/runctest"
	"github.com/sysfence/sysfence/internal/testenv"
)

// TestRecordAcceptanceRunc is the acceptance loop with runc as the
// enforcer: a workload recorded on the host with --for runc runs in a
// runc container under the recorded profile (resolved as Docker resolves
// it) with the same output and exit status as untraced on the host, and a
// syscall the recording never saw is denied there too. The container sees
// the host's /usr and /etc and the test programs, read-only at the same
// paths (the busybox root of internal/runctest has /bin only), a tmpfs at
// /tmp and the host's network; the recording runs in the container's
// environment and working directory, so that both runs are the same
// program doing the same thing.
func TestRecordAcceptanceRunc(t *testing.T) {
	requireRun(t)
	b := runctest.NewT(t, runctest.Config{HostNetwork: true})
	probe := recordProg(t, "testdata/record/probe.c", "-nostdlib", "-static", "-fno-stack-protector")
	workloads := acceptanceWorkloads(t)
	for i := range workloads {
		if workloads[i].name == "shell-loop-tar" {
			// Absolute paths: the container's /bin is busybox.
			workloads[i].argv = []string{"/usr/bin/sh", "-c", "for i in $(/usr/bin/seq 100); do /usr/bin/true; done; /usr/bin/tar -C /usr -cf - share/doc | /usr/bin/wc -c"}
		}
	}
	for _, l := range []string{"lib", "lib64"} {
		target, err := os.Readlink("/" + l)
		if err != nil {
			testenv.Skip(t, "the host's /"+l+" is not a symbolic link into /usr (merged /usr): "+err.Error())
		}
		if err := os.Symlink(target, filepath.Join(b.Rootfs, l)); err != nil {
			t.Fatal(err)
		}
	}
	progs := filepath.Dir(probe)
	mounts := func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}})
		for _, dir := range []string{"/usr", "/etc", progs} { // progs may be under /tmp: after it
			s.Mounts = append(s.Mounts, specs.Mount{Destination: dir, Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
		}
	}
	env := append([]string{}, b.Spec.Process.Env...)
	cwd := b.Spec.Process.Cwd
	hostRun := func(cmd *exec.Cmd) ran {
		cmd.Env, cmd.Dir = env, cwd
		return runIt(t, cmd)
	}
	ctx := context.Background()
	bes := backends(t)
	for _, w := range workloads {
		for _, be := range bes {
			t.Run("workload="+w.name+"/backend="+be, func(t *testing.T) {
				want := hostRun(exec.Command(w.argv[0], w.argv[1:]...))
				if want.code != w.code {
					t.Fatalf("untraced run: %+v, want exit status %d", want, w.code)
				}
				path := filepath.Join(t.TempDir(), "recorded.json")
				rec := sysfence(append([]string{"record", "-q", "--backend", be, "--for", "runc", "-o", path, "--"}, w.argv...)...)
				rec.Env = append(slices.Clone(env), "SYSFENCE_HELPER=1")
				rec.Dir = cwd
				if got := runIt(t, rec); got.stdout != want.stdout || got.code != want.code {
					t.Fatalf("while recorded: %+v, want %+v", got, want)
				}
				oci := runctest.ResolvedOCI(t, path)
				res, err := b.Run(ctx, runctest.Run{Args: w.argv, Seccomp: oci, Edit: mounts})
				if err != nil {
					t.Fatal(err)
				}
				if res.Stdout != want.stdout || res.ExitCode != want.code || res.Stderr != want.stderr {
					t.Errorf("runc under the recorded profile: %v\nwant stdout %q stderr %q exit %d", res, want.stdout, want.stderr, want.code)
				}
				// A syscall the recording never saw: EPERM in the container.
				_, names := rules(t, path)
				nr := "99"
				if slices.Contains(names, "sysinfo") {
					nr = "309" // getcpu
				}
				// The probe ends with exit_group: a recording of a command
				// that died of a signal never saw one, and denies it; the
				// probe then stops at its hlt (SIGSEGV).
				probeCode := 0
				if !slices.Contains(names, "exit_group") {
					probeCode = 128 + 11
				}
				res, err = b.Run(ctx, runctest.Run{Args: []string{probe, nr}, Seccomp: oci, Edit: mounts})
				if err != nil {
					t.Fatal(err)
				}
				if res.Stdout != "-1\n" || res.ExitCode != probeCode {
					t.Errorf("an unrecorded syscall under runc: %v", res)
				}
			})
		}
	}
	// Without --for runc, runc cannot even start the container: what it
	// calls after loading the filter was never recorded.
	t.Run("without-for-runc", func(t *testing.T) {
		hello := recordProg(t, "testdata/record/hello.c")
		path := filepath.Join(t.TempDir(), "recorded.json")
		if r := runIt(t, sysfence("record", "-q", "-o", path, "--", hello)); r.code != 0 {
			t.Fatal(r)
		}
		res, err := b.Run(ctx, runctest.Run{Args: []string{hello}, Seccomp: runctest.ResolvedOCI(t, path), Edit: mounts})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == 0 && strings.Contains(res.Stdout, "Hello") {
			t.Errorf("runc ran a container whose profile lacks runc's own syscalls: %v", res)
		}
		t.Logf("runc with a profile recorded for sysfence: exit %d, %s", res.ExitCode, strings.TrimSpace(res.RuncLog))
	})
}
