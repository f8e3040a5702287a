package page

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// Page is what trawl keeps of one fetched HTML page.
type Page struct {
	// Title is the first <title>, whitespace-collapsed and trimmed; when there
	// is none or it is blank, the text of the first <h1>.
	Title string
	// Text is the visible text: without the content of script, style,
	// noscript, template, svg, canvas, iframe, head and elements with the
	// hidden attribute. Block elements start new lines, paragraphs and
	// headings are set apart by an empty line, table cells are separated by a
	// tab, runs of white space (including no-break spaces) become one space
	// (<pre> keeps its line breaks), there is never more than one empty line
	// in a row, and the whole is trimmed. Only filled when asked for in
	// [Formats].
	Text string
	// Markdown is the page as CommonMark with GFM tables and strikethrough,
	// with links and images made absolute against the page's base URL, and
	// the same content removed as for Text. Only filled when asked for.
	Markdown string
	// HTML is the document as served, decoded to UTF-8 (invalid sequences
	// become U+FFFD, a byte order mark is removed). Only filled when asked for.
	HTML string
	// Links are the page's outgoing links from <a href> and <area href>
	// (not inside <template> or <svg>), resolved against the base URL
	// (honouring <base href>), canonicalised by [NormalizeURL], http and
	// https only, without duplicates, in document order. rel="nofollow" links
	// are kept. A fragment-only href such as "#top" yields the page itself.
	// Nil when there are none.
	Links []string
}

// Formats says which of the costlier Page fields ParsePage fills. The zero
// value asks for none of them: Title and Links are always filled.
type Formats struct{ Text, Markdown, HTML bool }

