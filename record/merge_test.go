package record

import (
	"errors"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/profile"
)

func TestTallyRoundTrip(t *testing.T) {
	for _, tt := range []tally{
		{calls: 3, total: 1, recordings: 1},
		{calls: 1, errors: 0, errorsKnown: true, total: 1, recordings: 1},
		{calls: 12, errors: 2, errorsKnown: true, perArch: []archCount{{"x86_64", 10}, {"x86", 2}}, recordings: 2, total: 3},
		{calls: 1, perArch: []archCount{{"x86", 1}}, total: 1, recordings: 1},
		{total: 1, notes: []string{"needed by runc after it loads the filter"}},
		{subject: "socket(domain=AF_INET, type=SOCK_STREAM)", calls: 4, recordings: 1, total: 1},
		{subject: "clone(CLONE_NEWNS|CLONE_NEWPID)", calls: 2, clone3: 3, recordings: 2, total: 2},
		{subject: "clone(no namespace flags)", clone3: 1, recordings: 1, total: 1},
		{calls: 7, recordings: 1, total: 1, notes: []string{"also needed by runc, so its arguments are not restricted"}},
		{calls: 5, recordings: 3, total: 4, notes: []string{"answered ENOSYS so that libc falls back to clone, whose flags seccomp can check"}},
		{calls: 2, recordings: 1, total: 1, notes: []string{escapedNote}},
		{calls: 2, recordings: 1, total: 1, notes: []string{escapedNote, "answered ENOSYS so that libc falls back to clone, whose flags seccomp can check"}},
	} {
		s := tt.String()
		got, ok := parseTally(s)
		if !ok {
			t.Errorf("%q does not parse", s)
			continue
		}
		if got.String() != s {
			t.Errorf("%q reads back as %q (%+v)", s, got.String(), got)
		}
	}
	for _, s := range []string{"", "hand written", "allow file access", "3 calls because"} {
		if _, ok := parseTally(s); ok {
			t.Errorf("%q parsed as a recorder's comment", s)
		}
	}
}

// recordedProfile wraps a recording's profile as record writes it.
func recordedProfile(t *testing.T, o *Observations, opts ProfileOptions, name string) *profile.Profile {
	t.Helper()
	p := profile.New(recorded(t, o, opts).Profile, nil)
	p.File = name
	return p
}

func comments(p *seccomp.Seccomp) string {
	var b strings.Builder
	for _, s := range p.Syscalls {
		b.WriteString(strings.Join(s.Names, ",") + " " + render(s) + " # " + s.Comment + "\n")
	}
	return b.String()
}

// TestMergeProfilesCountsLikeObservations: merging written profiles gives
// the same entries and comments as merging the observations themselves.
func TestMergeProfilesCountsLikeObservations(t *testing.T) {
	x64, x86 := arch(t, "x86_64"), arch(t, "x86")
	mk := func(f func(o *Observations)) *Observations {
		o := New()
		o.ArgsRecorded = true
		f(o)
		return o
	}
	add := func(o *Observations, a string, name string, calls uint64, errs int64, args ...ArgValues) {
		ar := arch(t, a)
		n := nr(t, ar, name)
		o.Add(ar, n, calls, errs)
		for _, v := range args {
			o.AddArgs(ar, n, v, 1)
		}
	}
	recs := []func() *Observations{
		func() *Observations {
			return mk(func(o *Observations) {
				add(o, "x86_64", "read", 10, 1)
				add(o, "x86_64", "socket", 2, 0, ArgValues{2, 1}, ArgValues{1, 1})
				add(o, "x86_64", "clone3", 2, 0, ArgValues{0x800000}, ArgValues{0x800000})
				o.AddEscaped(x64, nr(t, x64, "clone3"), 2)
				add(o, "x86_64", "rt_sigaction", 3, 0)
			})
		},
		func() *Observations {
			return mk(func(o *Observations) {
				add(o, "x86_64", "read", 5, 0)
				add(o, "x86", "read", 2, 2)
				add(o, "x86_64", "socket", 1, 0, ArgValues{10, 2})
				add(o, "x86", "getuid32", 1, 0)
			})
		},
		func() *Observations {
			return mk(func(o *Observations) {
				add(o, "x86", "read", 1, 0)
				add(o, "x86_64", "socket", 1, 0, ArgValues{2, 1})
				add(o, "x86_64", "clone3", 1, 0, ArgValues{0x3d0f00})
				o.AddEscaped(x64, nr(t, x64, "clone3"), 1)
			})
		},
	}
	_ = x64
	_ = x86
	for _, args := range []bool{false, true} {
		for _, rt := range []Runtime{RuntimeSysfence, RuntimeRunc} {
			opts := ProfileOptions{Args: args, For: rt}
			t.Run("args="+map[bool]string{false: "no", true: "yes"}[args]+"/for="+string(rt), func(t *testing.T) {
				// Observations merged in memory.
				want := recs[0]()
				for _, r := range recs[1:] {
					want.Merge(r())
				}
				wantP := recorded(t, want, opts).Profile
				// The same recordings written one by one and merged as
				// files, as record --merge does each time.
				got := recordedProfile(t, recs[0](), opts, "one.json")
				for i, r := range recs[1:] {
					var err error
					got, err = MergeProfiles(got, recordedProfile(t, r(), opts, "rec"+itoa(uint(i))))
					if err != nil {
						t.Fatal(err)
					}
				}
				if g, w := comments(got.Seccomp), comments(wantP); g != w {
					t.Errorf("merged profiles:\n%s\nmerged observations:\n%s", g, w)
				}
				if strings.Join(archStrings(got.Seccomp.Architectures), " ") != strings.Join(archStrings(wantP.Architectures), " ") {
					t.Errorf("architectures %v, want %v", got.Seccomp.Architectures, wantP.Architectures)
				}
			})
		}
	}
}

