package policy

import (
	"fmt"

	"github.com/sysfence/sysfence/syscalls"
)

// Builder assembles a Policy the way runc drives libseccomp
// (seccomp_init, seccomp_arch_add, seccomp_rule_add): a default action,
// the ABIs, then rules by syscall name, each resolved on every ABI.
// FromOCI feeds it a profile's entries; the Go API feeds it the same
// entries and its own rules. There is one way rules are made.
type Builder struct {
	p      *Policy
	strict bool
	warns  []Warning
}

// NewBuilder starts a policy with the given default action for the
// native ABI (always first, as libseccomp always includes it). Bad
// architectures get KILL_THREAD, libseccomp's default, which runc keeps;
// set Policy().BadArch to change it.
func NewBuilder(def Action, native *syscalls.Arch, opts Options) *Builder {
	p := &Policy{DefaultAction: def, BadArch: ActKillThread, ENOSYS: opts.ENOSYS}
	p.Arches = append(p.Arches, &ArchPolicy{Arch: native})
	return &Builder{p: p, strict: opts.Strict}
}

// AddArch adds an ABI (once). An ABI of the other byte order than the
// native one is refused, as libseccomp's seccomp_arch_add refuses it; the
// error's sentence has no subject ("is big-endian but ..."), for the
// caller to name the ABI as its input does.
func (b *Builder) AddArch(a *syscalls.Arch) error {
	native := b.p.Arches[0].Arch
	if a.BigEndian != native.BigEndian {
		return fmt.Errorf("is %s but the filter's native architecture %s is %s; %w",
			endianness(a), native.Name, endianness(native), ErrByteOrder)
	}
	for _, ap := range b.p.Arches {
		if ap.Arch == a {
			return nil
		}
	}
	b.p.Arches = append(b.p.Arches, &ArchPolicy{Arch: a})
	return nil
}

// grow reserves room for n more rules per ABI.
func (b *Builder) grow(n int) {
	for _, ap := range b.p.Arches {
		if cap(ap.Rules)-len(ap.Rules) < n {
			rules := make([]Rule, len(ap.Rules), len(ap.Rules)+n+n/8)
			copy(rules, ap.Rules)
			ap.Rules = rules
		}
	}
}

// AddName adds the rules of one syscall name with action act on every
// ABI: one rule per condition set (the sets are ORed, the conditions of a
// set ANDed; nil sets or a nil set is unconditional), with Origin.Entry =
// entry. As runc does:
//
//   - an action equal to the default adds nothing (runc skips the entry
//     before it resolves the name), but the name still counts for MaxNr;
//   - MaxNr per ABI is runc's findLastSyscalls: the highest number a name
//     resolves to there, socket and IPC names on multiplexing ABIs aside
//     (libseccomp resolves those to pseudo numbers);
//   - on ABIs that multiplex socket and SysV IPC calls, such a name adds
//     first a rule on socketcall(2)/ipc(2) whose argument 0 is the call
//     number (libseccomp drops the set's own argument-0 conditions there),
//     then one on the direct syscall if the ABI has one;
//   - a name an ABI lacks is skipped there, with a Warning.
//
// It reports whether some ABI has the name (false also for a name equal
// to the default action's, which adds nothing anywhere).
func (b *Builder) AddName(entry int, name string, act Action, sets [][]Cond) bool {
	if len(sets) == 0 {
		sets = unconditional
	}
	id, known := syscalls.LookupID(name)
	muxName := isMuxName(name)
	found := false
	for _, ap := range b.p.Arches {
		a := ap.Arch
		var nr uint32
		direct := false
		if known {
			nr, direct = a.NumberOf(id)
		}
		muxABI := a.Multiplexed && muxName
		if direct && !muxABI && nr > ap.MaxNr {
			ap.MaxNr = nr
		}
		if act == b.p.DefaultAction {
			continue // runc skips it before resolving the name
		}
		var mux syscalls.Mux
		muxed := false
		if muxABI {
			mux, muxed = a.Mux(name)
		}
		if !direct && !muxed {
			b.warns = append(b.warns, Warning{Entry: entry, Name: name, Arch: a.Name, Unknown: !known})
			continue
		}
		found = true
		origin := Origin{Entry: entry, Name: name}
		for _, conds := range sets {
			if muxed {
				mo := origin
				mo.Mux = mux.Name
				ap.Rules = append(ap.Rules, Rule{Nr: mux.Nr, Action: act, Conds: muxConds(conds, mux.Call), Origin: mo})
			}
			if direct {
				ap.Rules = append(ap.Rules, Rule{Nr: nr, Action: act, Conds: conds, Origin: origin})
			}
		}
	}
	return found
}

// Policy returns the policy built so far and the names skipped on some
// ABI. The policy is the Builder's: build another for another policy.
func (b *Builder) Policy() (*Policy, []Warning) { return b.p, b.warns }
