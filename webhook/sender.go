package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one HTTP delivery of one event to one endpoint.
type Message struct {
	// ID is sent as webhook-id. It is stable for an event across retries and
	// redeliveries so receivers can deduplicate. Required.
	ID string
	// URL is the endpoint; http or https only.
	URL string
	// Headers are the job's custom headers, sent on every delivery. Names
	// starting with "webhook-" are ignored, and Content-Type and User-Agent
	// are overridden by the Sender's own values (both are also rejected
	// upstream, when the job is created).
	Headers map[string]string
	// Body is the JSON payload, sent and signed byte for byte.
	Body []byte
	// Timestamp is sent as webhook-timestamp (unix seconds) and signed. The
	// zero value means the Sender's current time.
	Timestamp time.Time
	// Secrets are "whsec_…" signing secrets. Each yields one "v1,<sig>" entry
	// in webhook-signature, in order, separated by spaces (two during a key
	// rotation). Empty means no webhook-signature header; webhook-id and
	// webhook-timestamp are still sent.
	Secrets []string
}

// Error classes stored with each attempt. The delivery worker decides from
// the class (and Result.Gone / Result.RetryAfter) whether to try again.
const (
	// ClassTimeout: the attempt ran out of time (client timeout, context
	// deadline, or any network timeout, including a DNS or TLS handshake
	// timeout).
	ClassTimeout = "timeout"
	// ClassConnection: the connection could not be made or broke (refused,
	// reset, EOF), and anything not covered by another class, including a
	// cancelled context.
	ClassConnection = "connection"
	// ClassDNS: the host name did not resolve.
	ClassDNS = "dns"
	// ClassTLS: the TLS handshake failed (untrusted or invalid certificate,
	// wrong host name, alert, or a plain-HTTP server on an https URL).
	ClassTLS = "tls"
	// ClassHTTPStatus: a response arrived with a status other than 2xx.
	// Redirects (3xx) are in this class: they are never followed.
	ClassHTTPStatus = "http_status"
	// ClassBlocked: the egress guard refused the destination (Sender.IsBlocked).
	ClassBlocked = "blocked"
	// ClassTooLarge: the receiver refused the body as too large (413). trawl
	// keeps bodies under its own limit, so this says the receiver's is lower.
	ClassTooLarge = "too_large"
	// ClassInvalid: the message could not be sent as built (no ID, a URL that
	// is not http(s), an invalid header, a malformed secret, a nil Client).
	// Nothing was sent and retrying the same message cannot help.
	ClassInvalid = "invalid"
)

const (
	// excerptLimit is how much of a response body is kept in the attempt log.
	excerptLimit = 16 << 10
	// drainLimit is how much more of a response body is read (and dropped)
	// so the connection can be reused; beyond it the connection is closed.
	drainLimit = 64 << 10
	// retryAfterCap bounds what a receiver can ask for with Retry-After.
	retryAfterCap = time.Hour
	// locationLimit bounds the redirect target quoted in Result.Error.
	locationLimit = 256
)

// Result is the outcome of one attempt.
type Result struct {
	// StatusCode is the response status, 0 when no response arrived.
	StatusCode int
	// ErrorClass is one of the Class constants, "" on success.
	ErrorClass string
	// Error is a human-readable description, "" on success; for
	// ClassHTTPStatus it reads like "HTTP 500 Internal Server Error".
	Error string
	// Duration is the time from just before the request was sent until the
	// response excerpt was read (or the request failed).
	Duration time.Duration
	// ResponseExcerpt is the first 16 KiB of the response body as valid
	// UTF-8: a rune cut at the limit is dropped and invalid bytes become
	// U+FFFD. A body that failed mid-read keeps what arrived.
	ResponseExcerpt string
	// RetryAfter is the Retry-After header of a 429 or 503 response (delay
	// seconds or an HTTP date), capped at 1 hour. 0 if absent, unparseable,
	// in the past, or on any other status.
	RetryAfter time.Duration
	// Gone reports a 410 response: the receiver asks for no more deliveries.
	Gone bool
}

// OK reports whether the attempt succeeded: the receiver answered 2xx.
func (r Result) OK() bool {
	return r.StatusCode >= 200 && r.StatusCode <= 299
}

// Sender POSTs webhook messages and classifies the outcomes. Its fields are
// read-only once Send is first called; a Sender is then safe for concurrent
// use.
type Sender struct {
	// Client sends the requests; it should be trawl's guarded egress client
	// with its connect and total timeouts (5 s and 15 s by default). Send
	// works on a shallow copy whose CheckRedirect stops at the first
	// response, so redirects are never followed whatever Client says. A nil
	// Client makes every Send fail with ClassInvalid.
	Client *http.Client
	// UserAgent is sent as User-Agent, e.g. "trawl/1.2.3". Empty sends
	// "trawl".
	UserAgent string
	// IsBlocked reports whether a request error is the egress guard refusing
	// the destination (egress.IsBlocked); such errors get ClassBlocked. Nil
	// means never.
	IsBlocked func(error) bool
	// Now is the clock, used for a zero Message.Timestamp, for Duration and
	// for Retry-After dates. Nil means time.Now.
	Now func() time.Time
}

