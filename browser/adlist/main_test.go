package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefreshFromAHostsList(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# a list\n0.0.0.0 ads.example.com\n0.0.0.0 x.ads.example.com\n0.0.0.0 b.example\n127.0.0.1 localhost\n"))
	}))
	defer srv.Close()
	local := filepath.Join(t.TempDir(), "extra.txt")
	if err := os.WriteFile(local, []byte("||c.example^\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "adhosts.txt")
	if err := run(context.Background(), []string{"-o", out, srv.URL, local}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			hosts = append(hosts, line)
		}
	}
	if got, want := strings.Join(hosts, " "), "ads.example.com b.example c.example"; got != want {
		t.Errorf("got hosts %q, want %q", got, want)
	}
}
