package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/trawlhq/trawl/store/sqlite"
)

type accountBody struct {
	ID                             int64   `json:"id"`
	Name                           string  `json:"name"`
	WebhookSecret                  string  `json:"webhookSecret"`
	PreviousWebhookSecretExpiresAt *string `json:"previousWebhookSecretExpiresAt"`
}

type deliveriesPage struct {
	Meta struct {
		Total int64 `json:"total"`
	} `json:"meta"`
	Data []struct {
		ID            int64   `json:"id"`
		DeliveryID    string  `json:"deliveryId"`
		Event         string  `json:"event"`
		DeliveryState string  `json:"deliveryState"`
		Attempt       int     `json:"attempt"`
		StatusCode    *int    `json:"statusCode"`
		ErrorClass    *string `json:"errorClass"`
		DurationMs    float64 `json:"durationMs"`
		Excerpt       string  `json:"responseExcerpt"`
	} `json:"data"`
}

// TestDeliveryLogRedeliveryAndSecrets walks the webhook API: a receiver that
// fails until it is fixed, the delivery log, redelivery of what failed, the
// account's secret verifying every delivery, a rotation, and the metrics.
func TestDeliveryLogRedeliveryAndSecrets(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		web := newSite(t, 0, false)
		var healthy atomic.Bool
		rc := &receiver{status: func(int) int {
			if healthy.Load() {
				return 200
			}
			return 503
		}}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		in := start(t, testEnv(db))

		var account accountBody
		if code := in.do("GET", "/account", nil, &account); code != 200 || !strings.HasPrefix(account.WebhookSecret, "whsec_") {
			t.Fatalf("account: %d %+v", code, account)
		}
		var created jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":0,"webhook":{"url":%q,"maxAttempts":2}}`, web.URL, hook.URL), &created)
		in.waitTerminal(created.ID, 90*time.Second)

		var log deliveriesPage
		// started, one data event, finished: two failed attempts each.
		waitFor(t, 20*time.Second, "every event to run out of attempts", func() bool {
			log = deliveriesPage{}
			in.do("GET", fmt.Sprintf("/scrapers/jobs/%d/webhook-deliveries", created.ID), nil, &log)
			if log.Meta.Total != 6 {
				return false
			}
			for _, d := range log.Data {
				if d.DeliveryState != "failed" {
					return false
				}
			}
			return true
		})
		for _, d := range log.Data {
			if d.StatusCode == nil || *d.StatusCode != 503 || d.ErrorClass == nil || *d.ErrorClass != "http_status" || d.DeliveryID == "" {
				t.Errorf("attempt %+v, want a 503 http_status failure", d)
			}
		}

		healthy.Store(true)
		var redone struct {
			Count int `json:"count"`
		}
		if code := in.do("POST", fmt.Sprintf("/scrapers/jobs/%d/webhook-deliveries/redeliver-failed", created.ID), nil, &redone); code != 202 || redone.Count != 3 {
			t.Fatalf("redeliver-failed: %d %+v, want 202 and 3 events", code, redone)
		}
		waitFor(t, 10*time.Second, "the redeliveries", func() bool {
			log = deliveriesPage{}
			in.do("GET", fmt.Sprintf("/scrapers/jobs/%d/webhook-deliveries", created.ID), nil, &log)
			return log.Meta.Total == 9 && log.Data[8].DeliveryState == "delivered"
		})
		ids := map[string]int{}
		for _, d := range rc.all() {
			ids[d.Header.Get("webhook-id")]++
			if err := verifyDelivery(account.WebhookSecret, d); err != nil {
				t.Errorf("delivery does not verify with the account's secret: %v", err)
			}
		}
		if len(ids) != 3 {
			t.Errorf("%d distinct webhook-ids, want 3 (one per event, kept across retries)", len(ids))
		}
		for id, n := range ids {
			if n != 3 {
				t.Errorf("webhook-id %s sent %d times, want 3 (two failures and the redelivery)", id, n)
			}
		}
		var conflict struct{ Message string }
		if code := in.do("POST", fmt.Sprintf("/scrapers/jobs/%d/webhook-deliveries/%s/redeliver", created.ID, "msg_nope"), nil, &conflict); code != 404 {
			t.Errorf("redeliver an unknown delivery: %d %q", code, conflict.Message)
		}

		var rotated accountBody
		if code := in.do("POST", "/account/webhook-secret/rotate", nil, &rotated); code != 200 || rotated.WebhookSecret == account.WebhookSecret || rotated.PreviousWebhookSecretExpiresAt == nil {
			t.Fatalf("rotate: %d %+v", code, rotated)
		}
		before := len(rc.all())
		var one jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":0,"webhook":{"url":%q,"events":["scraper.job.finished"]}}`, web.URL, hook.URL), &one)
		waitFor(t, 20*time.Second, "the finished event", func() bool { return len(rc.forJob(one.ID)["scraper.job.finished"]) == 1 })
		d := rc.forJob(one.ID)["scraper.job.finished"][0]
		for _, secret := range []string{account.WebhookSecret, rotated.WebhookSecret} {
			if err := verifyDelivery(secret, d); err != nil {
				t.Errorf("during the overlap a delivery does not verify with one of the secrets: %v", err)
			}
		}
		if len(rc.all()) != before+1 {
			t.Errorf("the job subscribed only to finished got %d deliveries", len(rc.all())-before)
		}

		wants := []string{`trawl_webhook_attempts_total{class="http_status",outcome="retry"} 3`,
			`trawl_webhook_attempts_total{class="http_status",outcome="failed"} 3`, "trawl_webhook_event_to_2xx_seconds_count 4",
			`trawl_jobs{status="finished"} 2`, `trawl_rows_stored_total{scraper="crawler"} 2`, "trawl_queue_jobs"}
		// The receiver sees a delivery a moment before trawl has recorded it.
		waitFor(t, 30*time.Second, "the metrics", func() bool {
			resp, err := http.Get(in.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range wants {
				if !strings.Contains(string(body), want) {
					return false
				}
			}
			return true
		})
	})
}

