package trawl

import (
	"bytes"
	"encoding/json"
	"errors"
)

// HeaderMask replaces each webhook header value in a job's stored input:
// records show which headers a job sends, never what they hold.
const HeaderMask = "********"

// Field is one member of a JSON object, its value kept as it was written.
type Field struct {
	Name  string
	Value json.RawMessage
}

// SplitObject returns the members of the JSON object raw in the order they
// are written (a name written twice appears twice). It fails when raw is
// not one JSON object.
func SplitObject(raw []byte) ([]Field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []Field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, Field{Name: name, Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

// JoinObject writes fields as one compact JSON object, in their order.
func JoinObject(fields []Field) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
		b.Write(name)
		b.WriteByte(':')
		if err := json.Compact(&b, f.Value); err != nil {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// MaskWebhookHeaders returns input with the value of every string in
// input.webhook.headers replaced by HeaderMask, keeping the names and the
// order of everything else. Input that has no such headers, or is not an
// object, is returned unchanged.
func MaskWebhookHeaders(input json.RawMessage) json.RawMessage {
	if !bytes.Contains(input, []byte(`"headers"`)) {
		return input
	}
	top, err := SplitObject(input)
	if err != nil {
		return input
	}
	changed := false
	for i, f := range top {
		if f.Name != "webhook" {
			continue
		}
		hook, err := SplitObject(f.Value)
		if err != nil {
			continue
		}
		for j, h := range hook {
			if h.Name != "headers" {
				continue
			}
			headers, err := SplitObject(h.Value)
			if err != nil {
				continue
			}
			for k := range headers {
				headers[k].Value = json.RawMessage(`"` + HeaderMask + `"`)
			}
			hook[j].Value = JoinObject(headers)
			changed = true
		}
		top[i].Value = JoinObject(hook)
	}
	if !changed {
		return input
	}
	return JoinObject(top)
}
