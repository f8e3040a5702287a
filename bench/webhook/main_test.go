package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunSmall runs every phase once on a few events, so the harness keeps
// working as the delivery path changes. It checks that everything arrived
// and was reported, never how fast: that is the benchmark's job.
func TestRunSmall(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	args := []string{"-runs", "1", "-events", "40", "-batch", "10", "-rate", "40", "-duration", "1s", "-max-wait", "1m"}
	if err := run(t.Context(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"throughput: ", "(40/40 received", "latency: 40/40 received", "ceiling: ", "40 in ", "0 failed",
		"| deliveries/s, first commit → last 2xx |", "| commit → 2xx p99 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NOT all recorded") {
		t.Errorf("some events were not recorded:\n%s", out)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-events", "0"},
		{"-phases", "throughput,nope"},
		{"-duration", "0s"},
		{"-fetch-poll-interval", "-1s"},
	} {
		if _, err := parse(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parse(%q) accepted", args)
		}
	}
}
