package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/postgres/pgtest"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testDB is a migrated database of either kind.
type testDB interface {
	store.Store
	Database
}

// databases runs fn against a fresh SQLite database and, when one is
// configured, a fresh PostgreSQL database.
func databases(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		db := sqlitetest.Open(t)
		fn(t, db)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db, err := postgres.Open(t.Context(), pgtest.URL(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		fn(t, db)
	})
}

// insertJob writes a River job row as it would be after a client's fetch:
// the state, who attempted it last and when it is scheduled.
func insertJob(t *testing.T, db testDB, state rivertype.JobState, attemptedBy []string, scheduledAt time.Time) int64 {
	t.Helper()
	now := time.Now().UTC()
	row, err := db.RiverDriver().GetExecutor().JobInsertFull(t.Context(), &riverdriver.JobInsertFullParams{
		Attempt:     len(attemptedBy),
		AttemptedAt: &now,
		AttemptedBy: attemptedBy,
		CreatedAt:   &now,
		EncodedArgs: []byte(`{}`),
		Kind:        "trawl_test",
		MaxAttempts: 5,
		Metadata:    []byte(`{}`),
		Priority:    1,
		Queue:       "test",
		ScheduledAt: &scheduledAt,
		State:       state,
	})
	if err != nil {
		t.Fatal(err)
	}
	return row.ID
}

func jobState(t *testing.T, db testDB, id int64) rivertype.JobState {
	t.Helper()
	row, err := db.RiverDriver().GetExecutor().JobGetByID(t.Context(), &riverdriver.JobGetByIDParams{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	return row.State
}

// TestRiverSQL runs every statement on River's tables and the nodes table
// against both databases.
func TestRiverSQL(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, db testDB) {
		ctx := t.Context()
		r := newRiverSQL(db.Writer(), db.Postgres())
		for _, id := range []string{"self", "live", "dead"} {
			if err := r.announce(ctx, id, "worker"); err != nil {
				t.Fatal(err)
			}
		}
		// dead last renewed a minute ago.
		if _, err := db.Writer().ExecContext(ctx, r.q(`UPDATE nodes SET renewed_at = renewed_at - ? WHERE id = 'dead'`),
			time.Minute.Microseconds()); err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-time.Hour)
		onSelf := insertJob(t, db, rivertype.JobStateRunning, []string{"dead", "self"}, past)
		onLive := insertJob(t, db, rivertype.JobStateRunning, []string{"dead", "live"}, past)
		onDead := insertJob(t, db, rivertype.JobStateRunning, []string{"live", "dead"}, past)
		onGhost := insertJob(t, db, rivertype.JobStateRunning, []string{"never-announced"}, past)
		due := insertJob(t, db, rivertype.JobStateScheduled, nil, past)
		later := insertJob(t, db, rivertype.JobStateScheduled, nil, time.Now().Add(time.Hour))

		depth, err := r.queueDepth(ctx)
		if err != nil || depth[[2]string{"test", "running"}] != 4 || depth[[2]string{"test", "scheduled"}] != 2 {
			t.Fatalf("queue depth %v, %v", depth, err)
		}

		nodes, err := r.nodes(ctx, DefaultNodeTTL)
		if err != nil {
			t.Fatal(err)
		}
		var alive []string
		for _, n := range nodes {
			if n.Alive {
				alive = append(alive, n.ID)
			}
		}
		slices.Sort(alive)
		if !slices.Equal(alive, []string{"live", "self"}) || len(nodes) != 3 || nodes[2].ID != "dead" || nodes[2].Age < 50*time.Second {
			t.Fatalf("nodes %+v", nodes)
		}

		n, dead, err := r.takeOver(ctx, "self", DefaultNodeTTL)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(dead)
		if n != 2 || !slices.Equal(dead, []string{"dead", "never-announced"}) {
			t.Fatalf("took back %d jobs of %v, want 2 of dead and never-announced", n, dead)
		}
		for id, want := range map[int64]rivertype.JobState{onSelf: "running", onLive: "running", onDead: "available", onGhost: "available"} {
			if got := jobState(t, db, id); got != want {
				t.Errorf("job %d: %s, want %s", id, got, want)
			}
		}
		if n, _, err := r.takeOver(ctx, "self", DefaultNodeTTL); err != nil || n != 0 {
			t.Errorf("a second takeover moved %d jobs (%v), want none", n, err)
		}

		if n, err := r.promoteDue(ctx); err != nil || n != 1 {
			t.Fatalf("promoted %d, %v; want 1", n, err)
		}
		if jobState(t, db, due) != rivertype.JobStateAvailable || jobState(t, db, later) != rivertype.JobStateScheduled {
			t.Errorf("promotion moved the wrong jobs")
		}

		// A node removed by others renews itself back onto the record.
		if err := r.leave(ctx, "live"); err != nil {
			t.Fatal(err)
		}
		if ok, err := r.renew(ctx, "live", "worker"); err != nil || ok {
			t.Errorf("renew after removal: %v, %v; want false, nil", ok, err)
		}
		if ok, err := r.renew(ctx, "live", "worker"); err != nil || !ok {
			t.Errorf("renew: %v, %v; want true", ok, err)
		}
		if nodes, _ := r.nodes(ctx, DefaultNodeTTL); len(nodes) != 3 || !nodes[0].Alive {
			t.Errorf("nodes after renewal %+v", nodes)
		}
	})
}

