package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// TestXLSXLarge writes workbooks far larger than a buffer (many columns,
// many rows) and reads every row back with excelize.
func TestXLSXLarge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		columns, rows int
	}{
		// Past column Z, AZ and ZZ; each row about 25 KB of sheet XML.
		{"wide", 1000, 400},
		// More sheet XML (about 25 MB) than excelize kept in memory.
		{"long", 12, 60000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cell := func(row, col int) any {
				switch col % 4 {
				case 0:
					return row*100000 + col
				case 1:
					return fmt.Sprintf("r%d c%d <&> _x0041_ é", row, col)
				case 2:
					if (row+col)%3 == 0 {
						return nil // missing: an empty cell
					}
					return row%2 == 0
				default:
					return float64(row) + float64(col)/8
				}
			}
			rows := func(yield func(json.RawMessage) error) error {
				var b []byte
				for r := range tt.rows {
					b = append(b[:0], '{')
					for c := range tt.columns {
						v := cell(r, c)
						if v == nil {
							continue
						}
						if len(b) > 1 {
							b = append(b, ',')
						}
						b = strconv.AppendQuote(b, "col"+strconv.Itoa(c))
						b = append(b, ':')
						j, err := json.Marshal(v)
						if err != nil {
							return err
						}
						b = append(b, j...)
					}
					if err := yield(append(b, '}')); err != nil {
						return err
					}
				}
				return nil
			}
			// The first row has no value in some columns; declare them all
			// so that the header is in order.
			declared := make([]string, tt.columns)
			for c := range declared {
				declared[c] = "col" + strconv.Itoa(c)
			}
			var buf bytes.Buffer
			if err := WriteXLSX(&buf, declared, rows); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatalf("excelize cannot open it: %v", err)
			}
			defer f.Close()
			if got := f.GetSheetList(); !cmp.Equal(got, []string{"Sheet1"}) {
				t.Fatalf("sheets: got %v, want Sheet1", got)
			}
			it, err := f.Rows("Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			n := 0
			for it.Next() {
				got, err := it.Columns(excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				want := make([]string, tt.columns)
				for c := range want {
					if n == 0 {
						want[c] = declared[c]
						continue
					}
					switch v := cell(n-1, c).(type) {
					case nil:
					case bool:
						want[c] = map[bool]string{false: "0", true: "1"}[v]
					case string:
						want[c] = v
					default:
						want[c] = fmt.Sprint(v)
					}
				}
				for len(want) > 0 && want[len(want)-1] == "" {
					want = want[:len(want)-1] // readers drop empty cells at the end
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("row %d (-want +got):\n%s", n+1, diff)
				}
				n++
			}
			if err := it.Error(); err != nil {
				t.Fatal(err)
			}
			if n != tt.rows+1 {
				t.Errorf("read %d rows, want the header and %d rows", n, tt.rows)
			}
		})
	}
}

// TestXLSXText: text that XML cannot hold as it is, or that a reader would
// change, reads back exactly as written.
func TestXLSXText(t *testing.T) {
	t.Parallel()
	texts := []string{
		"a & b < c > d \"quoted\" 'single'",
		"line\nbreak, CR\r\nLF, lone CR\rend",
		"  spaces at both ends  ",
		"\ttab first",
		"tab last\t",
		"control \x01\x02\x1f\x0b\x0c characters \x00",
		"an escape look-alike _x0041_ stays, _x005F_ too, _x12 and _xZZZZ_ are plain",
		"_x0041_",
		"non-BMP \U0001F600 and BMP 日本語",
		"\uFFFE\uFFFF noncharacters",
		"",
		"-1 starts like a formula",
	}
	var rows []string
	for _, s := range texts {
		b, err := json.Marshal(map[string]string{"t": s})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, string(b))
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, nil, rowsOf(rows...)); err != nil {
		t.Fatal(err)
	}
	_, sheets := readXLSX(t, buf.Bytes())
	want := [][]string{{"t"}}
	for _, s := range texts {
		want = append(want, []string{neutralised([]byte(s))})
	}
	if diff := cmp.Diff(map[string][][]string{"Sheet1": want}, sheets); diff != "" {
		t.Errorf("XLSX read back (-want +got):\n%s", diff)
	}
}

func TestAppendCellText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"<a&b>", "&lt;a&amp;b&gt;"},
		{"a\r\nb\tc", "a&#xD;\nb\tc"},
		{"\x00\x1f", "_x0000__x001F_"},
		{"_x00aF_", "_x005F_x00aF_"},
		{"_x00G0_ _x", "_x00G0_ _x"},
		{"bad \xff utf-8", "bad \uFFFD utf-8"},
		{"\uFFFF", "_xFFFF_"},
		{"é\U0001F600", "é\U0001F600"},
	}
	for _, tt := range tests {
		if got := string(appendCellText(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendCellText(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCutUTF16(t *testing.T) {
	t.Parallel()
	emoji := strings.Repeat("\U0001F600", 5) // two UTF-16 units each
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"日本語", 2, "日本"},
		{emoji, 10, emoji},
		{emoji, 9, strings.Repeat("\U0001F600", 4)}, // never half a character
		{"a" + emoji, 2, "a"},
	}
	for _, tt := range tests {
		if got := string(cutUTF16([]byte(tt.in), tt.limit)); got != tt.want {
			t.Errorf("cutUTF16(%q, %d): got %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestColumnLetters(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA", MaxColumns: "XFD"} {
		if got := columnLetters(n); got != want {
			t.Errorf("columnLetters(%d): got %q, want %q", n, got, want)
		}
		if got, err := excelize.ColumnNumberToName(n); err != nil || got != want {
			t.Errorf("excelize names column %d %q, %v; want %q", n, got, err, want)
		}
	}
}

// TestWritersStream: every writer hands its output on while it still reads
// rows, rather than holding the export until the end.
func TestWritersStream(t *testing.T) {
	t.Parallel()
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			var out countWriter
			walks, mid := 0, int64(-1)
			rows := func(yield func(json.RawMessage) error) error {
				walks++
				for i := range 4000 {
					if i == 3999 && (walks == 2 || f == FormatJSON) {
						mid = out.n // bytes out before the last row of the last walk
					}
					// About 1 KB of text that does not compress to nothing.
					row := fmt.Sprintf(`{"n":%d,"text":%q}`, i, strings.Repeat(strconv.FormatUint(uint64(i)*2654435761, 36), 100))
					if err := yield(json.RawMessage(row)); err != nil {
						return err
					}
				}
				return nil
			}
			if err := Write(&out, f, nil, rows); err != nil {
				t.Fatal(err)
			}
			if mid <= 0 || mid >= out.n {
				t.Errorf("%d of %d bytes were out before the last row was read; want some, not all", mid, out.n)
			}
		})
	}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
