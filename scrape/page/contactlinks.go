package page

import (
	"net"
	"net/url"
	"path"
	"strings"
	"unicode"

	"golang.org/x/net/publicsuffix"
)

// Link is a same-site link that may lead to contact details.
type Link struct {
	URL string // absolute and canonical (NormalizeURL): no fragment
	// Kind is what the link probably leads to: "contact", "impressum"
	// (imprint, legal notice), "about", "team", "legal", "support",
	// "locations", "privacy" or "home".
	Kind  string
	Score int // how likely the page holds contacts; higher is likelier, always > 0
}

// kindRule gives links whose path or text has one of its words a kind and a
// score. A word matches at the start of a word of the link ("contact"
// matches "contact-us" and "contactez", not "recontact"); cjk words, for
// scripts written without spaces, match anywhere.
type kindRule struct {
	kind  string
	score int
	words []string
	cjk   []string
}

// kindRules, most telling first. The scores order the pages visited: a
// contact page before an imprint (which by law in DE/AT/CH carries an email
// address) before an about page, and so on.
var kindRules = []kindRule{
	{kind: "contact", score: 100, words: []string{
		"contact", "kontakt", "contacto", "contato", "contatti", "contattaci", "contactez", "nous contacter",
		"contacteer", "yhteystiedot", "ota yhteytta", "kapcsolat", "iletisim", "iletişim", "reach us",
		"get in touch", "write to us", "enquir", "inquir", "связаться", "контакт", "επικοινωνία", "liên hệ",
	}, cjk: []string{"お問い合わせ", "お問合せ", "問い合わせ", "連絡先", "联系", "聯絡", "聯繫", "연락처", "문의"}},
	{kind: "impressum", score: 90, words: []string{
		"impressum", "imprint", "legal notice", "mentions legales", "mentions légales", "aviso legal",
		"nota legal", "note legali", "colofon", "colophon", "site notice", "anbieterkennzeichnung",
	}, cjk: []string{"特定商取引法"}},
	{kind: "about", score: 60, words: []string{
		"about", "who we are", "ueber uns", "uber uns", "über uns", "ueberuns", "uberuns", "überuns",
		"qui sommes nous", "a propos", "à propos", "apropos", "quienes somos", "quiénes somos",
		"sobre nosotros", "sobre nos", "sobre nós", "chi siamo", "over ons", "o nas", "om oss", "om os",
		"o nás", "unternehmen", "our story", "company", "о нас",
	}, cjk: []string{"会社概要", "会社案内", "企業情報", "关于我们", "關於我們", "회사소개"}},
	{kind: "team", score: 50, words: []string{
		"team", "people", "staff", "leadership", "management", "mitarbeiter", "equipe", "équipe",
		"equipo", "squadra", "zespół", "zespol", "команда",
	}},
	{kind: "legal", score: 40, words: []string{"legal", "rechtliches", "agb", "terms"}},
	{kind: "locations", score: 30, words: []string{
		"location", "offices", "office", "stores", "store locator", "standort", "anfahrt", "directions",
		"visit us", "find us", "how to find us", "opening hours", "öffnungszeiten", "oeffnungszeiten",
	}},
	{kind: "support", score: 30, words: []string{"support", "customer service", "kundenservice", "help center", "helpdesk"}},
	{kind: "privacy", score: 20, words: []string{
		"privacy", "datenschutz", "confidentialite", "confidentialité", "privacidad", "gdpr", "dsgvo",
	}},
}

// homeScore is the score of a site's root page when the given page was
// another: home pages link to the contact page.
const homeScore = 35

// notPages are path extensions of links that are not HTML pages.
var notPages = map[string]bool{
	".pdf": true, ".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".svg": true, ".webp": true,
	".zip": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".css": true, ".js": true, ".json": true,
	".xml": true, ".rss": true, ".ics": true, ".vcf": true, ".txt": true, ".csv": true, ".ico": true,
	".woff": true, ".woff2": true, ".ttf": true, ".exe": true, ".dmg": true, ".gz": true, ".rar": true,
}

// maxLinkText bounds the anchor text a link is judged by: a longer one is a
// teaser or an article title, not a menu entry.
const maxLinkText = 80

