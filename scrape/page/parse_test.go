package page

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// updateGolden is the package's one -update flag; other tests in the package
// that keep golden files should use it too (a second flag of that name would
// panic).
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

var allFormats = Formats{Text: true, Markdown: true, HTML: true}

func mustParseURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", raw, err)
	}
	return u
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkGolden compares got with testdata/name, or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s: got differs from want (-want +got):\n%s", name, diff)
	}
}

func TestParsePageGolden(t *testing.T) {
	t.Parallel()
	body := readTestdata(t, "typical.html")
	p, err := ParsePage(body, "text/html", mustParseURL(t, "https://www.example.com/en/index.html"), allFormats)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "typical.txt", p.Text)
	checkGolden(t, "typical.md", p.Markdown)

	if got, want := p.Title, "Acme Widgets — Handmade since 1972"; got != want {
		t.Errorf("Title: got %q, want %q", got, want)
	}
	if got, want := p.HTML, string(body); got != want {
		t.Errorf("HTML: got %d bytes, want the %d bytes served", len(got), len(want))
	}
	wantLinks := []string{
		"https://www.example.com/",
		"https://www.example.com/products/",
		"https://www.example.com/en/about.html",
		"https://shop.example.com/cart?ref=nav&lang=en",
		"https://www.example.com/history",
		"https://www.example.com/en/index.html",
	}
	if diff := cmp.Diff(wantLinks, p.Links); diff != "" {
		t.Errorf("Links: got differs from want (-want +got):\n%s", diff)
	}

	// The golden files could be rewritten into anything with -update; these
	// hold whatever they say.
	for _, want := range []string{
		"# Widgets for every workshop",
		"## Why Acme",
		"[full story](https://www.example.com/history#1972)",
		"[About us](https://www.example.com/en/about.html)",
		"- Forged steel, not cast",
		"1. Pick a model",
		"**sturdy**",
		"*browse*",
		"`2\u00a0days`",
		"| W-100 | Small |",
		"[Back to top](https://www.example.com/en/index.html#top)",
		"```\norder --model W-100\n      --qty 2\n```",
	} {
		if !strings.Contains(p.Markdown, want) {
			t.Errorf("Markdown: got no %q in\n%s", want, p.Markdown)
		}
	}
	for _, want := range []string{"Widgets for every workshop\n\nAcme has made sturdy", "W-100\tSmall\t$12"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("Text: got no %q in\n%s", want, p.Text)
		}
	}
	for _, unwanted := range []string{
		"dataLayer", "font-family", "not a paragraph", "enable JavaScript",
		"HIDDEN10", "Template text", "svg text", "svg title", "Acme Widgets",
		"javascript:",
	} {
		if strings.Contains(p.Text, unwanted) {
			t.Errorf("Text: got %q, want no such text", unwanted)
		}
		if strings.Contains(p.Markdown, unwanted) {
			t.Errorf("Markdown: got %q, want no such text", unwanted)
		}
	}
}