type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "trawl_engine_test" }

type handler struct{ ran atomic.Int64 }

func (h *handler) AddWorkers(w *river.Workers) {
	river.AddWorker(w, river.WorkFunc(func(context.Context, *river.Job[testArgs]) error {
		h.ran.Add(1)
		return nil
	}))
}

// TestEngineLifecycle builds, starts and stops an engine as trawl serve does,
// enqueues through a store transaction, and checks that the node is on
// record while it runs and off it after.
func TestEngineLifecycle(t *testing.T) {
	t.Parallel()
	databases(t, func(t *testing.T, db testDB) {
		h := &handler{}
		if err := db.InTx(t.Context(), func(tx store.Tx) error {
			return tx.Enqueue(river.InsertManyParams{Args: testArgs{}})
		}); err == nil {
			t.Fatal("a store with no engine enqueued")
		}
		e, err := New(Config{DB: db, Handlers: []Handler{h}, Queues: map[string]int{river.QueueDefault: 2}, NodeID: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := e.Start(t.Context()); err == nil {
			t.Error("a second start succeeded")
		}
		err = db.InTx(t.Context(), func(tx store.Tx) error {
			for i := range 10 {
				if err := tx.Enqueue(river.InsertManyParams{Args: testArgs{N: i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for h.ran.Load() < 10 {
			if time.Now().After(deadline) {
				t.Fatalf("%d of 10 jobs ran", h.ran.Load())
			}
			time.Sleep(10 * time.Millisecond) // polling interval
		}
		nodes, err := e.Nodes(t.Context())
		if err != nil || len(nodes) != 1 || nodes[0].ID != "n1" || !nodes[0].Alive || nodes[0].Role != "all" {
			t.Fatalf("nodes %+v, %v", nodes, err)
		}
		b, _ := json.Marshal(nodes[0])
		if !json.Valid(b) {
			t.Errorf("node JSON %s", b)
		}
		if err := e.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if nodes, err := e.Nodes(t.Context()); err != nil || len(nodes) != 0 {
			t.Errorf("after stop: nodes %+v, %v", nodes, err)
		}
		if err := e.Stop(t.Context()); err != nil {
			t.Errorf("a second stop: %v", err)
		}
	})
}

// TestConfig checks the settings that cannot work together.
func TestConfig(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for name, c := range map[string]Config{
		"no database":          {},
		"ttl below two beats":  {DB: db, Heartbeat: 5 * time.Second, NodeTTL: 9 * time.Second},
		"timeout past rescue":  {DB: db, RescueAfter: time.Minute, JobTimeout: 2 * time.Minute},
		"queue with no worker": {DB: db, Queues: map[string]int{"q": 0}},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
