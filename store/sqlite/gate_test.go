package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/trawlhq/trawl/store"
)

// queued waits until the gate has n waiters.
func queued(t *testing.T, g *writeGate, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got := len(g.foreground) + len(g.background)
		g.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("the gate never had %d waiters", n)
}

// TestGateOrder: the gate goes to foreground waiters first, and to each kind
// in the order it arrived.
func TestGateOrder(t *testing.T) {
	g := &writeGate{}
	if err := g.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	wait := func(name string, ctx context.Context, before int) {
		wg.Go(func() {
			if err := g.acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			g.release()
		})
		queued(t, g, before+1)
	}
	bg, fg := t.Context(), store.Foreground(t.Context())
	wait("background 1", bg, 0)
	wait("background 2", bg, 1)
	wait("foreground 1", fg, 2)
	wait("background 3", bg, 3)
	wait("foreground 2", fg, 4)
	g.release()
	wg.Wait()
	want := []string{"foreground 1", "foreground 2", "background 1", "background 2", "background 3"}
	if !slices.Equal(order, want) {
		t.Errorf("order = %q, want %q", order, want)
	}
	if _, _, held := g.stats(); held {
		t.Error("the gate is still held after every waiter left")
	}
}

// TestGateCancel: a waiter whose context ends leaves the queue, and the gate
// still passes to the next one.
func TestGateCancel(t *testing.T) {
	g := &writeGate{}
	if err := g.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	gave := make(chan error, 1)
	go func() { gave <- g.acquire(ctx) }()
	queued(t, g, 1)
	next := make(chan error, 1)
	go func() { next <- g.acquire(t.Context()) }()
	queued(t, g, 2)
	cancel()
	if err := <-gave; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}
	queued(t, g, 1)
	g.release()
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	g.release()
	if _, _, held := g.stats(); held {
		t.Error("the gate is held with nobody in it")
	}
}

func openMigrated(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestForegroundWritesFirst: with a transaction writing and background
// transactions and statements waiting, a foreground transaction writes
// next, the others in the order they came, and none finds the database
// locked.
func TestForegroundWritesFirst(t *testing.T) {
	db := openMigrated(t)
	bg, fg := t.Context(), store.Foreground(t.Context())
	if _, err := db.Write.ExecContext(bg, `CREATE TABLE turns (id INTEGER PRIMARY KEY, who TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	insertTx := func(ctx context.Context, who string) error {
		tx, err := db.Write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO turns (who) VALUES (?)`, who); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	holding, err := db.Write.BeginTx(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holding.Exec(`INSERT INTO turns (who) VALUES ('first')`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var want []string
	start := func(who string, write func() error) {
		wg.Go(func() {
			if err := write(); err != nil {
				t.Errorf("%s: %v", who, err)
			}
		})
		queued(t, db.gate, len(want))
	}
	for i := range 6 {
		who := fmt.Sprintf("background %d", i)
		want = append(want, who)
		if i%2 == 0 {
			start(who, func() error { return insertTx(bg, who) })
		} else {
			start(who, func() error {
				_, err := db.Write.ExecContext(bg, `INSERT INTO turns (who) VALUES (?)`, who)
				return err
			})
		}
	}
	want = append([]string{"foreground"}, want...)
	start("foreground", func() error { return insertTx(fg, "foreground") })
	if err := holding.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	rows, err := db.Write.QueryContext(bg, `SELECT who FROM turns ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var who string
		if err := rows.Scan(&who); err != nil {
			t.Fatal(err)
		}
		got = append(got, who)
	}
	if want = append([]string{"first"}, want...); !slices.Equal(got, want) {
		t.Errorf("writes in the order %q, want %q", got, want)
	}
}

// TestCheckpointer: the writers leave checkpoints to the checkpointer, which
// copies the log into the database file while the database is open.
func TestCheckpointer(t *testing.T) {
	db := openMigrated(t)
	ctx := t.Context()
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(filepath.Dir(db.Path()), FileName))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE filler (b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// Let the checkpointer catch up with the migrations first.
	time.Sleep(3 * checkpointEvery)
	before := size()
	for range 64 {
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO filler (b) VALUES (zeroblob(65536))`); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); size() < before+4<<20; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes (%d before 4 MiB were written): nothing checkpointed it", size(), before)
		}
	}
}

// TestCompletionChunks: River's batch completions are written a chunk per
// transaction, and every job of the batch is completed and returned.
func TestCompletionChunks(t *testing.T) {
	db := openMigrated(t)
	ctx := t.Context()
	exec := db.RiverDriver().GetExecutor()
	n := 3*completionChunk + 5
	var insert []*riverdriver.JobInsertFastParams
	for range n {
		insert = append(insert, &riverdriver.JobInsertFastParams{EncodedArgs: []byte(`{}`), Kind: "chunked", MaxAttempts: 1,
			Metadata: []byte(`{}`), Priority: 1, Queue: "chunks", State: rivertype.JobStateAvailable, Tags: []string{}})
	}
	if _, err := exec.JobInsertFastMany(ctx, &riverdriver.JobInsertFastManyParams{Jobs: insert}); err != nil {
		t.Fatal(err)
	}
	got, err := exec.JobGetAvailable(ctx, &riverdriver.JobGetAvailableParams{ClientID: "test", MaxAttemptedBy: 100, MaxToLock: n, Queue: "chunks"})
	if err != nil || len(got.Jobs) != n {
		t.Fatalf("fetched %v jobs (%v), want %d", len(got.Jobs), err, n)
	}
	now := time.Now()
	p := &riverdriver.JobSetStateIfRunningManyParams{Now: &now}
	for _, j := range got.Jobs {
		p.ID = append(p.ID, j.ID)
		p.Attempt = append(p.Attempt, nil)
		p.ErrData = append(p.ErrData, nil)
		p.FinalizedAt = append(p.FinalizedAt, &now)
		p.MetadataDoMerge = append(p.MetadataDoMerge, false)
		p.MetadataUpdates = append(p.MetadataUpdates, nil)
		p.ScheduledAt = append(p.ScheduledAt, nil)
		p.State = append(p.State, rivertype.JobStateCompleted)
	}
	rows, err := exec.JobSetStateIfRunningMany(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if r.State != rivertype.JobStateCompleted {
			t.Errorf("job %d came back %s", r.ID, r.State)
		}
		seen[r.ID] = true
	}
	var completed int
	if err := db.Write.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state = 'completed'`).Scan(&completed); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || len(seen) != n || completed != n {
		t.Errorf("%d rows returned (%d distinct), %d jobs completed; want %d of each", len(rows), len(seen), completed, n)
	}
}
