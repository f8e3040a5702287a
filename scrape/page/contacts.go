package page

import (
	"cmp"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Caps on what one page yields, so a directory page or a hostile one cannot
// make a row (or the memory) unbounded.
const (
	maxPerPage      = 200  // emails, phones, profiles per network
	maxLinksPerPage = 1000 // candidate links looked at
	maxJSONLD       = 1 << 20
	maxJSONLDDepth  = 64
	maxItemText     = 256
)

// PageContacts is what one HTML page says about how to reach its owner.
type PageContacts struct {
	// Emails are the page's addresses, lower-cased, filtered (see the
	// package documentation) and de-duplicated, in document order.
	Emails []string
	// Phones are numbers as written in tel: and callto: links, JSON-LD and
	// microdata telephone fields, og:phone_number and the visible text (in
	// international form or right after a phone word; see scanPhones),
	// trimmed and de-duplicated, in document order. Normalise them with
	// [NormalizePhone]; Region helps.
	Phones []string
	// Region is the country the page says it is about, as an ISO 3166-1
	// alpha-2 code: a JSON-LD or microdata addressCountry, else the region
	// of <html lang="de-AT">. "" when the page says nothing.
	Region string
	// Profiles are the social profiles linked from the page (<a href> to
	// other sites, <link href>, JSON-LD sameAs and url).
	Profiles Profiles
	// Links are the page's links on the same site (same registrable domain
	// as the page) that may lead to contacts, best first, the page itself
	// excluded.
	Links []Link
}

// ExtractPage reads the contacts in one HTML page. pageURL is the page's
// final URL (after redirects): links resolve against it (or the page's
// <base href>), and it decides which links are on the same site and which
// spelled-out addresses ("info at acme dot de") are the site's own. A nil
// pageURL yields no Links and no spelled-out addresses.
//
// Emails come from mailto: links (query and percent-escapes removed), the
// visible text, attribute values (content, value, title, alt, placeholder,
// aria-label, data-*), the text of scripts (with \u0040 and \x40 decoded),
// JSON-LD email fields, microdata itemprop="email", Cloudflare-protected
// addresses (data-cfemail and /cdn-cgi/l/email-protection#…), and the
// visible text's "name [at] domain [dot] com" spellings. The charset is
// decoded as the crawler does ([DecodeHTML]).
//
// ExtractPage never fails: a body it cannot parse as HTML (nesting deeper
// than 512 elements) is scanned as plain text for addresses. Its time is
// linear in the size of body. It is safe for concurrent use and does not keep
// or modify body or pageURL.
func ExtractPage(body []byte, contentType string, pageURL *url.URL) PageContacts {
	decoded, err := DecodeHTML(body, contentType)
	if err != nil {
		decoded = strings.ToValidUTF8(string(body), "\uFFFD")
	}
	ex := newPageExtractor(pageURL)
	doc, err := html.Parse(strings.NewReader(decoded))
	if err != nil {
		ex.scanText(decoded)
		return ex.result()
	}
	ex.walk(doc)
	ex.flushText()
	return ex.result()
}

// pageExtractor holds the state of one ExtractPage call.
type pageExtractor struct {
	page      *url.URL // nil when unknown
	pageCanon string   // page in NormalizeURL form
	base      *url.URL // the page URL or its <base href>
	baseSet   bool
	scope     *siteScope
	ownSite   string // the page's registrable domain, for spelled-out addresses

	emails     orderedSet
	phones     orderedSet
	profiles   Profiles
	seenProf   map[string]bool
	regionLD   string
	regionLang string
	links      []Link
	linkIndex  map[string]int
	text       strings.Builder
}

func newPageExtractor(page *url.URL) *pageExtractor {
	ex := &pageExtractor{page: page, base: page, scope: newSiteScope(), seenProf: map[string]bool{}, linkIndex: map[string]int{}}
	if page != nil {
		ex.scope.add(page)
		ex.pageCanon, _ = NormalizeURL(nil, page.String())
		ex.ownSite = registrableDomain(page.Hostname())
	}
	return ex
}

func (ex *pageExtractor) result() PageContacts {
	region := ex.regionLD
	if region == "" {
		region = ex.regionLang
	}
	var links []Link
	for _, l := range ex.links {
		if l.Score > 0 {
			links = append(links, l)
		}
	}
	slices.SortStableFunc(links, func(a, b Link) int { return cmp.Compare(b.Score, a.Score) })
	return PageContacts{Emails: ex.emails.items, Phones: ex.phones.items, Region: region, Profiles: ex.profiles, Links: links}
}

func (ex *pageExtractor) addEmail(e string) {
	if len(ex.emails.items) < maxPerPage {
		ex.emails.add(e)
	}
}

func (ex *pageExtractor) addPhone(raw string) {
	if p := cleanPhoneText(raw); p != "" && len(ex.phones.items) < maxPerPage {
		ex.phones.add(p)
	}
}

// addProfile keeps rawURL when it is a social profile and reports whether it
// was one.
func (ex *pageExtractor) addProfile(rawURL string) bool {
	n, canon, ok := ProfileURL(rawURL)
	if !ok {
		return false
	}
	if !ex.seenProf[canon] {
		l := ex.profiles.list(n)
		if len(*l) < maxPerPage {
			ex.seenProf[canon] = true
			*l = append(*l, canon)
		}
	}
	return true
}

// scanText looks for addresses in visible text.
func (ex *pageExtractor) scanText(s string) {
	scanEmails(s, ex.addEmail)
	scanObfuscated(s, ex.ownSite, ex.addEmail)
	scanPhones(s, ex.addPhone)
}

// flushText scans the text gathered since the last block boundary, so that
// addresses are found in document order and the obfuscation patterns never
// span blocks.
func (ex *pageExtractor) flushText() {
	if ex.text.Len() > 0 {
		ex.scanText(ex.text.String())
		ex.text.Reset()
	}
}

func (ex *pageExtractor) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		ex.text.WriteString(n.Data)
		return
	case html.DocumentNode:
	case html.ElementNode:
		if n.Namespace != "" {
			return // svg, math
		}
		if !ex.element(n) {
			return
		}
	default:
		return // comments, doctype
	}
	block := isBlock(n.DataAtom)
	if block {
		ex.flushText()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		ex.walk(c)
	}
	if block {
		ex.flushText()
	}
}

