package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewChecksTheURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url, want string
		ok        bool
	}{
		{"", DefaultURL, true},
		{"https://trawl.example.com/", "https://trawl.example.com", true},
		{"http://h:8080/prefix/?x=1", "http://h:8080/prefix", true},
		{"ftp://h", "", false},
		{"trawl.example.com", "", false},
	} {
		c, err := New(Config{BaseURL: tt.url})
		if (err == nil) != tt.ok {
			t.Errorf("New(%q): err %v, want ok=%v", tt.url, err, tt.ok)
			continue
		}
		if err == nil && c.BaseURL() != tt.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tt.url, c.BaseURL(), tt.want)
		}
	}
}

// TestCallsOverTLS: a call over HTTPS carries the key and decodes the job;
// error answers come back as *Error with the server's message and fields.
func TestCallsOverTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Header.Get("x-api-key") != "k1":
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Invalid API key."}`)
		case r.URL.Path == "/scrapers/jobs/7":
			fmt.Fprint(w, `{"id":7,"status":"in_progress","scraper":{"slug":"crawler"},"input":{"limit":50},"dataRowsCount":3}`)
		case r.URL.Path == "/scrapers/crawler/jobs":
			w.WriteHeader(422)
			fmt.Fprint(w, `{"message":"The body is invalid.","errors":[{"field":"urls","message":"is required"}]}`)
		default:
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>Bad gateway</html>")
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Key: "k1", HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := c.Job(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != 7 || j.Status != "in_progress" || j.Limit() != 50 || j.Terminal() {
		t.Errorf("job %+v (limit %d)", j, j.Limit())
	}

	_, err = c.CreateJob(ctx, "crawler", []byte(`{}`))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("create: %v, want *Error", err)
	}
	if diff := cmp.Diff(&Error{Status: 422, Message: "The body is invalid.", Fields: []FieldError{{"urls", "is required"}}}, e); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if got, want := e.Error(), "422 Unprocessable Entity: The body is invalid. (urls: is required)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if _, err := c.Scrapers(ctx); StatusOf(err) != 502 || err.Error() != "502 Bad Gateway: <html>Bad gateway</html>" {
		t.Errorf("a proxy's page: %v", err)
	}
	bad, _ := New(Config{BaseURL: srv.URL, Key: "nope", HTTP: srv.Client()})
	if _, err := bad.Account(ctx); StatusOf(err) != 401 {
		t.Errorf("a wrong key: %v, want 401", err)
	}
	plain, _ := New(Config{BaseURL: srv.URL, Key: "k1"})
	if _, err := plain.Job(ctx, 7); err == nil {
		t.Error("a certificate nobody vouches for was accepted")
	}
}

// TestStreamReadsServerSentEvents: messages are split and typed, comments
// skipped, multi-line data joined, and the last id (also one sent without
// data) is where the next connection resumes.
func TestStreamReadsServerSentEvents(t *testing.T) {
	t.Parallel()
	gotLast := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotLast <- r.Header.Get("Last-Event-ID")
		if r.URL.Query().Get("kinds") != "webhook" || r.URL.Query().Get("jobId") != "3" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 2000\nid: 1.5.5.5\n: hello\n\n: heartbeat\n\n")
		fmt.Fprint(w, "id: 1.6.6.6\nevent: webhook\ndata: {\"id\":\"msg_1\"}\n\n")
		fmt.Fprint(w, "id: 1.7.7.7\r\nevent: job\r\ndata: a\r\ndata: b\r\n\r\n")
		fmt.Fprint(w, "id: 1.8.8.8\nevent: job\ndata: cut off")
	}))
	t.Cleanup(srv.Close)
	c, _ := New(Config{BaseURL: srv.URL})

	s, err := c.Events(context.Background(), EventsOptions{JobID: 3, Kinds: []string{KindWebhook}, LastEventID: "1.1.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := <-gotLast; got != "1.1.1.1" {
		t.Errorf("Last-Event-ID sent %q", got)
	}
	var got []Message
	for {
		m, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []Message{
		{ID: "1.6.6.6", Event: "webhook", Data: []byte(`{"id":"msg_1"}`)},
		{ID: "1.7.7.7", Event: "job", Data: []byte("a\nb")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if s.LastEventID() != "1.7.7.7" {
		t.Errorf("LastEventID %q, want that of the last whole message", s.LastEventID())
	}

	// A stream that ends before any message still knows where it began.
	opening := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "retry: 2000\nid: 1.5.5.5\n: hello\n\n")
	}))
	t.Cleanup(opening.Close)
	c2, _ := New(Config{BaseURL: opening.URL})
	s2, err := c2.Events(context.Background(), EventsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Next(); err != io.EOF {
		t.Errorf("Next on an empty stream: %v, want io.EOF", err)
	}
	if s2.LastEventID() != "1.5.5.5" {
		t.Errorf("LastEventID %q, want the opening id", s2.LastEventID())
	}
}
