package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// testNow is the fixed clock of most tests; with it every Duration is 0, so
// whole Results compare exactly.
var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// newTestClient returns a client with its own transport (no proxy, no
// shared idle connections) that is cleaned up with the test.
func newTestClient(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func newTestSender(client *http.Client) *Sender {
	return &Sender{
		Client:    client,
		UserAgent: "trawl/test",
		Now:       func() time.Time { return testNow },
	}
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func testMessage(url string) Message {
	return Message{ID: "evt_1", URL: url, Body: []byte(`{"event":"scraper.job.started"}`), Timestamp: testNow}
}

func TestSendStatus(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		want    Result
	}{
		{name: "200", status: 200, body: "ok", want: Result{StatusCode: 200, ResponseExcerpt: "ok"}},
		{name: "204", status: 204, want: Result{StatusCode: 204}},
		{name: "202 with retry-after ignored", status: 202, headers: map[string]string{"Retry-After": "5"},
			want: Result{StatusCode: 202}},
		{name: "500 keeps excerpt", status: 500, body: `{"error":"boom"}`, want: Result{
			StatusCode: 500, ErrorClass: ClassHTTPStatus, Error: "HTTP 500 Internal Server Error",
			ResponseExcerpt: `{"error":"boom"}`}},
		{name: "400", status: 400, body: "bad", want: Result{
			StatusCode: 400, ErrorClass: ClassHTTPStatus, Error: "HTTP 400 Bad Request", ResponseExcerpt: "bad"}},
		{name: "413 too large", status: 413, body: "max 64kb", want: Result{
			StatusCode: 413, ErrorClass: ClassTooLarge, Error: "HTTP 413 Request Entity Too Large", ResponseExcerpt: "max 64kb"}},
		{name: "unknown status", status: 599, want: Result{
			StatusCode: 599, ErrorClass: ClassHTTPStatus, Error: "HTTP 599"}},
		{name: "410 gone", status: 410, body: "unsubscribed", want: Result{
			StatusCode: 410, ErrorClass: ClassHTTPStatus, Error: "HTTP 410 Gone", ResponseExcerpt: "unsubscribed", Gone: true}},
		{name: "429 retry-after seconds", status: 429, headers: map[string]string{"Retry-After": "2"}, want: Result{
			StatusCode: 429, ErrorClass: ClassHTTPStatus, Error: "HTTP 429 Too Many Requests", RetryAfter: 2 * time.Second}},
		{name: "503 retry-after http date", status: 503,
			headers: map[string]string{"Retry-After": testNow.Add(90 * time.Second).Format(http.TimeFormat)},
			want: Result{StatusCode: 503, ErrorClass: ClassHTTPStatus, Error: "HTTP 503 Service Unavailable",
				RetryAfter: 90 * time.Second}},
		{name: "503 retry-after date in the past", status: 503,
			headers: map[string]string{"Retry-After": testNow.Add(-time.Hour).Format(http.TimeFormat)},
			want:    Result{StatusCode: 503, ErrorClass: ClassHTTPStatus, Error: "HTTP 503 Service Unavailable"}},
		{name: "429 retry-after capped", status: 429, headers: map[string]string{"Retry-After": "86400"}, want: Result{
			StatusCode: 429, ErrorClass: ClassHTTPStatus, Error: "HTTP 429 Too Many Requests", RetryAfter: time.Hour}},
		{name: "429 retry-after overflowing", status: 429, headers: map[string]string{"Retry-After": "99999999999999999999999"},
			want: Result{StatusCode: 429, ErrorClass: ClassHTTPStatus, Error: "HTTP 429 Too Many Requests", RetryAfter: time.Hour}},
		{name: "429 retry-after unparseable", status: 429, headers: map[string]string{"Retry-After": "soon"}, want: Result{
			StatusCode: 429, ErrorClass: ClassHTTPStatus, Error: "HTTP 429 Too Many Requests"}},
		{name: "429 without retry-after", status: 429, want: Result{
			StatusCode: 429, ErrorClass: ClassHTTPStatus, Error: "HTTP 429 Too Many Requests"}},
		{name: "500 retry-after ignored", status: 500, headers: map[string]string{"Retry-After": "2"}, want: Result{
			StatusCode: 500, ErrorClass: ClassHTTPStatus, Error: "HTTP 500 Internal Server Error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			got := newTestSender(newTestClient(t, 5*time.Second)).Send(t.Context(), testMessage(srv.URL))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Send (-want +got):\n%s", diff)
			}
			if got.OK() != (tt.status >= 200 && tt.status < 300) {
				t.Errorf("OK() = %v for status %d", got.OK(), tt.status)
			}
		})
	}
}