func verifyDelivery(secret string, d delivery) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	return wh.Verify(d.Raw, d.Header)
}

// TestCrashDuringDeliveries kills trawl while deliveries are in flight and
// retries are pending, restarts it, and checks that every event reaches the
// receiver under its original webhook-id.
func TestCrashDuringDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	bin := buildBinary(t)
	const pages = 30
	web := newSite(t, pages, false)
	var requests atomic.Int64
	rc := &receiver{status: func(n int) int {
		requests.Add(1)
		if n%3 == 0 {
			return 500 // every third request fails: retries are pending at the kill
		}
		return 200
	}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	dir := t.TempDir()
	env := testEnv(map[string]string{
		"TRAWL_DATA_DIR":               dir,
		"TRAWL_ADDR":                   "127.0.0.1:0",
		"TRAWL_WEBHOOK_BATCH_ROWS":     "1",
		"TRAWL_WEBHOOK_RETRY_SCHEDULE": "1s,1s,1s",
	})
	first := startProcess(t, bin, env)
	in := &instance{t: t, base: first.base, key: env["TRAWL_API_KEY"], client: &http.Client{Timeout: 5 * time.Second}}
	var created jobRecord
	in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q,"maxAttempts":5}}`, web.URL, hook.URL), &created)
	waitFor(t, 30*time.Second, "deliveries under way", func() bool { return requests.Load() >= 12 })
	_ = first.cmd.Process.Kill()
	_ = first.cmd.Wait()
	in.client.CloseIdleConnections()

	second := startProcess(t, bin, env)
	in.base = second.base
	in.waitTerminal(created.ID, 60*time.Second)

	db, err := sqlite.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.Events(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < pages+2 {
		t.Fatalf("%d events, want at least %d (started, a data event per row, finished)", len(events), pages+2)
	}
	waitFor(t, 60*time.Second, "every event to be delivered", func() bool {
		ok := map[string]bool{}
		for _, d := range rc.all() {
			ok[d.Header.Get("webhook-id")] = true
		}
		for _, e := range events {
			if !ok[e.ID] {
				return false
			}
		}
		return true
	})
	// Each webhook-id always carried its event's own body (the finished
	// event's download links are signed afresh at each attempt).
	bodies := map[string]map[string]any{}
	for _, e := range events {
		var b map[string]any
		if err := json.Unmarshal(e.Payload, &b); err != nil {
			t.Fatal(err)
		}
		bodies[e.ID] = b
	}
	for _, d := range rc.all() {
		want, ok := bodies[d.Header.Get("webhook-id")]
		got := maps.Clone(d.Body)
		if ok && want["event"] == "scraper.job.finished" {
			want = maps.Clone(want)
			delete(want, "data")
			delete(got, "data")
		}
		if !ok || !reflect.DeepEqual(want, got) {
			t.Fatalf("delivery %s carries a body that is not its event's:\n%s", d.Header.Get("webhook-id"), d.Raw)
		}
	}
}

// TestEventOrderEndToEnd runs 20 crawls whose receiver answers data events
// slowly, and checks that in every job the started event arrives first and
// the finished event last, after every data event was answered.
func TestEventOrderEndToEnd(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		const jobs, pages = 20, 6
		rc := &receiver{delay: func(event string) time.Duration {
			if event == "scraper.data.scraped" {
				return 300 * time.Millisecond
			}
			return 0
		}}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		in := start(t, testEnv(db))
		ids := make([]int64, jobs)
		for i := range ids {
			s := newSite(t, pages, false)
			var rec jobRecord
			if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, s.URL, hook.URL), &rec); code != 200 {
				t.Fatalf("create job %d: status %d", i, code)
			}
			ids[i] = rec.ID
		}
		for _, id := range ids {
			in.waitTerminal(id, 120*time.Second)
		}
		waitFor(t, 120*time.Second, "every finished event", func() bool {
			for _, id := range ids {
				if len(rc.forJob(id)["scraper.job.finished"]) == 0 {
					return false
				}
			}
			return true
		})
		dataEvents := 0
		for _, id := range ids {
			var order []string
			for _, d := range rc.all() {
				if jid, ok := d.Body["jobId"].(float64); ok && int64(jid) == id {
					ev, _ := d.Body["event"].(string)
					order = append(order, ev)
				}
			}
			if len(order) < 3 || order[0] != "scraper.job.started" || order[len(order)-1] != "scraper.job.finished" {
				t.Errorf("job %d: events arrived as %v; want started first and finished last", id, order)
			}
			dataEvents += len(order) - 2
		}
		if dataEvents < jobs {
			t.Errorf("%d data events in all: the test proves little", dataEvents)
		}
	})
}
