package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxYAMLNodes bounds the tree built from YAML, where aliases can expand a
// small text into an enormous document ("billion laughs").
const maxYAMLNodes = 1 << 20

// yamlLineRE finds the line number in go.yaml.in/yaml's error messages
// ("yaml: line 3: mapping values are not allowed in this context").
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// scanYAML parses one YAML document into the positioned tree, using the
// library's Node API for positions.
func scanYAML(file string, data []byte) (t *tree, perr *ParseError) {
	defer func() {
		// The YAML library is not ours: whatever it does on hostile input,
		// Parse must return an error, never panic.
		if r := recover(); r != nil {
			t, perr = nil, &ParseError{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("malformed YAML (%v)", r), Kind: ErrSyntax}
		}
	}()
	// The YAML library checks the encoding before parsing and names no
	// position; JSON input names the bad byte's line:column, so YAML does
	// too. (A UTF-16 byte order mark selects an encoding the library
	// converts itself.)
	if !bytes.HasPrefix(data, []byte{0xff, 0xfe}) && !bytes.HasPrefix(data, []byte{0xfe, 0xff}) && !utf8.Valid(data) {
		return nil, invalidUTF8(file, data)
	}
	// The profile is the one document with content: empty documents, such
	// as the one a trailing "---" starts, are no second profile.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root *yaml.Node
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, yamlSyntaxError(file, err)
		}
		if emptyDocument(&doc) {
			continue
		}
		if root != nil {
			return nil, &ParseError{File: file, Line: max(doc.Line, 1), Col: max(doc.Column, 1), Msg: "more than one YAML document; a profile is a single document", Kind: ErrSyntax}
		}
		root = &doc
		if root.Kind == yaml.DocumentNode {
			root = root.Content[0]
		}
	}
	if root == nil {
		return nil, &ParseError{File: file, Line: 1, Col: 1, Msg: "empty profile", Kind: ErrSyntax}
	}
	c := yamlConverter{file: file}
	n := c.convert(root, 0)
	if c.err != nil {
		return nil, c.err
	}
	c.nodes = append(c.nodes, n)
	return &tree{nodes: c.nodes, text: string(c.text), yaml: true}, nil
}

// emptyDocument reports whether a YAML document has no content: nothing
// (or only comments) after its "---".
func emptyDocument(doc *yaml.Node) bool {
	if doc.Kind != yaml.DocumentNode {
		return false
	}
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return len(doc.Content) == 1 && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == ""
}

// invalidUTF8 positions the first byte of data that is not UTF-8.
func invalidUTF8(file string, data []byte) *ParseError {
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	src := string(data[:min(off+1, len(data))])
	p := offsetPos(src, lineStarts(src), off)
	return &ParseError{File: file, Line: p.Line, Col: p.Col, Msg: "invalid UTF-8 (a YAML profile is UTF-8 text)", Kind: ErrSyntax}
}

func yamlSyntaxError(file string, err error) *ParseError {
	msg := err.Error()
	line := 1
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		if l, err := strconv.Atoi(m[1]); err == nil {
			line = l
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &ParseError{File: file, Line: max(line, 1), Col: 1, Msg: "malformed YAML: " + msg, Kind: ErrSyntax}
}

type yamlConverter struct {
	file  string
	count int
	err   *ParseError
	nodes []node
	text  []byte
}

func (c *yamlConverter) fail(y *yaml.Node, msg string) {
	if c.err == nil {
		c.err = &ParseError{File: c.file, Line: max(y.Line, 1), Col: max(y.Column, 1), Msg: msg, Kind: ErrSyntax}
	}
}

// addText stores s and returns its offsets.
func (c *yamlConverter) addText(s string) (int32, int32) {
	s0 := len(c.text)
	c.text = append(c.text, s...)
	return int32(s0), int32(len(c.text))
}

func (c *yamlConverter) scalar(k kind, y *yaml.Node, text string) node {
	n := node{kind: k, off: packLineCol(y.Line, y.Column)}
	n.a, n.b = c.addText(text)
	return n
}

func (c *yamlConverter) convert(y *yaml.Node, depth int) node {
	c.count++
	if c.count > maxYAMLNodes || len(c.text) > maxYAMLNodes*16 {
		c.fail(y, "document too large (YAML aliases expand to more than a million values)")
		return node{}
	}
	if depth > maxDepth {
		c.fail(y, "nesting too deep")
		return node{}
	}
	n := node{off: packLineCol(y.Line, y.Column)}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			c.fail(y, "unknown YAML alias")
			return node{}
		}
		a := c.convert(y.Alias, depth+1)
		a.off = n.off // report where the alias is used
		return a
	case yaml.MappingNode:
		kids := make([]node, 0, len(y.Content)/2)
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				c.fail(k, "a mapping key must be a plain string")
				return node{}
			}
			if k.Tag == "!!merge" {
				c.fail(k, "YAML merge keys (<<) are not supported in profiles; write the fields out")
				return node{}
			}
			val := c.convert(v, depth+1)
			if c.err != nil {
				return node{}
			}
			c.text, val.k0, val.k1 = appendKey(c.text, 0, k.Value, packLineCol(k.Line, k.Column))
			kids = append(kids, val)
		}
		n.kind = kObj
		n.a, n.b = int32(len(c.nodes)), int32(len(kids))
		c.nodes = append(c.nodes, kids...)
		return n
	case yaml.SequenceNode:
		kids := make([]node, 0, len(y.Content))
		for _, e := range y.Content {
			v := c.convert(e, depth+1)
			if c.err != nil {
				return node{}
			}
			kids = append(kids, v)
		}
		n.kind = kArr
		n.a, n.b = int32(len(c.nodes)), int32(len(kids))
		c.nodes = append(c.nodes, kids...)
		return n
	case yaml.ScalarNode:
		switch y.ShortTag() {
		case "!!null":
			return c.scalar(kNull, y, "null")
		case "!!bool":
			var b bool
			if err := y.Decode(&b); err != nil {
				c.fail(y, "invalid boolean")
				return node{}
			}
			return c.scalar(kBool, y, strconv.FormatBool(b))
		case "!!int":
			// Normalise YAML's 0x/0o/0b and underscores to decimal so the
			// decoder reads one integer syntax.
			var u uint64
			if err := y.Decode(&u); err == nil {
				return c.scalar(kNum, y, strconv.FormatUint(u, 10))
			}
			var i int64
			if err := y.Decode(&i); err == nil {
				return c.scalar(kNum, y, strconv.FormatInt(i, 10))
			}
			// Too large for 64 bits: keep the text; the decoder reports
			// the range.
			return c.scalar(kNum, y, y.Value)
		case "!!float":
			// Kept as written: the decoder says "must be an integer".
			return c.scalar(kNum, y, y.Value)
		}
		return c.scalar(kStr, y, y.Value)
	}
	c.fail(y, "unexpected YAML node")
	return node{}
}
