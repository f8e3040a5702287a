package web

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// sseMessage is one message of the stream.
type sseMessage struct {
	ID, Event, Data string
}

// sseClient reads a stream's messages.
type sseClient struct {
	t        *testing.T
	resp     *http.Response
	messages chan sseMessage
}

func (b *testBundle) stream(query string, header http.Header) *sseClient {
	b.t.Helper()
	req, _ := http.NewRequestWithContext(b.t.Context(), http.MethodGet, b.srv.URL+"/events"+query, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	c := &sseClient{t: b.t, resp: resp, messages: make(chan sseMessage, 100)}
	b.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return c
	}
	go func() {
		defer close(c.messages)
		sc := bufio.NewScanner(resp.Body)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.Event != "" {
					c.messages <- m
				}
				m = sseMessage{}
			case strings.HasPrefix(line, ":"):
				if strings.Contains(line, "heartbeat") {
					c.messages <- sseMessage{Event: "heartbeat"}
				}
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.Data = line[6:]
			}
		}
	}()
	return c
}

// next returns the next message, failing the test after a while.
func (c *sseClient) next() sseMessage {
	c.t.Helper()
	select {
	case m, ok := <-c.messages:
		if !ok {
			c.t.Fatal("the stream ended")
		}
		return m
	case <-time.After(20 * time.Second):
		c.t.Fatal("no message in 20s")
	}
	return sseMessage{}
}

func keyHeader(key string) http.Header { return http.Header{"X-Api-Key": {key}} }

func TestEventsAuthAndParameters(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for name, tc := range map[string]struct {
		query  string
		header http.Header
		status int
		field  string
	}{
		"no key":          {"", nil, http.StatusUnauthorized, ""},
		"unknown key":     {"", keyHeader("trawl_nope"), http.StatusUnauthorized, ""},
		"bearer unknown":  {"", http.Header{"Authorization": {"Bearer trawl_nope"}}, http.StatusUnauthorized, ""},
		"bad job id":      {"?jobId=x", keyHeader(b.keyA), http.StatusUnprocessableEntity, "jobId"},
		"unknown kind":    {"?kinds=job,rows", keyHeader(b.keyA), http.StatusUnprocessableEntity, "kinds"},
		"bad last id":     {"", http.Header{"X-Api-Key": {b.keyA}, "Last-Event-Id": {"42"}}, http.StatusUnprocessableEntity, "Last-Event-ID"},
		"bad last id arg": {"?lastEventId=1.2", keyHeader(b.keyA), http.StatusUnprocessableEntity, "Last-Event-ID"},
	} {
		c := b.stream(tc.query, tc.header)
		body, _ := io.ReadAll(c.resp.Body)
		var e apiError
		_ = json.Unmarshal(body, &e)
		if c.resp.StatusCode != tc.status || e.Message == "" {
			t.Errorf("%s: %d %s, want %d with a message", name, c.resp.StatusCode, body, tc.status)
		}
		if tc.field != "" && (len(e.Errors) == 0 || e.Errors[0].Field != tc.field) {
			t.Errorf("%s: errors %+v, want one naming %s", name, e.Errors, tc.field)
		}
	}
	// The bearer form and the console's session both work.
	if c := b.stream("", http.Header{"Authorization": {"Bearer " + b.keyA}}); c.resp.StatusCode != http.StatusOK ||
		c.resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("bearer: %d %q", c.resp.StatusCode, c.resp.Header.Get("Content-Type"))
	}
	br := b.browser()
	br.signIn(b.keyA)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.srv.URL+"/events", nil)
	ctxResp, err := br.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ctxResp.Body.Close()
	if ctxResp.StatusCode != http.StatusOK {
		t.Errorf("session cookie: %d", ctxResp.StatusCode)
	}
}

