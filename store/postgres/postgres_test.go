package postgres_test

import (
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/postgres/pgtest"
	"github.com/trawlhq/trawl/store/storetest"
)

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	if !pgtest.Available() {
		t.Skip(pgtest.EnvVar + " is not set")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		db := open(t, pgtest.URL(t))
		if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestConcurrentMigrate starts several nodes' migrations at once on one
// database: they take turns and all succeed.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		db := open(t, url)
		wg.Go(func() { errs <- db.Migrate(t.Context(), slog.New(slog.DiscardHandler)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
}

// TestAttemptBesideJobLock records a delivery attempt while another
// transaction holds the job's row (as the jobs service does while it stores
// rows and emits events) and then waits for the attempt's event: the attempt
// does not wait for the job's lock, so neither transaction is aborted as a
// deadlock and the attempt is never sent again for it.
func TestAttemptBesideJobLock(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.URL(t))
	if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	a, err := db.CreateAccount(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	j := &trawl.Job{AccountID: a.ID, Scraper: "crawler", Status: trawl.StatusInProgress, Input: json.RawMessage(`{}`),
		Params: json.RawMessage(`{}`), Webhook: &trawl.Webhook{URL: "https://hooks.example.org/x"}}
	e := &trawl.Event{ID: trawl.NewUUID(), AccountID: a.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{}`),
		State: trawl.EventPending}
	err = db.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		e.JobID = j.ID
		return tx.InsertEvents(e)
	})
	if err != nil {
		t.Fatal(err)
	}

	eventLocked, jobLocked := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 2)
	go func() { // the delivery worker: the event first, then the attempt
		errs <- db.InTx(ctx, func(tx store.Tx) error {
			if _, _, err := tx.EventWithOutbox(e.ID); err != nil {
				return err
			}
			close(eventLocked)
			<-jobLocked
			return tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: e.ID, JobID: j.ID, Attempt: 1, StatusCode: 200})
		})
	}()
	go func() { // the jobs service: the job first, then the job's open events
		errs <- db.InTx(ctx, func(tx store.Tx) error {
			<-eventLocked
			if _, err := tx.Job(j.ID); err != nil {
				return err
			}
			close(jobLocked)
			_, err := tx.FindEvents(j.ID, store.EventFilter{States: []trawl.EventState{trawl.EventPending}, Lock: true})
			return err
		})
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("a transaction failed: %v", err)
		}
	}
}
