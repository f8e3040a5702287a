package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// xlsxColumnWidth is the width, in characters, of every column.
const xlsxColumnWidth = 20

// WriteXLSX writes rows to w as an Excel workbook: the table WriteCSV
// writes, through excelize's StreamWriter, with a bold header row frozen at
// the top. Numbers that Excel can hold exactly (15 significant digits) are
// numeric cells and booleans are boolean cells; everything else is text,
// neutralised like the CSV's. Excel truncates text to 32,767 characters a
// cell. A sheet holds at most 1,048,575 rows under its header; more rows go
// on to Sheet2, Sheet3 and so on, each with the header.
//
// Memory stays flat: excelize moves the sheet to a temporary file (in the
// system's temporary folder) once it passes 16 MiB, and the workbook is
// zipped straight into w rather than built in memory. Nothing is written to
// w before every row has been read, so an error from either walk of rows
// leaves w untouched; the temporary file is removed before WriteXLSX
// returns.
func WriteXLSX(w io.Writer, declared []string, rows Rows) error {
	return writeXLSX(w, declared, rows, excelize.TotalRows-1)
}

// writeXLSX is WriteXLSX with at most perSheet rows under each header.
func writeXLSX(w io.Writer, declared []string, rows Rows, perSheet int) error {
	columns, err := Columns(declared, rows)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx header style: %w", err)
	}
	header := make([]any, len(columns))
	for i, c := range columns {
		header[i] = excelize.Cell{StyleID: bold, Value: neutralised([]byte(c))}
	}
	sheets := 1
	sw, err := newXLSXSheet(f, "Sheet1", header)
	if err != nil {
		return err
	}
	t := newTable(columns)
	values := make([]any, len(columns))
	line, n := 1, int64(0)
	err = rows(func(row json.RawMessage) error {
		n++
		if err := t.fill(row); err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		if line > perSheet {
			if err := sw.Flush(); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
			sheets++
			name := "Sheet" + strconv.Itoa(sheets)
			if _, err := f.NewSheet(name); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
			if sw, err = newXLSXSheet(f, name, header); err != nil {
				return err
			}
			line = 1
		}
		line++
		for i, c := range t.cells {
			values[i] = xlsxValue(c)
		}
		ref, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, values); err != nil {
			return fmt.Errorf("xlsx row %d: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return writeWorkbook(w, f)
}

// newXLSXSheet starts streaming a sheet: column widths, the frozen pane and
// the header row.
func newXLSXSheet(f *excelize.File, name string, header []any) (*excelize.StreamWriter, error) {
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	if len(header) > 0 {
		if err := sw.SetColWidth(1, len(header), xlsxColumnWidth); err != nil {
			return nil, fmt.Errorf("xlsx: %w", err)
		}
	}
	err = sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	if err := sw.SetRow("A1", header); err != nil {
		return nil, fmt.Errorf("xlsx header: %w", err)
	}
	return sw, nil
}

// xlsxValue is a cell as excelize takes it.
func xlsxValue(c cell) any {
	switch c.kind {
	case cellEmpty:
		return nil
	case cellBool:
		return c.b[0] == 't'
	case cellNumber:
		if f, ok := exactFloat(c.b); ok {
			return f
		}
		return string(c.b) // too precise for Excel: keep every digit as text
	default:
		return neutralised(c.b)
	}
}

// exactFloat parses a JSON number and reports whether Excel, which keeps 15
// significant digits, shows it without loss.
func exactFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	back, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	return f, err == nil && back == f
}

// writeWorkbook zips f straight into w. excelize's own Write builds the
// whole archive in a bytes.Buffer; handing it a zip writer over w instead
// (through its SetZipWriter hook) streams the archive out as it is made and
// leaves that buffer empty.
func writeWorkbook(w io.Writer, f *excelize.File) error {
	ew := &errWriter{w: w}
	bw := bufio.NewWriterSize(ew, bufferSize)
	zw := zip.NewWriter(bw)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if err := f.Write(io.Discard); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return bw.Flush()
}
