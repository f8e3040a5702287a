package storetest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/secret"
	"github.com/trawlhq/trawl/store"
)

// sealingStore is what a store that keeps secrets encrypted offers besides
// store.Store; the suite reads its tables through Writer to see what is
// really stored.
type sealingStore interface {
	store.Store
	UseSecrets(box *secret.Box)
	Reseal(ctx context.Context, box *secret.Box) (int, error)
	Writer() *sql.DB
}

// stored returns every text value of the tables that hold secrets, as the
// database has them.
func stored(t *testing.T, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT webhook_secret || ' ' || previous_secrets FROM accounts`,
		`SELECT COALESCE(webhook, '') || ' ' || input FROM jobs`,
		`SELECT value FROM settings`,
	} {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

func testSecretsAtRest(t *testing.T, s store.Store) {
	ss, ok := s.(sealingStore)
	if !ok {
		t.Skip("the store does not seal secrets")
	}
	const header = "Bearer hdr-s3cret"
	input := `{"urls":["https://example.org/"],"webhook":{"url":"https://hooks.example.org/x","headers":{"Authorization":"` + header + `"}}}`
	newJob := func() *trawl.Job {
		return mustJob(t, s, mustAccount(t, s, "acct").ID, func(j *trawl.Job) {
			j.Input = []byte(input)
			j.Webhook.Headers = map[string]string{"Authorization": header}
		})
	}

	// Values written before a key was in use (an older trawl) are in the
	// clear; Reseal seals them and masks the old input.
	legacyJob := newJob()
	legacy, err := s.Account(ctx(t), legacyJob.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureSetting(ctx(t), "export_link_key", "legacy-export-key"); err != nil {
		t.Fatal(err)
	}
	k1, k2 := secret.NewKey(), secret.NewKey()
	box1, _ := secret.NewBox(k1)
	ss.UseSecrets(box1)
	if n, err := ss.Reseal(ctx(t), box1); err != nil || n < 4 {
		t.Fatalf("Reseal = %d, %v; want at least the secret, previous secrets, setting and webhook", n, err)
	}
	if n, err := ss.Reseal(ctx(t), box1); err != nil || n != 0 {
		t.Fatalf("second Reseal = %d, %v; want nothing left to do", n, err)
	}

	// Values written with the key in use are sealed from the start.
	job := newJob()
	if strings.Contains(string(job.Input), header) || !strings.Contains(string(job.Input), `"Authorization":"`+trawl.HeaderMask+`"`) {
		t.Errorf("created job's input %s: want the header name with its value masked", job.Input)
	}
	fresh, err := s.RotateWebhookSecret(ctx(t), job.AccountID, trawl.NewWebhookSecret(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{header, legacy.WebhookSecret, fresh.WebhookSecret, fresh.PreviousSecrets[0].Secret, "legacy-export-key"}
	raw := stored(t, ss.Writer())
	for _, v := range secrets {
		if strings.Contains(raw, v) {
			t.Errorf("%q is stored in the clear", v)
		}
	}

	// Reads open them.
	check := func() {
		t.Helper()
		for _, j := range []*trawl.Job{legacyJob, job} {
			got, err := s.Job(ctx(t), 0, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Webhook.Headers["Authorization"] != header {
				t.Errorf("job %d webhook headers %v, want the value back", j.ID, got.Webhook.Headers)
			}
			if strings.Contains(string(got.Input), header) {
				t.Errorf("job %d input shows the header value: %s", j.ID, got.Input)
			}
		}
		a, err := s.Account(ctx(t), fresh.ID)
		if err != nil || a.WebhookSecret != fresh.WebhookSecret || len(a.PreviousSecrets) != 1 ||
			a.PreviousSecrets[0].Secret != fresh.PreviousSecrets[0].Secret {
			t.Errorf("account read back %+v, %v; want %+v", a, err, fresh)
		}
		if v, err := s.Setting(ctx(t), "export_link_key"); err != nil || v != "legacy-export-key" {
			t.Errorf("setting = %q, %v", v, err)
		}
		d, err := s.Delivery(ctx(t), mustEvent(t, s, job).ID)
		if err != nil || d.Job.Webhook.Headers["Authorization"] != header || d.Account.WebhookSecret != fresh.WebhookSecret {
			t.Errorf("delivery read back %+v, %v", d, err)
		}
	}
	check()

	// Rotation: reseal under a new key; a store with only the new key reads
	// everything, a store with only the old key reads nothing.
	box2, _ := secret.NewBox(k2, k1)
	if n, err := ss.Reseal(ctx(t), box2); err != nil || n < 6 {
		t.Fatalf("Reseal under the new key = %d, %v", n, err)
	}
	only2, _ := secret.NewBox(k2)
	ss.UseSecrets(only2)
	check()
	only1, _ := secret.NewBox(k1)
	ss.UseSecrets(only1)
	if _, err := s.Account(ctx(t), fresh.ID); !errors.Is(err, secret.ErrUnknownKey) {
		t.Errorf("read with the old key only: %v, want ErrUnknownKey", err)
	}
	ss.UseSecrets(only2)
}

// mustEvent stores an event of job.
func mustEvent(t *testing.T, s store.Store, job *trawl.Job) *trawl.Event {
	t.Helper()
	e := &trawl.Event{ID: trawl.NewUUID(), AccountID: job.AccountID, JobID: job.ID, Type: trawl.EventJobStarted, Payload: []byte(`{}`)}
	if err := s.InTx(ctx(t), func(tx store.Tx) error { return tx.InsertEvents(e) }); err != nil {
		t.Fatalf("insert event: %v", err)
	}
	return e
}
