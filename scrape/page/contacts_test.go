package page

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// cf encodes an address the way Cloudflare's Scrape Shield does.
func cf(addr string, key byte) string {
	const digits = "0123456789abcdef"
	b := []byte{digits[key>>4], digits[key&15]}
	for i := 0; i < len(addr); i++ {
		c := addr[i] ^ key
		b = append(b, digits[c>>4], digits[c&15])
	}
	return string(b)
}

func TestExtractPageEmails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		html string
		want []string
	}{
		// Sources.
		{"mailto with query and escapes", `<a href="MAILTO:Info%40Acme-Tools.DE?subject=Hi%20there&body=x">write</a>`,
			[]string{"info@acme-tools.de"}},
		{"mailto with several recipients", `<a href="mailto:a@acme-tools.de,%20b@acme-tools.de;c@acme-tools.de">x</a>`,
			[]string{"a@acme-tools.de", "b@acme-tools.de", "c@acme-tools.de"}},
		{"mailto with a display name", `<a href="mailto:Acme%20Sales%20%3Csales@acme-tools.de%3E">x</a>`, []string{"sales@acme-tools.de"}},
		{"visible text", `<p>Mail: office@acme-tools.de.</p>`, []string{"office@acme-tools.de"}},
		{"text across inline elements", `<p>office<span>@</span>acme-tools<b>.de</b></p>`, []string{"office@acme-tools.de"}},
		{"text run into the next element", `<p><span>office@acme-tools.de</span><span>Tel</span></p>`, []string{"office@acme-tools.de"}},
		{"entities", `<p>shop&#64;acme-tools&period;de and shop2&commat;acme-tools.de</p>`,
			[]string{"shop@acme-tools.de", "shop2@acme-tools.de"}},
		{"blocks do not run together", `<div>x@acme-tools.de</div><div>more</div>`, []string{"x@acme-tools.de"}},
		{"JSON-LD", `<script type="application/ld+json">{"@graph":[{"@type":"Organization","email":["mailto:ld@acme-tools.de","ld2@acme-tools.de"],
			"contactPoint":{"email":"support@acme-tools.de"}}]}</script>`,
			[]string{"ld@acme-tools.de", "ld2@acme-tools.de", "support@acme-tools.de"}},
		{"broken JSON-LD", `<script type="application/ld+json">{"email": "broken@acme-tools.de",}</script>`,
			[]string{"broken@acme-tools.de"}},
		{"microdata", `<span itemprop="email">md@acme-tools.de</span><meta itemprop="email" content="md2@acme-tools.de">`,
			[]string{"md@acme-tools.de", "md2@acme-tools.de"}},
		{"Cloudflare data-cfemail", `<span class="__cf_email__" data-cfemail="` + cf("cf@acme-tools.de", 0x42) + `">[email&#160;protected]</span>`,
			[]string{"cf@acme-tools.de"}},
		{"Cloudflare link", `<a href="/cdn-cgi/l/email-protection#` + cf("cflink@acme-tools.de", 0x17) + `">x</a>`,
			[]string{"cflink@acme-tools.de"}},
		{"Cloudflare absolute link with mailto", `<a href="https://acme-tools.de/cdn-cgi/l/email-protection#` + cf("mailto:cf2@acme-tools.de?subject=x", 0x99) + `">x</a>`,
			[]string{"cf2@acme-tools.de"}},
		{"Cloudflare malformed", `<span data-cfemail="zz12"></span><a href="/cdn-cgi/l/email-protection#123">x</a>`, nil},
		{"script escapes", `<script>var c = {"mail": "js\u0040acme-tools.de", "m2": "js2\x40acme-tools.de"};</script>`,
			[]string{"js@acme-tools.de", "js2@acme-tools.de"}},
		{"data attribute", `<button data-email="btn@acme-tools.de">Mail</button>`, []string{"btn@acme-tools.de"}},
		{"full-width at and dot", `<p>info＠acme-tools．de</p>`, []string{"info@acme-tools.de"}},
		// Spellings.
		{"[at] [dot]", `<p>anna [at] acme-tools [dot] de</p>`, []string{"anna@acme-tools.de"}},
		{"(at) and a plain dot", `<p>info(at)acme-tools.co.uk</p>`, []string{"info@acme-tools.co.uk"}},
		{"{at} {dot} (punkt) [@]", `<p>a {at} acme-tools {dot} de, b(at)acme-tools(punkt)de, c[@]acme-tools.de</p>`,
			[]string{"a@acme-tools.de", "b@acme-tools.de", "c@acme-tools.de"}},
		{"at and dot words on the own domain", `<p>Write to jobs at acme-tools dot de.</p>`, []string{"jobs@acme-tools.de"}},
		{"at and dot words on another domain", `<p>Write to jobs at other-shop dot de.</p>`, nil},
		{"prose", `<p>Find us at acme-tools.de, or look at this dot com poster.</p>`, nil},
		{"mid-word spelling", `<p>büro(at)acme-tools.de</p>`, nil},
		// False positives.
		{"retina file names", `<p>logo@2x.png hero@3x.webp icon@1.5x.svg banner@2x.jpg bg@2x.zip</p>`, nil},
		{"package versions", `<code>npm i lodash@4.17.21 react@18.2.0 @scope/pkg@1.2.3-beta.1</code>`, nil},
		{"Sentry and Wix", `<script>dsn="https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/2";
			x="noreply@sentry.wixpress.com"; y="a@sentry-next.wixpress.com"; z="b@static.wixpress.com"; w="c@sentry.io"</script>`, nil},
		{"placeholders", `<input placeholder="you@example.com"><p>name@domain.com, me@your-domain.com, jo@example.de,
			x@yourdomain.com, e@example.org</p>`, nil},
		{"calendar ids", `<p>abc123@group.calendar.google.com</p>`, nil},
		{"hex local part", `<p>5f4dcc3b5aa765d61d8327deb882cf99@acme-tools.de</p>`, nil},
		{"uuid local part", `<p>123e4567-e89b-12d3-a456-426614174000@acme-tools.de</p>`, nil},
		{"short hex is a name", `<p>cafe@acme-tools.de</p>`, []string{"cafe@acme-tools.de"}},
		{"overlong local part", `<p>` + strings.Repeat("x", 65) + `@acme-tools.de</p>`, nil},
		{"64 is not overlong", `<p>` + strings.Repeat("x", 64) + `@acme-tools.de</p>`, []string{strings.Repeat("x", 64) + "@acme-tools.de"}},
		{"no real TLD", `<p>root@localhost admin@router.local a@b.test x@shop.invalid y@z.123</p>`, nil},
		{"Outlook content id", `<img src="cid:image001.png@01D7A1B2.C3D4E5F0">`, nil},
		{"not in style or comments", `<style>.a{background:url(x@acme-tools.de)}</style><!-- old@acme-tools.de -->`, nil},
		{"dots", `<p>.lead@acme-tools.de a..b@acme-tools.de</p>`, []string{"lead@acme-tools.de"}},
		{"lower-cased and de-duplicated", `<p>Info@Acme-Tools.de</p><a href="mailto:INFO@acme-tools.DE">x</a>`, []string{"info@acme-tools.de"}},
	}
	page := mustURL(t, "https://www.acme-tools.de/kontakt")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ExtractPage([]byte("<!doctype html><html><body>"+tt.html+"</body></html>"), "text/html; charset=utf-8", page)
			if diff := cmp.Diff(tt.want, got.Emails); diff != "" {
				t.Errorf("emails (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractPagePhonesAndRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		html       string
		wantPhones []string
		wantRegion string
	}{
		{"tel links", `<html lang="de-AT"><a href="tel:+43%201%2023456">x</a><a href="tel://0664-1234567;ext=12">y</a>
			<a href="callto:+43 1 999 88 77">z</a><a href="tel:12">too short</a>`,
			[]string{"+43 1 23456", "0664-1234567", "+43 1 999 88 77"}, "AT"},
		{"JSON-LD and microdata", `<html lang="en"><script type="application/ld+json">{"telephone":["+1 415 867 5309","tel:415-867-5310"],
			"address":{"addressCountry":"US"}}</script><span itemprop="telephone">(415) 867-5311</span>
			<meta property="og:phone_number" content="415 867 5312">`,
			[]string{"+1 415 867 5309", "415-867-5310", "(415) 867-5311", "415 867 5312"}, "US"},
		{"addressCountry beats lang", `<html lang="en-GB"><span itemprop="addressCountry">IE</span>`, nil, "IE"},
		{"country names are not codes", `<html lang="fr"><script type="application/ld+json">{"addressCountry":"France"}</script>`, nil, ""},
		{"phone numbers in text after a phone word", `<p>Tel. 030 1234567</p><p>Call us: (415) 867-5309!</p><p>Telefon: 089/12345-678</p>`,
			[]string{"030 1234567", "(415) 867-5309", "089/12345-678"}, ""},
		{"international numbers in text", `<footer>Acme Ltd · +44 20 7946 0958 · London</footer>`, []string{"+44 20 7946 0958"}, ""},
		{"numbers in text that are not phones", `<p>Order 1234567 shipped 2024-01-15, 15.01.2024. Server 192.168.10.1.</p>
			<p>Fax: 030 7654321. Tel. price 1.299,00 EUR. Open 2019 - 2024. VAT DE123456789. Tel.: #9876543</p>
			<p>Phone: 12345678901234567890</p><p>Call 5 000 000 people</p>`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ExtractPage([]byte(tt.html), "text/html", mustURL(t, "https://acme-tools.com/"))
			if diff := cmp.Diff(tt.wantPhones, got.Phones); diff != "" {
				t.Errorf("phones (-want +got):\n%s", diff)
			}
			if got.Region != tt.wantRegion {
				t.Errorf("region: got %q, want %q", got.Region, tt.wantRegion)
			}
		})
	}
}

