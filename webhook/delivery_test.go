package webhook_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/webhook"
)

// bench is the real delivery path on a temporary SQLite database: the store,
// the engine, the webhook service and a guarded client.
type bench struct {
	t       *testing.T
	db      *sqlite.DB
	svc     *webhook.Service
	account *trawl.Account
}

type benchOptions struct {
	guarded  bool          // keep the egress guard on (no private targets)
	timeout  time.Duration // delivery timeout
	schedule string
}

func newBench(t *testing.T, o benchOptions) *bench {
	t.Helper()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := db.Migrate(t.Context(), log); err != nil {
		t.Fatal(err)
	}
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	if o.schedule == "" {
		o.schedule = "20ms,40ms,60ms"
	}
	schedule, err := webhook.ParseSchedule(o.schedule)
	if err != nil {
		t.Fatal(err)
	}
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: !o.guarded, Timeout: o.timeout})
	sender := &webhook.Sender{Client: client, UserAgent: "trawl/test", IsBlocked: egress.IsBlocked}
	// As trawl serve does by default: 32 delivery workers, half of them for
	// any one account, 8 per receiver.
	svc := webhook.New(webhook.Config{Store: db, Sender: sender, Schedule: schedule, Logger: log, AccountConcurrency: 16})
	eng, err := engine.New(engine.Config{
		DB:       db,
		Logger:   log,
		Handlers: []engine.Handler{svc},
		Queues:   map[string]int{webhook.QueueWebhook: 32, webhook.QueueWebhookRetry: 16},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eng.Stop(ctx); err != nil {
			t.Errorf("stop engine: %v", err)
		}
		client.CloseIdleConnections()
		_ = db.Close()
	})
	account, err := db.CreateAccount(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return &bench{t: t, db: db, svc: svc, account: account}
}

// send stores a job with hook and n data events, and enqueues their
// delivery, as the service does.
func (b *bench) send(hook *trawl.Webhook, n int) (*trawl.Job, []*trawl.Event) {
	b.t.Helper()
	return b.sendAs(b.account, hook, n)
}

