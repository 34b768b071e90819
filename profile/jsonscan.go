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
// that profile must stay under 0.3 ms). This scanner does one pass over
// the bytes, keeps strings as substrings of one copy of the input, and
// allocates one slice per object or array.

// plain marks the bytes a string can hold without a closer look: printable
// ASCII except the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// stackPool keeps the scanner's stack between parses: growing it to the
// longest array (Docker's default has 370 names in one) on every parse
// cost more than the rest of the allocation. Nodes hold no pointers, so a
// pooled stack keeps nothing alive.
var stackPool = sync.Pool{New: func() any { s := make([]node, 0, 256); return &s }}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

type jsonScanner struct {
	src   string // the whole input
	off   int
	depth int
	err   *ParseError
	// stack collects the children of open containers; when a container
	// closes they move to arena, which holds every node of the document
	// in one allocation.
	stack []node
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

// scanJSONInto is scanJSON using arena's storage when it is large enough.
func scanJSONInto(file, src string, arena []node) (*tree, *ParseError) {
	// Every value but the first of its container follows a comma, so
	// commas + containers + 1 bounds the number of nodes: the arena never
	// grows (growing would only waste memory, not break the tree).
	n := strings.Count(src, ",") + strings.Count(src, "{") + strings.Count(src, "[") + 2
	stack := stackPool.Get().(*[]node)
	defer stackPool.Put(stack)
	if cap(arena) < n {
		arena = make([]node, 0, n)
	}
	s := &jsonScanner{src: src, arena: arena[:0], stack: (*stack)[:0]}
	defer func() { *stack = s.stack[:0] }()
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
		p.kind, p.s0, p.s1 = kStr, s0, s1
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
		p.kind, p.s0, p.s1 = k, int32(s.off), int32(s.off+len(word))
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
	p.kind, p.s0, p.s1 = kNum, int32(start), int32(s.off)
	return p
}

// string reads a quoted string at s.off and returns where its text is.
// Strings without escapes are the input itself (no copy).
func (s *jsonScanner) string() (s0, s1 int32, ok bool) {
	s.off++ // opening quote
	start := s.off
	for s.off < len(s.src) && plain[s.src[s.off]] {
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
	base := len(s.stack)
	s.skipSpace()
	if s.off < len(s.src) && s.src[s.off] == '}' {
		s.off++
		p.kind, p.first = kObj, int32(len(s.arena))
		return p
	}
	for {
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
		v.k0, v.k1, v.koff = k0, k1, koff
		s.stack = append(s.stack, v)
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
			p.kind = kObj
			p.first, p.n = s.close(base)
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
	base := len(s.stack)
	s.skipSpace()
	if s.off < len(s.src) && s.src[s.off] == ']' {
		s.off++
		p.kind, p.first = kArr, int32(len(s.arena))
		return p
	}
	for {
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
			s.stack = append(s.stack, node{kind: kStr, off: off, s0: s0, s1: s1})
		} else {
			v := s.value()
			if s.err != nil {
				return node{}
			}
			s.stack = append(s.stack, v)
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
			p.kind = kArr
			p.first, p.n = s.close(base)
			return p
		}
		s.fail("unexpected " + s.describe() + ", expected ',' or ']'")
		return node{}
	}
}

// close moves the children of the container opened at stack[base:] to the
// arena and returns where they are.
func (s *jsonScanner) close(base int) (first, n int32) {
	start := len(s.arena)
	s.arena = append(s.arena, s.stack[base:]...)
	s.stack = s.stack[:base]
	return int32(start), int32(len(s.arena) - start)
}
