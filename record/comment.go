package record

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// tally is what a recorded entry's comment says, in the one format that
// Profile writes and MergeProfiles reads back:
//
//	[SUBJECT: ]COUNTS[ (ABI N, ABI N...)][, in R of T recordings][; NOTE]
//
// COUNTS is "N calls[, E errors][, and the fallback for M clone3 calls]",
// "the fallback for M clone3 calls" or "not seen". SUBJECT names the
// argument values of an argument rule ("socket(domain=AF_INET,
// type=SOCK_STREAM)"). R counts the recordings that saw the syscall (the
// name, whatever its arguments), T the recordings merged; they are left
// out for a single recording and for a syscall no recording saw.
type tally struct {
	subject     string
	calls       uint64
	clone3      uint64 // clone3 calls a clone rule stands in for
	errors      uint64
	errorsKnown bool
	perArch     []archCount
	recordings  int
	total       int
	notes       []string
}

type archCount struct {
	arch  string
	calls uint64
}

func (t *tally) String() string {
	var b strings.Builder
	if t.subject != "" {
		b.WriteString(t.subject + ": ")
	}
	switch {
	case t.calls == 0 && t.clone3 > 0:
		b.WriteString("the fallback for " + plural(t.clone3, "clone3 call"))
	case t.calls == 0:
		b.WriteString("not seen")
	default:
		b.WriteString(plural(t.calls, "call"))
		if t.errorsKnown {
			b.WriteString(", " + plural(t.errors, "error"))
		}
		if t.clone3 > 0 {
			b.WriteString(", and the fallback for " + plural(t.clone3, "clone3 call"))
		}
	}
	if len(t.perArch) > 0 {
		parts := make([]string, len(t.perArch))
		for i, a := range t.perArch {
			parts[i] = fmt.Sprintf("%s %d", a.arch, a.calls)
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	if t.total > 1 && t.recordings > 0 {
		fmt.Fprintf(&b, ", in %d of %d recordings", t.recordings, t.total)
	}
	for _, n := range t.notes {
		b.WriteString("; " + n)
	}
	return b.String()
}

func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// tallyRE is compiled on first use: package initialisation is paid by
// every sysfence command, `run` included.
var tallyRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:(\S+\(.*?\)): )?` + // subject
		`(?:(not seen)|the fallback for (\d+) clone3 calls?|(\d+) calls?(?:, (\d+) errors?)?(?:, and the fallback for (\d+) clone3 calls?)?)` +
		`(?: \(((?:[a-z0-9_]+ \d+)(?:, [a-z0-9_]+ \d+)*)\))?` + // per ABI
		`(?:, in (\d+) of (\d+) recordings)?` +
		`(?:; (.*))?$`)
})

// parseTally reads a comment written by Profile; ok is false for any
// other comment.
func parseTally(s string) (t tally, ok bool) {
	m := tallyRE().FindStringSubmatch(s)
	if m == nil {
		return t, false
	}
	num := func(s string) uint64 {
		n, _ := strconv.ParseUint(s, 10, 64)
		return n
	}
	t.subject = m[1]
	switch {
	case m[2] != "":
	case m[3] != "":
		t.clone3 = num(m[3])
	default:
		t.calls = num(m[4])
		if m[5] != "" {
			t.errors, t.errorsKnown = num(m[5]), true
		}
		t.clone3 = num(m[6])
	}
	if m[7] != "" {
		for _, p := range strings.Split(m[7], ", ") {
			name, n, _ := strings.Cut(p, " ")
			t.perArch = append(t.perArch, archCount{name, num(n)})
		}
	}
	t.recordings, t.total = 0, 1
	if t.calls > 0 {
		t.recordings = 1
	}
	if m[8] != "" {
		t.recordings, t.total = int(num(m[8])), int(num(m[9]))
	}
	if m[10] != "" {
		t.notes = strings.Split(m[10], "; ")
	}
	return t, true
}
