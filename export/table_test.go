package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
)

// rowsOf is a Rows over fixed JSON rows.
func rowsOf(rows ...string) Rows {
	return func(yield func(json.RawMessage) error) error {
		for _, r := range rows {
			if err := yield(json.RawMessage(r)); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		declared []string
		rows     []string
		want     []string
	}{
		{"order of first appearance", nil,
			[]string{`{"b":1,"a":2}`, `{"c":3,"a":4}`, `{"d":{"x":1}}`},
			[]string{"b", "a", "c", "d.x"}},
		{"declared first, the rest after", []string{"title", "address"},
			[]string{`{"rating":4.5,"address":"x","title":"t"}`, `{"phone":"1"}`},
			[]string{"title", "address", "rating", "phone"}},
		{"a declared object stands for its dotted columns", []string{"title", "gpsCoordinates", "phone"},
			[]string{`{"gpsCoordinates":{"longitude":1,"latitude":2},"title":"t","extra":true}`, `{"phone":"p","gpsCoordinates":{"altitude":3}}`},
			[]string{"title", "gpsCoordinates.longitude", "gpsCoordinates.latitude", "gpsCoordinates.altitude", "phone", "extra"}},
		{"a declared column no row has is kept, empty", []string{"url", "html", "error"},
			[]string{`{"url":"u","title":"t"}`},
			[]string{"url", "html", "error", "title"}},
		{"a prefix is a whole segment", []string{"gps"},
			[]string{`{"gpsCoordinates":{"latitude":1},"gps":{"on":true}}`},
			[]string{"gps.on", "gpsCoordinates.latitude"}},
		{"a column that is both a value and an object", []string{"a"},
			[]string{`{"a":1}`, `{"a":{"b":2}}`},
			[]string{"a", "a.b"}},
		{"declared twice and nested declared", []string{"a", "a", "a.b", "z"},
			[]string{`{"a":{"b":1,"c":2}}`},
			[]string{"a.b", "a.c", "z"}},
		{"no rows", []string{"url", "title"}, nil, []string{"url", "title"}},
		{"no rows and nothing declared", nil, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Columns(tt.declared, rowsOf(tt.rows...))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Columns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestColumnsLimit(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteByte('{')
	for i := range MaxColumns + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
	}
	b.WriteByte('}')
	_, err := Columns(nil, rowsOf(b.String()))
	if trawl.ErrorCode(err) != trawl.EINVALID {
		t.Fatalf("got %v, want an EINVALID error for %d columns", err, MaxColumns+1)
	}
	exact := strings.Replace(b.String(), `"k0":1,`, "", 1)
	if cols, err := Columns(nil, rowsOf(exact)); err != nil || len(cols) != MaxColumns {
		t.Errorf("exactly %d columns: got %d, %v", MaxColumns, len(cols), err)
	}
	if _, err := Columns([]string{"declared"}, rowsOf(exact)); trawl.ErrorCode(err) != trawl.EINVALID {
		t.Errorf("%d columns and one more declared: got %v, want EINVALID", MaxColumns, err)
	}
}

func TestColumnsPassesErrorsOn(t *testing.T) {
	t.Parallel()
	boom := errors.New("database gone")
	_, err := Columns(nil, func(yield func(json.RawMessage) error) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the iterator's error", err)
	}
	_, err = Columns(nil, rowsOf(`{"a":1}`, `{"a":`))
	if !errors.Is(err, errSyntax) || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("got %v, want a syntax error naming row 2", err)
	}
}

func TestNeutralised(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"=1+1":                     "'=1+1",
		"+33 1 23":                 "'+33 1 23",
		"-5":                       "'-5",
		"@SUM(A1)":                 "'@SUM(A1)",
		"\t=cmd":                   "'\t=cmd",
		"\rx":                      "'\rx",
		`=HYPERLINK("http://x")`:   `'=HYPERLINK("http://x")`,
		"plain":                    "plain",
		"a=b":                      "a=b",
		" =1":                      " =1",
		"":                         "",
		"'already":                 "'already",
		"１＝full-width is harmless": "１＝full-width is harmless",
	}
	for in, want := range tests {
		if got := neutralised([]byte(in)); got != want {
			t.Errorf("neutralised(%q): got %q, want %q", in, got, want)
		}
	}
}
