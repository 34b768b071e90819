package profile

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written JSON scanner that builds the positioned node tree.
//
// Why not encoding/json: it reports no line:column for a field (only a byte
// offset for syntax errors, none at all for a field of the wrong type or an
// unknown one), it silently takes the last of duplicate keys, and decoding
// Docker's default profile through it and then re-scanning for positions
// costs several times the whole parse budget (parse + resolve + compile of
// that profile must stay under 0.3 ms). This scanner keeps strings as
// substrings of one copy of the input and allocates the nodes of the
// whole document at once: a first pass over the bytes counts the values
// of every container, so that each container's children get a block of
// exactly their number in one arena when it opens, and the second pass
// (the parse) fills them in place. Collecting children on a stack and
// moving them to the arena when the container closes cost three times the
// arena for a long array (the stack grows by doubling, and both live at
// once): a 10 MB profile of one long names list took 20 times its size.

// plainBits marks the bytes a string can hold without a closer look:
// printable ASCII (0x20-0x7e) except the quote (0x22) and the backslash
// (0x5c), one bit per byte value (static data, nothing built at init).
var plainBits = [4]uint64{0xffff_fffb_0000_0000, 0x7fff_ffff_efff_ffff}

// plain reports whether a string can hold c without a closer look.
func plain(c byte) bool { return plainBits[c>>6]&(1<<(c&63)) != 0 }

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

type jsonScanner struct {
	src   string // the whole input
	off   int
	depth int
	err   *ParseError
	// counts[c] is the number of values directly inside the c-th
	// container of the document, in the order they open (countValues);
	// next is the index of the next container to open.
	counts []int32
	next   int
	// arena holds every node of the document; a container's children are
	// a block of it, reserved when the container opens.
	arena []node
	// extra holds strings that had to be decoded (escapes); node offsets
	// past len(src) point into it.
	extra []byte
}

// scanJSON parses src as one JSON value followed only by whitespace.
func scanJSON(file, src string) (*tree, *ParseError) { return scanJSONInto(file, src, nil) }

// arenaPool recycles the node arenas of parses whose tree is not kept
// (see parse): on this kind of machine fresh memory costs more than
// scanning it.
var arenaPool = sync.Pool{New: func() any { return new([]node) }}

// countsPool recycles the first pass's counts (see arenaPool).
var countsPool = sync.Pool{New: func() any { s := make([]int32, 0, 256); return &s }}

// maxPooledNodes is the largest arena kept in arenaPool (and counts in
// countsPool): sixteen times
// Docker's default profile.
const maxPooledNodes = 1 << 14

// scanJSONInto is scanJSON using arena's storage when it is large enough.
func scanJSONInto(file, src string, arena []node) (*tree, *ParseError) {
	pooled := countsPool.Get().(*[]int32)
	counts, n := countValues(src, (*pooled)[:0])
	defer func() {
		if cap(counts) <= maxPooledNodes {
			*pooled = counts
			countsPool.Put(pooled)
		}
	}()
	if cap(arena) < n {
		arena = make([]node, 0, n)
	}
	s := &jsonScanner{src: src, arena: arena[:0], counts: counts}
	if strings.HasPrefix(src, "\xef\xbb\xbf") { // UTF-8 byte order mark
		s.off = 3
	}
	s.skipSpace()
	root := s.value()
	if s.err == nil {
		s.skipSpace()
		if s.off < len(s.src) {
			s.fail("unexpected " + s.describe() + " after the top-level value")
		}
	}
	if s.err != nil {
		s.err.File = file
		return nil, s.err
	}
	t := &tree{text: src, src: src}
	if len(s.extra) > 0 {
		t.text = src + string(s.extra)
	}
	s.arena = append(s.arena, root)
	t.nodes = s.arena
	return t, nil
}

