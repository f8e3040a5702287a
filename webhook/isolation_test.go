package webhook

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBreaker(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	b := newBreakers(c.now)
	const key = "10.0.0.9:443"
	for i := range breakerTrips {
		if ok, _ := b.allow(key); !ok {
			t.Fatalf("attempt %d refused before the breaker tripped", i+1)
		}
		b.report(key, false)
	}
	ok, wait := b.allow(key)
	if ok || wait != breakerBase {
		t.Fatalf("after %d failures: allow %v, wait %v; want refused for %v", breakerTrips, ok, wait, breakerBase)
	}
	if ok, _ := b.allow("10.0.0.10:443"); !ok {
		t.Error("another receiver is refused")
	}
	c.t = c.t.Add(breakerBase)
	if ok, _ := b.allow(key); !ok {
		t.Fatal("no probe after the open period")
	}
	if ok, wait := b.allow(key); ok || wait != time.Second {
		t.Errorf("a second attempt during the probe: %v, %v", ok, wait)
	}
	b.report(key, false) // the probe failed: open twice as long
	if ok, wait := b.allow(key); ok || wait != 2*breakerBase {
		t.Errorf("after a failed probe: %v, %v; want refused for %v", ok, wait, 2*breakerBase)
	}
	c.t = c.t.Add(2 * breakerBase)
	if ok, _ := b.allow(key); !ok {
		t.Fatal("no second probe")
	}
	b.report(key, true) // the receiver answers again: closed
	for range 2 * breakerTrips {
		if ok, _ := b.allow(key); !ok {
			t.Fatal("refused after the receiver answered")
		}
	}
	// A lost probe (no report) does not keep the breaker shut for ever.
	for range breakerTrips {
		b.report(key, false)
	}
	c.t = c.t.Add(breakerBase)
	if ok, _ := b.allow(key); !ok {
		t.Fatal("no probe")
	}
	c.t = c.t.Add(probeLost)
	if ok, _ := b.allow(key); !ok {
		t.Error("a lost probe blocks the receiver for good")
	}
	// The open period stops growing at breakerMax.
	for range 20 {
		c.t = c.t.Add(time.Hour)
		b.allow(key)
		b.report(key, false)
	}
	if _, wait := b.allow(key); wait != breakerMax {
		t.Errorf("open period %v, want at most %v", wait, breakerMax)
	}
}

func TestReached(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		res  Result
		want bool
	}{
		{Result{StatusCode: 200}, true},
		{Result{StatusCode: 500, ErrorClass: ClassHTTPStatus}, true},
		{Result{ErrorClass: ClassTimeout}, false},
		{Result{ErrorClass: ClassConnection}, false},
		{Result{ErrorClass: ClassDNS}, true},
		{Result{ErrorClass: ClassBlocked}, true},
	} {
		if got := reached(tt.res); got != tt.want {
			t.Errorf("reached(%+v) = %v, want %v", tt.res, got, tt.want)
		}
	}
}

// fakeResolver answers from a map and counts lookups.
type fakeResolver struct {
	answers map[string]string
	lookups int
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.lookups++
	a, ok := f.answers[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	r := &fakeResolver{answers: map[string]string{"a.example": "203.0.113.7", "b.example": "203.0.113.7", "v6.example": "::ffff:203.0.113.8"}}
	e := newEndpoints(r, c.now)
	ctx := t.Context()
	for _, tt := range []struct {
		url  string
		want endpoint
	}{
		{"https://A.example/hook", endpoint{name: "a.example:443", addr: "203.0.113.7:443"}},
		{"http://b.example:8080/x", endpoint{name: "b.example:8080", addr: "203.0.113.7:8080"}},
		{"http://v6.example/", endpoint{name: "v6.example:80", addr: "203.0.113.8:80"}},
		{"http://203.0.113.9:9000/", endpoint{name: "203.0.113.9:9000", addr: "203.0.113.9:9000"}},
		{"http://[2001:db8::1]/", endpoint{name: "[2001:db8::1]:80", addr: "[2001:db8::1]:80"}},
		{"http://nowhere.example/", endpoint{name: "nowhere.example:80"}},
	} {
		if got := e.of(ctx, tt.url); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.url, got, tt.want)
		}
	}
	// Two names of one server share its address key.
	a, b := e.of(ctx, "https://a.example/"), e.of(ctx, "https://b.example/")
	if a.breakerKey() != b.breakerKey() || len(a.keys()) != 2 {
		t.Errorf("a %+v and b %+v: want one address key", a, b)
	}
	n := r.lookups
	e.of(ctx, "https://a.example/other")
	if r.lookups != n {
		t.Error("a fresh answer was looked up again")
	}
	c.t = c.t.Add(dnsTTL + time.Second)
	e.of(ctx, "https://a.example/other")
	if r.lookups != n+1 {
		t.Error("an expired answer was not looked up again")
	}
}
