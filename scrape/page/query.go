package page

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// fieldKind is the JSON type a page option takes, which decides how a query
// parameter is read.
type fieldKind int

const (
	kindString fieldKind = iota
	kindBool
	kindInt
	kindList
	kindObject
)

// FromQuery turns the query parameters of GET /scrape/web into the JSON
// object POST /scrape/web takes, so that both are validated by one parser.
//
// Arrays may come as repeated keys ("outputFormat=text&outputFormat=json"),
// with PHP brackets ("outputFormat[]=text", "outputFormat[0]=text") or as a
// comma list ("outputFormat=text,json"); objects as JSON strings
// ("extractRules={\"title\":\"h1\"}") or bracket keys ("headers[Cookie]=a=1");
// booleans as "true"/"false" (also "1"/"0"); numbers as digits. extra names
// further string fields to copy ("url"). Unknown keys are ignored. A value
// that is not of its field's type is passed on as a string, so the parser
// names the field in its error.
func FromQuery(q url.Values, extra ...string) json.RawMessage {
	out := map[string]any{}
	lists := map[string][]string{}
	objects := map[string]map[string]string{}
	for _, key := range queryKeys(q) {
		vals := q[key]
		name, sub, bracket := strings.Cut(key, "[")
		sub = strings.TrimSuffix(sub, "]")
		kind, known := optionFields[name]
		if !known {
			for _, e := range extra {
				if key == e && len(vals) > 0 {
					out[e] = vals[len(vals)-1]
				}
			}
			continue
		}
		switch kind {
		case kindList:
			for _, v := range vals {
				if !bracket && strings.HasPrefix(strings.TrimSpace(v), "[") {
					var list []string
					if json.Unmarshal([]byte(v), &list) == nil {
						lists[name] = append(lists[name], list...)
						continue
					}
				}
				if !bracket && name != "blockUrls" {
					for _, part := range strings.Split(v, ",") {
						lists[name] = append(lists[name], strings.TrimSpace(part))
					}
					continue
				}
				lists[name] = append(lists[name], v)
			}
		case kindObject:
			if bracket && sub != "" {
				if objects[name] == nil {
					objects[name] = map[string]string{}
				}
				objects[name][sub] = vals[len(vals)-1]
				continue
			}
			v := vals[len(vals)-1]
			if json.Valid([]byte(v)) {
				out[name] = json.RawMessage(v)
			} else {
				out[name] = v
			}
		case kindBool:
			switch v := strings.ToLower(strings.TrimSpace(vals[len(vals)-1])); v {
			case "true", "1", "on", "yes":
				out[name] = true
			case "false", "0", "off", "no", "":
				out[name] = false
			default:
				out[name] = v
			}
		case kindInt:
			v := strings.TrimSpace(vals[len(vals)-1])
			if n, err := strconv.Atoi(v); err == nil {
				out[name] = n
			} else {
				out[name] = v
			}
		default:
			out[name] = vals[len(vals)-1]
		}
	}
	for name, list := range lists {
		out[name] = list
	}
	for name, obj := range objects {
		out[name] = obj
	}
	b, _ := json.Marshal(out) // maps of strings, bools, numbers and valid raw JSON
	return b
}

// queryKeys returns q's keys in a stable order in which indexed array
// elements ("k[0]", "k[1]", …, "k[10]") come by their index, so that an
// array keeps its order.
func queryKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	index := func(k string) (string, int, bool) {
		name, sub, ok := strings.Cut(k, "[")
		if !ok {
			return k, -1, false
		}
		n, err := strconv.Atoi(strings.TrimSuffix(sub, "]"))
		return name, n, err == nil
	}
	slices.SortFunc(keys, func(a, b string) int {
		an, ai, aok := index(a)
		bn, bi, bok := index(b)
		if c := strings.Compare(an, bn); c != 0 {
			return c
		}
		if aok != bok { // indexed elements first
			if aok {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(ai, bi); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}
