package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flat is one flattened field: its column, how it is written and its text.
// Kind "json" is a cell of JSON text, compared by meaning.
type flat struct {
	Name string
	Kind string
	Text string
}

var kindNames = map[cellKind]string{cellEmpty: "empty", cellText: "text", cellNumber: "number", cellBool: "bool"}

// flatten runs the walker and the cell renderer over row, listing every
// field in document order (a repeated key appears twice).
func flatten(row []byte) ([]flat, error) {
	t := newTable(nil)
	var out []flat
	err := t.w.walk(row, func(name []byte, v leaf) error {
		c := t.render(v)
		kind := kindNames[c.kind]
		if c.kind == cellText && (v.kind == kindArray || v.kind == kindObject) && !t.scalarItems(v.raw) {
			kind = "json"
		}
		out = append(out, flat{Name: string(name), Kind: kind, Text: string(c.b)})
		return nil
	})
	return out, err
}

func TestFlatten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		row  string
		want []flat
	}{
		{"scalars in order", `{"b":"x","a":1.50,"c":true,"d":null}`, []flat{
			{"b", "text", "x"}, {"a", "number", "1.50"}, {"c", "bool", "true"}, {"d", "empty", ""}}},
		{"nested objects give dotted columns", `{"title":"Joe's","gpsCoordinates":{"latitude":40.75,"longitude":-73.99},"hours":{"tz":"NY","today":{"open":"7"}}}`, []flat{
			{"title", "text", "Joe's"}, {"gpsCoordinates.latitude", "number", "40.75"}, {"gpsCoordinates.longitude", "number", "-73.99"},
			{"hours.tz", "text", "NY"}, {"hours.today.open", "text", "7"}}},
		{"arrays of scalars are joined", `{"types":["Coffee shop","Cafe"],"n":[1,2.5,-3],"mixed":["a",1,true,null,"b"]}`, []flat{
			{"types", "text", "Coffee shop; Cafe"}, {"n", "text", "1; 2.5; -3"}, {"mixed", "text", "a; 1; true; ; b"}}},
		{"deeper structures are JSON text", `{"days":[ {"day":"Mon", "hours":"7-6"} ],"grid":[[1,2],[3]]}`, []flat{
			{"days", "json", `[{"day":"Mon","hours":"7-6"}]`}, {"grid", "json", `[[1,2],[3]]`}}},
		{"empty array and empty object", `{"a":[],"b":{},"c":{"d":{}},"e":1}`, []flat{{"a", "empty", ""}, {"e", "number", "1"}}},
		{"escapes are decoded", `{"k\u00e9y":"l1\nl2 \"q\" \u263a","tab\tkey":"\ud83d\ude00"}`, []flat{
			{"kéy", "text", "l1\nl2 \"q\" ☺"}, {"tab\tkey", "text", "😀"}}},
		{"a repeated key is reported twice", `{"a":1,"a":2}`, []flat{{"a", "number", "1"}, {"a", "number", "2"}}},
		{"whitespace everywhere", " \n{ \"a\" : { \"b\" : [ \"x\" , \"y\" ] } }\r\n", []flat{{"a.b", "text", "x; y"}}},
		{"a row that is not an object", `[1,"a"]`, []flat{{"value", "text", "1; a"}}},
		{"an empty row object", `{}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := flatten([]byte(tt.row))
			if err != nil {
				t.Fatalf("flatten(%s): %v", tt.row, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flatten(%s) (-want +got):\n%s", tt.row, diff)
			}
		})
	}
}

func TestFlattenRejectsBadJSON(t *testing.T) {
	t.Parallel()
	for _, row := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`,
		`{"a":tru}`, `{"a":"x\q"}`, `{"a":"\u12"}`, "{\"a\":\"x\x01\"}", `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b":1]}`,
		`{a:1}`, `{"a":1}{"b":2}`, `nul`,
	} {
		if json.Valid([]byte(row)) {
			t.Fatalf("test data %q is valid JSON", row)
		}
		if _, err := flatten([]byte(row)); !errors.Is(err, errSyntax) {
			t.Errorf("flatten(%q): got %v, want a syntax error", row, err)
		}
	}
}

