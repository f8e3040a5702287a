package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		keyErr  error
		status  int
		message string
	}{
		{"no key", []string{"x-api-key", ""}, nil, http.StatusUnauthorized, msgMissingKey},
		{"empty key", []string{"x-api-key", " "}, nil, http.StatusUnauthorized, msgMissingKey},
		{"basic auth is not a key", []string{"x-api-key", "", "Authorization", "Basic a2V5LTE6"}, nil, http.StatusUnauthorized, msgMissingKey},
		{"unknown key", []string{"x-api-key", "nope"}, nil, http.StatusUnauthorized, msgUnknownKey},
		{"unknown bearer key", []string{"x-api-key", "", "Authorization", "Bearer nope"}, nil, http.StatusUnauthorized, msgUnknownKey},
		{"x-api-key", nil, nil, http.StatusOK, ""},
		{"bearer", []string{"x-api-key", "", "Authorization", "Bearer " + key1}, nil, http.StatusOK, ""},
		{"bearer in lower case", []string{"x-api-key", "", "Authorization", "bearer " + key1}, nil, http.StatusOK, ""},
		{"x-api-key wins over bearer", []string{"Authorization", "Bearer nope"}, nil, http.StatusOK, ""},
		{"key store down", nil, errors.New("connection refused"), http.StatusInternalServerError, internalMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.store.keyErr = tt.keyErr
			w := b.do(t, http.MethodGet, "/scrapers/jobs/9", "", tt.headers...)
			if tt.status == http.StatusOK {
				wantOK(t, w, nil)
				return
			}
			got := wantError(t, w, tt.status)
			if diff := cmp.Diff(apiError{Message: tt.message}, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("a 401 without WWW-Authenticate")
			}
		})
	}
}

// TestAuthComesFirst: without a key, a request is a 401 whatever else is
// wrong with it, so its parameters reveal nothing.
func TestAuthComesFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/scrapers/jobs?limit=0", "/scrapers/jobs/8", "/scrapers/jobs/abc/results", "/scrapers"} {
		wantError(t, b.do(t, http.MethodGet, target, "", "x-api-key", ""), http.StatusUnauthorized)
	}
	wantError(t, b.do(t, http.MethodPost, "/scrapers/crawler/jobs", "{", "x-api-key", ""), http.StatusUnauthorized)
	if n := len(b.jobs.bodies); n != 0 {
		t.Errorf("Create called %d times without a key", n)
	}
}

func TestPublicRoutesNeedNoKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/healthz", "/readyz", "/openapi.json", "/openapi.yaml"} {
		if w := b.do(t, http.MethodGet, target, "", "x-api-key", ""); w.Code != http.StatusOK {
			t.Errorf("GET %s without a key: got %d, want 200", target, w.Code)
		}
	}
}

func TestAccountsSeeOnlyTheirJobs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantOK(t, b.do(t, http.MethodGet, "/scrapers/jobs/8", "", "x-api-key", key2), nil)
	wantError(t, b.do(t, http.MethodGet, "/scrapers/jobs/8", "", "x-api-key", key1), http.StatusNotFound)
	wantError(t, b.do(t, http.MethodGet, "/scrapers/jobs/7", "", "x-api-key", key2), http.StatusNotFound)

	var list struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	wantOK(t, b.do(t, http.MethodGet, "/scrapers/jobs", "", "x-api-key", key2), &list)
	if len(list.Data) != 1 || list.Data[0].ID != 8 {
		t.Errorf("account 2 lists %+v, want only job 8", list.Data)
	}
	b.jobs.create = nil
	var rec struct {
		ID int64 `json:"id"`
	}
	wantOK(t, b.do(t, http.MethodPost, "/scrapers/crawler/jobs", `{}`, "x-api-key", key2), &rec)
}
