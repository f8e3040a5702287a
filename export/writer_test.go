package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// mapsColumns are the columns a Google-Maps-like scraper declares.
var mapsColumns = []string{"position", "title", "address", "phone", "gpsCoordinates", "rating", "types"}

// sampleRows are rows with everything a table must survive: nested objects,
// arrays, deeper structures, formulas, quotes, commas, line breaks, non-ASCII
// text, big numbers and missing or extra fields.
func sampleRows() []string {
	rows := []string{
		`{"position":1,"title":"Joe's \"Best\" Coffee, NYC","address":"123 Main St\nNew York","phone":"+1 212-555-0100",` +
			`"gpsCoordinates":{"latitude":40.7506,"longitude":-73.9935},"rating":4.6,"reviews":812,"types":["Coffee shop","Café"],` +
			`"workingHours":{"timezone":"America/New_York","days":[{"day":"Monday","hours":"7 AM–6 PM"}]},"open":true}`,
		`{"position":2,"title":"=HYPERLINK(\"http://evil.example\",\"click\")","phone":"@cmd","rating":null,"types":[],"open":false,` +
			`"placeId":12345678901234567890,"note":"-2+3","emails":["a@x.example","=b@x.example"]}`,
		`{"title":"  leading spaces, trailing  ","gpsCoordinates":{"latitude":-0.5e2,"longitude":1E3},"extra":{"deep":{"er":[1,[2]]}}}`,
		`{"position":4,"title":"日本語のタイトル 😀","types":["a,b","c\"d"],"rating":3}`,
		`{}`,
	}
	for i := 5; i <= 60; i++ {
		rows = append(rows, fmt.Sprintf(`{"position":%d,"title":"Place %d","address":"%d Broadway","rating":%d.%d,`+
			`"gpsCoordinates":{"latitude":40.%d,"longitude":-73.%d},"types":["Cafe","Bakery"],"reviews":%d}`, i, i, i, i%5, i%10, i, i, i*7))
	}
	return rows
}

// wantTable is the table the rows should give, built from the reference
// flattening: declared columns first, later values winning, text
// neutralised. cellText says how a cell of each kind is written.
func wantTable(t *testing.T, declared []string, rows []string, cellText func(f flat) string) [][]string {
	t.Helper()
	var flats [][]flat
	var order []string
	seen := map[string]bool{}
	for _, r := range rows {
		f, err := refFlatten([]byte(r))
		if err != nil {
			t.Fatal(err)
		}
		flats = append(flats, f)
		for _, c := range f {
			if !seen[c.Name] {
				seen[c.Name] = true
				order = append(order, c.Name)
			}
		}
	}
	columns := arrange(declared, order)
	header := make([]string, len(columns))
	index := map[string]int{}
	for i, c := range columns {
		header[i] = neutralised([]byte(c))
		index[c] = i
	}
	out := [][]string{header}
	for _, f := range flats {
		line := make([]string, len(columns))
		for _, c := range f {
			line[index[c.Name]] = cellText(c)
		}
		out = append(out, line)
	}
	return out
}