// FuzzFlatten checks the walker against a reference built on encoding/json's
// tokenizer: the same verdict on validity, and for valid rows the same
// fields in the same order with the same cells.
func FuzzFlatten(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":{"c":"x","d":[1,2]},"e":[{"f":1}],"g":null,"h":true}`,
		`{"k\u00e9":"\ud800x","z":"\xff"}`, `[1,[2]]`, `"s"`, `{"a":{}}`, `{"a":[[]]}`, ` {"a" : -0.5e+3 } `,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, row []byte) {
		got, err := flatten(row)
		if !json.Valid(row) {
			if err == nil {
				t.Fatalf("flatten(%q) accepted invalid JSON", row)
			}
			return
		}
		if err != nil {
			t.Fatalf("flatten(%q): %v", row, err)
		}
		want, err := refFlatten(row)
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		if diff := cmp.Diff(normaliseJSONCells(t, want), normaliseJSONCells(t, got)); diff != "" {
			t.Errorf("flatten(%q) (-reference +walker):\n%s", row, diff)
		}
	})
}

// normaliseJSONCells re-encodes JSON-text cells so that they compare by
// meaning.
func normaliseJSONCells(t *testing.T, in []flat) []flat {
	out := make([]flat, len(in))
	for i, f := range in {
		if f.Kind == "json" {
			d := json.NewDecoder(strings.NewReader(f.Text))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatalf("cell %q is not JSON: %v", f.Text, err)
			}
			b, _ := json.Marshal(v)
			f.Text = string(b)
		}
		out[i] = f
	}
	return out
}

// refFlatten is the reference flattening, from encoding/json tokens.
func refFlatten(row []byte) ([]flat, error) {
	d := json.NewDecoder(bytes.NewReader(row))
	d.UseNumber()
	v, err := refTree(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data: %v", err)
	}
	var out []flat
	if obj, ok := v.(refObject); ok {
		refObjectFields(obj, "", &out)
		return out, nil
	}
	return []flat{refCell("value", v)}, nil
}

type refObject []refField

type refField struct {
	key string
	val any
}

// refTree reads one value as a tree that keeps key order.
func refTree(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := refObject{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := refTree(d)
			if err != nil {
				return nil, err
			}
			obj = append(obj, refField{k.(string), v})
		}
		_, err := d.Token()
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for d.More() {
			v, err := refTree(d)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := d.Token()
		return arr, err
	}
	return tok, nil
}

func refObjectFields(obj refObject, prefix string, out *[]flat) {
	for _, f := range obj {
		name := f.key
		if prefix != "" {
			name = prefix + "." + f.key
		}
		if sub, ok := f.val.(refObject); ok && len(sub) > 0 {
			refObjectFields(sub, name, out)
			continue
		} else if ok {
			continue // an empty object has no column
		}
		*out = append(*out, refCell(name, f.val))
	}
}

func refCell(name string, v any) flat {
	switch v := v.(type) {
	case nil:
		return flat{name, "empty", ""}
	case string:
		return flat{name, "text", v}
	case json.Number:
		return flat{name, "number", string(v)}
	case bool:
		return flat{name, "bool", fmt.Sprint(v)}
	case []any:
		if len(v) == 0 {
			return flat{name, "empty", ""}
		}
		parts := make([]string, len(v))
		for i, item := range v {
			switch item := item.(type) {
			case nil:
			case string:
				parts[i] = item
			case json.Number:
				parts[i] = string(item)
			case bool:
				parts[i] = fmt.Sprint(item)
			default:
				return flat{name, "json", refJSON(v)}
			}
		}
		return flat{name, "text", strings.Join(parts, "; ")}
	}
	return flat{name, "json", refJSON(v)}
}

// refJSON encodes a reference tree as JSON (key order kept).
func refJSON(v any) string {
	var b strings.Builder
	var enc func(v any)
	enc = func(v any) {
		switch v := v.(type) {
		case refObject:
			b.WriteByte('{')
			for i, f := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(f.key)
				b.Write(k)
				b.WriteByte(':')
				enc(f.val)
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, item := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(item)
			}
			b.WriteByte(']')
		default:
			j, _ := json.Marshal(v)
			b.Write(j)
		}
	}
	enc(v)
	return b.String()
}
