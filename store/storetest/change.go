package storetest

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// testChangeFeed checks the reads the change stream polls: each is scoped to
// one account, ordered by time and bounded by since and limit.
func testChangeFeed(t *testing.T, s store.Store) {
	a, b := mustAccount(t, s, "a"), mustAccount(t, s, "b")
	start := time.Now().Add(-time.Minute)
	ja := mustJob(t, s, a.ID, nil)
	jb := mustJob(t, s, b.ID, nil)
	ja2 := mustJob(t, s, a.ID, nil)

	jobs, err := s.JobsChangedSince(ctx(t), a.ID, start, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != ja.ID || jobs[1].ID != ja2.ID {
		t.Fatalf("changed jobs of account a: got %v, want jobs %d and %d", jobIDs(jobs), ja.ID, ja2.ID)
	}
	if jobs, _ := s.JobsChangedSince(ctx(t), a.ID, start, 1); len(jobs) != 1 {
		t.Errorf("limit 1: got %d jobs", len(jobs))
	}
	if jobs, _ := s.JobsChangedSince(ctx(t), a.ID, jobs[1].UpdatedAt, 10); len(jobs) != 0 {
		t.Errorf("since the last change: got %v, want none", jobIDs(jobs))
	}

	// Changing the first job moves it after the second.
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		j, err := tx.Job(ja.ID)
		if err != nil {
			return err
		}
		j.Status = trawl.StatusInProgress
		return tx.UpdateJob(j)
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err = s.JobsChangedSince(ctx(t), a.ID, start, 10)
	if err != nil || len(jobs) != 2 || jobs[1].ID != ja.ID || jobs[1].Status != trawl.StatusInProgress {
		t.Fatalf("after an update: got %v, %v; want job %d last, in progress", jobIDs(jobs), err, ja.ID)
	}

	// Events and attempts of both accounts; each account sees its own.
	var evA, evB *trawl.Event
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		evA = &trawl.Event{ID: trawl.NewUUID(), AccountID: a.ID, JobID: ja.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{"a":1}`)}
		evB = &trawl.Event{ID: trawl.NewUUID(), AccountID: b.ID, JobID: jb.ID, Type: trawl.EventJobStarted, Payload: json.RawMessage(`{"b":1}`)}
		if err := tx.InsertEvents(evA); err != nil {
			return err
		}
		if err := tx.InsertEvents(evB); err != nil {
			return err
		}
		if err := tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: evA.ID, JobID: ja.ID, Attempt: 1, StatusCode: 500, ErrorClass: "http_status"}); err != nil {
			return err
		}
		return tx.RecordAttempt(&trawl.DeliveryAttempt{EventID: evB.ID, JobID: jb.ID, Attempt: 1, StatusCode: 200})
	})
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.EventsSince(ctx(t), a.ID, start, 10)
	if err != nil || len(events) != 1 || events[0].ID != evA.ID || string(events[0].Payload) != `{"a":1}` {
		t.Fatalf("events of account a: got %+v, %v; want only %s", events, err, evA.ID)
	}
	if events, _ := s.EventsSince(ctx(t), a.ID, events[0].CreatedAt, 10); len(events) != 0 {
		t.Errorf("events since the last one: got %d, want none", len(events))
	}
	attempts, err := s.AttemptsSince(ctx(t), a.ID, start, 10)
	if err != nil || len(attempts) != 1 || attempts[0].EventID != evA.ID || attempts[0].EventType != trawl.EventJobStarted ||
		attempts[0].StatusCode != 500 || attempts[0].EventState != trawl.EventPending {
		t.Fatalf("attempts of account a: got %+v, %v", attempts, err)
	}
	if attempts, _ := s.AttemptsSince(ctx(t), b.ID, attempts[0].CreatedAt.Add(time.Hour), 10); len(attempts) != 0 {
		t.Errorf("attempts of b in the future: got %d", len(attempts))
	}

	// Task progress: ended tasks of all so far.
	if done, total, err := s.TaskProgress(ctx(t), ja.ID); err != nil || done != 0 || total != 0 {
		t.Errorf("progress of a job without tasks: %d of %d, %v", done, total, err)
	}
	err = s.InTx(ctx(t), func(tx store.Tx) error {
		tasks, err := tx.InsertTasks(ja.ID, []trawl.TaskSpec{{Key: "a", Payload: json.RawMessage(`{}`)}, {Key: "b", Payload: json.RawMessage(`{}`)},
			{Key: "c", Payload: json.RawMessage(`{}`)}})
		if err != nil {
			return err
		}
		if _, err := tx.SetTaskState(tasks[0].ID, trawl.TaskDone, trawl.TaskPending); err != nil {
			return err
		}
		_, err = tx.SetTaskState(tasks[1].ID, trawl.TaskCancelled, trawl.TaskPending)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if done, total, err := s.TaskProgress(ctx(t), ja.ID); err != nil || done != 2 || total != 3 {
		t.Errorf("progress: %d of %d, %v; want 2 of 3", done, total, err)
	}

	// API keys, per account, revoked ones included.
	k1, err := s.CreateAPIKey(ctx(t), a.ID, "trawl_aaaaaa_feed_key_one_0000000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIKey(ctx(t), b.ID, "trawl_bbbbbb_feed_key_two_0000000"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIKey(ctx(t), a.ID, "trawl_cccccc_feed_key_three_00000"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx(t), strconv.FormatInt(k1.ID, 10)); err != nil {
		t.Fatal(err)
	}
	keys, err := s.AccountAPIKeys(ctx(t), a.ID)
	if err != nil || len(keys) != 2 || keys[0].ID != k1.ID || keys[0].RevokedAt == nil || keys[1].RevokedAt != nil {
		t.Fatalf("keys of account a: got %+v, %v; want two, the first revoked", keys, err)
	}
	for _, k := range keys {
		if k.AccountID != a.ID {
			t.Errorf("key %d of account %d listed for account %d", k.ID, k.AccountID, a.ID)
		}
	}
}

func jobIDs(jobs []*trawl.Job) []int64 {
	var out []int64
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}
