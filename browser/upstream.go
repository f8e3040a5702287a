package browser

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	xproxy "golang.org/x/net/proxy"
)

// dialTunnel connects to hostport for a CONNECT tunnel: directly through the
// guarded dialer, or, when the egress options name an outbound proxy for it
// (TRAWL_PROXY_URLS), through that proxy. The proxy choice goes through the
// guarded transport's Proxy, which refuses proxied targets the guard can
// judge without resolving them (private IP literals, localhost names); the
// connection to the proxy itself is guarded like any other. The returned
// reader holds bytes already read from the connection.
func (p *proxy) dialTunnel(ctx context.Context, hostport string) (net.Conn, *bufio.Reader, error) {
	if p.tr.Proxy == nil {
		c, err := p.dial(ctx, "tcp", hostport)
		if err != nil {
			return nil, nil, err
		}
		return c, bufio.NewReader(c), nil
	}
	req := (&http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: hostport}, Host: hostport, Header: http.Header{}}).WithContext(ctx)
	u, err := p.tr.Proxy(req)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		c, err := p.dial(ctx, "tcp", hostport)
		if err != nil {
			return nil, nil, err
		}
		return c, bufio.NewReader(c), nil
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		d, err := xproxy.FromURL(u, guardedDialer{ctx: ctx, dial: p.dial})
		if err != nil {
			return nil, nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
		}
		c, err := d.(xproxy.ContextDialer).DialContext(ctx, "tcp", hostport)
		if err != nil {
			return nil, nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
		}
		return c, bufio.NewReader(c), nil
	case "http", "https":
		return p.connectVia(ctx, u, hostport)
	}
	return nil, nil, fmt.Errorf("proxy %s: unsupported scheme", u.Redacted())
}

// connectVia opens a tunnel to hostport through the HTTP(S) proxy u.
func (p *proxy) connectVia(ctx context.Context, u *url.URL, hostport string) (net.Conn, *bufio.Reader, error) {
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	c, err := p.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
	}
	if u.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
		}
		c = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: hostport}, Host: hostport, Header: http.Header{}}
	if u.User != nil {
		pw, _ := u.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	br := bufio.NewReader(c)
	err = req.Write(c)
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(br, req)
	}
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("CONNECT %s: %s", hostport, resp.Status)
		}
	}
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, br, nil
}

// guardedDialer adapts the guarded dial function to x/net/proxy.
type guardedDialer struct {
	ctx  context.Context
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (d guardedDialer) Dial(network, addr string) (net.Conn, error) {
	return d.dial(d.ctx, network, addr)
}

func (d guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.dial(ctx, network, addr)
}
