package seccomp

import (
	"errors"
	"testing"
)

func TestFilterFlagString(t *testing.T) {
	for _, tc := range []struct {
		f    FilterFlag
		want string
	}{
		{0, "0"},
		{FlagTSync, "TSYNC"},
		{FlagTSync | FlagLog, "TSYNC|LOG"},
		{FlagNewListener | FlagWaitKillableRecv, "NEW_LISTENER|WAIT_KILLABLE_RECV"},
		{FlagSpecAllow | 1<<9, "SPEC_ALLOW|0x200"},
	} {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("flags=%#x: String() = %q, want %q", uint32(tc.f), got, tc.want)
		}
	}
}

func TestFilterFlagValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    FilterFlag
		ok   bool
	}{
		{"flags=TSYNC", FlagTSync, true},
		{"flags=TSYNC|NEW_LISTENER", FlagTSync | FlagNewListener, false},
		{"flags=TSYNC|NEW_LISTENER|TSYNC_ESRCH", FlagTSync | FlagNewListener | FlagTSyncESRCH, true},
		{"flags=WAIT_KILLABLE_RECV", FlagWaitKillableRecv, false},
		{"flags=NEW_LISTENER|WAIT_KILLABLE_RECV", FlagNewListener | FlagWaitKillableRecv, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestLoadErrorUnwraps(t *testing.T) {
	e := &LoadError{Flags: FlagTSync, Err: ErrNotSupported}
	if !errors.Is(e, ErrNotSupported) {
		t.Fatal("LoadError does not unwrap to its cause")
	}
}
