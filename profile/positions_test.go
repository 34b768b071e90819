package profile

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// Positions on a long line (a compact profile is one line) are counted
// from marks every few kilobytes rather than from the line's start; they
// must be the characters before them all the same, with multi-byte
// characters anywhere, also across a mark, and on the lines that follow.
func TestPositionsOnLongLines(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[`)
	var unknown []string
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		if i%700 == 699 {
			b.WriteString("\n ") // a few lines, all long
		}
		name := "read"
		if i%97 == 0 {
			name = fmt.Sprintf("nosuch%d", i)
			unknown = append(unknown, name)
		}
		// Comments of 1-, 2-, 3- and 4-byte characters, in lengths that
		// put sequences across the marks.
		comment := strings.Repeat("é€😀a", i%5)
		fmt.Fprintf(&b, `{"names":["%s"],"action":"SCMP_ACT_ALLOW","comment":"%s"}`, name, comment)
	}
	b.WriteString("]}\n")
	src := b.String()
	if len(src) < 20*markSize {
		t.Fatalf("only %d bytes", len(src))
	}
	p, err := Parse("long.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != len(unknown) {
		t.Fatalf("%d warnings, want %d", len(p.Warnings), len(unknown))
	}
	for i, w := range p.Warnings {
		off := strings.Index(src, `"`+unknown[i]+`"`)
		line := strings.Count(src[:off], "\n") + 1
		col := utf8.RuneCountInString(src[strings.LastIndexByte(src[:off], '\n')+1:off]) + 1
		if w.Line != line || w.Col != col {
			t.Errorf("%s at %d:%d, want %d:%d", unknown[i], w.Line, w.Col, line, col)
		}
	}
	// Lazily found positions (after parsing) too.
	for _, i := range []int{0, 1, 1500, 2999} {
		path := fmt.Sprintf("syscalls[%d]", i)
		off := strings.Index(src, `{"names"`)
		for range i {
			off += 1 + strings.Index(src[off+1:], `{"names"`)
		}
		line := strings.Count(src[:off], "\n") + 1
		col := utf8.RuneCountInString(src[strings.LastIndexByte(src[:off], '\n')+1:off]) + 1
		if got := p.Pos(path); got != (Pos{line, col}) {
			t.Errorf("%s at %v, want %d:%d", path, got, line, col)
		}
	}
}

// BenchmarkPositionsOnLongLine: every position of a 10 MB one-line
// profile costs the same as one at its start (it cost a scan of the line
// up to it: -v on such a profile took minutes).
func BenchmarkPositionsOnLongLine(b *testing.B) {
	data := bigProfiles()["entries/compact"]
	p, err := Parse("big.json", data)
	if err != nil {
		b.Fatal(err)
	}
	n := len(p.Seccomp.Syscalls)
	i := 0
	for b.Loop() {
		p.EntryPos(n - 1 - i%1000)
		i++
	}
}