// countValues is the first pass: the number of values directly inside
// each container of src, in the order the containers open, and the
// number of nodes of the whole document (every value, and the root). It
// knows JSON's tokens only as far as counting needs: strings (whose
// commas and brackets do not count), brackets and commas; a container
// holds one value more than the commas directly inside it, or none. For
// a well-formed prefix of the input its counts are those the parse
// finds, and past it they can only be larger (a stray closer ends a
// container, which the parse refuses there), so the parse never writes
// past a container's block. It stops at the nesting the parse refuses.
func countValues(src string, counts []int32) ([]int32, int) {
	var open [maxDepth]int32 // the open containers' indexes in counts
	depth := 0
	for i := 0; i < len(src); i++ {
		// Only a few bytes matter: skip the rest in a tight loop.
		for i < len(src) && !structural[src[i]] {
			i++
		}
		if i == len(src) {
			break
		}
		switch src[i] {
		case '"':
			// Skip to the closing quote; a backslash escapes the byte
			// after it. (Profile strings are short: a loop is quicker
			// than a call per string to find the quote.)
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			if depth == maxDepth {
				return counts, total(counts) // the parse fails here: too deep
			}
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\n' || src[j] == '\r') {
				j++
			}
			n := int32(1)
			if j < len(src) && (src[j] == '}' || src[j] == ']') {
				n = 0
			}
			open[depth] = int32(len(counts))
			counts = append(counts, n)
			depth++
		case '}', ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth > 0 {
				counts[open[depth-1]]++
			}
		}
	}
	return counts, total(counts)
}

// structural marks the bytes countValues looks at.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true, ',': true}

// total is the number of nodes of a document: its values and the root.
func total(counts []int32) int {
	n := 1
	for _, c := range counts {
		n += int(c)
	}
	return n
}

// open reserves the block of the next container's children.
func (s *jsonScanner) open() (first, size int, ok bool) {
	if s.next >= len(s.counts) {
		s.fail("internal error: a container the first pass did not count")
		return 0, 0, false
	}
	first, size = len(s.arena), int(s.counts[s.next])
	s.next++
	if first+size > cap(s.arena) {
		s.fail("internal error: more values than the first pass counted")
		return 0, 0, false
	}
	s.arena = s.arena[:first+size]
	return first, size, true
}

// add stores child k of the container whose block starts at first.
func (s *jsonScanner) add(first, size, k int, v node) bool {
	if k >= size {
		s.fail("internal error: more values than the first pass counted")
		return false
	}
	s.arena[first+k] = v
	return true
}

func (s *jsonScanner) fail(msg string) {
	if s.err == nil {
		p := offsetPos(s.src, lineStarts(s.src), s.off)
		s.err = &ParseError{Line: p.Line, Col: p.Col, Msg: msg, Kind: ErrSyntax}
	}
}

// describe names the byte at the current offset for an error message.
func (s *jsonScanner) describe() string {
	if s.off >= len(s.src) {
		return "end of input"
	}
	c := s.src[s.off]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	r, _ := utf8.DecodeRuneInString(s.src[s.off:])
	return "character " + strconv.QuoteRune(r)
}

func (s *jsonScanner) skipSpace() {
	for s.off < len(s.src) {
		switch s.src[s.off] {
		case ' ', '\t', '\r', '\n':
			s.off++
		default:
			return
		}
	}
}

func (s *jsonScanner) value() node {
	if s.off >= len(s.src) {
		s.fail("unexpected end of input, expected a value")
		return node{}
	}
	p := node{off: int32(s.off)}
	switch c := s.src[s.off]; {
	case c == '{':
		return s.object(p)
	case c == '[':
		return s.array(p)
	case c == '"':
		s0, s1, ok := s.string()
		if !ok {
			return node{}
		}
		p.kind, p.a, p.b = kStr, s0, s1
		return p
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number(p)
	case c == 't':
		return s.literal(p, "true", kBool)
	case c == 'f':
		return s.literal(p, "false", kBool)
	case c == 'n':
		return s.literal(p, "null", kNull)
	}
	s.fail("unexpected " + s.describe() + ", expected a value")
	return node{}
}

func (s *jsonScanner) literal(p node, word string, k kind) node {
	if len(s.src)-s.off >= len(word) && s.src[s.off:s.off+len(word)] == word {
		p.kind, p.a, p.b = k, int32(s.off), int32(s.off+len(word))
		s.off += len(word)
		if s.off < len(s.src) && isIdent(s.src[s.off]) {
			s.fail("invalid literal, expected " + word)
			return node{}
		}
		return p
	}
	s.fail("invalid literal (JSON needs true, false, null, a number or a \"quoted string\")")
	return node{}
}

