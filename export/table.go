package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trawlhq/trawl"
)

// MaxColumns is the most columns a CSV or XLSX export has: the width of an
// Excel worksheet. Rows with more distinct fields than that (say, objects
// keyed by URL) cannot be a table; their JSON export still works.
const MaxColumns = 16384

// JoinSeparator joins the items of an array of scalars in one cell.
const JoinSeparator = "; "

// Rows walks a job's rows in order, calling yield with each row's JSON
// object, and returns the first error yield returns (or its own). The slice
// passed to yield is only valid during the call.
//
// The CSV and XLSX writers call it twice (once to learn the columns, once to
// write), so both walks must see the same rows: a caller over a running job
// bounds the walk by the row count it read beforehand.
type Rows func(yield func(row json.RawMessage) error) error

// Columns returns the table's column order for rows: the declared columns
// first, then every other column in the order it first appears.
//
// A column is a dotted path to a value that is not a non-empty object
// (gpsCoordinates.latitude). A declared column stands for itself and for
// every column under it: declaring "gpsCoordinates" places
// gpsCoordinates.latitude and gpsCoordinates.longitude there, in order of
// appearance. A declared column that no row has is still a column, left
// empty, so that every export of one scraper starts with the same header.
//
// Columns reads every row but keeps only the column names, so its memory
// does not grow with the number of rows. More than MaxColumns distinct
// columns is an EINVALID *trawl.Error.
func Columns(declared []string, rows Rows) ([]string, error) {
	var (
		w     walker
		seen  = map[string]struct{}{}
		order []string
		n     int64
	)
	err := rows(func(row json.RawMessage) error {
		n++
		err := w.walk(row, func(name []byte, _ leaf) error {
			if _, ok := seen[string(name)]; ok {
				return nil
			}
			if len(order) == MaxColumns {
				return errTooManyColumns()
			}
			seen[string(name)] = struct{}{}
			order = append(order, string(name))
			return nil
		})
		if err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	columns := arrange(declared, order)
	if len(columns) > MaxColumns {
		return nil, errTooManyColumns()
	}
	return columns, nil
}

func errTooManyColumns() error {
	return trawl.Errorf(trawl.EINVALID, "The rows have more than %d distinct fields, too many for a table; download the JSON export instead.", MaxColumns)
}

// arrange puts the declared columns (and the columns under each) first, then
// the rest in order of appearance.
func arrange(declared, appeared []string) []string {
	out := make([]string, 0, len(appeared)+len(declared))
	in := make(map[string]bool, cap(out))
	done := make(map[string]bool, len(declared))
	for _, d := range declared {
		if done[d] {
			continue
		}
		done[d] = true
		matched := false
		for _, name := range appeared {
			if !in[name] && (name == d || strings.HasPrefix(name, d) && len(name) > len(d) && name[len(d)] == '.') {
				out, in[name], matched = append(out, name), true, true
			}
		}
		if !matched && !in[d] {
			out, in[d] = append(out, d), true
		}
	}
	for _, name := range appeared {
		if !in[name] {
			out, in[name] = append(out, name), true
		}
	}
	return out
}

// cellKind is how a cell is written.
type cellKind uint8

const (
	cellEmpty  cellKind = iota // a missing field, null or an empty array
	cellText                   // a string, joined array or JSON text
	cellNumber                 // a JSON number, as written in the row
	cellBool                   // true or false
)

// cell is one value of a table row. b is valid until the next row is filled.
type cell struct {
	kind cellKind
	b    []byte
}

// table turns rows into cells in a fixed column order. It reuses its
// buffers from row to row, so it allocates little however many rows pass.
type table struct {
	columns []string
	index   map[string]int
	cells   []cell
	arena   []byte // decoded and joined cell text of the current row
	w       walker
	elems   walker // reads the items of an array cell
}

func newTable(columns []string) *table {
	t := &table{columns: columns, index: make(map[string]int, len(columns)), cells: make([]cell, len(columns))}
	for i, c := range columns {
		t.index[c] = i
	}
	return t
}

// fill reads row into t.cells. A field that appears twice keeps the last
// value, as encoding/json would.
func (t *table) fill(row []byte) error {
	clear(t.cells)
	t.arena = t.arena[:0]
	return t.w.walk(row, func(name []byte, v leaf) error {
		if i, ok := t.index[string(name)]; ok {
			t.cells[i] = t.render(v)
		}
		return nil
	})
}

// render turns one leaf into a cell: strings decoded, numbers and booleans
// as written, arrays of scalars joined with JoinSeparator, anything deeper as
// compact JSON text.
func (t *table) render(v leaf) cell {
	switch v.kind {
	case kindNull:
		return cell{}
	case kindString:
		if v.plain {
			return cell{kind: cellText, b: v.raw[1 : len(v.raw)-1]}
		}
		start := len(t.arena)
		t.arena = appendString(t.arena, v.raw)
		return cell{kind: cellText, b: t.arena[start:]}
	case kindNumber:
		return cell{kind: cellNumber, b: v.raw}
	case kindBool:
		return cell{kind: cellBool, b: v.raw}
	}
	if v.kind == kindArray && t.scalarItems(v.raw) {
		start := len(t.arena)
		n := 0
		t.eachItem(v.raw, func(item leaf) {
			if n > 0 {
				t.arena = append(t.arena, JoinSeparator...)
			}
			n++
			switch item.kind {
			case kindString:
				if item.plain {
					t.arena = append(t.arena, item.raw[1:len(item.raw)-1]...)
				} else {
					t.arena = appendString(t.arena, item.raw)
				}
			case kindNumber, kindBool:
				t.arena = append(t.arena, item.raw...)
			}
		})
		if n == 0 {
			return cell{}
		}
		return cell{kind: cellText, b: t.arena[start:]}
	}
	if v.plain {
		return cell{kind: cellText, b: v.raw} // already compact
	}
	start := len(t.arena)
	buf := bytes.NewBuffer(t.arena)
	if err := json.Compact(buf, v.raw); err != nil {
		// The walker has checked the syntax; keep the text as it is.
		buf.Write(v.raw)
	}
	t.arena = buf.Bytes()
	return cell{kind: cellText, b: t.arena[start:]}
}

// scalarItems reports whether every item of the array raw is a string,
// number, boolean or null.
func (t *table) scalarItems(raw []byte) bool {
	ok := true
	t.eachItem(raw, func(item leaf) {
		if item.kind == kindArray || item.kind == kindObject {
			ok = false
		}
	})
	return ok
}

// eachItem calls fn with each item of the array raw, which the walker has
// already checked.
func (t *table) eachItem(raw []byte, fn func(leaf)) {
	w := &t.elems
	w.data, w.pos = raw, 1
	for {
		w.skipSpace()
		if w.pos >= len(w.data) || w.data[w.pos] == ']' {
			return
		}
		v, err := w.leaf(1)
		if err != nil {
			return
		}
		fn(v)
		w.skipSpace()
		if w.pos < len(w.data) && w.data[w.pos] == ',' {
			w.pos++
		}
	}
}

// needsNeutralising reports whether a text cell would be read as a formula
// by a spreadsheet: it starts with =, +, -, @, a tab or a carriage return
// (OWASP's list for CSV injection).
func needsNeutralising(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// neutralised returns a text cell as a spreadsheet should show it: with a
// leading apostrophe when it would otherwise be a formula.
func neutralised(b []byte) string {
	if needsNeutralising(b) {
		return "'" + string(b)
	}
	return string(b)
}
