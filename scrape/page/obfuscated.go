package page

import (
	"regexp"
	"strings"
)

// Obfuscated spellings. The separators: "[at]", "(at)", "{at}", "<at>",
// "[@]", "(arroba)", and for dots "[dot]", "(punkt)", "{.}" and friends.
const (
	obfLocal   = `([a-z0-9][a-z0-9._+-]{0,63})`
	obfLabel   = `[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?`
	obfBAt     = `\s*[\[\(\{<]\s*(?:at|@|arroba|ät)\s*[\]\)\}>]\s*`
	obfBDot    = `\s*[\[\(\{<]\s*(?:dot|\.|punkt|point|punto)\s*[\]\)\}>]\s*`
	obfWordAt  = `\s+at\s+`
	obfWordDot = `\s+dot\s+`
)

var (
	// obfBracketRE: a bracketed "at", then labels joined by bracketed
	// dots, spelled-out " dot " or plain dots. Anchored: it runs on a
	// window that starts where the local part does.
	obfBracketRE = regexp.MustCompile(`(?i)^` + obfLocal + obfBAt +
		`(` + obfLabel + `(?:(?:` + obfBDot + `|` + obfWordDot + `|\.)` + obfLabel + `)+)`)
	// obfWordRE: "name at domain dot com", both spelled out. Prose such as
	// "find us at shop.com" has a plain dot and does not match; the result is
	// also only kept on the site's own domain (see scanObfuscated).
	obfWordRE = regexp.MustCompile(`(?i)^` + obfLocal + obfWordAt +
		`(` + obfLabel + `(?:(?:` + obfBDot + `|` + obfWordDot + `)` + obfLabel + `)+)`)
	// obfDotRE matches any dot separator inside a matched domain.
	obfDotRE = regexp.MustCompile(`(?i)` + obfBDot + `|` + obfWordDot)
)

// obfWindow bounds the text after an "at" marker a spelled-out domain is
// looked for in: a 253-character domain with its separators spelled out.
const obfWindow = 320

// scanObfuscated adds addresses spelled to dodge harvesters: "info [at]
// acme [dot] de", "info(at)acme.de", and "info at acme dot de". The last,
// fully spelled-out form reads like prose too, so it is kept only when its
// domain is ownSite (the page's registrable domain; "" keeps none) and
// written right after the "at".
//
// It finds the "at" markers by hand and runs the patterns only on a bounded
// window around each, so its time is linear in len(s).
func scanObfuscated(s, ownSite string, add func(string)) {
	ownLabel, _, _ := strings.Cut(ownSite, ".")
	for i := 0; i < len(s); i++ {
		var end int
		var re *regexp.Regexp
		if e, ok := bracketAt(s, i); ok {
			end, re = e, obfBracketRE
		} else if e, ok := wordAt(s, i, ownLabel); ok {
			end, re = e, obfWordRE
		} else {
			continue
		}
		// The local part ends just before the marker (and its spaces).
		k := i
		for k > 0 && isSpace(s[k-1]) {
			k--
		}
		ls := k
		for ls > 0 && k-ls <= maxLocalLen && isLocalByte(s[ls-1]) {
			ls--
		}
		for ls < k && !isAlnum(s[ls]) {
			ls++
		}
		if ls == k {
			continue
		}
		m := re.FindStringSubmatchIndex(s[ls:min(len(s), end+obfWindow)])
		if m == nil {
			continue
		}
		for j := range m {
			m[j] += ls
		}
		if !standsAlone(s, m) {
			continue
		}
		site := ""
		if re == obfWordRE {
			site = ownSite
		}
		addObfuscated(s[m[2]:m[3]], s[m[4]:m[5]], site, add)
		i = m[1] - 1
	}
}

// bracketAt reports whether a bracketed "at" ("[at]", "(@)", "{ at }",
// "<arroba>", "(ät)") starts at s[i], and where it ends.
func bracketAt(s string, i int) (end int, ok bool) {
	var closer byte
	switch s[i] {
	case '[':
		closer = ']'
	case '(':
		closer = ')'
	case '{':
		closer = '}'
	case '<':
		closer = '>'
	default:
		return 0, false
	}
	j := skipSpaces(s, i+1)
	word := ""
	for _, w := range []string{"at", "@", "arroba", "ät"} {
		if hasPrefixFold(s[j:], w) {
			word = w
			break
		}
	}
	if word == "" {
		return 0, false
	}
	j = skipSpaces(s, j+len(word))
	if j >= len(s) || s[j] != closer {
		return 0, false
	}
	return j + 1, true
}

// wordAt reports whether a spelled-out " at " followed by ownLabel (the
// site's name, "acme" of acme.de) starts at s[i], and where the "at" ends.
func wordAt(s string, i int, ownLabel string) (end int, ok bool) {
	if ownLabel == "" || !isSpace(s[i]) || i+3 >= len(s) || !hasPrefixFold(s[i+1:], "at") || !isSpace(s[i+3]) {
		return 0, false
	}
	if !hasPrefixFold(s[skipSpaces(s, i+3):], ownLabel) {
		return 0, false
	}
	return i + 3, true
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hasPrefixFold is strings.HasPrefix ignoring case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// standsAlone reports whether the match m of s is not the middle of a longer
// word ("büro(at)…" must not yield "ro@…").
func standsAlone(s string, m []int) bool {
	start, end := m[0], m[1]
	if start > 0 && (isLocalByte(s[start-1]) || wordRuneBefore(s, start)) {
		return false
	}
	return end >= len(s) || !(isDomainByte(s[end]) && s[end] != '.' || wordRuneAt(s, end))
}

func addObfuscated(local, domain, ownSite string, add func(string)) {
	domain = obfDotRE.ReplaceAllString(domain, ".")
	e, ok := normalizeEmail(local, domain)
	if !ok {
		return
	}
	if ownSite != "" && !onDomain(e[strings.IndexByte(e, '@')+1:], ownSite) {
		return
	}
	add(e)
}
