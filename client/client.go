package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultURL is the server a client talks to when none is configured: a
// `trawl serve` started with its defaults on the same machine.
const DefaultURL = "http://127.0.0.1:8080"

// Config configures a Client. Its zero value talks to DefaultURL with no
// API key.
type Config struct {
	// BaseURL is the server's root, e.g. https://trawl.example.com; a path
	// (for a server behind a prefix) is kept. Empty means DefaultURL.
	BaseURL string
	// Key is the API key, sent as x-api-key on every call.
	Key string
	// HTTP sends the requests. Nil means a client of its own with connect
	// and header timeouts but no overall timeout, so that the event stream
	// and large exports are not cut; each call is bounded by its context.
	HTTP *http.Client
	// UserAgent is sent on every request; empty means "trawl-client".
	UserAgent string
}

// Client calls one trawl server with one API key.
type Client struct {
	base *url.URL
	key  string
	http *http.Client
	ua   string
}

// New checks cfg and returns its Client. The base URL must be absolute
// http or https.
func New(cfg Config) (*Client, error) {
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("server url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server url %q: must be an absolute http or https URL", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, key: cfg.Key, http: cfg.HTTP, ua: cfg.UserAgent}
	if c.http == nil {
		c.http = newHTTPClient()
	}
	if c.ua == "" {
		c.ua = "trawl-client"
	}
	return c, nil
}

// newHTTPClient is the client used when Config.HTTP is nil.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// BaseURL is the server's root URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// URL is the absolute URL of path (which starts with "/") on the server.
func (c *Client) URL(path string) string { return c.base.String() + path }

// Error is an error answer of the server.
type Error struct {
	Status  int          // the HTTP status
	Message string       // the server's message, safe to show
	Fields  []FieldError // one entry per invalid field (422)
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var extra []string
	for _, f := range e.Fields {
		if text := f.Field + ": " + f.Message; !strings.Contains(e.Message, text) {
			extra = append(extra, text)
		}
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(extra, "; "))
	}
	return b.String()
}

// StatusOf is the HTTP status of err if the server answered it, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// request builds a request to path with the key and the user agent.
func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path), body)
	if err != nil {
		return nil, err
	}
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
	}
	req.Header.Set("User-Agent", c.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// send sends req and returns the response if its status is 2xx; otherwise
// it reads and closes the body and returns an *Error.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// decodeError reads trawl's error shape from resp; a body of another shape
// (a proxy's HTML page) becomes a short message.
func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &Error{Status: resp.StatusCode}
	var body struct {
		Message string       `json:"message"`
		Errors  []FieldError `json:"errors"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Message != "" {
		e.Message, e.Fields = body.Message, body.Errors
		return e
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	e.Message = text
	return e
}

// call sends a JSON request and decodes a JSON answer into out (nil: the
// answer is discarded).
func (c *Client) call(ctx context.Context, method, path string, in any, out any) error {
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case json.RawMessage:
		body = bytes.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}