// Send POSTs m once and classifies the outcome. It never returns an error:
// the Result says everything, and a Result that is not OK always has
// ErrorClass and Error set. The request carries Content-Type:
// application/json, User-Agent, m's custom headers, webhook-id,
// webhook-timestamp and, when m has secrets, webhook-signature.
//
// The response body is read up to 16 KiB for the excerpt, then at most
// 64 KiB more are drained so the connection can be reused, then it is
// closed. Once a status arrives it decides the outcome: an error while
// reading the body only shortens the excerpt.
//
// A cancelled ctx yields ClassConnection ("context canceled"); callers that
// cancel on shutdown should check ctx.Err() before recording the attempt.
func (s *Sender) Send(ctx context.Context, m Message) Result {
	start := s.now()
	req, err := s.newRequest(ctx, m, start)
	if err != nil {
		return Result{ErrorClass: ClassInvalid, Error: err.Error()}
	}
	client := *s.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}

	resp, err := client.Do(req)
	if err != nil {
		return Result{
			ErrorClass: s.classify(err),
			Error:      errorText(err),
			Duration:   s.now().Sub(start),
		}
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		_ = resp.Body.Close()
	}()

	excerpt := readExcerpt(resp.Body)
	res := Result{
		StatusCode:      resp.StatusCode,
		Duration:        s.now().Sub(start),
		ResponseExcerpt: excerpt,
		Gone:            resp.StatusCode == http.StatusGone,
	}
	if !res.OK() {
		res.ErrorClass = ClassHTTPStatus
		if resp.StatusCode == http.StatusRequestEntityTooLarge {
			res.ErrorClass = ClassTooLarge
		}
		res.Error = statusError(resp)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return res
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// newRequest builds the signed POST for m, or says why m cannot be sent.
func (s *Sender) newRequest(ctx context.Context, m Message, now time.Time) (*http.Request, error) {
	if s.Client == nil {
		return nil, errors.New("webhook sender has no http client")
	}
	if m.ID == "" {
		return nil, errors.New("message has no id")
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("url must be absolute http or https")
	}
	ts := m.Timestamp
	if ts.IsZero() {
		ts = now
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for name, value := range m.Headers {
		if err := checkHeader(name, value); err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.ToLower(name), "webhook-") {
			continue
		}
		req.Header.Set(name, value)
	}
	ua := s.UserAgent
	if ua == "" {
		ua = "trawl"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	if len(m.Secrets) > 0 {
		sig, err := signatureHeader(m.Secrets, m.ID, ts, m.Body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("webhook-signature", sig)
	}
	return req, nil
}

// checkHeader rejects a custom header net/http would refuse to send (or,
// worse, that would split the request): a name that is not an RFC 9110
// token, or a value holding CR, LF or NUL.
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("custom header has an empty name")
	}
	for _, c := range []byte(name) {
		if !isTokenChar(c) {
			return fmt.Errorf("custom header %q: invalid name", name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("custom header %q: value contains CR, LF or NUL", name)
	}
	return nil
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// classify maps a request error (no response) to an error class.
func (s *Sender) classify(err error) string {
	if s.IsBlocked != nil && s.IsBlocked(err) {
		return ClassBlocked
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return ClassTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ClassDNS
	}
	if anyInChain(err, isTLSError) {
		return ClassTLS
	}
	return ClassConnection
}

// isTLSError reports whether e itself (not its chain) is a TLS failure.
func isTLSError(e error) bool {
	switch e := e.(type) {
	case tls.RecordHeaderError, tls.AlertError, *tls.CertificateVerificationError, *tls.ECHRejectionError,
		x509.UnknownAuthorityError, x509.HostnameError, x509.CertificateInvalidError, x509.SystemRootsError,
		x509.ConstraintViolationError, x509.UnhandledCriticalExtension, x509.InsecureAlgorithmError:
		return true
	case *net.OpError:
		// crypto/tls reports an alert from the peer this way, with an
		// unexported error type.
		return e.Op == "remote error"
	}
	// http.ErrSchemeMismatch: a plain-HTTP server on an https URL. Other
	// handshake failures are plain errors whose text starts "tls: ".
	return e == http.ErrSchemeMismatch || strings.HasPrefix(e.Error(), "tls: ")
}

// anyInChain reports whether f holds for err or any error it wraps.
func anyInChain(err error, f func(error) bool) bool {
	for err != nil {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if anyInChain(e, f) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// errorText describes a request error without the "Post \"<url>\": "
// prefix net/http adds: the URL is already stored with the attempt.
func errorText(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// statusError describes a non-2xx response, e.g. "HTTP 500 Internal Server
// Error". The reason phrase is the standard one, not the receiver's.
func statusError(resp *http.Response) string {
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if text := http.StatusText(resp.StatusCode); text != "" {
		msg += " " + text
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		msg += " (redirects are not followed"
		if loc := resp.Header.Get("Location"); loc != "" {
			msg += fmt.Sprintf("; Location %q", truncateUTF8(loc, locationLimit))
		}
		msg += ")"
	}
	return msg
}

// readExcerpt reads up to excerptLimit bytes of body as valid UTF-8.
func readExcerpt(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, excerptLimit+1))
	if len(b) > excerptLimit {
		b = b[:excerptLimit]
		b = trimCutRune(b)
	}
	return truncateUTF8(strings.ToValidUTF8(string(b), "\uFFFD"), excerptLimit)
}

// trimCutRune drops an incomplete UTF-8 sequence at the end of b, left by
// cutting a longer text at a byte limit.
func trimCutRune(b []byte) []byte {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// truncateUTF8 shortens valid UTF-8 s to at most n bytes without cutting a
// rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now). It returns 0 for an empty, malformed or past value and
// caps the result at retryAfterCap.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || secs > uint64(retryAfterCap/time.Second) {
			return retryAfterCap
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), retryAfterCap)
}