func TestEventsStream(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	old := b.job(b.a.ID, nil) // before the stream: not sent
	c := b.stream("", keyHeader(b.keyA))

	jobB := b.job(b.b.ID, nil)
	jobA := b.job(b.a.ID, nil)
	m := c.next()
	if m.Event != KindJob || !strings.Contains(m.Data, `"id":`+itoa(jobA.ID)) || m.ID == "" {
		t.Fatalf("first message: %+v, want job %d (not %d of before, nor %d of another account)", m, jobA.ID, old.ID, jobB.ID)
	}

	// A change of the job, a webhook event and an attempt.
	body := `{"event":"scraper.job.started","jobId":` + itoa(jobA.ID) + `,"note":"exact  spacing"}`
	err := b.db.InTx(t.Context(), func(tx store.Tx) error {
		j, err := tx.Job(jobA.ID)
		if err != nil {
			return err
		}
		j.Status = trawl.StatusInProgress
		if err := tx.UpdateJob(j); err != nil {
			return err
		}
		if err := tx.InsertEvents(&trawl.Event{ID: "msg_a1", AccountID: b.a.ID, JobID: jobA.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(body)}); err != nil {
			return err
		}
		if err := tx.InsertEvents(&trawl.Event{ID: "msg_b1", AccountID: b.b.ID, JobID: jobB.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{}`)}); err != nil {
			return err
		}
		return tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: "msg_a1", JobID: jobA.ID, Attempt: 1, StatusCode: 503, ErrorClass: "http_status"})
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]sseMessage{}
	var last string
	for range 3 {
		m := c.next()
		got[m.Event] = m
		last = m.ID // a poll may meet the commit between two kinds: the order varies
	}
	if !strings.Contains(got[KindJob].Data, `"status":"in_progress"`) {
		t.Errorf("job message: %+v", got[KindJob])
	}
	if !strings.Contains(got[KindDelivery].Data, `"deliveryId":"msg_a1"`) {
		t.Errorf("delivery message: %+v", got[KindDelivery])
	}
	var hook WebhookMessage
	if err := json.Unmarshal([]byte(got[KindWebhook].Data), &hook); err != nil {
		t.Fatal(err)
	}
	if hook.ID != "msg_a1" || hook.Type != trawl.EventJobStarted || hook.JobID != jobA.ID || hook.Body != body || hook.CreatedAt == "" {
		t.Errorf("webhook message: %+v, want msg_a1 with the exact body %s", hook, body)
	}

	// Resuming after the last message sends nothing again, then what is new.
	c2 := b.stream("", http.Header{"X-Api-Key": {b.keyA}, "Last-Event-Id": {last}})
	jobA2 := b.job(b.a.ID, nil)
	m = c2.next()
	if m.Event != KindJob || !strings.Contains(m.Data, `"id":`+itoa(jobA2.ID)) {
		t.Errorf("after resuming: %+v, want only the new job %d", m, jobA2.ID)
	}

	// Filters: one job, some kinds.
	c3 := b.stream("?jobId="+itoa(jobA2.ID)+"&kinds=webhook", keyHeader(b.keyA))
	err = b.db.InTx(t.Context(), func(tx store.Tx) error {
		for _, id := range []int64{jobA.ID, jobA2.ID} {
			j, _ := tx.Job(id)
			j.DataRowsCount = 7
			if err := tx.UpdateJob(j); err != nil {
				return err
			}
			if err := tx.InsertEvents(&trawl.Event{ID: "msg_f" + itoa(id), AccountID: b.a.ID, JobID: id, Type: trawl.EventJobFinished, Payload: json.RawMessage(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m = c3.next()
	if m.Event != KindWebhook || !strings.Contains(m.Data, `"id":"msg_f`+itoa(jobA2.ID)+`"`) {
		t.Errorf("filtered stream: %+v, want only the webhook event of job %d", m, jobA2.ID)
	}
	// A marker event of the same job comes next: nothing of job A came
	// between.
	err = b.db.InTx(t.Context(), func(tx store.Tx) error {
		return tx.InsertEvents(&trawl.Event{ID: "msg_marker", AccountID: b.a.ID, JobID: jobA2.ID, Type: trawl.EventDataScraped, Payload: json.RawMessage(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if m = c3.next(); !strings.Contains(m.Data, `"id":"msg_marker"`) {
		t.Errorf("filtered stream: %+v, want the marker event", m)
	}

	// Close ends every stream.
	b.console.Close()
	for _, s := range []*sseClient{c, c2, c3} {
		deadline := time.After(20 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-s.messages:
				if !ok {
					break drain
				}
			case <-deadline:
				t.Fatal("a stream outlived Close")
			}
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Heartbeat = 20 * time.Millisecond })
	c := b.stream("", keyHeader(b.keyA))
	if m := c.next(); m.Event != "heartbeat" {
		t.Errorf("idle stream sent %+v, want a heartbeat comment", m)
	}
}

func TestCursorText(t *testing.T) {
	t.Parallel()
	c := cursor{1, 22, 333}
	got, ok := parseCursor(c.String())
	if !ok || got != c {
		t.Errorf("round trip of %v: %v, %v", c, got, ok)
	}
	for _, bad := range []string{"", "1", "2.1.2.3", "1.a.2.3", "1.-1.2.3", "1.1.2.3.4"} {
		if _, ok := parseCursor(bad); ok {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEventsOutliveReadTimeout: a server's ReadTimeout does not end a
// stream.
func TestEventsOutliveReadTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Heartbeat = 50 * time.Millisecond })
	srv := httptest.NewUnstartedServer(b.console)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	orig := b.srv
	t.Cleanup(orig.Close)
	b.srv = srv
	c := b.stream("", keyHeader(b.keyA))
	start := time.Now()
	for time.Since(start) < time.Second {
		if m := c.next(); m.Event != "heartbeat" {
			t.Fatalf("got %+v, want heartbeats", m)
		}
	}
}
