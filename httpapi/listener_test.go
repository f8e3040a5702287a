package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// rawGet sends target as the request line, byte for byte, and reads the
// answer.
func rawGet(t *testing.T, addr, target string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: trawl.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestMalformedRequestsGetTheErrorShape: a bad percent-escape is refused by
// net/http before any handler; the answer is still JSON in the error shape.
// Paths with ".." or "//" are not redirected (before authentication) but are
// no endpoint.
func TestMalformedRequestsGetTheErrorShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := httptest.NewUnstartedServer(b.handler)
	srv.Listener = Listener(srv.Listener)
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	for target, want := range map[string]int{
		"/scrapers/jobs/%zz":         400,
		"/scrapers/%4/jobs":          400,
		"/exports/%":                 400,
		"/scrapers/../scrapers/jobs": 404,
		"//scrapers/jobs":            404,
		"/scrapers/jobs/1/..":        404,
		"/scrapers/./jobs":           404,
		"/healthz":                   200,
	} {
		resp := rawGet(t, addr, target)
		var body map[string]any
		err := json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != want || resp.Header.Get("Content-Type") != "application/json" || err != nil {
			t.Errorf("GET %s: %d %q (%v), want %d in JSON", target, resp.StatusCode, resp.Header.Get("Content-Type"), err, want)
			continue
		}
		if want != 200 && body["message"] == nil {
			t.Errorf("GET %s: body %v has no message", target, body)
		}
	}
}