// sendAs is send for a job of another account.
func (b *bench) sendAs(account *trawl.Account, hook *trawl.Webhook, n int) (*trawl.Job, []*trawl.Event) {
	b.t.Helper()
	job := &trawl.Job{AccountID: account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`), Webhook: hook}
	var events []*trawl.Event
	err := b.db.InTx(b.t.Context(), func(tx store.Tx) error {
		if err := tx.CreateJob(job); err != nil {
			return err
		}
		for range n {
			ev, err := webhook.NewEvent(job, trawl.EventDataScraped, []json.RawMessage{json.RawMessage(`{"n":1}`)}, time.Now())
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		return b.svc.Emit(tx, job, events)
	})
	if err != nil {
		b.t.Fatal(err)
	}
	return job, events
}

// settled waits until the event is no longer pending and returns it.
func (b *bench) settled(id string, within time.Duration) *trawl.Event {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		e, err := b.db.Event(b.t.Context(), id)
		if err != nil {
			b.t.Fatal(err)
		}
		if e.State != trawl.EventPending && e.State != trawl.EventWaiting {
			return e
		}
		if time.Now().After(deadline) {
			rows, _ := b.db.Write.Query(`SELECT id, queue, state, cast(args as text), scheduled_at, attempt, cast(errors as text) FROM river_job`)
			for rows != nil && rows.Next() {
				var id, attempt int64
				var q, st, args, sch string
				var errs sql.NullString
				_ = rows.Scan(&id, &q, &st, &args, &sch, &attempt, &errs)
				b.t.Logf("river job %d %s %s %s %s attempt=%d errors=%s", id, q, st, args, sch, attempt, errs.String)
			}
			b.t.Fatalf("event %s still pending after %v (attempts %d)", id, within, e.Attempts)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

func (b *bench) attempts(jobID int64) []*trawl.DeliveryAttempt {
	b.t.Helper()
	list, _, err := b.db.Attempts(b.t.Context(), jobID, 0, 1000)
	if err != nil {
		b.t.Fatal(err)
	}
	return list
}

// script is a receiver that answers each request by its number.
type script struct {
	mu       sync.Mutex
	requests []*recorded
	answer   func(n int, w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	at     time.Time
	path   string
	header http.Header
	body   []byte
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, &recorded{at: time.Now(), path: r.URL.Path, header: r.Header.Clone(), body: body})
	n := len(s.requests)
	s.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body)) // the answer may read it too
	s.answer(n, w, r)
}

func (s *script) got() []*recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*recorded(nil), s.requests...)
}

func serve(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) (*script, string) {
	s := &script{answer: answer}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func statuses(list []*trawl.DeliveryAttempt) []string {
	var out []string
	for _, a := range list {
		out = append(out, fmt.Sprintf("%d:%d/%s", a.Attempt, a.StatusCode, a.ErrorClass))
	}
	return out
}

func TestFaultMatrix(t *testing.T) {
	t.Parallel()

	t.Run("500 twice then 200", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		rcv, url := serve(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n <= 2 {
				http.Error(w, "try later", 500)
			}
		})
		job, events := b.send(&trawl.Webhook{URL: url + "/hook"}, 1)
		e := b.settled(events[0].ID, 10*time.Second)
		if e.State != trawl.EventDelivered || e.Attempts != 3 {
			t.Fatalf("event %+v, want delivered on attempt 3", e)
		}
		got := rcv.got()
		if len(got) != 3 {
			t.Fatalf("%d requests, want 3", len(got))
		}
		for _, r := range got {
			if r.header.Get("webhook-id") != events[0].ID {
				t.Errorf("webhook-id %q, want %q on every attempt", r.header.Get("webhook-id"), events[0].ID)
			}
		}
		if s := strings.Join(statuses(b.attempts(job.ID)), " "); s != "1:500/http_status 2:500/http_status 3:200/" {
			t.Errorf("attempts %s", s)
		}
		if a := b.attempts(job.ID)[0]; !strings.Contains(a.ResponseExcerpt, "try later") {
			t.Errorf("response excerpt %q", a.ResponseExcerpt)
		}
	})

	t.Run("always 500: maxAttempts, exhausted, redelivered", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		var fixed sync.Once
		fix := make(chan struct{})
		rcv, url := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			select {
			case <-fix:
			default:
				w.WriteHeader(500)
			}
		})
		job, events := b.send(&trawl.Webhook{URL: url, MaxAttempts: 4}, 1)
		e := b.settled(events[0].ID, 10*time.Second)
		if e.State != trawl.EventFailed || e.Attempts != 4 || len(rcv.got()) != 4 {
			t.Fatalf("event %+v after %d requests, want failed after exactly 4", e, len(rcv.got()))
		}
		fixed.Do(func() { close(fix) })
		redone, err := b.svc.RedeliverFailed(t.Context(), b.account.ID, job.ID)
		if err != nil || len(redone) != 1 {
			t.Fatalf("redeliver failed: %v, %v", redone, err)
		}
		e = b.settled(events[0].ID, 10*time.Second)
		if e.State != trawl.EventDelivered || e.Attempts != 5 {
			t.Fatalf("after redelivery: %+v, want delivered on attempt 5", e)
		}
		got := rcv.got()
		if len(got) != 5 || got[4].header.Get("webhook-id") != events[0].ID {
			t.Errorf("redelivery: %d requests, last webhook-id %q", len(got), got[len(got)-1].header.Get("webhook-id"))
		}
		if _, err := b.svc.Redeliver(t.Context(), b.account.ID+1, job.ID, events[0].ID); trawl.ErrorCode(err) != trawl.ENOTFOUND {
			t.Errorf("another account's redelivery: %v, want not found", err)
		}
	})

	t.Run("302 is a failure and is not followed", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		rcv, url := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/moved" {
				return
			}
			http.Redirect(w, r, "/moved", http.StatusFound)
		})
		job, events := b.send(&trawl.Webhook{URL: url + "/hook", MaxAttempts: 2}, 1)
		e := b.settled(events[0].ID, 10*time.Second)
		if e.State != trawl.EventFailed {
			t.Fatalf("event %+v, want failed", e)
		}
		for _, r := range rcv.got() {
			if r.path == "/moved" {
				t.Fatalf("the redirect's location was requested")
			}
		}
		if s := strings.Join(statuses(b.attempts(job.ID)), " "); s != "1:302/http_status 2:302/http_status" {
			t.Errorf("attempts %s", s)
		}
	})

	t.Run("410 stops the job's webhook", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		rcv, url := serve(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) })
		job, events := b.send(&trawl.Webhook{URL: url}, 1)
		if e := b.settled(events[0].ID, 10*time.Second); e.State != trawl.EventGone || e.Attempts != 1 {
			t.Fatalf("event %+v, want gone after one attempt", e)
		}
		// A later event of the same job is never sent.
		var later *trawl.Event
		err := b.db.InTx(t.Context(), func(tx store.Tx) error {
			o, err := tx.Outbox(job.ID)
			if err != nil {
				return err
			}
			if o.GoneAt == nil {
				return errors.New("job's webhook not marked gone")
			}
			later, err = webhook.NewEvent(job, trawl.EventJobFinished, nil, time.Now())
			if err != nil {
				return err
			}
			return b.svc.Emit(tx, job, []*trawl.Event{later})
		})
		if err != nil {
			t.Fatal(err)
		}
		if e := b.settled(later.ID, 10*time.Second); e.State != trawl.EventGone || e.Attempts != 0 {
			t.Fatalf("later event %+v, want gone without an attempt", e)
		}
		if n := len(rcv.got()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})

	t.Run("429 with Retry-After waits", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		rcv, url := serve(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		})
		_, events := b.send(&trawl.Webhook{URL: url}, 1)
		if e := b.settled(events[0].ID, 15*time.Second); e.State != trawl.EventDelivered || e.Attempts != 2 {
			t.Fatalf("event %+v, want delivered on attempt 2", e)
		}
		got := rcv.got()
		if gap := got[1].at.Sub(got[0].at); gap < 2*time.Second {
			t.Errorf("second attempt %v after the 429, want at least the 2s of Retry-After", gap)
		}
	})

	t.Run("a receiver that never answers times out", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{timeout: 300 * time.Millisecond})
		release := make(chan struct{})
		_, url := serve(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		t.Cleanup(func() { close(release) })
		job, events := b.send(&trawl.Webhook{URL: url, MaxAttempts: 1}, 1)
		if e := b.settled(events[0].ID, 10*time.Second); e.State != trawl.EventFailed {
			t.Fatalf("event %+v, want failed", e)
		}
		if s := strings.Join(statuses(b.attempts(job.ID)), " "); s != "1:0/timeout" {
			t.Errorf("attempts %s", s)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		job, events := b.send(&trawl.Webhook{URL: "http://" + addr + "/hook", MaxAttempts: 2}, 1)
		if e := b.settled(events[0].ID, 10*time.Second); e.State != trawl.EventFailed || e.Attempts != 2 {
			t.Fatalf("event %+v, want failed after 2 attempts", e)
		}
		if s := strings.Join(statuses(b.attempts(job.ID)), " "); s != "1:0/connection 2:0/connection" {
			t.Errorf("attempts %s", s)
		}
	})

	t.Run("private address without the allow flag", func(t *testing.T) {
		t.Parallel()
		b := newBench(t, benchOptions{guarded: true})
		rcv, url := serve(t, func(int, http.ResponseWriter, *http.Request) {})
		job, events := b.send(&trawl.Webhook{URL: url}, 1)
		if e := b.settled(events[0].ID, 10*time.Second); e.State != trawl.EventFailed || e.Attempts != 1 {
			t.Fatalf("event %+v, want failed at once", e)
		}
		if s := strings.Join(statuses(b.attempts(job.ID)), " "); s != "1:0/blocked" {
			t.Errorf("attempts %s", s)
		}
		if n := len(rcv.got()); n != 0 {
			t.Errorf("%d requests reached the private receiver", n)
		}
	})
}

// TestSignatures verifies real deliveries with the Standard Webhooks library,
// before and during a secret rotation.
func TestSignatures(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	rcv, url := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	verify := func(secret string, r *recorded) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(r.body, r.header)
	}
	_, events := b.send(&trawl.Webhook{URL: url, Headers: map[string]string{"X-Token": "t"}}, 1)
	b.settled(events[0].ID, 10*time.Second)
	first := rcv.got()[0]
	if err := verify(b.account.WebhookSecret, first); err != nil {
		t.Fatalf("signature does not verify: %v (headers %v)", err, first.header)
	}
	if first.header.Get("X-Token") != "t" || first.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", first.header)
	}

	old := b.account.WebhookSecret
	rotated, err := b.db.RotateWebhookSecret(t.Context(), b.account.ID, trawl.NewWebhookSecret(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, events = b.send(&trawl.Webhook{URL: url}, 1)
	b.settled(events[0].ID, 10*time.Second)
	second := rcv.got()[1]
	if n := len(strings.Fields(second.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures during the overlap, want 2", n)
	}
	for _, secret := range []string{old, rotated.WebhookSecret} {
		if err := verify(secret, second); err != nil {
			t.Errorf("during rotation a receiver with one of the secrets cannot verify: %v", err)
		}
	}
	if err := verify(trawl.NewWebhookSecret(), second); err == nil {
		t.Errorf("a stranger's secret verifies")
	}
}

// TestDeadReceiverDoesNotBlockOthers points many events at a receiver that
// never answers and checks that it holds no more than its host's share of
// delivery slots, so another job's event is delivered while all of those
// requests still hang.
func TestDeadReceiverDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{timeout: time.Minute})
	stuck := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	_, slowURL := serve(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		select {
		case <-stuck:
		case <-r.Context().Done():
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	t.Cleanup(func() { close(stuck) })
	b.send(&trawl.Webhook{URL: slowURL}, 40)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := inFlight
		mu.Unlock()
		if n >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests reached the dead receiver", n)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	_, fastURL := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	_, events := b.send(&trawl.Webhook{URL: fastURL}, 3)
	for _, ev := range events {
		if e := b.settled(ev.ID, 10*time.Second); e.State != trawl.EventDelivered {
			t.Fatalf("event %+v", e)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if inFlight < 8 {
		t.Errorf("the dead receiver's requests ended (%d in flight): the test proves nothing", inFlight)
	}
	if most > 8 {
		t.Errorf("%d requests in flight to one host, want at most 8", most)
	}
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestHangingReceiversOfOneAccount points 50 receivers that never answer at
// one account's events, and checks that another account's healthy receiver
// gets its events while those requests still hang: the busy account holds
// at most its share of the delivery workers. When the hanging receivers
// answer at last, every event is delivered exactly once.
func TestHangingReceiversOfOneAccount(t *testing.T) {
	t.Parallel()
	// The hanging requests must not time out before the test lets them
	// answer, however slow the machine (a timeout would be retried, and
	// counted as a second request).
	b := newBench(t, benchOptions{timeout: 10 * time.Minute})
	hanging, err := b.db.CreateAccount(t.Context(), "hanging")
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	requests := map[string]int{}
	var busy []*trawl.Event
	for range 50 {
		_, url := serve(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			requests[r.Header.Get("webhook-id")]++
			mu.Unlock()
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			mu.Lock()
			inFlight--
			mu.Unlock()
		})
		_, events := b.sendAs(hanging, &trawl.Webhook{URL: url}, 4)
		busy = append(busy, events...)
	}
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(gate)
		}
	}
	t.Cleanup(open)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := inFlight
		mu.Unlock()
		if n >= 16 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests reached the hanging receivers", n)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}

	rcv, url := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	var lat []time.Duration
	for range 20 {
		_, events := b.send(&trawl.Webhook{URL: url}, 1)
		committed := time.Now()
		if e := b.settled(events[0].ID, time.Minute); e.State != trawl.EventDelivered {
			t.Fatalf("healthy receiver's event %+v", e)
		}
		lat = append(lat, time.Since(committed))
	}
	slices.Sort(lat)
	mu.Lock()
	stillHanging, held := inFlight, most
	mu.Unlock()
	t.Logf("healthy receiver: %d events, p50 %v, p99 %v, while %d requests hung", len(rcv.got()), lat[len(lat)/2], lat[len(lat)-1], stillHanging)
	if stillHanging == 0 {
		t.Fatal("the hanging receivers answered before the test ended: it proves nothing")
	}
	if held > 16 {
		t.Errorf("the busy account held %d delivery workers at once, want at most its share of 16", held)
	}

	open()
	for _, ev := range busy {
		if e := b.settled(ev.ID, 60*time.Second); e.State != trawl.EventDelivered || e.Attempts != 1 {
			t.Fatalf("busy account's event %+v, want delivered on its first attempt", e)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range requests {
		if n != 1 {
			t.Errorf("event %s was requested %d times", id, n)
		}
	}
}
