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
	marks     []int32 // characters before each markSize bytes of src (see position)
}

// node is one value. An object's children are its members, each with its
// key. It takes 24 bytes: a long names list is mostly nodes.
type node struct {
	// A string, number or literal: its text, tree.text[a:b] ("true" for
	// a literal). An object or array: its children, tree.nodes[a:a+b].
	a, b int32
	// An object member's key: tree.text[k0:k1]. Its position is the
	// quote before it when it is a substring of the JSON input; a key
	// copied into the text (decoded escapes, YAML) has its position in
	// the 4 bytes before it (see keyPos).
	k0, k1 int32
	off    int32 // where the value starts (see tree.pos)
	kind   kind
}

// len is the number of children of an object or array.
func (n *node) len() int {
	if n.kind != kObj && n.kind != kArr {
		return 0
	}
	return int(n.b)
}

// packLineCol stores a YAML position in an offset field: 20 bits of line,
// 12 of column (larger values are clamped).
func packLineCol(line, col int) int32 {
	return int32(min(max(line, 1), 1<<19-1)<<12 | min(max(col, 1), 1<<12-1))
}

func (t *tree) str(n *node) string { return t.text[n.a:n.b] }
func (t *tree) key(n *node) string { return t.text[n.k0:n.k1] }
func (t *tree) kids(n *node) []node {
	end := n.a + int32(n.len())
	return t.nodes[n.a:end:end]
}

func (t *tree) pos(n *node) Pos { return t.position(n.off) }
func (t *tree) keyPos(n *node) Pos {
	if !t.yaml && n.k0 < int32(len(t.src)) {
		return t.position(n.k0 - 1) // the opening quote
	}
	if n.k0 < 4 {
		return t.position(0) // not an object member
	}
	b := t.text[n.k0-4 : n.k0]
	return t.position(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
}

// appendKey appends a key that is not a substring of the input to text,
// after its position (see node.k0), and returns where it is.
func appendKey(text []byte, base int, key string, pos int32) ([]byte, int32, int32) {
	text = append(text, byte(pos), byte(pos>>8), byte(pos>>16), byte(pos>>24))
	k0 := base + len(text)
	text = append(text, key...)
	return text, int32(k0), int32(base + len(text))
}

// position turns an offset (or packed YAML line:column) into a Pos.
func (t *tree) position(off int32) Pos {
	if t.yaml {
		return Pos{int(off >> 12), int(off & (1<<12 - 1))}
	}
	lines, marks := t.index()
	o := min(max(int(off), 0), len(t.src))
	i := max(sort.Search(len(lines), func(i int) bool { return int(lines[i]) > o })-1, 0)
	start := min(int(lines[i]), o)
	if o-start <= markSize {
		return Pos{i + 1, utf8.RuneCountInString(t.src[start:o]) + 1}
	}
	// A long line (a compact profile is one line of megabytes): count
	// from the marks, or every position would cost a scan of its line.
	return Pos{i + 1, t.charsBefore(marks, o) - t.charsBefore(marks, start) + 1}
}

// markSize is the distance between the marks of a tree's character
// counts.
const markSize = 4096

// charsBefore counts the characters of src[:off]. A tree's text is valid
// UTF-8 (the scanner refuses anything else), where the characters are
// the bytes that do not continue a sequence: that count adds up across
// any split, so it can start at a mark.
func (t *tree) charsBefore(marks []int32, off int) int {
	m := off / markSize
	return int(marks[m]) + leadBytes(t.src[m*markSize:off])
}

// leadBytes counts the bytes of s that start a UTF-8 sequence.
func leadBytes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xc0 != 0x80 {
			n++
		}
	}
	return n
}

// index builds the line starts and the marks on first use.
func (t *tree) index() ([]int32, []int32) {
	t.linesOnce.Do(func() {
		t.lines = lineStarts(t.src)
		t.marks = make([]int32, len(t.src)/markSize+1)
		for m := 1; m < len(t.marks); m++ {
			t.marks[m] = t.marks[m-1] + int32(leadBytes(t.src[(m-1)*markSize:m*markSize]))
		}
	})
	return t.lines, t.marks
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
			if err != nil || cur.kind != kArr || i < 0 || i >= cur.len() {
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
