package trawl_test

import (
	"strings"
	"testing"

	"github.com/trawlhq/trawl"
)

func TestWebhookValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hook trawl.Webhook
		want []string // fields with errors, in order
	}{
		{"ok", trawl.Webhook{URL: "https://h.example/x", Events: []string{trawl.EventJobFinished}, Headers: map[string]string{"X-Token": "a"}}, nil},
		{"ok http with port", trawl.Webhook{URL: "http://h.example:8080/x", MaxAttempts: 10}, nil},
		{"missing url", trawl.Webhook{}, []string{"webhook.url"}},
		{"relative url", trawl.Webhook{URL: "/hook"}, []string{"webhook.url"}},
		{"ftp url", trawl.Webhook{URL: "ftp://h.example/x"}, []string{"webhook.url"}},
		{"credentials in url", trawl.Webhook{URL: "https://u:p@h.example/x"}, []string{"webhook.url"}},
		{"unknown event", trawl.Webhook{URL: "https://h/x", Events: []string{"scraper.job.started", "job.done"}}, []string{"webhook.events[1]"}},
		{"duplicate event", trawl.Webhook{URL: "https://h/x", Events: []string{trawl.EventJobFinished, trawl.EventJobFinished}}, []string{"webhook.events[1]"}},
		{"forbidden headers", trawl.Webhook{URL: "https://h/x", Headers: map[string]string{
			"Host": "x", "content-length": "1", "Transfer-Encoding": "x", "Connection": "x", "Content-Type": "x", "Webhook-Id": "x"}},
			[]string{"webhook.headers.Connection", "webhook.headers.Content-Type", "webhook.headers.Host", "webhook.headers.Transfer-Encoding",
				"webhook.headers.Webhook-Id", "webhook.headers.content-length"}},
		{"CR LF in value", trawl.Webhook{URL: "https://h/x", Headers: map[string]string{"X-A": "a\r\nX-B: b"}}, []string{"webhook.headers.X-A"}},
		{"bad header name", trawl.Webhook{URL: "https://h/x", Headers: map[string]string{"X A": "a"}}, []string{"webhook.headers.X A"}},
		{"maxAttempts too large", trawl.Webhook{URL: "https://h/x", MaxAttempts: 11}, []string{"webhook.maxAttempts"}},
		{"maxAttempts negative", trawl.Webhook{URL: "https://h/x", MaxAttempts: -1}, []string{"webhook.maxAttempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v trawl.Invalid
			tt.hook.Validate("webhook", &v)
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got errors on %v (%v), want on %v", got, v.Fields, tt.want)
			}
		})
	}
}

func TestUnknownEventListsAllowed(t *testing.T) {
	t.Parallel()
	var v trawl.Invalid
	(&trawl.Webhook{URL: "https://h/x", Events: []string{"nope"}}).Validate("webhook", &v)
	err := v.Err()
	for _, e := range trawl.Events() {
		if !strings.Contains(trawl.ErrorMessage(err), e) {
			t.Errorf("message %q does not list %s", trawl.ErrorMessage(err), e)
		}
	}
	if trawl.ErrorCode(err) != trawl.EINVALID {
		t.Errorf("code %q, want %q", trawl.ErrorCode(err), trawl.EINVALID)
	}
}

func TestSubscribed(t *testing.T) {
	t.Parallel()
	all := &trawl.Webhook{URL: "https://h/x"}
	if !all.Subscribed(trawl.EventDataScraped) || all.Subscribed(trawl.EventDataRowsAdded) {
		t.Errorf("no events listed: want every event but the alias")
	}
	alias := &trawl.Webhook{URL: "https://h/x", Events: []string{trawl.EventDataRowsAdded}}
	if !alias.Subscribed(trawl.EventDataRowsAdded) || alias.Subscribed(trawl.EventJobStarted) {
		t.Errorf("listed events: want exactly those")
	}
	var none *trawl.Webhook
	if none.Subscribed(trawl.EventJobFinished) {
		t.Errorf("a nil webhook wants nothing")
	}
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	a, b := trawl.NewAPIKey(), trawl.NewAPIKey()
	if a == b || !strings.HasPrefix(a, trawl.APIKeyPrefix) || len(a) < 30 {
		t.Errorf("keys %q, %q: want distinct, prefixed, long", a, b)
	}
	again := a
	if trawl.HashAPIKey(a) == trawl.HashAPIKey(b) || trawl.HashAPIKey(a) != trawl.HashAPIKey(again) || strings.Contains(trawl.HashAPIKey(a), a) {
		t.Errorf("hashes are not a function of the key alone")
	}
	if u := trawl.NewUUID(); len(u) != 36 || u[14] != '4' {
		t.Errorf("uuid %q is not a v4 UUID", u)
	}
}