func TestMergeProfilesUnconditionalAbsorbsArgRules(t *testing.T) {
	x64 := arch(t, "x86_64")
	sock, clone3 := nr(t, x64, "socket"), nr(t, x64, "clone3")
	a := New()
	a.ArgsRecorded = true
	a.Add(x64, sock, 2, -1)
	a.AddArgs(x64, sock, ArgValues{2, 1}, 1)
	a.AddArgs(x64, sock, ArgValues{1, 1}, 1)
	a.Add(x64, clone3, 1, -1)
	a.AddArgs(x64, clone3, ArgValues{0x3d0f00}, 1)
	b := New()
	b.Add(x64, sock, 3, -1)
	b.Add(x64, clone3, 1, -1)
	got, err := MergeProfiles(recordedProfile(t, a, ProfileOptions{Args: true}, "a.json"), recordedProfile(t, b, ProfileOptions{}, "b.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := got.Seccomp
	if e := entries(p, "socket"); len(e) != 1 || len(e[0].Args) != 0 || e[0].Comment != "5 calls, in 2 of 2 recordings" {
		t.Errorf("socket: %s", comments(&seccomp.Seccomp{Syscalls: e}))
	}
	if e := entries(p, "clone3"); len(e) != 1 || e[0].Action != specs.ActAllow {
		t.Errorf("clone3 should be allowed: %s", comments(&seccomp.Seccomp{Syscalls: e}))
	}
	// The clone rules that stood in for clone3 stay (they are allowed).
	if e := entries(p, "clone"); len(e) != 1 || len(e[0].Args) != 1 {
		t.Errorf("clone: %s", comments(&seccomp.Seccomp{Syscalls: e}))
	}
}

func TestMergeProfilesKeepsForeignEntries(t *testing.T) {
	hand, err := profile.Parse("hand.json", []byte(`{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "I/O"},
		{"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}
	]
}`))
	if err != nil {
		t.Fatal(err)
	}
	x64 := arch(t, "x86_64")
	o := New()
	o.Add(x64, nr(t, x64, "read"), 4, -1)
	got, err := MergeProfiles(hand, recordedProfile(t, o, ProfileOptions{}, "new"))
	if err != nil {
		t.Fatal(err)
	}
	want := `kill 1 EQ 0 # 
read  # 4 calls, in 2 of 2 recordings
restart_syscall  # not seen; the kernel makes it to resume a sleep interrupted by a stop signal
write  # I/O
`
	if g := comments(got.Seccomp); g != want {
		t.Errorf("got\n%s\nwant\n%s", g, want)
	}
}

func TestMergeProfilesConflict(t *testing.T) {
	old, err := profile.Parse("old.json", []byte(`{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": []}`))
	if err != nil {
		t.Fatal(err)
	}
	x64 := arch(t, "x86_64")
	o := New()
	o.Add(x64, nr(t, x64, "read"), 1, -1)
	_, err = MergeProfiles(old, recordedProfile(t, o, ProfileOptions{}, "this recording"))
	if !errors.Is(err, profile.ErrMergeConflict) || !strings.Contains(err.Error(), "old.json") {
		t.Errorf("conflict: %v", err)
	}
}