func isIdent(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number accepts exactly JSON's grammar and keeps the literal text.
func (s *jsonScanner) number(p node) node {
	start := s.off
	if s.src[s.off] == '-' {
		s.off++
	}
	switch {
	case s.off < len(s.src) && s.src[s.off] == '0':
		s.off++
	case s.off < len(s.src) && isDigit(s.src[s.off]):
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
	default:
		s.fail("invalid number")
		return node{}
	}
	if s.off < len(s.src) && s.src[s.off] == '.' {
		s.off++
		if s.off >= len(s.src) || !isDigit(s.src[s.off]) {
			s.fail("invalid number: digits expected after the decimal point")
			return node{}
		}
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
	}
	if s.off < len(s.src) && (s.src[s.off] == 'e' || s.src[s.off] == 'E') {
		s.off++
		if s.off < len(s.src) && (s.src[s.off] == '+' || s.src[s.off] == '-') {
			s.off++
		}
		if s.off >= len(s.src) || !isDigit(s.src[s.off]) {
			s.fail("invalid number: digits expected in the exponent")
			return node{}
		}
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
	}
	if s.off < len(s.src) && (isIdent(s.src[s.off]) || s.src[s.off] == '.') {
		s.off = start
		s.fail("invalid number (JSON numbers are decimal: no hex, octal or leading zeros)")
		return node{}
	}
	p.kind, p.a, p.b = kNum, int32(start), int32(s.off)
	return p
}

// string reads a quoted string at s.off and returns where its text is.
// Strings without escapes are the input itself (no copy).
func (s *jsonScanner) string() (s0, s1 int32, ok bool) {
	s.off++ // opening quote
	start := s.off
	for s.off < len(s.src) && plain(s.src[s.off]) {
		s.off++
	}
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == '"':
			s.off++
			return int32(start), int32(s.off - 1), true
		case c == '\\':
			return s.escapedString(start)
		case c < 0x20:
			if c == '\n' {
				s.fail("unterminated string (a newline inside a string must be written \\n)")
			} else {
				s.fail("control character " + strconv.QuoteRune(rune(c)) + " in string (escape it)")
			}
			return 0, 0, false
		case c < utf8.RuneSelf:
			s.off++
		default:
			r, size := utf8.DecodeRuneInString(s.src[s.off:])
			if r == utf8.RuneError && size == 1 {
				s.fail("invalid UTF-8 in string")
				return 0, 0, false
			}
			s.off += size
		}
	}
	s.fail("unterminated string")
	return 0, 0, false
}

