package webhook_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/webhook"
)

// emitJob stores a job with hook and, in three transactions as a job makes
// them, its started event, n data events and its finished event.
func (b *bench) emitJob(hook *trawl.Webhook, n int) []*trawl.Event {
	b.t.Helper()
	job := &trawl.Job{AccountID: b.account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`), Webhook: hook}
	var all []*trawl.Event
	step := func(typ string, count int) {
		err := b.db.InTx(b.t.Context(), func(tx store.Tx) error {
			if job.ID == 0 {
				if err := tx.CreateJob(job); err != nil {
					return err
				}
			}
			var events []*trawl.Event
			for range count {
				var rows []json.RawMessage
				if typ == trawl.EventDataScraped {
					rows = []json.RawMessage{json.RawMessage(`{"n":1}`)}
				}
				ev, err := webhook.NewEvent(job, typ, rows, time.Now())
				if err != nil {
					return err
				}
				events = append(events, ev)
			}
			all = append(all, events...)
			return b.svc.Emit(tx, job, events)
		})
		if err != nil {
			b.t.Fatal(err)
		}
	}
	step(trawl.EventJobStarted, 1)
	step(trawl.EventDataScraped, n)
	step(trawl.EventJobFinished, 1)
	return all
}

// slowData is a receiver that takes its time over data events and notes
// when each request started and ended, and the most in flight at once.
type slowData struct {
	mu       sync.Mutex
	starts   []string // webhook-ids in order of arrival
	ends     []string // webhook-ids in order of answer
	inFlight int
	most     int
	delay    time.Duration
}

func (s *slowData) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p struct{ Event string }
	_ = json.NewDecoder(r.Body).Decode(&p)
	id := r.Header.Get("webhook-id")
	s.mu.Lock()
	s.starts = append(s.starts, id)
	s.inFlight++
	s.most = max(s.most, s.inFlight)
	s.mu.Unlock()
	if p.Event == trawl.EventDataScraped {
		select { // the receiver's own pace
		case <-time.After(s.delay):
		case <-r.Context().Done():
		}
	}
	s.mu.Lock()
	s.inFlight--
	s.ends = append(s.ends, id)
	s.mu.Unlock()
}

// TestEventOrder checks that started comes before everything else and
// finished after everything else, even when data events are slow, and that
// an ordered webhook gets one event at a time in creation order.
func TestEventOrder(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{false, true} {
		name := "unordered"
		if ordered {
			name = "ordered"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBench(t, benchOptions{})
			rcv := &slowData{delay: 150 * time.Millisecond}
			_, url := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) { rcv.ServeHTTP(w, r) })
			events := b.emitJob(&trawl.Webhook{URL: url, Ordered: ordered}, 6)
			for _, ev := range events {
				if e := b.settled(ev.ID, 30*time.Second); e.State != trawl.EventDelivered {
					t.Fatalf("event %+v, want delivered", e)
				}
			}
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			started, finished := events[0].ID, events[len(events)-1].ID
			if len(rcv.starts) != len(events) || rcv.starts[0] != started || rcv.ends[0] != started {
				t.Fatalf("arrivals %v: want the started event %s first, answered before anything else arrived", rcv.starts, started)
			}
			if rcv.starts[len(rcv.starts)-1] != finished {
				t.Fatalf("arrivals %v: want the finished event %s last", rcv.starts, finished)
			}
			// finished arrived only after every data event was answered.
			if i := len(rcv.ends) - 1; rcv.ends[i] != finished {
				t.Fatalf("answers %v: finished answered before a data event", rcv.ends)
			}
			if ordered {
				if rcv.most != 1 {
					t.Errorf("%d events in flight at once, want 1 for an ordered webhook", rcv.most)
				}
				for i, ev := range events {
					if rcv.starts[i] != ev.ID {
						t.Fatalf("arrival %d is %s, want %s: not in creation order", i, rcv.starts[i], ev.ID)
					}
				}
			} else if rcv.most < 2 {
				t.Errorf("at most %d event in flight: data events of an unordered webhook should go at once", rcv.most)
			}
		})
	}
}

// TestFinishedWaitsForFailures checks that a data event that runs out of
// attempts releases the finished event, which is then delivered.
func TestFinishedWaitsForFailures(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	var mu sync.Mutex
	var order []string
	_, url := serve(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		var p struct{ Event string }
		_ = json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		order = append(order, p.Event)
		mu.Unlock()
		if p.Event == trawl.EventDataScraped {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	events := b.emitJob(&trawl.Webhook{URL: url, MaxAttempts: 2}, 2)
	if e := b.settled(events[len(events)-1].ID, 30*time.Second); e.State != trawl.EventDelivered {
		t.Fatalf("finished event %+v, want delivered", e)
	}
	for _, ev := range events[1:3] {
		if e := b.settled(ev.ID, time.Second); e.State != trawl.EventFailed || e.Attempts != 2 {
			t.Errorf("data event %+v, want failed after 2 attempts", e)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 6 || order[0] != trawl.EventJobStarted || order[5] != trawl.EventJobFinished {
		t.Errorf("arrivals %v: want started, 4 failing data attempts, finished", order)
	}
	// A waiting event cannot be redelivered; an ended one can.
	if _, err := b.svc.Redeliver(t.Context(), b.account.ID, events[0].JobID, events[1].ID); err != nil {
		t.Errorf("redeliver a failed event: %v", err)
	}
}

// TestSecretRotatedTwice rotates the signing secret twice within the
// overlap and verifies a delivery with each of the three secrets using the
// Standard Webhooks library: the first secret keeps signing until its own
// overlap ends.
func TestSecretRotatedTwice(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	rcv, url := serve(t, func(int, http.ResponseWriter, *http.Request) {})
	first := b.account.WebhookSecret
	a1, err := b.db.RotateWebhookSecret(t.Context(), b.account.ID, trawl.NewWebhookSecret(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := b.db.RotateWebhookSecret(t.Context(), b.account.ID, trawl.NewWebhookSecret(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, events := b.send(&trawl.Webhook{URL: url}, 1)
	b.settled(events[0].ID, 10*time.Second)
	got := rcv.got()[0]
	for name, secret := range map[string]string{"first": first, "second": a1.WebhookSecret, "third": a2.WebhookSecret} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Errorf("the %s secret does not verify after two rotations: %v", name, err)
		}
	}
}
