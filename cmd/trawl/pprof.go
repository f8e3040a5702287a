package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofFlags turn on Go's profiler endpoints on a listener of their own.
type pprofFlags struct {
	PprofAddr        string `name:"pprof-addr" env:"TRAWL_PPROF_ADDR" help:"Serve Go's profiler (/debug/pprof/) on this address, apart from the API. Unset: off. Loopback only unless --pprof-allow-remote."`
	PprofAllowRemote bool   `name:"pprof-allow-remote" env:"TRAWL_PPROF_ALLOW_REMOTE" help:"Let --pprof-addr listen on an address other than loopback. The profiler needs no key and shows the process's memory and command line."`
}

// checkAddr refuses a pprof address that is not host:port, and one that
// is not loopback unless remote listening is allowed. An empty host (":6060")
// listens on every interface, so it is not loopback.
func (f pprofFlags) checkAddr() error {
	host, _, err := net.SplitHostPort(f.PprofAddr)
	if err != nil {
		return fmt.Errorf("--pprof-addr (TRAWL_PPROF_ADDR) %q: want host:port, for example 127.0.0.1:6060: %w", f.PprofAddr, err)
	}
	if f.PprofAllowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--pprof-addr (TRAWL_PPROF_ADDR) %q is not a loopback address: the profiler needs no key and shows the process's memory; "+
		"use 127.0.0.1:<port> or [::1]:<port>, or set --pprof-allow-remote (TRAWL_PPROF_ALLOW_REMOTE=true) to listen there anyway", f.PprofAddr)
}

// startPprof serves the profiler on its own listener when --pprof-addr is
// set, never on the API's. The returned stop closes it; it is a no-op when
// the profiler is off.
func (f pprofFlags) startPprof(log *slog.Logger) (stop func(), err error) {
	if f.PprofAddr == "" {
		return func() {}, nil
	}
	if err := f.checkAddr(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.PprofAddr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr (TRAWL_PPROF_ADDR): listen on %s: %w", f.PprofAddr, err)
	}
	// A mux of its own: net/http/pprof also registers on
	// http.DefaultServeMux, which trawl never serves.
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server failed", "err", err)
		}
	}()
	log.Info("pprof is listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close() // a CPU profile or trace in progress is cut short
		}
		<-done
	}, nil
}
