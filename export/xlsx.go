package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Limits of a worksheet, as Excel sets them.
const (
	// xlsxMaxRows is the most rows a worksheet has, its header included.
	xlsxMaxRows = 1 << 20
	// xlsxMaxCellChars is the most UTF-16 code units a cell's text has.
	xlsxMaxCellChars = 32767
)

// xlsxColumnWidth is the width, in characters, of every column.
const xlsxColumnWidth = 20

// xlsxBoldStyle is the cell format (an index into the cellXfs of
// xlsxStyles) of the header cells.
const xlsxBoldStyle = 1

// WriteXLSX writes rows to w as an Excel workbook: the table WriteCSV
// writes, with a bold header row frozen at the top. Numbers that Excel can
// hold exactly (15 significant digits) are numeric cells and booleans are
// boolean cells; everything else is text, neutralised like the CSV's. Text
// is cut to Excel's 32,767 characters a cell; control characters, which XML
// cannot hold, are written as Excel writes them (_x0001_), so spreadsheet
// programs read back the original text. A sheet holds at most 1,048,575
// rows under its header; more rows go on to Sheet2, Sheet3 and so on, each
// with the header.
//
// Memory stays flat and small: each row is turned into sheet XML and
// compressed straight into the workbook's zip archive in w, so WriteXLSX
// holds one row, a compressor and a few buffers of 64 KiB, and writes no
// temporary file. Like WriteCSV, it walks rows twice and writes nothing to
// w until the first walk (the columns) has succeeded; an error in the
// second walk leaves w holding the start of a workbook, which the caller
// must not pass off as whole.
func WriteXLSX(w io.Writer, declared []string, rows Rows) error {
	return writeXLSX(w, declared, rows, xlsxMaxRows-1)
}

// writeXLSX is WriteXLSX with at most perSheet rows under each header.
func writeXLSX(w io.Writer, declared []string, rows Rows, perSheet int) error {
	columns, err := Columns(declared, rows)
	if err != nil {
		return err
	}
	x := newXLSXWriter(w, columns)
	if err := x.startSheet(); err != nil {
		return err
	}
	t := newTable(columns)
	var n int64
	err = rows(func(row json.RawMessage) error {
		n++
		if err := t.fill(row); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		if x.line > perSheet {
			if err := x.endSheet(); err != nil {
				return err
			}
			if err := x.startSheet(); err != nil {
				return err
			}
		}
		x.row(t.cells)
		return x.ew.err // stop reading rows once the client is gone
	})
	if err != nil {
		return err
	}
	return x.finish()
}

// xlsxWriter streams a workbook into a zip archive: the worksheets first,
// a row at a time, then the small parts that list them.
type xlsxWriter struct {
	ew  *errWriter
	out *bufio.Writer // in front of ew
	zw  *zip.Writer
	// sheet is the open worksheet part of the archive.
	sheet *bufio.Writer
	// sheets counts the worksheets started.
	sheets int
	// line is the number of the last row written to the open worksheet,
	// the header being row 1.
	line int
	// header is the header row's cells; refs the letters of each column.
	header []cell
	refs   []string
	// buf holds the XML of one cell (or of a part) on its way out.
	buf []byte
}

func newXLSXWriter(w io.Writer, columns []string) *xlsxWriter {
	ew := &errWriter{w: w}
	out := bufio.NewWriterSize(ew, bufferSize)
	zw := zip.NewWriter(out)
	// One compressor serves every part in turn (the archive closes a
	// part before it opens the next): a compressor is about 1 MB.
	var fw *flate.Writer
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		if fw == nil {
			var err error
			fw, err = flate.NewWriter(out, flate.BestSpeed)
			return fw, err
		}
		fw.Reset(out)
		return fw, nil
	})
	x := &xlsxWriter{ew: ew, out: out, zw: zw, header: make([]cell, len(columns)), refs: make([]string, len(columns))}
	for i, c := range columns {
		x.header[i] = cell{kind: cellText, b: []byte(c)}
		x.refs[i] = columnLetters(i + 1)
	}
	return x
}

