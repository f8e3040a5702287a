package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		target   string
		pingErr  error
		readyErr error
		status   int
		body     string
	}{
		{"healthz", "/healthz", nil, nil, 200, `{"status":"ok"}`},
		{"healthz while the database is down", "/healthz", errors.New("db down"), nil, 200, `{"status":"ok"}`},
		{"ready", "/readyz", nil, nil, 200, `{"status":"ok"}`},
		{"database down", "/readyz", errors.New("dial tcp 10.0.0.5:5432: connection refused"), nil, 503,
			`{"status":"unavailable","message":"The database is not answering."}`},
		{"ready hook fails", "/readyz", nil, errors.New("river client not started"), 503,
			`{"status":"unavailable","message":"The server is not ready to take work."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *Config) {
				c.Ready = func(ctx context.Context) error {
					if _, ok := ctx.Deadline(); !ok {
						t.Error("Ready got a context without a deadline")
					}
					return tt.readyErr
				}
			})
			b.store.pingErr = tt.pingErr
			w := b.do(t, http.MethodGet, tt.target, "", "x-api-key", "")
			if w.Code != tt.status {
				t.Errorf("status: got %d, want %d", w.Code, tt.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			if diff := cmp.Diff(tt.body+"\n", w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if tt.status == 503 {
				for _, cause := range []error{tt.pingErr, tt.readyErr} {
					if cause != nil && !strings.Contains(b.logs.String(), cause.Error()) {
						t.Errorf("the cause %q is not logged:\n%s", cause, b.logs)
					}
				}
			}
		})
	}
}
