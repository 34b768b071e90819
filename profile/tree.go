package profile

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// kind is the type of a document node, shared by JSON and YAML input.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNum
	kStr
	kObj
	kArr
)

func (k kind) String() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "a boolean"
	case kNum:
		return "a number"
	case kStr:
		return "a string"
	case kObj:
		return "an object"
	case kArr:
		return "an array"
	}
	return "?"
}

// tree is a parsed document: JSON and YAML are both turned into it so that
// one decoder, with one set of error messages, reads both.
//
// It holds no pointers: nodes live in one slice and refer to their children
// and their text by offsets, and positions are computed only when asked
// for. A tree of Go pointers and strings for Docker's default profile
// (about a thousand values) made the allocator and the garbage collector
// cost more than the scan itself.
type tree struct {
	nodes []node
	// text holds every string of the document: the JSON input itself, then
	// strings that had to be decoded (escapes, YAML).
	text string
	// src is the JSON input (offsets count in it); nil for YAML, whose
	// nodes carry packed line:column instead.
	src string
	// yaml is set when off/koff hold packed line:column.
	yaml bool

	linesOnce sync.Once
	lines     []int32 // offsets of line starts in src, built on first use
}

// node is one value. An object's children are its members, each with its
// key.
type node struct {
	s0, s1   int32 // value text: tree.text[s0:s1] (string, number literal, "true"/"false")
	k0, k1   int32 // key text for object members
	first, n int32 // children: tree.nodes[first : first+n]
	off      int32 // where the value starts (see tree.pos)
	koff     int32 // where the key starts
	kind     kind
}

// packLineCol stores a YAML position in an offset field: 20 bits of line,
// 12 of column (larger values are clamped).
func packLineCol(line, col int) int32 {
	return int32(min(max(line, 1), 1<<19-1)<<12 | min(max(col, 1), 1<<12-1))
}

func (t *tree) str(n *node) string { return t.text[n.s0:n.s1] }
func (t *tree) key(n *node) string { return t.text[n.k0:n.k1] }
func (t *tree) kids(n *node) []node {
	return t.nodes[n.first : n.first+n.n : n.first+n.n]
}

func (t *tree) pos(n *node) Pos    { return t.position(n.off) }
func (t *tree) keyPos(n *node) Pos { return t.position(n.koff) }

// position turns an offset (or packed YAML line:column) into a Pos.
func (t *tree) position(off int32) Pos {
	if t.yaml {
		return Pos{int(off >> 12), int(off & (1<<12 - 1))}
	}
	return offsetPos(t.src, t.lineStarts(), int(off))
}

func (t *tree) lineStarts() []int32 {
	t.linesOnce.Do(func() { t.lines = lineStarts(t.src) })
	return t.lines
}

// lineStarts returns the offset of every line's first byte (after a UTF-8
// byte order mark on the first line).
func lineStarts(src string) []int32 {
	first := int32(0)
	if strings.HasPrefix(src, "\xef\xbb\xbf") {
		first = 3
	}
	lines := make([]int32, 1, 64)
	lines[0] = first
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lines = append(lines, int32(i+1))
		}
	}
	return lines
}

// offsetPos converts a byte offset to line:column, counting characters.
func offsetPos(src string, lines []int32, off int) Pos {
	off = min(max(off, 0), len(src))
	i := sort.Search(len(lines), func(i int) bool { return int(lines[i]) > off }) - 1
	i = max(i, 0)
	start := min(int(lines[i]), off)
	return Pos{i + 1, utf8.RuneCountInString(src[start:off]) + 1}
}

// get returns the member of object n named key, or nil.
func (t *tree) get(n *node, key string) *node {
	kids := t.kids(n)
	for i := range kids {
		if t.key(&kids[i]) == key {
			return &kids[i]
		}
	}
	return nil
}

// path is a field path built on the stack while decoding: it costs nothing
// until an error needs its text.
type path struct {
	parent *path
	key    string // "" for an array index
	idx    int
}

func (p *path) field(key string) path { return path{parent: p, key: key} }
func (p *path) index(i int) path      { return path{parent: p, idx: i} }

func (p *path) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

// write appends the path to b. It is recursive rather than collecting the
// chain in a slice so that paths never escape to the heap: decoding builds
// one per field.
func (p *path) write(b *strings.Builder) {
	if p == nil || (p.key == "" && p.parent == nil) {
		return
	}
	p.parent.write(b)
	if p.key != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
		return
	}
	b.WriteByte('[')
	b.WriteString(strconv.Itoa(p.idx))
	b.WriteByte(']')
}

// lookup walks a path such as "syscalls[12].args[0].op" from n and returns
// the node it names and, for a final object key, the key's position.
func (t *tree) lookup(n *node, p string) (*node, Pos, bool) {
	cur := n
	var keyPos Pos
	for p != "" {
		keyPos = Pos{}
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, Pos{}, false
			}
			i, err := strconv.Atoi(p[1:end])
			if err != nil || cur.kind != kArr || i < 0 || i >= int(cur.n) {
				return nil, Pos{}, false
			}
			cur = &t.kids(cur)[i]
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			if cur.kind != kObj {
				return nil, Pos{}, false
			}
			m := t.get(cur, p[:end])
			if m == nil {
				return nil, Pos{}, false
			}
			cur, keyPos = m, t.keyPos(m)
			p = p[end:]
		}
	}
	return cur, keyPos, true
}
