package page

import (
	"net/url"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	t.Parallel()
	const page = "https://www.example.com/a/b/page.html?q=1#frag"
	tests := []struct {
		name    string
		base    string // "" means a nil base
		ref     string
		want    string
		wantErr bool
	}{
		{name: "absolute", ref: "https://example.com/x", want: "https://example.com/x"},
		{name: "empty path becomes slash", ref: "http://example.com", want: "http://example.com/"},
		{name: "empty path with query", ref: "http://example.com?a=1", want: "http://example.com/?a=1"},
		{name: "scheme and host lower-cased, path kept", ref: "HTTPS://WWW.Example.COM/Path/To", want: "https://www.example.com/Path/To"},
		{name: "default http port", ref: "http://example.com:80/x", want: "http://example.com/x"},
		{name: "default https port", ref: "https://example.com:443/x", want: "https://example.com/x"},
		{name: "other scheme's default port kept", ref: "https://example.com:80/x", want: "https://example.com:80/x"},
		{name: "non-default port kept", ref: "http://example.com:8080/x", want: "http://example.com:8080/x"},
		{name: "empty port dropped", ref: "http://example.com:/x", want: "http://example.com/x"},
		{name: "leading zeros of port dropped", ref: "http://example.com:0080/x", want: "http://example.com/x"},
		{name: "fragment dropped", ref: "https://example.com/x#section", want: "https://example.com/x"},
		{name: "userinfo dropped", ref: "https://user:secret@example.com/x", want: "https://example.com/x"},
		{name: "query kept in order", ref: "https://example.com/s?b=2&a=1&a=0", want: "https://example.com/s?b=2&a=1&a=0"},
		{name: "query kept unencoded as written", ref: "https://example.com/s?q=a+b&r=%2F", want: "https://example.com/s?q=a+b&r=%2F"},
		{name: "empty query kept", ref: "https://example.com/s?", want: "https://example.com/s?"},
		{name: "dot segments in absolute ref", ref: "https://example.com/a/./b/../c/", want: "https://example.com/a/c/"},
		{name: "dot segments above root", ref: "https://example.com/../../x", want: "https://example.com/x"},
		{name: "percent-encoded path kept", ref: "https://example.com/a%2Fb/c%20d", want: "https://example.com/a%2Fb/c%20d"},
		{name: "unicode path encoded", ref: "https://example.com/café", want: "https://example.com/caf%C3%A9"},
		{name: "IPv6 host and default port", ref: "http://[2001:DB8::1]:80/x", want: "http://[2001:db8::1]/x"},
		{name: "IPv6 host keeps other port", ref: "http://[::1]:8080/", want: "http://[::1]:8080/"},
		{name: "surrounding white space", ref: " \t https://example.com/x \n", want: "https://example.com/x"},
		{name: "surrounding control characters", ref: "\x00\x1f https://example.com/x \x00", want: "https://example.com/x"},
		{name: "tab and newline inside removed", ref: "https://exa\nmple.com/p\tath", want: "https://example.com/path"},

		{name: "relative file", base: page, ref: "other.html", want: "https://www.example.com/a/b/other.html"},
		{name: "relative parent", base: page, ref: "../c", want: "https://www.example.com/a/c"},
		{name: "root-relative", base: page, ref: "/root?x=1", want: "https://www.example.com/root?x=1"},
		{name: "protocol-relative", base: page, ref: "//CDN.example.net", want: "https://cdn.example.net/"},
		{name: "query-only", base: page, ref: "?q=2", want: "https://www.example.com/a/b/page.html?q=2"},
		{name: "fragment-only is the page", base: page, ref: "#top", want: "https://www.example.com/a/b/page.html?q=1"},
		{name: "empty is the page", base: page, ref: "", want: "https://www.example.com/a/b/page.html?q=1"},
		{name: "base userinfo not inherited", base: "http://u:p@example.com:80/d/", ref: "x", want: "http://example.com/d/x"},
		{name: "absolute ignores base", base: page, ref: "http://other.example/", want: "http://other.example/"},

		{name: "mailto", base: page, ref: "mailto:a@example.com", wantErr: true},
		{name: "javascript", base: page, ref: "javascript:void(0)", wantErr: true},
		{name: "javascript upper-case with spaces", base: page, ref: "  JAVASCRIPT:alert(1)", wantErr: true},
		{name: "tel", base: page, ref: "tel:+15555550100", wantErr: true},
		{name: "data", base: page, ref: "data:text/html,<p>x</p>", wantErr: true},
		{name: "ftp", base: page, ref: "ftp://example.com/file", wantErr: true},
		{name: "relative with nil base", ref: "/x", wantErr: true},
		{name: "empty with nil base", ref: "", wantErr: true},
		{name: "relative with relative base", base: "/dir/", ref: "x", wantErr: true},
		{name: "no host", ref: "http:///path", wantErr: true},
		{name: "port only", ref: "http://:80/", wantErr: true},
		{name: "opaque", ref: "http:example.com/x", wantErr: true},
		{name: "space in host", ref: "http://exa mple.com/", wantErr: true},
		{name: "bad escape", ref: "https://example.com/%zz", wantErr: true},
		{name: "bad port", ref: "https://example.com:8o/", wantErr: true},
		{name: "port out of range", ref: "https://example.com:65536/", wantErr: true},
		{name: "unclosed IPv6", ref: "http://[::1/", wantErr: true},
		{name: "control character inside", ref: "https://example.com/a\x00b", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var base *url.URL
			if tt.base != "" {
				base = mustParseURL(t, tt.base)
			}
			got, err := NormalizeURL(base, tt.ref)
			if tt.wantErr {
				if err == nil {
					t.Errorf("NormalizeURL(%q, %q): got %q, want an error", tt.base, tt.ref, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeURL(%q, %q): got error %v, want %q", tt.base, tt.ref, err, tt.want)
			}
			if got != tt.want {
				t.Errorf("NormalizeURL(%q, %q): got %q, want %q", tt.base, tt.ref, got, tt.want)
			}
			// Normalising is idempotent, so a stored URL can be compared
			// with a freshly normalised one.
			if again, err := NormalizeURL(nil, got); err != nil || again != got {
				t.Errorf("NormalizeURL(nil, %q): got %q, %v, want it unchanged", got, again, err)
			}
		})
	}
}

func TestNormalizeURLDoesNotModifyBase(t *testing.T) {
	t.Parallel()
	const raw = "https://User@Example.com:443/a/b?q=1#f"
	base := mustParseURL(t, raw)
	if _, err := NormalizeURL(base, ""); err != nil {
		t.Fatal(err)
	}
	if got := base.String(); got != raw {
		t.Errorf("base after NormalizeURL: got %q, want %q", got, raw)
	}
}

func TestSameHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		host string
		want bool
	}{
		{"https://example.com/x", "example.com", true},
		{"https://Example.COM/x", "EXAMPLE.com", true},
		{"https://example.com:443/x", "example.com", true},
		{"https://example.com/x", "example.com:443", true},
		{"http://example.com/x", "example.com:80", true},
		{"http://example.com:/x", "example.com", true},
		{"http://example.com:8080/x", "example.com:8080", true},
		{"http://[::1]:80/", "[::1]", true},
		{"http://example.com:8080/x", "example.com", false},
		{"http://example.com/x", "example.com:8080", false},
		{"http://example.com/x", "example.com:443", false}, // 443 is not http's default
		{"https://www.example.com/", "example.com", false},
		{"https://example.com/", "www.example.com", false},
		{"https://blog.example.com/", "example.com", false},
		{"https://example.com.evil.test/", "example.com", false},
		{"https://example.com/", "", false},
		{"/relative/path", "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.url+"|"+tt.host, func(t *testing.T) {
			t.Parallel()
			if got := SameHost(mustParseURL(t, tt.url), tt.host); got != tt.want {
				t.Errorf("SameHost(%q, %q): got %v, want %v", tt.url, tt.host, got, tt.want)
			}
		})
	}
	t.Run("nil URL", func(t *testing.T) {
		t.Parallel()
		if SameHost(nil, "example.com") {
			t.Error("SameHost(nil, \"example.com\"): got true, want false")
		}
	})
}
