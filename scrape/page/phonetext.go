package page

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// phoneCandidateRE finds runs that may be phone numbers in visible text: an
// optional + or (, then digits with the separators people write between
// them. What it finds is only a candidate; see scanPhones.
var phoneCandidateRE = regexp.MustCompile(`\+?\(?\d[\d \t\x{a0}().\-/]{5,24}\d`)

// Shapes of digit runs that are not phone numbers.
var (
	dateLikeRE  = regexp.MustCompile(`^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$`)
	ipLikeRE    = regexp.MustCompile(`^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$`)
	rangeLikeRE = regexp.MustCompile(`^\d{4}\s*[-/]\s*\d{4}$`) // years: 2019-2024
)

// phoneCues are words that, just before a number, say it is a phone number,
// in the languages of the contact pages trawl reads.
var phoneCues = []string{"tel", "phone", "call", "fon", "tél", "mobil", "cell", "whatsapp", "hotline", "☎", "📞",
	"ruf", "appel", "llam", "chiam", "電話", "тел", "tlf"}

// phoneCueWindow is how far before a number (in bytes) a cue counts.
const phoneCueWindow = 24

// scanPhones finds phone numbers written in visible text and passes each to
// add, as written. It is as strict as the email filter: a number counts
// only when it is written in international form (+49 …) or follows a phone
// word ("Tel.", "Phone:", "Call us", "Telefon", "☎") closely, when the
// nearest such word is not "fax", and when its digits do not form a date, an
// IP address, a year range or a price. Validity for a country is checked
// later by NormalizePhone; what passes here is only plausibly a phone.
func scanPhones(s string, add func(string)) {
	if !strings.ContainsAny(s, "0123456789") {
		return
	}
	for _, loc := range phoneCandidateRE.FindAllStringIndex(s, -1) {
		start, end := loc[0], loc[1]
		cand := strings.TrimRight(s[start:end], " \t\u00a0(.-/")
		if !plausiblePhone(cand) {
			continue
		}
		// A digit or letter glued to the front means the run is part of
		// something else (an id, a reference, a longer number).
		if start > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:start])
			if isWordRune(r) || r == '#' || r == '€' || r == '$' || r == '£' || r == '@' {
				continue
			}
		}
		if end < len(s) {
			r, _ := utf8.DecodeRuneInString(s[end:])
			if isWordRune(r) || r == '@' || r == '%' || r == '€' {
				continue
			}
		}
		if !strings.HasPrefix(cand, "+") && !cuedAsPhone(s[max(0, start-phoneCueWindow):start]) {
			continue
		}
		add(cand)
	}
}

// plausiblePhone checks a candidate's digits and shape.
func plausiblePhone(c string) bool {
	digits := 0
	for i := 0; i < len(c); i++ {
		if c[i] >= '0' && c[i] <= '9' {
			digits++
		}
	}
	if digits < 7 || digits > 15 {
		return false
	}
	var ds strings.Builder
	for i := 0; i < len(c); i++ {
		if c[i] >= '0' && c[i] <= '9' {
			ds.WriteByte(c[i])
		}
	}
	if strings.HasSuffix(ds.String(), "00000") { // "5 000 000": a count, not a line
		return false
	}
	compact := strings.Join(strings.Fields(c), "")
	if dateLikeRE.MatchString(compact) || ipLikeRE.MatchString(compact) || rangeLikeRE.MatchString(c) {
		return false
	}
	// Decimal amounts: "1.234,56", "12,345.00".
	if strings.Count(c, ",") > 0 {
		return false
	}
	return strings.Count(c, "(") == strings.Count(c, ")")
}

// cuedAsPhone reports whether the text before a number ends with a phone
// word rather than a fax one.
func cuedAsPhone(before string) bool {
	before = strings.ToLower(before)
	cue := -1
	for _, w := range phoneCues {
		if i := strings.LastIndex(before, w); i > cue {
			cue = i
		}
	}
	if cue < 0 {
		return false
	}
	return strings.LastIndex(before, "fax") < cue
}

func isWordRune(r rune) bool {
	return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
