package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientOverHTTPS: the client commands work against a server over
// HTTPS; --ca-cert trusts a private certificate authority, and without it
// the unknown certificate is refused.
func TestClientOverHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "k1" || r.URL.Path != "/scrapers/jobs/7" {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"message":"Job not found."}`)
			return
		}
		fmt.Fprint(w, `{"id":7,"status":"finished","scraper":{"slug":"crawler"},"input":{},"dataRowsCount":3}`)
	}))
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"TRAWL_URL": srv.URL, "TRAWL_KEY": "k1", "TRAWL_CONFIG": filepath.Join(t.TempDir(), "none.json")}[k]
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"jobs", "get", "7", "--ca-cert", ca}, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("jobs get over HTTPS: %v", err)
	}
	if !strings.Contains(stdout.String(), `"status": "finished"`) {
		t.Errorf("stdout %q", stdout.String())
	}
	err := run(context.Background(), []string{"jobs", "get", "7"}, getenv, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusted certificate: %v", err)
	}
	err = run(context.Background(), []string{"jobs", "get", "8", "--ca-cert", ca}, getenv, &stdout, &stderr)
	if err == nil || err.Error() != "404 Not Found: Job not found." {
		t.Errorf("a missing job: %v", err)
	}
}