func csvCell(f flat) string {
	if f.Kind == "text" || f.Kind == "json" {
		return neutralised([]byte(f.Text))
	}
	return f.Text
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := WriteCSV(&buf, []string{"title", "gpsCoordinates"}, rowsOf(
		`{"title":"=1+1","gpsCoordinates":{"latitude":40.75,"longitude":-73.99},"types":["a","b"],"q":"say \"hi\", ok"}`,
		`{"title":"-dash","days":[{"d":1}],"n":null}`,
	))
	if err != nil {
		t.Fatal(err)
	}
	want := "title,gpsCoordinates.latitude,gpsCoordinates.longitude,types,q,days,n\r\n" +
		"'=1+1,40.75,-73.99,a; b,\"say \"\"hi\"\", ok\",,\r\n" +
		"'-dash,,,,,\"[{\"\"d\"\":1}]\",\r\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		declared []string
		rows     []string
	}{
		{"maps rows", mapsColumns, sampleRows()},
		{"nothing declared", nil, sampleRows()},
		{"no rows", mapsColumns, nil},
		{"one column with an empty cell", nil, []string{`{"a":"x"}`, `{"a":null}`, `{"a":""}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteCSV(&buf, tt.declared, rowsOf(tt.rows...)); err != nil {
				t.Fatal(err)
			}
			r := csv.NewReader(&buf)
			r.FieldsPerRecord = 0 // every line as wide as the header
			got, err := r.ReadAll()
			if err != nil {
				t.Fatalf("encoding/csv cannot read it back: %v", err)
			}
			want := wantTable(t, tt.declared, tt.rows, csvCell)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CSV read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows []string
	}{
		{"maps rows", sampleRows()},
		{"one row", []string{`{"a":1}`}},
		{"no rows", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteJSON(&buf, rowsOf(tt.rows...)); err != nil {
				t.Fatal(err)
			}
			var got []json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("not one JSON array: %v\n%s", err, buf.String())
			}
			want := []json.RawMessage{}
			for _, r := range tt.rows {
				want = append(want, json.RawMessage(r))
			}
			if got == nil {
				got = []json.RawMessage{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("JSON read back (-want +got):\n%s", diff)
			}
		})
	}
}

func xlsxCell(f flat) string {
	switch f.Kind {
	case "number":
		if v, ok := exactFloat([]byte(f.Text)); ok {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return f.Text
	case "bool":
		if f.Text == "true" {
			return "1"
		}
		return "0"
	}
	return csvCell(f)
}

// readXLSX reads every sheet of a workbook, raw values, each line padded to
// the header's width.
func readXLSX(t *testing.T, b []byte) (*excelize.File, map[string][][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("excelize cannot open it: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	out := map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			for len(rows[i]) < len(rows[0]) {
				rows[i] = append(rows[i], "")
			}
		}
		out[sheet] = rows
	}
	return f, out
}

func TestXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	rows := sampleRows()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, mapsColumns, rowsOf(rows...)); err != nil {
		t.Fatal(err)
	}
	f, sheets := readXLSX(t, buf.Bytes())
	want := wantTable(t, mapsColumns, rows, xlsxCell)
	if diff := cmp.Diff(map[string][][]string{"Sheet1": want}, sheets); diff != "" {
		t.Errorf("XLSX read back (-want +got):\n%s", diff)
	}

	// Numbers are numbers (a cell without a type is a number in OOXML) and
	// text is text.
	for cell, want := range map[string]excelize.CellType{"A2": excelize.CellTypeUnset, "B2": excelize.CellTypeInlineString} {
		if got, err := f.GetCellType("Sheet1", cell); err != nil || got != want {
			t.Errorf("type of %s: got %v, %v; want %v", cell, got, err, want)
		}
	}
	// The header is bold and frozen.
	panes, err := f.GetPanes("Sheet1")
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes: got %+v, %v; want the first row frozen", panes, err)
	}
	for _, cell := range []string{"A1", "G1"} {
		id, err := f.GetCellStyle("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		style, err := f.GetStyle(id)
		if err != nil || style.Font == nil || !style.Font.Bold {
			t.Errorf("header cell %s is not bold: %+v, %v", cell, style, err)
		}
	}
	if id, _ := f.GetCellStyle("Sheet1", "A2"); id != 0 {
		if style, _ := f.GetStyle(id); style.Font != nil && style.Font.Bold {
			t.Errorf("a data cell is bold")
		}
	}
}

func TestXLSXSpillsToMoreSheets(t *testing.T) {
	t.Parallel()
	var rows []string
	for i := range 7 {
		rows = append(rows, fmt.Sprintf(`{"n":%d}`, i+1))
	}
	var buf bytes.Buffer
	if err := writeXLSX(&buf, nil, rowsOf(rows...), 3); err != nil {
		t.Fatal(err)
	}
	_, sheets := readXLSX(t, buf.Bytes())
	want := map[string][][]string{
		"Sheet1": {{"n"}, {"1"}, {"2"}, {"3"}},
		"Sheet2": {{"n"}, {"4"}, {"5"}, {"6"}},
		"Sheet3": {{"n"}, {"7"}},
	}
	if diff := cmp.Diff(want, sheets); diff != "" {
		t.Errorf("sheets (-want +got):\n%s", diff)
	}
}

func TestXLSXLongTextIsCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 40000)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, nil, rowsOf(`{"html":"`+long+`"}`)); err != nil {
		t.Fatal(err)
	}
	_, sheets := readXLSX(t, buf.Bytes())
	if got := len(sheets["Sheet1"][1][0]); got != excelize.TotalCellChars {
		t.Errorf("cell of %d characters: got %d, want Excel's limit %d", len(long), got, excelize.TotalCellChars)
	}
}

// TestWritersStopOnError: an error from the rows, or from the output,
// stops the walk, and the CSV and XLSX writers write nothing when their
// first walk fails.
func TestWritersStopOnError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	type writer func(io.Writer, Rows) error
	writers := map[string]writer{
		"json": WriteJSON,
		"csv":  func(w io.Writer, r Rows) error { return WriteCSV(w, nil, r) },
		"xlsx": func(w io.Writer, r Rows) error { return WriteXLSX(w, nil, r) },
	}
	for name, write := range writers {
		t.Run(name+" rows fail", func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := write(&buf, func(yield func(json.RawMessage) error) error {
				if err := yield(json.RawMessage(`{"a":1}`)); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Errorf("got %v, want the rows' error", err)
			}
			if name != "json" && buf.Len() > 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
		t.Run(name+" output fails", func(t *testing.T) {
			t.Parallel()
			yielded := 0
			big := `{"text":"` + strings.Repeat("y", 1000) + `"}`
			err := write(failWriter{boom}, func(yield func(json.RawMessage) error) error {
				for range 10000 {
					yielded++
					if err := yield(json.RawMessage(big)); err != nil {
						return err
					}
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Errorf("got %v, want the output's error", err)
			}
			if name != "xlsx" && yielded > 10000+200 {
				t.Errorf("walked %d rows after the output failed", yielded-10000)
			}
		})
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriteDispatch(t *testing.T) {
	t.Parallel()
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, f, nil, rowsOf(`{"a":1}`)); err != nil || buf.Len() == 0 {
			t.Errorf("Write %s: %v, %d bytes", f, err, buf.Len())
		}
		if got, ok := ParseFormat(string(f)); !ok || got != f {
			t.Errorf("ParseFormat(%q): got %q, %v", f, got, ok)
		}
	}
	if err := Write(io.Discard, "pdf", nil, rowsOf()); err == nil {
		t.Error("Write pdf: got no error")
	}
	if _, ok := ParseFormat(".csv"); ok {
		t.Error(`ParseFormat(".csv") accepted the dot`)
	}
	if got := FileName(42, FormatXLSX); got != "trawl-job-42.xlsx" {
		t.Errorf("FileName: got %q", got)
	}
}
