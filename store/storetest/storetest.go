// Package storetest is the conformance suite every store.Store backend runs,
// so that SQLite and PostgreSQL behave the same.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// Opener returns a fresh, migrated, empty store for one test.
type Opener func(t *testing.T) store.Store

// Run runs the suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, store.Store){
		"APIKeys":                 testAPIKeys,
		"JobsCreateAndRead":       testJobsCreateAndRead,
		"JobsListAndFilter":       testJobsList,
		"JobUpdate":               testJobUpdate,
		"Tasks":                   testTasks,
		"Rows":                    testRows,
		"EventsAndAttempts":       testEventsAndAttempts,
		"RollbackKeepsNothing":    testRollback,
		"EachRow":                 testEachRow,
		"EachRowLargeRows":        testEachRowLargeRows,
		"Settings":                testSettings,
		"WebhookSecrets":          testWebhookSecrets,
		"Outbox":                  testOutbox,
		"DispatchTasks":           testDispatchTasks,
		"DispatchTasksByHost":     testDispatchTasksByHost,
		"DispatchPassesFullHosts": testDispatchPassesFullHosts,
		"SetTasksState":           testSetTasksState,
		"StartTasks":              testStartTasks,
		"ChangeFeed":              testChangeFeed,
		"SecretsAtRest":           testSecretsAtRest,
		"DeliveryBatch":           testDeliveryBatch,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open(t))
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustAccount(t *testing.T, s store.Store, name string) *trawl.Account {
	t.Helper()
	a, err := s.CreateAccount(ctx(t), name)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	return a
}

func mustJob(t *testing.T, s store.Store, accountID int64, mod func(*trawl.Job)) *trawl.Job {
	t.Helper()
	j := &trawl.Job{
		AccountID: accountID,
		Scraper:   "crawler",
		Status:    trawl.StatusPending,
		Input:     json.RawMessage(`{"urls":["https://example.org/"]}`),
		Params:    json.RawMessage(`{"urls":["https://example.org/"],"maxDepth":1}`),
		Webhook:   &trawl.Webhook{URL: "https://hooks.example.org/x", Headers: map[string]string{"X-Token": "t"}},
		Limit:     10,
	}
	if mod != nil {
		mod(j)
	}
	err := s.InTx(ctx(t), func(tx store.Tx) error { return tx.CreateJob(j) })
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	return j
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := trawl.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "acme")
	key := trawl.NewAPIKey()
	k, err := s.CreateAPIKey(ctx(t), a.ID, key)
	if err != nil {
		t.Fatal(err)
	}
	if k.Prefix != trawl.KeyPrefix(key) || k.ID == 0 {
		t.Fatalf("got key %+v, want prefix %q and an id", k, trawl.KeyPrefix(key))
	}
	got, err := s.AccountByAPIKey(ctx(t), key)
	if err != nil || got.ID != a.ID || got.Name != "acme" {
		t.Fatalf("got account %+v, %v; want %d acme", got, err, a.ID)
	}
	_, err = s.AccountByAPIKey(ctx(t), key+"x")
	wantCode(t, err, trawl.EUNAUTHORIZED)

	keys, err := s.APIKeys(ctx(t))
	if err != nil || len(keys) != 1 {
		t.Fatalf("got %d keys, %v; want 1", len(keys), err)
	}
	if err := s.RevokeAPIKey(ctx(t), fmt.Sprint(k.ID)); err != nil {
		t.Fatal(err)
	}
	_, err = s.AccountByAPIKey(ctx(t), key)
	wantCode(t, err, trawl.EUNAUTHORIZED)
	wantCode(t, s.RevokeAPIKey(ctx(t), fmt.Sprint(k.ID)), trawl.ENOTFOUND)
	if ok, err := s.APIKeyExists(ctx(t), key); ok || err != nil {
		t.Fatalf("revoked key exists = %v, %v; want false", ok, err)
	}
}

