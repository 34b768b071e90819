package difftest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// PFC is libseccomp's pseudo filter code (seccomp_export_pfc) parsed into
// its rule trees: per ABI and syscall number, the argument tree libseccomp
// built from the rules, before it generated BPF from it. Interpreting it
// tells what libseccomp means a filter to do, so that a disagreement can be
// blamed on libseccomp's BPF generator when its program and its own tree
// differ. (PFC leaves out the x32 filtering and the arch dispatch, so it is
// only asked about syscalls of a listed ABI.)
type PFC struct {
	arches map[string]*pfcArch
}

type pfcArch struct {
	sys map[uint32]*pfcBody
	def uint32
}

// pfcBody is an action, a level of sibling nodes, or nothing (no action:
// go on with the next sibling of the parent).
type pfcBody struct {
	act   *uint32
	nodes []pfcNode
}

type pfcNode struct {
	arg         int
	word        string // "hi32", "lo32", or "" (32-bit ABI: the low word)
	op          string // "==", ">=", ">", "&"
	mask, datum uint32
	t, f        pfcBody
}

var (
	pfcArchRE = regexp.MustCompile(`^# filter for arch (\S+) \((\d+)\)$`)
	pfcSysRE  = regexp.MustCompile(`^if \(\$syscall == (\d+)\)$`)
	pfcCondRE = regexp.MustCompile(`^if \(\$a(\d)(?:\.(hi32|lo32))? (==|>=|>|& 0x([0-9a-f]+) ==) (\d+)\)$`)
)

type pfcLine struct {
	indent int
	text   string
}

// ParsePFC reads seccomp_export_pfc output of libseccomp 2.5.
func ParsePFC(text string) (*PFC, error) {
	var lines []pfcLine
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimLeft(l, " ")
		if t == "" {
			continue
		}
		lines = append(lines, pfcLine{indent: (len(l) - len(t)) / 2, text: t})
	}
	p := &PFC{arches: map[string]*pfcArch{}}
	var cur *pfcArch
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := pfcArchRE.FindStringSubmatch(l.text); m != nil {
			cur = &pfcArch{sys: map[uint32]*pfcBody{}}
			p.arches[m[1]] = cur
			continue
		}
		if cur == nil {
			continue
		}
		if l.text == "# default action" && i+1 < len(lines) {
			a, err := pfcAction(lines[i+1].text)
			if err != nil {
				return nil, err
			}
			cur.def = a
			i++
			continue
		}
		if m := pfcSysRE.FindStringSubmatch(l.text); m != nil {
			nr, _ := strconv.ParseUint(m[1], 10, 32)
			body, next, err := pfcParseBody(lines, i+1, l.indent+1)
			if err != nil {
				return nil, err
			}
			cur.sys[uint32(nr)] = &body
			i = next - 1
		}
	}
	return p, nil
}

func pfcParseBody(lines []pfcLine, i, lvl int) (pfcBody, int, error) {
	if i >= len(lines) || lines[i].indent != lvl {
		return pfcBody{}, i, nil
	}
	if strings.HasPrefix(lines[i].text, "action ") {
		a, err := pfcAction(lines[i].text)
		return pfcBody{act: &a}, i + 1, err
	}
	var b pfcBody
	for i < len(lines) && lines[i].indent == lvl {
		m := pfcCondRE.FindStringSubmatch(lines[i].text)
		if m == nil {
			break
		}
		n := pfcNode{word: m[2]}
		n.arg, _ = strconv.Atoi(m[1])
		d, _ := strconv.ParseUint(m[5], 10, 32)
		n.datum = uint32(d)
		switch {
		case m[4] != "":
			n.op = "&"
			mk, _ := strconv.ParseUint(m[4], 16, 32)
			n.mask = uint32(mk)
		default:
			n.op = m[3]
		}
		i++
		var err error
		if i < len(lines) && lines[i].indent == lvl+1 {
			if n.t, i, err = pfcParseBody(lines, i, lvl+1); err != nil {
				return b, i, err
			}
		}
		if i < len(lines) && lines[i].indent == lvl && lines[i].text == "else" {
			if n.f, i, err = pfcParseBody(lines, i+1, lvl+1); err != nil {
				return b, i, err
			}
		}
		b.nodes = append(b.nodes, n)
	}
	return b, i, nil
}

func pfcAction(s string) (uint32, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "action "), ";")
	if strings.HasPrefix(s, "0x") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		return uint32(v), err
	}
	a, err := policy.ParseAction(s)
	if err != nil {
		return 0, fmt.Errorf("pfc: %w", err)
	}
	return uint32(a), nil
}

// Decide interprets the tree for a syscall of ABI a; ok is false when the
// PFC has no filter for a.
func (p *PFC) Decide(a *syscalls.Arch, nr uint32, args *[6]uint64) (uint32, bool) {
	arch, ok := p.arches[a.Name]
	if !ok {
		return 0, false
	}
	body, ok := arch.sys[nr]
	if !ok {
		return arch.def, true
	}
	if v, ok := body.eval(args); ok {
		return v, true
	}
	return arch.def, true
}

func (b *pfcBody) eval(args *[6]uint64) (uint32, bool) {
	if b.act != nil {
		return *b.act, true
	}
	for i := range b.nodes {
		n := &b.nodes[i]
		w := uint32(args[n.arg])
		if n.word == "hi32" {
			w = uint32(args[n.arg] >> 32)
		}
		var hit bool
		switch n.op {
		case "==":
			hit = w == n.datum
		case ">=":
			hit = w >= n.datum
		case ">":
			hit = w > n.datum
		case "&":
			hit = w&n.mask == n.datum
		}
		next := &n.f
		if hit {
			next = &n.t
		}
		if v, ok := next.eval(args); ok {
			return v, true
		}
	}
	return 0, false
}