func TestSendRedirectNotFollowed(t *testing.T) {
	t.Parallel()

	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var targetHits atomic.Int32
			target := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				targetHits.Add(1)
			})
			location := target.URL + "/elsewhere"
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, location, status)
			})
			// A client that would follow redirects: the Sender must not.
			client := newTestClient(t, 5*time.Second)

			got := newTestSender(client).Send(t.Context(), testMessage(srv.URL))

			want := Result{
				StatusCode: status,
				ErrorClass: ClassHTTPStatus,
				Error: fmt.Sprintf("HTTP %d %s (redirects are not followed; Location %q)",
					status, http.StatusText(status), location),
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "ResponseExcerpt")); diff != "" {
				t.Errorf("Send (-want +got):\n%s", diff)
			}
			if n := targetHits.Load(); n != 0 {
				t.Errorf("redirect target requested %d times, want 0", n)
			}
			if client.CheckRedirect != nil {
				t.Error("Send changed the caller's Client.CheckRedirect")
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		clientTimeout time.Duration
		ctxTimeout    time.Duration
	}{
		{name: "client timeout", clientTimeout: 200 * time.Millisecond},
		{name: "context deadline", ctxTimeout: 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			t.Cleanup(func() { close(release) }) // runs before srv.Close
			ctx := t.Context()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}

			got := newTestSender(newTestClient(t, tt.clientTimeout)).Send(ctx, testMessage(srv.URL))

			want := Result{ErrorClass: ClassTimeout}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Error")); diff != "" {
				t.Errorf("Send (-want +got):\n%s", diff)
			}
			if got.Error == "" {
				t.Error("Send: Error is empty")
			}
		})
	}
}

// Once the status line has arrived it decides the outcome: a body that
// stalls only shortens the excerpt.
func TestSendTimeoutWhileReadingBody(t *testing.T) {
	t.Parallel()

	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })

	got := newTestSender(newTestClient(t, 200*time.Millisecond)).Send(t.Context(), testMessage(srv.URL))

	if diff := cmp.Diff(Result{StatusCode: 200, ResponseExcerpt: "partial"}, got); diff != "" {
		t.Errorf("Send (-want +got):\n%s", diff)
	}
}

var errTestBlocked = errors.New("destination is a private address")

