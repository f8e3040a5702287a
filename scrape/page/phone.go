package page

import (
	"net/url"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneLen bounds the raw phone strings looked at; E.164 numbers have at
// most 15 digits, and a formatted one with an extension stays well under it.
const maxPhoneLen = 64

// NormalizePhone returns raw, a phone number as a page writes it
// ("+49 (0)30 1234-567", "030 1234567", "(415) 555-0132 ext. 4"), in E.164
// form ("+49301234567"), and whether it is a valid number.
//
// region is the ISO 3166-1 alpha-2 country assumed for a number written
// without its country code ("DE", "GB"; case does not matter). With region
// "" or unknown, only numbers that start with '+' are read. A number that
// does not parse, or parses but is not a valid number of its country by
// libphonenumber's metadata (too short, a fictional 555 range, a date),
// yields ok false: a plausible-looking but wrong number is worse than none.
// Extensions are dropped. NormalizePhone is safe for concurrent use.
func NormalizePhone(raw, region string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxPhoneLen {
		return "", false
	}
	region = strings.ToUpper(region)
	if !knownRegion(region) {
		region = ""
	}
	if region == "" && !strings.HasPrefix(raw, "+") {
		return "", false
	}
	digits := 0
	for _, r := range raw {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 5 || digits > 20 {
		return "", false
	}
	parseRegion := region
	if parseRegion == "" {
		parseRegion = "ZZ" // unknown: the number must carry its country code
	}
	num, err := phonenumbers.Parse(raw, parseRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// knownRegion reports whether r is a region libphonenumber has metadata for.
func knownRegion(r string) bool {
	return len(r) == 2 && phonenumbers.GetCountryCodeForRegion(r) != 0
}

// genericCCTLDs are country-code top-level domains used by everyone
// (.io, .co, .tv, .me, .ai…): a site on one says nothing about where its
// phone numbers are.
var genericCCTLDs = map[string]bool{
	"ac": true, "ai": true, "cc": true, "cd": true, "co": true, "cx": true, "dj": true, "fm": true,
	"gg": true, "im": true, "io": true, "la": true, "ly": true, "me": true, "ms": true, "nu": true,
	"sh": true, "so": true, "st": true, "tk": true, "to": true, "tv": true, "vc": true, "ws": true,
}

// RegionForHost returns the phone region a host's country-code top-level
// domain implies: "DE" for acme.de, "GB" for shop.co.uk, "JP" for .jp. It is
// "" for generic top-level domains (.com, .org), for country codes commonly
// used as generic ones (.io, .co, .tv, .me, .ai…), for IP addresses and for
// anything libphonenumber has no metadata for.
func RegionForHost(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	dot := strings.LastIndexByte(host, '.')
	if dot < 0 {
		return ""
	}
	tld := host[dot+1:]
	if len(tld) != 2 || genericCCTLDs[tld] || tld[0] < 'a' || tld[0] > 'z' || tld[1] < 'a' || tld[1] > 'z' {
		return ""
	}
	if tld == "uk" {
		tld = "gb"
	}
	r := strings.ToUpper(tld)
	if !knownRegion(r) {
		return ""
	}
	return r
}

// regionFromLang returns the region subtag of a BCP 47 language tag
// ("en-US" → "US", "de_AT" → "AT"), or "".
func regionFromLang(lang string) string {
	parts := strings.FieldsFunc(lang, func(r rune) bool { return r == '-' || r == '_' })
	for _, p := range parts[min(1, len(parts)):] {
		if len(p) == 2 && isAlpha(p) {
			if r := strings.ToUpper(p); knownRegion(r) {
				return r
			}
		}
	}
	return ""
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// cleanTel returns the number of a tel: or callto: link, without its
// parameters (";ext=…", "?…") and percent-escapes, or "" when href is not
// one.
func cleanTel(href string) string {
	href = strings.TrimSpace(href)
	lower := strings.ToLower(href)
	var rest string
	switch {
	case strings.HasPrefix(lower, "tel:"):
		rest = href[4:]
	case strings.HasPrefix(lower, "callto:"):
		rest = href[7:]
	default:
		return ""
	}
	rest = strings.TrimPrefix(rest, "//")
	if un, err := url.PathUnescape(rest); err == nil {
		rest = un
	}
	if i := strings.IndexAny(rest, ";?"); i >= 0 {
		rest = rest[:i]
	}
	return cleanPhoneText(rest)
}

// cleanPhoneText trims a phone number written in text or JSON-LD and returns
// "" when it is too long or has too few digits to be one.
func cleanPhoneText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxPhoneLen {
		return ""
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits < 5 {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}
