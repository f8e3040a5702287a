package scrape

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The helpers below read one field of a create body that was decoded into
// json.RawMessage fields, so that each scraper can report a wrong type
// against the field it belongs to.

// Present reports whether a field was sent with a value other than null.
func Present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// StrictInt reads a JSON integer, refusing strings ("2"), fractions and
// values outside int32.
func StrictInt(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || raw[0] == '"' {
		return 0, errors.New("not a number")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var n json.Number
	if err := dec.Decode(&n); err != nil {
		return 0, err
	}
	v, err := n.Int64()
	if err != nil || v < -1<<31 || v > 1<<31-1 {
		return 0, errors.New("not a whole number")
	}
	return int(v), nil
}

// StringList reads a JSON array of strings.
func StringList(raw json.RawMessage) ([]string, bool) {
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false
	}
	return out, true
}