func testJobsCreateAndRead(t *testing.T, s store.Store) {
	a, b := mustAccount(t, s, "a"), mustAccount(t, s, "b")
	j := mustJob(t, s, a.ID, nil)
	if j.ID == 0 || j.CreatedAt.IsZero() {
		t.Fatalf("created job has no id or time: %+v", j)
	}
	got, err := s.Job(ctx(t), a.ID, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(j, got); diff != "" {
		t.Errorf("job read back differs (-created +read):\n%s", diff)
	}
	_, err = s.Job(ctx(t), b.ID, j.ID)
	wantCode(t, err, trawl.ENOTFOUND)
	_, err = s.Job(ctx(t), a.ID, j.ID+1000)
	wantCode(t, err, trawl.ENOTFOUND)
	if _, err := s.Job(ctx(t), 0, j.ID); err != nil {
		t.Fatalf("any-account read: %v", err)
	}
	none := mustJob(t, s, a.ID, func(j *trawl.Job) { j.Webhook = nil })
	if got, _ := s.Job(ctx(t), a.ID, none.ID); got.Webhook != nil {
		t.Errorf("got webhook %+v, want nil", got.Webhook)
	}
}

func testJobsList(t *testing.T, s store.Store) {
	a, b := mustAccount(t, s, "a"), mustAccount(t, s, "b")
	var ids []int64
	for i := range 5 {
		j := mustJob(t, s, a.ID, func(j *trawl.Job) {
			if i%2 == 1 {
				j.Status = trawl.StatusFinished
			}
		})
		ids = append(ids, j.ID)
	}
	mustJob(t, s, b.ID, nil)
	list, total, err := s.Jobs(ctx(t), store.JobFilter{AccountID: a.ID, Limit: 2, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(list) != 2 || list[0].ID != ids[3] || list[1].ID != ids[2] {
		t.Fatalf("got total %d and %d jobs (first %v), want 5 and jobs %d, %d newest first", total, len(list), list, ids[3], ids[2])
	}
	list, total, err = s.Jobs(ctx(t), store.JobFilter{AccountID: a.ID, Status: trawl.StatusFinished, Limit: 10})
	if err != nil || total != 2 || len(list) != 2 {
		t.Fatalf("finished filter: got total %d, %d jobs, %v; want 2", total, len(list), err)
	}
	// Keyset paging: the jobs before one id, whatever was created since.
	mustJob(t, s, a.ID, nil)
	list, _, err = s.Jobs(ctx(t), store.JobFilter{AccountID: a.ID, BeforeID: ids[3], Limit: 2})
	if err != nil || len(list) != 2 || list[0].ID != ids[2] || list[1].ID != ids[1] {
		t.Fatalf("before job %d: got %v, %v; want jobs %d, %d", ids[3], list, err, ids[2], ids[1])
	}
}

func testJobUpdate(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		got, err := tx.Job(j.ID)
		if err != nil {
			return err
		}
		now := got.CreatedAt.Add(1500)
		got.Status, got.StopReason, got.StartedAt, got.FinishedAt = trawl.StatusFinished, trawl.StopReasonLimit, &now, &now
		got.CreditsSpent, got.DataRowsCount = 7, 3
		return tx.UpdateJob(got)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Job(ctx(t), a.ID, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != trawl.StatusFinished || got.StopReason != trawl.StopReasonLimit || got.CreditsSpent != 7 ||
		got.DataRowsCount != 3 || got.StartedAt == nil || got.FinishedAt == nil {
		t.Fatalf("update not kept: %+v", got)
	}
	err = s.InTx(ctx(t), func(tx store.Tx) error { return tx.UpdateJob(&trawl.Job{ID: j.ID + 99, Status: trawl.StatusFailed}) })
	wantCode(t, err, trawl.ENOTFOUND)
}

func testTasks(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	var first []*trawl.Task
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		first, err = tx.InsertTasks(j.ID, []trawl.TaskSpec{{Key: "a", Payload: json.RawMessage(`{"n":1}`)}, {Key: "b"}})
		if err != nil {
			return err
		}
		again, err := tx.InsertTasks(j.ID, []trawl.TaskSpec{{Key: "b"}, {Key: "c"}})
		if err != nil {
			return err
		}
		if len(again) != 1 || again[0].Key != "c" {
			return fmt.Errorf("second insert returned %v, want only c", again)
		}
		open, err := tx.HasOpenTasks(j.ID)
		if err != nil || !open {
			return fmt.Errorf("open = %v, %v; want true", open, err)
		}
		if ok, err := tx.SetTaskState(first[0].ID, trawl.TaskRunning, trawl.TaskPending); !ok || err != nil {
			return fmt.Errorf("claim: %v, %v", ok, err)
		}
		if ok, _ := tx.SetTaskState(first[0].ID, trawl.TaskDone, trawl.TaskPending); ok {
			return errors.New("moved a running task from pending")
		}
		n, err := tx.CancelPendingTasks(j.ID)
		if err != nil || n != 2 {
			return fmt.Errorf("cancelled %d, %v; want 2", n, err)
		}
		if open, _ := tx.HasOpenTasks(j.ID); !open {
			return errors.New("the running task should keep the job open")
		}
		if ok, err := tx.SetTaskState(first[0].ID, trawl.TaskDone, trawl.TaskRunning); !ok || err != nil {
			return fmt.Errorf("done: %v, %v", ok, err)
		}
		if open, _ := tx.HasOpenTasks(j.ID); open {
			return errors.New("no task is open any more")
		}
		got, err := tx.Job(j.ID)
		if err != nil || got.TaskCount != 3 {
			return fmt.Errorf("task count %d, %v; want 3", got.TaskCount, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Task(ctx(t), first[0].ID)
	if err != nil || got.State != trawl.TaskDone || string(got.Payload) != `{"n":1}` || got.Key != "a" {
		t.Fatalf("got task %+v, %v", got, err)
	}
	if got, _ := s.Task(ctx(t), first[1].ID); string(got.Payload) != `{}` {
		t.Errorf("got payload %s, want {} for a task without one", got.Payload)
	}
}

func testRows(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	for batch := range 3 {
		err := s.InTx(ctx(t), func(tx store.Tx) error {
			job, err := tx.Job(j.ID)
			if err != nil {
				return err
			}
			var data []json.RawMessage
			for i := range 4 {
				data = append(data, json.RawMessage(fmt.Sprintf(`{"n":%d}`, batch*4+i+1)))
			}
			rows, err := tx.InsertRows(job, data)
			if err != nil {
				return err
			}
			if rows[0].Seq != job.DataRowsCount+1 {
				return fmt.Errorf("first seq %d, want %d", rows[0].Seq, job.DataRowsCount+1)
			}
			job.DataRowsCount += int64(len(rows))
			return tx.UpdateJob(job)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, total, err := s.Rows(ctx(t), j.ID, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, string(r.Data))
	}
	if diff := cmp.Diff([]string{`{"n":6}`, `{"n":7}`, `{"n":8}`, `{"n":9}`}, got); total != 12 || diff != "" {
		t.Fatalf("page 2 of 4: total %d (want 12), rows (-want +got):\n%s", total, diff)
	}
	if rows, _, _ := s.Rows(ctx(t), j.ID, 12, 4); len(rows) != 0 {
		t.Errorf("past the end: got %d rows, want 0", len(rows))
	}
	_, _, err = s.Rows(ctx(t), j.ID+100, 0, 10)
	wantCode(t, err, trawl.ENOTFOUND)
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		after, err := tx.RowsAfter(j.ID, 10, 100)
		if err != nil || len(after) != 2 || after[0].Seq != 11 || after[0].ID == "" {
			return fmt.Errorf("rows after 10: %v, %v", after, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testEventsAndAttempts(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	var ids []string
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		for _, typ := range []string{trawl.EventJobStarted, trawl.EventDataScraped, trawl.EventJobFinished} {
			e := &trawl.Event{ID: trawl.NewUUID(), AccountID: a.ID, JobID: j.ID, Type: typ, Payload: json.RawMessage(`{"event":"` + typ + `"}`)}
			if err := tx.InsertEvents(e); err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.Events(ctx(t), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.ID)
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Fatalf("events not in creation order (-want +got):\n%s", diff)
	}
	e, err := s.Event(ctx(t), ids[1])
	if err != nil || e.Type != trawl.EventDataScraped || string(e.Payload) != `{"event":"scraper.data.scraped"}` {
		t.Fatalf("got event %+v, %v", e, err)
	}
	_, err = s.Event(ctx(t), "nope")
	wantCode(t, err, trawl.ENOTFOUND)

	at := &trawl.DeliveryAttempt{EventID: ids[0], JobID: j.ID, Attempt: 1, StatusCode: 500, ErrorClass: "http_status",
		Error: "HTTP 500", Duration: 1500000, ResponseExcerpt: "oops"}
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		if err := tx.RecordAttempt(at); err != nil {
			return err
		}
		e, err := tx.Event(ids[0])
		if err != nil {
			return err
		}
		if e.State != trawl.EventPending || e.Attempts != 0 {
			return fmt.Errorf("new event: state %q, attempts %d", e.State, e.Attempts)
		}
		when := e.CreatedAt.Add(3000)
		e.State, e.Attempts, e.DeliveredAt = trawl.EventDelivered, 2, &when
		return tx.UpdateEvent(e)
	})
	if err != nil || at.ID == 0 {
		t.Fatalf("record attempt: %v (id %d)", err, at.ID)
	}
	if e, _ := s.Event(ctx(t), ids[0]); e.State != trawl.EventDelivered || e.Attempts != 2 || e.DeliveredAt == nil {
		t.Errorf("event after update: %+v", e)
	}
	for range 4 {
		err := s.InTx(ctx(t), func(tx store.Tx) error {
			return tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: ids[1], JobID: j.ID, Attempt: 1, StatusCode: 200})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := s.Attempts(ctx(t), j.ID, 0, 2)
	if err != nil || len(list) != 2 || total != 5 {
		t.Fatalf("got %d attempts of %d, %v; want 2 of 5", len(list), total, err)
	}
	want := *at
	want.CreatedAt = list[0].CreatedAt
	want.EventType, want.EventState = trawl.EventJobStarted, trawl.EventDelivered
	if diff := cmp.Diff(&want, list[0]); diff != "" {
		t.Errorf("attempt read back differs (-want +got):\n%s", diff)
	}
	if list, _, _ := s.Attempts(ctx(t), j.ID, 4, 10); len(list) != 1 || list[0].EventID != ids[1] {
		t.Errorf("last page of attempts: %v", list)
	}
}

func testWebhookSecrets(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	if !strings.HasPrefix(a.WebhookSecret, trawl.WebhookSecretPrefix) {
		t.Fatalf("new account secret %q", a.WebhookSecret)
	}
	got, err := s.Account(ctx(t), a.ID)
	if err != nil || got.WebhookSecret != a.WebhookSecret || len(got.PreviousSecrets) != 0 {
		t.Fatalf("got %+v, %v", got, err)
	}
	next := trawl.NewWebhookSecret()
	until := time.Now().Add(24 * time.Hour).Truncate(time.Microsecond)
	rotated, err := s.RotateWebhookSecret(ctx(t), a.ID, next, until)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.WebhookSecret != next || len(rotated.PreviousSecrets) != 1 || rotated.PreviousSecrets[0].Secret != a.WebhookSecret ||
		!rotated.PreviousSecrets[0].ExpiresAt.Equal(until) {
		t.Fatalf("rotated account %+v", rotated)
	}
	if got := rotated.SigningSecrets(until.Add(-time.Second)); len(got) != 2 {
		t.Errorf("during the overlap: %d secrets, want 2", len(got))
	}
	if got := rotated.SigningSecrets(until); len(got) != 1 || got[0] != next {
		t.Errorf("after the overlap: %v, want only the new secret", got)
	}
	// A second rotation within the overlap keeps the first secret signing
	// until its own end.
	third := trawl.NewWebhookSecret()
	until2 := until.Add(time.Hour)
	again, err := s.RotateWebhookSecret(ctx(t), a.ID, third, until2)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Account(ctx(t), a.ID); got == nil || !cmp.Equal(got.PreviousSecrets, again.PreviousSecrets) {
		t.Fatalf("read back %+v, want the previous secrets %+v", got, again.PreviousSecrets)
	}
	if diff := cmp.Diff([]string{third, next, a.WebhookSecret}, again.SigningSecrets(until.Add(-time.Second))); diff != "" {
		t.Errorf("after two rotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{third, next}, again.SigningSecrets(until)); diff != "" {
		t.Errorf("after the first overlap (-want +got):\n%s", diff)
	}
	key := trawl.NewAPIKey()
	if _, err := s.CreateAPIKey(ctx(t), a.ID, key); err != nil {
		t.Fatal(err)
	}
	if byKey, err := s.AccountByAPIKey(ctx(t), key); err != nil || byKey.WebhookSecret != third {
		t.Errorf("account by key: %+v, %v", byKey, err)
	}
	_, err = s.RotateWebhookSecret(ctx(t), a.ID+100, next, until)
	wantCode(t, err, trawl.ENOTFOUND)
}

func testRollback(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	boom := errors.New("boom")
	var id int64
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		j := &trawl.Job{AccountID: a.ID, Scraper: "crawler", Status: trawl.StatusPending, Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`)}
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		id = j.ID
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the callback's error", err)
	}
	_, err = s.Job(ctx(t), a.ID, id)
	wantCode(t, err, trawl.ENOTFOUND)
}

func testOutbox(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	gone := time.Now().UTC().Truncate(time.Microsecond)
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		o, err := tx.Outbox(j.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(&trawl.Outbox{JobID: j.ID}, o); diff != "" {
			return fmt.Errorf("new job's outbox (-want +got):\n%s", diff)
		}
		o.RowsEventedSeq, o.FlushScheduled, o.FinishWritten, o.GoneAt, o.Waiting = 4, true, true, &gone, 2
		return tx.UpdateOutbox(o)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		o, err := tx.Outbox(j.ID)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(&trawl.Outbox{JobID: j.ID, RowsEventedSeq: 4, FlushScheduled: true, FinishWritten: true, GoneAt: &gone, Waiting: 2}, o); diff != "" {
			return fmt.Errorf("outbox read back (-want +got):\n%s", diff)
		}
		for i, st := range []trawl.EventState{trawl.EventDelivered, trawl.EventWaiting, trawl.EventPending} {
			e := &trawl.Event{ID: fmt.Sprintf("e%d-%d", j.ID, i), AccountID: a.ID, JobID: j.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{}`), State: st}
			if err := tx.InsertEvents(e); err != nil {
				return err
			}
		}
		open, err := tx.FindEvents(j.ID, store.EventFilter{States: []trawl.EventState{trawl.EventWaiting, trawl.EventPending}})
		if err != nil {
			return err
		}
		if len(open) != 2 || open[0].State != trawl.EventWaiting || open[1].State != trawl.EventPending || open[0].Seq >= open[1].Seq {
			return fmt.Errorf("open events: %+v", open)
		}
		first, err := tx.FindEvents(j.ID, store.EventFilter{States: []trawl.EventState{trawl.EventPending, trawl.EventWaiting}, Limit: 1})
		if err != nil || len(first) != 1 || first[0].ID != open[0].ID {
			return fmt.Errorf("first open event: %+v, %v", first, err)
		}
		if none, err := tx.FindEvents(j.ID, store.EventFilter{States: []trawl.EventState{trawl.EventPending}, Type: trawl.EventJobFinished}); err != nil || len(none) != 0 {
			return fmt.Errorf("pending finished events: %+v, %v", none, err)
		}
		if none, err := tx.FindEvents(j.ID, store.EventFilter{States: []trawl.EventState{trawl.EventPending}, ExceptType: trawl.EventJobStarted}); err != nil || len(none) != 0 {
			return fmt.Errorf("pending events but started: %+v, %v", none, err)
		}
		if _, err := tx.FindEvents(j.ID, store.EventFilter{}); err == nil {
			return errors.New("a filter with no state was accepted")
		}
		e, o, err := tx.EventWithOutbox(open[1].ID)
		if err != nil || e.ID != open[1].ID || e.State != trawl.EventPending || o.JobID != j.ID || o.Waiting != 2 || o.GoneAt == nil {
			return fmt.Errorf("event with outbox: %+v %+v %v", e, o, err)
		}
		if _, _, err := tx.EventWithOutbox("nope"); trawl.ErrorCode(err) != trawl.ENOTFOUND {
			return fmt.Errorf("missing event with outbox: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		if _, err := tx.Outbox(j.ID + 100); trawl.ErrorCode(err) != trawl.ENOTFOUND {
			return fmt.Errorf("outbox of a missing job: %v", err)
		}
		return tx.UpdateOutbox(&trawl.Outbox{JobID: j.ID + 100})
	})
	wantCode(t, err, trawl.ENOTFOUND)

	d, err := s.Delivery(ctx(t), fmt.Sprintf("e%d-2", j.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].State != trawl.EventPending || d.Job.ID != j.ID || d.Job.Webhook == nil || d.Account.ID != a.ID ||
		d.Account.WebhookSecret != a.WebhookSecret || d.GoneAt == nil || !d.GoneAt.Equal(gone) {
		t.Fatalf("delivery: %+v %+v %+v %v", d.Events, d.Job, d.Account, d.GoneAt)
	}
	_, err = s.Delivery(ctx(t), "nope")
	wantCode(t, err, trawl.ENOTFOUND)
}

func testDispatchTasks(t *testing.T, s store.Store) {
	a, b := mustAccount(t, s, "a"), mustAccount(t, s, "b")
	j1, j2, jb := mustJob(t, s, a.ID, nil), mustJob(t, s, a.ID, nil), mustJob(t, s, b.ID, nil)
	specs := func(n int) []trawl.TaskSpec {
		var out []trawl.TaskSpec
		for i := range n {
			out = append(out, trawl.TaskSpec{Key: fmt.Sprint(i)})
		}
		return out
	}
	jobsOf := func(tasks []*trawl.Task) []int64 {
		var out []int64
		for _, t := range tasks {
			out = append(out, t.JobID)
		}
		return out
	}
	var first []*trawl.Task
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		for _, j := range []*trawl.Job{j1, j2, jb} {
			if _, err := tx.InsertTasks(j.ID, specs(10)); err != nil {
				return err
			}
		}
		var err error
		if first, err = tx.DispatchTasks(a.ID, 6, 2, nil); err != nil {
			return err
		}
		if diff := cmp.Diff([]int64{j1.ID, j1.ID, j2.ID, j2.ID, j1.ID, j1.ID}, jobsOf(first)); diff != "" {
			return fmt.Errorf("first dispatch, by job (-want +got):\n%s", diff)
		}
		if more, err := tx.DispatchTasks(a.ID, 6, 2, nil); err != nil || len(more) != 0 {
			return fmt.Errorf("dispatch with no free slot: %d tasks, %v", len(more), err)
		}
		// Two tasks end: two slots, and it is job 2's turn.
		for _, task := range first[:2] {
			if _, err := tx.SetTaskState(task.ID, trawl.TaskDone, trawl.TaskPending); err != nil {
				return err
			}
		}
		next, err := tx.DispatchTasks(a.ID, 6, 2, nil)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]int64{j2.ID, j2.ID}, jobsOf(next)); diff != "" {
			return fmt.Errorf("second dispatch, by job (-want +got):\n%s", diff)
		}
		// Another account has its own share.
		other, err := tx.DispatchTasks(b.ID, 3, 8, nil)
		if err != nil || len(other) != 3 || other[0].JobID != jb.ID {
			return fmt.Errorf("account b: %v, %v", jobsOf(other), err)
		}
		// A stopped job's waiting tasks free their slots and are never dispatched.
		if _, err := tx.CancelPendingTasks(j1.ID); err != nil {
			return err
		}
		rest, err := tx.DispatchTasks(a.ID, 6, 2, nil)
		if err != nil {
			return err
		}
		for _, task := range rest {
			if task.JobID != j2.ID {
				return fmt.Errorf("dispatched task %d of the stopped job", task.ID)
			}
		}
		if len(rest) != 2 {
			return fmt.Errorf("after the stop: %d tasks of job 2 dispatched, want the 2 slots its tasks freed", len(rest))
		}
		_, err = tx.DispatchTasks(a.ID+100, 1, 1, nil)
		if trawl.ErrorCode(err) != trawl.ENOTFOUND {
			return fmt.Errorf("missing account: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testDispatchTasksByHost: an account's tasks of one host are queued only
// while fewer than the host's limit of them are queued or running; tasks of
// other hosts, and tasks with no host, go past them.
func testDispatchTasksByHost(t *testing.T, s store.Store) {
	a, b := mustAccount(t, s, "a"), mustAccount(t, s, "b")
	j1, j2, jb := mustJob(t, s, a.ID, nil), mustJob(t, s, a.ID, nil), mustJob(t, s, b.ID, nil)
	specs := func(host string, n int) []trawl.TaskSpec {
		var out []trawl.TaskSpec
		for i := range n {
			out = append(out, trawl.TaskSpec{Key: fmt.Sprintf("%s#%d", host, i), Host: host})
		}
		return out
	}
	limits := map[string]int{"slow:80": 2, "fast:80": 5}
	hostLimit := func(h string) int { return limits[h] }
	count := func(tasks []*trawl.Task) map[string]int {
		out := map[string]int{}
		for _, t := range tasks {
			host, _, _ := strings.Cut(t.Key, "#")
			out[host]++
		}
		return out
	}
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		for _, in := range []struct {
			job  *trawl.Job
			spec []trawl.TaskSpec
		}{{j1, specs("slow:80", 10)}, {j1, specs("fast:80", 10)}, {j2, specs("slow:80", 10)}, {j2, specs("", 3)}, {jb, specs("slow:80", 10)}} {
			if _, err := tx.InsertTasks(in.job.ID, in.spec); err != nil {
				return err
			}
		}
		first, err := tx.DispatchTasks(a.ID, 20, 4, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(map[string]int{"slow:80": 2, "fast:80": 5, "": 3}, count(first)); diff != "" {
			return fmt.Errorf("first dispatch, by host (-want +got):\n%s", diff)
		}
		if more, err := tx.DispatchTasks(a.ID, 20, 4, hostLimit); err != nil || len(more) != 0 {
			return fmt.Errorf("dispatch with every host full: %v, %v", count(more), err)
		}
		// Another account has its own room on the same host.
		other, err := tx.DispatchTasks(b.ID, 20, 4, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(map[string]int{"slow:80": 2}, count(other)); diff != "" {
			return fmt.Errorf("account b, by host (-want +got):\n%s", diff)
		}
		// A slow task ends: one more slow task goes.
		for _, task := range first {
			if strings.HasPrefix(task.Key, "slow:80#") {
				if _, err := tx.SetTaskState(task.ID, trawl.TaskDone, trawl.TaskPending); err != nil {
					return err
				}
				break
			}
		}
		next, err := tx.DispatchTasks(a.ID, 20, 4, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(map[string]int{"slow:80": 1}, count(next)); diff != "" {
			return fmt.Errorf("after a slow task ended, by host (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testDispatchPassesFullHosts: jobs whose tasks all wait for a full host
// are passed over, and the tasks of open hosts behind them go, both with a
// few open hosts (looked up by name) and with more than a dispatch looks up
// by name (the full ones stepped over).
func testDispatchPassesFullHosts(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	hostLimit := func(h string) int {
		if h == "busy:80" {
			return 1
		}
		return 2
	}
	byHost := func(tasks []*trawl.Task) map[string]int {
		out := map[string]int{}
		for _, t := range tasks {
			host, _, _ := strings.Cut(t.Key, "#")
			out[host]++
		}
		return out
	}
	var jobs []*trawl.Job
	for range 92 {
		jobs = append(jobs, mustJob(t, s, a.ID, nil))
	}
	addJob := func(tx store.Tx, hosts ...string) error {
		j := jobs[0]
		jobs = jobs[1:]
		var specs []trawl.TaskSpec
		for _, h := range hosts {
			for i := range 3 {
				specs = append(specs, trawl.TaskSpec{Key: fmt.Sprintf("%s#%d", h, i), Host: h})
			}
		}
		_, err := tx.InsertTasks(j.ID, specs)
		return err
	}
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		for range 50 {
			if err := addJob(tx, "busy:80"); err != nil {
				return err
			}
		}
		got, err := tx.DispatchTasks(a.ID, 100, 10, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(map[string]int{"busy:80": 1}, byHost(got)); diff != "" {
			return fmt.Errorf("first dispatch (-want +got):\n%s", diff)
		}
		// A few open hosts behind the waiting jobs.
		if err := addJob(tx, "busy:80", "one:80"); err != nil {
			return err
		}
		if err := addJob(tx, "two:80"); err != nil {
			return err
		}
		got, err = tx.DispatchTasks(a.ID, 100, 10, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(map[string]int{"one:80": 2, "two:80": 2}, byHost(got)); diff != "" {
			return fmt.Errorf("few open hosts (-want +got):\n%s", diff)
		}
		// More open hosts than a dispatch names, each job of one.
		want := map[string]int{}
		for i := range 40 {
			h := fmt.Sprintf("h%02d:80", i)
			want[h] = 2
			if err := addJob(tx, h); err != nil {
				return err
			}
		}
		got, err = tx.DispatchTasks(a.ID, 100, 10, hostLimit)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, byHost(got)); diff != "" {
			return fmt.Errorf("many open hosts (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testSetTasksState moves several tasks at once, only those in a from state,
// and InsertTasks skips keys the job has, and repeated keys, in one call.
func testSetTasksState(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		tasks, err := tx.InsertTasks(j.ID, []trawl.TaskSpec{{Key: "a"}, {Key: "b"}, {Key: "a"}, {Key: "c"}})
		if err != nil {
			return err
		}
		if len(tasks) != 3 || tasks[0].Key != "a" || tasks[1].Key != "b" || tasks[2].Key != "c" {
			return fmt.Errorf("inserted %+v, want a, b, c", tasks)
		}
		again, err := tx.InsertTasks(j.ID, []trawl.TaskSpec{{Key: "b"}, {Key: "d"}})
		if err != nil || len(again) != 1 || again[0].Key != "d" || again[0].ID == 0 {
			return fmt.Errorf("insert b and d again: %+v, %v; want only d", again, err)
		}
		if _, err := tx.SetTaskState(tasks[0].ID, trawl.TaskRunning); err != nil {
			return err
		}
		if _, err := tx.SetTaskState(tasks[1].ID, trawl.TaskRunning); err != nil {
			return err
		}
		moved, err := tx.SetTasksState([]int64{tasks[0].ID, tasks[1].ID, tasks[2].ID}, trawl.TaskDone, trawl.TaskRunning)
		if err != nil {
			return err
		}
		slices.Sort(moved)
		if diff := cmp.Diff([]int64{tasks[0].ID, tasks[1].ID}, moved); diff != "" {
			return fmt.Errorf("moved (-want +got):\n%s", diff)
		}
		if got, err := tx.Task(tasks[2].ID); err != nil || got.State != trawl.TaskPending {
			return fmt.Errorf("task c: %+v, %v; want it pending", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testStartTasks moves pending and running tasks to running in one call,
// and leaves done, cancelled and missing ones out.
func testStartTasks(t *testing.T, s store.Store) {
	a := mustAccount(t, s, "a")
	j := mustJob(t, s, a.ID, nil)
	var tasks []*trawl.Task
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		if tasks, err = tx.InsertTasks(j.ID, []trawl.TaskSpec{{Key: "pending"}, {Key: "other"}, {Key: "done"}, {Key: "cancelled"}}); err != nil {
			return err
		}
		if _, err = tx.SetTaskState(tasks[2].ID, trawl.TaskDone); err != nil {
			return err
		}
		_, err = tx.SetTaskState(tasks[3].ID, trawl.TaskCancelled)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{tasks[0].ID, tasks[1].ID, tasks[2].ID, tasks[3].ID, tasks[3].ID + 100}
	for range 2 { // pending, then running again (a retry)
		got, err := s.StartTasks(ctx(t), ids)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]trawl.TaskState{}
		for _, task := range got {
			keys[task.Key] = task.State
		}
		want := map[string]trawl.TaskState{"pending": trawl.TaskRunning, "other": trawl.TaskRunning}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Fatalf("StartTasks (-want +got):\n%s", diff)
		}
	}
	if got, err := s.StartTasks(ctx(t), nil); err != nil || len(got) != 0 {
		t.Errorf("StartTasks of nothing: %v, %v", got, err)
	}
}
