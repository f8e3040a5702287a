package webhook

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/trawlhq/trawl"
)

func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()

	// The example from the Standard Webhooks specification.
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignMatchesLibrary(t *testing.T) {
	t.Parallel()

	secret, err := newSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	tests := []struct {
		name   string
		secret string
		id     string
		ts     time.Time
		body   []byte
	}{
		{"fresh secret", secret, "evt_1", time.Unix(1700000000, 0), []byte(`{"event":"scraper.job.started"}`)},
		{"sub-second timestamp", secret, "evt_2", time.Unix(1700000000, 999_999_999), []byte(`{}`)},
		{"empty body", secret, "evt_3", time.Unix(1, 0), nil},
		{"long key", "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 64))),
			"42", time.Unix(1800000000, 0), []byte(`{"data":["ü","\u0000"]}`)},
		{"dots in id", secret, "a.b.c", time.Unix(1700000000, 0), []byte(`[1,2]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sign(tt.secret, tt.id, tt.ts, tt.body)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			wh, err := standardwebhooks.NewWebhook(tt.secret)
			if err != nil {
				t.Fatalf("library NewWebhook: %v", err)
			}
			want, err := wh.Sign(tt.id, tt.ts, tt.body)
			if err != nil {
				t.Fatalf("library Sign: %v", err)
			}
			if got != want {
				t.Errorf("Sign = %q, want (library) %q", got, want)
			}
		})
	}
}

func TestSignRejectsBadSecret(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		secret  string
		wantErr string
	}{
		{"empty", "", "missing whsec_ prefix"},
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "missing whsec_ prefix"},
		{"not base64", "whsec_not*base64!", "decode base64"},
		{"empty key", "whsec_", "empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sign(tt.secret, "evt_1", time.Unix(1700000000, 0), []byte(`{}`))
			if err == nil {
				t.Fatalf("Sign = %q, nil error; want error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Sign error = %q, want it to contain %q", err, tt.wantErr)
			}
			if len(tt.secret) > len("whsec_") && strings.Contains(err.Error(), tt.secret[len("whsec_"):]) {
				t.Errorf("Sign error %q leaks the secret", err)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()

	a, err := newSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	b, err := newSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	if a == b {
		t.Errorf("two NewSecret calls both returned %q", a)
	}
	enc, ok := strings.CutPrefix(a, "whsec_")
	if !ok {
		t.Fatalf("NewSecret = %q, want whsec_ prefix", a)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("NewSecret = %q: decode: %v", a, err)
	}
	if diff := cmp.Diff(32, len(key)); diff != "" {
		t.Errorf("key length (-want +got):\n%s", diff)
	}
	// The secret round-trips through the reference library.
	if _, err := standardwebhooks.NewWebhook(a); err != nil {
		t.Errorf("library rejects NewSecret output: %v", err)
	}
}

// newSecret makes secrets the way trawl does for its accounts.
func newSecret() (string, error) { return trawl.NewWebhookSecret(), nil }
