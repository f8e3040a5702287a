package trawl_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trawlhq/trawl"
)

func TestCheckOperatorKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		weak string // a word of the error; "" = accepted
	}{
		{"a", "characters"},
		{"trawl_test_key_1", "at least 32"},
		{strings.Repeat("a", 40), "different characters"},
		{strings.Repeat("abcd1234", 5), "repeats"},
		{strings.Repeat("Zq8vN3pLw5", 4), "repeats"},
		{"abcdefghijklmnopqrstuvwxyz0123456789", "consecutive"},
		{"0123456789876543210123456789876543210", "repeats"},
		{"Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae", ""},
		{"3f9a0c27d1b84e56a9c0f3e2718b4d6c", ""}, // openssl rand -hex 16
		{trawl.NewAPIKey(), ""},
	}
	for _, tt := range tests {
		err := trawl.CheckOperatorKey(tt.key)
		switch {
		case tt.weak == "" && err != nil:
			t.Errorf("CheckOperatorKey(%q) = %v, want nil", tt.key, err)
		case tt.weak != "" && (err == nil || !strings.Contains(err.Error(), tt.weak)):
			t.Errorf("CheckOperatorKey(%q) = %v, want an error about %q", tt.key, err, tt.weak)
		}
	}
}

func TestKeyPrefixIsShort(t *testing.T) {
	t.Parallel()
	for _, key := range []string{trawl.NewAPIKey(), "Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae", "a", "abcdefgh", "trawl_ab", ""} {
		p := trawl.KeyPrefix(key)
		if !strings.HasPrefix(key, p) {
			t.Errorf("KeyPrefix(%q) = %q, not a prefix", key, p)
		}
		own := len(strings.TrimPrefix(p, trawl.APIKeyPrefix))
		ownKey := len(key)
		if strings.HasPrefix(key, trawl.APIKeyPrefix) {
			ownKey -= len(trawl.APIKeyPrefix)
		}
		if own > trawl.KeyPrefixChars || (ownKey > 0 && own*4 > ownKey) {
			t.Errorf("KeyPrefix(%q) = %q: shows %d of %d characters, want at most %d and a quarter", key, p, own, ownKey, trawl.KeyPrefixChars)
		}
	}
	if got := trawl.KeyPrefix("trawl_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"); got != "trawl_ABCD" {
		t.Errorf("got %q, want trawl_ABCD", got)
	}
}

func TestMaskWebhookHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"urls":["https://a.example/"],"webhook":{"url":"https://h.example/","headers":{"Authorization":"Bearer s3cret","X-Two":"v"}},"limit":3}`,
			`{"urls":["https://a.example/"],"webhook":{"url":"https://h.example/","headers":{"Authorization":"********","X-Two":"********"}},"limit":3}`},
		{`{"urls":["https://a.example/"]}`, `{"urls":["https://a.example/"]}`},
		{`{"headers":{"a":"b"}}`, `{"headers":{"a":"b"}}`}, // not a webhook's
		{`{"webhook":{"url":"https://h.example/","headers":{}}}`, `{"webhook":{"url":"https://h.example/","headers":{}}}`},
		{`not json "headers"`, `not json "headers"`},
	}
	for _, tt := range tests {
		got := string(trawl.MaskWebhookHeaders(json.RawMessage(tt.in)))
		if got != tt.want {
			t.Errorf("MaskWebhookHeaders(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}
