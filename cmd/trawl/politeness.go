package main

import (
	"fmt"

	"github.com/trawlhq/trawl/scrape"
)

// politenessFlags are the operator's limits on how hard trawl's scrapers may
// hit one host. The defaults are polite; an operator raises them for hosts
// it owns. A job's submitter can only go lower.
type politenessFlags struct {
	HostRPS         string   `name:"host-rps" env:"TRAWL_HOST_RPS" default:"10" help:"Requests per second to one host (host:port), across all nodes sharing the database."`
	HostConcurrency string   `name:"host-concurrency" env:"TRAWL_HOST_CONCURRENCY" default:"4" help:"Requests in flight to one host (host:port) on a node; an account has at most this many tasks of one host queued or running."`
	HostLimits      []string `name:"host-limits" env:"TRAWL_HOST_LIMITS" placeholder:"HOST=RPS/CONCURRENCY,…" help:"Per-host limits in place of --host-rps and --host-concurrency, comma-separated, e.g. docs.example.com=200/32. A leading *. covers every subdomain (*.example.com=50/8, not example.com itself); an exact host wins over a wildcard. For hosts the operator owns or may load."`
}

// hostLimits is what politenessFlags say, checked.
type hostLimits struct {
	rate        float64
	concurrency int
	perHost     []scrape.HostLimit
}

// parse checks the flags; an error names the setting and what it allows.
func (p politenessFlags) parse() (hostLimits, error) {
	var l hostLimits
	var err error
	if l.rate, err = scrape.ParseHostRate(p.HostRPS); err != nil {
		return l, fmt.Errorf("--host-rps (TRAWL_HOST_RPS): %w", err)
	}
	if l.concurrency, err = scrape.ParseHostConcurrency(p.HostConcurrency); err != nil {
		return l, fmt.Errorf("--host-concurrency (TRAWL_HOST_CONCURRENCY): %w", err)
	}
	if l.perHost, err = scrape.ParseHostLimits(p.HostLimits); err != nil {
		return l, fmt.Errorf("--host-limits (TRAWL_HOST_LIMITS): %w", err)
	}
	return l, nil
}

// mostInFlight is the most requests the limits let a node have in flight
// to one host: the scrapers' HTTP client keeps that many idle connections
// per host, so that a host the operator opened up is not dialled anew for
// most of its requests.
func (l hostLimits) mostInFlight() int {
	n := l.concurrency
	for _, h := range l.perHost {
		n = max(n, h.Concurrency)
	}
	return n
}

// options fills the limits into o. slots, when not nil, is the database the
// nodes share, which spaces each host's requests across them.
func (l hostLimits) options(o scrape.FetcherOptions, slots scrape.SlotSource) scrape.FetcherOptions {
	o.PerHostRate, o.PerHostConcurrency, o.HostLimits = l.rate, l.concurrency, l.perHost
	o.Slots = slots
	return o
}

// sharedSlots is the slot source of a database several nodes share
// (PostgreSQL), or nil on SQLite, where the one node's own limiter holds.
func sharedSlots(db database, databaseURL string) scrape.SlotSource {
	if databaseURL == "" {
		return nil
	}
	s, _ := db.(scrape.SlotSource)
	return s
}
