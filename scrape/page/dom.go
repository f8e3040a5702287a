package page

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The small DOM helpers the HTML scrapers share.

// Walk calls fn on n and, while fn returns true, on its descendants.
func Walk(n *html.Node, fn func(*html.Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		Walk(c, fn)
	}
}

// Find is the first element of n's tree (n included) for which fn holds.
func Find(n *html.Node, fn func(*html.Node) bool) *html.Node {
	var out *html.Node
	Walk(n, func(c *html.Node) bool {
		if out != nil {
			return false
		}
		if c.Type == html.ElementNode && fn(c) {
			out = c
			return false
		}
		return true
	})
	return out
}

// Attr is the value of n's attribute key, "" when it has none (or n is
// nil).
func Attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	return attr(n, key)
}

// HasClass reports whether n is an element with class among its classes.
func HasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), class)
}

// TextOf is the text of n and its descendants, scripts and styles left out;
// a line break, div or paragraph counts as a space.
func TextOf(n *html.Node) string {
	var b strings.Builder
	Walk(n, func(c *html.Node) bool {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(c.Data)
		case c.DataAtom == atom.Script || c.DataAtom == atom.Style:
			return false
		case c.DataAtom == atom.Br || c.DataAtom == atom.Div || c.DataAtom == atom.P:
			b.WriteByte(' ')
		}
		return true
	})
	return b.String()
}

// Clean collapses runs of white space to one space and trims the ends.
func Clean(s string) string { return strings.Join(strings.Fields(s), " ") }
