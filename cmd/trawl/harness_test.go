package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/store/postgres/pgtest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is a trawl started in-process by run.
type instance struct {
	t      *testing.T
	base   string
	key    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

var listenRE = regexp.MustCompile(`trawl is listening.*? addr=(\S+)`)

// start runs `trawl serve` on port 0 with env and waits until /healthz answers.
func start(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Timeout: 10 * time.Second}, key: env["TRAWL_API_KEY"]}
	getenv := func(k string) string {
		if k == "TRAWL_NO_BROWSER" && env[k] == "" && env["TRAWL_CHROMIUM"] == "" {
			return "true" // tests render only when they name a Chromium
		}
		return env[k]
	}
	go func() {
		in.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), getenv, in.stdout, in.stderr)
	}()
	t.Cleanup(func() { in.stop() })
	deadline := time.Now().Add(90 * time.Second) // generous: CI runs many instances at once under -race
	for {
		if m := listenRE.FindStringSubmatch(in.stderr.String()); m != nil {
			in.base = "http://" + m[1]
			break
		}
		select {
		case err := <-in.done:
			t.Fatalf("trawl exited before listening: %v\n%s", err, in.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("trawl did not start listening:\n%s", in.stderr.String())
		}
	}
	waitFor(t, 30*time.Second, "healthz", func() bool {
		resp, err := in.client.Get(in.base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return in
}

// stop drains the instance and checks that run returned cleanly.
func (in *instance) stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("run returned %v", err)
		}
	case <-time.After(60 * time.Second):
		in.t.Errorf("run did not return after cancel")
	}
	in.client.CloseIdleConnections()
}

// do sends a request with the API key and decodes a JSON answer into out.
func (in *instance) do(method, path string, body any, out any) int {
	in.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			in.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, in.base+path, r)
	if err != nil {
		in.t.Fatal(err)
	}
	if in.key != "" {
		req.Header.Set("x-api-key", in.key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := in.client.Do(req)
	if err != nil {
		in.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		in.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			in.t.Fatalf("%s %s: status %d, body %q is not the JSON expected: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a synchronisation guess
	}
}

// jobRecord is the job record as a client reads it.
type jobRecord struct {
	ID            int64                 `json:"id"`
	JobID         int64                 `json:"jobId"`
	Status        string                `json:"status"`
	StopReason    *string               `json:"stopReason"`
	Scraper       struct{ Slug string } `json:"scraper"`
	Input         json.RawMessage       `json:"input"`
	CreditsSpent  int64                 `json:"creditsSpent"`
	DataRowsCount int64                 `json:"dataRowsCount"`
	CreatedAt     string                `json:"createdAt"`
	UpdatedAt     string                `json:"updatedAt"`
	StartedAt     *string               `json:"startedAt"`
	FinishedAt    *string               `json:"finishedAt"`
}

// waitTerminal polls a job until its status is terminal.
func (in *instance) waitTerminal(id int64, d time.Duration) jobRecord {
	in.t.Helper()
	var rec jobRecord
	waitFor(in.t, d, fmt.Sprintf("job %d to end", id), func() bool {
		rec = jobRecord{}
		in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", id), nil, &rec)
		return rec.Status == "finished" || rec.Status == "stopped" || rec.Status == "failed"
	})
	return rec
}

// receiver records webhook deliveries.
type receiver struct {
	mu       sync.Mutex
	requests []delivery
	status   func(n int) int // status for the n-th request (from 1); nil = 200
	// delay, when set, is how long to take over answering a request, chosen
	// by its event; requests are recorded as they arrive.
	delay func(event string) time.Duration
}

type delivery struct {
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, delivery{Header: r.Header.Clone(), Body: body, Raw: raw})
	n := len(rc.requests)
	status, delay := rc.status, rc.delay
	rc.mu.Unlock()
	if delay != nil {
		ev, _ := body["event"].(string)
		select {
		case <-time.After(delay(ev)):
		case <-r.Context().Done():
		}
	}
	code := 200
	if status != nil {
		code = status(n)
	}
	w.WriteHeader(code)
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.requests...)
}

// forJob returns the deliveries about one job, by event name.
func (rc *receiver) forJob(id int64) map[string][]delivery {
	out := map[string][]delivery{}
	for _, d := range rc.all() {
		if jid, ok := d.Body["jobId"].(float64); ok && int64(jid) == id {
			ev, _ := d.Body["event"].(string)
			out[ev] = append(out[ev], d)
		}
	}
	return out
}

// backends runs fn once on SQLite and, when TRAWL_TEST_DATABASE_URL is set,
// once more on a fresh PostgreSQL database, passing the settings that choose
// the database.
func backends(t *testing.T, fn func(t *testing.T, db map[string]string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, map[string]string{"TRAWL_DATA_DIR": t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_DATABASE_URL": pgtest.URL(t)})
	})
}
