package browser

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/egress"
)

// blockedHeader marks a response the proxy made up because the egress guard
// refused the destination.
const blockedHeader = "X-Trawl-Egress"

// blockedMemory is how long the proxy remembers a refused host:port, so that
// a page whose document was refused can say why.
const blockedMemory = time.Minute

// proxy is the HTTP proxy Chromium is pointed at: the browser's only way
// out. It serves CONNECT tunnels (HTTPS, WebSocket) dialled by the guarded
// dialer and plain HTTP requests sent by a guarded transport; both resolve
// names themselves, so the address checked is the address connected to. It
// listens on 127.0.0.1 only.
type proxy struct {
	ln   net.Listener
	srv  *http.Server
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	rp   *httputil.ReverseProxy
	tr   *http.Transport
	log  *slog.Logger

	mu      sync.Mutex
	pages   map[string]context.Context // by token: the page each request is for
	tunnels map[net.Conn]struct{}
	blocked map[string]time.Time // host:port refused by the guard, when
	closed  bool
	wg      sync.WaitGroup
}

// startProxy listens on 127.0.0.1 and serves until close.
func startProxy(o egress.Options, log *slog.Logger) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("browser proxy: %w", err)
	}
	o.FollowRedirects = false // the browser follows redirects itself, each one through here
	p := &proxy{
		ln:      ln,
		dial:    egress.NewDialContext(o),
		tr:      egress.NewTransport(o),
		log:     log,
		pages:   make(map[string]context.Context),
		tunnels: make(map[net.Conn]struct{}),
		blocked: make(map[string]time.Time),
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite:      func(*httputil.ProxyRequest) {}, // Out already holds the absolute URL, hop-by-hop headers removed
		Transport:    p.tr,
		ErrorHandler: p.fail,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	p.wg.Go(func() { _ = p.srv.Serve(ln) })
	return p, nil
}

// addr is the proxy's address for Chromium's --proxy-server.
func (p *proxy) addr() string { return p.ln.Addr().String() }

// close stops the proxy and cuts every open tunnel.
func (p *proxy) close() {
	_ = p.srv.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.tunnels {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.tr.CloseIdleConnections()
}

// register makes a token for a page, good until unregister. Requests that
// carry it (as the proxy user name) are served with ctx's values, such as
// the proxy label of the page's request (proxyType, proxyCountry); requests
// without a known token are refused, so no other local process can use the
// proxy.
func (p *proxy) register(ctx context.Context) (token string, unregister func()) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token = hex.EncodeToString(b)
	p.mu.Lock()
	p.pages[token] = ctx
	p.mu.Unlock()
	return token, func() {
		p.mu.Lock()
		delete(p.pages, token)
		p.mu.Unlock()
	}
}

// pageOf returns the context of the page r is for, from its
// Proxy-Authorization.
func (p *proxy) pageOf(r *http.Request) (context.Context, bool) {
	auth, ok := strings.CutPrefix(r.Header.Get("Proxy-Authorization"), "Basic ")
	if !ok {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		return nil, false
	}
	user, _, _ := strings.Cut(string(raw), ":")
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, ok := p.pages[user]
	return ctx, ok
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	page, ok := p.pageOf(r)
	if !ok {
		w.Header().Set("Proxy-Authenticate", `Basic realm="trawl"`)
		http.Error(w, "trawl browser proxy: unknown page", http.StatusProxyAuthRequired)
		return
	}
	r = r.WithContext(pageValues{Context: r.Context(), page: page})
	switch {
	case r.Method == http.MethodConnect:
		p.tunnel(w, r)
	case r.URL.IsAbs() && r.URL.Scheme == "http":
		p.rp.ServeHTTP(w, r)
	default:
		http.Error(w, "trawl browser proxy: only proxy requests are served", http.StatusBadRequest)
	}
}

// fail answers a plain HTTP request that could not be sent.
func (p *proxy) fail(w http.ResponseWriter, r *http.Request, err error) {
	if egress.IsBlocked(err) {
		p.noteBlocked(r.URL.Host)
		w.Header().Set(blockedHeader, "blocked")
		http.Error(w, "trawl: destination refused by the egress guard", http.StatusForbidden)
		return
	}
	if !errors.Is(err, context.Canceled) {
		p.log.Debug("browser proxy", "url", r.URL.Redacted(), "err", err)
	}
	w.WriteHeader(http.StatusBadGateway)
}

// tunnel serves CONNECT: dial the target through the guard, then copy bytes
// both ways until either side closes.
func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, upr, err := p.dialTunnel(r.Context(), r.Host)
	if err != nil {
		if egress.IsBlocked(err) {
			p.noteBlocked(r.Host)
			w.Header().Set(blockedHeader, "blocked")
			http.Error(w, "trawl: destination refused by the egress guard", http.StatusForbidden)
			return
		}
		p.log.Debug("browser proxy: tunnel", "host", r.Host, "err", err)
		http.Error(w, "trawl: cannot connect", http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "trawl: cannot tunnel", http.StatusInternalServerError)
		return
	}
	down, rw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if !p.track(down, up) {
		down.Close()
		up.Close()
		return
	}
	defer p.untrack(down, up)
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection Established\r\n\r\n"); err != nil {
		return
	}
	if n := rw.Reader.Buffered(); n > 0 {
		buf, _ := rw.Reader.Peek(n)
		if _, err := up.Write(buf); err != nil {
			return
		}
	}
	done := make(chan struct{}, 2)
	pipe := func(dst net.Conn, src io.Reader) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, down)
	go pipe(down, upr)
	<-done
	<-done
}

// track registers a tunnel's two ends so close can cut them; false once the
// proxy is closed.
func (p *proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	p.wg.Add(1)
	return true
}

func (p *proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	for _, c := range conns {
		_ = c.Close()
		delete(p.tunnels, c)
	}
	p.mu.Unlock()
	p.wg.Done()
}

func (p *proxy) noteBlocked(hostport string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, t := range p.blocked {
		if now.Sub(t) > blockedMemory {
			delete(p.blocked, k)
		}
	}
	p.blocked[hostport] = now
}

// wasBlocked reports whether the guard refused hostport in the last minute.
func (p *proxy) wasBlocked(hostport string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.blocked[hostport]
	return ok && time.Since(t) <= blockedMemory
}

// pageValues is a request's context that also carries its page's values.
type pageValues struct {
	context.Context
	page context.Context
}

func (c pageValues) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.page.Value(key)
}
