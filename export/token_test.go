package export

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	secret1 = []byte("0123456789abcdef0123456789abcdef")
	secret2 = []byte("fedcba9876543210fedcba9876543210")
	tNow    = time.Date(2025, 5, 2, 17, 26, 0, 0, time.UTC)
)

func newTestSigner(t *testing.T, secret []byte) *Signer {
	t.Helper()
	s, err := NewSigner(SignerConfig{Secret: secret, BaseURL: "https://trawl.example/", Now: func() time.Time { return tNow }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, secret1)
	tests := []struct {
		name   string
		job    int64
		format Format
	}{
		{"small id", 1, FormatJSON},
		{"csv", 416349, FormatCSV},
		{"xlsx", 515783, FormatXLSX},
		{"largest id", 1<<63 - 1, FormatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := s.Sign(tt.job, tt.format, tNow.Add(time.Hour))
			if !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(token) || len(token) > 64 {
				t.Errorf("token %q is not compact and URL-safe", token)
			}
			id, f, err := s.Verify(token, tNow)
			if err != nil || id != tt.job || f != tt.format {
				t.Errorf("Verify: got %d, %q, %v; want %d, %q", id, f, err, tt.job, tt.format)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, secret1)
	good := s.Sign(7, FormatCSV, tNow.Add(time.Hour))
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	tests := map[string]struct {
		token string
		now   time.Time
	}{
		"expired":                 {good, tNow.Add(time.Hour)},
		"long expired":            {good, tNow.Add(48 * time.Hour)},
		"another secret":          {newTestSigner(t, secret2).Sign(7, FormatCSV, tNow.Add(time.Hour)), tNow},
		"empty":                   {"", tNow},
		"not base64":              {"!!!", tNow},
		"padded":                  {good + "=", tNow},
		"truncated":               {good[:len(good)-2], tNow},
		"extended":                {good + "AA", tNow},
		"standard base64 symbols": {strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/", tNow},
	}
	// Every single-byte change to the token is refused.
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		tests[fmt.Sprintf("byte %d flipped", i)] = struct {
			token string
			now   time.Time
		}{base64.RawURLEncoding.EncodeToString(b), tNow}
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if id, f, err := s.Verify(tt.token, tt.now); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify(%q): got %d, %q, %v; want ErrInvalidToken", tt.token, id, f, err)
			}
		})
	}
}

func TestVerifyExpiryBoundary(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, secret1)
	expiry := tNow.Add(10 * time.Minute)
	token := s.Sign(3, FormatJSON, expiry)
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{tNow, true},
		{expiry.Add(-time.Nanosecond), true},
		{expiry, false},
		{expiry.Add(time.Second), false},
	} {
		_, _, err := s.Verify(token, tt.now)
		if got := err == nil; got != tt.want {
			t.Errorf("Verify at expiry%+v: valid %v, want %v", tt.now.Sub(expiry), got, tt.want)
		}
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, secret1)
	links := s.Links(42)
	got := map[Format]string{FormatJSON: links.JSON, FormatCSV: links.CSV, FormatXLSX: links.XLSX}
	for f, link := range got {
		u, err := url.Parse(link)
		if err != nil || u.Scheme != "https" || u.Host != "trawl.example" {
			t.Fatalf("%s link %q is not absolute on the base URL", f, link)
		}
		file, ok := strings.CutPrefix(u.Path, "/exports/")
		token, ext, dot := strings.Cut(file, ".")
		if !ok || !dot || ext != string(f) {
			t.Fatalf("%s link %q is not /exports/<token>.%s", f, link, f)
		}
		id, format, err := s.Verify(token, tNow.Add(DefaultLinkTTL-time.Second))
		if err != nil || id != 42 || format != f {
			t.Errorf("%s link verifies as %d, %q, %v", f, id, format, err)
		}
		if _, _, err := s.Verify(token, tNow.Add(DefaultLinkTTL)); err == nil {
			t.Errorf("%s link still valid after the TTL", f)
		}
	}
}

func TestNewSignerChecksConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]SignerConfig{
		"short secret":      {Secret: []byte("short"), BaseURL: "https://x.example"},
		"no base URL":       {Secret: secret1},
		"relative base":     {Secret: secret1, BaseURL: "/trawl"},
		"negative TTL":      {Secret: secret1, BaseURL: "https://x.example", TTL: -time.Hour},
		"base without host": {Secret: secret1, BaseURL: "http://"},
	}
	for name, c := range tests {
		if _, err := NewSigner(c); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	s, err := NewSigner(SignerConfig{Secret: secret1, BaseURL: "http://127.0.0.1:8080", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("http://127.0.0.1:8080/exports/", s.Links(1).JSON[:len("http://127.0.0.1:8080/exports/")]); diff != "" {
		t.Errorf("link base (-want +got):\n%s", diff)
	}
}
