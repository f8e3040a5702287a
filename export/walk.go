package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxDepth bounds how deeply nested a row may be, as encoding/json does, so
// that a hostile row cannot exhaust the stack.
const maxDepth = 10000

// kind is what a leaf value of a row is.
type kind uint8

const (
	kindNull kind = iota
	kindString
	kindNumber
	kindBool
	kindArray
	kindObject // only an empty object is ever a leaf
)

// leaf is one value at the end of a path through a row: a scalar, an array or
// an empty object. raw is its JSON text, exactly as in the row.
type leaf struct {
	kind kind
	raw  []byte
	// plain is set on a string whose text is raw without its quotes (no
	// escapes, ASCII only), and on an array or object with no whitespace
	// in it (already compact).
	plain bool
}

// walker reads one row's JSON text and reports its leaves, in document
// order, with their dotted column names. It validates as it goes, accepting
// exactly what json.Valid accepts, and keeps no state between rows but its
// reusable buffers.
type walker struct {
	data []byte
	pos  int
	// name is the dotted path of the value being read; visit sees it only
	// for the duration of the call.
	name []byte
	// keyBuf holds a decoded key that had escapes.
	keyBuf []byte
	// spaces counts the whitespace bytes skipped so far.
	spaces int
}

// errSyntax is wrapped in every malformed-row error.
var errSyntax = errors.New("row is not valid JSON")

func (w *walker) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errSyntax, what, w.pos)
}

// walk reports each leaf of row to visit, with its column name. A row that
// is an object is flattened (nested objects give dotted names); any other
// row is one leaf named "value". An empty object at the top or inside gives
// no leaf at all.
func (w *walker) walk(row []byte, visit func(name []byte, v leaf) error) error {
	w.data, w.pos, w.name = row, 0, w.name[:0]
	w.skipSpace()
	if w.pos < len(w.data) && w.data[w.pos] == '{' {
		if err := w.object(0, visit); err != nil {
			return err
		}
	} else {
		v, err := w.leaf(0)
		if err != nil {
			return err
		}
		w.name = append(w.name, "value"...)
		if err := visit(w.name, v); err != nil {
			return err
		}
	}
	w.skipSpace()
	if w.pos != len(w.data) {
		return w.fail("data after the row")
	}
	return nil
}

// object reads the object at w.pos, reporting its leaves under w.name.
func (w *walker) object(depth int, visit func([]byte, leaf) error) error {
	if depth >= maxDepth {
		return w.fail("nesting too deep")
	}
	w.pos++ // '{'
	w.skipSpace()
	if w.pos < len(w.data) && w.data[w.pos] == '}' {
		w.pos++
		return nil
	}
	prefix := len(w.name)
	for {
		w.skipSpace()
		if w.pos >= len(w.data) || w.data[w.pos] != '"' {
			return w.fail("object key expected")
		}
		key, err := w.key()
		if err != nil {
			return err
		}
		w.name = w.name[:prefix]
		if prefix > 0 {
			w.name = append(w.name, '.')
		}
		w.name = append(w.name, key...)
		w.skipSpace()
		if w.pos >= len(w.data) || w.data[w.pos] != ':' {
			return w.fail("':' expected")
		}
		w.pos++
		w.skipSpace()
		if w.pos < len(w.data) && w.data[w.pos] == '{' {
			if err := w.object(depth+1, visit); err != nil {
				return err
			}
		} else {
			v, err := w.leaf(depth + 1)
			if err != nil {
				return err
			}
			if err := visit(w.name, v); err != nil {
				return err
			}
		}
		w.skipSpace()
		if w.pos >= len(w.data) {
			return w.fail("unterminated object")
		}
		switch w.data[w.pos] {
		case ',':
			w.pos++
		case '}':
			w.pos++
			w.name = w.name[:prefix]
			return nil
		default:
			return w.fail("',' or '}' expected")
		}
	}
}

// leaf reads the value at w.pos as a leaf.
func (w *walker) leaf(depth int) (leaf, error) {
	start, spaces := w.pos, w.spaces
	k, plain, err := w.value(depth)
	if k == kindArray || k == kindObject {
		plain = w.spaces == spaces
	}
	return leaf{kind: k, raw: w.data[start:w.pos], plain: plain}, err
}

// key reads an object key and returns its decoded text, which is valid only
// until the next key is read.
func (w *walker) key() ([]byte, error) {
	start := w.pos
	plain, err := w.skipString()
	if err != nil {
		return nil, err
	}
	raw := w.data[start:w.pos]
	if plain {
		return raw[1 : len(raw)-1], nil
	}
	w.keyBuf = appendString(w.keyBuf[:0], raw)
	return w.keyBuf, nil
}

// value skips the value at w.pos, checking its syntax, and says what it is
// and, for a string, whether it is plain (see leaf). An object here is a leaf
// only when empty; value is not called for others at object level, but
// arrays may hold any objects.
func (w *walker) value(depth int) (kind, bool, error) {
	if w.pos >= len(w.data) {
		return 0, false, w.fail("value expected")
	}
	switch c := w.data[w.pos]; {
	case c == '"':
		plain, err := w.skipString()
		return kindString, plain, err
	case c == '{':
		return kindObject, false, w.skipContainer(depth, '}')
	case c == '[':
		return kindArray, false, w.skipContainer(depth, ']')
	case c == 't':
		return kindBool, false, w.literal("true")
	case c == 'f':
		return kindBool, false, w.literal("false")
	case c == 'n':
		return kindNull, false, w.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber, false, w.number()
	default:
		return 0, false, w.fail("value expected")
	}
}