// ParsePage decodes body and extracts a Page from it.
//
// The charset comes from, in order: a byte order mark, the charset parameter
// of contentType, a <meta charset> or <meta http-equiv="Content-Type"> in the
// first 1024 bytes; failing those, UTF-8 (so an undeclared legacy page shows
// U+FFFD where its non-ASCII bytes were). baseURL is the final URL of the
// response (after redirects) that relative links resolve against; when it is
// nil only absolute links are kept.
//
// Malformed HTML is parsed the way a browser parses it. ParsePage returns an
// error only when the body cannot be decoded, when elements nest deeper than
// 512 (a hard limit of golang.org/x/net/html, reached by some pages with
// thousands of unclosed tags), or when the Markdown conversion fails. It is
// safe for concurrent use and does not keep or modify body or baseURL.
func ParsePage(body []byte, contentType string, baseURL *url.URL, formats Formats) (*Page, error) {
	decoded, err := decode(body, contentType)
	if err != nil {
		return nil, err
	}
	doc, err := html.Parse(strings.NewReader(decoded))
	if err != nil {
		return nil, fmt.Errorf("parse html: %w", err)
	}
	docBase := documentBase(doc, baseURL)
	p := &Page{Title: title(doc), Links: links(doc, docBase)}
	if formats.HTML {
		p.HTML = decoded
	}
	if formats.Text {
		var w textWriter
		w.walk(doc, false)
		p.Text = w.String()
	}
	if formats.Markdown {
		// Last: the conversion rewrites doc in place.
		if p.Markdown, err = markdown(doc, docBase); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// IsHTML reports whether a response with this Content-Type is an HTML or
// XHTML document. When contentType is empty the type is sniffed from body
// with http.DetectContentType, which recognises HTML only by a leading tag
// such as <!DOCTYPE html>, <html>, <head>, <body> or <p>.
func IsHTML(contentType string, body []byte) bool {
	if strings.TrimSpace(contentType) == "" {
		contentType = http.DetectContentType(body)
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}

// decode returns body as a valid UTF-8 string; see ParsePage for how the
// charset is chosen.
func decode(body []byte, contentType string) (string, error) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	// DetermineEncoding's last resort for a body that declares nothing is a
	// bare charmap.Windows1252 (a declared one comes back wrapped, so it does
	// not compare equal). trawl falls back to UTF-8 instead: most of today's
	// web is UTF-8, and one stray byte should not turn a whole page into
	// mojibake. TestParsePageCharset pins this.
	if !certain && enc == charmap.Windows1252 {
		name = "utf-8"
	}
	var s string
	if name == "utf-8" && utf8.Valid(body) {
		s = string(body) // the common case: no decoding needed
	} else {
		if name == "utf-8" {
			// The wrapped decoder replaces invalid bytes with U+FFFD as
			// the WHATWG Encoding Standard says; encoding.Nop would not.
			enc, _ = charset.Lookup("utf-8")
		}
		b, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return "", fmt.Errorf("decode %s: %w", name, err)
		}
		s = string(b)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s, nil
}

// documentBase returns the URL the document's links resolve against: the
// first <base href>, itself resolved against baseURL, when it yields an http
// or https URL; baseURL otherwise.
func documentBase(doc *html.Node, baseURL *url.URL) *url.URL {
	b := first(doc, isTemplate, func(n *html.Node) bool {
		return isHTML(n, atom.Base) && hasAttr(n, "href")
	})
	if b == nil {
		return baseURL
	}
	u, err := normalize(baseURL, attr(b, "href"))
	if err != nil {
		return baseURL
	}
	return u
}

// title returns the document's title; see Page.Title.
func title(doc *html.Node) string {
	t := first(doc, isTemplate, func(n *html.Node) bool { return isHTML(n, atom.Title) })
	if t != nil {
		var b strings.Builder
		for c := t.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		if s := strings.Join(strings.Fields(b.String()), " "); s != "" {
			return s
		}
	}
	notRendered := func(n *html.Node) bool { return n.Type == html.ElementNode && !rendered(n) }
	h1 := first(doc, notRendered, func(n *html.Node) bool { return isHTML(n, atom.H1) })
	if h1 == nil {
		return ""
	}
	var w textWriter
	w.walk(h1, false)
	return strings.Join(strings.Fields(w.String()), " ")
}

// links returns the page's outgoing links; see Page.Links.
func links(doc *html.Node, docBase *url.URL) []string {
	var out []string
	seen := make(map[string]bool)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Namespace != "" || n.DataAtom == atom.Template {
				return
			}
			if n.DataAtom == atom.A || n.DataAtom == atom.Area {
				if href, ok := lookupAttr(n, "href"); ok {
					if u, err := NormalizeURL(docBase, href); err == nil && !seen[u] {
						seen[u] = true
						out = append(out, u)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// markdown converts doc, which it modifies, to Markdown.
func markdown(doc *html.Node, docBase *url.URL) (string, error) {
	prune(doc)
	conv := converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
	var opts []converter.ConvertOptionFunc
	if docBase != nil {
		opts = append(opts, converter.WithDomain(docBase.String()))
	}
	md, err := conv.ConvertNode(doc, opts...)
	if err != nil {
		return "", fmt.Errorf("convert to markdown: %w", err)
	}
	return string(md), nil
}

// prune removes from n every element that is not rendered, the link of <a>
// elements with no href or with one that would run script, and images
// inlined as data: URLs (mostly placeholder pixels and icons that would
// bloat the Markdown).
func prune(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case c.Type != html.ElementNode:
		case !rendered(c), isHTML(c, atom.Img) && hasScheme(attr(c, "src"), "data"):
			n.RemoveChild(c)
		case isHTML(c, atom.A):
			href, ok := lookupAttr(c, "href")
			if !ok || hasScheme(href, "javascript") || hasScheme(href, "vbscript") {
				// Not a link (or not one to follow): keep just its text.
				// The converter would make the page's own URL of it.
				c.Data, c.DataAtom = "span", atom.Span
				removeAttr(c, "href")
			}
		}
		if c.Parent == n {
			prune(c)
		}
		c = next
	}
}

// hasScheme reports whether ref, as a browser reads it, has the scheme.
func hasScheme(ref, scheme string) bool {
	before, _, ok := strings.Cut(cleanRef(ref), ":")
	return ok && strings.EqualFold(before, scheme)
}

// rendered reports whether a browser would show element n's content.
func rendered(n *html.Node) bool {
	if n.Namespace == "svg" || hasAttr(n, "hidden") {
		return false
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head,
		atom.Title, atom.Iframe, atom.Canvas:
		return false
	}
	return true
}

// textWriter accumulates the Page.Text of a tree. Line breaks and separators
// are held back until the next word, so the text never starts or ends with
// them and a line never ends in a space.
type textWriter struct {
	b      strings.Builder
	breaks int  // line breaks wanted by block boundaries; the largest wins
	hard   int  // line breaks from <br> and newlines in <pre>; they add up
	sep    byte // pending ' ' or '\t' between words on one line
}

func (w *textWriter) String() string { return w.b.String() }

func (w *textWriter) walk(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, pre)
		return
	case html.DocumentNode:
	case html.ElementNode:
		if !rendered(n) {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.hard++
			return
		case atom.Td, atom.Th:
			w.sep = '\t'
		case atom.Pre, atom.Listing, atom.Textarea:
			pre = true
		}
	default:
		return // comments, doctype
	}
	breaks := blockBreaks(n)
	w.breaks = max(w.breaks, breaks)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, pre)
	}
	w.breaks = max(w.breaks, breaks)
}