// blockingClient's dialer refuses every connection the way an egress guard
// in net.Dialer.Control does.
func blockingClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("egress: %w", errTestBlocked)}
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestSendNetworkErrors(t *testing.T) {
	t.Parallel()

	isBlocked := func(err error) bool { return errors.Is(err, errTestBlocked) }
	tests := []struct {
		name string
		// setup returns the URL to send to and the sender to use.
		setup func(t *testing.T) (string, *Sender)
		want  string
	}{
		{
			name: "connection refused",
			setup: func(t *testing.T) (string, *Sender) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatalf("listen: %v", err)
				}
				addr := ln.Addr().String()
				if err := ln.Close(); err != nil {
					t.Fatalf("close listener: %v", err)
				}
				return "http://" + addr + "/hook", newTestSender(newTestClient(t, 5*time.Second))
			},
			want: ClassConnection,
		},
		{
			name: "connection closed without response",
			setup: func(t *testing.T) (string, *Sender) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						_ = conn.Close()
					}
				})
				return srv.URL, newTestSender(newTestClient(t, 5*time.Second))
			},
			want: ClassConnection,
		},
		{
			// The dialer fails as a resolver would, so no query leaves the
			// machine.
			name: "dns",
			setup: func(t *testing.T) (string, *Sender) {
				tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "receiver.test", IsNotFound: true}}
				}}
				t.Cleanup(tr.CloseIdleConnections)
				return "http://receiver.test/hook", newTestSender(&http.Client{Transport: tr, Timeout: 5 * time.Second})
			},
			want: ClassDNS,
		},
		{
			name: "blocked by egress guard",
			setup: func(t *testing.T) (string, *Sender) {
				s := newTestSender(blockingClient(t))
				s.IsBlocked = isBlocked
				return "http://127.0.0.1:1/hook", s
			},
			want: ClassBlocked,
		},
		{
			name: "guard refusal without IsBlocked",
			setup: func(t *testing.T) (string, *Sender) {
				return "http://127.0.0.1:1/hook", newTestSender(blockingClient(t))
			},
			want: ClassConnection,
		},
		{
			name: "tls untrusted certificate",
			setup: func(t *testing.T) (string, *Sender) {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // quiet the "bad certificate" handshake log
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return srv.URL, newTestSender(newTestClient(t, 5*time.Second))
			},
			want: ClassTLS,
		},
		{
			name: "https to a plain http server",
			setup: func(t *testing.T) (string, *Sender) {
				srv := newServer(t, func(http.ResponseWriter, *http.Request) {})
				return strings.Replace(srv.URL, "http://", "https://", 1), newTestSender(newTestClient(t, 5*time.Second))
			},
			want: ClassTLS,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, s := tt.setup(t)

			got := s.Send(t.Context(), testMessage(url))
			t.Logf("error text: %s", got.Error)

			want := Result{ErrorClass: tt.want}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Error")); diff != "" {
				t.Errorf("Send (-want +got):\n%s\nerror text: %s", diff, got.Error)
			}
			if got.Error == "" {
				t.Error("Send: Error is empty")
			}
			if strings.HasPrefix(got.Error, "Post ") {
				t.Errorf("Error = %q, want it without the url.Error prefix", got.Error)
			}
		})
	}
}

func TestSendTrustedTLS(t *testing.T) {
	t.Parallel()

	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)

	got := newTestSender(srv.Client()).Send(t.Context(), testMessage(srv.URL))

	if diff := cmp.Diff(Result{StatusCode: 200}, got); diff != "" {
		t.Errorf("Send (-want +got):\n%s", diff)
	}
}

