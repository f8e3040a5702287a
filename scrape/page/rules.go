package page

import (
	"errors"
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// parseRule reads one extractRules value: "css selector" (the elements'
// text) or "css selector @attribute" (that attribute's value).
func parseRule(rule string) (cascadia.SelectorGroup, string, error) {
	rule = strings.TrimSpace(rule)
	if rule == "" {
		return nil, "", errors.New("must be a CSS selector, optionally followed by \" @attribute\"")
	}
	sel, attrName := rule, ""
	if i := strings.LastIndex(rule, " @"); i >= 0 {
		sel, attrName = strings.TrimSpace(rule[:i]), strings.TrimSpace(rule[i+2:])
		if attrName == "" || strings.ContainsAny(attrName, " \t\n") {
			return nil, "", fmt.Errorf("%q: the attribute after @ must be one name", rule)
		}
	}
	g, err := cascadia.ParseGroup(sel)
	if err != nil {
		return nil, "", fmt.Errorf("%q is not a valid CSS selector: %v", sel, err)
	}
	return g, attrName, nil
}

// applyRules evaluates extractRules on doc: one match gives a string,
// several an array of strings, none null. An element's value is its text,
// whitespace-collapsed, or with " @attr" the attribute's value (href and src
// made absolute against base).
func applyRules(doc *html.Node, rules map[string]string, base urlResolver) map[string]any {
	out := make(map[string]any, len(rules))
	for name, rule := range rules {
		g, attrName, err := parseRule(rule)
		if err != nil {
			out[name] = nil // ParseOptions refused it already
			continue
		}
		var vals []string
		for _, n := range cascadia.QueryAll(doc, g) {
			if attrName == "" {
				var w textWriter
				w.walk(n, false)
				vals = append(vals, strings.Join(strings.Fields(w.String()), " "))
				continue
			}
			v, ok := lookupAttr(n, attrName)
			if !ok {
				continue
			}
			if attrName == "href" || attrName == "src" {
				v = base.resolve(v)
			}
			vals = append(vals, v)
		}
		switch len(vals) {
		case 0:
			out[name] = nil
		case 1:
			out[name] = vals[0]
		default:
			out[name] = vals
		}
	}
	return out
}

// excludeTags removes every element matching one of sels.
func excludeTags(doc *html.Node, sels []string) {
	for _, s := range sels {
		g, err := cascadia.ParseGroup(s)
		if err != nil {
			continue
		}
		for _, n := range cascadia.QueryAll(doc, g) {
			if n.Parent != nil {
				n.Parent.RemoveChild(n)
			}
		}
	}
}

// includeOnlyTags returns a new document whose body holds only the elements
// matching sels, in document order (an element inside another match is kept
// once, with its ancestor).
func includeOnlyTags(doc *html.Node, sels []string) *html.Node {
	var groups []cascadia.SelectorGroup
	for _, s := range sels {
		if g, err := cascadia.ParseGroup(s); err == nil {
			groups = append(groups, g)
		}
	}
	var keep []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, g := range groups {
				if g.Match(n) {
					keep = append(keep, n)
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	out, _ := html.Parse(strings.NewReader("<html><head></head><body></body></html>"))
	body := first(out, func(*html.Node) bool { return false }, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "body" })
	for _, n := range keep {
		n.Parent.RemoveChild(n)
		body.AppendChild(n)
	}
	return out
}

// removeBase64Images drops <img> (and <source>) elements whose src or srcset
// is a data: URL.
func removeBase64Images(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode && (c.Data == "img" || c.Data == "source") &&
			(hasScheme(attr(c, "src"), "data") || hasScheme(attr(c, "srcset"), "data")) {
			n.RemoveChild(c)
		} else {
			removeBase64Images(c)
		}
		c = next
	}
}