// text writes a text node. Inside <pre> its newlines are kept; otherwise
// they are white space like any other.
func (w *textWriter) text(s string, pre bool) {
	if !pre {
		w.inline(s)
		return
	}
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			w.hard++
		}
		w.inline(line)
	}
}

// inline writes s with its runs of white space collapsed to one space.
func (w *textWriter) inline(s string) {
	if s == "" {
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		w.space()
	}
	for i, f := range strings.Fields(s) {
		if i > 0 {
			w.space()
		}
		w.word(f)
	}
	if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
		w.space()
	}
}

func (w *textWriter) space() {
	if w.sep == 0 {
		w.sep = ' '
	}
}

// word writes what is pending before it, then s.
func (w *textWriter) word(s string) {
	if w.b.Len() > 0 {
		if n := min(w.breaks+w.hard, 2); n > 0 {
			w.b.WriteString("\n\n"[:n])
		} else if w.sep != 0 {
			w.b.WriteByte(w.sep)
		}
	}
	w.breaks, w.hard, w.sep = 0, 0, 0
	w.b.WriteString(s)
}

// blockBreaks returns how many line breaks element n wants before and after
// itself in Page.Text: 2 (an empty line) for paragraphs and headings, 1 for
// other elements a browser lays out as blocks, 0 for inline ones.
func blockBreaks(n *html.Node) int {
	if n.Type != html.ElementNode || n.Namespace != "" {
		return 0
	}
	switch n.Data {
	case "p", "h1", "h2", "h3", "h4", "h5", "h6":
		return 2
	case "address", "article", "aside", "blockquote", "caption", "center",
		"dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset",
		"figcaption", "figure", "footer", "form", "header", "hgroup", "hr",
		"legend", "li", "listing", "main", "menu", "nav", "ol", "optgroup",
		"option", "pre", "search", "section", "summary", "table", "tr", "ul",
		"xmp":
		return 1
	}
	return 0
}

// first returns the first node under n, in document order, that match
// accepts, without looking into the nodes skip accepts. It returns nil when
// there is none.
func first(n *html.Node, skip, match func(*html.Node) bool) *html.Node {
	if skip(n) {
		return nil
	}
	if match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := first(c, skip, match); m != nil {
			return m
		}
	}
	return nil
}

// isTemplate reports whether n is a <template>, whose content is not part of
// the document.
func isTemplate(n *html.Node) bool { return isHTML(n, atom.Template) }

// isHTML reports whether n is the HTML element a.
func isHTML(n *html.Node, a atom.Atom) bool {
	return n.Type == html.ElementNode && n.DataAtom == a && n.Namespace == ""
}

func lookupAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string {
	v, _ := lookupAttr(n, key)
	return v
}

func removeAttr(n *html.Node, key string) {
	n.Attr = slices.DeleteFunc(n.Attr, func(a html.Attribute) bool { return a.Namespace == "" && a.Key == key })
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := lookupAttr(n, key)
	return ok
}
