package page

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// jsonLD reads a JSON-LD block in document order. One that does not parse
// (trailing commas and raw newlines are common) is also read field by field
// with patterns; what was read before the error is kept.
func (ex *pageExtractor) jsonLD(s string) {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := ex.readLD(dec, "", "", 0); err != nil {
		ex.jsonLDFallback(s)
	}
}

// readLD reads one JSON value from dec. key is the (lower-cased) property
// it is the value of, or of the array it is an element of; parent is the
// property of the object holding key.
func (ex *pageExtractor) readLD(dec *json.Decoder, key, parent string, depth int) error {
	if depth > maxJSONLDDepth {
		return errors.New("json-ld nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if err := ex.readLD(dec, strings.ToLower(k), key, depth+1); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := ex.readLD(dec, key, parent, depth+1); err != nil {
					return err
				}
			}
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		ex.ldField(key, parent, t)
	}
	return nil
}

// ldField reads one JSON-LD string property.
func (ex *pageExtractor) ldField(key, parent, v string) {
	switch key {
	case "email":
		scanDecoded(v, ex.addEmail)
	case "telephone":
		if tel := cleanTel(v); tel != "" {
			ex.addPhone(tel)
		} else {
			ex.addPhone(v)
		}
	case "sameas", "url":
		ex.addProfile(v)
	case "addresscountry":
		ex.setRegionLD(v)
	case "name":
		if parent == "addresscountry" { // "addressCountry": {"@type": "Country", "name": "DE"}
			ex.setRegionLD(v)
		}
	}
}

var (
	ldFieldRE  = regexp.MustCompile(`(?i)"(email|telephone|addressCountry)"\s*:\s*"([^"\\]{1,200})"`)
	ldSameAsRE = regexp.MustCompile(`(?is)"(?:sameAs|url)"\s*:\s*(\[[^\]]{0,1000}\]|"[^"]{0,1000}")`)
	ldURLRE    = regexp.MustCompile(`https?://[^"\s,\]]+`)
)

func (ex *pageExtractor) jsonLDFallback(s string) {
	for _, m := range ldFieldRE.FindAllStringSubmatch(s, -1) {
		switch strings.ToLower(m[1]) {
		case "email":
			scanDecoded(m[2], ex.addEmail)
		case "telephone":
			ex.addPhone(m[2])
		case "addresscountry":
			ex.setRegionLD(m[2])
		}
	}
	for _, m := range ldSameAsRE.FindAllStringSubmatch(s, -1) {
		for _, u := range ldURLRE.FindAllString(strings.ReplaceAll(m[1], `\/`, "/"), -1) {
			ex.addProfile(u)
		}
	}
}