func TestSendExcerpt(t *testing.T) {
	t.Parallel()

	const limit = 16 << 10
	tests := []struct {
		name string
		body string
		want string
	}{
		{"short", "thanks", "thanks"},
		{"exactly the limit", strings.Repeat("a", limit), strings.Repeat("a", limit)},
		{"one byte over", strings.Repeat("a", limit+1), strings.Repeat("a", limit)},
		{"two-byte rune cut at the limit", strings.Repeat("a", limit-1) + "é tail", strings.Repeat("a", limit-1)},
		{"four-byte rune cut at the limit", strings.Repeat("a", limit-2) + "😀 tail", strings.Repeat("a", limit-2)},
		{"rune ending at the limit", strings.Repeat("a", limit-2) + "é tail", strings.Repeat("a", limit-2) + "é"},
		// Collapsing the leading invalid run frees room, so without trimming
		// the cut "é" would survive as a trailing U+FFFD.
		{"rune cut after collapsed invalid bytes", strings.Repeat("\xff", 10) + strings.Repeat("a", limit-11) + "é",
			"\uFFFD" + strings.Repeat("a", limit-11)},
		{"invalid bytes replaced", "\xffok\xc3", "\uFFFDok\uFFFD"},
		{"replacement does not grow past the limit", strings.Repeat("\xffa", limit/2), strings.Repeat("\uFFFDa", limit/4)},
		{"large body", strings.Repeat("x", 1<<20), strings.Repeat("x", limit)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, tt.body)
			})

			got := newTestSender(newTestClient(t, 5*time.Second)).Send(t.Context(), testMessage(srv.URL))

			if got.StatusCode != 200 || got.ErrorClass != "" {
				t.Fatalf("Send = status %d, class %q; want 200 and no error", got.StatusCode, got.ErrorClass)
			}
			if got.ResponseExcerpt != tt.want {
				t.Errorf("ResponseExcerpt: got %d bytes, want %d bytes; diff (-want +got):\n%s",
					len(got.ResponseExcerpt), len(tt.want), cmp.Diff(tt.want, got.ResponseExcerpt))
			}
			if len(got.ResponseExcerpt) > limit || !utf8.ValidString(got.ResponseExcerpt) {
				t.Errorf("ResponseExcerpt is %d bytes, valid UTF-8 %v; want <= %d and valid",
					len(got.ResponseExcerpt), utf8.ValidString(got.ResponseExcerpt), limit)
			}
		})
	}
}

// receivedRequest is what the test receiver saw.
type receivedRequest struct {
	method string
	header http.Header
	body   []byte
}

func TestSendHeadersAndSignatures(t *testing.T) {
	t.Parallel()

	secretA, secretB, other := mustSecret(t), mustSecret(t), mustSecret(t)
	// A real-time clock (whole seconds) so the library's 5-minute tolerance
	// check can run too.
	now := time.Now().Truncate(time.Second)
	past := time.Unix(1700000000, 0)
	tests := []struct {
		name      string
		secrets   []string
		timestamp time.Time
		wantTS    time.Time
	}{
		{name: "no secrets", timestamp: past, wantTS: past},
		{name: "one secret", secrets: []string{secretA}, wantTS: now},
		{name: "rotation: two secrets", secrets: []string{secretA, secretB}, wantTS: now},
		{name: "explicit timestamp", secrets: []string{secretB}, timestamp: past, wantTS: past},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			received := make(chan receivedRequest, 1)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				received <- receivedRequest{method: r.Method, header: r.Header.Clone(), body: body}
			})
			s := newTestSender(newTestClient(t, 5*time.Second))
			s.Now = func() time.Time { return now }
			m := Message{
				ID:  "evt_01HZX",
				URL: srv.URL + "/hook?token=abc",
				Headers: map[string]string{
					"X-Api-Token":       "s3cret",
					"x-lower":           "v",
					"Content-Type":      "text/plain",
					"User-Agent":        "evil",
					"webhook-id":        "spoof",
					"Webhook-Signature": "v1,forged",
				},
				Body:      []byte(`{"event":"scraper.data.scraped","data":[{"name":"Café"}]}`),
				Timestamp: tt.timestamp,
				Secrets:   tt.secrets,
			}

			res := s.Send(t.Context(), m)
			if !res.OK() {
				t.Fatalf("Send = %+v, want OK", res)
			}
			req := <-received

			if req.method != http.MethodPost {
				t.Errorf("method = %q, want POST", req.method)
			}
			if diff := cmp.Diff(string(m.Body), string(req.body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			wantHeaders := map[string][]string{
				"Content-Type":      {"application/json"},
				"User-Agent":        {"trawl/test"},
				"X-Api-Token":       {"s3cret"},
				"X-Lower":           {"v"},
				"Webhook-Id":        {"evt_01HZX"},
				"Webhook-Timestamp": {strconv.FormatInt(tt.wantTS.Unix(), 10)},
			}
			gotHeaders := map[string][]string{}
			for name := range wantHeaders {
				gotHeaders[name] = req.header.Values(name)
			}
			if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}

			sig := req.header.Values("Webhook-Signature")
			if len(tt.secrets) == 0 {
				if len(sig) != 0 {
					t.Errorf("webhook-signature = %q, want absent without secrets", sig)
				}
				return
			}
			if len(sig) != 1 {
				t.Fatalf("webhook-signature = %q, want one header", sig)
			}
			if entries := strings.Split(sig[0], " "); len(entries) != len(tt.secrets) {
				t.Errorf("webhook-signature %q has %d entries, want %d", sig[0], len(entries), len(tt.secrets))
			}
			// The Standard Webhooks library is the oracle: every live secret
			// verifies the delivery on its own, and a stranger's does not.
			for i, secret := range tt.secrets {
				if err := verify(t, secret, req, tt.timestamp.IsZero()); err != nil {
					t.Errorf("library verify with secret %d: %v", i+1, err)
				}
			}
			if err := verify(t, other, req, tt.timestamp.IsZero()); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Errorf("library verify with an unrelated secret = %v, want ErrNoMatchingSignature", err)
			}
		})
	}
}

