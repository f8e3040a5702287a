package main

import "testing"

// TestMostInFlight: the scrapers' client keeps as many idle connections per
// host as the largest concurrency the operator allows any host.
func TestMostInFlight(t *testing.T) {
	for _, c := range []struct {
		flags politenessFlags
		want  int
	}{
		{politenessFlags{HostRPS: "10", HostConcurrency: "4"}, 4},
		{politenessFlags{HostRPS: "10", HostConcurrency: "8", HostLimits: []string{"docs.example.com=200/32", "*.shop.test=50/64", "slow.test=1/1"}}, 64},
	} {
		l, err := c.flags.parse()
		if err != nil {
			t.Fatal(err)
		}
		if got := l.mostInFlight(); got != c.want {
			t.Errorf("%+v: mostInFlight = %d, want %d", c.flags, got, c.want)
		}
	}
}
