package page

import (
	"cmp"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzTimeLimit is a safety net, not a benchmark: any input the fuzzer makes
// (they stay small) must be read far faster than this, so hitting it means
// ExtractPage has gone super-linear somewhere.
const fuzzTimeLimit = 5 * time.Second

// FuzzExtractPage feeds arbitrary HTML to ExtractPage: it must not panic, must
// finish promptly, and what it returns must hold its documented invariants.
func FuzzExtractPage(f *testing.F) {
	for _, p := range testPages(f) {
		f.Add(p, "text/html")
	}
	for _, s := range []string{
		`<a href="mailto:%zz?x">a</a><a href="tel:%">b</a><a href="/cdn-cgi/l/email-protection#zz">c</a>`,
		`<span data-cfemail="00"></span><span data-cfemail="` + cf("é@ü.de", 0xff) + `"></span>`,
		`<script type="application/ld+json">[[[[{"email":{"email":["a@b.de"]}}]]]]</script>`,
		`<script type="application/ld+json">{"sameAs":["https://x.com/a",</script>`,
		`<base href="javascript:alert(1)"><a href="//[::1]:99999/kontakt">Kontakt</a>`,
		`a [at] b [dot] c [dot] d [dot] e at f dot g ＠ ．`,
		strings.Repeat("a@", 300) + strings.Repeat("<div>", 520),
	} {
		f.Add([]byte(s), "text/html; charset=utf-8")
	}
	f.Add([]byte("\x81\x97\xff\xfe<p>x</p>"), "text/html; charset=shift_jis")
	f.Add([]byte("<p>B\xfcro@x.de</p>"), "text/html; charset=bogus")

	page, _ := url.Parse("https://www.acme-tools.de/kontakt")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		start := time.Now()
		got := ExtractPage(body, contentType, page)
		if d := time.Since(start); d > fuzzTimeLimit {
			t.Fatalf("ExtractPage took %v for %d bytes", d, len(body))
		}
		if err := checkPageContacts(got, page); err != nil {
			t.Fatal(err)
		}
	})
}

// checkPageContacts checks the invariants ExtractPage documents.
func checkPageContacts(pc PageContacts, page *url.URL) error {
	seen := map[string]bool{}
	for _, e := range pc.Emails {
		local, domain, ok := strings.Cut(e, "@")
		if n, valid := normalizeEmail(local, domain); !ok || !valid || n != e {
			return fmt.Errorf("email %q is not a normalised, valid address", e)
		}
		if seen[e] {
			return fmt.Errorf("email %q twice", e)
		}
		seen[e] = true
	}
	for _, p := range pc.Phones {
		if p == "" || len(p) > maxPhoneLen || seen["tel:"+p] {
			return fmt.Errorf("phone %q empty, too long or repeated", p)
		}
		seen["tel:"+p] = true
	}
	for _, n := range networks() {
		for _, p := range *pc.Profiles.list(n) {
			if n2, canon, ok := ProfileURL(p); !ok || n2 != n || canon != p {
				return fmt.Errorf("profile %q (%s) is not canonical: %q %q %v", p, n, n2, canon, ok)
			}
		}
	}
	scope := newSiteScope()
	scope.add(page)
	for _, l := range pc.Links {
		u, err := url.Parse(l.URL)
		if err != nil || !scope.contains(u) || l.Score <= 0 || l.Kind == "" {
			return fmt.Errorf("link %+v is off-site, unscored or malformed (%v)", l, err)
		}
	}
	if !slices.IsSortedFunc(pc.Links, func(a, b Link) int { return cmp.Compare(b.Score, a.Score) }) {
		return fmt.Errorf("links not best first: %+v", pc.Links)
	}
	if pc.Region != "" && !knownRegion(pc.Region) {
		return fmt.Errorf("region %q unknown", pc.Region)
	}
	return nil
}

// testPages returns every HTML page under testdata/sites.
func testPages(tb testing.TB) [][]byte {
	tb.Helper()
	var pages [][]byte
	err := filepath.WalkDir(filepath.Join("testdata", "sites"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".html" {
			return err
		}
		b, err := os.ReadFile(p)
		pages = append(pages, b)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return pages
}

// BenchmarkExtractPage measures extraction throughput over the testdata
// pages (small, contact-heavy pages) and over a large, link-heavy page
// shaped like a modern business home page.
func BenchmarkExtractPage(b *testing.B) {
	page, _ := url.Parse("https://www.baeckerei-sonnenschein.de/")
	for _, bc := range []struct {
		name  string
		pages [][]byte
	}{
		{"testdata", testPages(b)},
		{"large", [][]byte{largePage()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			total := 0
			for _, p := range bc.pages {
				total += len(p)
			}
			b.SetBytes(int64(total))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for _, p := range bc.pages {
					ExtractPage(p, "text/html", page)
				}
				n += len(bc.pages)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkExtractPageAdversarial shows the time stays linear on inputs
// built to hurt: runs of '@', spelled-out "at" everywhere, nesting past the
// parser's limit (the plain-text fallback).
func BenchmarkExtractPageAdversarial(b *testing.B) {
	page, _ := url.Parse("https://www.acme-tools.de/")
	for _, bc := range []struct {
		name string
		body string
	}{
		{"at-signs", strings.Repeat("a@", 1<<18)},
		{"at-words", strings.Repeat("x at y [at] z dot ", 1<<15)},
		{"deep", strings.Repeat("<div>", 1<<16)},
		{"links", strings.Repeat(`<a href="/kontakt/x">Kontakt</a>`, 1<<14)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := []byte(bc.body)
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				ExtractPage(body, "text/html", page)
			}
		})
	}
}

// largePage builds a ~200 KB page: a big navigation, JSON-LD, inline
// scripts, article text and a footer with contacts and social links.
func largePage() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="de-DE"><head><meta charset="utf-8"><title>Shop</title>`)
	b.WriteString(`<script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization","email":"info@shop.de",` +
		`"telephone":"+49 30 1234567","sameAs":["https://www.facebook.com/shop","https://www.instagram.com/shop"]}</script>`)
	for i := range 20 {
		fmt.Fprintf(&b, `<script>window.chunk%d=function(e,t){return e.map(function(n){return n*%d})};var cfg={"api":"/api/v%d","v":"lib@%d.2.3"};</script>`, i, i, i, i)
	}
	b.WriteString(`</head><body><header><nav><ul>`)
	for i := range 300 {
		fmt.Fprintf(&b, `<li><a href="/kategorie/%d/produkt-%d" title="Produkt %d">Produkt %d</a></li>`, i%12, i, i, i)
	}
	b.WriteString(`<li><a href="/kontakt">Kontakt</a></li><li><a href="/impressum">Impressum</a></li></ul></nav></header><main>`)
	for i := range 200 {
		fmt.Fprintf(&b, `<article><h2>Artikel %d</h2><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor `+
			`incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation at ullamco laboris. `+
			`<img src="/img/p%d@2x.jpg" alt="Bild %d"></p></article>`, i, i, i)
	}
	b.WriteString(`</main><footer><p>Kontakt: info@shop.de · <a href="mailto:service@shop.de">service@shop.de</a> · ` +
		`<a href="tel:+49301234567">030 1234567</a></p><p><a href="https://twitter.com/shop">X</a> ` +
		`<a href="https://www.facebook.com/sharer/sharer.php?u=x">Teilen</a></p></footer></body></html>`)
	return []byte(b.String())
}