// skipContainer skips an array or object (inside an array) with its
// contents, checking their syntax.
func (w *walker) skipContainer(depth int, end byte) error {
	if depth >= maxDepth {
		return w.fail("nesting too deep")
	}
	w.pos++
	w.skipSpace()
	if w.pos < len(w.data) && w.data[w.pos] == end {
		w.pos++
		return nil
	}
	for {
		w.skipSpace()
		if end == '}' {
			if w.pos >= len(w.data) || w.data[w.pos] != '"' {
				return w.fail("object key expected")
			}
			if _, err := w.skipString(); err != nil {
				return err
			}
			w.skipSpace()
			if w.pos >= len(w.data) || w.data[w.pos] != ':' {
				return w.fail("':' expected")
			}
			w.pos++
			w.skipSpace()
		}
		if _, _, err := w.value(depth + 1); err != nil {
			return err
		}
		w.skipSpace()
		if w.pos >= len(w.data) {
			return w.fail("unterminated container")
		}
		switch w.data[w.pos] {
		case ',':
			w.pos++
		case end:
			w.pos++
			return nil
		default:
			return w.fail("',' or end of container expected")
		}
	}
}

// skipString skips the string at w.pos and reports whether it is plain: no
// escapes and only ASCII, so that its text is its raw bytes.
func (w *walker) skipString() (plain bool, err error) {
	d, p := w.data, w.pos+1 // past the opening quote
	plain = true
	for {
		// Most bytes of a string are plain ASCII: pass over them quickly.
		for p < len(d) && stringClass[d[p]] == 0 {
			p++
		}
		if p >= len(d) {
			w.pos = p
			return false, w.fail("unterminated string")
		}
		switch c := d[p]; {
		case c == '"':
			w.pos = p + 1
			return plain, nil
		case c >= 0x80:
			plain = false
			p++
		case c == '\\':
			plain = false
			if p+1 >= len(d) {
				w.pos = p
				return false, w.fail("unterminated escape")
			}
			switch d[p+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p += 2
			case 'u':
				if p+6 > len(d) || !isHex4(d[p+2:p+6]) {
					w.pos = p
					return false, w.fail("bad \\u escape")
				}
				p += 6
			default:
				w.pos = p
				return false, w.fail("bad escape")
			}
		default:
			w.pos = p
			return false, w.fail("control character in string")
		}
	}
}

// stringClass is non-zero for the bytes that end a run of plain string
// text: the closing quote, a backslash, the control characters JSON
// forbids, and the bytes of non-ASCII characters. It is never written.
var stringClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = 1
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1
	}
	t['"'], t['\\'] = 1, 1
	return t
}()

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (w *walker) literal(lit string) error {
	if !bytes.HasPrefix(w.data[w.pos:], []byte(lit)) {
		return w.fail("bad literal")
	}
	w.pos += len(lit)
	return nil
}

// number skips a number, following JSON's grammar exactly:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (w *walker) number() error {
	d := w.data
	if d[w.pos] == '-' {
		w.pos++
	}
	switch {
	case w.pos < len(d) && d[w.pos] == '0':
		w.pos++
	case w.pos < len(d) && d[w.pos] >= '1' && d[w.pos] <= '9':
		w.digits()
	default:
		return w.fail("bad number")
	}
	if w.pos < len(d) && d[w.pos] == '.' {
		w.pos++
		if w.digits() == 0 {
			return w.fail("bad number")
		}
	}
	if w.pos < len(d) && (d[w.pos] == 'e' || d[w.pos] == 'E') {
		w.pos++
		if w.pos < len(d) && (d[w.pos] == '+' || d[w.pos] == '-') {
			w.pos++
		}
		if w.digits() == 0 {
			return w.fail("bad number")
		}
	}
	return nil
}

func (w *walker) digits() int {
	start := w.pos
	for w.pos < len(w.data) && w.data[w.pos] >= '0' && w.data[w.pos] <= '9' {
		w.pos++
	}
	return w.pos - start
}

func (w *walker) skipSpace() {
	d, p := w.data, w.pos
	for p < len(d) && (d[p] == ' ' || d[p] == '\n' || d[p] == '\r' || d[p] == '\t') {
		p++
	}
	w.spaces += p - w.pos
	w.pos = p
}

// appendString appends the text of the JSON string literal raw (quotes
// included, already checked) to dst. A string without escapes and with valid
// UTF-8 is copied as is; any other goes through encoding/json, which turns
// invalid UTF-8 and lone surrogates into U+FFFD.
func appendString(dst, raw []byte) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return append(dst, inner...)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// Unreachable for a literal skipString accepted; keep the raw text
		// rather than lose the cell.
		return append(dst, inner...)
	}
	return append(dst, s...)
}