func TestParsePageCharset(t *testing.T) {
	t.Parallel()
	// Non-ASCII text after the first 1024 bytes, where charset sniffing no
	// longer looks.
	lateUTF8 := "<!DOCTYPE html><html><head><title>Late</title><!--" +
		strings.Repeat("x", 1100) + "--></head><body><p>Grüße, naïve café</p></body></html>"
	utf16le := func(s string) []byte {
		b := []byte{0xff, 0xfe}
		for _, r := range utf16.Encode([]rune(s)) {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantTitle   string
		wantText    string
	}{
		{
			name:      "latin1 declared by meta charset",
			body:      readTestdata(t, "latin1-meta.html"),
			wantTitle: "Café Müller",
			wantText:  "Café Müller\n\nÜber uns: Crème brûlée, Smørrebrød, Größe.\n\nMenü",
		},
		{
			name:      "latin1 declared by meta http-equiv",
			body:      readTestdata(t, "latin1-http-equiv.html"),
			wantTitle: "Jürgen’s café",
			wantText:  "Grüße aus Zürich.",
		},
		{
			name:        "windows-1252 declared by Content-Type only",
			body:        readTestdata(t, "cp1252-header.html"),
			contentType: "text/html; charset=windows-1252",
			wantTitle:   "Crème brûlée – 12 €",
			wantText:    "Prix : 12 € – Crème brûlée für Müller.",
		},
		{
			name:        "Content-Type label is case-insensitive and quoted",
			body:        readTestdata(t, "cp1252-header.html"),
			contentType: `Text/HTML; Charset="ISO-8859-1"`,
			wantTitle:   "Crème brûlée – 12 €",
			wantText:    "Prix : 12 € – Crème brûlée für Müller.",
		},
		{
			name:        "Content-Type wins over meta",
			body:        readTestdata(t, "latin1-meta.html"),
			contentType: "text/html; charset=utf-8",
			wantTitle:   "Caf\uFFFD M\uFFFDller",
			wantText:    "Caf\uFFFD M\uFFFDller\n\n\uFFFDber uns: Cr\uFFFDme br\uFFFDl\uFFFDe, Sm\uFFFDrrebr\uFFFDd, Gr\uFFFD\uFFFDe.\n\nMen\uFFFD",
		},
		{
			name:      "undeclared legacy bytes fall back to UTF-8",
			body:      readTestdata(t, "cp1252-header.html"),
			wantTitle: "Cr\uFFFDme br\uFFFDl\uFFFDe \uFFFD 12 \uFFFD",
			wantText:  "Prix : 12 \uFFFD \uFFFD Cr\uFFFDme br\uFFFDl\uFFFDe f\uFFFDr M\uFFFDller.",
		},
		{
			name:      "Shift_JIS declared by meta charset",
			body:      readTestdata(t, "shift_jis.html"),
			wantTitle: "日本語のページ",
			wantText:  "ようこそ\n\nこんにちは、世界。価格は１２００円です。\n\n記事",
		},
		{
			name:      "undeclared UTF-8 past the sniffing window",
			body:      []byte(lateUTF8),
			wantTitle: "Late",
			wantText:  "Grüße, naïve café",
		},
		{
			name:      "UTF-8 byte order mark",
			body:      []byte("\xef\xbb\xbf<title>BOM</title><p>Olá</p>"),
			wantTitle: "BOM",
			wantText:  "Olá",
		},
		{
			name:        "UTF-16LE byte order mark wins over Content-Type",
			body:        utf16le("<title>Wide</title><p>Zürich</p>"),
			contentType: "text/html; charset=iso-8859-1",
			wantTitle:   "Wide",
			wantText:    "Zürich",
		},
		{
			name:        "unknown charset label falls back to sniffing",
			body:        readTestdata(t, "latin1-meta.html"),
			contentType: "text/html; charset=x-no-such-thing",
			wantTitle:   "Café Müller",
			wantText:    "Café Müller\n\nÜber uns: Crème brûlée, Smørrebrød, Größe.\n\nMenü",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage(tt.body, tt.contentType, mustParseURL(t, "http://example.com/"), allFormats)
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.wantTitle {
				t.Errorf("Title: got %q, want %q", p.Title, tt.wantTitle)
			}
			if diff := cmp.Diff(tt.wantText, p.Text); diff != "" {
				t.Errorf("Text: got differs from want (-want +got):\n%s", diff)
			}
			if !utf8.ValidString(p.HTML) || strings.HasPrefix(p.HTML, "\uFEFF") {
				t.Errorf("HTML: got %q, want valid UTF-8 without a byte order mark", p.HTML[:min(len(p.HTML), 40)])
			}
			if !strings.Contains(p.Markdown, tt.wantTitle) && !strings.Contains(p.Markdown, strings.Fields(tt.wantText)[0]) {
				t.Errorf("Markdown: got %q, want the decoded text in it", p.Markdown)
			}
		})
	}
}