// scoreLink returns what u probably leads to and how likely it holds
// contacts, judged by its path and by text (anchor text, title,
// aria-label). score is 0 when nothing suggests contacts.
func scoreLink(u *url.URL, text string) (kind string, score int) {
	if notPages[strings.ToLower(path.Ext(u.Path))] {
		return "", 0
	}
	segs := pathSegments(u.Path)
	if len(segs) > 0 && isLangPrefix(segs[0]) {
		segs = segs[1:] // /de/kontakt, /en-gb/contact
	}
	pathKind, pathScore := matchKind(strings.Join(segs, " "))
	textKind, textScore := "", 0
	if len(text) <= maxLinkText {
		textKind, textScore = matchKind(text)
	}
	kind, score = pathKind, pathScore
	if textScore > score {
		kind, score = textKind, textScore
	}
	if score == 0 {
		return "", 0
	}
	if pathScore > 0 && textScore > 0 {
		score += 10
	}
	// /blog/2023/05/how-to-contact-us is an article, not the contact page.
	if extra := len(segs) - 2; extra > 0 {
		score -= 15 * extra
	}
	if u.RawQuery != "" {
		score -= 10
	}
	return kind, max(score, 1)
}

// kwEntry is one word of kindRules, for kwIndex.
type kwEntry struct {
	rule int // index in kindRules
	word string
}

// kwIndex holds the words of kindRules by their first two bytes, so
// matchKind looks only at the few words that could start at each word of
// the text.
var kwIndex = func() map[string][]kwEntry {
	m := map[string][]kwEntry{}
	for i, r := range kindRules {
		for _, w := range r.words {
			m[w[:2]] = append(m[w[:2]], kwEntry{rule: i, word: w})
		}
	}
	return m
}()

// matchKind returns the best rule matching s.
func matchKind(s string) (string, int) {
	if s == "" {
		return "", 0
	}
	norm := strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
	best := len(kindRules)
	for p := 0; p+2 <= len(norm); {
		for _, e := range kwIndex[norm[p:p+2]] {
			if e.rule < best && strings.HasPrefix(norm[p:], e.word) {
				best = e.rule
			}
		}
		next := strings.IndexByte(norm[p:], ' ')
		if next < 0 {
			break
		}
		p += next + 1
	}
	if hasNonASCII(norm) {
		for i, r := range kindRules[:best] {
			for _, w := range r.cjk {
				if strings.Contains(norm, w) {
					best = i
					break
				}
			}
		}
	}
	if best == len(kindRules) {
		return "", 0
	}
	return kindRules[best].kind, kindRules[best].score
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// isLangPrefix reports whether a path segment looks like a language prefix:
// "de", "en-gb", "pt_BR".
func isLangPrefix(seg string) bool {
	lang, region, _ := strings.Cut(strings.ReplaceAll(seg, "_", "-"), "-")
	return len(lang) == 2 && isAlpha(lang) && (region == "" || len(region) == 2 && isAlpha(region))
}

// siteScope decides which URLs belong to the site being read: those on the
// same registrable domain (example.co.uk covers www.example.co.uk and
// shop.example.co.uk) as any page the site was reached through; for IP
// addresses and single-label hosts, the same host and port.
type siteScope struct {
	domains map[string]bool
	hosts   map[string]bool
}

func newSiteScope() *siteScope {
	return &siteScope{domains: map[string]bool{}, hosts: map[string]bool{}}
}

// add puts u's site in the scope.
func (s *siteScope) add(u *url.URL) {
	if d := registrableDomain(u.Hostname()); d != "" {
		s.domains[d] = true
		return
	}
	s.hosts[strings.ToLower(u.Host)] = true
}

// contains reports whether u, an http or https URL, is on the site.
func (s *siteScope) contains(u *url.URL) bool {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if d := registrableDomain(u.Hostname()); d != "" {
		return s.domains[d]
	}
	return s.hosts[strings.ToLower(u.Host)]
}

// ownDomains returns the registrable domains of the scope.
func (s *siteScope) ownDomains() []string {
	var out []string
	for d := range s.domains {
		out = append(out, d)
	}
	return out
}

// registrableDomain returns host's registrable domain (eTLD+1) lower-cased,
// or "" for IP addresses, single labels and public suffixes.
func registrableDomain(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	return d
}