// element reads one element's own contacts and reports whether its children
// should be walked as document content.
func (ex *pageExtractor) element(n *html.Node) bool {
	ex.attributes(n)
	switch n.DataAtom {
	case atom.Script:
		ex.script(n)
		return false
	case atom.Style:
		return false
	case atom.Base:
		if href, ok := lookupAttr(n, "href"); ok && !ex.baseSet {
			ex.baseSet = true
			if u, err := url.Parse(strings.TrimSpace(href)); err == nil && ex.page != nil {
				if b := ex.page.ResolveReference(u); b.Scheme == "http" || b.Scheme == "https" {
					ex.base = b
				}
			}
		}
	case atom.Html:
		if ex.regionLang == "" {
			ex.regionLang = regionFromLang(attr(n, "lang"))
		}
	case atom.A, atom.Area:
		if href, ok := lookupAttr(n, "href"); ok {
			ex.link(n, href)
		}
	case atom.Link:
		if href, ok := lookupAttr(n, "href"); ok {
			if u, err := NormalizeURL(ex.base, href); err == nil {
				ex.addProfile(u)
			}
		}
	case atom.Meta:
		key := strings.ToLower(attr(n, "name") + " " + attr(n, "property"))
		if strings.Contains(key, "phone") {
			ex.addPhone(attr(n, "content"))
		}
	}
	return true
}

// attributes reads the addresses held in n's attributes, Cloudflare's
// data-cfemail and microdata.
func (ex *pageExtractor) attributes(n *html.Node) {
	for _, a := range n.Attr {
		if a.Namespace != "" {
			continue
		}
		switch k := a.Key; {
		case k == "data-cfemail":
			if dec, ok := decodeCFEmail(a.Val); ok {
				scanDecoded(dec, ex.addEmail)
			}
		case k == "itemprop":
			ex.microdata(n, strings.ToLower(strings.TrimSpace(a.Val)))
		case k == "content", k == "value", k == "title", k == "alt", k == "placeholder", k == "aria-label",
			k == "label", strings.HasPrefix(k, "data-"):
			if strings.IndexByte(a.Val, '@') >= 0 || hasFullWidthAt(a.Val) {
				scanEmails(a.Val, ex.addEmail)
			}
		}
	}
}

// microdata reads schema.org microdata email, telephone and addressCountry.
func (ex *pageExtractor) microdata(n *html.Node, prop string) {
	if prop != "email" && prop != "telephone" && prop != "addresscountry" {
		return
	}
	v, ok := lookupAttr(n, "content")
	if !ok {
		v, ok = lookupAttr(n, "href")
	}
	if !ok {
		v = nodeText(n, maxItemText)
	}
	switch prop {
	case "email":
		scanDecoded(v, ex.addEmail)
	case "telephone":
		if tel := cleanTel(v); tel != "" {
			ex.addPhone(tel)
		} else {
			ex.addPhone(v)
		}
	case "addresscountry":
		ex.setRegionLD(v)
	}
}

