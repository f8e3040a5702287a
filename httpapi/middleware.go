package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	pathpkg "path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// requestInfo is what the request log line needs from deeper layers.
type requestInfo struct {
	id        string
	accountID int64 // set by authenticate; 0 when none
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestKey).(*requestInfo)
	return info
}

// requestID returns the request's X-Request-Id, or "" outside a request.
func requestID(ctx context.Context) string {
	if info := requestInfoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// instrument gives each request an id (the client's X-Request-Id when it is
// sane, a new UUID otherwise) echoed in the response, turns a panic into a
// 500 in the error shape, and logs one Info line per request: method, path
// (without the query), status, duration, request id and account. Headers,
// and so API keys, are never logged, nor the tokens of download links. The
// Observer, when set, gets the route, method, status and duration.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = trawl.NewUUID()
		}
		info := &requestInfo{id: id}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		// Someone waits on every request: its writes go before the
		// background's (store.Foreground).
		r = r.WithContext(context.WithValue(store.Foreground(r.Context()), requestKey, info))

		defer func() {
			p := recover()
			abort := false
			if p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic serving request", "request_id", id,
					"method", r.Method, "path", logPath(r.URL.Path), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.wrote {
					// Part of a response is out: have the server cut the
					// connection rather than let it pass as complete.
					sw.status, abort = http.StatusInternalServerError, true
				} else {
					writeError(sw, &errorBody{status: http.StatusInternalServerError, Message: internalMessage})
				}
			}
			elapsed := time.Since(start)
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", logPath(r.URL.Path)),
				slog.Int("status", sw.code()),
				slog.Duration("duration", elapsed),
				slog.String("request_id", id),
			}
			if info.accountID != 0 {
				attrs = append(attrs, slog.Int64("account_id", info.accountID))
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if s.observer != nil {
				s.observer.HTTPRequest(observedRoute(r), observedMethod(r.Method), sw.code(), elapsed)
			}
			if abort {
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// validRequestID accepts a client's request id when it is short and made of
// visible ASCII, so it is safe to echo and to log.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// statusWriter notes the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (huma sets body
// read deadlines through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

// route serves a request through the mux, answering for the mux when no
// route matches: 404 for an unknown path, 405 with an Allow header for a
// known path and the wrong method, both as JSON in the error shape.
func (s *server) route(w http.ResponseWriter, r *http.Request) {
	if !cleanPath(r.URL.Path) {
		// The mux would redirect a path with "..", "//" or "." to its clean
		// form before any authentication; trawl's paths have no such forms,
		// so they name no endpoint.
		writeError(w, &errorBody{status: http.StatusNotFound,
			Message: fmt.Sprintf("No such endpoint: %s %s.", r.Method, r.URL.Path)})
		return
	}
	if h, pattern := s.mux.Handler(r); pattern == "" {
		// No route: ask the mux's own handler which answer it would give
		// (404, 405 or a redirect to the clean path) without sending it.
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusNotFound:
			writeError(w, &errorBody{status: http.StatusNotFound,
				Message: fmt.Sprintf("No such endpoint: %s %s.", r.Method, r.URL.Path)})
			return
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			writeError(w, &errorBody{status: http.StatusNotFound,
				Message: fmt.Sprintf("No such endpoint: %s %s.", r.Method, r.URL.Path)})
			return
		case http.StatusMethodNotAllowed:
			allow := probe.header.Get("Allow")
			w.Header().Set("Allow", allow)
			writeError(w, &errorBody{status: http.StatusMethodNotAllowed,
				Message: fmt.Sprintf("Method %s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, allow)})
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// probeWriter records a handler's status and headers and drops its body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

// cleanPath reports whether p is already in the form the mux would redirect
// it to: no empty, "." or ".." segments.
func cleanPath(p string) bool {
	if p == "" || p == "/" {
		return true
	}
	clean := pathpkg.Clean(p)
	if strings.HasSuffix(p, "/") {
		clean += "/"
	}
	return clean == p
}