// verify checks req with the Standard Webhooks library; checkTime also
// enforces the library's timestamp tolerance.
func verify(t *testing.T, secret string, req receivedRequest, checkTime bool) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("library NewWebhook: %v", err)
	}
	if checkTime {
		return wh.Verify(req.body, req.header)
	}
	return wh.VerifyIgnoringTimestamp(req.body, req.header)
}

func mustSecret(t *testing.T) string {
	t.Helper()
	s, err := newSecret()
	if err != nil {
		t.Fatalf("NewSecret: %v", err)
	}
	return s
}

func TestSendInvalid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		modify  func(s *Sender, m *Message)
		wantErr string
	}{
		{"no id", func(s *Sender, m *Message) { m.ID = "" }, "message has no id"},
		{"nil client", func(s *Sender, m *Message) { s.Client = nil }, "no http client"},
		{"ftp url", func(s *Sender, m *Message) { m.URL = "ftp://example.com/x" }, "http or https"},
		{"relative url", func(s *Sender, m *Message) { m.URL = "/hook" }, "http or https"},
		{"unparseable url", func(s *Sender, m *Message) { m.URL = "http://[::1" }, "parse url"},
		{"header value with newline", func(s *Sender, m *Message) {
			m.Headers = map[string]string{"X-A": "a\r\nX-Injected: 1"}
		}, `custom header "X-A"`},
		{"header name with space", func(s *Sender, m *Message) {
			m.Headers = map[string]string{"Bad Name": "v"}
		}, `custom header "Bad Name"`},
		{"secret without prefix", func(s *Sender, m *Message) {
			m.Secrets = []string{mustSecret(t), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		}, "sign with secret 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
			s := newTestSender(newTestClient(t, 5*time.Second))
			m := testMessage(srv.URL)
			tt.modify(s, &m)

			got := s.Send(t.Context(), m)

			if got.ErrorClass != ClassInvalid || !strings.Contains(got.Error, tt.wantErr) {
				t.Errorf("Send = %+v, want class %q and error containing %q", got, ClassInvalid, tt.wantErr)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("server received %d requests, want 0", n)
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	t.Parallel()

	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	s := newTestSender(newTestClient(t, 5*time.Second))
	s.Now = nil // exercise the default clock too
	secret := mustSecret(t)

	const workers, each = 8, 5
	var wg sync.WaitGroup
	results := make(chan Result, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := testMessage(srv.URL)
				m.ID = fmt.Sprintf("evt_%d_%d", w, i)
				m.Secrets = []string{secret}
				results <- s.Send(t.Context(), m)
			}
		})
	}
	wg.Wait()
	close(results)
	for res := range results {
		if !res.OK() || res.Duration <= 0 {
			t.Errorf("Send = %+v, want OK with a positive duration", res)
		}
	}
	if n := hits.Load(); n != workers*each {
		t.Errorf("server received %d requests, want %d", n, workers*each)
	}
}