func (ex *pageExtractor) setRegionLD(v string) {
	if v = strings.ToUpper(strings.TrimSpace(v)); ex.regionLD == "" && knownRegion(v) {
		ex.regionLD = v
	}
}

// link reads an <a> or <area> href: an address, a phone number, a social
// profile or a same-site page that may hold contacts.
func (ex *pageExtractor) link(n *html.Node, href string) {
	trimmed := strings.TrimSpace(href)
	lower := strings.ToLower(trimmed[:min(len(trimmed), 8)])
	switch {
	case strings.Contains(href, cfEmailPath):
		scanCFHref(href, ex.addEmail)
		return
	case strings.HasPrefix(lower, "mailto:"):
		scanMailto(trimmed, ex.addEmail)
		return
	case strings.HasPrefix(lower, "tel:"), strings.HasPrefix(lower, "callto:"):
		ex.addPhone(cleanTel(trimmed))
		return
	}
	abs, err := NormalizeURL(ex.base, href)
	if err != nil {
		return
	}
	u, err := url.Parse(abs)
	if err != nil {
		return
	}
	if !ex.scope.contains(u) {
		// Another site's page may be a profile. (The page's own site's
		// never is: on a social network's page those are its menus.)
		ex.addProfile(abs)
		return
	}
	if abs == ex.pageCanon {
		return
	}
	if i, ok := ex.linkIndex[abs]; ok {
		// Seen before: keep the better reading of the two.
		if kind, score := scoreLink(u, linkText(n)); score > ex.links[i].Score {
			ex.links[i].Kind, ex.links[i].Score = kind, score
		}
		return
	}
	if len(ex.linkIndex) >= maxLinksPerPage {
		return
	}
	kind, score := scoreLink(u, linkText(n))
	ex.linkIndex[abs] = len(ex.links)
	if score > 0 {
		ex.links = append(ex.links, Link{URL: abs, Kind: kind, Score: score})
	} else {
		ex.links = append(ex.links, Link{URL: abs}) // placeholder, dropped below
	}
}

// jsUnescape decodes the escapes scripts write '@' and '.' with.
var jsUnescape = strings.NewReplacer(`\u0040`, "@", `\x40`, "@", `\u002e`, ".", `\u002E`, ".", `\/`, "/")

// script reads a <script>: JSON-LD for emails, phones, profiles and the
// country; any other script's text for addresses written in it.
func (ex *pageExtractor) script(n *html.Node) {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	s := b.String()
	if s == "" {
		return
	}
	typ, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(attr(n, "type"))), ";")
	if typ == "application/ld+json" && len(s) <= maxJSONLD {
		ex.jsonLD(s)
	}
	if strings.Contains(s, `\`) {
		s = jsUnescape.Replace(s)
	}
	scanEmails(s, ex.addEmail)
}

// linkText is what a link says: its text, the alt text of its images, its
// title and aria-label, up to a bound.
func linkText(n *html.Node) string {
	t := nodeText(n, maxLinkText+1)
	for _, k := range []string{"title", "aria-label"} {
		if v := attr(n, k); v != "" {
			t += " " + v
		}
	}
	return t
}

// nodeText returns the text under n, img alt texts included, cut near limit
// bytes.
func nodeText(n *html.Node, limit int) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && b.Len() < limit; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && c.DataAtom == atom.Img:
				b.WriteString(" " + attr(c, "alt") + " ")
			case c.Type == html.ElementNode && c.DataAtom != atom.Script && c.DataAtom != atom.Style:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// isBlock reports whether an element starts a new line of text: addresses
// never run across it.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Br, atom.Caption, atom.Dd,
		atom.Div, atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Li, atom.Main,
		atom.Nav, atom.Ol, atom.Option, atom.P, atom.Pre, atom.Section, atom.Table, atom.Td, atom.Th,
		atom.Tr, atom.Ul, atom.Title, atom.Textarea, atom.Button, atom.Label, atom.Select, atom.Body,
		atom.Head, atom.Noscript, atom.Template:
		return true
	}
	return false
}

// orderedSet keeps strings in first-seen order without duplicates.
type orderedSet struct {
	items []string
	seen  map[string]bool
}

func (s *orderedSet) add(v string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[v] {
		s.seen[v] = true
		s.items = append(s.items, v)
	}
}
