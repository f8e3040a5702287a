package page

import (
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

const (
	// maxLocalLen is the longest local part kept (RFC 5321's limit); longer
	// ones are tracking tokens or run-together text.
	maxLocalLen = 64
	// maxDomainLen is the longest domain kept (RFC 1035).
	maxDomainLen = 253
	// minHexLocal is the shortest all-hex local part that is taken for a
	// hash or id (Sentry DSN keys, message ids) rather than a mailbox.
	minHexLocal = 16
	// scanBack bounds how far left of an '@' the local part is looked for,
	// so a pathological run of local-part characters costs linear time.
	scanBack = maxLocalLen + 1
)

// fileExtensions are "top-level domains" that show a match is a file name
// (logo@2x.png, hero@3x.webp) rather than an address. Some (zip, mov) are
// real TLDs, but nobody's mailbox is on them; most are not TLDs at all and
// are rejected by the public-suffix check anyway.
var fileExtensions = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "avif": true,
	"bmp": true, "ico": true, "tif": true, "tiff": true, "heic": true,
	"css": true, "js": true, "mjs": true, "map": true, "json": true, "xml": true, "txt": true, "csv": true,
	"pdf": true, "doc": true, "docx": true, "xls": true, "xlsx": true, "ppt": true, "pptx": true,
	"zip": true, "rar": true, "gz": true, "tgz": true, "mov": true, "mp3": true, "mp4": true,
	"avi": true, "webm": true, "woff": true, "woff2": true, "ttf": true, "eot": true, "otf": true,
	"php": true, "asp": true, "aspx": true, "jsp": true, "html": true, "htm": true,
}

// blockedDomains are tracking, error-reporting and placeholder domains whose
// addresses are never a business's contact. A domain matches when it is one
// of them or a subdomain of one.
var blockedDomains = []string{
	"sentry.io", "sentry-next.wixpress.com", "sentry.wixpress.com", "wixpress.com",
	"example.com", "example.org", "example.net", "example.edu",
	"domain.com", "domain.tld", "your-domain.com", "yourdomain.com", "mydomain.com",
	"yoursite.com", "your-site.com", "mysite.com", "website.com", "yourwebsite.com",
	"yourcompany.com", "your-company.com", "company.com", "email.com", "test.com", "sample.com",
	"group.calendar.google.com", "noreply.github.com",
}

// blockedRegistrable are registrable-domain labels that are placeholders
// under any suffix: example.de, example.co.uk.
var blockedRegistrable = map[string]bool{"example": true}

// normalizeEmail lower-cases local@domain and reports whether it is a
// plausible contact address: a sane local part (1 to 64 of a-z 0-9 . _ + -,
// no leading, trailing or doubled dot, not a long hex token), a domain of at
// least two labels under a real (ICANN) top-level domain that is not a file
// extension, and not a tracking or placeholder domain.
func normalizeEmail(local, domain string) (string, bool) {
	local, domain = strings.ToLower(local), strings.ToLower(strings.TrimSuffix(domain, "."))
	if !validLocal(local) || !validDomain(domain) || blockedDomain(domain) {
		return "", false
	}
	return local + "@" + domain, true
}

func validLocal(local string) bool {
	if local == "" || len(local) > maxLocalLen || local[0] == '.' || local[len(local)-1] == '.' ||
		strings.Contains(local, "..") {
		return false
	}
	hexOnly, hexDigits := true, 0 // dashes allowed: UUIDs
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isLocalByte(c) {
			return false
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			hexDigits++
		case c != '-':
			hexOnly = false
		}
	}
	return !hexOnly || hexDigits < minHexLocal
}

func validDomain(domain string) bool {
	if len(domain) > maxDomainLen {
		return false
	}
	labels, start := 0, 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			if !isDomainByte(domain[i]) {
				return false
			}
			continue
		}
		l := domain[start:i]
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return false
	}
	tld := domain[strings.LastIndexByte(domain, '.')+1:]
	if fileExtensions[tld] {
		return false
	}
	if !strings.HasPrefix(tld, "xn--") {
		for i := 0; i < len(tld); i++ {
			if tld[i] < 'a' || tld[i] > 'z' {
				return false
			}
		}
	}
	// A top-level domain the public suffix list knows from ICANN's section;
	// anything else (png, local, invalid, a typo) is not one.
	_, icann := publicsuffix.PublicSuffix(tld)
	return icann
}

func blockedDomain(domain string) bool {
	for _, b := range blockedDomains {
		if domain == b || strings.HasSuffix(domain, "."+b) {
			return true
		}
	}
	if reg, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		label, _, _ := strings.Cut(reg, ".")
		return blockedRegistrable[label]
	}
	return false
}

func isLocalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '+' || c == '-'
}

func isDomainByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// fullWidth maps the full-width and small forms of '@' and '.' that some
// (notably Japanese) sites write to keep naive harvesters away.
var fullWidth = strings.NewReplacer("\uFF20", "@", "\uFE6B", "@", "\uFF0E", ".")

// hasFullWidthAt reports whether s holds a full-width or small '@'
// (strings.Contains is much faster than ContainsAny here).
func hasFullWidthAt(s string) bool {
	return strings.Contains(s, "\uFF20") || strings.Contains(s, "\uFE6B")
}

// scanEmails calls add with every plausible address written out in s
// (local@domain), normalised by normalizeEmail. It runs in time linear in
// len(s).
func scanEmails(s string, add func(string)) {
	if hasFullWidthAt(s) {
		s = fullWidth.Replace(s)
	}
	for i := 0; ; {
		at := strings.IndexByte(s[i:], '@')
		if at < 0 {
			return
		}
		at += i
		i = at + 1
		start := at
		for start > 0 && at-start < scanBack && isLocalByte(s[start-1]) {
			start--
		}
		if at-start >= scanBack {
			continue // overlong: not an address
		}
		for start < at && s[start] == '.' {
			start++
		}
		if start == at || wordRuneBefore(s, start) {
			continue
		}
		end := at + 1
		for end < len(s) && isDomainByte(s[end]) {
			end++
		}
		i = max(i, end)
		domain := strings.TrimRight(s[at+1:end], ".-")
		if domain == "" || wordRuneAt(s, at+1+len(domain)) {
			continue
		}
		domain = cutCamelTLD(domain)
		if e, ok := normalizeEmail(s[start:at], domain); ok {
			add(e)
		}
	}
}

// wordRuneBefore reports whether the rune ending at s[:i] is a non-ASCII
// letter or digit: the match would then be the tail of a longer word such as
// "büro@…", not an address of its own.
func wordRuneBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// wordRuneAt is wordRuneBefore for the rune starting at s[i:].
func wordRuneAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// cutCamelTLD undoes text run together across elements, "info@acme.deTel":
// when the last label turns from lower to upper case, it ends there.
func cutCamelTLD(domain string) string {
	dot := strings.LastIndexByte(domain, '.')
	if dot < 0 {
		return domain
	}
	tld := domain[dot+1:]
	for j := 1; j < len(tld); j++ {
		if tld[j] >= 'A' && tld[j] <= 'Z' && tld[j-1] >= 'a' && tld[j-1] <= 'z' {
			return domain[:dot+1+j]
		}
	}
	return domain
}

// scanMailto adds the addresses of a mailto: URL: its query (?subject=…) is
// dropped, percent-escapes are decoded, and every recipient of a
// comma-separated list is kept.
func scanMailto(href string, add func(string)) {
	rest := strings.TrimSpace(href)
	if len(rest) < 7 || !strings.EqualFold(rest[:7], "mailto:") {
		return
	}
	rest = rest[7:]
	rest, _, _ = strings.Cut(rest, "?")
	if un, err := url.PathUnescape(rest); err == nil {
		rest = un
	}
	scanEmails(rest, add)
}

// cfEmailPath is where Cloudflare's Scrape Shield points protected mailto
// links: /cdn-cgi/l/email-protection#<hex>.
const cfEmailPath = "/cdn-cgi/l/email-protection"

// decodeCFEmail decodes a Cloudflare-protected address: hex bytes whose first
// is an XOR key for the rest. ok is false for anything malformed.
func decodeCFEmail(h string) (string, bool) {
	h = strings.TrimSpace(h)
	if len(h) < 4 || len(h)%2 != 0 || len(h) > 1024 {
		return "", false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", false
	}
	key := b[0]
	out := b[1:]
	for i := range out {
		out[i] ^= key
	}
	if !utf8.Valid(out) {
		return "", false
	}
	return string(out), true
}

// scanCFHref adds the address behind a Cloudflare email-protection link.
func scanCFHref(href string, add func(string)) {
	i := strings.Index(href, cfEmailPath)
	if i < 0 {
		return
	}
	_, frag, ok := strings.Cut(href[i:], "#")
	if !ok {
		return
	}
	if dec, ok := decodeCFEmail(frag); ok {
		scanDecoded(dec, add)
	}
}

// scanDecoded adds the addresses in a decoded value that may be a bare
// address or a mailto: URL.
func scanDecoded(v string, add func(string)) {
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		scanMailto(v, add)
		return
	}
	v, _, _ = strings.Cut(v, "?")
	scanEmails(v, add)
}

// onDomain reports whether host is site or one of its subdomains.
func onDomain(host, site string) bool {
	return host == site || strings.HasSuffix(host, "."+site)
}
