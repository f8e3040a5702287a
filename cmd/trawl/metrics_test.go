package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/jobs"
	"github.com/trawlhq/trawl/webhook"
)

// metricsText reads the instance's /metrics.
func (in *instance) metricsText() string {
	in.t.Helper()
	resp, err := in.client.Get(in.base + "/metrics")
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		in.t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(body)
}

// sample is the value of the series named exactly so (name and labels, as
// Prometheus writes them: labels sorted by name), and whether it is there.
func sample(text, series string) (float64, bool) {
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestMetricsShowTheLimits runs a crawl of a local site and a few API calls,
// then reads what an operator watches: request durations by route pattern,
// fetches by host class and outcome, the database writer's waits and every
// queue's depth.
func TestMetricsShowTheLimits(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		web := newSite(t, 0, false)
		t.Cleanup(web.Close)
		in := start(t, testEnv(db))
		var job jobRecord
		if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":1}`, web.URL), &job); code != 200 {
			t.Fatalf("create: %d", code)
		}
		in.waitTerminal(job.ID, 60*time.Second)
		in.do("GET", "/scrapers/jobs/987654321", nil, nil)
		in.do("GET", "/no/such/endpoint", nil, nil)

		text := in.metricsText()
		atLeast := func(series string, min float64) {
			t.Helper()
			v, ok := sample(text, series)
			if !ok || v < min {
				t.Errorf("%s = %v (present: %v), want at least %v", series, v, ok, min)
			}
		}
		atLeast(`trawl_http_request_duration_seconds_count{code="200",method="POST",route="/scrapers/{slug}/jobs"}`, 1)
		atLeast(`trawl_http_request_duration_seconds_count{code="200",method="GET",route="/scrapers/jobs/{id}"}`, 1)
		atLeast(`trawl_http_request_duration_seconds_count{code="404",method="GET",route="/scrapers/jobs/{id}"}`, 1)
		atLeast(`trawl_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"}`, 1)
		if regexp.MustCompile(`route="[^"]*\d`).MatchString(text) {
			t.Errorf("a route label holds a raw path:\n%s", grepLines(text, "trawl_http_request"))
		}
		// The index, /a, /b and the PDF load; /missing is a 404.
		atLeast(`trawl_fetches_total{class="loopback",outcome="ok"}`, 3)
		atLeast(`trawl_fetches_total{class="loopback",outcome="http_4xx"}`, 1)
		atLeast(`trawl_fetches_total{class="public",outcome="ok"}`, 0)

		atLeast(`trawl_db_writer_waits_total`, 0)
		atLeast(`trawl_db_writer_wait_seconds_total`, 0)
		atLeast(`trawl_db_writer_connections{state="idle"}`, 0)
		inUse, _ := sample(text, `trawl_db_writer_connections{state="in_use"}`)
		maxConns, _ := sample(text, `trawl_db_writer_connections_max`)
		if _, pg := db["TRAWL_DATABASE_URL"]; (!pg && maxConns != 1) || (pg && maxConns < 10) || inUse > maxConns {
			t.Errorf("writer connections: %v in use of at most %v", inUse, maxConns)
		}
		for _, q := range []string{jobs.QueueScrape, webhook.QueueWebhook, webhook.QueueWebhookRetry} {
			atLeast(`trawl_queue_jobs{queue="`+q+`",state="available"}`, 0)
		}
	})
}

func grepLines(text, substr string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

var pprofRE = regexp.MustCompile(`pprof is listening.*? addr=(\S+)`)

// TestPprof checks that the profiler is off by default, answers on its own
// listener when TRAWL_PPROF_ADDR is set, and never on the API's port.
func TestPprof(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("off by default", func(t *testing.T) {
		t.Parallel()
		in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
		if code := get(t, in.base+"/debug/pprof/"); code != http.StatusNotFound {
			t.Errorf("API port /debug/pprof/: %d, want 404", code)
		}
		if strings.Contains(in.stderr.String(), "pprof is listening") {
			t.Errorf("pprof listens without TRAWL_PPROF_ADDR")
		}
	})
	t.Run("on its own listener", func(t *testing.T) {
		t.Parallel()
		in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_PPROF_ADDR": "127.0.0.1:0"}))
		m := pprofRE.FindStringSubmatch(in.stderr.String())
		if m == nil {
			t.Fatalf("no pprof listener logged:\n%s", in.stderr.String())
		}
		resp, err := http.Get("http://" + m[1] + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
			t.Errorf("pprof index: %d %.200q", resp.StatusCode, body)
		}
		if code := get(t, "http://"+m[1]+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK {
			t.Errorf("goroutine profile: %d", code)
		}
		if code := get(t, in.base+"/debug/pprof/"); code != http.StatusNotFound {
			t.Errorf("API port /debug/pprof/: %d, want 404", code)
		}
	})
}

// TestPprofAddressRefused checks that a profiler address off loopback is
// refused, naming the setting and the way to allow it.
func TestPprofAddressRefused(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "10.1.2.3:6060", "example.org:6060", "[::]:6060", "6060"} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_PPROF_ADDR": addr}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "TRAWL_PPROF_ADDR") {
				t.Fatalf("got %v, want an error naming TRAWL_PPROF_ADDR", err)
			}
			if addr != "6060" && !strings.Contains(err.Error(), "TRAWL_PPROF_ALLOW_REMOTE") {
				t.Errorf("the error does not say how to allow it: %v", err)
			}
		})
	}
	allowed := pprofFlags{PprofAddr: "0.0.0.0:6060", PprofAllowRemote: true}
	for _, f := range []pprofFlags{allowed, {PprofAddr: "127.0.0.1:6060"}, {PprofAddr: "[::1]:6060"}, {PprofAddr: "localhost:6060"}} {
		if err := f.checkAddr(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}
