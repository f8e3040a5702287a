package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
)

// riverPostArgs is the reference's job: one POST of body to url.
type riverPostArgs struct {
	ID string `json:"id"`
}

func (riverPostArgs) Kind() string { return "bench_post" }

// riverPostWorker POSTs a webhook-like body for each job, nothing more: no
// event read, no attempt recorded, no signature, no limits.
type riverPostWorker struct {
	river.WorkerDefaults[riverPostArgs]
	client *http.Client
	url    string
	body   []byte
}

func (w *riverPostWorker) Work(ctx context.Context, j *river.Job[riverPostArgs]) error {
	if !post(ctx, w.client, w.url, j.Args.ID, w.body) {
		return fmt.Errorf("post %s failed", j.Args.ID)
	}
	return nil
}

// runRiver is the reference of the throughput run: River alone on the same
// database, with the same workers and fetch settings, one job per event
// inserted o.batch to a transaction, each job POSTing the same body to the
// same receiver. It measures the same span: first commit to last 2xx.
func runRiver(ctx context.Context, o *options, rcv *receiver, log *slog.Logger) (throughput, error) {
	dir, err := os.MkdirTemp("", "trawl-bench-river-*")
	if err != nil {
		return throughput{}, err
	}
	defer os.RemoveAll(dir)
	db, _, drop, err := openDB(ctx, o, dir, log)
	if err != nil {
		return throughput{}, err
	}
	defer func() {
		_ = db.Close()
		if drop != nil {
			drop()
		}
	}()
	ev, err := newEvent(&trawl.Job{ID: 1, Status: trawl.StatusInProgress}, o.bodyBytes)
	if err != nil {
		return throughput{}, err
	}
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true, ConnectTimeout: 5 * time.Second, Timeout: 15 * time.Second})
	defer client.CloseIdleConnections()
	workers := river.NewWorkers()
	river.AddWorker(workers, &riverPostWorker{client: client, url: rcv.url, body: ev.Payload})
	rc, err := river.NewClient(db.RiverDriver(), &river.Config{
		Logger:            log,
		Workers:           workers,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.workers}},
		FetchCooldown:     o.fetchCooldown,
		FetchPollInterval: o.fetchPollInterval,
	})
	if err != nil {
		return throughput{}, err
	}
	if err := rc.Start(ctx); err != nil {
		return throughput{}, err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = rc.Stop(stop)
	}()

	rcv.reset(o.events)
	cpu, server := cpuTime(), serverCPU()
	var first time.Time
	for i := 0; i < o.events; i += o.batch {
		params := make([]river.InsertManyParams, 0, o.batch)
		for k := i; k < min(i+o.batch, o.events); k++ {
			params = append(params, river.InsertManyParams{Args: riverPostArgs{ID: fmt.Sprintf("river_%d", k)}})
		}
		tx, err := db.Writer().BeginTx(ctx, nil)
		if err != nil {
			return throughput{}, err
		}
		if _, err := rc.InsertManyTx(ctx, tx, params); err != nil {
			_ = tx.Rollback()
			return throughput{}, err
		}
		if err := tx.Commit(); err != nil {
			return throughput{}, err
		}
		if i == 0 {
			first = time.Now()
		}
	}
	res := throughput{events: o.events, commitDur: time.Since(first)}
	rcv.wait(ctx, o.maxWait)
	res.tally(o, rcv, first, cpu, server)
	return res, nil
}

// tally fills in what the receiver got since first and the CPU used since
// cpu and server (this process's, the database server's) were read.
func (t *throughput) tally(o *options, rcv *receiver, first time.Time, cpu, server time.Duration) {
	arrived, dups, last := rcv.snapshot()
	t.received, t.dups = len(arrived), dups
	t.lastTwoXX = last.Sub(first)
	t.cpu = cpuTime() - cpu
	if o.databaseURL != "" {
		t.serverCPU = serverCPU() - server
	}
}

// cpuTime is the CPU time (user and system) this process has used: the
// delivery path, the receiver and the committing loop together (on
// PostgreSQL the server's own CPU is not in it).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time used so far by the PostgreSQL servers on this
// machine: every running postgres process's own time, plus what each
// postmaster collected from its children that have exited. It is 0 where
// /proc cannot tell (and on SQLite there is no server).
func serverCPU() time.Duration {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime cutime cstime: fields 14–17.
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 15 {
			continue
		}
		n := func(i int) int64 { v, _ := strconv.ParseInt(f[i], 10, 64); return v }
		ticks += n(11) + n(12) // utime, stime
		if n(1) == 1 || !isPostgres(n(1)) {
			ticks += n(13) + n(14) // a postmaster: its reaped children's
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// isPostgres reports whether process pid is a postgres process.
func isPostgres(pid int64) bool {
	b, err := os.ReadFile("/proc/" + strconv.FormatInt(pid, 10) + "/comm")
	return err == nil && strings.TrimSpace(string(b)) == "postgres"
}