// startSheet opens the next worksheet and writes its header row.
func (x *xlsxWriter) startSheet() error {
	x.sheets++
	part, err := x.zw.Create(sheetPart(x.sheets))
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if x.sheet == nil {
		x.sheet = bufio.NewWriterSize(part, bufferSize)
	} else {
		x.sheet.Reset(part)
	}
	b := append(x.buf[:0], xmlDeclaration...)
	b = append(b, `<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRelationships+`"><sheetViews><sheetView`...)
	if x.sheets == 1 {
		b = append(b, ` tabSelected="1"`...)
	}
	// The header row stays in view: the pane below it scrolls.
	b = append(b, ` workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`+
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>`...)
	if len(x.header) > 0 {
		b = append(b, `<cols><col min="1" max="`...)
		b = strconv.AppendInt(b, int64(len(x.header)), 10)
		b = append(b, `" width="`...)
		b = strconv.AppendInt(b, xlsxColumnWidth, 10)
		b = append(b, `" customWidth="1"/></cols>`...)
	}
	b = append(b, `<sheetData>`...)
	x.buf = b
	x.sheet.Write(b)
	x.line = 0
	x.writeRow(x.header, xlsxBoldStyle)
	return nil
}

// endSheet closes the open worksheet.
func (x *xlsxWriter) endSheet() error {
	x.sheet.WriteString(`</sheetData></worksheet>`)
	if err := x.sheet.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// row writes one row of data under the last.
func (x *xlsxWriter) row(cells []cell) { x.writeRow(cells, 0) }

// writeRow writes the next row of the open worksheet, its cells in the
// cell format style (0 is the default). Errors are kept by x.sheet and
// reported by its next Flush.
func (x *xlsxWriter) writeRow(cells []cell, style int) {
	x.line++
	b := append(x.buf[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(x.line), 10)
	b = append(b, `">`...)
	x.sheet.Write(b)
	for i, c := range cells {
		if c.kind == cellEmpty {
			continue
		}
		b = x.appendCell(b[:0], i, c, style)
		x.sheet.Write(b)
	}
	x.sheet.WriteString(`</row>`)
	x.buf = b
}

// appendCell appends the XML of the cell c in column i (from 0).
func (x *xlsxWriter) appendCell(b []byte, i int, c cell, style int) []byte {
	b = append(b, `<c r="`...)
	b = append(b, x.refs[i]...)
	b = strconv.AppendInt(b, int64(x.line), 10)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	switch c.kind {
	case cellBool:
		if c.b[0] == 't' {
			return append(b, ` t="b"><v>1</v></c>`...)
		}
		return append(b, ` t="b"><v>0</v></c>`...)
	case cellNumber:
		if f, ok := exactFloat(c.b); ok {
			// A cell without a type is a number.
			b = append(b, `><v>`...)
			b = strconv.AppendFloat(b, f, 'f', -1, 64)
			return append(b, `</v></c>`...)
		}
		// Too precise for Excel: keep every digit as text (a number is
		// never taken for a formula, so it is not neutralised).
		return appendInlineString(b, false, c.b)
	default:
		return appendInlineString(b, needsNeutralising(c.b), c.b)
	}
}

// appendInlineString appends the rest of a text cell, from its type on:
// the text is s, after an apostrophe when quoted is set.
func appendInlineString(b []byte, quoted bool, s []byte) []byte {
	b = append(b, ` t="inlineStr"><is><t`...)
	first, last := byte(0), byte(0)
	if quoted {
		first = '\''
	} else if len(s) > 0 {
		first = s[0]
	}
	if len(s) > 0 {
		last = s[len(s)-1]
	}
	if isXMLSpace(first) || isXMLSpace(last) {
		// Without it, readers may drop the spaces at either end.
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	limit := xlsxMaxCellChars
	if quoted {
		b = append(b, '\'')
		limit--
	}
	b = appendCellText(b, cutUTF16(s, limit))
	return append(b, `</t></is></c>`...)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// exactFloat parses a JSON number and reports whether Excel, which keeps 15
// significant digits, shows it without loss.
func exactFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	var buf [32]byte
	back, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], f, 'g', 15, 64)), 64)
	return f, err == nil && back == f
}

// finish closes the last worksheet, writes the parts that tie the
// worksheets into a workbook, and ends the archive.
func (x *xlsxWriter) finish() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	for _, p := range x.parts() {
		part, err := x.zw.Create(p.name)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if _, err := part.Write(p.body); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := x.zw.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return x.out.Flush()
}
