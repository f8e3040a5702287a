package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// bufferSize is the size of the buffer every writer puts in front of w.
const bufferSize = 64 << 10

// WriteCSV writes rows to w as RFC 4180 CSV in UTF-8 (no byte-order mark),
// with CRLF line ends and a header row of the columns Columns(declared, rows)
// gives. Nested objects become dotted columns, arrays of scalars are joined
// with JoinSeparator, deeper structures are written as JSON text, and null
// is an empty cell. A text cell that a spreadsheet would take for a formula
// gets a leading apostrophe (see the package documentation).
//
// WriteCSV walks rows twice and holds one row at a time; it writes nothing
// to w until the first walk has succeeded, so an error from that walk leaves
// w untouched.
func WriteCSV(w io.Writer, declared []string, rows Rows) error {
	columns, err := Columns(declared, rows)
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	bw := bufio.NewWriterSize(ew, bufferSize)
	header := make([]cell, len(columns))
	for i, c := range columns {
		header[i] = cell{kind: cellText, b: []byte(c)}
	}
	writeCSVRecord(bw, header)
	t := newTable(columns)
	var n int64
	err = rows(func(row json.RawMessage) error {
		n++
		if err := t.fill(row); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		writeCSVRecord(bw, t.cells)
		return ew.err // stop reading rows once the client is gone
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeCSVRecord writes one line. Errors are kept by bw and reported by its
// next Flush.
func writeCSVRecord(bw *bufio.Writer, cells []cell) {
	for i, c := range cells {
		if i > 0 {
			bw.WriteByte(',')
		}
		if len(cells) == 1 && len(c.b) == 0 {
			// A line with nothing on it would be skipped by readers.
			bw.WriteString(`""`)
			continue
		}
		writeCSVField(bw, c)
	}
	bw.WriteString("\r\n")
}

// writeCSVField writes one field, quoted when it holds a comma, a quote, a
// line break or leading space, with the apostrophe of a neutralised cell.
func writeCSVField(bw *bufio.Writer, c cell) {
	b := c.b
	prefix := c.kind == cellText && needsNeutralising(b)
	quote := len(b) > 0 && (b[0] == ' ' || b[0] == '\t')
	for i := 0; i < len(b) && !quote; i++ {
		quote = b[i] == ',' || b[i] == '"' || b[i] == '\r' || b[i] == '\n'
	}
	if !quote {
		if prefix {
			bw.WriteByte('\'')
		}
		bw.Write(b)
		return
	}
	bw.WriteByte('"')
	if prefix {
		bw.WriteByte('\'')
	}
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			bw.Write(b)
			break
		}
		bw.Write(b[:i+1])
		bw.WriteByte('"')
		b = b[i+1:]
	}
	bw.WriteByte('"')
}

// errWriter remembers the first error of w, so a writer can stop walking
// rows as soon as its output fails rather than at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