func TestParsePageCharsetLinks(t *testing.T) {
	t.Parallel()
	// A non-ASCII path is percent-encoded as UTF-8, whatever the page's charset.
	tests := []struct {
		file string
		want []string
	}{
		{"latin1-meta.html", []string{"http://example.com/men%C3%BC"}},
		{"shift_jis.html", []string{"http://example.com/%E8%A8%98%E4%BA%8B/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage(readTestdata(t, tt.file), "text/html", mustParseURL(t, "http://example.com/"), Formats{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Links); diff != "" {
				t.Errorf("Links: got differs from want (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePageLinks(t *testing.T) {
	t.Parallel()
	const page = "https://www.example.com/dir/page.html?x=1#here"
	tests := []struct {
		name string
		base string // the response URL; page when empty
		html string
		want []string
	}{
		{
			name: "relative forms",
			html: `<a href="b.html">b</a> <a href="../up/">up</a> <a href="/root">root</a>
				<a href="./c/./d/../e">e</a> <a href="?q=2">query</a>`,
			want: []string{
				"https://www.example.com/dir/b.html",
				"https://www.example.com/up/",
				"https://www.example.com/root",
				"https://www.example.com/dir/c/e",
				"https://www.example.com/dir/page.html?q=2",
			},
		},
		{
			name: "protocol-relative takes the page's scheme",
			html: `<a href="//Other.Example.NET/x">x</a> <a href="//cdn.example.com">cdn</a>`,
			want: []string{"https://other.example.net/x", "https://cdn.example.com/"},
		},
		{
			name: "fragment-only and empty href are the page itself",
			html: `<a href="#top">top</a> <a href="">self</a> <a href="#">hash</a>`,
			want: []string{"https://www.example.com/dir/page.html?x=1"},
		},
		{
			name: "duplicates keep the first, in document order",
			html: `<a href="/a">1</a> <a href="/b">2</a> <a href="/a#frag">3</a>
				<a href="HTTPS://WWW.Example.COM:443/a">4</a> <a href="https://user:pw@www.example.com/b">5</a>`,
			want: []string{"https://www.example.com/a", "https://www.example.com/b"},
		},
		{
			name: "non-web schemes are skipped",
			html: `<a href="mailto:a@example.com">m</a> <a href="javascript:void(0)">j</a>
				<a href="JavaScript:alert(1)">J</a> <a href="tel:+15555550100">t</a>
				<a href="data:text/html,hi">d</a> <a href="ftp://example.com/f">f</a>
				<a href="/kept">kept</a>`,
			want: []string{"https://www.example.com/kept"},
		},
		{
			name: "uppercase host and default ports",
			html: `<a href="http://EXAMPLE.org:80/P">1</a> <a href="https://Example.org:443">2</a>
				<a href="http://example.org:8080/">3</a> <a href="https://example.org:80/">4</a>`,
			want: []string{
				"http://example.org/P",
				"https://example.org/",
				"http://example.org:8080/",
				"https://example.org:80/",
			},
		},
		{
			name: "white space around and inside href is dropped",
			html: "<a href=\"  /spaced  \n\">s</a> <a href=\"/multi\nline\">m</a>",
			want: []string{"https://www.example.com/spaced", "https://www.example.com/multiline"},
		},
		{
			name: "only a and area count, nofollow kept",
			html: `<link rel="next" href="/link"><img src="/img.png"><a>no href</a>
				<map><area href="/area" alt="x"></map> <a rel="nofollow" href="/nofollow">n</a>
				<form action="/form"></form><iframe src="/frame"></iframe>
				<svg><a href="/svg">s</a></svg><template><a href="/template">t</a></template>`,
			want: []string{"https://www.example.com/area", "https://www.example.com/nofollow"},
		},
		{
			name: "invalid hrefs are skipped",
			html: `<a href="http://exa mple.com/">1</a> <a href="/bad%zz">2</a> <a href="http://[::1">3</a>
				<a href="http://example.com:99999/">4</a> <a href="http:///nohost">5</a> <a href="/ok">ok</a>`,
			want: []string{"https://www.example.com/ok"},
		},
		{
			name: "entities in href are decoded",
			html: `<a href="/s?a=1&amp;b=2">s</a> <a href="/s?a=1&b=2">dup</a>`,
			want: []string{"https://www.example.com/s?a=1&b=2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := tt.base
			if base == "" {
				base = page
			}
			p, err := ParsePage([]byte(tt.html), "text/html", mustParseURL(t, base), Formats{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Links); diff != "" {
				t.Errorf("Links: got differs from want (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePageBase(t *testing.T) {
	t.Parallel()
	const page = "https://www.example.com/a/b.html"
	tests := []struct {
		name      string
		html      string
		wantLinks []string
		wantMD    string // a line the Markdown must contain
	}{
		{
			name: "absolute base",
			html: `<head><base href="https://cdn.example.org/docs/v2/"></head>
				<a href="intro.html">Intro</a> <a href="../v1/">Old</a> <a href="/root">Root</a> <a href="#sec">Sec</a>`,
			wantLinks: []string{
				"https://cdn.example.org/docs/v2/intro.html",
				"https://cdn.example.org/docs/v1/",
				"https://cdn.example.org/root",
				"https://cdn.example.org/docs/v2/",
			},
			wantMD: "[Intro](https://cdn.example.org/docs/v2/intro.html)",
		},
		{
			name:      "relative base resolves against the page",
			html:      `<base href="/static/"><a href="x.html">X</a>`,
			wantLinks: []string{"https://www.example.com/static/x.html"},
			wantMD:    "[X](https://www.example.com/static/x.html)",
		},
		{
			name:      "the first base with an href wins",
			html:      `<base target="_blank"><base href="/one/"><base href="/two/"><a href="x">X</a>`,
			wantLinks: []string{"https://www.example.com/one/x"},
			wantMD:    "[X](https://www.example.com/one/x)",
		},
		{
			name:      "a non-web base is ignored",
			html:      `<base href="javascript:alert(1)"><a href="x">X</a>`,
			wantLinks: []string{"https://www.example.com/a/x"},
			wantMD:    "[X](https://www.example.com/a/x)",
		},
		{
			name:      "a base in body still counts",
			html:      `<a href="x">X</a><base href="https://other.example/">`,
			wantLinks: []string{"https://other.example/x"},
			wantMD:    "[X](https://other.example/x)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage([]byte(tt.html), "", mustParseURL(t, page), allFormats)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLinks, p.Links); diff != "" {
				t.Errorf("Links: got differs from want (-want +got):\n%s", diff)
			}
			if !strings.Contains(p.Markdown, tt.wantMD) {
				t.Errorf("Markdown: got %q, want it to contain %q", p.Markdown, tt.wantMD)
			}
		})
	}
}

func TestParsePageNilBase(t *testing.T) {
	t.Parallel()
	p, err := ParsePage([]byte(`<a href="/rel">r</a><a href="https://example.com/abs">a</a>`), "", nil, allFormats)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"https://example.com/abs"}, p.Links); diff != "" {
		t.Errorf("Links: got differs from want (-want +got):\n%s", diff)
	}
	if want := "[r](/rel)"; !strings.Contains(p.Markdown, want) {
		t.Errorf("Markdown: got %q, want it to contain %q", p.Markdown, want)
	}
}

func TestParsePageTitle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{"title", "<title>  A \n\t title </title><h1>Heading</h1>", "A title"},
		{"entities", "<title>Fish &amp; Chips &lt;3</title>", "Fish & Chips <3"},
		{"no title falls back to h1", "<p>x</p><h1>First <em>one</em></h1><h1>Second</h1>", "First one"},
		{"blank title falls back to h1", "<title> </title><h1>Heading</h1>", "Heading"},
		{"h1 line breaks become spaces", "<h1>Two<br>lines</h1>", "Two lines"},
		{"hidden h1 is skipped", "<h1 hidden>Hidden</h1><h1>Shown</h1>", "Shown"},
		{"svg title is not the title", "<svg><title>Icon</title></svg><h1>Page</h1>", "Page"},
		{"neither", "<p>just text</p>", ""},
		{"empty document", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage([]byte(tt.html), "text/html", nil, Formats{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Title != tt.want {
				t.Errorf("Title: got %q, want %q", p.Title, tt.want)
			}
		})
	}
}

func TestParsePageText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{"inline elements join words", "<p>a<b>b</b>c <i>d</i> e</p>", "abc d e"},
		{"paragraphs leave an empty line", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"divs start a new line", "<div>one</div><div><div>two</div></div>", "one\ntwo"},
		{"list items", "<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{"br breaks a line", "<p>a<br>b<br/>c</p>", "a\nb\nc"},
		{"at most one empty line", "<p>a<br><br><br><br>b</p><p></p><p></p><p>c</p>", "a\n\nb\n\nc"},
		{"spaces collapse", "<p>  lots \t of\n\n   space&nbsp;&nbsp;here  </p>", "lots of space here"},
		{"table cells", "<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>", "A\tB\n1\t2"},
		{"pre keeps its lines", "<pre>\nline 1\n  line   2\n\nline 4</pre>", "line 1\nline 2\n\nline 4"},
		{"invisible content is skipped", `<head><title>T</title></head><script>s()</script><style>p{}</style>
			<noscript>ns</noscript><template>tp</template><svg><text>sv</text></svg><iframe>if</iframe>
			<div hidden>hd</div><p>shown</p><!-- comment -->`, "shown"},
		{"text after a block", "<div><p>a</p>b</div>", "a\n\nb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage([]byte(tt.html), "text/html", nil, Formats{Text: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Text); diff != "" {
				t.Errorf("Text: got differs from want (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePageMarkdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{"headings", "<h1>One</h1><h3>Three</h3>", "# One\n\n### Three"},
		{"relative link made absolute", `<a href="../x?a=1&amp;b=2">X</a>`, "[X](https://example.com/x?a=1&b=2)"},
		{"image made absolute", `<img src="i.png" alt="Pic">`, "![Pic](https://example.com/d/i.png)"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n  \n  - b"},
		{"anchor without href is text", `<a name="x">Anchor</a> <a id="y">Id</a>`, "Anchor Id"},
		{"script link is text", `<a href=" javascript:go()">Go</a> <a href="vbscript:x">VB</a>`, "Go VB"},
		{"mailto kept", `<a href="mailto:a@example.com">Mail</a>`, "[Mail](mailto:a@example.com)"},
		{"data image dropped", `<p>a<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="px">b</p>`, "ab"},
		{"invisible content dropped", `<p>a</p><div hidden>h</div><svg><text>s</text></svg><template>t</template><p>b</p>`, "a\n\nb"},
		{"strikethrough", "<del>old</del> new", "~~old~~ new"},
		{"blockquote", "<blockquote>quoted</blockquote>", "> quoted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePage([]byte(tt.html), "text/html", mustParseURL(t, "https://example.com/d/page"), Formats{Markdown: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Markdown); diff != "" {
				t.Errorf("Markdown: got differs from want (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePageFormats(t *testing.T) {
	t.Parallel()
	const body = `<title>T</title><p>Hello <a href="/x">x</a></p>`
	tests := []struct {
		formats Formats
		want    Page
	}{
		{Formats{}, Page{Title: "T"}},
		{Formats{Text: true}, Page{Title: "T", Text: "Hello x"}},
		{Formats{Markdown: true}, Page{Title: "T", Markdown: "Hello [x](https://example.com/x)"}},
		{Formats{HTML: true}, Page{Title: "T", HTML: body}},
		{allFormats, Page{Title: "T", Text: "Hello x", Markdown: "Hello [x](https://example.com/x)", HTML: body}},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			got, err := ParsePage([]byte(body), "text/html", mustParseURL(t, "https://example.com/"), tt.formats)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Links = []string{"https://example.com/x"}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("ParsePage(%+v): got differs from want (-want +got):\n%s", tt.formats, diff)
			}
		})
	}
}

func TestIsHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType string
		body        string
		want        bool
	}{
		{"text/html", "", true},
		{"text/html; charset=utf-8", "", true},
		{"TEXT/HTML;charset=ISO-8859-1", "", true},
		{"  text/html  ", "", true},
		{"application/xhtml+xml", "", true},
		{"text/html; charset", "", true}, // malformed parameter
		{"text/plain", "<html><body>x</body></html>", false},
		{"application/json", "", false},
		{"application/octet-stream", "<!DOCTYPE html>", false},
		{"image/png", "", false},
		{"text/htmlx", "", false},
		{"", "<!DOCTYPE html><html><body>x</body></html>", true},
		{"", "\n  <html><head></head></html>", true},
		{"", "<p>para</p>", true},
		{"", `{"json": true}`, false},
		{"", "just text", false},
		{"", "\x89PNG\r\n\x1a\n", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.contentType+"|"+tt.body, func(t *testing.T) {
			t.Parallel()
			if got := IsHTML(tt.contentType, []byte(tt.body)); got != tt.want {
				t.Errorf("IsHTML(%q, %q): got %v, want %v", tt.contentType, tt.body, got, tt.want)
			}
		})
	}
}

func FuzzParsePage(f *testing.F) {
	for _, name := range []string{"typical.html", "latin1-meta.html", "shift_jis.html"} {
		f.Add(readTestdata(f, name), "text/html")
	}
	f.Add([]byte(""), "")
	f.Add([]byte("<"), "text/html; charset=utf-16")
	f.Add([]byte(`<base href="::"><a href="//[::1]:0/x">x</a><area href="?">`), "")
	f.Add([]byte(strings.Repeat("<div><table><tr><td><a href=x>", 100)), "text/html; charset=shift_jis")
	f.Add([]byte(strings.Repeat("<span>", 600)), "") // deeper than x/net/html allows
	f.Add([]byte("<pre>\n\n<br>\xff\xfe</pre><h1 hidden>x</h1><title></title>"), "text/html; charset=euc-kr")
	base, err := url.Parse("https://example.com/dir/page.html")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		p, err := ParsePage(body, contentType, base, allFormats)
		if err != nil {
			return
		}
		for name, s := range map[string]string{"Title": p.Title, "Text": p.Text, "Markdown": p.Markdown, "HTML": p.HTML} {
			if !utf8.ValidString(s) {
				t.Errorf("%s: got invalid UTF-8 %q", name, s)
			}
		}
		if p.Text != strings.TrimSpace(p.Text) || strings.Contains(p.Text, "\n\n\n") {
			t.Errorf("Text: got %q, want it trimmed with at most one empty line in a row", p.Text)
		}
		for _, link := range p.Links {
			again, err := NormalizeURL(nil, link)
			if err != nil || again != link {
				t.Errorf("NormalizeURL(nil, %q): got %q, %v, want it unchanged", link, again, err)
			}
		}
	})
}

func BenchmarkParsePage(b *testing.B) {
	body := readTestdata(b, "typical.html")
	base := mustParseURL(b, "https://www.example.com/en/index.html")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePage(body, "text/html; charset=utf-8", base, allFormats); err != nil {
			b.Fatal(err)
		}
	}
}
