package httpapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/trawlhq/trawl"
)

// Caps on what a create answer reports of the fields it ignored.
const (
	maxIgnoredListed  = 20
	maxIgnoredNameLen = 64
)

// webhookFields are the members of a create body's webhook object.
var webhookFields = []string{"url", "events", "headers", "maxAttempts", "ordered"}

// trimBody prepares a create body for the scraper with the given parameter
// schema (nil when the slug is unknown, which Jobs.Create answers): fields
// the scraper does not know, at the top level and in the webhook object,
// are dropped, so that a job's stored input holds only what the scraper
// reads and every record stays small; their names are returned for the
// answer. A known field sent as null is refused: the description says which
// types a field takes, and null is none of them (leave a field out for its
// default). webhook.maxAttempts 0 is refused likewise (1 to 10). A body
// that is not a JSON object is returned as it is for Jobs.Create to refuse.
func trimBody(body []byte, params map[string]any) (trimmed []byte, ignoredFields []string, err error) {
	if params == nil {
		return body, nil, nil
	}
	fields, serr := trawl.SplitObject(body)
	if serr != nil {
		return body, nil, nil
	}
	known := []string{"limit", "webhook"}
	if props, ok := params["properties"].(map[string]any); ok {
		for name := range props {
			known = append(known, name)
		}
	}
	var inv trawl.Invalid
	var ignored ignoredList
	kept := fields[:0]
	for _, f := range fields {
		switch {
		case !slices.Contains(known, f.Name):
			ignored.add(f.Name)
			continue
		case isNull(f.Value):
			inv.Add(f.Name, "must not be null; leave the field out for its default")
		case f.Name == "webhook":
			f.Value = trimWebhook(f.Value, &ignored, &inv)
		}
		kept = append(kept, f)
	}
	if err := inv.Err(); err != nil {
		return nil, nil, err
	}
	if len(ignored.names) == 0 {
		return body, nil, nil
	}
	return trawl.JoinObject(kept), ignored.list(), nil
}

// trimWebhook drops the unknown members of a webhook object and checks the
// ones the Webhook type cannot tell from absent. Anything that is not an
// object is left to the webhook's own validation.
func trimWebhook(raw json.RawMessage, ignored *ignoredList, inv *trawl.Invalid) json.RawMessage {
	fields, err := trawl.SplitObject(raw)
	if err != nil {
		return raw
	}
	kept := fields[:0]
	dropped := false
	for _, f := range fields {
		switch {
		case !slices.Contains(webhookFields, f.Name):
			ignored.add("webhook." + f.Name)
			dropped = true
			continue
		case isNull(f.Value):
			inv.Add("webhook."+f.Name, "must not be null; leave the field out for its default")
		case f.Name == "maxAttempts":
			var n json.Number
			if json.Unmarshal(f.Value, &n) == nil {
				if v, err := n.Float64(); err == nil && v == 0 {
					inv.Add("webhook.maxAttempts", "must be between 1 and %d; leave it out for the server default", trawl.MaxWebhookAttempts)
				}
			}
		}
		kept = append(kept, f)
	}
	if !dropped {
		return raw
	}
	return trawl.JoinObject(kept)
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// ignoredList collects the names an answer shows of the fields it ignored,
// within its caps.
type ignoredList struct {
	names []string
	more  int
}

func (l *ignoredList) add(name string) {
	if len(l.names) == maxIgnoredListed {
		l.more++
		return
	}
	if len(name) > maxIgnoredNameLen {
		name = name[:maxIgnoredNameLen] + "…"
	}
	l.names = append(l.names, name)
}

func (l *ignoredList) list() []string {
	if l.more > 0 {
		return append(l.names, "…and "+strconv.Itoa(l.more)+" more")
	}
	return l.names
}
