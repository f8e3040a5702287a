package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sse is a client of GET /events that collects its messages.
type sse struct {
	t        *testing.T
	messages chan sseEvent
	cancel   context.CancelFunc
}

type sseEvent struct {
	ID, Kind, Data string
}

// follow opens the stream with the API key (and lastID, when set).
func (in *instance) follow(query, lastID string) *sse {
	in.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.base+"/events"+query, nil)
	req.Header.Set("x-api-key", in.key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		in.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		in.t.Fatalf("GET /events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{t: in.t, messages: make(chan sseEvent, 1000), cancel: cancel}
	in.t.Cleanup(cancel)
	go func() {
		defer resp.Body.Close()
		defer close(s.messages)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		var m sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && m.Kind != "":
				s.messages <- m
				m = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.Data = line[6:]
			}
		}
	}()
	return s
}

// until reads messages until done says so, failing after a minute.
func (s *sse) until(what string, done func(sseEvent) bool) {
	s.t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case m, ok := <-s.messages:
			if !ok {
				s.t.Fatalf("the stream ended while waiting for %s", what)
			}
			if done(m) {
				return
			}
		case <-deadline:
			s.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestEventStream follows GET /events while a job with a webhook runs, on
// both databases: job messages carry the record as GET /scrapers/jobs/{id}
// does, webhook messages the webhook-id and exact body the receiver got,
// delivery messages the attempts; a stream resumed with Last-Event-ID
// repeats nothing and misses nothing.
func TestEventStream(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		site := newSite(t, 3, false)
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		in := start(t, testEnv(db))
		s := in.follow("", "")

		var job jobRecord
		body := fmt.Sprintf(`{"urls":[%q],"maxDepth":1,"webhook":{"url":%q}}`, site.URL+"/", hook.URL)
		if code := in.do("POST", "/scrapers/crawler/jobs", body, &job); code != 200 {
			t.Fatalf("create: %d", code)
		}
		hooks := map[string]struct{ typ, body string }{}
		var last string
		var statuses []string
		deliveries := 0
		s.until("the job to finish and its finished event", func(m sseEvent) bool {
			last = m.ID
			switch m.Kind {
			case "job":
				var rec jobRecord
				if err := json.Unmarshal([]byte(m.Data), &rec); err != nil || rec.ID != job.ID {
					t.Fatalf("job message %s: %v", m.Data, err)
				}
				if len(statuses) == 0 || statuses[len(statuses)-1] != rec.Status {
					statuses = append(statuses, rec.Status)
				}
			case "webhook":
				var w struct {
					ID, Type, Body string
					JobID          int64
					Seq            int64
				}
				if err := json.Unmarshal([]byte(m.Data), &w); err != nil || w.JobID != job.ID || w.Seq == 0 {
					t.Fatalf("webhook message %s: %v", m.Data, err)
				}
				hooks[w.ID] = struct{ typ, body string }{w.Type, w.Body}
			case "delivery":
				deliveries++
			}
			_, finished := findType(hooks, "scraper.job.finished")
			return finished && deliveries > 0 && len(statuses) > 0 && statuses[len(statuses)-1] == "finished"
		})
		// A job message is the job as it is when the stream reads it: a
		// short job may go from created to finished between two reads.
		t.Logf("statuses seen live: %v", statuses)

		// Every delivery the receiver got is in the stream, byte for byte.
		waitFor(t, 30*time.Second, "every event delivered", func() bool { return len(rc.all()) >= len(hooks) })
		for _, d := range rc.all() {
			id := d.Header.Get("webhook-id")
			h, ok := hooks[id]
			if !ok {
				t.Errorf("delivery %s (%s) is not in the stream", id, d.Body["event"])
				continue
			}
			if h.typ != "scraper.job.finished" && h.body != string(d.Raw) {
				t.Errorf("delivery %s: stream body\n%s\nreceived\n%s", id, h.body, d.Raw)
			}
			if h.typ == "scraper.job.finished" {
				var a, b map[string]any
				_ = json.Unmarshal([]byte(h.body), &a)
				_ = json.Unmarshal(d.Raw, &b)
				delete(a, "data") // the links are signed afresh for each attempt
				delete(b, "data")
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Errorf("finished event: stream %s, received %s", h.body, d.Raw)
				}
			}
		}

		// Resuming from the last message: nothing again, then the next job.
		s.cancel()
		resumed := in.follow("?kinds=job", last)
		var second jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":0}`, site.URL+"/"), &second)
		resumed.until("the second job", func(m sseEvent) bool {
			var rec jobRecord
			_ = json.Unmarshal([]byte(m.Data), &rec)
			if m.Kind != "job" || rec.ID != second.ID {
				t.Fatalf("after resuming: %s %s, want only the second job's changes", m.Kind, m.Data)
			}
			return true
		})
	})
}

func findType(hooks map[string]struct{ typ, body string }, typ string) (string, bool) {
	for id, h := range hooks {
		if h.typ == typ {
			return id, true
		}
	}
	return "", false
}