func TestExtractPageProfiles(t *testing.T) {
	t.Parallel()
	html := `<a href="https://www.facebook.com/AcmeTools/">f</a><a href="https://m.facebook.com/acmetools">dup</a>
		<a href="https://www.facebook.com/sharer/sharer.php?u=x">share</a><link rel="me" href="https://github.com/acme-tools">
		<script type="application/ld+json">{"sameAs":"https://www.instagram.com/acme.tools/","url":"https://acme-tools.com/"}</script>
		<a href="//twitter.com/AcmeTools">protocol-relative</a>`
	got := ExtractPage([]byte(html), "text/html", mustURL(t, "https://acme-tools.com/"))
	want := Profiles{
		XCom:      []string{"https://x.com/acmetools"},
		Facebook:  []string{"https://www.facebook.com/acmetools"},
		Instagram: []string{"https://www.instagram.com/acme.tools"},
		GitHub:    []string{"https://github.com/acme-tools"},
	}
	if diff := cmp.Diff(want, got.Profiles); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
}

func TestExtractPageLinks(t *testing.T) {
	t.Parallel()
	html := `<head><base href="/de/"></head><body>
		<a href="kontakt">Kontakt</a>
		<a href="impressum">Impressum</a>
		<a href="/de/ueber-uns/">Wer wir sind</a>
		<a href="/en/contact-us#form">Contact us</a>
		<a href="produkte">Produkte</a>
		<a href="agb.pdf">Kontakt-Formular (PDF)</a>
		<a href="https://other-site.de/kontakt">Partner</a>
		<a href="https://shop.acme-tools.de/contacto">Tienda</a>
		<a href="/de/blog/2024/05/so-erreichen-sie-uns-kontakt">Blog</a>
		<a href="/de/">Start</a>
		<a href="team?lang=de">Team</a>
		<a href="/ja/%E3%81%8A%E5%95%8F%E3%81%84%E5%90%88%E3%82%8F%E3%81%9B">日本語</a>
		<a href="datenschutz">Datenschutz</a>
		<a href="mentions">Mentions légales</a>
	</body>`
	got := ExtractPage([]byte(html), "text/html", mustURL(t, "https://www.acme-tools.de/de/"))
	// Best first; equal scores in document order.
	want := []Link{
		{URL: "https://www.acme-tools.de/de/kontakt", Kind: "contact", Score: 110},
		{URL: "https://www.acme-tools.de/en/contact-us", Kind: "contact", Score: 110},
		{URL: "https://www.acme-tools.de/de/impressum", Kind: "impressum", Score: 100},
		{URL: "https://shop.acme-tools.de/contacto", Kind: "contact", Score: 100},
		{URL: "https://www.acme-tools.de/ja/%E3%81%8A%E5%95%8F%E3%81%84%E5%90%88%E3%82%8F%E3%81%9B", Kind: "contact", Score: 100},
		{URL: "https://www.acme-tools.de/de/mentions", Kind: "impressum", Score: 90},
		{URL: "https://www.acme-tools.de/de/blog/2024/05/so-erreichen-sie-uns-kontakt", Kind: "contact", Score: 70},
		{URL: "https://www.acme-tools.de/de/ueber-uns/", Kind: "about", Score: 60},
		{URL: "https://www.acme-tools.de/de/team?lang=de", Kind: "team", Score: 50},
		{URL: "https://www.acme-tools.de/de/datenschutz", Kind: "privacy", Score: 30},
	}
	if diff := cmp.Diff(want, got.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestExtractPageNoURL(t *testing.T) {
	t.Parallel()
	got := ExtractPage([]byte(`<a href="/kontakt">Kontakt</a><p>jobs at acme-tools dot de, info@acme-tools.de</p>`), "", nil)
	if len(got.Links) != 0 || !cmp.Equal(got.Emails, []string{"info@acme-tools.de"}) {
		t.Errorf("got %+v, want no links and only the written-out address", got)
	}
}

func TestExtractPageTooDeep(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("<div>", 600) + "deep@acme-tools.de" + strings.Repeat("</div>", 600)
	got := ExtractPage([]byte(body), "text/html", mustURL(t, "https://acme-tools.de/"))
	if !cmp.Equal(got.Emails, []string{"deep@acme-tools.de"}) {
		t.Errorf("emails: got %v, want the address found by the plain-text fallback", got.Emails)
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, region string
		want        string // "" = rejected
	}{
		{"+49 (0)30 12345678", "", "+493012345678"},
		{"030 1234567", "DE", "+49301234567"},
		{"030 1234567", "de", "+49301234567"},
		{"030 1234567", "", ""},   // no region, no +
		{"030 1234567", "XX", ""}, // unknown region
		{"(415) 867-5309 ext. 12", "US", "+14158675309"},
		{"+1 123 456 7890", "", ""}, // no area code 123
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"2024-05-01", "US", ""},
		{"12345", "DE", ""},
		{"+" + strings.Repeat("9", 70), "", ""},
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.raw, tt.region)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("NormalizePhone(%q, %q): got (%q, %v), want %q", tt.raw, tt.region, got, ok, tt.want)
		}
	}
}

func TestRegionForHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"acme.de": "DE", "www.shop.co.uk": "GB", "ramen.jp.": "JP", "acme.at": "AT",
		"acme.com": "", "acme.io": "", "acme.co": "", "acme.tv": "", "acme.eu": "",
		"127.0.0.1": "", "localhost": "", "": "",
	} {
		if got := RegionForHost(host); got != want {
			t.Errorf("RegionForHost(%q): got %q, want %q", host, got, want)
		}
	}
}

func TestProfileURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		network Network
		want    string // "" = not a profile
	}{
		{"https://www.linkedin.com/company/Acme-Tools/about/", LinkedIn, "https://www.linkedin.com/company/acme-tools"},
		{"https://de.linkedin.com/in/max-mustermann-123?trk=x", LinkedIn, "https://www.linkedin.com/in/max-mustermann-123"},
		{"https://www.linkedin.com/school/tum/", LinkedIn, "https://www.linkedin.com/school/tum"},
		{"https://www.linkedin.com/shareArticle?mini=true&url=x", "", ""},
		{"https://www.linkedin.com/sharing/share-offsite/?url=x", "", ""},
		{"https://www.linkedin.com/feed/", "", ""},
		{"https://dribbble.com/NorthwindStudio", Dribbble, "https://dribbble.com/northwindstudio"},
		{"https://dribbble.com/northwind/about?x=1", Dribbble, "https://dribbble.com/northwind"},
		{"https://dribbble.com/shots/123-logo", "", ""},
		{"https://dribbble.com/designers", "", ""},
		{"https://clutch.co/profile/Northwind-Studio#reviews", Clutch, "https://clutch.co/profile/northwind-studio"},
		{"https://clutch.co/web-developers", "", ""},
		{"https://clutch.com/profile/x", "", ""},
		{"https://twitter.com/AcmeTools", XCom, "https://x.com/acmetools"},
		{"http://mobile.twitter.com/acme_tools/", XCom, "https://x.com/acme_tools"},
		{"https://twitter.com/#!/acmetools", XCom, "https://x.com/acmetools"},
		{"https://x.com/acmetools?lang=de", XCom, "https://x.com/acmetools"},
		{"https://twitter.com/intent/tweet?text=x", "", ""},
		{"https://twitter.com/share?url=x", "", ""},
		{"https://twitter.com/acmetools/status/123", "", ""},
		{"https://twitter.com/hashtag/acme", "", ""},
		{"https://x.co/abc", "", ""},
		{"https://www.facebook.com/AcmeTools", Facebook, "https://www.facebook.com/acmetools"},
		{"https://de-de.facebook.com/acmetools/about/", Facebook, "https://www.facebook.com/acmetools"},
		{"https://www.facebook.com/profile.php?id=100012345678901", Facebook, "https://www.facebook.com/profile.php?id=100012345678901"},
		{"https://www.facebook.com/pages/Acme-Tools/123456789012", Facebook, "https://www.facebook.com/123456789012"},
		{"https://www.facebook.com/people/Max-Muster/100012345678901/", Facebook, "https://www.facebook.com/profile.php?id=100012345678901"},
		{"https://fb.com/acmetools", Facebook, "https://www.facebook.com/acmetools"},
		{"https://www.facebook.com/sharer/sharer.php?u=x", "", ""},
		{"https://www.facebook.com/sharer.php?u=x", "", ""},
		{"https://www.facebook.com/plugins/page.php?href=x", "", ""},
		{"https://www.facebook.com/groups/acmefans/", "", ""},
		{"https://www.facebook.com/events/123/", "", ""},
		{"https://www.facebook.com/acmetools/posts/123", "", ""},
		{"https://www.facebook.com/dialog/share?app_id=1", "", ""},
		{"https://www.instagram.com/acme.tools/", Instagram, "https://www.instagram.com/acme.tools"},
		{"https://instagram.com/Acme_Tools?igshid=x", Instagram, "https://www.instagram.com/acme_tools"},
		{"https://www.instagram.com/p/Cx123abc/", "", ""},
		{"https://www.instagram.com/explore/tags/acme/", "", ""},
		{"https://www.instagram.com/reel/Cx123/", "", ""},
		{"https://www.youtube.com/channel/UCabcDEF123", YouTube, "https://www.youtube.com/channel/UCabcDEF123"},
		{"https://youtube.com/@AcmeTools/videos", YouTube, "https://www.youtube.com/@acmetools"},
		{"https://www.youtube.com/c/AcmeTools", YouTube, "https://www.youtube.com/c/AcmeTools"},
		{"https://www.youtube.com/user/acmetools", YouTube, "https://www.youtube.com/user/acmetools"},
		{"https://www.youtube.com/watch?v=abc", "", ""},
		{"https://www.youtube.com/embed/abc", "", ""},
		{"https://www.youtube.com/shorts/abc", "", ""},
		{"https://youtu.be/abc", "", ""},
		{"https://www.tiktok.com/@acme.tools", TikTok, "https://www.tiktok.com/@acme.tools"},
		{"https://www.tiktok.com/@acme.tools/video/123", "", ""},
		{"https://www.tiktok.com/tag/acme", "", ""},
		{"https://www.pinterest.de/acmetools/", Pinterest, "https://www.pinterest.com/acmetools"},
		{"https://pinterest.com/acmetools/_saved/", Pinterest, "https://www.pinterest.com/acmetools"},
		{"https://www.pinterest.com/pin/123/", "", ""},
		{"https://www.pinterest.com/pin/create/button/?url=x", "", ""},
		{"https://www.pinterest.com/acmetools/garden-ideas/", "", ""},
		{"https://github.com/acme-tools", GitHub, "https://github.com/acme-tools"},
		{"https://github.com/orgs/acme-tools", GitHub, "https://github.com/acme-tools"},
		{"https://github.com/acme-tools/forge", "", ""},
		{"https://github.com/features", "", ""},
		{"https://gist.github.com/acme", "", ""},
		{"https://acme-tools.de/facebook", "", ""},
		{"mailto:x@facebook.com", "", ""},
		{"https://www.facebook.com.evil.example/acme", "", ""},
	}
	for _, tt := range tests {
		n, got, ok := ProfileURL(tt.in)
		if n != tt.network || got != tt.want || ok != (tt.want != "") {
			t.Errorf("ProfileURL(%q): got (%q, %q, %v), want (%q, %q)", tt.in, n, got, ok, tt.network, tt.want)
		}
	}
}
