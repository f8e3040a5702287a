package webhook_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/engine"
	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/postgres/pgtest"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/webhook"
)

// The child process of TestCrashDuringBurst reads what to do from these.
const (
	burstChildEnv = "TRAWL_TEST_BURST_CHILD" // the receiver's URL
	burstDirEnv   = "TRAWL_TEST_BURST_DIR"   // the SQLite folder, or
	burstDBEnv    = "TRAWL_TEST_BURST_DB"    // the PostgreSQL URL
)

// burstEvents is the size of the burst, committed 100 to a transaction.
const burstEvents = 20000

// burstDB is what the burst needs of either database.
type burstDB interface {
	store.Store
	engine.Database
	Migrate(ctx context.Context, log *slog.Logger) error
	Close() error
}

func openBurstDB(ctx context.Context, dir, url string) (burstDB, error) {
	if url != "" {
		return postgres.Open(ctx, url, nil)
	}
	return sqlite.Open(dir, nil)
}

// startBurstPath starts the delivery path as trawl serve does by default:
// the engine with 32 delivery workers and 16 for retries, and the webhook
// service with its default limits.
func startBurstPath(ctx context.Context, db burstDB) (*webhook.Service, *engine.Engine, *http.Client, error) {
	log := slog.New(slog.DiscardHandler)
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true, Timeout: 15 * time.Second})
	sender := &webhook.Sender{Client: client, UserAgent: "trawl/test", IsBlocked: egress.IsBlocked}
	svc := webhook.New(webhook.Config{Store: db, Sender: sender, Logger: log, AccountConcurrency: 16})
	eng, err := engine.New(engine.Config{DB: db, Logger: log, Handlers: []engine.Handler{svc},
		Queues: map[string]int{webhook.QueueWebhook: 32, webhook.QueueWebhookRetry: 16}})
	if err != nil {
		return nil, nil, nil, err
	}
	return svc, eng, client, eng.Start(ctx)
}

// TestBurstChild is the process TestCrashDuringBurst kills: it commits the
// burst while delivering it, then waits to be killed.
func TestBurstChild(t *testing.T) {
	url := os.Getenv(burstChildEnv)
	if url == "" {
		t.Skip("run by TestCrashDuringBurst")
	}
	ctx := context.Background()
	db, err := openBurstDB(ctx, os.Getenv(burstDirEnv), os.Getenv(burstDBEnv))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	svc, _, _, err := startBurstPath(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	account, err := db.CreateAccount(ctx, "burst")
	if err != nil {
		t.Fatal(err)
	}
	job := &trawl.Job{AccountID: account.ID, Scraper: "crawler", Status: trawl.StatusInProgress,
		Input: json.RawMessage(`{}`), Params: json.RawMessage(`{}`), Webhook: &trawl.Webhook{URL: url}}
	if err := db.InTx(ctx, func(tx store.Tx) error { return tx.CreateJob(job) }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < burstEvents; i += 100 {
		err := db.InTx(ctx, func(tx store.Tx) error {
			events := make([]*trawl.Event, 0, 100)
			for k := range 100 {
				ev, err := webhook.NewEvent(job, trawl.EventDataScraped,
					[]json.RawMessage{json.RawMessage(`{"n":` + strconv.Itoa(i+k) + `}`)}, time.Now())
				if err != nil {
					return err
				}
				events = append(events, ev)
			}
			return svc.Emit(tx, job, events)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	select {} // until killed
}

// TestCrashDuringBurst SIGKILLs trawl's delivery path in the middle of a
// 20,000-event burst, starts it again on the same database, and checks that
// every event committed before the kill reaches the receiver and ends
// delivered, with its attempt in the delivery log.
func TestCrashDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process through a 20,000-event burst")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashDuringBurst(t, t.TempDir(), "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashDuringBurst(t, "", pgtest.URL(t))
	})
}

func crashDuringBurst(t *testing.T, dir, dbURL string) {
	var mu sync.Mutex
	seen := map[string]int{}
	arrived := make(chan struct{})
	var once sync.Once
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		n := len(seen)
		mu.Unlock()
		if n >= 3000 {
			once.Do(func() { close(arrived) })
		}
	}))
	t.Cleanup(rcv.Close)

	child := exec.Command(os.Args[0], "-test.run=^TestBurstChild$", "-test.timeout=5m")
	child.Env = append(os.Environ(), burstChildEnv+"="+rcv.URL, burstDirEnv+"="+dir, burstDBEnv+"="+dbURL)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case <-arrived:
	case err := <-exited:
		t.Fatalf("the child ended before the kill: %v", err)
	case <-time.After(3 * time.Minute):
		_ = child.Process.Kill()
		t.Fatal("3,000 deliveries did not arrive within 3 minutes")
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-exited
	mu.Lock()
	atKill := len(seen)
	mu.Unlock()

	ctx := t.Context()
	db, err := openBurstDB(ctx, dir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	_, eng, client, err := startBurstPath(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eng.Stop(stop); err != nil {
			t.Errorf("stop engine: %v", err)
		}
		client.CloseIdleConnections()
	})

	// The burst's one job holds every event committed before the kill.
	var jobID int64
	var events []*trawl.Event
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if jobID == 0 { // the first job of a fresh database
			job, err := db.Job(ctx, 0, 1)
			if err != nil || job.Webhook == nil || job.Webhook.URL != rcv.URL {
				t.Fatalf("the burst's job after the kill: %+v, %v", job, err)
			}
			jobID = job.ID
		}
		if events, err = db.Events(ctx, jobID); err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, e := range events {
			if e.State != trawl.EventDelivered {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events still not delivered 3 minutes after the restart", pending, len(events))
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, e := range events {
		switch n := seen[e.ID]; {
		case n == 0:
			t.Errorf("event %s is delivered but never reached the receiver", e.ID)
		case n > 1:
			dups += n - 1
		}
	}
	_, total, err := db.Attempts(ctx, jobID, 0, 1)
	if err != nil || total < int64(len(events)) {
		t.Errorf("delivery log: %d attempts for %d events, %v", total, len(events), err)
	}
	t.Logf("%d events committed before the kill, %d had arrived at the kill; %d sent twice (at least once)",
		len(events), atKill, dups)
}