// escapedString continues string() once a backslash is seen, decoding
// into s.extra.
func (s *jsonScanner) escapedString(start int) (s0, s1 int32, ok bool) {
	from := len(s.extra)
	buf := append(s.extra, s.src[start:s.off]...)
	defer func() { s.extra = buf }()
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == '"':
			s.off++
			return int32(len(s.src) + from), int32(len(s.src) + len(buf)), true
		case c == '\\':
			if s.off+1 >= len(s.src) {
				s.off++
				s.fail("unterminated string")
				return 0, 0, false
			}
			e := s.src[s.off+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := s.hex4(s.off + 2)
				if !ok {
					return 0, 0, false
				}
				n := 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if s.off+12 <= len(s.src) && s.src[s.off+6] == '\\' && s.src[s.off+7] == 'u' {
						save := s.err
						r2, ok2 = s.hex4(s.off + 8)
						s.err = save
					}
					if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
						r, n = d, 12
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
				s.off += n
				continue
			default:
				s.fail("invalid escape " + strconv.Quote(`\`+string(rune(e))) + " in string")
				return 0, 0, false
			}
			s.off += 2
		case c < 0x20:
			s.fail("control character " + strconv.QuoteRune(rune(c)) + " in string (escape it)")
			return 0, 0, false
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			s.off++
		default:
			r, size := utf8.DecodeRuneInString(s.src[s.off:])
			if r == utf8.RuneError && size == 1 {
				s.fail("invalid UTF-8 in string")
				return 0, 0, false
			}
			buf = append(buf, s.src[s.off:s.off+size]...)
			s.off += size
		}
	}
	s.fail("unterminated string")
	return 0, 0, false
}

// hex4 reads the four hex digits of a \u escape starting at offset at.
func (s *jsonScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.src) {
		s.off = min(at, len(s.src))
		s.fail(`invalid \u escape: four hex digits expected`)
		return 0, false
	}
	var r rune
	for i := at; i < at+4; i++ {
		c := s.src[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			s.off = i
			s.fail(`invalid \u escape: four hex digits expected`)
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func (s *jsonScanner) enter() bool {
	s.depth++
	if s.depth > maxDepth {
		s.fail("nesting too deep")
		return false
	}
	return true
}

func (s *jsonScanner) object(p node) node {
	if !s.enter() {
		return node{}
	}
	defer func() { s.depth-- }()
	s.off++ // {
	first, size, ok := s.open()
	if !ok {
		return node{}
	}
	s.skipSpace()
	if s.off < len(s.src) && s.src[s.off] == '}' {
		s.off++
		p.kind, p.a = kObj, int32(first)
		return p
	}
	for k := 0; ; k++ {
		if s.off >= len(s.src) {
			s.fail("unexpected end of input, expected a \"key\" or '}'")
			return node{}
		}
		if s.src[s.off] != '"' {
			if s.src[s.off] == '}' {
				s.fail("trailing comma before '}' (JSON does not allow one)")
			} else {
				s.fail("unexpected " + s.describe() + ", expected a \"quoted key\"")
			}
			return node{}
		}
		koff := int32(s.off)
		k0, k1, ok := s.string()
		if !ok {
			return node{}
		}
		s.skipSpace()
		if s.off >= len(s.src) || s.src[s.off] != ':' {
			s.fail("unexpected " + s.describe() + ", expected ':' after the key")
			return node{}
		}
		s.off++
		s.skipSpace()
		v := s.value()
		if s.err != nil {
			return node{}
		}
		if k0 >= int32(len(s.src)) {
			// Decoded from escapes: the key's position goes before it.
			key := string(s.extra[k0-int32(len(s.src)) : k1-int32(len(s.src))])
			s.extra, k0, k1 = appendKey(s.extra, len(s.src), key, koff)
		}
		v.k0, v.k1 = k0, k1
		if !s.add(first, size, k, v) {
			return node{}
		}
		s.skipSpace()
		if s.off >= len(s.src) {
			s.fail("unexpected end of input, expected ',' or '}'")
			return node{}
		}
		switch s.src[s.off] {
		case ',':
			s.off++
			s.skipSpace()
			continue
		case '}':
			s.off++
			p.kind, p.a, p.b = kObj, int32(first), int32(k+1)
			return p
		}
		s.fail("unexpected " + s.describe() + ", expected ',' or '}'")
		return node{}
	}
}

func (s *jsonScanner) array(p node) node {
	if !s.enter() {
		return node{}
	}
	defer func() { s.depth-- }()
	s.off++ // [
	first, size, ok := s.open()
	if !ok {
		return node{}
	}
	s.skipSpace()
	if s.off < len(s.src) && s.src[s.off] == ']' {
		s.off++
		p.kind, p.a = kArr, int32(first)
		return p
	}
	for k := 0; ; k++ {
		if s.off < len(s.src) && s.src[s.off] == ']' {
			s.fail("trailing comma before ']' (JSON does not allow one)")
			return node{}
		}
		if s.off < len(s.src) && s.src[s.off] == '"' {
			// Fast path for lists of names, the bulk of a profile.
			off := int32(s.off)
			s0, s1, ok := s.string()
			if !ok {
				return node{}
			}
			if !s.add(first, size, k, node{kind: kStr, off: off, a: s0, b: s1}) {
				return node{}
			}
		} else {
			v := s.value()
			if s.err != nil || !s.add(first, size, k, v) {
				return node{}
			}
		}
		s.skipSpace()
		if s.off >= len(s.src) {
			s.fail("unexpected end of input, expected ',' or ']'")
			return node{}
		}
		switch s.src[s.off] {
		case ',':
			s.off++
			s.skipSpace()
			continue
		case ']':
			s.off++
			p.kind, p.a, p.b = kArr, int32(first), int32(k+1)
			return p
		}
		s.fail("unexpected " + s.describe() + ", expected ',' or ']'")
		return node{}
	}
}
