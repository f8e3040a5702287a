package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
)

// fakeWebhooks is an in-memory Webhooks: job 7 has two events, the first
// failed after two attempts, the second pending after one.
type fakeWebhooks struct {
	mu          sync.Mutex
	events      map[string]*trawl.Event
	attempts    []*trawl.DeliveryAttempt
	redelivered []string // "<account>/<job>/<event>" of each Redeliver call
}

func newFakeWebhooks() *fakeWebhooks {
	return &fakeWebhooks{
		events: map[string]*trawl.Event{
			"msg_a": {ID: "msg_a", JobID: 7, Type: trawl.EventJobStarted, State: trawl.EventFailed, Attempts: 2},
			"msg_b": {ID: "msg_b", JobID: 7, Type: trawl.EventJobFinished, State: trawl.EventPending, Attempts: 1},
		},
		attempts: []*trawl.DeliveryAttempt{
			{ID: 1, EventID: "msg_a", JobID: 7, Attempt: 1, ErrorClass: "timeout", Error: "deadline exceeded", Duration: 1500 * time.Microsecond, CreatedAt: t1},
			{ID: 2, EventID: "msg_a", JobID: 7, Attempt: 2, StatusCode: 500, ErrorClass: "http_status", Error: "500", ResponseExcerpt: "oops", CreatedAt: t2},
			{ID: 3, EventID: "msg_b", JobID: 7, Attempt: 1, StatusCode: 200, Duration: 2 * time.Millisecond, CreatedAt: t2},
		},
	}
}

func (w *fakeWebhooks) Attempts(_ context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	var all []*trawl.DeliveryAttempt
	for _, a := range w.attempts {
		if a.JobID == jobID {
			labelled := *a
			if e := w.events[a.EventID]; e != nil {
				labelled.EventType, labelled.EventState = e.Type, e.State
			}
			all = append(all, &labelled)
		}
	}
	total := int64(len(all))
	if offset >= total {
		return nil, total, nil
	}
	return all[offset:min(offset+limit, total)], total, nil
}

func (w *fakeWebhooks) Redeliver(_ context.Context, accountID, jobID int64, eventID string) (*trawl.Event, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.redelivered = append(w.redelivered, fmt.Sprintf("%d/%d/%s", accountID, jobID, eventID))
	e, ok := w.events[eventID]
	if !ok || e.JobID != jobID {
		return nil, trawl.Errorf(trawl.ENOTFOUND, "Delivery %q not found for job %d.", eventID, jobID)
	}
	if e.State == trawl.EventPending {
		return nil, trawl.Errorf(trawl.ECONFLICT, "Delivery %q is still pending.", eventID)
	}
	return e, nil
}

func (w *fakeWebhooks) RedeliverFailed(_ context.Context, _, jobID int64) ([]*trawl.Event, error) {
	var out []*trawl.Event
	for _, e := range w.events {
		if e.JobID == jobID && e.State == trawl.EventFailed {
			out = append(out, e)
		}
	}
	return out, nil
}

func withWebhooks(w Webhooks) func(*Config) {
	return func(c *Config) { c.Webhooks = w }
}

func TestListDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t, withWebhooks(newFakeWebhooks()))
	var got deliveriesOutputBody
	wantOK(t, b.do(t, http.MethodGet, "/scrapers/jobs/7/webhook-deliveries?limit=2", ""), &got)
	ptr := func(s string) *string { return &s }
	status := 500
	want := deliveriesOutputBody{
		Meta: pageMeta{3, 2, 1, 2, 1,
			"http://trawl.test/scrapers/jobs/7/webhook-deliveries?page=1&limit=2",
			"http://trawl.test/scrapers/jobs/7/webhook-deliveries?page=2&limit=2",
			ptr("http://trawl.test/scrapers/jobs/7/webhook-deliveries?page=2&limit=2"), nil},
		Data: []deliveryAttempt{
			{ID: 1, DeliveryID: "msg_a", Event: trawl.EventJobStarted, DeliveryState: "failed", Attempt: 1, CreatedAt: formatTime(t1),
				DurationMs: 1.5, ErrorClass: classPtr("timeout"), Error: ptr("deadline exceeded")},
			{ID: 2, DeliveryID: "msg_a", Event: trawl.EventJobStarted, DeliveryState: "failed", Attempt: 2, CreatedAt: formatTime(t2),
				StatusCode: &status, ErrorClass: classPtr("http_status"), Error: ptr("500"), ResponseExcerpt: "oops"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}

	var past deliveriesOutputBody
	wantOK(t, b.do(t, http.MethodGet, "/scrapers/jobs/7/webhook-deliveries?page=9", ""), &past)
	if len(past.Data) != 0 || past.Meta.Total != 3 {
		t.Errorf("page past the end: %+v", past)
	}

	wantError(t, b.do(t, http.MethodGet, "/scrapers/jobs/8/webhook-deliveries", ""), http.StatusNotFound)   // account 2's
	wantError(t, b.do(t, http.MethodGet, "/scrapers/jobs/abc/webhook-deliveries", ""), http.StatusNotFound) // not an id
	for _, q := range []string{"limit=0", "limit=101", "page=0", "page=x"} {
		wantError(t, b.do(t, http.MethodGet, "/scrapers/jobs/7/webhook-deliveries?"+q, ""), http.StatusUnprocessableEntity)
	}
}

// deliveriesOutputBody is deliveriesOutput's body as a client decodes it.
type deliveriesOutputBody struct {
	Meta pageMeta          `json:"meta"`
	Data []deliveryAttempt `json:"data"`
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	wh := newFakeWebhooks()
	b := setup(t, withWebhooks(wh))

	w := b.do(t, http.MethodPost, "/scrapers/jobs/7/webhook-deliveries/msg_a/redeliver", "")
	if w.Code != http.StatusAccepted {
		t.Fatalf("redeliver: got %d, want 202; body %s", w.Code, w.Body)
	}
	if want := `{"deliveryId":"msg_a","event":"scraper.job.started","state":"pending","attempt":3}`; w.Body.String() != want+"\n" && w.Body.String() != want {
		t.Errorf("redeliver body: got %s, want %s", w.Body, want)
	}

	wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/7/webhook-deliveries/msg_b/redeliver", ""), http.StatusConflict)
	wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/7/webhook-deliveries/msg_nope/redeliver", ""), http.StatusNotFound)
	// Another account's job and a job id that is not one never reach Redeliver.
	wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/8/webhook-deliveries/msg_a/redeliver", ""), http.StatusNotFound)
	wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/abc/webhook-deliveries/msg_a/redeliver", ""), http.StatusNotFound)
	// Nor does a delivery id no delivery could have (the database may refuse it).
	for _, id := range []string{"msg%00a", "msg%FFa", strings.Repeat("m", 65)} {
		e := wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/7/webhook-deliveries/"+id+"/redeliver", ""), http.StatusNotFound)
		if !strings.HasPrefix(e.Message, "Delivery ") || !strings.HasSuffix(e.Message, " not found for job 7.") {
			t.Errorf("%s: message %q", id, e.Message)
		}
	}
	if diff := cmp.Diff([]string{"1/7/msg_a", "1/7/msg_b", "1/7/msg_nope"}, wh.redelivered); diff != "" {
		t.Errorf("Redeliver calls (-want +got):\n%s", diff)
	}

	w = b.do(t, http.MethodPost, "/scrapers/jobs/7/webhook-deliveries/redeliver-failed", "")
	if w.Code != http.StatusAccepted {
		t.Fatalf("redeliver-failed: got %d, want 202; body %s", w.Code, w.Body)
	}
	if want := `{"count":1,"data":[{"deliveryId":"msg_a","event":"scraper.job.started","state":"pending","attempt":3}]}`; w.Body.String() != want+"\n" && w.Body.String() != want {
		t.Errorf("redeliver-failed body: got %s, want %s", w.Body, want)
	}
	wantError(t, b.do(t, http.MethodPost, "/scrapers/jobs/8/webhook-deliveries/redeliver-failed", ""), http.StatusNotFound)
}

// fakeAccounts rotates account 1's secret.
type fakeAccounts struct{}

func (fakeAccounts) RotateWebhookSecret(_ context.Context, accountID int64, next string, previousUntil time.Time) (*trawl.Account, error) {
	return &trawl.Account{ID: accountID, Name: "one", WebhookSecret: next, PreviousSecrets: []trawl.PreviousSecret{
		{Secret: "whsec_old", ExpiresAt: previousUntil},
		{Secret: "whsec_older", ExpiresAt: previousUntil.Add(-time.Hour)},
		{Secret: "whsec_expired", ExpiresAt: time.Now().Add(-time.Hour)},
	}}, nil
}

func TestAccountRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Accounts = fakeAccounts{} })

	var got accountBody
	wantOK(t, b.do(t, http.MethodGet, "/account", ""), &got)
	if diff := cmp.Diff(accountBody{ID: 1, Name: "one", PreviousWebhookSecretsExpireAt: []string{}}, got); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}

	var rotated accountBody
	wantOK(t, b.do(t, http.MethodPost, "/account/webhook-secret/rotate", ""), &rotated)
	if rotated.ID != 1 || len(rotated.WebhookSecret) < len("whsec_")+1 || rotated.WebhookSecret[:6] != "whsec_" {
		t.Errorf("rotated account: %+v", rotated)
	}
	if rotated.PreviousWebhookSecretExpiresAt == nil {
		t.Fatal("rotated account has no previousWebhookSecretExpiresAt")
	}
	until, err := time.Parse(time.RFC3339, *rotated.PreviousWebhookSecretExpiresAt)
	if err != nil || time.Until(until) < SecretOverlap-time.Minute || time.Until(until) > SecretOverlap {
		t.Errorf("previousWebhookSecretExpiresAt %q: want about %v from now (%v)", *rotated.PreviousWebhookSecretExpiresAt, SecretOverlap, err)
	}
	if n := len(rotated.PreviousWebhookSecretsExpireAt); n != 2 || rotated.PreviousWebhookSecretsExpireAt[0] != *rotated.PreviousWebhookSecretExpiresAt {
		t.Errorf("previousWebhookSecretsExpireAt %v: want the two unexpired overlaps, newest first", rotated.PreviousWebhookSecretsExpireAt)
	}

	wantError(t, b.do(t, http.MethodGet, "/account", "", "x-api-key", ""), http.StatusUnauthorized)
}

func classPtr(c string) *errorClass {
	v := errorClass(c)
	return &v
}
